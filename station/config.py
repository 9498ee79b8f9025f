"""The station's TOML config: every option declared once, read and range-checked at start-up.

Unknown sections and options are errors, as are values of the wrong type or out of range, a
number that is not finite (TOML allows ``nan`` and ``inf``) and a host that is no address or
host name; each error names the section and the option. What only the machine can tell (a data
directory it cannot write, a port in use) is checked when the process starts
(``prepare_data_dir``, ``station.runtime.server``), naming the option too. A missing config file
means simulated hardware, the panel on 127.0.0.1:8080 and a data directory under the user's home.

The load-cell amplifiers are not named here: their options, rates and gains come from the
``amplifiers`` every reader passes (``hw.amplifiers.AMPLIFIERS``, through
``station.runtime.core_config``). The panel process, which never imports ``hw``, passes None
and leaves those options to the core, which checks them when it starts.
"""

import ipaddress
import math
import os
import re
import tomllib
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from station.errors import ConfigError

I2C_PINS = {"I2C SDA": 2, "I2C SCL": 3}
BUZZERS = ("tonal", "active")
UNPLUGGABLE = ("", "imu", "front-left", "front-right", "back-left", "back-right")
# the simulated patients of hw.sim.profiles.PROFILES, named here so that reading a config never
# imports hw (the panel process has no business with it); tests/station/test_config.py checks
# that the two lists agree
SIM_PROFILES = (
    "healthy-young",
    "older-adult",
    "post-stroke",
    "post-knee-surgery",
    "high-fall-risk",
)
# a host name as RFC 1123 allows it: dot-separated labels of letters, digits and inner hyphens
HOST_NAME = re.compile(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)(\.(?!-)[A-Za-z0-9-]{1,63}(?<!-))*\.?")
# a station's id at the clinic hub ([hub] station_id; station.hub.schema checks it too)
STATION_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
ADC_COUNTS = 2**24  # the amplifiers' 24-bit range: a tare beyond it is a typing error


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
    distinct: bool = False  # for list options: no item twice

    @classmethod
    def of(cls, setting) -> "Option":
        """The option of an amplifier's ``hw.amplifiers.Setting``."""
        return cls(
            setting.kind,
            setting.default,
            setting.help,
            setting.minimum,
            setting.maximum,
            length=setting.length,
            distinct=setting.distinct,
        )

    def check(self, section: str, name: str, value):
        """The value if valid, else ConfigError naming ``[section] name``."""
        where = f"[{section}] {name}"
        if self.length is not None:
            if not isinstance(value, list) or len(value) != self.length:
                raise ConfigError(f"{where} must be a list of {self.length} numbers, got {value!r}")
            items = tuple(self._check_one(where, item) for item in value)
            if self.distinct and len(set(items)) != len(items):
                raise ConfigError(f"{where} must be {self.length} different {name}: {items}")
            return items
        return self._check_one(where, value)

    def _check_one(self, where: str, value):
        if self.kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, self.kind) or (self.kind is not bool and isinstance(value, bool)):
            raise ConfigError(f"{where} must be of type {self.kind.__name__}, got {value!r}")
        if self.kind is float and not math.isfinite(value):
            raise ConfigError(f"{where} = {value!r} is not a number: give a finite value")
        if self.choices is not None and value not in self.choices:
            allowed = ", ".join(repr(c) for c in self.choices)
            raise ConfigError(f"{where} = {value!r} is not one of {allowed}")
        if self.minimum is not None and value < self.minimum:
            raise ConfigError(f"{where} = {value!r} is below the minimum {self.minimum}")
        if self.maximum is not None and value > self.maximum:
            raise ConfigError(f"{where} = {value!r} is above the maximum {self.maximum}")
        return value


