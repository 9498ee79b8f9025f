"""The station service: wiring of hardware, control loop, storage and live feed, and the public
API the panel and the CLI use (plain dicts in and out; errors are StationError subclasses)."""

import json
import logging
import math
import threading
import time
import uuid
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import numpy as np

from drills.catalog import DRILLS, drill_class
from drills.errors import DrillError, DrillParamError, UnknownDrillError
from sensing.analysis import analyse_cop
from sensing.cop import PlatformGeometry
from sensing.errors import SensingError
from sensing.framing import FrameBuilder
from sensing.metric_docs import METRIC_DOCS
from sensing.quality import assess_trial
from sensing.stance import StanceSettings
from station.calibration import calibration_in_use
from station.clock import MonotonicClock
from station.commands import StartTrial, StopTrial, ZeroTilt
from station.errors import BusyError, StationError
from station.exports import safe_file_name, trial_csv
from station.hardware import build_hardware, inject_sim_fault
from station.live import LiveFeed
from station.loop import ControlLoop
from station.patients import validate_patient
from station.programs import ProgramError, apply_progression, validate_program
from station.samples import COLUMNS
from station.storage import Storage
from station.trial import TrialSession, recording_window

log = logging.getLogger(__name__)

COMMAND_TIMEOUT_S = 2.0
REANALYSABLE = ("quiet-stance",)  # drills whose trial is one recording of quiet stance


def software_version() -> str:
    """The installed package version (recorded with every trial)."""
    try:
        return version("balance-station")
    except PackageNotFoundError:
        return "unknown"


class SimFaultError(StationError, ValueError):
    """A simulated-fault request names an unknown device or fault; the message lists them."""


class AnalysisRequestError(StationError, ValueError):
    """A trial cannot be analysed as asked; the message says why."""


