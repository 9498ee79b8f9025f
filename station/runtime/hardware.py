"""Builds the station's devices from config: the Pi's real buses and pins, or emulated chips.

Both paths run the same drivers (the configured amplifier's from ``hw.amplifiers`` for the
load cells, the adafruit BNO08x driver for the IMU, gpiozero for cues and the stop button);
only the bus and the pin factory differ (``station.runtime.hardware_parts``). In simulation the
I²C bus is an emulated SMBus carrying the BNO08x and any amplifier on I²C, an amplifier on GPIO
gets emulated pins, and all of them are loaded or tilted by a simulated person. Every sensor
runs under a SupervisedDevice, so a fault is counted and the chip re-initialised while the
station keeps running. The core's load cells are read in a process of their own
(``station.runtime.acquisition``); under a virtual clock, and for the technician's tools, in
this one.
"""

import logging

from hw.controls import StopButton
from hw.cues import CueBoard
from hw.loadcells import CORNERS
from hw.reader import InlineReader, ThreadedReader
from hw.supervisor import SupervisedDevice
from station.runtime.acquisition import LoadCellProcess
from station.runtime.hardware_parts import (
    POLLS_PER_CONVERSION,
    apply_sim_fault,
    bus_name,
    check_sim_fault,
    cue_pins,
    loadcell_device,
    pi_parts,
    sim_parts,
    voice_device,
)

log = logging.getLogger(__name__)

PRIME_S = 0.5  # simulation: forces sent ahead to the load-cell process before the loop ticks
# (within the simulated person's 1 s of queries that may come back in time)


class Hardware:
    """The devices of one station; ``close()`` releases them all (safe to call twice).

    ``sensors`` maps 'loadcells' (and 'imu' when fitted) to its SupervisedDevice, ``readers``
    to the reader that polls it. ``emulated`` holds the emulated chips and the simulated
    platform in simulation (for fault injection and test masses), else it is empty; ``feed``
    sends the platform's forces to the load-cell process when it converts them there.
    ``voice`` (``hw.speech.Voice``) says the instructions on the audio output.
    """

    def __init__(
        self,
        *,
        sensors,
        readers,
        cues,
        stop_button,
        person=None,
        emulated=None,
        bus=None,
        feed=None,
        voice=None,
    ):
        self.sensors = sensors
        self.readers = readers
        self.cues = cues
        self.stop_button = stop_button
        self.person = person
        self.patient = (emulated or {}).get("patient")  # the cue-following virtual patient
        self.emulated = emulated or {}
        self._bus = bus
        self._feed = feed
        self.voice = voice

    def instruct(self, code: str, t_s: float) -> None:
        """What the patient was just told (a key of ``drills.cues.INSTRUCTIONS``); in
        simulation the virtual patient follows it, on a Pi a person does."""
        if self.patient is not None:
            self.patient.instruct(code, t_s)

    def simulation_step(self, t_s: float) -> None:
        """Once per control-loop tick: in simulation the virtual patient looks at the lights
        and listens to the buzzer, and the forces they will put on the platform go to the
        load-cell process; nothing on a Pi."""
        if self.patient is not None:
            self.patient.update(t_s)
        if self._feed is not None:
            self._feed.step(t_s)

    def start(self, t_s: float) -> None:
        """Start the sensor readers (real time) at ``t_s`` on the clock; in simulation send the
        load-cell process the forces until the control loop's first tick."""
        if self._feed is not None:
            self._feed.step(t_s, lead_s=PRIME_S)
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
        if self.voice is not None:
            self.voice.close()  # first: no phrase goes on sounding once the station stops
        for reader in self.readers.values():
            reader.close()
        self.cues.close()
        self.stop_button.close()
        for sensor in self.sensors.values():
            sensor.close()
        if self._bus is not None:
            self._bus.close()
            self._bus = None


