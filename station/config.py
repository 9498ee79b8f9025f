"""The station's TOML config: every option declared once, read and range-checked at start-up.

Unknown sections and options are errors, as are values of the wrong type or out of range; each
error names the section and the option. A missing config file means simulated hardware, the
panel on 127.0.0.1:8080 and a data directory under the user's home.
"""

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from station.errors import ConfigError

I2C_PINS = (2, 3)


@dataclass(frozen=True)
class Option:
    """One option: its type, default, inclusive range or allowed choices, and what it means."""

    kind: type
    default: object
    help: str
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple | None = None
    length: int | None = None  # for list options: exact number of items

    def check(self, section: str, name: str, value):
        """The value if valid, else ConfigError naming ``[section] name``."""
        where = f"[{section}] {name}"
        if self.length is not None:
            if not isinstance(value, list) or len(value) != self.length:
                raise ConfigError(f"{where} must be a list of {self.length} numbers, got {value!r}")
            return tuple(self._check_one(where, item) for item in value)
        return self._check_one(where, value)

    def _check_one(self, where: str, value):
        if self.kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, self.kind) or (self.kind is not bool and isinstance(value, bool)):
            raise ConfigError(f"{where} must be of type {self.kind.__name__}, got {value!r}")
        if self.choices is not None and value not in self.choices:
            allowed = ", ".join(repr(c) for c in self.choices)
            raise ConfigError(f"{where} = {value!r} is not one of {allowed}")
        if self.minimum is not None and value < self.minimum:
            raise ConfigError(f"{where} = {value!r} is below the minimum {self.minimum}")
        if self.maximum is not None and value > self.maximum:
            raise ConfigError(f"{where} = {value!r} is above the maximum {self.maximum}")
        return value


def _schema() -> dict[str, dict[str, Option]]:
    from hw.sim.person import PROFILES

    return {
        "station": {
            "hardware": Option(str, "sim", "'sim' (emulated chips) or 'pi'", choices=("sim", "pi")),
            "data_dir": Option(str, "", "where the database lives; empty = under your home"),
            "loop_rate_hz": Option(float, 100.0, "control-loop rate in Hz", 10.0, 500.0),
        },
        "panel": {
            "host": Option(str, "127.0.0.1", "address the panel listens on"),
            "port": Option(int, 8080, "TCP port of the panel", 1, 65535),
            "threads": Option(int, 8, "panel worker threads (live views hold one each)", 2, 64),
        },
        "platform": {
            "width_mm": Option(float, 400.0, "left-right cell spacing, mm", 100.0, 2000.0),
            "depth_mm": Option(float, 300.0, "front-back cell spacing, mm", 100.0, 2000.0),
            "min_load_n": Option(float, 20.0, "below this total load no COP is computed, N", 1.0),
            "step_on_n": Option(float, 150.0, "load at which a patient counts as on, N", 20.0),
            "step_off_n": Option(float, 100.0, "load below which they count as off, N", 10.0),
        },
        "loadcells": {
            "amplifier": Option(str, "nau7802", "amplifier chip", choices=("nau7802",)),
            "i2c_bus": Option(int, 1, "I2C bus number (/dev/i2c-N)", 0, 20),
            "mux_address": Option(int, 0x70, "TCA9548A address", 0x70, 0x77),
            "channels": Option(int, [0, 1, 2, 3], "mux channel of FL, FR, BL, BR", 0, 7, length=4),
            "rate_sps": Option(int, 320, "samples/s", choices=(10, 20, 40, 80, 320)),
            "gain": Option(int, 128, "PGA gain", choices=(1, 2, 4, 8, 16, 32, 64, 128)),
            "tare_counts": Option(float, None, "empty-platform counts per corner", length=4),
            "gain_n_per_count": Option(float, None, "N per count per corner", length=4),
        },
        "cues": {
            "status_led_pin": Option(int, 23, "BCM pin of the status LED", 0, 27),
            "buzzer_pin": Option(int, 18, "BCM pin of the buzzer", 0, 27),
        },
        "sim": {
            "profile": Option(str, "healthy-young", "simulated patient", choices=tuple(PROFILES)),
            "seed": Option(int, 0, "random seed of the simulated patient", 0),
            "step_on_at_s": Option(float, 2.0, "when the simulated patient steps on, s", 0.0),
        },
    }


