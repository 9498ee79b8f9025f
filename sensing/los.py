"""Limits of stability (LOS): measures of one deliberate lean toward a target after a go cue.

Leans are sway angles about the ankles in degrees, (ML, AP) with ML positive to the patient's
right and AP positive forward, measured from the patient's neutral upright position (where the
targets are measured from). They are leans of the centre of gravity (COG), as NeuroCom and Biodex
score them: from a COP trace, ``sway_angle_deg(cog_cm - neutral_cm, cog_height_cm(height_cm))``
with ``cog_cm`` from ``sensing.cog.cog_from_cop``. The raw COP is not the lean: it moves the
other way first (the anticipatory postural adjustment that starts the body moving) and swings
past the COG at the end of every lean to brake it.

Per direction (``los_direction``), with p the lean along the line to the target and q across it,
the target at a share of the theoretical limit in that direction (``limit_deg``):

- reaction time: go cue to movement onset, the moment p last rises through the onset level
  (above its pre-cue level) before going on to MOVING_FRACTION of the target distance; the
  onset level is ONSET_FRACTION of the target distance, or ONSET_SWAY_SDS standard deviations
  of p over the SWAY_WINDOW_S before the cue when the patient sways more than that (so the sway
  of a frail patient does not start the clock); a lean
  that never reaches MOVING_FRACTION is no movement (all but the maximum excursion are None). An
  onset less than ANTICIPATION_S after the cue (or before it) is an anticipation, not a
  reaction: ``anticipated`` is True and the reaction time None;
- primary movement (the first attempt): from onset until p first stops increasing (velocity
  <= 0) after reaching MOVING_FRACTION; its largest p is the endpoint;
- movement velocity: 0.9 * A / (t95 - t05) in deg/s, where A is the endpoint's rise above the
  pre-cue level and t05, t95 the moments p rose through 5% and 95% of A (NeuroCom's "between
  5% and 95% of the distance to the endpoint");
- endpoint and maximum excursion: the endpoint, and the largest p from the cue to the end of
  the trace, in % of the theoretical limit in the target's direction (100% is the limit, not
  the target);
- directional control: 100 * (toward - extraneous) / toward over the primary movement (from the
  sample before onset), where toward sums the steps along the line toward the target and
  extraneous the steps back along it plus all steps across it; 100% is a straight line to the
  target, and it falls below 0 when the extraneous movement exceeds the useful one.

Times are interpolated linearly between samples.
"""

import math

import numpy as np

from sensing.errors import NotEnoughDataError, SensingError
from sensing.filters import zero_lag_lowpass
from sensing.metrics import validated_rate

COG_HEIGHT_FRACTION = 0.55
"""Centre-of-gravity height over body height, as Biodex takes it (docs/clinical.md)."""

LOS_LIMITS_DEG = {"forward": 8.0, "backward": 4.5, "sideways": 8.0}
"""Theoretical limits of sway about the ankles (docs/clinical.md)."""

DIRECTIONS = {
    "F": (0, 1),
    "FR": (1, 1),
    "R": (1, 0),
    "BR": (1, -1),
    "B": (0, -1),
    "BL": (-1, -1),
    "L": (-1, 0),
    "FL": (-1, 1),
}
"""The eight LOS targets as (ML, AP) signs: forward, forward-right, ... forward-left."""

BASELINE_S = 0.5
"""The pre-cue lean level is the mean over this long before the cue."""

ONSET_FRACTION = 0.05
"""Onset threshold: 5% of the target distance above the pre-cue level (0.4 deg for an 8 deg
target, about 0.65 cm of COP for a 1.70 m patient): clear of quiet-stance jitter of the COG."""

ONSET_SWAY_SDS = 3.0
"""... or three standard deviations of the lean about its trend over the second before the cue,
whichever is larger: a movement is what the patient's own sway does not reach."""

SWAY_WINDOW_S = 1.0
"""The sway the onset level allows for is measured over this long before the cue."""

MOVING_FRACTION = 0.25
"""A lean counts as the intentional movement once it reaches 25% of the target distance;
quiet sway never does, so its wobbles before the real movement do not start the clock."""

ANTICIPATION_S = 0.1
"""An onset sooner than this after the go cue is an anticipation, not a reaction to it: no one
reacts to a light in under 100 ms (the false-start rule of sprint starts; docs/clinical.md,
"Reaction time and anticipation")."""

