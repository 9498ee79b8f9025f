"""Filters and resampling: hand-computed responses, argument checks and invariants."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sensing.errors import NotEnoughDataError
from sensing.filters import (
    CAUSAL,
    ZERO_LAG,
    CausalLowPass,
    FilterSettingsError,
    describe,
    resample,
    resampling_ratio,
    zero_lag_lowpass,
)

FS = 100.0


def sine(f_hz, n, fs=FS, phase=0.0):
    return np.sin(2 * np.pi * f_hz * np.arange(n) / fs + phase)


def amplitude(y):
    """Amplitude of a steady sine over whole periods: sqrt(2) * RMS."""
    return math.sqrt(2 * np.mean(y**2))


def test_causal_butterworth_is_3_db_down_at_its_cutoff():
    y = CausalLowPass(5.0, FS, order=2).step(sine(5.0, 4000))
    assert amplitude(y[-2000:]) == pytest.approx(1 / math.sqrt(2), rel=1e-3)


def test_causal_filter_lags_a_ramp_by_its_group_delay():
    # A 2nd-order Butterworth delays slow signals by sqrt(2) / omega_c (analog prototype).
    cutoff = 2.0
    ramp = np.arange(1000) / FS
    y = CausalLowPass(cutoff, FS, order=2).step(ramp)
    lag_s = ramp[-1] - y[-1]
    assert lag_s == pytest.approx(math.sqrt(2) / (2 * math.pi * cutoff), rel=0.02)


def test_zero_lag_filter_halves_the_cutoff_frequency_without_delay():
    x = sine(5.0, 4000)
    y = zero_lag_lowpass(x, FS, 5.0, order=4)
    np.testing.assert_allclose(y[1000:3000], 0.5 * x[1000:3000], atol=1e-3)


def test_zero_lag_filter_passes_slow_sway_and_removes_fast_noise():
    slow, fast = sine(0.5, 6000), 0.2 * sine(30.0, 6000)
    y = zero_lag_lowpass(slow + fast, FS, 10.0)
    np.testing.assert_allclose(y[500:-500], slow[500:-500], atol=1e-3)


def test_zero_lag_filter_runs_along_the_last_axis():
    x = np.vstack([sine(0.5, 500), sine(2.0, 500)])
    y = zero_lag_lowpass(x, FS, 10.0)
    np.testing.assert_allclose(y[1], zero_lag_lowpass(x[1], FS, 10.0))


def test_causal_filter_restarts_after_a_gap():
    f = CausalLowPass(2.0, FS)
    f.step(np.zeros(50))
    y = f.step(np.array([np.nan, 7.0, 7.0]))
    assert math.isnan(y[0])
    np.testing.assert_allclose(y[1:], 7.0)
    assert math.isnan(f.step(math.nan))
    assert f.step(3.0) == pytest.approx(3.0)
    f.reset()
    assert f.step(-1.0) == pytest.approx(-1.0)


def test_filters_describe_themselves_as_plain_dicts():
    assert CausalLowPass(4.0, 100.0, order=3).description == {
        "kind": CAUSAL,
        "order": 3,
        "cutoff_hz": 4.0,
        "fs_hz": 100.0,
        "resampled_to_hz": None,
    }
    assert describe(ZERO_LAG, 4, 10.0, 100.0, 25.0)["resampled_to_hz"] == 25.0


@pytest.mark.parametrize(
    ("cutoff", "fs", "order", "match"),
    [
        (50.0, 100.0, 2, "half the sampling rate"),
        (60.0, 100.0, 2, "half the sampling rate"),
        (0.0, 100.0, 2, "half the sampling rate"),
        (math.nan, 100.0, 2, "half the sampling rate"),
        (5.0, 0.0, 2, "sampling rate"),
        (5.0, 100.0, 0, "order must be 1 to"),
        (5.0, 100.0, 9, "order must be 1 to"),
        (5.0, 100.0, 2.5, "whole number"),
        (5.0, 100.0, True, "whole number"),
    ],
)
def test_impossible_filter_settings_are_refused_with_a_reason(cutoff, fs, order, match):
    with pytest.raises(FilterSettingsError, match=match):
        CausalLowPass(cutoff, fs, order)
    with pytest.raises(FilterSettingsError, match=match):
        zero_lag_lowpass(np.zeros(100), fs, cutoff, order)


def test_zero_lag_filter_needs_enough_samples():
    with pytest.raises(NotEnoughDataError, match="too few samples"):
        zero_lag_lowpass(np.zeros(10), FS, 10.0, order=4)


def test_causal_step_takes_samples_or_a_1d_block_only():
    with pytest.raises(FilterSettingsError, match="1-D block"):
        CausalLowPass(5.0, FS).step(np.zeros((2, 2)))


def test_resampling_ratio_is_exact_or_refused():
    assert resampling_ratio(100.0, 25.0) == (1, 4)
    assert resampling_ratio(80.0, 100.0) == (5, 4)
    assert resampling_ratio(100.0, 100.0) == (1, 1)
    with pytest.raises(FilterSettingsError, match="fraction of whole numbers"):
        resampling_ratio(99.87, 25.0)
    with pytest.raises(FilterSettingsError, match="target rate"):
        resampling_ratio(100.0, -25.0)


def test_resampling_keeps_a_slow_sine_on_its_curve():
    n = 2000
    y = resample(sine(0.4, n), FS, 25.0)
    assert len(y) == n // 4
    expected = sine(0.4, n // 4, fs=25.0)
    np.testing.assert_allclose(y[20:-20], expected[20:-20], atol=1e-3)
    np.testing.assert_allclose(y, expected, atol=0.02)  # the ends too, thanks to line padding


def test_resampling_up_gives_ceil_of_n_times_ratio_samples():
    assert resample(np.zeros(101), 80.0, 100.0).shape == (math.ceil(101 * 5 / 4),)
    same = np.arange(5.0)
    assert resample(same, 100.0, 100.0) is not same


# --- invariants -------------------------------------------------------------------------------

orders = st.integers(1, 8)
cutoff_fractions = st.floats(0.02, 0.45)  # cutoff / fs
levels = st.floats(-1e3, 1e3, allow_nan=False)


@settings(max_examples=40, deadline=None)
@given(orders, cutoff_fractions, levels)
def test_causal_filter_passes_a_constant_unchanged(order, fraction, level):
    y = CausalLowPass(fraction * FS, FS, order).step(np.full(50, level))
    np.testing.assert_allclose(y, level, rtol=1e-9, atol=1e-9)


@settings(max_examples=40, deadline=None)
@given(orders, cutoff_fractions, levels, levels)
def test_causal_step_response_converges_to_the_new_level(order, fraction, before, after):
    f = CausalLowPass(fraction * FS, FS, order)
    f.step(np.full(10, before))
    y = f.step(np.full(math.ceil(400 / fraction), after))  # near Nyquist high orders ring long
    assert y[-1] == pytest.approx(after, abs=1e-6 * (abs(after - before) + 1))


@settings(max_examples=30, deadline=None)
@given(orders, cutoff_fractions, st.integers(0, 2**32 - 1), st.integers(1, 40))
def test_causal_filter_gives_the_same_output_sample_by_sample_or_in_blocks(
    order, fraction, seed, block
):
    x = np.random.default_rng(seed).normal(size=120)
    whole = CausalLowPass(fraction * FS, FS, order).step(x)
    f = CausalLowPass(fraction * FS, FS, order)
    pieces = [f.step(x[i : i + block]) for i in range(0, len(x), block)]
    np.testing.assert_allclose(np.concatenate(pieces), whole, rtol=1e-10, atol=1e-12)
    g = CausalLowPass(fraction * FS, FS, order)
    np.testing.assert_allclose([g.step(v) for v in x], whole, rtol=1e-10, atol=1e-12)


@settings(max_examples=40, deadline=None)
@given(orders, cutoff_fractions, levels)
def test_zero_lag_filter_of_a_constant_is_the_constant(order, fraction, level):
    y = zero_lag_lowpass(np.full(200, level), FS, fraction * FS, order)
    np.testing.assert_allclose(y, level, rtol=1e-9, atol=1e-9)


@settings(max_examples=30, deadline=None)
@given(st.sampled_from([(100.0, 25.0), (100.0, 50.0), (80.0, 100.0), (100.0, 30.0)]), levels)
def test_resampling_a_constant_gives_the_constant(rates, level):
    y = resample(np.full(400, level), *rates)
    np.testing.assert_allclose(y, level, rtol=1e-9, atol=1e-9)


def test_sample_by_sample_filtering_equals_scipy_on_the_block():
    from sensing.filters import CausalLowPass

    rng = np.random.default_rng(5)
    x = np.cumsum(rng.normal(size=500))
    x[200:210] = np.nan  # nobody on the platform for a moment
    block = CausalLowPass(5.0, 100.0, order=4).step(x)
    one_by_one = CausalLowPass(5.0, 100.0, order=4)
    singles = np.array([one_by_one.step(float(v)) for v in x])
    np.testing.assert_allclose(singles, block, rtol=1e-12, atol=1e-12, equal_nan=True)
