"""Fits that calibrate the four-cell platform from measurements, as docs/clinical.md prescribes:
per-corner tare, a least-squares gain per corner from three or more known loads, an affine COP
correction from a known mass at known positions, and a known-mass check.

Pure numpy on arrays of raw counts (corner order of ``sensing.frame.CORNERS``); forces in N,
positions in mm. Each fit reports its residuals so a technician can judge it.
"""

from dataclasses import dataclass

import numpy as np

from sensing.errors import SensingError
from sensing.frame import CORNERS

STANDARD_GRAVITY_M_S2 = 9.80665
MIN_LOADS = 3
# A sound load cell departs from a straight line by about 0.05% of its capacity; ten times that
# points at a mass off its cell, a plate that rubs, or a damaged cell.
LINEARITY_LIMIT_PCT = 0.5
MIN_COP_SPREAD_MM = 10.0  # COP positions must span at least this across their thinnest direction


class CalibrationFitError(SensingError, ValueError):
    """Calibration measurements cannot give a sound fit; the message says what to measure again."""


@dataclass(frozen=True)
class CountsSummary:
    """Per-corner mean and noise (standard deviation of single conversions) of a window, counts."""

    mean_counts: tuple[float, ...]
    noise_counts: tuple[float, ...]
    conversions: tuple[int, ...]


@dataclass(frozen=True)
class TareFit:
    """Empty-platform counts per corner (the zero of every force) and their noise, counts."""

    tare_counts: tuple[float, ...]
    noise_counts: tuple[float, ...]
    conversions: tuple[int, ...]


@dataclass(frozen=True)
class CornerGainFit:
    """One corner's gain through its tare, with the linearity residuals at each known load.

    ``residuals_n`` are measured minus known force; ``intercept_n`` is where a line with a free
    intercept crosses zero load (a large value means the tare moved or the cell bends near 0).
    """

    gain_n_per_count: float
    intercept_n: float
    loads_n: tuple[float, ...]
    residuals_n: tuple[float, ...]
    max_residual_n: float
    max_residual_pct: float
    linearity_limit_pct: float = LINEARITY_LIMIT_PCT

    @property
    def linear(self) -> bool:
        """The largest residual is within the linearity limit (% of the largest load)."""
        return self.max_residual_pct <= self.linearity_limit_pct


@dataclass(frozen=True)
class CopCorrection:
    """Affine COP correction: [ml', ap'] = matrix @ [ml, ap, 1] (mm), with the RMS distance
    from the true positions before and after it, in mm."""

    matrix: tuple[tuple[float, float, float], tuple[float, float, float]]
    rmse_before_mm: float
    rmse_after_mm: float
    positions: int


@dataclass(frozen=True)
class KnownMassCheck:
    """A known mass weighed by the platform: measured minus expected, in N, % and kg."""

    passed: bool
    measured_n: float
    expected_n: float
    error_n: float
    error_pct: float
    error_kg: float
    tolerance_pct: float


def summarise_counts(counts) -> CountsSummary:
    """Mean and noise per corner of N x 4 ``counts``; NaN marks a corner that had no fresh
    conversion in that row (the corners convert independently). Each corner needs two values."""
    c = np.asarray(counts, dtype=float)
    if c.ndim != 2 or c.shape[1] != len(CORNERS):
        raise CalibrationFitError(f"counts must be N x 4 (one column per corner), got {c.shape}")
    conversions = np.sum(np.isfinite(c), axis=0)
    for name, n in zip(CORNERS, conversions, strict=True):
        if n < 2:
            raise CalibrationFitError(
                f"{name} delivered {n} conversions: check its cable and run the selftest"
            )
    return CountsSummary(
        tuple(float(v) for v in np.nanmean(c, axis=0)),
        tuple(float(v) for v in np.nanstd(c, axis=0, ddof=1)),
        tuple(int(n) for n in conversions),
    )


def fit_tare(counts) -> TareFit:
    """The tare of each corner: the mean of N x 4 ``counts`` taken with the platform empty."""
    s = summarise_counts(counts)
    return TareFit(s.mean_counts, s.noise_counts, s.conversions)


def fit_corner_gain(
    loads_n, counts, tare_counts: float, linearity_limit_pct: float = LINEARITY_LIMIT_PCT
) -> CornerGainFit:
    """Least-squares gain of one corner from mean ``counts`` at three or more distinct known
    ``loads_n`` placed over its cell: counts - tare = k * F, gain = 1 / k N per count.

    The line goes through the tare, the zero the station reads with, measured on the empty
    platform from many conversions; a free intercept would hide a tare shift or a bend in an
    offset, so it is only reported (``intercept_n``).
    """
    loads = np.asarray(loads_n, dtype=float)
    d = np.asarray(counts, dtype=float) - tare_counts
    if loads.ndim != 1 or loads.shape != d.shape:
        raise CalibrationFitError(
            f"need one mean count per load: {loads.shape} loads, {d.shape} counts"
        )
    if not (np.all(np.isfinite(loads)) and np.all(np.isfinite(d))):
        raise CalibrationFitError("loads and counts must be finite numbers")
    if np.any(loads <= 0):
        raise CalibrationFitError("every known load must be positive (0 N is the tare)")
    distinct = len(np.unique(loads))
    if distinct < MIN_LOADS:
        raise CalibrationFitError(
            f"{distinct} distinct loads: a gain and its linearity need at least {MIN_LOADS}"
        )
    k = float(loads @ d / (loads @ loads))
    k_free, b_free = np.polyfit(loads, d, 1)
    if not k > 0 or not k_free > 0:
        raise CalibrationFitError(
            "the counts did not rise with the load: check that the mass sits over this cell "
            "and that the cell's signal wires (A+ and A-) are not swapped"
        )
    gain = 1.0 / k
    residuals = gain * d - loads
    max_residual = float(np.max(np.abs(residuals)))
    return CornerGainFit(
        gain_n_per_count=gain,
        intercept_n=float(b_free / k_free),
        loads_n=tuple(float(v) for v in loads),
        residuals_n=tuple(float(v) for v in residuals),
        max_residual_n=max_residual,
        max_residual_pct=100.0 * max_residual / float(loads.max()),
        linearity_limit_pct=linearity_limit_pct,
    )