SMOOTHING_HZ = 5.0
"""Zero-lag low-pass (order 2) for leans taken from the raw COP (the rhythmic drill's); a COG
lean is already smooth and is scored as it is."""


class LosSettingsError(SensingError, ValueError):
    """A limits-of-stability measure got an impossible input: the message names it."""


def cog_height_cm(body_height_cm: float) -> float:
    """Centre-of-gravity height in cm: COG_HEIGHT_FRACTION of body height."""
    if not (np.isfinite(body_height_cm) and body_height_cm > 0):
        raise LosSettingsError(f"body height must be a positive number of cm, got {body_height_cm}")
    return COG_HEIGHT_FRACTION * float(body_height_cm)


def sway_angle_deg(excursion_cm, cog_height_cm: float) -> np.ndarray:
    """Sway angle in degrees, atan(excursion / COG height), of a COP excursion in cm from the
    neutral position (per axis, element by element)."""
    if not (np.isfinite(cog_height_cm) and cog_height_cm > 0):
        raise LosSettingsError(f"COG height must be a positive number of cm, got {cog_height_cm}")
    return np.degrees(np.arctan(np.asarray(excursion_cm, dtype=float) / cog_height_cm))


def los_target_deg(direction: str, percent: float = 100.0) -> tuple[float, float]:
    """(ML, AP) lean in degrees of a target at ``percent`` of the theoretical limit.

    Diagonal targets lie at 45 deg on the ellipse through the four limits (8 deg forward and
    to each side, 4.5 deg back), so forward-right is at 8 deg and back-right at about 5.5 deg.
    """
    if direction not in DIRECTIONS:
        raise LosSettingsError(
            f"unknown LOS direction {direction!r}: choose one of {', '.join(DIRECTIONS)}"
        )
    if not 0 < percent <= 150:
        raise LosSettingsError(f"the target must be 0-150% of the limit, got {percent}")
    sx, sy = DIRECTIONS[direction]
    limit_ap = LOS_LIMITS_DEG["forward"] if sy >= 0 else LOS_LIMITS_DEG["backward"]
    ux, uy = sx / math.hypot(sx, sy), sy / math.hypot(sx, sy)
    radius = 1 / math.hypot(ux / LOS_LIMITS_DEG["sideways"], uy / limit_ap)
    return (percent / 100 * radius * ux, percent / 100 * radius * uy)


def onset_level(pre_cue, floor: float) -> float:
    """The rise that counts as movement onset: ``floor``, or ONSET_SWAY_SDS standard
    deviations of ``pre_cue`` (the same signal over SWAY_WINDOW_S before the cue, less its
    straight-line trend: sway, not the end of a return to the middle) if larger."""
    values = np.asarray(pre_cue, dtype=float)
    if values.size < 3:
        return floor
    x = np.arange(values.size)
    residual = values - np.polyval(np.polyfit(x, values, 1), x)
    return max(floor, ONSET_SWAY_SDS * float(np.std(residual)))


def _rise_s(x: np.ndarray, level: float, first: int, stop: int, fs_hz: float) -> float:
    """Time (s) at which ``x`` last rose through ``level`` between samples ``first`` and ``stop``
    (where it is at or above it), linearly interpolated; ``first`` if it never was below."""
    below = np.flatnonzero(x[first:stop] < level)
    if below.size == 0:
        return first / fs_hz
    j = first + int(below[-1])
    return (j + (level - x[j]) / (x[j + 1] - x[j])) / fs_hz


def _projected(
    ml_deg, ap_deg, target_deg, fs_hz: float, smoothing_hz: float | None
) -> tuple[np.ndarray, np.ndarray, float]:
    """The (smoothed) lean along and across the line to the target, and the target distance."""
    ml, ap = np.asarray(ml_deg, dtype=float), np.asarray(ap_deg, dtype=float)
    if ml.shape != ap.shape or ml.ndim != 1:
        raise NotEnoughDataError("ML and AP leans must be 1-D arrays of the same length")
    lean = np.vstack([ml, ap])
    if not np.all(np.isfinite(lean)):
        raise NotEnoughDataError("the lean trace has gaps (the patient left the platform)")
    target = np.asarray(target_deg, dtype=float)
    distance_deg = float(np.hypot(*target)) if target.shape == (2,) else 0.0
    if not distance_deg > 0:
        raise LosSettingsError(f"the target must be a non-zero (ML, AP) lean, got {target_deg}")
    if smoothing_hz is not None:
        lean = zero_lag_lowpass(lean, fs_hz, smoothing_hz, order=2)
    unit = target / distance_deg
    return unit @ lean, np.array([-unit[1], unit[0]]) @ lean, distance_deg


