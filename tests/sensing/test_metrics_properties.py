"""Invariants of the sway metrics, checked on many random traces with hypothesis.

Moving the trace, turning it, scaling it, relabelling its time or sampling it at another rate
must change each metric exactly as its definition says.
"""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sensing.filters import resample
from sensing.metrics import sway_metrics

FS = 100.0
EXAMPLES = settings(max_examples=40, deadline=None)

LENGTHS = (
    "distance_mean_cm",
    "distance_mean_ap_cm",
    "distance_mean_ml_cm",
    "rms_cm",
    "rms_ap_cm",
    "rms_ml_cm",
    "range_cm",
    "range_ap_cm",
    "range_ml_cm",
    "path_length_cm",
    "path_length_ap_cm",
    "path_length_ml_cm",
)
SPEEDS = ("velocity_mean_cm_s", "velocity_mean_ap_cm_s", "velocity_mean_ml_cm_s")
AREAS = (
    "area_ellipse95_cm2",
    "area_ellipse95_prediction_cm2",
    "area_ellipse95_confidence_cm2",
    "area_ellipse95_chi2_cm2",
)
FREQUENCIES = (
    *(f"frequency_{name}_{axis}_hz" for axis in ("ap", "ml") for name in ("mean", "f50", "f95")),
    "frequency_centroid_ap_hz",
    "frequency_centroid_ml_hz",
    "frequency_mean_hz",
    "frequency_mean_prieto_hz",
)
DISPERSIONS = ("frequency_dispersion_ap", "frequency_dispersion_ml")
ROTATION_INVARIANT = (
    "distance_mean_cm",
    "rms_cm",
    "range_cm",
    "path_length_cm",
    "velocity_mean_cm_s",
    "area_sway_cm2_s",
    "frequency_mean_prieto_hz",
    *AREAS,
)


