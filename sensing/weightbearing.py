"""Weight bearing from the four corner forces: how the load splits between sides, how long a
signal stays in a target zone or over a prescribed limit, and single-leg stance time.

Forces are in newtons, shape (N, 4) (or (4,) for one sample), corners in the order of
``sensing.frame.CORNERS``: front-left, front-right, back-left, back-right. Left and right are the
patient's, facing the front. Sample i lasts 1/fs, so a count of samples times 1/fs is a time.
"""

import math

import numpy as np

from sensing.errors import NotEnoughDataError, SensingError
from sensing.frame import CORNERS
from sensing.metrics import validated_rate

SIDES = {
    "left": (CORNERS.index("front-left"), CORNERS.index("back-left")),
    "right": (CORNERS.index("front-right"), CORNERS.index("back-right")),
    "front": (CORNERS.index("front-left"), CORNERS.index("front-right")),
    "back": (CORNERS.index("back-left"), CORNERS.index("back-right")),
}

SINGLE_LEG_ON_FRACTION = 0.95
"""Single-leg stance starts when the platform carries 95% of body weight: with only the stance
foot on the platform, the other foot has left the floor (5% allows for scale error and sway)."""

TOUCH_DOWN_FRACTION = 0.85
"""Touch-down: the load falls below 85% of body weight, so the other foot or a hand took weight.
One-leg balancing moves the vertical force by a few percent; 15% is well clear of that."""

TOUCH_DOWN_MIN_S = 0.1
"""The load must stay below the touch-down level this long: a brisk balance correction can dip
the vertical force for a few tens of milliseconds, a touch-down lasts longer."""

SINGLE_LEG_RULE = (
    "only the stance foot is on the platform; single-leg from the first sample with load >= "
    f"{SINGLE_LEG_ON_FRACTION:.0%} of body weight until the first sample of a run of at least "
    f"{TOUCH_DOWN_MIN_S} s below {TOUCH_DOWN_FRACTION:.0%} of body weight (touch-down)"
)


class WeightBearingSettingsError(SensingError, ValueError):
    """A weight-bearing measure got an impossible input: the message names it."""


def _forces(forces_n) -> np.ndarray:
    forces = np.atleast_2d(np.asarray(forces_n, dtype=float))
    if forces.ndim != 2 or forces.shape[1] != len(CORNERS):
        raise WeightBearingSettingsError(
            f"forces must have one column per corner ({', '.join(CORNERS)}), "
            f"got shape {np.shape(forces_n)}"
        )
    if len(forces) == 0:
        raise NotEnoughDataError("no force samples given")
    return forces


def _body_weight(body_weight_n: float) -> float:
    if not (np.isfinite(body_weight_n) and body_weight_n > 0):
        raise WeightBearingSettingsError(
            f"body weight must be a positive number of newtons, got {body_weight_n}"
        )
    return float(body_weight_n)