def los_direction(
    ml_deg,
    ap_deg,
    fs_hz: float,
    *,
    go_cue_s: float,
    target_deg: tuple[float, float],
    limit_deg: tuple[float, float],
    smoothing_hz: float | None = None,
) -> dict:
    """LOS measures of one direction (see the module docstring for each definition).

    ``ml_deg``, ``ap_deg``: COG lean from neutral, sample i at i / fs s; ``go_cue_s``: the go
    cue in the same time; ``target_deg``: (ML, AP) target lean, e.g. ``los_target_deg("FR",
    75)``; ``limit_deg``: the theoretical limit in its direction (``los_target_deg("FR")``), the
    100% of the excursions; ``smoothing_hz``: a zero-lag low-pass applied first (None for
    none). Times in the result count from the first sample.
    """
    fs_hz = validated_rate(fs_hz)
    along, across, distance_deg = _projected(ml_deg, ap_deg, target_deg, fs_hz, smoothing_hz)
    limit = np.asarray(limit_deg, dtype=float)
    limit_distance_deg = float(np.hypot(*limit)) if limit.shape == (2,) else 0.0
    if not limit_distance_deg > 0:
        raise LosSettingsError(f"the limit must be a non-zero (ML, AP) lean, got {limit_deg}")
    n = len(along)
    cue = math.ceil(go_cue_s * fs_hz - 1e-9)
    if not 0 <= cue < n:
        raise LosSettingsError(
            f"the go cue at {go_cue_s} s is outside the trace (0 to {(n - 1) / fs_hz:g} s)"
        )
    before = along[max(0, cue - round(BASELINE_S * fs_hz)) : cue]
    rise = along - (before.mean() if before.size else along[cue])
    level = onset_level(
        along[max(0, cue - round(SWAY_WINDOW_S * fs_hz)) : cue], ONSET_FRACTION * distance_deg
    )
    out = {
        "moved": False,
        "anticipated": False,
        "movement_onset_s": None,
        "endpoint_s": None,
        "reaction_time_s": None,
        "movement_velocity_deg_s": None,
        "endpoint_excursion_pct": None,
        "max_excursion_pct": float(100 * along[cue:].max() / limit_distance_deg),
        "directional_control_pct": None,
    }
    reached = np.flatnonzero(rise[cue:] >= MOVING_FRACTION * distance_deg)
    if reached.size == 0:
        return out
    moving = cue + int(reached[0])
    onset_s = max(go_cue_s, _rise_s(rise, level, cue, moving, fs_hz))
    onset = min(math.ceil(onset_s * fs_hz - 1e-9), moving)
    velocity = np.gradient(along, 1 / fs_hz)
    stopped = np.flatnonzero(velocity[moving:] <= 0)
    end = moving + int(stopped[0]) if stopped.size else n - 1
    peak = onset + int(np.argmax(along[onset : end + 1]))
    amplitude = rise[peak]
    near_peak = onset + int(np.flatnonzero(rise[onset : peak + 1] >= 0.95 * amplitude)[0])
    t05 = _rise_s(rise, 0.05 * amplitude, cue, near_peak, fs_hz)
    t95 = _rise_s(rise, 0.95 * amplitude, onset, near_peak, fs_hz)
    start = max(onset - 1, 0)
    steps_along = np.diff(along[start : end + 1])
    toward = float(np.clip(steps_along, 0, None).sum())
    extraneous = float(
        np.clip(-steps_along, 0, None).sum() + np.abs(np.diff(across[start : end + 1])).sum()
    )
    anticipated = bool(onset_s - go_cue_s < ANTICIPATION_S - 1e-9)
    out.update(
        {
            "moved": True,
            "anticipated": anticipated,
            "movement_onset_s": onset_s,
            "endpoint_s": peak / fs_hz,
            "reaction_time_s": None if anticipated else onset_s - go_cue_s,
            # at least one sample period apart, for a lean that crossed 5-95% within one
            "movement_velocity_deg_s": 0.9 * amplitude / max(t95 - t05, 1 / fs_hz),
            "endpoint_excursion_pct": float(100 * along[peak] / limit_distance_deg),
            "directional_control_pct": 100 * (toward - extraneous) / toward,
        }
    )
    return out
