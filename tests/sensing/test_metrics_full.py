"""The full sway metric set against published values and hand-computed closed forms.

Published values: Santos & Duarte (2016), "A public data set of human balance evaluations",
PeerJ 4:e2648, doi:10.7717/peerj.2648, CC BY 4.0 (tests/data/bds).
"""

import csv
import json
import math

import numpy as np
import pytest
from scipy import stats

from sensing.analysis import analyse_cop
from sensing.metric_docs import METRIC_DOCS, SPECTRAL_DOCS, SWAY_DOCS
from sensing.metrics import sway_metrics

PUBLISHED = {
    "area_ellipse95_cm2": "COParea",
    "velocity_mean_cm_s": "COPvelo",
    "frequency_mean_hz": "COPmfreq",
}
FOUNDATION_KEYS = (
    "n_samples",
    "duration_s",
    "distance_mean_cm",
    "rms_ap_cm",
    "rms_ml_cm",
    "range_ap_cm",
    "range_ml_cm",
    "path_length_cm",
    "velocity_mean_cm_s",
    "area_ellipse95_cm2",
    "frequency_mean_hz",
)


def bds_trials(bds_dir):
    with (bds_dir / "BDS_samples_reference_values.tsv").open() as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            data = np.loadtxt(bds_dir / f"{row['Trial']}.txt", skiprows=1)
            yield row, data[:, 7], data[:, 8]


def test_published_values_hold_through_the_entry_point_with_default_conventions(bds_dir):
    trials = list(bds_trials(bds_dir))
    assert len(trials) == 6
    for row, ap, ml in trials:
        result = analyse_cop(ap, ml, 100.0)
        for key, column in PUBLISHED.items():
            assert result["metrics"][key] == pytest.approx(float(row[column]), rel=1e-6), (
                row["Trial"],
                key,
            )
        assert result["metrics"] == sway_metrics(ap, ml, 100.0)


def test_foundation_keys_keep_their_meaning_and_come_first():
    rng = np.random.default_rng(1)
    m = sway_metrics(rng.normal(size=500), rng.normal(size=500), 100.0)
    assert tuple(m)[: len(FOUNDATION_KEYS)] == FOUNDATION_KEYS
    assert m["area_ellipse95_cm2"] == m["area_ellipse95_prediction_cm2"]


def test_every_key_is_documented_in_plain_words():
    m = sway_metrics(np.sin(np.arange(300) / 7), np.cos(np.arange(300) / 5), 100.0)
    assert set(m) == set(SWAY_DOCS) | set(SPECTRAL_DOCS)
    for key, (label, unit, meaning) in METRIC_DOCS.items():
        assert label and meaning.endswith("."), key
        assert isinstance(unit, str), key
    json.dumps(m, allow_nan=False)


def test_circle_at_constant_speed_gives_every_closed_form():
    # Radius r, k turns, M samples per turn (M divisible by 4, so extremes are sampled).
    r, k, m, fs = 1.5, 2, 1000, 100.0
    n = k * m
    t_s = n / fs
    step = 2 * np.pi / m
    angle = step * np.arange(n)
    ml, ap = 3.0 + r * np.cos(angle), -2.0 + r * np.sin(angle)
    got = sway_metrics(ap, ml, fs)
    path = (n - 1) * 2 * r * math.sin(step / 2)
    expected = {
        "distance_mean_cm": r,
        "distance_mean_ap_cm": r * (2 / m) / math.tan(math.pi / m),  # mean |sin| over M samples
        "distance_mean_ml_cm": r * (2 / m) / math.tan(math.pi / m),
        "rms_ap_cm": r / math.sqrt(2),
        "rms_ml_cm": r / math.sqrt(2),
        "rms_cm": r,
        "range_ap_cm": 2 * r,
        "range_ml_cm": 2 * r,
        "range_cm": 2 * r,
        "path_length_cm": path,
        "velocity_mean_cm_s": path / t_s,
        # AP = r sin: 4r per turn, but the last quarter stops one step short of the top.
        "path_length_ap_cm": 4 * r * k - r * math.sin(step),
        "path_length_ml_cm": 4 * r * k - r * (1 - math.cos(step)),
        "velocity_mean_ap_cm_s": (4 * r * k - r * math.sin(step)) / t_s,
        # Each step sweeps a triangle of area r^2 sin(step) / 2.
        "area_sway_cm2_s": (n - 1) * r**2 * math.sin(step) / (2 * t_s),
        "frequency_mean_prieto_hz": path / (2 * math.pi * r * t_s),
    }
    for key, value in expected.items():
        assert got[key] == pytest.approx(value, rel=1e-9), key
    # Prieto's mean frequency is the number of turns per second (one step short of k turns).
    assert got["frequency_mean_prieto_hz"] == pytest.approx(k / t_s, rel=1e-3)