def _schema(amplifiers: Mapping | None) -> dict[str, dict[str, Option]]:
    return {
        "station": {
            "hardware": Option(str, "sim", "'sim' (emulated chips) or 'pi'", choices=("sim", "pi")),
            "data_dir": Option(str, "", "where the database lives; empty = under your home"),
            "loop_rate_hz": Option(float, 100.0, "control-loop rate in Hz", 10.0, 500.0),
            "i2c_bus": Option(
                int, 1, "I2C bus number of the IMU and I2C amplifiers (/dev/i2c-N)", 0, 20
            ),
            "loop_priority": Option(
                int,
                10,
                "SCHED_FIFO priority of the core's control-loop thread (0: normal scheduling); "
                "balance-station.service allows it, a station run by hand tries and logs",
                0,
                49,
            ),
        },
        "panel": {
            "host": Option(
                str,
                "127.0.0.1",
                "address the panel listens on (an IP address of this machine, 0.0.0.0 for "
                "every interface, or a host name)",
            ),
            "port": Option(int, 8080, "TCP port of the panel", 1, 65535),
            "threads": Option(
                int,
                8,
                "panel worker threads for every request but live views (which have threads of "
                "their own, live_streams) and STOP (which has one thread of its own)",
                2,
                64,
            ),
            "live_streams": Option(
                int,
                64,
                "live views (panel live views and patient displays) open at once, in all; "
                "each holds a thread while open, more are refused (503)",
                1,
                256,
            ),
            "connections_per_address": Option(
                int,
                16,
                "connections one device (one address) may hold open to the panel; a browser "
                "opens at most 6, so one device cannot take the connections everyone needs",
                2,
                256,
            ),
            "live_streams_per_account": Option(
                int, 8, "live views one account may have open at once", 1, 256
            ),
            "password_checks": Option(
                int,
                1,
                "passwords hashed or checked at once (Argon2: about 0.1 s of a core and 64 MiB "
                "each); others wait their turn up to 5 s",
                1,
                8,
            ),
            "password_attempts": Option(
                int,
                30,
                "password forms (login, setup, password changes, new accounts) sent a minute "
                "from every device together, successes too: each costs a hash, and a flood "
                "from many addresses gets no more; past it 429",
                1,
                600,
            ),
            "password_attempts_per_address": Option(
                int, 5, "... and from one device (one address) a minute", 1, 600
            ),
            "units": Option(
                str,
                "metric",
                "how height and weight are entered and shown: 'metric' (cm, kg) or 'us' (feet "
                "and inches, pounds); stored in SI either way",
                choices=("metric", "us"),
            ),
            "idle_logout_min": Option(
                int,
                15,
                "minutes without a request after which a panel user is logged out (an "
                "unattended tablet should not stay open on patient data)",
                1,
                240,
            ),
        },
        "platform": {
            "width_mm": Option(float, 400.0, "left-right cell spacing, mm", 100.0, 2000.0),
            "depth_mm": Option(float, 300.0, "front-back cell spacing, mm", 100.0, 2000.0),
            "min_load_n": Option(
                float, 20.0, "below this total load no COP is computed, N", 1.0, 1000.0
            ),
            "step_on_n": Option(
                float, 150.0, "load at which a patient counts as on, N", 20.0, 5000.0
            ),
            "step_off_n": Option(
                float, 100.0, "load below which they count as off, N", 10.0, 5000.0
            ),
            "cells_ml_mm": Option(
                float,
                None,
                "ML position of each cell FL, FR, BL, BR, mm (default: from width)",
                -2000.0,
                2000.0,
                length=4,
            ),
            "cells_ap_mm": Option(
                float,
                None,
                "AP position of each cell FL, FR, BL, BR, mm (default: from depth)",
                -2000.0,
                2000.0,
                length=4,
            ),
            "origin_ml_mm": Option(
                float, 0.0, "patient's origin: ML offset from the centre, mm", -1000.0, 1000.0
            ),
            "origin_ap_mm": Option(
                float, 0.0, "patient's origin: AP offset from the centre, mm", -1000.0, 1000.0
            ),
            "facing": Option(
                str, "front", "the platform edge the patient faces", choices=("front", "back")
            ),
            "live_filter_hz": Option(
                float, 5.0, "low-pass cutoff of the live COP (display, cues), Hz", 0.5, 20.0
            ),
        },
        "loadcells": {
            **_amplifier_options(amplifiers),
            "tare_counts": Option(
                float,
                None,
                "empty-platform counts per corner",
                -ADC_COUNTS,
                ADC_COUNTS,
                length=4,
            ),
            "gain_n_per_count": Option(float, None, "N per count per corner", -1.0, 1.0, length=4),
        },
        "imu": {
            "enabled": Option(bool, True, "a BNO08x IMU is fitted (wobble board or trunk)"),
            "address": Option(int, 0x4A, "BNO08x I2C address", choices=(0x4A, 0x4B)),
            "rate_hz": Option(
                float, 100.0, "game rotation vector and accelerometer rate", 100, 400
            ),
        },
        "cues": {
            "front_led_pin": Option(int, 5, "BCM pin of the front direction LED", 0, 27),
            "back_led_pin": Option(int, 6, "BCM pin of the back direction LED", 0, 27),
            "left_led_pin": Option(int, 13, "BCM pin of the left direction LED", 0, 27),
            "right_led_pin": Option(int, 19, "BCM pin of the right direction LED", 0, 27),
            "centre_led_pin": Option(int, 26, "BCM pin of the centre LED", 0, 27),
            "status_rgb_pins": Option(
                int, [16, 20, 21], "BCM pins of the status LED's red, green, blue", 0, 27, length=3
            ),
            "buzzer_pin": Option(int, 18, "BCM pin of the buzzer", 0, 27),
            "buzzer": Option(
                str, "tonal", "'tonal' (passive piezo) or 'active' buzzer", choices=BUZZERS
            ),
            "stop_button_pin": Option(int, 25, "BCM pin of the stop button (to ground)", 0, 27),
        },
        "speech": {
            "enabled": Option(
                bool,
                True,
                "say each instruction, the countdown and the end of a drill aloud, in the "
                "patient's language, besides the tones (espeak-ng on the Pi's audio output)",
            ),
            "volume_pct": Option(
                int, 80, "loudness of the spoken words, % of the engine's full amplitude", 0, 100
            ),
            "rate_wpm": Option(
                int,
                140,
                "speaking rate in words a minute (slower is clearer for older ears)",
                80,
                220,
            ),
            "cache_dir": Option(
                str,
                None,
                "folder of the rendered phrases (WAV files, a few MB); not set = speech/ in "
                "[station] data_dir, beside the database",
            ),
        },
        "backup": {
            "keep": Option(
                int, 14, "how many nightly database backups to keep (the newest)", 1, 365
            ),
        },
        "fhir": {
            "server_url": Option(
                str,
                "",
                "base URL of the clinic's FHIR R4 server, on the clinic's network, that "
                "`balance-station export-fhir --send` posts Bundles to (e.g. "
                "https://ehr.clinic.lan/fhir); empty: none",
            ),
        },
        "hub": {
            "host": Option(
                str,
                "",
                "host name or address of the clinic hub's PostgreSQL, on the clinic's "
                "network; empty: no hub (the station keeps its records to itself)",
            ),
            "port": Option(int, 5432, "TCP port of the hub's PostgreSQL", 1, 65535),
            "database": Option(str, "balance_hub", "the hub's database name"),
            "station_id": Option(
                str,
                "",
                "this station's id at the hub, as given to 'balance-station hub add-station' "
                "(lower-case letters, digits and hyphens, e.g. room-1)",
            ),
            "password_file": Option(
                str,
                "",
                "file holding this station's hub password (readable by the station's user only)",
            ),
            "ca_file": Option(
                str,
                "",
                "the clinic's CA certificate (PEM): the hub's TLS certificate is then "
                "verified against it and must name [hub] host; empty: TLS when the hub offers "
                "it, unverified",
            ),
            "interval_s": Option(
                float, 10.0, "seconds between sync cycles with the hub", 1.0, 3600.0
            ),
        },
        "sim": {
            "profile": Option(str, "healthy-young", "simulated patient", choices=SIM_PROFILES),
            "seed": Option(int, 0, "random seed of the simulated patient", 0),
            "step_on_at_s": Option(float, 2.0, "when the simulated patient steps on, s", 0.0, 1e6),
            "training_weeks": Option(
                float,
                0.0,
                "weeks of balance training the simulated patient has done: sway and holds "
                "improve with it (hw.sim.profiles.trained)",
                0.0,
                52.0,
            ),
            "mains_hz": Option(
                int,
                60,
                "mains frequency humming on the emulated load-cell wires (60 in the Americas)",
                choices=(50, 60),
            ),
            "cell_errors": Option(
                str,
                "realistic",
                "the emulated load cells' creep, zero drift and mains hum: 'realistic', or "
                "'none' for ideal cells with only the amplifier's own noise (exact checks of "
                "the calibration arithmetic)",
                choices=("realistic", "none"),
            ),
            "imu_mount": Option(
                str,
                "wobble-board",
                "where the simulated IMU is: on a wobble board the patient stands on, or "
                "strapped to the patient's trunk (postural-hold)",
                choices=("wobble-board", "trunk"),
            ),
            "unplugged": Option(
                str,
                "",
                "a device whose cable is pulled from the start (to practise "
                "diagnostics): 'imu' or a load-cell corner",
                choices=UNPLUGGABLE,
            ),
        },
    }


