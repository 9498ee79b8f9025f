"""Calibration fits on hand-computed and exact synthetic data: tare, gains, COP correction,
known-mass check, and the refusals that tell a technician what to measure again."""

import math

import numpy as np
import pytest

from sensing.calibration_fit import (
    LINEARITY_LIMIT_PCT,
    STANDARD_GRAVITY_M_S2,
    CalibrationFitError,
    apply_cop_correction,
    check_known_mass,
    fit_cop_correction,
    fit_corner_gain,
    fit_gains,
    fit_tare,
    summarise_counts,
)
from sensing.errors import SensingError

G = STANDARD_GRAVITY_M_S2
LOADS_N = np.array([5.0, 10.0, 20.0]) * G


def test_tare_is_the_mean_and_noise_the_sample_std_of_each_corner():
    counts = [[100, 200, 300, 400], [102, 200, 296, 410], [104, 200, 300, 400]]
    tare = fit_tare(counts)
    assert tare.tare_counts == (102.0, 200.0, 298.6666666666667, 403.3333333333333)
    assert tare.noise_counts[:3] == (2.0, 0.0, pytest.approx(math.sqrt(16 / 3)))
    assert tare.conversions == (3, 3, 3, 3)


def test_missing_conversions_are_nan_and_a_silent_corner_is_named():
    nan = math.nan
    summary = summarise_counts([[1, 5, 9, 0], [3, nan, 11, 0], [nan, 7, nan, 0]])
    assert summary.mean_counts == (2.0, 6.0, 10.0, 0.0)
    assert summary.conversions == (2, 2, 2, 3)
    with pytest.raises(CalibrationFitError, match="back-left delivered 1 conversions"):
        fit_tare([[1, 5, 9, 0], [3, 6, nan, 0]])
    with pytest.raises(CalibrationFitError, match="N x 4"):
        fit_tare([[1, 2, 3]])


def test_exact_gain_is_recovered_through_the_tare():
    tare, counts_per_n = 3120.0, 4432.7
    fit = fit_corner_gain(LOADS_N, tare + counts_per_n * LOADS_N, tare)
    assert fit.gain_n_per_count == pytest.approx(1 / counts_per_n, rel=1e-12)
    assert fit.max_residual_n == pytest.approx(0.0, abs=1e-9)
    assert fit.intercept_n == pytest.approx(0.0, abs=1e-9)
    assert fit.linear and fit.loads_n == tuple(LOADS_N)


def test_noisy_gain_and_residuals_by_hand():
    # counts - tare = (10, 21, 29) at 1, 2, 3 N: k = (10 + 42 + 87) / 14 = 139/14 counts/N
    fit = fit_corner_gain([1.0, 2.0, 3.0], [110.0, 121.0, 129.0], 100.0)
    assert fit.gain_n_per_count == pytest.approx(14 / 139)
    # residual = gain * counts - load = (140 - 139, 294 - 278, 406 - 417) / 139
    np.testing.assert_allclose(fit.residuals_n, [1 / 139, 16 / 139, -11 / 139])
    assert fit.max_residual_n == pytest.approx(16 / 139)
    assert fit.max_residual_pct == pytest.approx(100 * 16 / 139 / 3)
    # free line: slope 19/2, intercept 20 - 2 * 19/2 = 1 count, i.e. 1 / 9.5 N
    assert fit.intercept_n == pytest.approx(1 / 9.5)
    assert not fit.linear  # 3.8% of the largest load


def test_a_non_linear_cell_is_flagged_by_its_residual():
    # the cell reads 2% high at full load, bending quadratically from 0
    counts = 4000 * LOADS_N * (1 + 0.02 * (LOADS_N / LOADS_N.max()) ** 2)
    fit = fit_corner_gain(LOADS_N, counts, 0.0)
    assert LINEARITY_LIMIT_PCT < fit.max_residual_pct < 1.0
    assert not fit.linear
    lenient = fit_corner_gain(LOADS_N, counts, 0.0, linearity_limit_pct=1.0)
    assert lenient.linear


@pytest.mark.parametrize(
    ("loads", "counts", "match"),
    [
        ([49.0, 49.0, 98.0], [1e5, 1e5, 2e5], "2 distinct loads: .* at least 3"),
        ([49.0, 98.0], [1e5, 2e5], "2 distinct loads"),
        ([0.0, 49.0, 98.0], [0.0, 1e5, 2e5], "must be positive"),
        ([49.0, 98.0, 196.0], [-1e5, -2e5, -4e5], "did not rise .*A\\+ and A-.* swapped"),
        ([49.0, 98.0, 196.0], [5.0, 5.0, 5.0], "did not rise"),
        ([49.0, 98.0, 196.0], [1e5, 2e5], "one mean count per load"),
        ([49.0, 98.0, math.nan], [1e5, 2e5, 4e5], "finite"),
    ],
)
def test_degenerate_gain_data_is_refused(loads, counts, match):
    with pytest.raises(CalibrationFitError, match=match) as info:
        fit_corner_gain(loads, counts, 0.0)
    assert isinstance(info.value, SensingError) and isinstance(info.value, ValueError)