@st.composite
def cop_traces(draw):
    """A COP-like trace in cm: a smoothed random walk, uneven between the axes."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    n = draw(st.integers(64, 800))
    spread = np.array([[draw(st.floats(0.05, 2.0))], [draw(st.floats(0.05, 2.0))]])
    walk = np.cumsum(rng.normal(size=(2, n)), axis=1)
    kernel = np.ones(5) / 5
    smooth = np.vstack([np.convolve(row, kernel, mode="same") for row in walk])
    ap, ml = spread * smooth / np.sqrt(n)
    return ap, ml


def assert_same(got, expected, keys, rel=1e-7):
    for key in keys:
        assert got[key] == pytest.approx(expected[key], rel=rel, abs=1e-12), key


@EXAMPLES
@given(cop_traces(), st.floats(-50, 50), st.floats(-50, 50))
def test_moving_the_trace_changes_nothing(trace, shift_ap, shift_ml):
    ap, ml = trace
    base = sway_metrics(ap, ml, FS)
    moved = sway_metrics(ap + shift_ap, ml + shift_ml, FS)
    bins = {"frequency_f50_ap_hz", "frequency_f50_ml_hz", "frequency_f95_ap_hz"}
    bins |= {"frequency_f95_ml_hz"}
    assert_same(moved, base, [k for k in base if k not in bins], rel=1e-6)
    bin_hz = FS / (len(ap) // 2)  # F50/F95 are bin frequencies: rounding may pick the next bin
    for key in bins:
        assert abs(moved[key] - base[key]) <= bin_hz + 1e-9, key


@EXAMPLES
@given(cop_traces(), st.floats(0, 2 * math.pi))
def test_turning_the_trace_keeps_the_direction_free_measures(trace, angle):
    ap, ml = trace
    c, s = math.cos(angle), math.sin(angle)
    base = sway_metrics(ap, ml, FS)
    turned = sway_metrics(c * ap - s * ml, s * ap + c * ml, FS)
    assert_same(turned, base, ROTATION_INVARIANT, rel=1e-7)


@EXAMPLES
@given(cop_traces())
def test_a_quarter_turn_swaps_the_axes(trace):
    ap, ml = trace
    base = sway_metrics(ap, ml, FS)
    swapped = sway_metrics(-ml, ap, FS)
    for ap_key in [*LENGTHS, *SPEEDS, *FREQUENCIES, *DISPERSIONS]:
        if "_ap_" in ap_key or ap_key.endswith("_ap"):
            ml_key = ap_key.replace("_ap", "_ml")
            assert swapped[ap_key] == pytest.approx(base[ml_key], rel=1e-9, abs=1e-12), ap_key


@EXAMPLES
@given(cop_traces(), st.floats(0.01, 100))
def test_scaling_the_trace_scales_each_metric_by_its_power(trace, k):
    ap, ml = trace
    base = sway_metrics(ap, ml, FS)
    scaled = sway_metrics(k * ap, k * ml, FS)
    for key in (*LENGTHS, *SPEEDS):
        assert scaled[key] == pytest.approx(k * base[key], rel=1e-7), key
    for key in (*AREAS, "area_sway_cm2_s"):
        assert scaled[key] == pytest.approx(k**2 * base[key], rel=1e-7), key
    assert_same(scaled, base, (*FREQUENCIES, *DISPERSIONS), rel=1e-7)


@EXAMPLES
@given(cop_traces(), st.floats(0.1, 10))
def test_relabelling_time_scales_speeds_and_frequencies(trace, c):
    ap, ml = trace
    base = sway_metrics(ap, ml, FS)
    faster = sway_metrics(ap, ml, c * FS)
    for key in (*SPEEDS, *FREQUENCIES, "area_sway_cm2_s"):
        assert faster[key] == pytest.approx(c * base[key], rel=1e-9), key
    assert_same(faster, base, (*LENGTHS, *AREAS, *DISPERSIONS), rel=1e-9)
    assert faster["duration_s"] == pytest.approx(base["duration_s"] / c)


@EXAMPLES
@given(cop_traces())
def test_bounds_and_orderings_hold(trace):
    ap, ml = trace
    m = sway_metrics(ap, ml, FS)
    assert m["distance_mean_cm"] <= m["rms_cm"] + 1e-12  # a mean never exceeds an RMS
    assert max(m["range_ap_cm"], m["range_ml_cm"]) <= m["range_cm"] + 1e-12
    assert m["range_cm"] <= math.hypot(m["range_ap_cm"], m["range_ml_cm"]) + 1e-12
    assert m["path_length_cm"] <= m["path_length_ap_cm"] + m["path_length_ml_cm"] + 1e-12
    for axis in ("ap", "ml"):
        assert 0 <= m[f"frequency_dispersion_{axis}"] <= 1
        assert m[f"frequency_f50_{axis}_hz"] <= m[f"frequency_f95_{axis}_hz"] <= FS / 2
        assert m[f"frequency_mean_{axis}_hz"] <= m[f"frequency_centroid_{axis}_hz"] + 1e-12
    # chi2 < confidence < prediction for every N: the ratios are (N-1)/N * F(2,N-2)/F(2,inf)
    # and (N+1)/(N-2), both above 1.
    assert m["area_ellipse95_chi2_cm2"] < m["area_ellipse95_confidence_cm2"]
    assert m["area_ellipse95_confidence_cm2"] < m["area_ellipse95_prediction_cm2"]


@st.composite
def smooth_sway(draw):
    """Three slow sinusoids per axis (0.05-0.8 Hz): sway that any rate >= 20 Hz resolves."""
    tones = [
        (draw(st.floats(0.05, 0.8)), draw(st.floats(0.1, 1.0)), draw(st.floats(0, 2 * math.pi)))
        for _ in range(6)
    ]

    def sample(fs_hz, duration_s=20.0):
        t = np.arange(round(duration_s * fs_hz)) / fs_hz
        waves = [a * np.sin(2 * np.pi * f * t + p) for f, a, p in tones]
        return sum(waves[:3]), sum(waves[3:])

    return sample


# The chi-square ellipse: the prediction ellipse's factor grows by ~0.8% from 2000 to 500 samples.
CONTINUOUS = ("velocity_mean_cm_s", "area_ellipse95_chi2_cm2", "rms_cm", "distance_mean_cm")


def assert_close_to(got, reference, rel):
    """Within ``rel``, or within a hair of the sway's own size when the ellipse is flat."""
    for key in CONTINUOUS:
        size = reference["rms_cm"] ** (2 if key.startswith("area") else 1)
        assert got[key] == pytest.approx(reference[key], rel=rel, abs=1e-4 * size), key


@EXAMPLES
@given(smooth_sway(), st.sampled_from([25.0, 50.0, 200.0]))
def test_sampling_smooth_sway_at_another_rate_barely_changes_it(sample, fs):
    reference = sway_metrics(*sample(100.0), 100.0)
    other = sway_metrics(*sample(fs), fs)
    assert_close_to(other, reference, rel=0.01)
    assert other["area_sway_cm2_s"] == pytest.approx(reference["area_sway_cm2_s"], rel=0.02)


@EXAMPLES
@given(smooth_sway(), st.sampled_from([25.0, 50.0]))
def test_resampling_smooth_sway_matches_sampling_it_at_that_rate(sample, fs):
    ap, ml = sample(100.0)
    reference = sway_metrics(*sample(fs), fs)
    resampled = sway_metrics(resample(ap, 100.0, fs), resample(ml, 100.0, fs), fs)
    assert_close_to(resampled, reference, rel=0.01)
