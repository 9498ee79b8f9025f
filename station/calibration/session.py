"""The calibration wizard of the technician's panel page, on the running station: the steps of
``balance-station calibrate`` (tare on the empty platform, known masses over each corner,
optionally five COP positions), then the check with one known mass.

While it is open no drill can start (``Station.reserve_platform``, renewed by every step, so a
wizard left open gives the platform back after ``IDLE_S``). It measures the samples the station's
load-cell reader takes anyway (a second poller would steal conversions from the control loop),
and a saved calibration is the station's from the next frame on (``Station.use_calibration``).
The technician presses Measure after placing each mass; in simulation ``place_simulated`` puts
the step's masses on the simulated platform, as the command-line wizard does by itself.
"""

import copy
import logging
import math
import threading
from datetime import datetime

import numpy as np

from sensing.calibration_fit import STANDARD_GRAVITY_M_S2, CountsSummary, check_known_mass
from station.calibration.platform import (
    CHECK_TOLERANCE_PCT,
    CalibrationSession,
    calibration_conditions,
    geometry_from,
)
from station.calibration.steps import calibration_steps, check_steps, fit_summary
from station.errors import ConflictError, StationError

log = logging.getLogger(__name__)

IDLE_S = 15 * 60.0  # a wizard without a step for this long closes and gives the platform back
MAX_MASSES = 6
NOTE_LIMIT = 200  # characters of the note saved with a calibration
SECONDS_RANGE = (0.5, 60.0)
AFTER_STEPS = {  # what to do when there is no step to measure
    "review": "review the fit, then save it or cancel",
    "done": "the wizard has finished: close it or start a new one",
}
INTERNAL = ("session", "result", "holder", "person_was_on")  # kept out of ``state()``


class WizardStateError(ConflictError):
    """A wizard action that does not fit its state (none open, one already open, no fit to
    save); the message says what to do instead."""


class WizardInputError(StationError, ValueError):
    """A wizard setting is out of range; ``field`` names it."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field


class ReaderSamples:
    """The load cells as the station's reader sees them, shaped like the device that
    ``station.calibration.platform.measure_counts`` polls: ``poll()`` returns each new sample
    once."""

    def __init__(self, reader, sensor):
        self._reader, self._sensor = reader, sensor
        self._last_t: float | None = None

    def poll(self):
        """The reader's newest sample if it is new since the last call, else None."""
        sample = self._reader.latest()
        if sample is None or sample.t_s == self._last_t:
            return None
        self._last_t = sample.t_s
        return sample

    def status(self) -> dict:
        return self._sensor.status()


def _masses(masses_kg) -> tuple[float, ...]:
    if not isinstance(masses_kg, list | tuple) or not all(_number(m) for m in masses_kg):
        raise WizardInputError("masses_kg", "give a list of masses in kg, e.g. [5, 10, 20]")
    masses = tuple(float(m) for m in masses_kg)
    if not all(m > 0 for m in masses) or len(set(masses)) < 3 or len(masses) > MAX_MASSES:
        raise WizardInputError(
            "masses_kg", f"give 3 to {MAX_MASSES} different positive masses in kg, e.g. 5, 10, 20"
        )
    return masses


def _number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


