"""The station's results service: the drill catalog, stored trials, their histories,
re-analyses and exports, and what every measure means. ``Station.results`` in the core,
``PanelStation.results`` in the panel: the same methods in either process."""

import math
from collections.abc import Callable

import numpy as np

from drills.catalog import DRILLS, RESULT_DOCS
from drills.cued import LOST_BALANCE
from sensing.analysis import analyse_cop
from sensing.errors import SensingError
from sensing.quality import assess_trial
from sensing.words import ENGLISH, N_
from station.errors import BusyError, StationError
from station.records.text import clean_line
from station.results.exports import safe_file_name, trial_csv
from station.results.progress import patient_trials
from station.runtime.commands import STATION_SHUT_DOWN, STOP_BUTTON_PRESSED, STOPPED_BY_THERAPIST
from station.runtime.trial import recording_window
from station.storage.database import Storage
from station.storage.samples import COLUMNS

STOPPED_FOR_PAIN = N_("stopped for pain")
"""The reason of a trial the therapist stopped because it hurt (``POST /stop`` with
``{"for": "pain"}``); where it hurts follows after a colon once the therapist has asked."""
END_REASONS = (
    STOPPED_BY_THERAPIST,
    STOP_BUTTON_PRESSED,
    STATION_SHUT_DOWN,
    LOST_BALANCE,
    STOPPED_FOR_PAIN,
)
"""The reasons the station itself gives a trial's end, catalog messages all (a stop for pain
is then followed by where it hurts, a sensor fault by the sensor's error)."""
PAIN_SITE_LIMIT = 80
PAIN_SITES = (
    N_("Left ankle or foot"),
    N_("Right ankle or foot"),
    N_("Left knee"),
    N_("Right knee"),
    N_("Left hip"),
    N_("Right hip"),
    N_("Lower back"),
    N_("Neck"),
)
"""The places offered with one tap after a stop for pain (any other is typed)."""


class AnalysisRequestError(StationError, ValueError):
    """A trial cannot be analysed as asked; the message says why."""


class PainSiteError(StationError, ValueError):
    """Where it hurts cannot be recorded as asked; ``field`` names what to fix."""

    field = "where"


class Results:
    """Trials and their scores in ``storage``; ``loadcell_rate_sps()`` is the load cells'
    conversion rate, which only the runtime knows (the core's config resolves it)."""

    def __init__(self, storage: Storage, loadcell_rate_sps: Callable[[], int]):
        self.storage = storage
        self._loadcell_rate_sps = loadcell_rate_sps

    def drills(self, translations=ENGLISH) -> list[dict]:
        """The drill catalog with parameter schemas, its words in the language of
        ``translations``."""
        return [cls.describe(translations=translations) for cls in DRILLS.values()]

    def metric_docs(self) -> dict:
        """Every metric key -> (plain-language name, unit, one-line meaning), for the panel."""
        return RESULT_DOCS

    def list_trials(self, patient_id: int) -> list[dict]:
        self.storage.get_patient(patient_id)
        return self.storage.list_trials(patient_id)

    def count_trials(self, patient_id: int) -> int:
        return self.storage.count_trials(patient_id)

    def trial_history(
        self,
        patient_id: int,
        limit: int | None = None,
        skip: int = 0,
        drills=None,
        program_id: int | None = None,
    ) -> list:
        """The patient's trials (of ``drills`` only, of ``program_id`` only, when given) with
        their results, oldest first (``patient_trials``)."""
        return patient_trials(
            self.storage, patient_id, limit=limit, skip=skip, drills=drills, program_id=program_id
        )

    def get_trial(self, trial_id: str) -> dict:
        return self.storage.get_trial(trial_id)

    def note_pain_site(self, trial_id: str, where) -> dict:
        """Record where it hurts on a trial stopped for pain: its reason becomes
        "stopped for pain: <where>" (one line of up to ``PAIN_SITE_LIMIT`` characters; asked
        after the stop, which never waits for it). Returns the trial."""
        if not isinstance(where, str) or not clean_line(where):
            raise PainSiteError("where: say where it hurts (for example 'left knee')")
        site = clean_line(where)
        if len(site) > PAIN_SITE_LIMIT:
            raise PainSiteError(f"where: at most {PAIN_SITE_LIMIT} characters, got {len(site)}")
        trial = self.storage.get_trial(trial_id)
        if trial["state"] == "running":
            raise BusyError("the trial is still being stored: try again in a moment")
        if not (trial["reason"] or "").startswith(STOPPED_FOR_PAIN):
            raise PainSiteError(
                f"where: trial {trial_id} was not stopped for pain "
                f"({trial['reason'] or trial['state']})"
            )
        self.storage.set_trial_reason(trial_id, f"{STOPPED_FOR_PAIN}: {site}")
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
                sensor_rate_hz=self._loadcell_rate_sps(),
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
