"""Builds the station's devices from config: the Pi's real buses and pins, or emulated chips.

Both paths run the same drivers (the configured amplifier's from ``hw.amplifiers`` for the
load cells, the adafruit BNO08x driver for the IMU, gpiozero for cues and the stop button);
only the bus and the pin factory differ. In simulation the I²C bus is an emulated SMBus
carrying the BNO08x and any amplifier on I²C, an amplifier on GPIO gets emulated pins, and all
of them are loaded or tilted by a simulated person. Every sensor runs under a SupervisedDevice,
so a fault is counted and the chip re-initialised while the station keeps running.
"""

import logging

from hw.amplifiers import AMPLIFIERS, I2C_FAULTS
from hw.controls import StopButton
from hw.cues import CueBoard, CuePins
from hw.loadcells import CORNERS
from hw.reader import InlineReader, ThreadedReader
from hw.supervisor import SupervisedDevice

log = logging.getLogger(__name__)

POLLS_PER_CONVERSION = 2  # each chip is looked at twice per period: none is overwritten unread,
# and the look before the one that finds a conversion bounds its time to half a period
BNO08X_RATE_ERROR = -0.002  # the emulated IMU's oscillator is off like a real one


class Hardware:
    """The devices of one station; ``close()`` releases them all (safe to call twice).

    ``sensors`` maps 'loadcells' (and 'imu' when fitted) to its SupervisedDevice, ``readers``
    to the reader that polls it. ``emulated`` holds the emulated chips and the simulated
    platform in simulation (for fault injection and test masses), else it is empty.
    """

    def __init__(
        self, *, sensors, readers, cues, stop_button, person=None, emulated=None, bus=None
    ):
        self.sensors = sensors
        self.readers = readers
        self.cues = cues
        self.stop_button = stop_button
        self.person = person
        self.patient = (emulated or {}).get("patient")  # the cue-following virtual patient
        self.emulated = emulated or {}
        self._bus = bus

    def instruct(self, code: str, t_s: float) -> None:
        """What the patient was just told (a key of ``drills.cues.INSTRUCTIONS``); in
        simulation the virtual patient follows it, on a Pi a person does."""
        if self.patient is not None:
            self.patient.instruct(code, t_s)

    def simulation_step(self, t_s: float) -> None:
        """Once per control-loop tick: in simulation the virtual patient looks at the lights
        and listens to the buzzer; nothing on a Pi."""
        if self.patient is not None:
            self.patient.update(t_s)

    def start(self) -> None:
        """Start the sensor readers (real time)."""
        for reader in self.readers.values():
            reader.start()

    def status(self) -> dict:
        """Plain-dict state of every device, with each sensor's fault counts."""
        out = {
            name: {**sensor.status(), **self.readers[name].status()}
            for name, sensor in self.sensors.items()
        }
        out["cues"] = self.cues.status()
        out["stop_button"] = self.stop_button.status()
        if self.person is not None:
            out["simulated_person"] = self.person.status()
            out["virtual_patient"] = self.patient.status()
        return out

    def close(self) -> None:
        for reader in self.readers.values():
            reader.close()
        self.cues.close()
        self.stop_button.close()
        for sensor in self.sensors.values():
            sensor.close()
        if self._bus is not None:
            self._bus.close()
            self._bus = None


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


def build_hardware(config, clock) -> Hardware:
    """Devices for ``config.station.hardware`` ('sim' or 'pi') on ``clock``, started.

    A sensor that fails to start is logged and retried by its supervisor; the station comes up
    regardless so the panel can show what is wrong. Under a virtual clock the sensors are polled
    inline by the control loop; in real time reader threads poll them.
    """
    simulated = config.station.hardware == "sim"
    parts = _sim_parts(config, clock) if simulated else _pi_parts(config)
    bus, pin_factory = parts["bus"], parts["pin_factory"]
    bus_name = f"/dev/i2c-{config.station.i2c_bus}"
    if simulated:
        bus_name = f"emulated {bus_name}"
    sensors, readers, owned = {}, {}, []
    try:
        sensors["loadcells"] = SupervisedDevice(
            _loadcells(config, clock, parts, bus_name), "load cells", clock.now
        )
        if config.imu.enabled:
            sensors["imu"] = SupervisedDevice(_imu(config, clock, bus, bus_name), "IMU", clock.now)
        cues = CueBoard(cue_pins(config), pin_factory=pin_factory)
        owned.append(cues)
        stop_button = StopButton(config.cues.stop_button_pin, pin_factory=pin_factory)
        owned.append(stop_button)
    except Exception:
        for device in [*owned, *sensors.values()]:
            device.close()
        if bus is not None:
            bus.close()
        raise
    for name, sensor in sensors.items():
        sensor.start()
        readers[name] = _reader(config, clock, name, sensor)
    cells = config.loadcells
    log.info(
        "hardware %s: 4 x %s at %d SPS%s; cues and stop button on GPIO",
        config.station.hardware,
        cells.amplifier.upper(),
        cells.rate_sps,
        f", BNO08x at {config.imu.address:#04x} ({config.imu.rate_hz:g} Hz) on {bus_name}"
        if config.imu.enabled
        else "",
    )
    return Hardware(
        sensors=sensors,
        readers=readers,
        cues=cues,
        stop_button=stop_button,
        person=parts.get("person"),
        emulated=parts.get("emulated"),
        bus=bus,
    )


