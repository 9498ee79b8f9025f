"""Sway metrics against the published values of Santos & Duarte (2016), CC BY 4.0."""

import csv
import math

import numpy as np
import pytest

from sensing.errors import NotEnoughDataError
from sensing.metrics import sway_metrics

PUBLISHED = {
    "area_ellipse95_cm2": "COParea",
    "velocity_mean_cm_s": "COPvelo",
    "frequency_mean_hz": "COPmfreq",
}


def reference_rows(bds_dir):
    with (bds_dir / "BDS_samples_reference_values.tsv").open() as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def test_six_recordings_match_published_values(bds_dir):
    rows = reference_rows(bds_dir)
    assert len(rows) == 6
    for row in rows:
        data = np.loadtxt(bds_dir / f"{row['Trial']}.txt", skiprows=1)
        metrics = sway_metrics(data[:, 7], data[:, 8], 100.0)
        for key, column in PUBLISHED.items():
            assert metrics[key] == pytest.approx(float(row[column]), rel=1e-6), (row["Trial"], key)


def test_circle_gives_hand_computed_values():
    # COP on a circle of radius 1 cm, 2 turns in 20 s at 100 Hz.
    fs, n = 100.0, 2000
    angle = 2 * np.pi * 2 * np.arange(n) / n
    ml, ap = np.cos(angle), np.sin(angle)
    m = sway_metrics(ap, ml, fs)
    assert m["distance_mean_cm"] == pytest.approx(1.0, rel=1e-9)
    assert m["rms_ap_cm"] == pytest.approx(math.sqrt(0.5), rel=1e-6)
    assert m["range_ml_cm"] == pytest.approx(2.0, rel=1e-4)
    chord = 2 * math.sin(2 * np.pi * 2 / n / 2)
    assert m["path_length_cm"] == pytest.approx(chord * (n - 1), rel=1e-9)
    assert m["velocity_mean_cm_s"] == pytest.approx(chord * (n - 1) / 20.0, rel=1e-9)


def test_ellipse_area_scales_with_square_and_ignores_offset():
    rng = np.random.default_rng(0)
    ap, ml = rng.normal(0, 0.5, 3000), rng.normal(0, 0.3, 3000)
    base = sway_metrics(ap, ml, 100.0)
    moved = sway_metrics(ap * 2 + 5.0, ml * 2 - 3.0, 100.0)
    assert moved["area_ellipse95_cm2"] == pytest.approx(4 * base["area_ellipse95_cm2"], rel=1e-9)
    assert moved["frequency_mean_hz"] == pytest.approx(base["frequency_mean_hz"], rel=1e-9)


def test_gaps_and_short_traces_are_refused_with_a_reason():
    with pytest.raises(NotEnoughDataError, match="at least"):
        sway_metrics(np.zeros(3), np.zeros(3), 100.0)
    trace = np.zeros(100)
    trace[50] = np.nan
    with pytest.raises(NotEnoughDataError, match="off the platform"):
        sway_metrics(trace, np.zeros(100), 100.0)