def fit_gains(loads_n, counts, tare_counts) -> tuple[CornerGainFit, ...]:
    """``fit_corner_gain`` for each corner: ``loads_n[i]`` and ``counts[i]`` are corner i's known
    loads and its mean counts under them; errors name the corner."""
    if not len(loads_n) == len(counts) == len(tare_counts) == len(CORNERS):
        raise CalibrationFitError("need loads, counts and a tare for each of the four corners")
    fits = []
    for name, loads, c, tare in zip(CORNERS, loads_n, counts, tare_counts, strict=True):
        try:
            fits.append(fit_corner_gain(loads, c, tare))
        except CalibrationFitError as exc:
            raise CalibrationFitError(f"{name}: {exc}") from None
    return tuple(fits)


def fit_cop_correction(measured_ml_ap_mm, true_ml_ap_mm) -> CopCorrection:
    """Least-squares affine map from measured to true COP, from a known mass at three or more
    positions not on one line (with exactly three the map fits them exactly)."""
    measured = np.asarray(measured_ml_ap_mm, dtype=float)
    true = np.asarray(true_ml_ap_mm, dtype=float)
    if measured.ndim != 2 or measured.shape[1] != 2 or measured.shape != true.shape:
        raise CalibrationFitError(
            f"need K x 2 measured and true (ML, AP) positions, got {measured.shape} and "
            f"{true.shape}"
        )
    if not (np.all(np.isfinite(measured)) and np.all(np.isfinite(true))):
        raise CalibrationFitError("COP positions must be finite (was the mass on the platform?)")
    k = len(measured)
    if k < 3:
        raise CalibrationFitError(f"{k} COP positions: an affine correction needs at least 3")
    spread = np.linalg.svd(measured - measured.mean(axis=0), compute_uv=False)
    thinnest_mm = float(spread[-1] / np.sqrt(k))
    if thinnest_mm < MIN_COP_SPREAD_MM:
        raise CalibrationFitError(
            f"the COP positions lie on one line (they span {thinnest_mm:.1f} mm across it): "
            "place the mass at positions around the centre, e.g. the corners of a triangle"
        )
    design = np.column_stack([measured, np.ones(k)])
    coef, *_ = np.linalg.lstsq(design, true, rcond=None)
    matrix = coef.T
    after = design @ coef
    return CopCorrection(
        matrix=tuple(tuple(float(v) for v in row) for row in matrix),
        rmse_before_mm=_rms_distance(measured, true),
        rmse_after_mm=_rms_distance(after, true),
        positions=k,
    )


def _rms_distance(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.sum((a - b) ** 2, axis=1))))


def apply_cop_correction(matrix, ml_mm, ap_mm) -> tuple:
    """Corrected (ML, AP) in mm for a 2 x 3 ``matrix`` (``CopCorrection.matrix``); scalars or
    arrays in, the same out."""
    m = np.asarray(matrix, dtype=float)
    if m.shape != (2, 3):
        raise CalibrationFitError(f"a COP correction is a 2 x 3 matrix, got {m.shape}")
    ml, ap = np.asarray(ml_mm, dtype=float), np.asarray(ap_mm, dtype=float)
    out_ml = m[0, 0] * ml + m[0, 1] * ap + m[0, 2]
    out_ap = m[1, 0] * ml + m[1, 1] * ap + m[1, 2]
    if out_ml.ndim == 0:
        return float(out_ml), float(out_ap)
    return out_ml, out_ap


def check_known_mass(measured_n: float, expected_n: float, tolerance_pct: float = 1.0):
    """Pass when the platform weighs a known load within ``tolerance_pct`` of ``expected_n``."""
    if not expected_n > 0:
        raise CalibrationFitError(f"the known load must be positive, got {expected_n} N")
    error = float(measured_n) - float(expected_n)
    error_pct = 100.0 * error / expected_n
    return KnownMassCheck(
        passed=bool(abs(error_pct) <= tolerance_pct),
        measured_n=float(measured_n),
        expected_n=float(expected_n),
        error_n=error,
        error_pct=error_pct,
        error_kg=error / STANDARD_GRAVITY_M_S2,
        tolerance_pct=tolerance_pct,
    )