def test_all_four_gains_and_errors_naming_the_corner():
    tares, cpn = (3120.0, -1845.0, 2470.0, -4215.0), (4400.0, 4300.0, 4470.0, 4350.0)
    counts = [t + c * LOADS_N for t, c in zip(tares, cpn, strict=True)]
    fits = fit_gains([LOADS_N] * 4, counts, tares)
    np.testing.assert_allclose([f.gain_n_per_count for f in fits], 1 / np.array(cpn), rtol=1e-12)
    counts[2] = np.full(3, 2470.0)
    with pytest.raises(CalibrationFitError, match=r"^back-left: the counts did not rise"):
        fit_gains([LOADS_N] * 4, counts, tares)


TRUE_MM = np.array([(0, 0), (-100, 75), (100, 75), (-100, -75), (100, -75)], dtype=float)


def distort(points):
    """A platform that reads 3% wide, 2% short, slightly sheared and 4 mm off to the right."""
    m = np.array([[1.03, 0.01, 4.0], [-0.02, 0.98, -1.5]])
    return points @ m[:, :2].T + m[:, 2]


def test_affine_correction_undoes_a_known_distortion_exactly():
    measured = distort(TRUE_MM)
    cop = fit_cop_correction(measured, TRUE_MM)
    assert cop.positions == 5
    assert cop.rmse_before_mm == pytest.approx(
        np.sqrt(np.mean(np.sum((measured - TRUE_MM) ** 2, axis=1)))
    )
    assert cop.rmse_before_mm > 3 and cop.rmse_after_mm < 1e-9
    ml, ap = apply_cop_correction(cop.matrix, measured[:, 0], measured[:, 1])
    np.testing.assert_allclose(np.column_stack([ml, ap]), TRUE_MM, atol=1e-9)
    x, y = apply_cop_correction(cop.matrix, *distort(np.array([[37.0, -12.0]]))[0])
    assert isinstance(x, float) and (x, y) == (pytest.approx(37.0), pytest.approx(-12.0))


def test_affine_correction_reduces_rmse_with_noise():
    rng = np.random.default_rng(1)
    true = np.array([(ml, ap) for ml in (-100, 0, 100) for ap in (-75, 0, 75)], dtype=float)
    measured = distort(true) + rng.normal(0, 0.3, true.shape)
    cop = fit_cop_correction(measured, true)
    assert 0.05 < cop.rmse_after_mm < 0.5 < 3 < cop.rmse_before_mm


def test_identity_correction_changes_nothing():
    identity = ((1.0, 0.0, 0.0), (0.0, 1.0, 0.0))
    assert apply_cop_correction(identity, 12.5, -3.0) == (12.5, -3.0)
    with pytest.raises(CalibrationFitError, match="2 x 3"):
        apply_cop_correction(np.eye(2), 0.0, 0.0)


@pytest.mark.parametrize(
    ("measured", "match"),
    [
        ([(0, 0), (50, 0)], "2 COP positions: .* at least 3"),
        ([(0, 0), (50, 0), (100, 0.5), (-80, -0.3)], "on one line"),
        ([(0, 0), (50, 0), (math.nan, 20)], "finite"),
    ],
)
def test_cop_positions_that_cannot_fix_an_affine_map_are_refused(measured, match):
    with pytest.raises(CalibrationFitError, match=match):
        fit_cop_correction(measured, measured)


def test_known_mass_check_by_hand():
    expected = 20 * G  # 196.133 N
    ok = check_known_mass(197.0, expected)
    assert ok.passed and ok.tolerance_pct == 1.0
    assert ok.error_n == pytest.approx(0.867)
    assert ok.error_pct == pytest.approx(100 * 0.867 / 196.133)
    assert ok.error_kg == pytest.approx(0.867 / G)
    low = check_known_mass(0.98 * expected, expected)
    assert not low.passed and low.error_pct == pytest.approx(-2.0)
    assert check_known_mass(0.98 * expected, expected, tolerance_pct=2.5).passed
    assert not check_known_mass(math.nan, expected).passed
    with pytest.raises(CalibrationFitError, match="positive"):
        check_known_mass(10.0, 0.0)
