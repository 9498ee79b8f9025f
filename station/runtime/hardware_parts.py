"""The station's parts built from config: the Pi's bus and pins, or emulated chips loaded by a
simulated person, and the load-cell device on them.

Used by the core (``station.runtime.hardware``) and by the load-cell process
(``station.runtime.acquisition_process``), which builds only the load cells' parts: in
simulation their chips then convert forces fed from the core (``hw.sim.force_feed``) instead of
the simulated platform's own.
"""

import logging

from hw.amplifiers import AMPLIFIERS
from hw.cues import CuePins
from hw.loadcells import CORNERS
from hw.speech import AplayPlayer, EspeakRenderer, FileSink, Voice

log = logging.getLogger(__name__)

BNO08X_RATE_ERROR = -0.002  # the emulated IMU's oscillator is off like a real one
POLLS_PER_CONVERSION = 2
"""Every sensor is looked at twice per conversion period, by the core's readers and by the
load-cell process: none is overwritten unread, and the look before the one that finds a
conversion bounds its time to half a period (``hw.conversion_clock``)."""


def cue_pins(config) -> CuePins:
    """The cue outputs' pins from the ``[cues]`` section."""
    cues = config.cues
    return CuePins(
        direction_leds={
            name: getattr(cues, f"{name}_led_pin")
            for name in ("front", "back", "left", "right", "centre")
        },
        status_rgb=cues.status_rgb_pins,
        buzzer=cues.buzzer_pin,
        buzzer_kind=cues.buzzer,
    )


def voice_device(config, clock, cache_dir) -> Voice:
    """The voice of ``[speech]``: espeak-ng rendering into ``cache_dir``, played by aplay on
    the Pi or logged on simulated hardware; one that only logs when speech is off, under a
    virtual clock (minutes pass in seconds) or without a data folder for the cache."""
    speech = config.speech
    if not speech.enabled or clock.virtual or cache_dir is None:
        why = "off" if not speech.enabled else "virtual clock" if clock.virtual else "no cache"
        log.debug("speech: phrases only logged (%s)", why)
        return Voice(None, FileSink(), None)
    renderer = EspeakRenderer(rate_wpm=speech.rate_wpm, volume_pct=speech.volume_pct)
    simulated = config.station.hardware == "sim"
    player = FileSink() if simulated else AplayPlayer()
    log.info(
        "speech: espeak-ng at %d words/min, volume %d %%, cached in %s, %s",
        speech.rate_wpm,
        speech.volume_pct,
        cache_dir,
        "logged (no sound card in simulation)" if simulated else "played with aplay",
    )
    return Voice(renderer, player, cache_dir)


def bus_name(config) -> str:
    """The I²C bus's name as the logs and status show it."""
    name = f"/dev/i2c-{config.station.i2c_bus}"
    return f"emulated {name}" if config.station.hardware == "sim" else name


def loadcell_device(config, clock, parts):
    """The configured amplifier's driver for the four corners, on ``parts``."""
    cells = config.loadcells
    return AMPLIFIERS[cells.amplifier].driver(cells, parts, clock, bus_name(config))


def loadcell_parts(config, clock, corner_force_n=None) -> dict:
    """The load cells' own parts: on a Pi their bus (when the amplifier is on I²C) and
    gpiozero's default pins; in simulation an emulated bus and mock pins, with the four
    emulated chips (``chips``) converting ``corner_force_n(index, t_s)`` when it is given."""
    if config.station.hardware != "sim":
        i2c = AMPLIFIERS[config.loadcells.amplifier].i2c is not None
        return {"bus": _open_bus(config) if i2c else None, "pin_factory": None}
    from gpiozero.pins.mock import MockFactory, MockPWMPin

    from hw.sim.smbus import EmulatedSMBus

    parts = {
        "bus": EmulatedSMBus(f"/dev/i2c-{config.station.i2c_bus}"),
        "pin_factory": MockFactory(pin_class=MockPWMPin),
    }
    if corner_force_n is not None:
        parts["chips"] = _loadcell_chips(config, clock, parts, corner_force_n)
    return parts


def _loadcell_chips(config, clock, parts, corner_force_n) -> list:
    """The four emulated amplifiers on ``parts``, each converting its corner's force through
    the cell's errors; a corner configured unplugged is."""
    from hw.sim.cells import IDEAL, CellErrors, SimLoadCell, datasheet_noise_counts
    from hw.sim.platform import COUNTS_PER_NEWTON, OFFSET_COUNTS

    sim, cells = config.sim, config.loadcells
    outputs = [
        SimLoadCell(
            lambda t, i=index: corner_force_n(i, t),
            counts_per_newton=COUNTS_PER_NEWTON[index],
            rate_sps=cells.rate_sps,
            mains_hz=sim.mains_hz,
            seed=sim.seed * 16 + index,
            errors=CellErrors() if sim.cell_errors == "realistic" else IDEAL,
            gain=cells.gain,
        ).output_n
        for index in range(4)
    ]
    chips = [
        dict(
            force_n=outputs[index],
            clock=clock.now,
            offset_counts=OFFSET_COUNTS[index],
            counts_per_newton=COUNTS_PER_NEWTON[index],
            noise_counts=datasheet_noise_counts(cells.amplifier, cells.rate_sps, cells.gain),
            seed=sim.seed * 16 + index,
        )
        for index in range(4)
    ]
    emulated = AMPLIFIERS[cells.amplifier].emulator(cells, chips, parts, clock)
    if sim.unplugged in CORNERS:
        emulated[CORNERS.index(sim.unplugged)].unplug()
    return emulated