def _reader(config, clock, name, sensor):
    """The sensor's reader: its own thread in real time, polled between ticks under a
    virtual clock; every conversion goes into its queue."""
    rate_hz = config.imu.rate_hz if name == "imu" else config.loadcells.rate_sps
    period_s = 1.0 / (rate_hz * POLLS_PER_CONVERSION)
    figures = {"rate_hz": rate_hz, "stale_limit_s": sensor.stale_limit_s()}
    if clock.virtual:
        return InlineReader(sensor.poll, name, period_s, start_s=clock.now(), **figures)
    return ThreadedReader(sensor.poll, name, period_s, **figures)


def _loadcells(config, clock, parts, bus_name):
    cells = config.loadcells
    return AMPLIFIERS[cells.amplifier].driver(cells, parts, clock, bus_name)


def _imu(config, clock, bus, bus_name):
    from hw.i2cbus import SMBusI2C
    from hw.imu import BNO08xIMU

    return BNO08xIMU(
        SMBusI2C(bus),
        address=config.imu.address,
        rate_hz=config.imu.rate_hz,
        clock=clock.now,
        bus_name=bus_name,
    )


def _sim_parts(config, clock) -> dict:
    """Emulated chips on an emulated bus and mock pins, under a simulated person."""
    from gpiozero.pins.mock import MockFactory, MockPWMPin

    from hw.sim.bno08x import EmulatedBNO08x
    from hw.sim.cells import IDEAL, CellErrors, SimLoadCell, datasheet_noise_counts
    from hw.sim.patient import VirtualPatient
    from hw.sim.person import Person
    from hw.sim.platform import COUNTS_PER_NEWTON, OFFSET_COUNTS, SimPlatform
    from hw.sim.profiles import PROFILES, trained
    from hw.sim.smbus import EmulatedSMBus
    from hw.sim.trunk import TrunkMount
    from hw.sim.wobble import WobbleBoard

    sim, platform_cfg, cells = config.sim, config.platform, config.loadcells
    now = clock.now()
    person = Person(
        trained(PROFILES[sim.profile], sim.training_weeks),
        seed=sim.seed,
        step_on_at_s=now + sim.step_on_at_s,
        start_s=now,
    )
    platform = SimPlatform(person, width_mm=platform_cfg.width_mm, depth_mm=platform_cfg.depth_mm)
    bus = EmulatedSMBus(f"/dev/i2c-{config.station.i2c_bus}")
    pin_factory = MockFactory(pin_class=MockPWMPin)
    cell_outputs = [
        SimLoadCell(
            lambda t, i=index: platform.corner_force_n(i, t),
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
            force_n=cell_outputs[index],
            clock=clock.now,
            offset_counts=OFFSET_COUNTS[index],
            counts_per_newton=COUNTS_PER_NEWTON[index],
            noise_counts=datasheet_noise_counts(cells.amplifier, cells.rate_sps, cells.gain),
            seed=sim.seed * 16 + index,
        )
        for index in range(4)
    ]
    parts = {"bus": bus, "pin_factory": pin_factory, "person": person}
    loadcell_chips = AMPLIFIERS[cells.amplifier].emulator(cells, chips, parts, clock)
    emulated = {
        "bus": bus,
        "pin_factory": pin_factory,
        "loadcells": loadcell_chips,
        "platform": platform,
    }
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
    elif sim.unplugged:
        loadcell_chips[CORNERS.index(sim.unplugged)].unplug()
    parts["emulated"] = emulated
    return parts


def inject_sim_fault(hardware: Hardware, amplifier: str, device: str, fault: str) -> None:
    """Simulation only: give the emulated ``device`` ('imu' or a corner) ``fault`` (one of
    ``I2C_FAULTS`` for the IMU, of the amplifier's ``faults`` for a corner); raises ValueError
    naming what is known when the device or fault does not exist."""
    emulated = hardware.emulated
    if device == "imu":
        if "imu" not in emulated:
            raise ValueError("there is no IMU: [imu] enabled = false")
        chip, kind, faults = emulated["imu"], "imu", I2C_FAULTS
    elif device in CORNERS:
        chip, kind = emulated["loadcells"][CORNERS.index(device)], amplifier
        faults = AMPLIFIERS[amplifier].faults
    else:
        raise ValueError(f"unknown device {device!r}; known: imu, {', '.join(CORNERS)}")
    if fault not in faults:
        raise ValueError(
            f"the emulated {kind.upper()} has no fault {fault!r}; known: {', '.join(faults)}"
        )
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


def open_i2c_bus(config, clock):
    """Only the station's I²C bus (emulated, with its chips, in simulation), for a scan; None
    when no I²C chip is configured."""
    if config.station.hardware == "sim":
        return _sim_parts(config, clock)["bus"]
    return _pi_parts(config)["bus"]


def _pi_parts(config) -> dict:
    """The Pi's I²C bus (when an I²C chip is fitted) and gpiozero's default pin factory."""
    bus = None
    if AMPLIFIERS[config.loadcells.amplifier].i2c is not None or config.imu.enabled:
        from smbus2 import SMBus

        bus_number = config.station.i2c_bus
        try:
            bus = SMBus(bus_number)
        except OSError as exc:
            raise OSError(
                f"cannot open /dev/i2c-{bus_number} ({exc.strerror}): enable I2C with "
                "'sudo raspi-config nonint do_i2c 0' and check the service user is in group i2c"
            ) from exc
    return {"bus": bus, "pin_factory": None}