def build_hardware(config, clock, *, loadcell_process: bool = False, speech_cache=None) -> Hardware:
    """Devices for ``config.station.hardware`` ('sim' or 'pi') on ``clock``, started, with the
    voice of ``[speech]`` caching its phrases in ``speech_cache`` (None: a voice that only logs).

    A sensor that fails to start is logged and retried by its supervisor; the station comes up
    regardless so the panel can show what is wrong. Under a virtual clock the sensors are polled
    inline by the control loop; in real time reader threads poll them, or with
    ``loadcell_process`` (the core) the load cells are read in a process of their own.
    """
    simulated = config.station.hardware == "sim"
    separate = loadcell_process and not clock.virtual
    if simulated:
        parts = sim_parts(config, clock, with_loadcells=not separate)
    else:
        parts = pi_parts(config, with_loadcells=not separate)
    bus, pin_factory = parts["bus"], parts["pin_factory"]
    sensors, readers, owned, feed = {}, {}, [], None
    try:
        if separate:  # started first: it starts its chips while the IMU resets here
            if simulated:
                from hw.sim.force_feed import ForceFeed

                feed = ForceFeed(parts["emulated"]["platform"])
            loadcells = LoadCellProcess(config, feed)
            owned.append(loadcells)
        else:
            sensors["loadcells"] = SupervisedDevice(
                loadcell_device(config, clock, parts), "load cells", clock.now
            )
        if config.imu.enabled:
            sensors["imu"] = SupervisedDevice(_imu(config, clock, bus), "IMU", clock.now)
        cues = CueBoard(cue_pins(config), pin_factory=pin_factory)
        owned.append(cues)
        stop_button = StopButton(config.cues.stop_button_pin, pin_factory=pin_factory)
        owned.append(stop_button)
        voice = voice_device(config, clock, speech_cache)
        owned.append(voice)
        for name, sensor in sensors.items():
            sensor.start()  # never raises: a sensor that fails is retried by its supervisor
            readers[name] = _reader(config, clock, name, sensor)
        if separate:
            loadcells.wait_ready()
            sensors = {"loadcells": loadcells.sensor, **sensors}
            readers = {"loadcells": loadcells, **readers}
    except Exception:
        for device in [*owned, *sensors.values()]:
            device.close()
        if bus is not None:
            bus.close()
        raise
    cells = config.loadcells
    log.info(
        "hardware %s: 4 x %s at %d SPS%s%s; cues and stop button on GPIO",
        config.station.hardware,
        cells.amplifier.upper(),
        cells.rate_sps,
        " (read in a process of their own)" if separate else "",
        f", BNO08x at {config.imu.address:#04x} ({config.imu.rate_hz:g} Hz) on {bus_name(config)}"
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
        feed=feed,
        voice=voice,
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


def _imu(config, clock, bus):
    from hw.i2cbus import SMBusI2C
    from hw.imu import BNO08xIMU

    return BNO08xIMU(
        SMBusI2C(bus),
        address=config.imu.address,
        rate_hz=config.imu.rate_hz,
        clock=clock.now,
        bus_name=bus_name(config),
    )


def inject_sim_fault(hardware: Hardware, amplifier: str, device: str, fault: str) -> None:
    """Simulation only: give the emulated ``device`` ('imu' or a corner) ``fault``
    (``station.runtime.hardware_parts.check_sim_fault`` says which); raises ValueError naming
    what is known when the device or fault does not exist."""
    emulated = hardware.emulated
    check_sim_fault(amplifier, device, fault, "imu" in emulated)
    if device == "imu":
        apply_sim_fault(emulated["imu"], fault)
    elif "loadcells" in emulated:
        apply_sim_fault(emulated["loadcells"][CORNERS.index(device)], fault)
    else:  # in the load-cell process
        hardware.readers["loadcells"].inject_fault(CORNERS.index(device), fault)


def open_i2c_bus(config, clock):
    """Only the station's I²C bus (emulated, with its chips, in simulation), for a scan; None
    when no I²C chip is configured."""
    if config.station.hardware == "sim":
        return sim_parts(config, clock)["bus"]
    return pi_parts(config)["bus"]
