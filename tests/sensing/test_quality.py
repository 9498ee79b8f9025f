"""The data-quality gate on clean and deliberately damaged trial timelines."""

import ast
import json
from pathlib import Path

import numpy as np
import pytest

from sensing.errors import NotEnoughDataError
from sensing.frame import CORNERS
from sensing.quality import (
    CORNER_NAMES,
    MAX_JITTER_FRACTION,
    MESSAGES,
    MIN_CORNER_SHARE_PCT,
    assess_recording,
    assess_trial,
    flag_message,
    with_lost_conversions,
)
from tests.catalogs import Marked

FS = 100.0
WEIGHT_N = 700.0
SHARES = np.array([0.26, 0.24, 0.25, 0.25])
ADC_LIMITS = (-(2**23), 2**23 - 1)


def timeline(n=3000, seed=0):
    """A clean 30 s quiet-stance timeline: gentle sway between the corners, 1 N of noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(n) / FS
    sway = 0.01 * np.sin(2 * np.pi * 0.3 * t)
    shares = SHARES + np.outer(sway, [1, -1, 1, -1])
    return t, WEIGHT_N * shares + rng.normal(0, 1.0, (n, 4))


def codes(flags):
    return {flag["code"]: flag["severity"] for flag in flags}


def with_gap():
    """50 of 3000 samples lost (1.7%)."""
    t, forces = timeline()
    keep = np.r_[0:1000, 1050:3000]
    return t[keep], forces[keep]


def with_jitter():
    """Sample times wobbling by up to 4 ms each way."""
    t, forces = timeline()
    return t + np.random.default_rng(1).uniform(-0.004, 0.004, len(t)), forces


def with_dead_corner():
    """The front-left cell reads nothing."""
    t, forces = timeline()
    forces[:, 0] = 0.0
    return t, forces


def with_drift():
    """The total load creeping up by 5% of body weight over the trial."""
    t, forces = timeline()
    return t, forces * (1 + 0.05 * t / t[-1])[:, None]


def with_stepping_on():
    """Weight still arriving for the first 0.5 s."""
    t, forces = timeline()
    forces[:50] *= np.linspace(0.5, 1.0, 50)[:, None]
    return t, forces


def with_empty_and_missing_readings():
    """Nobody on the platform for 10 samples and one reading missing."""
    t, forces = timeline()
    forces[500:510] = 0.0
    forces[700, 2] = np.nan
    return t, forces


def with_full_scale_codes():
    """Raw codes at full scale in 4 samples."""
    t, forces = timeline()
    counts = np.round(forces * 1000).astype(np.int64)
    counts[100:103, 1] = ADC_LIMITS[1]
    counts[200, 3] = ADC_LIMITS[0]
    return t, forces, counts


def test_a_clean_trial_passes_with_its_measures():
    t, forces = timeline()
    result = assess_trial(t, forces, nominal_rate_hz=FS)
    assert result["ok"] is True
    assert result["flags"] == []
    m = result["measures"]
    assert m["n_samples"] == 3000
    assert m["effective_rate_hz"] == pytest.approx(FS)
    assert m["jitter_p99_ms"] == pytest.approx(0.0, abs=1e-9)
    assert m["dropped_samples"] == 0
    assert m["corner_share_pct"] == pytest.approx(100 * SHARES, abs=0.1)
    assert m["corner_share_min_pct"] == pytest.approx(24.0, abs=0.1)
    assert abs(m["load_drift_pct"]) < 0.1
    assert m["settled_at_start"] is True
    assert m["full_scale_samples"] is None  # no raw codes given
    json.dumps(result, allow_nan=False)


def test_missing_samples_fail_the_trial():
    result = assess_trial(*with_gap(), nominal_rate_hz=FS)
    assert result["ok"] is False
    assert codes(result["flags"]) == {"samples_dropped": "fail"}
    assert result["measures"]["dropped_samples"] == 50
    flag = result["flags"][0]
    assert flag["value"] == pytest.approx(100 * 50 / 3000)
    assert "missing" in flag["message"]


def test_timing_jitter_is_a_warning_only():
    result = assess_trial(*with_jitter(), nominal_rate_hz=FS)
    assert result["ok"] is True
    assert codes(result["flags"]) == {"jitter_high": "warn"}
    limit = result["flags"][0]["limit"]
    assert limit == pytest.approx(MAX_JITTER_FRACTION * 1000 / FS)
    assert result["measures"]["jitter_p99_ms"] > limit


def test_stale_readings_lower_the_effective_rate():
    t, forces = timeline()
    every_other = np.arange(len(t)) % 2 == 0
    slow = assess_trial(t, forces, nominal_rate_hz=FS, fresh=every_other)
    assert codes(slow["flags"]) == {"rate_low": "fail"}
    assert slow["measures"]["effective_rate_hz"] == pytest.approx(50.0, rel=0.01)
    # An HX711 at 80 SPS under a 100 Hz loop: four fresh ticks in five, which is expected.
    per_corner = np.tile((np.arange(len(t)) % 5 != 4)[:, None], (1, 4))
    hx711 = assess_trial(t, forces, nominal_rate_hz=FS, sensor_rate_hz=80.0, fresh=per_corner)
    assert hx711["ok"] is True
    assert hx711["measures"]["effective_rate_hz"] == pytest.approx(80.0, rel=0.01)
    # The slowest corner decides.
    per_corner[:, 2] = every_other
    assert not assess_trial(t, forces, nominal_rate_hz=FS, sensor_rate_hz=80.0, fresh=per_corner)[
        "ok"
    ]


def test_a_short_sensor_stall_fails_even_when_the_average_rate_looks_fine():
    t, forces = timeline()
    fresh = np.ones((len(t), 4), dtype=bool)
    fresh[1200:1230, 1] = False  # front-right silent for 0.3 s of a 30 s trial
    result = assess_trial(t, forces, nominal_rate_hz=FS, fresh=fresh)
    assert codes(result["flags"]) == {"sensor_stalled": "fail"}
    assert result["measures"]["longest_stall_s"] == pytest.approx(0.31)
    assert result["measures"]["effective_rate_hz"] > 0.9 * FS  # the average alone would pass
    fresh[1205:1230, 1] = True  # silent for 5 ticks (0.06 s) only: not a stall
    assert assess_trial(t, forces, nominal_rate_hz=FS, fresh=fresh)["ok"] is True


def test_full_scale_codes_fail_the_trial():
    t, forces, counts = with_full_scale_codes()
    result = assess_trial(t, forces, nominal_rate_hz=FS, counts=counts, count_limits=ADC_LIMITS)
    assert codes(result["flags"]) == {"full_scale": "fail"}
    assert result["measures"]["full_scale_samples"] == 4


def test_a_dead_corner_is_warned_about_by_name():
    result = assess_trial(*with_dead_corner(), nominal_rate_hz=FS)
    assert result["ok"] is True
    assert codes(result["flags"]) == {"corner_underloaded": "warn"}
    flag = result["flags"][0]
    assert "front-left" in flag["message"]
    assert flag["value"] == 0.0
    assert flag["limit"] == MIN_CORNER_SHARE_PCT


def test_drifting_total_load_is_warned_about():
    result = assess_trial(*with_drift(), nominal_rate_hz=FS)
    assert codes(result["flags"]) == {"load_drift": "warn"}
    assert result["measures"]["load_drift_pct"] == pytest.approx(5 / 1.025, rel=0.01)


def test_stepping_on_during_the_first_second_is_not_settled():
    result = assess_trial(*with_stepping_on(), nominal_rate_hz=FS)
    assert result["ok"] is False
    assert codes(result["flags"]) == {"not_settled": "fail"}
    assert result["measures"]["settled_at_start"] is False
    assert result["measures"]["start_load_change_pct"] == pytest.approx(50.0, abs=1.0)


def test_shifting_weight_at_the_start_is_not_settled():
    t, forces = timeline()
    shift = np.clip(1 - t / 0.5, 0, 1)[:, None] * np.array([0.1, -0.1, 0.1, -0.1]) * WEIGHT_N
    result = assess_trial(t, forces + shift, nominal_rate_hz=FS)
    assert codes(result["flags"]) == {"not_settled": "fail"}
    assert result["measures"]["start_share_range_pct"] == pytest.approx(10.0, abs=0.5)


def test_empty_or_missing_readings_fail_the_trial():
    result = assess_trial(*with_empty_and_missing_readings(), nominal_rate_hz=FS)
    assert codes(result["flags"]) == {"off_platform": "fail", "non_finite": "fail"}
    assert result["measures"]["off_platform_samples"] == 10
    assert result["measures"]["non_finite_samples"] == 1


def test_short_or_disordered_timelines_fail_and_bad_shapes_are_refused():
    t, forces = timeline(n=5)
    short = assess_trial(t, forces, nominal_rate_hz=FS)
    assert short["ok"] is False
    assert codes(short["flags"]) == {"too_short": "fail"}
    t, forces = timeline()
    t[10], t[11] = t[11], t[10]
    assert "time_not_increasing" in codes(assess_trial(t, forces, nominal_rate_hz=FS)["flags"])
    with pytest.raises(NotEnoughDataError, match=r"\(N, 4\) force array"):
        assess_trial(t, forces[:, :3], nominal_rate_hz=FS)


def test_every_flag_says_what_why_and_how_far():
    t, forces = with_drift()
    forces[:, 0] = 0.0
    for flag in assess_trial(t, forces, nominal_rate_hz=FS)["flags"]:
        assert set(flag) == {"code", "severity", "message", "value", "limit", "params"}
        assert flag["severity"] in {"fail", "warn"}
        assert flag["message"].endswith(".")


def test_conversions_lost_by_the_station_are_the_dropped_samples():
    t, forces = timeline()
    clean = assess_trial(t, forces, nominal_rate_hz=FS)
    few = with_lost_conversions(clean, lost=12, conversions=12_000)
    assert few["ok"] is True and few["flags"] == []
    assert few["measures"]["dropped_samples"] == 12
    assert few["measures"]["dropped_pct"] == pytest.approx(0.1, rel=1e-3)
    assert clean["measures"]["dropped_samples"] == 0  # the original is left as it was
    many = with_lost_conversions(clean, lost=250, conversions=12_000)
    assert many["ok"] is False
    assert codes(many["flags"]) == {"samples_dropped": "fail"}
    assert "250 load-cell conversions (2.0%) were lost" in many["flags"][0]["message"]
    # a gap in the timeline is replaced by the station's count, not added to it
    gappy = assess_trial(*with_gap(), nominal_rate_hz=FS)
    assert with_lost_conversions(gappy, lost=0, conversions=12_000)["ok"] is True


# --- the flags' messages in the reader's language ------------------------------------------------


def bad_recordings_flags():
    """The flags of the damaged recordings above, together raising every flag the gate has."""
    t, forces = timeline()
    stale = assess_trial(t, forces, nominal_rate_hz=FS, fresh=np.arange(len(t)) % 2 == 0)
    fresh = np.ones((len(t), 4), dtype=bool)
    fresh[1200:1230, 1] = False
    t_disordered = t.copy()
    t_disordered[10], t_disordered[11] = t[11], t[10]
    t_short, forces_short = timeline(n=5)
    t_full, forces_full, counts = with_full_scale_codes()
    tilt = np.zeros((len(t), 2))
    tilt[100:200] = np.nan
    results = [
        assess_trial(*with_gap(), nominal_rate_hz=FS),
        assess_trial(*with_jitter(), nominal_rate_hz=FS),
        stale,
        with_lost_conversions(stale, lost=250, conversions=12_000),
        with_lost_conversions(stale, lost=1, conversions=10),
        assess_trial(t, forces, nominal_rate_hz=FS, fresh=fresh),
        assess_trial(
            t_full, forces_full, nominal_rate_hz=FS, counts=counts, count_limits=ADC_LIMITS
        ),
        assess_trial(*with_dead_corner(), nominal_rate_hz=FS),
        assess_trial(*with_drift(), nominal_rate_hz=FS),
        assess_trial(*with_stepping_on(), nominal_rate_hz=FS),
        assess_trial(*with_empty_and_missing_readings(), nominal_rate_hz=FS),
        assess_trial(t_short, forces_short, nominal_rate_hz=FS),
        assess_trial(t_disordered, forces, nominal_rate_hz=FS),
        assess_recording(
            *with_empty_and_missing_readings(),
            checks=("timing", "on_platform", "imu"),
            nominal_rate_hz=FS,
            tilt_deg=tilt,
        ),
    ]
    return [flag for result in results for flag in result["flags"]]


def template_key(flag):
    return f"{flag['code']}:{flag['variant']}" if "variant" in flag else flag["code"]


def test_every_flag_the_gate_writes_has_a_template():
    """Every ``_flag(code, severity, value, limit, params, variant)`` call in the gate names a
    template, and every template is used."""
    source = Path(__file__).parents[2] / "sensing" / "quality.py"
    keys = set()
    for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "_flag":
            code, variant = node.args[0].value, node.args[5].value if len(node.args) > 5 else ""
            keys.add(f"{code}:{variant}" if variant else code)
    assert keys == set(MESSAGES)
    assert set(CORNER_NAMES) == set(CORNERS)


def test_each_flag_says_its_stored_message_again_from_its_template():
    flags = bad_recordings_flags()
    assert {template_key(flag) for flag in flags} == set(MESSAGES)
    for flag in flags:
        assert flag_message(flag) == flag["message"]
        assert flag_message(json.loads(json.dumps(flag))) == flag["message"]  # as stored


def test_a_count_of_one_is_said_in_the_singular():
    t, forces = timeline()
    forces[700, 2] = np.nan
    flag = assess_trial(t, forces, nominal_rate_hz=FS)["flags"][0]
    assert flag["message"] == "1 sample has no force reading: a load cell stopped answering."


def test_an_old_flag_or_one_that_no_longer_fits_keeps_its_english_message():
    old = {"code": "rate_low", "severity": "fail", "message": "Too slow.", "value": 50, "limit": 90}
    assert flag_message(old, Marked()) == "Too slow."
    assert flag_message({**old, "code": "retired", "params": {}}, Marked()) == "Too slow."
    assert flag_message({**old, "params": {"rate": 50}}, Marked()) == "Too slow."


def test_a_catalog_translates_the_message_and_its_words():
    dead_corner = assess_trial(*with_dead_corner(), nominal_rate_hz=FS)["flags"][0]
    assert flag_message(dead_corner, Marked()) == (
        "[The [front-left] corner carried only 0.0% of the load: check that cell's cable, or "
        "the patient's foot position.]"
    )
    t, forces = timeline()
    forces[700, 2] = np.nan
    missing = assess_trial(t, forces, nominal_rate_hz=FS)["flags"][0]
    assert flag_message(missing, Marked()) == (
        "[1 sample has no force reading: a load cell stopped answering.]"
    )