class CalibrationWizard:
    """At most one open calibration (or check) on ``station`` at a time, driven step by step.

    ``state()`` is a plain dict for the panel; the actions raise ``WizardStateError`` when they
    do not fit the state, ``WizardInputError`` for bad settings, ``BusyError`` while a drill
    runs and ``CalibrationStepError`` when a measurement is implausible (the step can be
    measured again). Safe to use from several panel threads.
    """

    def __init__(self, station, idle_s: float = IDLE_S):
        self.station = station
        self.idle_s = idle_s
        self._lock = threading.Lock()
        self._run: dict | None = None  # the open wizard
        self._measuring = False
        self._notice: str | None = None  # why the last wizard closed by itself

    # --- state -------------------------------------------------------------------------------
    def state(self) -> dict:
        """The open wizard (or ``open: false``) with its steps and results, and the live load."""
        with self._lock:
            self._close_if_idle()
            run = self._run
            out = {
                "open": run is not None,
                "simulated": self.station.simulated,
                "measuring": self._measuring,
                "live": self._live(),
                "notice": self._notice,
            }
            if run is not None:
                out.update({k: v for k, v in run.items() if k not in INTERNAL})
            return copy.deepcopy(out)  # a snapshot: a measurement may change the wizard next

    def _live(self) -> dict | None:
        frame = self.station.loop.last_frame
        if frame is None:
            return None
        return {
            "forces_n": [round(f, 2) for f in frame.forces_n],
            "total_n": round(frame.total_n, 2),
            "total_kg": round(frame.total_n / STANDARD_GRAVITY_M_S2, 3),
        }

    # --- actions -----------------------------------------------------------------------------
    def start(
        self,
        username: str,
        *,
        check_only: bool = False,
        masses_kg=(5.0, 10.0, 20.0),
        cop_positions: bool = False,
        check_mass_kg: float = 20.0,
        seconds: float = 2.0,
    ) -> dict:
        """Open a calibration by ``username`` (or, with ``check_only``, just the check of the
        calibration in use) and keep drills off the platform while it is open."""
        masses = () if check_only else _masses(masses_kg)
        if not _number(check_mass_kg) or not check_mass_kg > 0:
            raise WizardInputError("check_mass_kg", "give the known mass of the check in kg")
        low, high = SECONDS_RANGE
        if not _number(seconds) or not low <= seconds <= high:
            raise WizardInputError("seconds", f"choose {low:g} to {high:g} s per measurement")
        mode = "check" if check_only else "calibrate"
        with self._lock:
            self._close_if_idle()
            if self._run is not None and self._run["phase"] != "done":  # a finished one goes
                raise WizardStateError(
                    f"{self._run['opened_by']}'s calibration wizard is open: finish or cancel "
                    "it first"
                )
            holder = f"the calibration wizard ({username})"
            self.station.reserve_platform(holder, self.idle_s)
            geometry = geometry_from(self.station.config).platform_frame()
            loadcells = self.station.config.loadcells
            self._run = {
                "mode": mode,
                "phase": mode,
                "opened_by": username,
                "opened_at": datetime.now().astimezone().isoformat(timespec="seconds"),
                "settings": {
                    "masses_kg": list(masses),
                    "cop_positions": bool(cop_positions) and not check_only,
                    "check_mass_kg": float(check_mass_kg),
                    "seconds": float(seconds),
                },
                "steps": check_steps(float(check_mass_kg))
                if check_only
                else calibration_steps(masses, max(masses) if cop_positions else None, geometry),
                "index": 0,
                "fit": None,
                "fit_error": None,
                "saved": None,
                "check": None,
                "calibration_in_use": self.station.calibration_source,
                "person_was_on": self.station.live_state()["on_platform"],
                "holder": holder,
                "session": CalibrationSession(
                    ReaderSamples(
                        self.station.hardware.readers["loadcells"],
                        self.station.hardware.sensors["loadcells"],
                    ),
                    self.station.clock,
                    geometry,
                    poll_s=0.5 / loadcells.rate_sps,  # twice per conversion: none is missed
                    seconds=float(seconds),
                ),
            }
            self._notice = None
        log.info("calibration wizard opened by %s (%s)", username, mode)
        return self.state()

    def place_simulated(self) -> dict:
        """Simulation only: leave exactly the current step's masses on the simulated platform
        (the simulated patient steps off first)."""
        platform = self.station.hardware.emulated.get("platform")
        if platform is None:
            raise WizardStateError("only a simulated platform has masses placed by the panel")
        with self._lock:
            run, step = self._current("place the masses")
            self.station.reserve_platform(run["holder"], self.idle_s)
            self.station.set_simulated_person(False)
            platform.remove_masses()
            for mass_kg, ml_mm, ap_mm in step["masses"]:
                platform.place_mass(mass_kg, ml_mm, ap_mm)
        return self.state()

    def measure(self) -> dict:
        """Measure the current step (a settling pause, then ``seconds`` of conversions) and go
        on to the next; after the last corner the fit is shown, after the check its verdict."""
        with self._lock:
            run, step = self._current("measure")
            self.station.reserve_platform(run["holder"], self.idle_s)
            self._measuring = True
        try:
            session = run["session"]
            if step["kind"] == "tare":
                tare = session.measure_tare()
                window = CountsSummary(tare.tare_counts, tare.noise_counts, tare.conversions)
            elif step["kind"] == "corner":
                window = session.measure_corner(step["corner"], step["mass_kg"])
            elif step["kind"] == "cop":
                window = session.measure_cop_position(step["mass_kg"], step["ml_mm"], step["ap_mm"])
            else:
                window = session.measure()
            with self._lock:
                self._record(run, step, window)
        finally:
            with self._lock:
                self._measuring = False
        return self.state()

    def save(self, username: str, note: str = "") -> dict:
        """Store the reviewed fit by ``username`` as the active calibration, make the station
        use it now, and go on to the check."""
        if not isinstance(note, str) or len(note) > NOTE_LIMIT:
            raise WizardInputError("note", f"write at most {NOTE_LIMIT} characters")
        with self._lock:
            run = self._need_open()
            if self._measuring or run["phase"] != "review" or run["fit"] is None:
                raise WizardStateError("there is no finished calibration to save")
            self.station.reserve_platform(run["holder"], self.idle_s)
            settings = run["settings"]
            conditions = {
                **calibration_conditions(self.station.config),
                "masses_kg": settings["masses_kg"],
                "seconds": settings["seconds"],
            }
            record = run["result"].record(username, conditions, note.strip())
            saved = self.station.storage.save_calibration(record)
            self.station.use_calibration(saved)
            run["saved"] = {k: saved[k] for k in ("id", "technician", "created_at", "note")}
            run["calibration_in_use"] = self.station.calibration_source
            run["steps"] += check_steps(settings["check_mass_kg"])
            run["phase"] = "check"
        return self.state()

    def close(self) -> dict:
        """Close the wizard (nothing more is saved) and give the platform back to drills."""
        with self._lock:
            if self._measuring:
                raise WizardStateError("a measurement is under way: close once it has ended")
            if self._run is not None and self._run["phase"] != "done":  # done: released
                log.info("calibration wizard closed at its %s", self._run["phase"])
                self._release(self._run)
            self._run = None
            self._notice = None
        return self.state()

    # --- inside the lock ---------------------------------------------------------------------
    def _need_open(self) -> dict:
        self._close_if_idle()
        if self._run is None:
            raise WizardStateError("no calibration wizard is open: start one first")
        return self._run

    def _current(self, action: str) -> tuple[dict, dict]:
        run = self._need_open()
        if self._measuring:
            raise WizardStateError("a measurement is under way: wait until it has ended")
        if run["phase"] not in ("calibrate", "check"):
            raise WizardStateError(f"there is no step to {action}: {AFTER_STEPS[run['phase']]}")
        return run, run["steps"][run["index"]]

    def _record(self, run: dict, step: dict, window: CountsSummary) -> None:
        """Keep the step's result and move on; at the end of the masses fit them, at the end
        of the check weigh the mass."""
        reads_n = sum(self.station.calibration.forces_n(window.mean_counts))
        result = {
            "counts": [round(c, 1) for c in window.mean_counts],
            "noise_counts": [round(n, 1) for n in window.noise_counts],
            "conversions": min(window.conversions),
            "reads_n": reads_n,
            "reads_kg": reads_n / STANDARD_GRAVITY_M_S2,
        }
        tare = run["session"].tare
        if step["kind"] in ("corner", "cop") and tare is not None:
            result["above_tare_counts"] = [
                round(float(v), 1) for v in np.subtract(window.mean_counts, tare.tare_counts)
            ]
        step["result"] = result
        run["index"] += 1
        if step["kind"] == "check-mass":
            self._check(run, reads_n, step["mass_kg"])
        elif run["index"] == len(run["steps"]) and run["phase"] == "calibrate":
            self._fit(run)

    def _fit(self, run: dict) -> None:
        try:
            result = run["session"].fit()
        except StationError as exc:
            run["fit"], run["fit_error"] = None, str(exc)
        else:
            run["result"], run["fit"] = result, fit_summary(result)
        run["phase"] = "review"

    def _check(self, run: dict, measured_n: float, mass_kg: float) -> None:
        empty = next(s for s in run["steps"] if s["kind"] == "check-empty")["result"]
        check = check_known_mass(measured_n, mass_kg * STANDARD_GRAVITY_M_S2, CHECK_TOLERANCE_PCT)
        run["check"] = {
            "passed": check.passed,
            "mass_kg": mass_kg,
            "reads_n": measured_n,
            "reads_kg": measured_n / STANDARD_GRAVITY_M_S2,
            "empty_reads_n": empty["reads_n"],
            "error_n": check.error_n,
            "error_pct": check.error_pct,
            "error_kg": check.error_kg,
            "tolerance_pct": check.tolerance_pct,
            "calibration": self.station.calibration_source,
        }
        run["phase"] = "done"
        log.info(
            "calibration check %s: %g kg reads %.3f kg (%+.2f%%) with %s",
            "PASS" if check.passed else "FAIL",
            mass_kg,
            measured_n / STANDARD_GRAVITY_M_S2,
            check.error_pct,
            self.station.calibration_source,
        )
        self._release(run)

    def _release(self, run: dict) -> None:
        """Give the platform back; in simulation take the masses off and let the simulated
        patient back on if they stood there when the wizard opened."""
        platform = self.station.hardware.emulated.get("platform")
        if platform is not None:
            platform.remove_masses()
            if run["person_was_on"]:
                self.station.set_simulated_person(True)
        self.station.release_platform(run["holder"])

    def _close_if_idle(self) -> None:
        run = self._run
        if run is None or run["phase"] == "done" or self._measuring:
            return
        if self.station.platform_holder() != run["holder"]:
            self._release(run)
            self._run = None
            kept = "the saved calibration stays in use" if run["saved"] else "nothing was saved"
            self._notice = (
                f"The calibration wizard closed itself after {self.idle_s / 60:g} min without a "
                f"step: {kept}."
            )
            log.info("calibration wizard closed after %g min without a step", self.idle_s / 60)
