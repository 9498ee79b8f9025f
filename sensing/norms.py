"""Published reference values: normative bands, cut-offs and minimal detectable changes, as
data, each with its source (docs/clinical.md holds the full references and how each figure was
checked: [V] read in the source, [V-2°] read in a secondary source quoting it).

Sway while standing still: Santos DA, Duarte M. "A public data set of human balance
evaluations." PeerJ 4:e2648 (2016), doi:10.7717/peerj.2648, CC BY 4.0. Medians and 10-90%
ranges over the data set's 1930 trials of 60 s standing still, by age group and condition (eyes
open or closed, firm ground or foam). The authors' COP was low-pass filtered at 10 Hz before the
published values were computed on it, with the 95% prediction ellipse and velocity = path length
/ (N / fs): a station result is comparable only when scored under that processing
(``CONVENTIONS``). Age groups are the data set's: young under 60 years, old from 60; it holds
adults only, so no band applies under 18. The sensory ratios (eyes closed over open on firm
ground, the Romberg quotient, and foam over firm with eyes open) are our own computation from
the same data set's per-trial published values: per subject the median of three trials, then the
median and 10-90% range over subjects.

Single-leg stance: Springer BA et al. J Geriatr Phys Ther 2007;30(1):8-15 (n = 549 healthy
adults; best of three trials of up to 45 s, arms crossed) as quoted by secondary sources [V-2°]:
the paper's table itself could not be read. Eyes open: the sexes pooled; eyes closed: by sex
(the paper found no effect of sex). The 5 s cut-off: Vellas BJ et al. J Am Geriatr Soc
1997;45:735-8 [V]: older people who could not stand 5 s on one leg had twice the risk of an
injurious fall.

Minimal detectable changes (MDC95 = 1.96 x sqrt(2) x SEM) from test-retest studies, each with
its population: a change smaller than this is within measurement error. Some are published as a
share of the mean (``relative``): the change is then judged against that share of the first
value.
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

PUBLISHED_FILTER = {"kind": "butterworth_lowpass_zero_lag", "order": 2, "cutoff_hz": 10.0}
"""The authors' processing of the data set's COP: a Butterworth low-pass at 10 Hz run forward
and backward (design order 2, fourth order in effect), as their data description states; the
published values were then computed on that COP with no further filter."""

CONVENTIONS = {"ellipse": "prediction", "filter": PUBLISHED_FILTER, "resample_hz": None}
"""The analysis options (``conventions.options`` of a result) that reproduce the published
processing: a station trial scored under them is comparable with the bands; its raw COP (or the
data set's already filtered COP analysed with ``filter`` None) is not filtered twice by design."""


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


@dataclass(frozen=True)
class Mdc:
    """A minimal detectable change: ``value`` in the measure's unit, or, when ``relative``, a
    share (%) of the first value; ``source`` names the study and its population. ``eyes`` and
    ``surface`` are the condition the study measured (None: any): a result in another has no
    MDC from it, since measurement noise differs with the condition (an eyes-open MDC of
    single-leg time is larger than the whole eyes-closed range)."""

    value: float
    relative: bool
    source: str
    eyes: str | None = None
    surface: str | None = None

    def of(self, first: float) -> float:
        """The smallest real change from ``first``, in the measure's unit."""
        return abs(first) * self.value / 100 if self.relative else self.value

    def applies(self, eyes: str | None, surface: str | None) -> bool:
        """Whether the study measured results with these eyes and on this surface."""
        return self.eyes in (None, eyes) and self.surface in (None, surface)


_SUTTANON = (
    "Suttanon P et al. Int Psychogeriatr 2011;23:1152-9 (14 people with Alzheimer's disease, "
    "NeuroCom; as quoted by Trautwein et al. 2019) [V-2°]"
)
MINIMAL_DETECTABLE_CHANGE: dict[tuple[str, str], Mdc] = {
    ("single-leg-stance", "best_stance_time_s"): Mdc(
        24.1,
        False,
        "Goldberg A et al. Gait Posture 2011;33:737-9 (25 adults aged 60-89): SEM 8.7 s [V-2°]",
        eyes="open",  # its mean, 21.3 s (SEM 40.8% of it), is an eyes-open time at 60-89
    ),
    ("quiet-stance", "velocity_mean_cm_s"): Mdc(
        65.0,
        True,
        "Riemann BL, Piersol K. Aging Clin Exp Res 2017;29:1045-8 (30 adults over 65, 45 s "
        "trials): SEM up to 23.6% of the mean [V]",
        surface="firm",  # eyes open and closed, on a firm surface only
    ),
    ("mctsib", "composite_velocity_cm_s"): Mdc(36.5, True, _SUTTANON),
    ("limits-of-stability", "reaction_time_s"): Mdc(38.0, True, _SUTTANON),
    ("limits-of-stability", "movement_velocity_deg_s"): Mdc(38.9, True, _SUTTANON),
    ("limits-of-stability", "max_excursion_pct"): Mdc(15.9, True, _SUTTANON),
    ("limits-of-stability", "directional_control_pct"): Mdc(21.8, True, _SUTTANON),
    ("bess", "total_errors"): Mdc(
        7.3,
        False,
        "Hansen C et al. (373 healthy children aged 5-14, PMC4955616): test-retest MDC95 7.3 "
        "errors; between raters 9.6 [V]. No adult test-retest value could be verified",
    ),
}
"""(drill, measure) -> its MDC95; a measure without one is reported as "no MDC known"."""


def mdc_for(drill: str, metric: str) -> Mdc | None:
    """The minimal detectable change of ``metric`` of ``drill``, or None when none is known."""
    return MINIMAL_DETECTABLE_CHANGE.get((drill, metric))


SENSORY_RATIOS: dict[tuple[str, str], Band] = {
    ("young", "romberg_ratio"): Band(0.94, 1.10, 1.32),
    ("young", "foam_ratio"): Band(2.09, 2.83, 3.63),
    ("old", "romberg_ratio"): Band(0.85, 1.03, 1.34),
    ("old", "foam_ratio"): Band(2.46, 3.27, 4.67),
}
"""(age group, ratio) -> band over subjects of the sway-speed ratios: eyes closed / eyes open
on firm ground (``romberg_ratio``) and foam / firm with eyes open (``foam_ratio``)."""

SINGLE_LEG_SOURCE = (
    "Springer BA et al. Normative values for the unipedal stance test with eyes open and "
    "closed. J Geriatr Phys Ther 2007;30(1):8-15 (best of three trials of up to 45 s), as "
    "quoted by secondary sources; Vellas BJ et al. J Am Geriatr Soc 1997;45:735-8 for the 5 s "
    "cut-off"
)
SINGLE_LEG_AGE_BANDS = ((18, 39), (40, 49), (50, 59), (60, 69), (70, 79), (80, 120))
SINGLE_LEG_BEST_EYES_OPEN_S = (44.7, 41.9, 41.2, 32.1, 21.5, 9.4)
"""Mean best-of-three single-leg stance time, eyes open, both sexes, per SINGLE_LEG_AGE_BANDS."""
SINGLE_LEG_BEST_EYES_CLOSED_S = {
    "female": (13.1, 13.5, 7.9, 3.6, 3.7, 2.1),
    "male": (16.9, 12.0, 8.6, 5.1, 2.6, 1.8),
}
"""Mean best-of-three single-leg stance time, eyes closed, by sex, per SINGLE_LEG_AGE_BANDS."""
SINGLE_LEG_FALL_RISK_S = 5.0
"""Older people who cannot stand 5 s on one leg have twice the risk of an injurious fall."""


STEADI_SOURCE = (
    "Centers for Disease Control and Prevention (CDC). STEADI: The 4-Stage Balance Test ("
    "assessment form, National Center for Injury Prevention and Control); Vellas BJ et al. J "
    "Am Geriatr Soc 1997;45:735-8 for 5 s on one leg"
)
STEADI_TANDEM_S = 10.0
"""The CDC's cut-off: an older adult who cannot hold tandem stance for 10 s is at increased
risk of falling."""
STEADI_FROM_AGE_YEARS = 65
"""The STEADI initiative screens adults aged 65 and over; its cut-off is theirs."""


def single_leg_norm(age_years: float | None, eyes: str, sex: str | None) -> dict | None:
    """The published mean best-of-three time for the age (18 and over) and eyes (``open`` or
    ``closed``; closed needs ``sex``): ``{"age_band", "mean_best_s"}``, or None when none
    applies."""
    index = next(
        (
            i
            for i, (low, high) in enumerate(SINGLE_LEG_AGE_BANDS)
            if low <= (age_years or -1) <= high
        ),
        None,
    )
    if index is None:
        return None
    low, high = SINGLE_LEG_AGE_BANDS[index]
    i = index
    if eyes == "open":
        mean = SINGLE_LEG_BEST_EYES_OPEN_S[i]
    elif eyes == "closed" and sex in SINGLE_LEG_BEST_EYES_CLOSED_S:
        mean = SINGLE_LEG_BEST_EYES_CLOSED_S[sex][i]
    else:
        return None
    band = f"{low}+" if high >= 120 else f"{low}-{high}"
    return {"age_band": band, "mean_best_s": mean}


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