def _runs(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start and stop indices (stop exclusive) of each run of True in ``mask``."""
    edges = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)


def _dwell(mask: np.ndarray, fs_hz: float, prefix: str) -> dict[str, float]:
    starts, stops = _runs(mask)
    longest = int((stops - starts).max()) if len(starts) else 0
    return {
        f"{prefix}_fraction": float(mask.mean()) if len(mask) else 0.0,
        f"{prefix}_s": float(mask.sum()) / fs_hz,
        f"longest_{prefix}_s": longest / fs_hz,
    }


def side_load_n(forces_n, side: str) -> np.ndarray:
    """Load in N on one side (left, right, front or back) at each sample."""
    if side not in SIDES:
        raise WeightBearingSettingsError(f"unknown side {side!r}: choose one of {', '.join(SIDES)}")
    return _forces(forces_n)[:, list(SIDES[side])].sum(axis=1)


def load_distribution(forces_n, body_weight_n: float | None = None) -> dict[str, float]:
    """Share of the load on each side over a trial, in % of the load on the platform.

    A share is the side's summed load over the summed total (the share of the mean load).
    ``symmetry_index_lr_pct`` is Robinson's (1987) index 100 * (R - L) / ((R + L) / 2): 0 when
    even, positive when more weight is on the right, +-200 when all of it is on one side;
    ``asymmetry_pct`` is its size whichever side carries more, the measure a trend follows (a
    patient loading the left leg improves as the index rises toward 0). With ``body_weight_n``
    the loads also come as % of body weight: their total falls short of 100% when crutches or a
    rail take part of the weight.
    """
    forces = _forces(forces_n)
    total = float(forces.sum())
    if not total > 0:
        raise NotEnoughDataError("no load on the platform: nobody is standing on it")
    side = {name: float(forces[:, list(idx)].sum()) for name, idx in SIDES.items()}
    out = {f"load_{name}_pct": 100 * load / total for name, load in side.items()}
    out["symmetry_index_lr_pct"] = 100 * (side["right"] - side["left"]) / (total / 2)
    out["asymmetry_pct"] = abs(out["symmetry_index_lr_pct"])
    if body_weight_n is not None:
        bw = _body_weight(body_weight_n) * len(forces)
        out["load_left_bw_pct"] = 100 * side["left"] / bw
        out["load_right_bw_pct"] = 100 * side["right"] / bw
        out["load_total_bw_pct"] = 100 * total / bw
    return out


def time_in_zone(x, fs_hz: float, lo: float, hi: float) -> dict[str, float]:
    """Fraction and seconds of samples with lo <= x <= hi, and the longest unbroken stay (s).

    A missing value (NaN) counts as outside.
    """
    fs_hz = validated_rate(fs_hz)
    if not lo <= hi:
        raise WeightBearingSettingsError(f"the zone's low end {lo} is above its high end {hi}")
    values = np.asarray(x, dtype=float)
    return _dwell((values >= lo) & (values <= hi), fs_hz, "in_zone")


def time_in_circle(
    ml, ap, fs_hz: float, centre: tuple[float, float], radius: float
) -> dict[str, float]:
    """Time the point (ml, ap) stays within ``radius`` of ``centre`` (ml, ap), same units.

    Keys as ``time_in_zone``; a missing value (NaN) counts as outside.
    """
    fs_hz = validated_rate(fs_hz)
    if not radius > 0:
        raise WeightBearingSettingsError(f"the target radius must be positive, got {radius}")
    distance = np.hypot(np.asarray(ml, float) - centre[0], np.asarray(ap, float) - centre[1])
    return _dwell(distance <= radius, fs_hz, "in_zone")


def time_over_limit(
    load_n, fs_hz: float, body_weight_n: float, limit_pct: float
) -> dict[str, float]:
    """Time a load (e.g. the operated side's, from ``side_load_n``) spends above a prescribed
    limit of ``limit_pct`` % of body weight: fraction, seconds, longest episode, number of
    separate episodes, and the peak load in % of body weight."""
    fs_hz = validated_rate(fs_hz)
    bw = _body_weight(body_weight_n)
    if not 0 < limit_pct <= 100:
        raise WeightBearingSettingsError(
            f"the weight-bearing limit must be 0-100% of body weight, got {limit_pct}"
        )
    load = np.asarray(load_n, dtype=float)
    if load.size == 0:
        raise NotEnoughDataError("no load samples given")
    over = load > limit_pct / 100 * bw
    out = _dwell(over, fs_hz, "over_limit")
    out["over_limit_episodes"] = len(_runs(over)[0])
    finite = load[np.isfinite(load)]
    out["peak_load_bw_pct"] = float(100 * finite.max() / bw) if finite.size else 0.0
    return out


def single_leg_stance(total_n, fs_hz: float, body_weight_n: float) -> dict:
    """Single-leg stance time from the platform's total load, by the rule in SINGLE_LEG_RULE.

    Returns the start and touch-down times (s from the first sample; None when they did not
    happen), ``stance_time_s`` (to the end of the trace when there was no touch-down; 0 when
    the stance never became single-legged) and ``touched_down``.
    """
    fs_hz = validated_rate(fs_hz)
    bw = _body_weight(body_weight_n)
    total = np.asarray(total_n, dtype=float)
    if total.ndim != 1 or total.size == 0:
        raise NotEnoughDataError("give the total load as a 1-D array of at least one sample")
    on = np.flatnonzero(total >= SINGLE_LEG_ON_FRACTION * bw)
    if len(on) == 0:
        return {
            "single_leg_start_s": None,
            "touch_down_s": None,
            "stance_time_s": 0.0,
            "touched_down": False,
        }
    start = int(on[0])
    below = ~(total[start:] >= TOUCH_DOWN_FRACTION * bw)  # NaN (no reading) counts as below
    starts, stops = _runs(below)
    long_enough = starts[stops - starts >= math.ceil(TOUCH_DOWN_MIN_S * fs_hz - 1e-9)]
    end = start + int(long_enough[0]) if len(long_enough) else len(total)
    return {
        "single_leg_start_s": start / fs_hz,
        "touch_down_s": end / fs_hz if len(long_enough) else None,
        "stance_time_s": (end - start) / fs_hz,
        "touched_down": bool(len(long_enough)),
    }
