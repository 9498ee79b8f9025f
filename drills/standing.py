"""Scoring a recording of standing still, shared by the drills that record one (quiet stance,
each mCTSIB condition): the data-quality gate and the sway metrics under the published
processing (``sensing.norms.CONVENTIONS``: the 10 Hz zero-lag low-pass of Santos & Duarte
2016, the prediction ellipse), so the scores are the ones the normative bands can judge."""

import numpy as np

from sensing.analysis import analyse_cop
from sensing.errors import ImplausibleDataError, NotEnoughDataError
from sensing.norms import CONVENTIONS
from sensing.quality import assess_trial

COLUMNS = (
    "t_s",
    "cop_ml_mm",
    "cop_ap_mm",
    "fresh",
    "force_front_left_n",
    "force_front_right_n",
    "force_back_left_n",
    "force_back_right_n",
)
"""The columns of a standing recording, one row per frame (``standing_row``)."""

_COL = {name: i for i, name in enumerate(COLUMNS)}
_FORCES = slice(_COL["force_front_left_n"], _COL["force_back_right_n"] + 1)


def standing_row(frame) -> tuple:
    """One frame as a row of COLUMNS."""
    return (frame.t_s, frame.cop_ml_mm, frame.cop_ap_mm, frame.fresh, *frame.forces_n)


def score_standing(rows, rate_hz: float, sensor_rate_hz: float) -> dict:
    """``quality`` (the gate) and, when the recording can be scored, ``metrics`` and
    ``conventions`` of a standing recording (rows of COLUMNS); else ``error`` says why."""
    rec = np.asarray(rows, dtype=float).reshape(-1, len(COLUMNS))
    out = {
        "quality": assess_trial(
            rec[:, _COL["t_s"]],
            rec[:, _FORCES],
            nominal_rate_hz=rate_hz,
            sensor_rate_hz=sensor_rate_hz,
            fresh=rec[:, _COL["fresh"]].astype(bool),
        )
    }
    try:
        analysis = analyse_cop(
            rec[:, _COL["cop_ap_mm"]] / 10.0,
            rec[:, _COL["cop_ml_mm"]] / 10.0,
            rate_hz,
            filter=CONVENTIONS["filter"],
            resample_hz=CONVENTIONS["resample_hz"],
            ellipse=CONVENTIONS["ellipse"],
        )
    except (NotEnoughDataError, ImplausibleDataError) as exc:
        return {**out, "error": f"could not score the trial: {exc}"}
    return {**out, "metrics": analysis["metrics"], "conventions": analysis["conventions"]}