def _amplifier_options(amplifiers: Mapping | None) -> dict[str, Option]:
    """``[loadcells]``'s amplifier, rate and gain, then every amplifier's own options (all of
    them are accepted whichever is chosen, as a technician may keep both sets in the file);
    without ``amplifiers`` only the amplifier's name, rate and gain, unchecked."""
    if amplifiers is None:
        return {
            "amplifier": Option(str, None, "amplifier chip (checked by the core)"),
            "rate_sps": Option(int, None, "samples/s (checked by the core)", 1),
            "gain": Option(int, None, "PGA gain (checked by the core)", 1),
        }
    return {
        "amplifier": Option(str, next(iter(amplifiers)), "amplifier chip", choices=amplifiers),
        "rate_sps": Option(
            int,
            None,
            "samples/s: "
            + "; ".join(f"{a.name} {_listed(a.rates)}" for a in amplifiers.values())
            + " (default: the fastest)",
            choices=tuple(sorted({r for a in amplifiers.values() for r in a.rates})),
        ),
        "gain": Option(
            int,
            None,
            "PGA gain: " + "; ".join(f"{a.name} {_listed(a.gains)}" for a in amplifiers.values()),
            choices=tuple(sorted({g for a in amplifiers.values() for g in a.gains})),
        ),
        **{
            name: Option.of(setting)
            for amplifier in amplifiers.values()
            for name, setting in amplifier.options.items()
        },
    }


