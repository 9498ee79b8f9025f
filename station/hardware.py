"""Builds the station's devices from config: the Pi's real buses and pins, or emulated chips.

Both paths run the same drivers (NAU7802Array on an smbus2-style bus, CueBoard on gpiozero);
only the bus and the pin factory differ. In simulation the bus is an emulated SMBus carrying a
TCA9548A and four NAU7802s loaded by a simulated person, and the pins come from gpiozero's
MockFactory.
"""

import logging

from hw.cues import CueBoard
from hw.loadcells import NAU7802Array
from hw.reader import InlineReader, ThreadedReader

log = logging.getLogger(__name__)


class Hardware:
    """The devices of one station; ``close()`` releases them all (safe to call twice)."""

    def __init__(self, *, loadcells, reader, cues, person=None, bus=None):
        self.loadcells = loadcells
        self.reader = reader
        self.cues = cues
        self.person = person
        self._bus = bus

    def status(self) -> dict:
        """Plain-dict state of every device."""
        out = {
            "loadcells": {**self.loadcells.status(), **self.reader.status()},
            "cues": self.cues.status(),
        }
        if self.person is not None:
            out["simulated_person"] = self.person.status()
        return out

    def close(self) -> None:
        self.reader.close()
        self.cues.close()
        self.loadcells.close()
        if self._bus is not None:
            self._bus.close()
            self._bus = None


def build_hardware(config, clock) -> Hardware:
    """Devices for ``config.station.hardware`` ('sim' or 'pi') on ``clock``.

    Under a virtual clock the load cells are polled inline by the control loop; in real time a
    reader thread polls them at the amplifier's rate.
    """
    cells = config.loadcells
    if config.station.hardware == "sim":
        bus, pin_factory, person = _sim_parts(config, clock)
        bus_name = "emulated /dev/i2c-1"
    else:
        bus, pin_factory, person = _pi_parts(config)
        bus_name = f"/dev/i2c-{cells.i2c_bus}"
    array = NAU7802Array(
        bus,
        channels=cells.channels,
        mux_address=cells.mux_address,
        rate_sps=cells.rate_sps,
        gain=cells.gain,
        clock=clock.now,
        sleep=clock.sleep,
        bus_name=bus_name,
    )
    cues = None
    try:
        array.begin()
        cues = CueBoard(
            status_led_pin=config.cues.status_led_pin,
            buzzer_pin=config.cues.buzzer_pin,
            pin_factory=pin_factory,
        )
    except Exception:
        array.close()
        bus.close()
        raise
    if clock.virtual:
        reader = InlineReader(array.poll, "loadcells")
    else:
        reader = ThreadedReader(array.poll, "loadcells", period_s=1.0 / cells.rate_sps)
    log.info(
        "hardware %s: 4 x NAU7802 at %d SPS on %s",
        config.station.hardware,
        cells.rate_sps,
        bus_name,
    )
    return Hardware(loadcells=array, reader=reader, cues=cues, person=person, bus=bus)


def _sim_parts(config, clock):
    from gpiozero.pins.mock import MockFactory

    from hw.sim.nau7802 import EmulatedNAU7802
    from hw.sim.person import PROFILES, Person
    from hw.sim.platform import COUNTS_PER_NEWTON, OFFSET_COUNTS, SimPlatform
    from hw.sim.smbus import EmulatedSMBus
    from hw.sim.tca9548a import EmulatedTCA9548A

    sim, platform_cfg, cells = config.sim, config.platform, config.loadcells
    now = clock.now()
    person = Person(
        PROFILES[sim.profile], seed=sim.seed, step_on_at_s=now + sim.step_on_at_s, start_s=now
    )
    platform = SimPlatform(person, width_mm=platform_cfg.width_mm, depth_mm=platform_cfg.depth_mm)
    bus = EmulatedSMBus()
    mux = EmulatedTCA9548A()
    bus.attach(cells.mux_address, mux)
    for index, channel in enumerate(cells.channels):
        chip = EmulatedNAU7802(
            lambda t, i=index: platform.corner_force_n(i, t),
            clock.now,
            offset_counts=OFFSET_COUNTS[index],
            counts_per_newton=COUNTS_PER_NEWTON[index],
            seed=sim.seed * 16 + index,
        )
        mux.attach(channel, 0x2A, chip)
    return bus, MockFactory(), person


def _pi_parts(config):
    from smbus2 import SMBus

    bus_number = config.loadcells.i2c_bus
    try:
        bus = SMBus(bus_number)
    except OSError as exc:
        raise OSError(
            f"cannot open /dev/i2c-{bus_number} ({exc.strerror}): enable I2C with "
            "'sudo raspi-config nonint do_i2c 0' and check the service user is in group i2c"
        ) from exc
    return bus, None, None
