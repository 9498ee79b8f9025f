"""The analysis entry point: conventions recorded, options replayable, bad settings refused."""

import json

import numpy as np
import pytest

from sensing.analysis import SOFTWARE_VERSION, analyse_cop
from sensing.errors import NotEnoughDataError
from sensing.filters import ZERO_LAG, FilterSettingsError
from sensing.metrics import CONVENTIONS, MetricSettingsError, sway_metrics


@pytest.fixture
def trace():
    rng = np.random.default_rng(7)
    walk = np.cumsum(rng.normal(size=(2, 3000)), axis=1) * 0.02
    return walk[0] + 1.0, walk[1] - 2.0


def test_defaults_are_the_raw_metrics_with_every_convention_named(trace):
    result = analyse_cop(*trace, 100.0)
    assert result["metrics"] == sway_metrics(*trace, 100.0)
    conventions = result["conventions"]
    assert set(CONVENTIONS) <= set(conventions)
    assert conventions["ellipse_headline"] == "prediction"
    assert conventions["ellipse"] == CONVENTIONS["ellipse_prediction"]
    assert conventions["filter"] == {
        "kind": "none",
        "order": None,
        "cutoff_hz": None,
        "fs_hz": 100.0,
        "resampled_to_hz": None,
    }
    assert conventions["resampling"] == "none"
    assert conventions["options"] == {"filter": None, "resample_hz": None, "ellipse": "prediction"}
    assert result["software_version"] == SOFTWARE_VERSION
    assert SOFTWARE_VERSION
    json.dumps(result, allow_nan=False)


@pytest.mark.parametrize("ellipse", ["prediction", "confidence", "chi2"])
def test_the_headline_ellipse_is_the_one_asked_for(trace, ellipse):
    result = analyse_cop(*trace, 100.0, ellipse=ellipse)
    m = result["metrics"]
    assert m["area_ellipse95_cm2"] == m[f"area_ellipse95_{ellipse}_cm2"]
    assert result["conventions"]["ellipse"] == CONVENTIONS[f"ellipse_{ellipse}"]
    assert result["conventions"]["ellipse_headline"] == ellipse


def test_filter_and_resampling_are_recorded_and_replayable(trace):
    result = analyse_cop(*trace, 100.0, filter={"cutoff_hz": 10}, resample_hz=25)
    conventions = result["conventions"]
    assert conventions["filter"] == {
        "kind": ZERO_LAG,
        "order": 4,
        "cutoff_hz": 10.0,
        "fs_hz": 100.0,
        "resampled_to_hz": 25.0,
    }
    assert "up 1, down 4" in conventions["resampling"]
    assert result["metrics"]["n_samples"] == 750
    assert result["metrics"]["duration_s"] == pytest.approx(30.0)
    again = analyse_cop(*trace, 100.0, **conventions["options"])
    assert again == result


def test_a_filter_alone_keeps_the_rate_and_smooths_the_path(trace):
    raw = analyse_cop(*trace, 100.0)["metrics"]
    smooth = analyse_cop(*trace, 100.0, filter={"cutoff_hz": 2.0, "order": 2})
    assert smooth["conventions"]["filter"]["resampled_to_hz"] is None
    assert smooth["metrics"]["n_samples"] == raw["n_samples"]
    assert smooth["metrics"]["path_length_cm"] < raw["path_length_cm"]
    assert smooth["metrics"]["rms_cm"] == pytest.approx(raw["rms_cm"], rel=0.05)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"ellipse": "bivariate"}, MetricSettingsError, "unknown ellipse convention"),
        ({"filter": {"cutoff": 10}}, FilterSettingsError, "unknown filter setting"),
        ({"filter": {"order": 2}}, FilterSettingsError, "needs a cutoff_hz"),
        ({"filter": 10}, FilterSettingsError, "dict or None"),
        (
            {"filter": {"kind": "butterworth_lowpass_causal", "cutoff_hz": 5}},
            FilterSettingsError,
            "must be zero-lag",
        ),
        # 10 Hz is the Nyquist frequency of 20 Hz: impossible after resampling.
        ({"filter": {"cutoff_hz": 10}, "resample_hz": 20}, FilterSettingsError, "half the"),
        ({"resample_hz": 33.3333}, FilterSettingsError, "fraction of whole numbers"),
    ],
)
def test_impossible_conventions_are_refused_with_a_reason(trace, kwargs, error, match):
    with pytest.raises(error, match=match):
        analyse_cop(*trace, 100.0, **kwargs)


def test_bad_traces_and_rates_are_refused(trace):
    with pytest.raises(MetricSettingsError, match="sampling rate"):
        analyse_cop(*trace, 0.0)
    with pytest.raises(NotEnoughDataError, match="same length"):
        analyse_cop(trace[0], trace[1][:-1], 100.0)
    gap = trace[0].copy()
    gap[10] = np.nan
    with pytest.raises(NotEnoughDataError, match="off the platform"):
        analyse_cop(gap, trace[1], 100.0)


def test_numpy_settings_are_recorded_as_plain_numbers(trace):
    result = analyse_cop(
        *trace, 100.0, filter={"cutoff_hz": np.float64(5), "order": np.int64(2)}, resample_hz=50
    )
    assert result["conventions"]["options"]["filter"]["order"] == 2
    assert type(result["conventions"]["options"]["filter"]["order"]) is int
    assert result["conventions"]["options"]["resample_hz"] == 50.0
    json.dumps(result, allow_nan=False)