def _listed(numbers) -> str:
    return ", ".join(map(str, numbers))


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
    """The validated config: one ``Section`` attribute per TOML section, plus where it came from
    and the ``amplifiers`` it was checked against (None: ``[loadcells]`` left to the core)."""

    def __init__(self, sections: dict[str, dict], source: Path | None, amplifiers=None):
        self.source = source
        self.amplifiers = amplifiers
        self.sections = {name: Section(values) for name, values in sections.items()}
        for name, section in self.sections.items():
            setattr(self, name, section)

    def as_dict(self) -> dict:
        """The effective configuration as plain dicts."""
        return {name: section.as_dict() for name, section in self.sections.items()}


SYSTEM_CONFIG = Path("/etc/balance-station/station.toml")


def default_config_path() -> Path:
    """``$XDG_CONFIG_HOME/balance-station/station.toml`` (``~/.config`` when unset) if it
    exists, else the installed station's ``/etc/balance-station/station.toml`` if that exists
    (so a technician's commands use the service's config), else the first."""
    base = os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config"
    user = Path(base) / "balance-station" / "station.toml"
    return SYSTEM_CONFIG if not user.exists() and SYSTEM_CONFIG.exists() else user


def default_data_dir() -> Path:
    """``$XDG_DATA_HOME/balance-station`` (``~/.local/share`` when unset)."""
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "balance-station"


