"""The load-cell amplifiers the station can drive, each declared once: registry, not branches.

An ``Amplifier`` holds what the rest of the station asks of a chip: its rates and gains, its
options in ``[loadcells]``, its driver (real hardware) and emulator (simulation) factories, its
faults in simulation, what the self-test says when it is slow, and where it sits (on I²C behind
a TCA9548A, or on GPIO). Adding an amplifier means its driver, its emulator in ``hw/sim/``, its
declaration here and one line in ``AMPLIFIERS``. Emulators are imported only when built, so a Pi
loads nothing of ``hw.sim``.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from hw.hx711 import HX711Array
from hw.loadcells import CORNERS, NAU7802Array

I2C_FAULTS = (
    "nack",  # every transfer unacknowledged (errno 121) until "clear"
    "all-ff",  # every read all 0xFF (the chip lets go of SDA) until "clear"
    "bit7-drop",  # bit 7 of every read's first byte lost (the Pi's clock stretching bug)
    "nack-once",  # one glitch each: the next transfer, the next read, the next read's byte
    "all-ff-once",
    "bit7-drop-once",
    "brownout",  # a silent power-on reset: registers back to their defaults, no bus error
    "unplug",
    "plug",
    "clear",
)
# The emulated chips' oscillators are off like real ones, so the station's timing follows them:
NAU7802_RATE_ERRORS = (0.005, -0.003, 0.002, -0.004)  # four chips, four oscillators
HX711_RATE_ERROR = 0.004  # read in parallel: modelled as one oscillator error for the four


@dataclass(frozen=True)
class Setting:
    """One option of the amplifier in ``[loadcells]``: type, default, inclusive range, help;
    ``length`` for a list of that many items, ``distinct`` when they must all differ. A name
    ending in ``_pin`` or ``_pins`` is a GPIO pin the station checks for double use."""

    kind: type
    default: object
    help: str
    minimum: float | None = None
    maximum: float | None = None
    length: int | None = None
    distinct: bool = False


@dataclass(frozen=True)
class I2CPlacement:
    """An amplifier on I²C: one chip per corner at ``address``, each on its own channel of a
    TCA9548A; what the i2c-scan names and expects."""

    address: int
    chip: str  # what the scan calls it
    mux_addresses: range = range(0x70, 0x78)

    def known_chips(self) -> dict[int, str]:
        """Addresses the scan names: the chip and every address the mux may have."""
        return {self.address: self.chip, **dict.fromkeys(self.mux_addresses, "TCA9548A I2C mux")}

    def mux_address(self, cells) -> int:
        return cells.mux_address

    def expected(self, cells) -> list[dict]:
        """Rows of address, channel (None on the main bus) and use: the mux, then a chip per
        corner on its channel."""
        mux = {"address": cells.mux_address, "channel": None, "use": "load-cell mux"}
        return [mux] + [
            {"address": self.address, "channel": channel, "use": f"{corner} load cell"}
            for corner, channel in zip(CORNERS, cells.channels, strict=True)
        ]


@dataclass(frozen=True)
class Amplifier:
    """One load-cell amplifier. ``rates`` ascending, the fastest the default; ``driver(cells,
    parts, clock, bus_name)`` builds the four corners' device from the ``[loadcells]``
    section on ``parts`` (``bus``, ``pin_factory``, ``pulse_clock``); ``emulator(cells,
    chips, parts, clock)`` builds the four emulated chips (``chips``: their keyword arguments)
    and attaches them to the emulated bus or pins; ``slow_hint`` is what the self-test tells a
    technician to check when a corner is slow; ``i2c`` is None for a chip on GPIO."""

    name: str
    rates: tuple[int, ...]
    gains: tuple[int, ...]
    default_gain: int
    options: dict[str, Setting]
    driver: Callable
    emulator: Callable
    faults: tuple[str, ...]
    slow_hint: str
    i2c: I2CPlacement | None = None
    pins: tuple[str, ...] = field(init=False)

    def __post_init__(self):
        pins = tuple(name for name in self.options if name.endswith(("_pin", "_pins")))
        object.__setattr__(self, "pins", pins)

    @property
    def default_rate(self) -> int:
        return self.rates[-1]


def _nau7802_driver(cells, parts, clock, bus_name):
    return NAU7802Array(
        parts["bus"],
        channels=cells.channels,
        mux_address=cells.mux_address,
        rate_sps=cells.rate_sps,
        gain=cells.gain,
        clock=clock.now,
        sleep=clock.sleep,
        bus_name=bus_name,
    )


def _nau7802_emulator(cells, chips, parts, clock):
    from hw.sim.nau7802 import EmulatedNAU7802
    from hw.sim.tca9548a import EmulatedTCA9548A

    mux = EmulatedTCA9548A()
    parts["bus"].attach(cells.mux_address, mux)
    emulated = [
        EmulatedNAU7802(rate_error=error, **chip)
        for chip, error in zip(chips, NAU7802_RATE_ERRORS, strict=True)
    ]
    for channel, chip in zip(cells.channels, emulated, strict=True):
        mux.attach(channel, NAU7802.i2c.address, chip)
    return emulated


def _hx711_driver(cells, parts, clock, bus_name):
    return HX711Array(
        parts["pin_factory"],
        clock_pin=cells.hx711_clock_pin,
        data_pins=cells.hx711_data_pins,
        rate_sps=cells.rate_sps,
        gain=cells.gain,
        clock=clock.now,
        pulse_clock=parts.get("pulse_clock", time.perf_counter),
        sleep=clock.sleep,
    )


def _hx711_emulator(cells, chips, parts, clock):
    from hw.sim.hx711 import EmulatedHX711, TickingClock, attach_hx711s

    # Pulse widths are real time in a real-time run (preemption spikes happen, as on a Pi)
    # and counted pin operations under a virtual clock (a simulation repeats exactly).
    pulse_clock = TickingClock() if clock.virtual else time.perf_counter
    parts["pulse_clock"] = pulse_clock
    emulated = [
        EmulatedHX711(
            rate_sps=cells.rate_sps, pulse_clock=pulse_clock, rate_error=HX711_RATE_ERROR, **chip
        )
        for chip in chips
    ]
    attach_hx711s(parts["pin_factory"], cells.hx711_clock_pin, cells.hx711_data_pins, emulated)
    return emulated


NAU7802 = Amplifier(
    name="nau7802",
    rates=(10, 20, 40, 80, 320),
    gains=(1, 2, 4, 8, 16, 32, 64, 128),
    default_gain=128,
    options={
        "mux_address": Setting(int, 0x70, "NAU7802: TCA9548A address", 0x70, 0x77),
        "channels": Setting(
            int, [0, 1, 2, 3], "NAU7802: mux channel of FL, FR, BL, BR", 0, 7, 4, distinct=True
        ),
    },
    driver=_nau7802_driver,
    emulator=_nau7802_emulator,
    faults=I2C_FAULTS,
    slow_hint="I2C speed (dtparam=i2c_arm_baudrate=400000)",
    i2c=I2CPlacement(0x2A, "NAU7802 load-cell amplifier"),
)
HX711 = Amplifier(
    name="hx711",
    rates=(10, 80),
    gains=(32, 64, 128),
    default_gain=128,
    options={
        "hx711_clock_pin": Setting(int, 17, "HX711: BCM pin of the shared PD_SCK", 0, 27),
        "hx711_data_pins": Setting(
            int, [27, 22, 23, 24], "HX711: BCM pins of DOUT of FL, FR, BL, BR", 0, 27, 4
        ),
    },
    driver=_hx711_driver,
    emulator=_hx711_emulator,
    faults=("stall", "unplug", "plug"),
    slow_hint="board's RATE pin and the clock wiring",
)

# By name, as ``[loadcells] amplifier`` gives it; the first is the default.
AMPLIFIERS = {amplifier.name: amplifier for amplifier in (NAU7802, HX711)}
