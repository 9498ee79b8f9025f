"""The chart data of a stored trial's page: per scored recording, the COP against time
(stabilogram) and AP against ML (statokinesigram) in cm, with the 95% ellipse's outline.

For a standing-still test the COP is shown around its mean, as it was scored, and the ellipse
is drawn with the area the stored result quotes (under the convention the result names) in the
shape of the recorded COP (``sensing.ellipse_outline``). For the other drills the COP is shown
where it was on the platform (cm from the centre, the patient's frame) and has no ellipse.
"""

import numpy as np

from sensing.ellipse_outline import ellipse_outline
from sensing.errors import NotEnoughDataError
from sensing.words import ENGLISH
from station.results.measures import scored_parts
from station.runtime.trial import recording_window
from station.storage.samples import COLUMNS

DECIMALS = 3
"""Rounding of times (s) and positions (cm) sent to the browser: 1 ms and 0.01 mm."""


def trial_charts(trial: dict, rows: np.ndarray, translations=ENGLISH) -> dict:
    """``{"segments": [...]}``: one per scored recording (mCTSIB: per passed condition), or
    one of the recorded part when nothing was scored. A segment: ``title``, ``centred``
    (mean-removed), ``t_s`` (s from the segment's start), ``ml_cm``, ``ap_cm`` and
    ``ellipse`` (``ml_cm``, ``ap_cm`` outline, ``area_cm2``, ``convention``,
    ``semi_major_cm``, ``semi_minor_cm``, ``angle_deg``) or None. Titles are in the language
    of ``translations``."""
    _ = translations.gettext
    convention = ((trial.get("result") or {}).get("conventions") or {}).get("ellipse_headline")
    half_tick_s = 0.5 / trial["rate_hz"]
    segments = []
    parts = [p for p in scored_parts(trial, translations) if p["window_s"] is not None]
    for part in parts:
        area = part["measures"].get("area_ellipse95_cm2")
        segment = _segment(rows, part["window_s"], area is not None, half_tick_s)
        if segment is None:
            continue
        segment["title"] = part["condition"] or _("Recording")
        segment["ellipse"] = None
        if area is not None:
            segment["ellipse"] = _ellipse(segment, area, convention)
        segments.append(segment)
    if not parts:
        window = recording_window(trial.get("events") or [])
        segment = _segment(rows, window, False, half_tick_s)
        if segment is not None:
            segments.append({**segment, "title": _("Recorded data (not scored)"), "ellipse": None})
    return {"segments": segments}


def _segment(rows: np.ndarray, window, centred: bool, half_tick_s: float) -> dict | None:
    """The rows of the ticks in ``window`` (its times are rounded: each end is taken half a
    tick early, so a tick on the boundary falls on the side it was recorded on)."""
    t = rows[:, COLUMNS.index("t_s")]
    ml = rows[:, COLUMNS.index("cop_ml_mm")] / 10.0
    ap = rows[:, COLUMNS.index("cop_ap_mm")] / 10.0
    start, end = window
    keep = (t >= start - half_tick_s) & (t < end - half_tick_s) & np.isfinite(ml) & np.isfinite(ap)
    if keep.sum() < 3:
        return None
    t, ml, ap = t[keep] - t[keep][0], ml[keep], ap[keep]
    if centred:
        ml, ap = ml - ml.mean(), ap - ap.mean()
    return {"centred": centred, "t_s": _rounded(t), "ml_cm": _rounded(ml), "ap_cm": _rounded(ap)}


def _ellipse(segment: dict, area_cm2: float, convention: str | None) -> dict | None:
    try:
        outline = ellipse_outline(np.array(segment["ap_cm"]), np.array(segment["ml_cm"]), area_cm2)
    except NotEnoughDataError:
        return None
    return {
        "ml_cm": _rounded(outline["ml"]),
        "ap_cm": _rounded(outline["ap"]),
        "area_cm2": area_cm2,
        "convention": convention,
        "semi_major_cm": outline["semi_major"],
        "semi_minor_cm": outline["semi_minor"],
        "angle_deg": outline["angle_deg"],
    }


def _rounded(values) -> list[float]:
    return [round(float(v), DECIMALS) for v in values]