def load_config(
    path: Path | None = None, overrides: dict | None = None, *, amplifiers: Mapping | None
) -> Config:
    """Read and validate ``path``, or the default location, or the built-in defaults if absent.

    An explicit ``path`` that does not exist is an error; a missing default file is not.
    ``overrides`` ({section: {option: value}}) replace file values, e.g. from the command line.
    ``amplifiers`` as ``parse_config`` takes them.
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
        return parse_config(raw, source, amplifiers=amplifiers)
    except ConfigError as exc:
        raise ConfigError(f"config {source}: {exc}") from None


def parse_config(raw: dict, source: Path | None = None, *, amplifiers: Mapping | None) -> Config:
    """Validate a parsed TOML document; fills defaults and checks cross-option rules.

    ``amplifiers`` (name to ``hw.amplifiers.Amplifier``, the first the default) declare
    ``[loadcells]``'s options, rates and gains. None, in the panel process: the amplifier's
    options are kept as given, unchecked, and its defaults left unset."""
    schema = _schema(amplifiers)
    for section, values in raw.items():
        if section not in schema:
            raise ConfigError(f"unknown section [{section}] (known: {', '.join(schema)})")
        if not isinstance(values, dict):
            raise ConfigError(f"[{section}] must be a table of options")
        unknown = sorted(set(values) - set(schema[section]))
        if unknown and not (amplifiers is None and section == "loadcells"):
            known = ", ".join(schema[section])
            raise ConfigError(f"unknown option [{section}] {unknown[0]} (known: {known})")
    sections = {}
    for section, options in schema.items():
        given = raw.get(section, {})
        sections[section] = {
            name: opt.check(section, name, given.get(name, opt.default))
            if name in given or opt.default is not None
            else None
            for name, opt in options.items()
        }
        # without amplifiers, their options as given: the core checks them
        sections[section] |= {k: v for k, v in given.items() if k not in options}
    _check_rules(sections)
    if amplifiers is not None:
        _check_amplifier(sections, amplifiers[sections["loadcells"]["amplifier"]])
    _check_pins(sections, amplifiers)
    return Config(sections, source, amplifiers)


def _check_rules(s: dict[str, dict]) -> None:
    """Rules that tie several options together."""
    station, platform, cells = s["station"], s["platform"], s["loadcells"]
    station["data_dir"] = (
        Path(station["data_dir"]).expanduser() if station["data_dir"] else (default_data_dir())
    )
    if s["speech"]["cache_dir"] is not None:
        if not s["speech"]["cache_dir"].strip():
            raise ConfigError("[speech] cache_dir is empty: give a folder, or leave it out")
        s["speech"]["cache_dir"] = Path(s["speech"]["cache_dir"]).expanduser()
    _check_host(s["panel"]["host"])
    if s["panel"]["live_streams_per_account"] > s["panel"]["live_streams"]:
        raise ConfigError("[panel] live_streams_per_account must not exceed live_streams")
    if s["panel"]["password_attempts_per_address"] > s["panel"]["password_attempts"]:
        raise ConfigError("[panel] password_attempts_per_address must not exceed password_attempts")
    if platform["step_off_n"] >= platform["step_on_n"]:
        raise ConfigError("[platform] step_off_n must be below step_on_n (hysteresis)")
    if (platform["cells_ml_mm"] is None) != (platform["cells_ap_mm"] is None):
        raise ConfigError("[platform] give both cells_ml_mm and cells_ap_mm, or neither")
    if platform["cells_ml_mm"] is not None:
        ml, ap = platform["cells_ml_mm"], platform["cells_ap_mm"]
        if not (ml[0] < ml[1] and ml[2] < ml[3] and ap[0] > ap[2] and ap[1] > ap[3]):
            raise ConfigError(
                "[platform] cells_ml_mm / cells_ap_mm must place the cells in the order "
                "front-left, front-right, back-left, back-right (left < right, front > back)"
            )
    if platform["live_filter_hz"] >= station["loop_rate_hz"] / 2:
        raise ConfigError(
            f"[platform] live_filter_hz must be below half the loop rate "
            f"({station['loop_rate_hz'] / 2:g} Hz)"
        )
    if any(g == 0 for g in cells["gain_n_per_count"] or ()):
        raise ConfigError("[loadcells] gain_n_per_count has a zero: that corner would read 0 N")
    if (cells["tare_counts"] is None) != (cells["gain_n_per_count"] is None):
        raise ConfigError("[loadcells] give both tare_counts and gain_n_per_count, or neither")
    _check_fhir_url(s["fhir"]["server_url"])
    _check_hub(s["hub"])
    if s["sim"]["unplugged"] == "imu" and not s["imu"]["enabled"]:
        raise ConfigError("[sim] unplugged = 'imu' but [imu] enabled = false: there is no IMU")


def _check_hub(hub: dict) -> None:
    """``[hub]``: with a host, the station's id and password file too; paths made paths."""
    for name in ("password_file", "ca_file"):
        hub[name] = Path(hub[name]).expanduser() if hub[name] else None
    if not hub["host"]:
        return
    _check_host(
        hub["host"], "[hub] host", "the hub's host name or IP address on the clinic's network"
    )
    if not STATION_ID.match(hub["station_id"]):
        raise ConfigError(
            f"[hub] station_id = {hub['station_id']!r}: give this station's id at the hub, "
            "1-40 lower-case letters, digits and hyphens (e.g. room-1)"
        )
    if hub["password_file"] is None:
        raise ConfigError(
            "[hub] password_file is empty: give the file holding the password given to "
            f"'balance-station hub add-station {hub['station_id']}'"
        )


