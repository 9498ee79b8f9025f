"""The station service of the core: wiring of hardware, control loop, storage and live feed,
and its public API (plain dicts in and out; errors are StationError subclasses).

``Station`` is the core's runtime; the records half of its API (patients, programs, trials,
re-analyses, exports) is ``StationRecords``, which the panel's ``PanelStation`` shares. In
the two-process daemon the core serves a Station over its socket
(``station.runtime.core_server``); ``simulate``, the tests and ``run --single-process`` use
it directly.
"""

import json
import logging
import math
import os
import threading
import time
import uuid
from functools import cached_property
from pathlib import Path

from drills.catalog import drill_class
from drills.errors import DrillError, DrillParamError, UnknownDrillError
from sensing import libraries
from sensing.framing import FrameBuilder
from sensing.stance import StanceSettings
from station.calibration.platform import calibration_in_use, geometry_from
from station.calibration.session import CalibrationWizard
from station.clock import MonotonicClock
from station.config import prepare_data_dir
from station.errors import BusyError, StationError
from station.records.programs import apply_progression
from station.runtime.commands import (
    STATION_SHUT_DOWN,
    STOPPED_BY_THERAPIST,
    MarkFailed,
    StartTrial,
    StopTrial,
    ZeroTilt,
)
from station.runtime.hardware import build_hardware, inject_sim_fault
from station.runtime.live import LiveFeed
from station.runtime.live_messages import live_messages
from station.runtime.loop import ControlLoop
from station.runtime.priority import realtime_children, realtime_thread, scheduling_of
from station.runtime.spoken import Speaker
from station.runtime.station_records import StationRecords
from station.runtime.timed_cues import TimedCues
from station.runtime.trial import TrialSession
from station.runtime.version import software_version
from station.storage.database import Storage, now_iso
from station.technician.diagnostics import recent_log_lines

log = logging.getLogger(__name__)

COMMAND_TIMEOUT_S = 2.0


class SimFaultError(StationError, ValueError):
    """A simulated-fault request names an unknown device or fault; the message lists them."""