def test_back_and_forth_on_one_axis():
    # AP alternates +a, -a every sample; ML stands still.
    a, n, fs = 0.4, 400, 50.0
    ap = a * (-1.0) ** np.arange(n)
    got = sway_metrics(ap, np.zeros(n), fs)
    assert got["distance_mean_cm"] == pytest.approx(a)
    assert got["rms_cm"] == pytest.approx(a)
    assert got["range_cm"] == pytest.approx(2 * a)
    assert got["path_length_cm"] == pytest.approx(2 * a * (n - 1))
    assert got["velocity_mean_ml_cm_s"] == 0.0
    assert got["area_sway_cm2_s"] == 0.0
    assert got["area_ellipse95_chi2_cm2"] == 0.0
    assert got["frequency_mean_ml_hz"] == 0.0  # no power on ML: 0 by convention


def test_three_ellipse_conventions_on_a_known_covariance():
    # (a,0), (0,b), (-a,0), (0,-b) repeated: mean 0, variances a^2/2 and b^2/2 (1/N), no covariance.
    a, b, reps = 2.0, 0.5, 50
    n = 4 * reps
    ap = np.tile([a, 0.0, -a, 0.0], reps)
    ml = np.tile([0.0, b, 0.0, -b], reps)
    got = sway_metrics(ap, ml, 100.0)
    f95 = stats.f.ppf(0.95, 2, n - 2)
    chi2 = stats.chi2.ppf(0.95, 2)
    assert chi2 == pytest.approx(5.991, abs=5e-4)
    assert got["area_ellipse95_confidence_cm2"] == pytest.approx(math.pi * a * b * f95, rel=1e-12)
    assert got["area_ellipse95_prediction_cm2"] == pytest.approx(
        math.pi * a * b * f95 * (n + 1) / (n - 2), rel=1e-12
    )
    assert got["area_ellipse95_chi2_cm2"] == pytest.approx(
        math.pi * chi2 * n * a * b / (2 * (n - 1)), rel=1e-12
    )


def test_pure_sine_puts_every_frequency_at_the_sine():
    # 60 s at 100 Hz: Welch segments of 30 s hold whole periods, bins every 1/30 Hz. The Hann
    # window spreads a tone over three bins with powers 1/4, 1, 1/4.
    fs, n, f0 = 100.0, 6000, 0.5
    df = fs / (n // 2)
    ap = np.sin(2 * np.pi * f0 * np.arange(n) / fs)
    got = sway_metrics(ap, np.zeros(n), fs)
    assert got["frequency_mean_ap_hz"] == pytest.approx(f0, rel=1e-12)
    assert got["frequency_centroid_ap_hz"] == pytest.approx(math.sqrt(f0**2 + df**2 / 3), rel=1e-9)
    assert got["frequency_dispersion_ap"] == pytest.approx(
        math.sqrt((df**2 / 3) / (f0**2 + df**2 / 3)), rel=1e-6
    )
    assert abs(got["frequency_f50_ap_hz"] - f0) <= df + 1e-12
    assert abs(got["frequency_f95_ap_hz"] - f0) <= 2 * df + 1e-12
    assert got["frequency_mean_hz"] == pytest.approx(f0, rel=1e-12)


def test_two_tones_give_weighted_mean_centroid_and_dispersion():
    # Powers 3 : 1 at 0.5 and 1.5 Hz: mean (3*0.5 + 1.5)/4, centroid sqrt((3*0.25 + 2.25)/4).
    fs, n = 100.0, 6000
    df = fs / (n // 2)
    t = np.arange(n) / fs
    ml = math.sqrt(3) * np.sin(2 * np.pi * 0.5 * t + 1.0) + np.sin(2 * np.pi * 1.5 * t + 0.3)
    got = sway_metrics(np.zeros(n), ml, fs)
    centroid_sq = 0.75 + df**2 / 3
    assert got["frequency_mean_ml_hz"] == pytest.approx(0.75, rel=1e-9)
    assert got["frequency_centroid_ml_hz"] == pytest.approx(math.sqrt(centroid_sq), rel=1e-9)
    assert got["frequency_dispersion_ml"] == pytest.approx(
        math.sqrt(1 - 0.75**2 / centroid_sq), rel=1e-9
    )
    assert 0.5 <= got["frequency_f50_ml_hz"] <= 0.5 + df + 1e-12
    assert 1.5 <= got["frequency_f95_ml_hz"] <= 1.5 + 2 * df + 1e-12


def test_filtering_the_already_filtered_public_data_changes_little(bds_dir):
    # The authors low-passed at 10 Hz; Quijoux's 25 Hz + 10 Hz pipeline keeps the big picture.
    for _row, ap, ml in bds_trials(bds_dir):
        raw = analyse_cop(ap, ml, 100.0)["metrics"]
        quijoux = analyse_cop(ap, ml, 100.0, filter={"cutoff_hz": 10.0}, resample_hz=25.0)
        q = quijoux["metrics"]
        assert q["n_samples"] == 1500
        assert q["area_ellipse95_cm2"] == pytest.approx(raw["area_ellipse95_cm2"], rel=0.02)
        assert q["rms_cm"] == pytest.approx(raw["rms_cm"], rel=0.01)
        assert q["velocity_mean_cm_s"] == pytest.approx(raw["velocity_mean_cm_s"], rel=0.1)
        assert q["velocity_mean_cm_s"] < raw["velocity_mean_cm_s"]  # coarser path is shorter
