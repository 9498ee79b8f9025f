"""One running trial: its drill, the frames and cues recorded since it started."""

import math
from dataclasses import dataclass, field

import numpy as np

from drills.engine import Drill
from sensing.frame import Frame
from sensing.quality import with_lost_conversions
from station.results.quality import recording_quality
from station.storage.database import now_iso
from station.storage.samples import COLUMNS


@dataclass
class TrialSession:
    """Everything recorded for a trial; times in the rows are seconds since its start."""

    trial_id: str
    patient_id: int
    drill: Drill
    t0_s: float
    program_id: int | None = None
    program_step: int | None = None
    started_at: str = field(default_factory=now_iso)
    rows: list = field(default_factory=list)
    cues: list = field(default_factory=list)

    def add_frame(self, frame: Frame) -> None:
        t_rel = frame.t_s - self.t0_s
        self.rows.append(
            (
                t_rel,
                *frame.forces_n,
                frame.total_n,
                frame.cop_ml_mm,
                frame.cop_ap_mm,
                frame.pitch_deg,
                frame.roll_deg,
                float(frame.fresh),
                frame.conversions,
                frame.lost_conversions,
            )
        )

    def add_cues(self, t_s: float, labels: list[str]) -> None:
        """Log cue labels (e.g. ``tone:countdown``) at ``t_s``; the log is part of the record."""
        rel = round(t_s - self.t0_s, 4)
        self.cues.extend({"t_s": rel, "cue": label} for label in labels)

    def header(self, rate_hz: float, version: str) -> dict:
        """The row stored when the trial starts."""
        return {
            "id": self.trial_id,
            "patient_id": self.patient_id,
            "drill": self.drill.name,
            "params": self.drill.values,
            "rate_hz": rate_hz,
            "started_at": self.started_at,
            "software_version": version,
            "program_id": self.program_id,
            "program_step": self.program_step,
        }

    def outcome(self, t_end_s: float) -> tuple[dict, np.ndarray]:
        """Fields to store at the end and the raw sample rows. Scores the trial (the drill's
        ``result()``, with each quality gate judged on the conversions lost in its recording):
        slow, so never called from a control-loop tick."""
        result = self.drill.result()
        events = [{**e, "t_s": round(e["t_s"] - self.t0_s, 4)} for e in result.pop("events")]
        rows = np.array(self.rows, dtype=float).reshape(-1, len(COLUMNS))
        if "quality" not in result:
            result["quality"] = recording_quality(self.drill, rows, events, self.drill.rate_hz)
        self._judge_lost_conversions(result, events, rows)
        result["summary"] = self.drill.headline_measures(result)
        duration = t_end_s - self.t0_s
        fields = {
            "state": result["state"],
            "reason": result["reason"],
            "result": result,
            "events": events,
            "cues": self.cues,
            "ended_at": now_iso(),
            "duration_s": round(duration, 3) if math.isfinite(duration) else None,
        }
        return fields, rows

    def _judge_lost_conversions(self, result: dict, events: list[dict], rows: np.ndarray) -> None:
        """Put the conversions lost in each scored part's recording window into its quality
        gate (``dropped_samples``), in place: the parts' quality dicts are the result's own."""
        from station.results.measures import scored_parts  # it imports recording_window from here

        t = rows[:, COLUMNS.index("t_s")]
        made = rows[:, COLUMNS.index("conversions")]
        lost = rows[:, COLUMNS.index("lost_conversions")]
        trial = {"drill": self.drill.name, "result": result, "events": events}
        for part in scored_parts(trial):
            quality, window = part["quality"], part["window_s"]
            if quality is None or window is None or "measures" not in quality:
                continue
            inside = (t >= window[0]) & (t < window[1])
            judged = with_lost_conversions(
                quality, int(lost[inside].sum()), int(made[inside].sum())
            )
            quality.update(judged)


def recording_window(events: list[dict]) -> tuple[float, float]:
    """Start and end (s since the trial began) of a trial's recording phase, from its phase
    events; (0, inf) when it never recorded."""
    start = next((e["t_s"] for e in events if e["phase"] == "recording"), 0.0)
    end = next(
        (e["t_s"] for e in events if e["t_s"] >= start and e["phase"] in ("completed", "aborted")),
        math.inf,
    )
    return start, end