class DrillRequestError(StationError, ValueError):
    """A start request names an unknown drill or bad parameters; the message says which, and
    ``field`` the request field when it is one (``drill``, ``params.<name>``)."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


def geometry_from(config) -> PlatformGeometry:
    """The platform geometry of the ``[platform]`` section."""
    p = config.platform
    return PlatformGeometry(
        p.width_mm,
        p.depth_mm,
        cells_ml_mm=p.cells_ml_mm,
        cells_ap_mm=p.cells_ap_mm,
        origin_ml_mm=p.origin_ml_mm,
        origin_ap_mm=p.origin_ap_mm,
        facing=p.facing,
    )


class Station:
    """One balance station. ``start()`` runs it in real time; a virtual clock runs it on demand.

    ``db_path`` defaults to ``station.db`` in the configured data directory; ``":memory:"`` keeps
    everything in memory (simulation, tests).
    """

    def __init__(self, config, *, clock=None, db_path=None, notifier=None):
        self.config = config
        self.clock = clock or MonotonicClock()
        self.notifier = notifier
        if db_path is None:
            data_dir = Path(config.station.data_dir)
            data_dir.mkdir(parents=True, exist_ok=True)
            db_path = data_dir / "station.db"
        self.storage = Storage(db_path)
        try:
            calibration, cop_correction, where = calibration_in_use(
                config, self.storage.active_calibration()
            )
            self.hardware = build_hardware(config, self.clock)
        except Exception:
            self.storage.close()
            raise
        self.calibration, self.calibration_source = calibration, where
        log.info("load-cell calibration: %s", where)
        platform = config.platform
        self.stance = StanceSettings(step_on_n=platform.step_on_n, step_off_n=platform.step_off_n)
        self.feed = LiveFeed()
        self.version = software_version()
        self.loop = ControlLoop(
            clock=self.clock,
            rate_hz=config.station.loop_rate_hz,
            loadcells=self.hardware.readers["loadcells"],
            imu=self.hardware.readers.get("imu"),
            stop_button=self.hardware.stop_button,
            sensor_errors=self._sensor_error,
            on_instruct=self.hardware.instruct,
            on_tick=self.hardware.simulation_step,
            cues=self.hardware.cues,
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
        )
        self._trials_started = 0
        # who keeps drills off the platform (e.g. the calibration wizard) until when (clock s)
        self._reservation: tuple[str, float] | None = None
        self._platform_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._closed = False

    # --- lifecycle ---------------------------------------------------------------------------
    def start(self) -> None:
        """Start sampling and the control loop on its own thread (real time)."""
        self.hardware.start()
        self._thread = threading.Thread(target=self._run_loop, name="control-loop", daemon=True)
        self._thread.start()

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

    def _run_loop(self) -> None:
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
        self.loop.abort("station shut down", self.clock.now())
        self.loop.close()  # the scoring worker stores the trials that ended
        self.end_live_streams()
        self.storage.close()
        self.hardware.close()

    def _sensor_error(self, name: str) -> str | None:
        sensor = self.hardware.sensors.get(name)
        return None if sensor is None else sensor.last_error

    # --- drills ------------------------------------------------------------------------------
    def drills(self) -> list[dict]:
        """The drill catalog with parameter schemas."""
        return [cls.describe() for cls in DRILLS.values()]

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

    def stop_drill(self, reason: str = "stopped by the therapist") -> None:
        """End the running drill (if any) as aborted, with ``reason``."""
        command = StopTrial(reason)
        self._send(command)
        command.done.result(COMMAND_TIMEOUT_S)

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

    # --- programs ----------------------------------------------------------------------------
    def create_program(self, patient_id: int, data: dict) -> dict:
        """Validate and save a program for ``patient_id``."""
        program = self.storage.create_program(patient_id, validate_program(data))
        return self._with_next_step(program)

    def update_program(self, program_id: int, data: dict) -> dict:
        """Replace a program's name, steps and rules (its history is kept)."""
        program = self.storage.update_program(program_id, validate_program(data))
        return self._with_next_step(program)

    def get_program(self, program_id: int) -> dict:
        return self._with_next_step(self.storage.get_program(program_id))

    def list_programs(self, patient_id: int) -> list[dict]:
        self.storage.get_patient(patient_id)
        return [self._with_next_step(p) for p in self.storage.list_programs(patient_id)]

    def _with_next_step(self, program: dict) -> dict:
        """``program`` with ``next_step``: the step after the last one completed (the first
        when none has been, and again after the last), which "Start next step" runs."""
        rows = self.storage.query(
            "SELECT program_step FROM trials WHERE program_id = ? AND state = 'completed' "
            "ORDER BY started_at DESC, rowid DESC LIMIT 1",
            [program["id"]],
        )
        last = rows[0]["program_step"] if rows else None
        return {**program, "next_step": 0 if last is None else (last + 1) % len(program["steps"])}

    def start_program_step(self, program_id: int, step: int) -> dict:
        """Start step ``step`` of a program with the step's current parameters."""
        program = self.storage.get_program(program_id)
        if not 0 <= step < len(program["steps"]):
            raise ProgramError("step", f"the program has steps 0 to {len(program['steps']) - 1}")
        entry = program["steps"][step]
        return self.start_drill(
            program["patient_id"], entry["drill"], entry["params"], program=(program_id, step)
        )

    # --- records -----------------------------------------------------------------------------
    def list_patients(self, search: str = "") -> list[dict]:
        return self.storage.list_patients(search)

    def create_patient(self, data: dict) -> dict:
        return self.storage.create_patient(validate_patient(data))

    def update_patient(self, patient_id: int, data: dict) -> dict:
        """Replace a patient's details with ``data``, validated whole like a new record."""
        self.storage.get_patient(patient_id)
        return self.storage.update_patient(patient_id, validate_patient(data))

    def get_patient(self, patient_id: int) -> dict:
        return self.storage.get_patient(patient_id)

    def list_trials(self, patient_id: int) -> list[dict]:
        self.storage.get_patient(patient_id)
        return self.storage.list_trials(patient_id)

    def get_trial(self, trial_id: str) -> dict:
        return self.storage.get_trial(trial_id)

    def trial_samples(self, trial_id: str):
        return self.storage.trial_samples(trial_id)

    def reanalyse(self, trial_id: str, options: dict) -> dict:
        """Analyse a stored trial's recording again under ``options`` (from
        ``station.conventions.analysis_options``) and store the result beside the original,
        which is never replaced; returns the stored analysis."""
        trial = self.storage.get_trial(trial_id)
        if trial["drill"] not in REANALYSABLE:
            raise AnalysisRequestError(
                f"{trial['drill']} trials score each part separately; re-analysis is for "
                f"{', '.join(REANALYSABLE)} trials (one recording each)"
            )
        if trial["state"] != "completed":
            raise AnalysisRequestError(
                f"trial {trial_id} is {trial['state']}: only completed recordings are scored"
            )
        rows = self.storage.trial_samples(trial_id)
        start, end = recording_window(trial["events"] or [])
        t = rows[:, COLUMNS.index("t_s")]
        rec = rows[(t >= start) & (t < end)]
        col = COLUMNS.index
        fresh = rec[:, col("fresh")]
        try:
            analysis = analyse_cop(
                rec[:, col("cop_ap_mm")] / 10.0,
                rec[:, col("cop_ml_mm")] / 10.0,
                trial["rate_hz"],
                **options,
            )
            quality = assess_trial(
                rec[:, col("t_s")],
                rec[:, col("force_front_left_n") : col("force_back_right_n") + 1],
                nominal_rate_hz=trial["rate_hz"],
                sensor_rate_hz=self.config.loadcells.rate_sps,
                fresh=None if np.isnan(fresh).any() else fresh.astype(bool),
            )
        except SensingError as exc:
            raise AnalysisRequestError(f"cannot analyse trial {trial_id}: {exc}") from exc
        return self.storage.add_analysis(trial_id, {**analysis, "quality": quality})

    def list_analyses(self, trial_id: str) -> list[dict]:
        """A trial's re-analyses, oldest first."""
        self.storage.get_trial(trial_id)
        return self.storage.list_analyses(trial_id)

    def export_trial(self, trial_id: str) -> tuple[str, str]:
        """(file name, CSV text) of a trial's raw samples in the station's export format."""
        return self.export_from(self.storage, trial_id)

    @staticmethod
    def export_from(storage: Storage, trial_id: str) -> tuple[str, str]:
        """The export of ``trial_id`` from ``storage`` (also used without a running station)."""
        trial = storage.get_trial(trial_id)
        rows = storage.trial_samples(trial_id)
        window = recording_window(trial["events"] or [])
        return safe_file_name(trial), trial_csv(trial, rows, window)

    def metric_docs(self) -> dict:
        """Every metric key -> (plain-language name, unit, one-line meaning), for the panel."""
        return METRIC_DOCS

    # --- live and status ---------------------------------------------------------------------
    def subscribe(self):
        """A live-feed subscription of Frames (close it when done)."""
        return self.feed.subscribe()

    def end_live_streams(self) -> None:
        """Wake and end every live subscription (panel streams end their responses)."""
        self.feed.close()

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
        """What the live view shows beside the frames: the drill's state, the cue lights, and
        whether someone stands on the platform and has settled."""
        frame = self.loop.last_frame
        platform = {
            "on_platform": bool(frame and frame.on_platform),
            "settled": bool(frame and frame.settled),
        }
        return {
            "drill": self.drill_status(),
            "cues": self.hardware.cues.status(),
            "instruction": self.loop.instruction if self.loop.session is not None else None,
            **platform,
        }

    def status(self) -> dict:
        """Plain-dict snapshot: loop timing, devices, running drill."""
        return {
            "version": self.version,
            "hardware": self.config.station.hardware,
            "calibration": self.calibration_source,
            "loop": self.loop.status(),
            "devices": self.hardware.status(),
            "drill": self.drill_status(),
            "live_clients": self.feed.subscribers,
        }

    @property
    def simulated(self) -> bool:
        """True when the station runs on emulated hardware."""
        return self.hardware.person is not None

    def inject_simulated_fault(self, device: str, fault: str) -> None:
        """Simulation only: ``fault`` on the emulated ``device`` ('imu' or a load-cell
        corner): for the IMU and NAU7802s 'nack', 'all-ff', 'bit7-drop' until 'clear', one-off
        'nack-once', 'all-ff-once', 'bit7-drop-once', a silent 'brownout', 'unplug', 'plug';
        for HX711s 'stall', 'unplug', 'plug' (``station.hardware.SIM_FAULTS``)."""
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