class DrillRequestError(StationError, ValueError):
    """A start request names an unknown drill or bad parameters; the message says which, and
    ``field`` the request field when it is one (``drill``, ``params.<name>``)."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


class Station(StationRecords):
    """One balance station. ``start()`` runs it in real time; a virtual clock runs it on demand.

    ``db_path`` defaults to ``station.db`` in the configured data directory; ``":memory:"`` keeps
    everything in memory (simulation, tests). ``storage``, a database the caller opened already
    (the core, so that the panel can start on it while the devices are being opened), is used
    instead, and closed with the station.
    """

    def __init__(self, config, *, clock=None, db_path=None, storage=None, notifier=None):
        self.config = config
        self.clock = clock or MonotonicClock()
        self.notifier = notifier
        libraries.load()  # scoring's libraries now, not in the first trial's scoring
        if storage is None:
            storage = Storage(
                prepare_data_dir(config) / "station.db" if db_path is None else db_path
            )
        self._serve(storage)
        try:
            calibration, cop_correction, where = calibration_in_use(
                config, self.storage.active_calibration()
            )
            self.hardware = build_hardware(
                config,
                self.clock,
                loadcell_process=True,
                speech_cache=self._speech_cache(config, db_path),
            )
        except Exception:
            self.storage.close()
            raise
        self.calibration, self.calibration_source = calibration, where
        log.info("load-cell calibration: %s", where)
        platform = config.platform
        self.stance = StanceSettings(step_on_n=platform.step_on_n, step_off_n=platform.step_off_n)
        self.feed = LiveFeed()
        self.version = software_version()
        self.started_at = now_iso()
        self.cues = TimedCues(self.hardware.cues, self.clock)  # notes when a stop took effect
        self.speaker = Speaker(self.hardware.voice)  # the hardware's voice, closed with it
        self.loop_scheduling = self.readers_scheduling = "not started"
        self.loop = ControlLoop(
            clock=self.clock,
            rate_hz=config.station.loop_rate_hz,
            loadcells=self.hardware.readers["loadcells"],
            imu=self.hardware.readers.get("imu"),
            stop_button=self.hardware.stop_button,
            sensor_errors=self._sensor_error,
            on_instruct=self.hardware.instruct,
            on_tick=self.hardware.simulation_step,
            cues=self.cues,
            frames=FrameBuilder(
                calibration,
                geometry_from(config),
                platform.min_load_n,
                cop_correction=None if cop_correction is None else cop_correction["matrix"],
                stance=self.stance,
                rate_hz=config.station.loop_rate_hz,
                live_cutoff_hz=platform.live_filter_hz,
            ),
            feed=self.feed,
            on_begin=self._store_begin,
            on_end=self._store_end,
            watchdog=notifier.watchdog if notifier else None,
            speaker=self.speaker,
        )
        self._trials_started = 0
        # who keeps drills off the platform (e.g. the calibration wizard) until when (clock s)
        self._reservation: tuple[str, float] | None = None
        self._platform_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._closed = False

    # --- lifecycle ---------------------------------------------------------------------------
    def start(self, loop_priority: int = 0) -> None:
        """Start sampling and the control loop on its own thread (real time), on SCHED_FIFO at
        ``loop_priority`` when the system allows it (0: as the caller's threads), the sensor
        readers one below: they time-stamp conversions and hold the GIL the loop waits for,
        so no ordinary process may preempt them in between."""
        with realtime_children(max(0, loop_priority - 1)) as self.readers_scheduling:
            self.hardware.start(self.clock.now())
        self._thread = threading.Thread(
            target=self._run_loop, args=(loop_priority,), name="control-loop", daemon=True
        )
        self._thread.start()
        if self.config.station.hardware == "pi":
            # the first drill's words ready at once (on a thread of the voice's); a simulated
            # station renders them on first use (the tests start hundreds of stations)
            self.speaker.prerender()

    def _speech_cache(self, config, db_path) -> Path | None:
        """Where the spoken phrases are cached: ``[speech] cache_dir``, else ``speech/``
        beside the database (the data folder); an in-memory station has none (logs only)."""
        if config.speech.cache_dir is not None:
            return config.speech.cache_dir
        return None if str(db_path) == ":memory:" else Path(self.storage.path).parent / "speech"

    def wait_until_sampling(self, timeout_s: float = 10.0) -> bool:
        """Wait for the control loop's first tick (systemd's READY means sampling runs); False
        if it has not ticked within ``timeout_s`` (real time) or its thread has ended."""
        deadline = time.monotonic() + timeout_s
        while self.loop.ticks == 0:
            alive = self._thread is not None and self._thread.is_alive()
            if not alive or time.monotonic() > deadline:
                return False
            self._stop.wait(0.01)
        return True

    def _run_loop(self, priority: int) -> None:
        self.loop_scheduling = realtime_thread(priority)
        try:
            self.loop.run(self._stop)
        except Exception:
            log.exception("control loop crashed; cues off")
            self.hardware.cues.all_off()
            raise

    def close(self) -> None:
        """Stop the loop, end any trial as aborted (data kept), cues off, flush storage."""
        if self._closed:
            return
        self._closed = True
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5.0)
            if self._thread.is_alive():
                log.error("control loop did not stop within 5 s")
        self.loop.abort(STATION_SHUT_DOWN, self.clock.now())
        self.loop.close()  # the scoring worker stores the trials that ended
        self.end_live_streams()
        self.storage.close()
        self.hardware.close()  # the voice too

    def _sensor_error(self, name: str) -> str | None:
        sensor = self.hardware.sensors.get(name)
        return None if sensor is None else sensor.last_error

    # --- drills ------------------------------------------------------------------------------
    def start_drill(
        self,
        patient_id: int,
        drill: str,
        params: dict | None = None,
        program: tuple[int, int] | None = None,
    ) -> dict:
        """Validate and start ``drill`` for ``patient_id`` (as step ``program[1]`` of program
        ``program[0]`` when given); returns the new trial's id."""
        patient = self.storage.get_patient(patient_id)
        trial_id = uuid.uuid4().hex
        try:
            cls = drill_class(drill)
            missing = [name for name in cls.needs if name not in self.hardware.sensors]
            if missing:
                raise DrillRequestError(
                    f"{drill} needs the {missing[0].upper()}, which is not fitted "
                    f"([{missing[0]}] enabled = false)"
                )
            instance = cls(
                params,
                rate_hz=self.loop.rate_hz,
                stance=self.stance,
                sensor_rate_hz=self.config.loadcells.rate_sps,
                subject=patient,
                seed=self._drill_seed(trial_id),
            )
        except DrillParamError as exc:
            raise DrillRequestError(str(exc), f"params.{exc.param}") from exc
        except UnknownDrillError as exc:
            raise DrillRequestError(str(exc), "drill") from exc
        except DrillError as exc:
            raise DrillRequestError(str(exc)) from exc
        with self._platform_lock:  # a reservation cannot slip in before the drill starts
            holder = self.platform_holder()
            if holder is not None:
                raise BusyError(
                    f"{holder} is using the platform: a drill can start once it is finished"
                )
            if self.loop.session is not None:
                raise BusyError(f"{self.loop.session.drill.name} is running: stop it first")
            session = TrialSession(trial_id, patient_id, instance, t0_s=self.clock.now())
            if program is not None:
                session.program_id, session.program_step = program
            command = StartTrial(session)
            self.speaker.set_language(patient.get("language") or "en")  # no drill speaks now
            self._send(command)
            return {"trial_id": command.done.result(COMMAND_TIMEOUT_S)}

    def zero_tilt(self) -> dict:
        """Make the IMU's current attitude the zero of pitch and roll (the board held level,
        or the patient standing upright with the IMU on the trunk)."""
        if "imu" not in self.hardware.sensors:
            raise StationError("there is no IMU: [imu] enabled = false")
        command = ZeroTilt()
        self._send(command)
        pitch, roll = command.done.result(COMMAND_TIMEOUT_S)
        frame = self.loop.last_frame  # None until the first frame is built
        if frame is None or math.isnan(frame.pitch_deg):
            raise BusyError("the IMU sends no readings now: check /api/v1/health, then retry")
        log.info("IMU tilt zeroed at pitch %.2f deg, roll %.2f deg", pitch, roll)
        return {"pitch_zero_deg": pitch, "roll_zero_deg": roll}

    def _drill_seed(self, trial_id: str) -> int:
        """The seed of a drill's randomness: from the trial id on real hardware; in simulation
        from ``[sim] seed`` and the trial's number, so a simulation repeats exactly."""
        self._trials_started += 1
        if self.simulated:
            return self.config.sim.seed * 1000 + self._trials_started
        return int(trial_id[:8], 16)

    def stop_drill(self, reason: str = STOPPED_BY_THERAPIST) -> str | None:
        """End the running drill (if any) as aborted, with ``reason``; the id of the trial
        that was running (None if none was), for the audit trail."""
        session = self.loop.session
        command = StopTrial(reason)
        self._send(command)
        command.done.result(COMMAND_TIMEOUT_S)
        return None if session is None else session.trial_id

    def mark_attempt_failed(self) -> dict:
        """Fail the attempt under way of the running drill (an mCTSIB condition, a single-leg
        trial) for what the therapist saw and the platform cannot; BusyError when no drill with
        attempts runs. ``marked`` is False between attempts (nothing was under way)."""
        command = MarkFailed()
        self._send(command)
        return {"marked": command.done.result(COMMAND_TIMEOUT_S)}

    def _send(self, command) -> None:
        self.loop.commands.put(command)
        if self.clock.virtual:  # nobody else ticks a virtual clock: run one tick now
            self.loop.tick()

    def run_virtual(self, max_s: float, until_trial_ends: bool = True) -> None:
        """Under a virtual clock: tick for ``max_s`` seconds, or until the running trial ends."""
        until = (lambda: self.loop.session is None) if until_trial_ends else (lambda: False)
        self.loop.run_virtual(until, max_s)

    def _store_begin(self, session: TrialSession) -> None:
        self.storage.begin_trial(session.header(self.loop.rate_hz, self.version))

    def _store_end(self, session: TrialSession, now: float) -> None:
        fields, rows = session.outcome(now)
        self.storage.finish_trial(session.trial_id, fields, rows)
        if session.program_id is not None:
            self._progress(session, fields["result"])

    def _progress(self, session: TrialSession, result: dict) -> None:
        """Apply the program's progression rules to the step this trial ran."""
        program = self.storage.get_program(session.program_id)
        steps, changes = apply_progression(program, session.program_step, result)
        if not changes:
            return
        history = program["history"] + [{**c, "trial_id": session.trial_id} for c in changes]
        self.storage.submit(
            lambda db: db["programs"].update(
                session.program_id,
                {"steps": json.dumps(steps), "history": json.dumps(history)},
            )
        )
        for change in changes:
            log.info(
                "program %s step %d: %s %s -> %s (%s)",
                session.program_id,
                change["step"],
                change["param"],
                change["from"],
                change["to"],
                change["because"],
            )

    # --- the platform for a technician -------------------------------------------------------
    def reserve_platform(self, holder: str, lease_s: float) -> None:
        """Keep drills off the platform for ``lease_s`` seconds while ``holder`` (who, in words:
        "the calibration wizard (tom)") uses it; the same holder renews its lease by calling
        again. BusyError while a drill runs or another holder's lease lasts."""
        with self._platform_lock:
            if self.loop.session is not None:
                raise BusyError(
                    f"{self.loop.session.drill.name} is running: stop it or let it end first"
                )
            other = self.platform_holder()
            if other is not None and other != holder:
                raise BusyError(f"{other} is using the platform: wait until it is finished")
            self._reservation = (holder, self.clock.now() + lease_s)

    def release_platform(self, holder: str) -> None:
        """End ``holder``'s reservation (if it still holds one): drills may start again."""
        with self._platform_lock:
            if self.platform_holder() == holder:
                self._reservation = None

    def platform_holder(self) -> str | None:
        """Who keeps drills off the platform now (see ``reserve_platform``), or None."""
        if self._reservation is None or self.clock.now() >= self._reservation[1]:
            return None
        return self._reservation[0]

    def use_calibration(self, record: dict) -> None:
        """Read the load cells with the stored calibration ``record`` from the next frame on
        (the panel's wizard has just saved it); refused while a drill runs, so that no trial
        mixes two calibrations."""
        calibration, cop_correction, where = calibration_in_use(self.config, record)
        with self._platform_lock:
            if self.loop.session is not None:
                raise BusyError(f"{self.loop.session.drill.name} is running: stop it first")
            frames = self.loop.frames
            frames.calibration = calibration
            frames.cop_correction = None if cop_correction is None else cop_correction["matrix"]
            self.calibration, self.calibration_source = calibration, where
        log.info("load-cell calibration: %s (applied while running)", where)

    # --- live and status ---------------------------------------------------------------------
    def subscribe(self):
        """A live-feed subscription of Frames (close it when done)."""
        return self.feed.subscribe()

    def end_live_streams(self) -> None:
        """Wake and end every live subscription (panel streams end their responses)."""
        self.feed.close()

    def live_stream(self):
        """The live view's messages (JSON texts, ``station.runtime.live_messages``) made from a
        subscription of this station's own feed, until the feed closes; close it when done."""
        subscription = self.feed.subscribe()
        try:
            yield from live_messages(subscription, self.live_state)
        finally:
            subscription.close()

    def drill_status(self) -> dict | None:
        """The running drill's state, or None."""
        session = self.loop.session
        if session is None:
            return None
        return {
            **session.drill.status(),
            "trial_id": session.trial_id,
            "patient_id": session.patient_id,
            "program_id": session.program_id,
            "program_step": session.program_step,
            "elapsed_s": round(max(0.0, self.clock.now() - session.t0_s), 1),
        }

    def live_state(self) -> dict:
        """What the live view shows beside the frames: the drill's state, the cue lights, the
        instruction and the language of the patient being trained (the patient display speaks
        it), and whether someone stands on the platform and has settled."""
        frame = self.loop.last_frame
        platform = {
            "on_platform": bool(frame and frame.on_platform),
            "settled": bool(frame and frame.settled),
        }
        return {
            "drill": self.drill_status(),
            "cues": self.hardware.cues.status(),
            "instruction": self.loop.instruction if self.loop.session is not None else None,
            "language": self.speaker.language if self.loop.session is not None else None,
            **platform,
        }

    def status(self) -> dict:
        """Plain-dict snapshot: loop timing, devices, running drill, when the cues last went
        off, and this process (pid, start, priorities)."""
        return {
            "version": self.version,
            "hardware": self.config.station.hardware,
            "calibration": self.calibration_source,
            "loop": self.loop.status(),
            "devices": self.hardware.status(),
            "speech": self.speaker.status(),
            "drill": self.drill_status(),
            "live_clients": self.feed.subscribers,
            "cues_off_at_s": self.cues.off_at_s,  # when a stop last took effect (clock s)
            "core": {
                "pid": os.getpid(),
                "started_at": self.started_at,
                "nice": os.getpriority(os.PRIO_PROCESS, os.getpid()),
                "threads_scheduling": scheduling_of(os.getpid()),
                "loop_scheduling": self.loop_scheduling,
                "readers_scheduling": self.readers_scheduling,
            },
        }

    def log_lines(self, n: int) -> dict:
        """The newest ``n`` log lines (``station.technician.diagnostics.recent_log_lines``)."""
        return recent_log_lines(n)

    @cached_property
    def calibration_wizard(self) -> CalibrationWizard:
        """The technician's calibration wizard on this station (one at a time)."""
        return CalibrationWizard(self)

    @property
    def simulated(self) -> bool:
        """True when the station runs on emulated hardware."""
        return self.hardware.person is not None

    def loadcell_rate_sps(self) -> int:
        return self.config.loadcells.rate_sps

    def inject_simulated_fault(self, device: str, fault: str) -> None:
        """Simulation only: ``fault`` on the emulated ``device`` ('imu' or a load-cell
        corner): for the IMU ``hw.amplifiers.I2C_FAULTS``, for a corner its amplifier's
        ``faults`` (``station.runtime.hardware.inject_sim_fault``)."""
        if not self.simulated:
            raise StationError("faults can only be injected into simulated hardware")
        try:
            inject_sim_fault(self.hardware, self.config.loadcells.amplifier, device, fault)
        except ValueError as exc:
            raise SimFaultError(str(exc)) from exc
        log.warning("simulated fault: %s on %s", fault, device)

    def set_simulated_person(self, on_platform: bool) -> None:
        """Simulation only: make the simulated patient step on or off now."""
        person = self.hardware.person
        if person is None:
            raise StationError("there is no simulated patient on real hardware")
        if on_platform:
            person.step_on(self.clock.now())
        else:
            person.step_off(self.clock.now())
