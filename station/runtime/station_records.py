"""The half of the Station API that needs only the database: patients, programs, trials and
their re-analyses and exports, the drill catalog and the metric documentation.

Shared by the core's ``Station`` and the panel's ``PanelStation`` (each on its own handle to
the same database), so the panel's blueprints call the same methods in either process. Starting
a drill is the runtime's business: subclasses provide ``start_drill``.
"""

import math

import numpy as np

from drills.catalog import DRILLS, RESULT_DOCS
from sensing.analysis import analyse_cop
from sensing.errors import SensingError
from sensing.quality import assess_trial
from station.errors import StationError
from station.records.accounts import Accounts
from station.records.patients import PATIENT_PAGE, validate_patient
from station.records.programs import ProgramError, validate_program
from station.records.visits import Visits
from station.results.exports import safe_file_name, trial_csv
from station.results.progress import patient_trials
from station.runtime.trial import recording_window
from station.storage.database import Storage
from station.storage.migrations import MIGRATIONS
from station.storage.samples import COLUMNS


class AnalysisRequestError(StationError, ValueError):
    """A trial cannot be analysed as asked; the message says why."""


class StationRecords:
    """Records on ``self.storage`` under ``self.config`` (both set by the subclass)."""

    storage: Storage

    def start_drill(self, patient_id, drill, params=None, program=None) -> dict:
        """Start ``drill`` for ``patient_id``; the runtime (core or panel) provides it."""
        raise NotImplementedError

    def loadcell_rate_sps(self) -> int:
        """The load cells' conversion rate, which the core's config resolves from the
        amplifier; the runtime (core or panel) provides it."""
        raise NotImplementedError

    # --- drills ------------------------------------------------------------------------------
    def drills(self) -> list[dict]:
        """The drill catalog with parameter schemas."""
        return [cls.describe() for cls in DRILLS.values()]

    def metric_docs(self) -> dict:
        """Every metric key -> (plain-language name, unit, one-line meaning), for the panel."""
        return RESULT_DOCS

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

    # --- patients and trials -----------------------------------------------------------------
    def list_patients(
        self, search: str = "", limit: int = PATIENT_PAGE, after: int | None = None
    ) -> dict:
        """A page of patients: ``patients`` (up to ``limit`` whose name or code contains
        ``search``, in name order, after patient ``after``) and ``next``, the ``after`` of the
        following page (None on the last)."""
        found = self.storage.list_patients(search, limit + 1, after)
        more = len(found) > limit
        found = found[:limit]
        return {"patients": found, "next": found[-1]["id"] if more else None}

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

    @property
    def schema_version(self) -> int:
        """The database's schema version (migrations applied)."""
        return self.storage.schema_version

    @property
    def latest_schema_version(self) -> int:
        """The schema version this software migrates a database to."""
        return len(MIGRATIONS)

    @property
    def database_path(self):
        """Where the database lives (the panel keeps its secret key beside it)."""
        return self.storage.path

    def accounts(self, hasher) -> Accounts:
        """The panel's accounts in this database, hashing with ``hasher``."""
        return Accounts(self.storage, hasher)

    def active_calibration(self) -> dict | None:
        return self.storage.active_calibration()

    def list_calibrations(self) -> list[dict]:
        return self.storage.list_calibrations()

    def count_trials(self, patient_id: int) -> int:
        return self.storage.count_trials(patient_id)

    def trial_history(self, patient_id: int, limit: int | None = None, skip: int = 0) -> list:
        """The patient's trials with their results, oldest first (``patient_trials``)."""
        return patient_trials(self.storage, patient_id, limit=limit, skip=skip)

    @property
    def visits(self) -> Visits:
        """The visit records (one per patient and day, with billed minutes)."""
        return Visits(self.storage)

    def get_trial(self, trial_id: str) -> dict:
        return self.storage.get_trial(trial_id)

    def trial_samples(self, trial_id: str):
        """The trial's raw frames, (N, len(COLUMNS)) floats."""
        return self.storage.trial_samples(trial_id)

    def trial_sample_columns(self, trial_id: str) -> dict:
        """The raw frames as named columns of JSON numbers (NaN, e.g. the COP while nobody
        stood on the platform, as None)."""
        rows = self.storage.trial_samples(trial_id)
        return {
            name: [None if math.isnan(v) else round(float(v), 4) for v in rows[:, i]]
            for i, name in enumerate(COLUMNS)
        }

    def reanalyse(self, trial_id: str, options: dict) -> dict:
        """Analyse a stored trial's recording again under ``options`` (from
        ``station.results.conventions.analysis_options``) and store the result beside the original,
        which is never replaced; returns the stored analysis."""
        trial = self.storage.get_trial(trial_id)
        cls = DRILLS.get(trial["drill"])
        if not (cls and cls.reanalysable):
            which = ", ".join(name for name, c in DRILLS.items() if c.reanalysable)
            raise AnalysisRequestError(
                f"{trial['drill']} trials score each part separately; re-analysis is for "
                f"{which} trials (one recording each)"
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
                sensor_rate_hz=self.loadcell_rate_sps(),
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
