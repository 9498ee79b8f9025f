"""Published reference values for quiet-stance sway: normative bands and minimal detectable
changes, as data.

Normative bands: Santos DA, Duarte M. "A public data set of human balance evaluations." PeerJ
4:e2648 (2016), doi:10.7717/peerj.2648, CC BY 4.0. Medians and 10-90% ranges over the data
set's 1930 trials of 60 s standing still, by age group and condition (eyes open or closed, firm
ground or foam), as quoted in the project's clinical notes (docs/clinical.md, "Reference data").
The authors computed them on the raw COP (which they had low-pass filtered at 10 Hz), with the
95% prediction ellipse and velocity = path length / (N / fs): a station result is comparable
only when scored under those conventions. Age groups are the data set's: young under 60 years,
old from 60; it holds adults only, so no band applies under 18.

Minimal detectable changes: the station's clinical references give none for any test it runs,
so ``MINIMAL_DETECTABLE_CHANGE`` is empty and progress is reported as "no MDC known". A value
goes in only with its published source named beside it.
"""

import math
from dataclasses import dataclass

SOURCE = (
    "Santos DA, Duarte M. A public data set of human balance evaluations. PeerJ 4:e2648 (2016), "
    "doi:10.7717/peerj.2648, CC BY 4.0"
)
SOURCE_SHORT = "Santos & Duarte 2016 (PeerJ 4:e2648, CC BY 4.0)"

OLD_FROM_AGE_YEARS = 60
ADULT_FROM_AGE_YEARS = 18
TRIAL_DURATION_S = 60.0
"""Length of the published trials; a longer or shorter recording shifts the ellipse area."""

CONVENTIONS = {"ellipse": "prediction", "filter": None, "resample_hz": None}
"""The analysis options (``conventions.options`` of a result) the published values used."""


@dataclass(frozen=True)
class Band:
    """The 10th percentile, median and 90th percentile of a measure in a reference group."""

    p10: float
    median: float
    p90: float


NORMS: dict[tuple[str, str, str], dict[str, Band]] = {
    ("young", "open", "firm"): {
        "area_ellipse95_cm2": Band(0.8, 2.0, 4.4),
        "velocity_mean_cm_s": Band(0.56, 0.80, 1.32),
    },
    ("young", "closed", "firm"): {
        "area_ellipse95_cm2": Band(0.9, 2.1, 5.9),
        "velocity_mean_cm_s": Band(0.61, 0.83, 1.49),
    },
    ("young", "open", "foam"): {
        "area_ellipse95_cm2": Band(6.3, 11.5, 21.5),
        "velocity_mean_cm_s": Band(1.71, 2.23, 3.10),
    },
    ("young", "closed", "foam"): {
        "area_ellipse95_cm2": Band(8.0, 13.3, 25.1),
        "velocity_mean_cm_s": Band(2.12, 2.94, 4.12),
    },
    ("old", "open", "firm"): {
        "area_ellipse95_cm2": Band(1.0, 2.2, 4.8),
        "velocity_mean_cm_s": Band(0.71, 1.01, 1.77),
    },
    ("old", "closed", "firm"): {
        "area_ellipse95_cm2": Band(0.9, 2.2, 4.8),
        "velocity_mean_cm_s": Band(0.73, 1.10, 1.87),
    },
    ("old", "open", "foam"): {
        "area_ellipse95_cm2": Band(11.7, 18.9, 30.8),
        "velocity_mean_cm_s": Band(2.71, 3.54, 4.65),
    },
    ("old", "closed", "foam"): {
        "area_ellipse95_cm2": Band(14.4, 23.3, 42.9),
        "velocity_mean_cm_s": Band(3.20, 4.15, 5.79),
    },
}
"""(age group, eyes, surface) -> metric key -> band (ellipse area cm², mean velocity cm/s)."""

MINIMAL_DETECTABLE_CHANGE: dict[str, float] = {}
"""Metric key -> smallest change (in the metric's unit) beyond measurement noise, with its
source in a comment; empty: the station's clinical references give no MDC for its tests."""


def age_group(age_years: float | None) -> str | None:
    """``"young"`` (18-59 years), ``"old"`` (60 and over), or None (no age, or under 18)."""
    if age_years is None or age_years < ADULT_FROM_AGE_YEARS:
        return None
    return "old" if age_years >= OLD_FROM_AGE_YEARS else "young"


def band_for(group: str, eyes: str, surface: str, metric: str) -> Band | None:
    """The published band of ``metric`` for the group and condition, or None if there is none."""
    return NORMS.get((group, eyes, surface), {}).get(metric)


def band_position(value: float, band: Band) -> str | None:
    """Where ``value`` lies against the 10-90% band: ``"below"``, ``"within"`` or ``"above"``
    (the limits themselves count as within); None for a value that is not a finite number."""
    if not math.isfinite(value):
        return None
    if value < band.p10:
        return "below"
    return "above" if value > band.p90 else "within"