class Section:
    """Read-only attribute access to one validated section."""

    def __init__(self, values: dict):
        self._values = MappingProxyType(values)

    def __getattr__(self, name):
        try:
            return self._values[name]
        except KeyError:
            raise AttributeError(name) from None

    def as_dict(self) -> dict:
        """Plain-dict copy of the section."""
        return dict(self._values)


class Config:
    """The validated config: one ``Section`` attribute per TOML section, plus where it came from."""

    def __init__(self, sections: dict[str, dict], source: Path | None):
        self.source = source
        self.sections = {name: Section(values) for name, values in sections.items()}
        for name, section in self.sections.items():
            setattr(self, name, section)

    def as_dict(self) -> dict:
        """The effective configuration as plain dicts."""
        return {name: section.as_dict() for name, section in self.sections.items()}


def default_config_path() -> Path:
    """``$XDG_CONFIG_HOME/balance-station/station.toml`` (``~/.config`` when unset)."""
    base = os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config"
    return Path(base) / "balance-station" / "station.toml"


def default_data_dir() -> Path:
    """``$XDG_DATA_HOME/balance-station`` (``~/.local/share`` when unset)."""
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "balance-station"


def load_config(path: Path | None = None, overrides: dict | None = None) -> Config:
    """Read and validate ``path``, or the default location, or the built-in defaults if absent.

    An explicit ``path`` that does not exist is an error; a missing default file is not.
    ``overrides`` ({section: {option: value}}) replace file values, e.g. from the command line.
    """
    source = Path(path) if path is not None else default_config_path()
    if source.exists():
        try:
            raw = tomllib.loads(source.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"cannot read config {source}: {exc}") from exc
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"config {source} is not valid TOML: {exc}") from exc
    elif path is not None:
        raise ConfigError(f"config file {source} does not exist")
    else:
        raw, source = {}, None
    for section, values in (overrides or {}).items():
        current = raw.get(section, {})
        raw[section] = {**current, **values} if isinstance(current, dict) else current
    try:
        return parse_config(raw, source)
    except ConfigError as exc:
        raise ConfigError(f"config {source}: {exc}") from None


def parse_config(raw: dict, source: Path | None = None) -> Config:
    """Validate a parsed TOML document; fills defaults and checks cross-option rules."""
    schema = _schema()
    for section, values in raw.items():
        if section not in schema:
            raise ConfigError(f"unknown section [{section}] (known: {', '.join(schema)})")
        if not isinstance(values, dict):
            raise ConfigError(f"[{section}] must be a table of options")
        unknown = sorted(set(values) - set(schema[section]))
        if unknown:
            known = ", ".join(schema[section])
            raise ConfigError(f"unknown option [{section}] {unknown[0]} (known: {known})")
    sections = {}
    for section, options in schema.items():
        given = raw.get(section, {})
        sections[section] = {
            name: opt.check(section, name, given[name]) if name in given else opt.default
            for name, opt in options.items()
        }
    _check_rules(sections)
    return Config(sections, source)


def _check_rules(s: dict[str, dict]) -> None:
    """Rules that tie several options together."""
    station, platform, cells, cues = s["station"], s["platform"], s["loadcells"], s["cues"]
    station["data_dir"] = (
        Path(station["data_dir"]).expanduser() if station["data_dir"] else (default_data_dir())
    )
    if platform["step_off_n"] >= platform["step_on_n"]:
        raise ConfigError("[platform] step_off_n must be below step_on_n (hysteresis)")
    if len(set(cells["channels"])) != 4:
        raise ConfigError(f"[loadcells] channels must be 4 different channels: {cells['channels']}")
    if any(g == 0 for g in cells["gain_n_per_count"] or ()):
        raise ConfigError("[loadcells] gain_n_per_count has a zero: that corner would read 0 N")
    if station["hardware"] == "pi":
        for name in ("tare_counts", "gain_n_per_count"):
            if cells[name] is None:
                raise ConfigError(
                    f"[loadcells] {name} is required with hardware = 'pi': "
                    "enter the platform's calibration"
                )
    pins = {"status_led_pin": cues["status_led_pin"], "buzzer_pin": cues["buzzer_pin"]}
    if len(set(pins.values())) != len(pins):
        raise ConfigError(f"[cues] two cues share one GPIO pin: {pins}")
    for name, pin in pins.items():
        if pin in I2C_PINS:
            raise ConfigError(f"[cues] {name} = {pin} is an I2C pin (GPIO 2 and 3 carry SDA/SCL)")