def _check_fhir_url(url: str) -> None:
    """``[fhir] server_url`` must be empty or an http(s) base URL with a host (no query or
    fragment: the Bundle is posted to the base itself)."""
    if not url:
        return
    parts = urllib.parse.urlsplit(url)
    try:
        has_host = bool(parts.hostname) and parts.port != 0
    except ValueError:  # a port that is no number, or above 65535
        has_host = False
    if (
        parts.scheme not in ("http", "https")
        or not has_host
        or parts.query
        or parts.fragment
        or any(c.isspace() for c in url)
    ):
        raise ConfigError(
            f"[fhir] server_url = {url!r} is not an http or https base URL: give the FHIR "
            "server's base, e.g. https://ehr.clinic.lan/fhir, or leave it empty"
        )


def _check_amplifier(s: dict[str, dict], amplifier) -> None:
    """The rate and gain must be the chosen amplifier's; its fastest rate and its default gain
    when not given."""
    cells = s["loadcells"]
    for option, allowed, default in (
        ("rate_sps", amplifier.rates, amplifier.default_rate),
        ("gain", amplifier.gains, amplifier.default_gain),
    ):
        if cells[option] is None:
            cells[option] = default
        elif cells[option] not in allowed:
            raise ConfigError(
                f"[loadcells] {option} = {cells[option]} is not a {option.split('_')[0]} of the "
                f"{amplifier.name} (choose one of {_listed(allowed)})"
            )


PANEL_HOST_HINT = (
    "an address of this machine (127.0.0.1 for itself only, 0.0.0.0 for every network)"
)


def _check_host(host: str, option: str = "[panel] host", hint: str = PANEL_HOST_HINT) -> None:
    """``option`` must be an IP address or a host name (``hint`` says what to give): "256.1.1.1"
    is neither (a name made of digits only would be taken for a broken address)."""
    try:
        ipaddress.ip_address(host)
        return
    except ValueError:
        pass
    if not HOST_NAME.fullmatch(host) or host.rstrip(".").split(".")[-1].isdigit():
        raise ConfigError(f"{option} = {host!r} is not an IP address or a host name: give {hint}")


def prepare_data_dir(config: Config) -> Path:
    """``[station] data_dir``, created if missing; ConfigError naming the option when it is
    a file, cannot be created or is not writable (the station's database and backups live
    there). Checked by every process that opens the database, when it starts."""
    path = Path(config.station.data_dir)
    where = f"[station] data_dir = {str(path)!r}"
    try:
        path.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise ConfigError(f"{where} is a file, not a folder: choose a folder") from None
    except OSError as exc:
        raise ConfigError(
            f"{where} cannot be created ({exc.strerror}): choose a folder the station's user "
            "may create, or create it and give that user write access"
        ) from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise ConfigError(
            f"{where} is not writable by this user: give the station's user write access to "
            "it (on an installed station: sudo chown balance-station: FOLDER)"
        )
    return path


def gpio_pins(s: dict[str, dict], amplifiers: Mapping | None) -> dict[str, int]:
    """Every GPIO pin the configured station uses, keyed by ``[section] option``: the cues',
    the chosen amplifier's (none without ``amplifiers``), and the I²C pins when an I²C chip
    (an amplifier on I²C, or the IMU) is fitted."""
    amplifier = amplifiers[s["loadcells"]["amplifier"]] if amplifiers is not None else None
    uses = [("cues", name) for name in s["cues"] if name.endswith(("_pin", "_pins"))]
    uses += [("loadcells", name) for name in (amplifier.pins if amplifier else ())]
    pins: dict[str, int] = {}
    for section, name in uses:
        value = s[section][name]
        if isinstance(value, tuple):
            pins.update({f"[{section}] {name}[{i}]": pin for i, pin in enumerate(value)})
        else:
            pins[f"[{section}] {name}"] = value
    if (amplifier is not None and amplifier.i2c is not None) or s["imu"]["enabled"]:
        pins.update(I2C_PINS)
    return pins


def _check_pins(s: dict[str, dict], amplifiers: Mapping | None) -> None:
    """No two uses share a GPIO pin."""
    owner: dict[int, str] = {}
    for use, pin in gpio_pins(s, amplifiers).items():
        if pin in owner:
            raise ConfigError(
                f"{owner[pin]} and {use} both use GPIO {pin}: give each its own pin"
                + (" (GPIO 2 and 3 carry I2C)" if pin in I2C_PINS.values() else "")
            )
        owner[pin] = use