def sim_parts(config, clock, *, with_loadcells: bool = True) -> dict:
    """Emulated chips on an emulated bus and mock pins, under a simulated person: ``bus``,
    ``pin_factory``, ``person`` and ``emulated`` (the chips, the platform, the virtual
    patient). Without the load cells (read in a process of their own) the bus carries the IMU
    only, and the platform is there for the forces fed to that process."""
    from hw.sim.bno08x import EmulatedBNO08x
    from hw.sim.force_feed import GridForces
    from hw.sim.patient import VirtualPatient
    from hw.sim.person import Person
    from hw.sim.platform import SimPlatform
    from hw.sim.profiles import PROFILES, trained
    from hw.sim.trunk import TrunkMount
    from hw.sim.wobble import WobbleBoard

    sim, platform_cfg = config.sim, config.platform
    now = clock.now()
    person = Person(
        trained(PROFILES[sim.profile], sim.training_weeks),
        seed=sim.seed,
        step_on_at_s=now + sim.step_on_at_s,
        start_s=now,
    )
    platform = SimPlatform(person, width_mm=platform_cfg.width_mm, depth_mm=platform_cfg.depth_mm)
    forces = GridForces(platform).corner_force_n if with_loadcells else None
    parts = loadcell_parts(config, clock, forces)
    parts["person"] = person
    bus, pin_factory = parts["bus"], parts["pin_factory"]
    emulated = {"bus": bus, "pin_factory": pin_factory, "platform": platform}
    if with_loadcells:
        emulated["loadcells"] = parts.pop("chips")
    if config.imu.enabled:
        if sim.imu_mount == "trunk":
            mount = emulated["trunk"] = TrunkMount(person, person.profile.trunk, seed=sim.seed)
        else:
            mount = emulated["wobble_board"] = WobbleBoard(person, start_s=now)
        emulated["imu"] = EmulatedBNO08x(
            mount.orientation, clock.now, seed=sim.seed, rate_error=BNO08X_RATE_ERROR
        )
        bus.attach(config.imu.address, emulated["imu"])
    emulated["patient"] = VirtualPatient(
        person, pin_factory, cue_pins(config), seed=sim.seed, trunk=emulated.get("trunk")
    )
    if sim.unplugged == "imu":
        emulated["imu"].unplug()
    parts["emulated"] = emulated
    return parts


def pi_parts(config, *, with_loadcells: bool = True) -> dict:
    """The Pi's I²C bus (when an I²C chip is fitted here) and gpiozero's default pins."""
    i2c = with_loadcells and AMPLIFIERS[config.loadcells.amplifier].i2c is not None
    bus = _open_bus(config) if i2c or config.imu.enabled else None
    return {"bus": bus, "pin_factory": None}


def _open_bus(config):
    from smbus2 import SMBus

    bus_number = config.station.i2c_bus
    try:
        return SMBus(bus_number)
    except OSError as exc:
        raise OSError(
            f"cannot open /dev/i2c-{bus_number} ({exc.strerror}): enable I2C with "
            "'sudo raspi-config nonint do_i2c 0' and check the service user is in group i2c"
        ) from exc


def check_sim_fault(amplifier: str, device: str, fault: str, imu_fitted: bool) -> None:
    """Raise ValueError naming what is known unless ``device`` ('imu' or a corner) can be given
    ``fault`` (one of ``hw.amplifiers.I2C_FAULTS`` for the IMU, of the amplifier's ``faults``
    for a corner)."""
    from hw.amplifiers import I2C_FAULTS

    if device == "imu":
        if not imu_fitted:
            raise ValueError("there is no IMU: [imu] enabled = false")
        kind, faults = "imu", I2C_FAULTS
    elif device in CORNERS:
        kind, faults = amplifier, AMPLIFIERS[amplifier].faults
    else:
        raise ValueError(f"unknown device {device!r}; known: imu, {', '.join(CORNERS)}")
    if fault not in faults:
        raise ValueError(
            f"the emulated {kind.upper()} has no fault {fault!r}; known: {', '.join(faults)}"
        )


def apply_sim_fault(chip, fault: str) -> None:
    """Give the emulated ``chip`` ``fault`` (checked by ``check_sim_fault``)."""
    if fault == "unplug":
        chip.unplug()
    elif fault == "plug":
        chip.plug()
    elif fault == "stall":
        chip.inject_stall(at_bit=4)
    elif fault == "brownout":
        chip.brownout()
    elif fault.endswith("-once"):
        chip.inject_once(fault.removesuffix("-once"))
    else:
        chip.inject(None if fault == "clear" else fault)
