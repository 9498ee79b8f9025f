"""Limits of stability: targets, sway angles and per-direction measures on hand-made leans."""

import math

import numpy as np
import pytest

from sensing.errors import NotEnoughDataError
from sensing.los import (
    LosSettingsError,
    cog_height_cm,
    los_direction,
    los_target_deg,
    sway_angle_deg,
)

FS = 100.0
LIMIT = (0, 8)  # the forward limit: 8 deg


def lean(along_deg, across_deg, direction_deg=90.0):
    """(ML, AP) leans from leans along and across a direction (90 deg = forward)."""
    c, s = math.cos(math.radians(direction_deg)), math.sin(math.radians(direction_deg))
    return c * along_deg - s * across_deg, s * along_deg + c * across_deg


def ramp_trial(n=500, start_s=1.3, ramp_s=1.0, height_deg=6.0, drift_deg=0.6):
    """Still until 1.3 s, then a straight 1 s lean to 6 deg that drifts 0.6 deg sideways on the
    way, a hold, and from 3.5 s a second push to 7 deg."""
    i = np.arange(n)  # in samples, so the ramps end exactly on a sample
    progress = np.clip((i - round(start_s * FS)) / round(ramp_s * FS), 0, 1)
    along = progress * height_deg + np.clip((i - 350) / 50, 0, 1) * 1.0
    return along, progress * drift_deg


def test_cog_height_and_sway_angle():
    assert cog_height_cm(170.0) == pytest.approx(93.5)
    h = cog_height_cm(170.0)
    assert sway_angle_deg(h * math.tan(math.radians(8.0)), h) == pytest.approx(8.0)
    np.testing.assert_allclose(sway_angle_deg(np.array([0.0, -h]), h), [0.0, -45.0])
    with pytest.raises(LosSettingsError, match="body height"):
        cog_height_cm(0.0)


def test_targets_sit_on_the_ellipse_of_the_limits():
    assert los_target_deg("F") == pytest.approx((0.0, 8.0))
    assert los_target_deg("B") == pytest.approx((0.0, -4.5))
    assert los_target_deg("R", 50) == pytest.approx((4.0, 0.0))
    assert los_target_deg("L") == pytest.approx((-8.0, 0.0))
    assert math.hypot(*los_target_deg("FR")) == pytest.approx(8.0)
    back_right = 1 / math.sqrt(0.5 / 8.0**2 + 0.5 / 4.5**2)
    assert los_target_deg("BR") == pytest.approx(
        (back_right / math.sqrt(2), -back_right / math.sqrt(2))
    )
    with pytest.raises(LosSettingsError, match="unknown LOS direction"):
        los_target_deg("N")


@pytest.mark.parametrize("direction", ["F", "FR", "R", "BL"])
def test_a_straight_ramp_gives_every_measure_by_hand(direction):
    target = los_target_deg(direction, 100)
    distance = math.hypot(*target)
    scale = distance / 8.0  # the same trial, scaled to this target's distance
    along, across = ramp_trial()
    ml, ap = lean(along * scale, across * scale, math.degrees(math.atan2(target[1], target[0])))
    r = los_direction(ml, ap, FS, go_cue_s=1.0, target_deg=target, limit_deg=target)
    assert r["moved"] is True
    assert r["anticipated"] is False
    # Onset where the lean passes 5% of 8 deg = 0.4 deg: 1.3 s + 0.4 / 6 s.
    assert r["movement_onset_s"] == pytest.approx(1.3 + 0.4 / 6)
    assert r["reaction_time_s"] == pytest.approx(0.3 + 0.4 / 6)
    assert r["movement_velocity_deg_s"] == pytest.approx(6.0 * scale)  # the ramp's slope
    assert r["endpoint_excursion_pct"] == pytest.approx(75.0)  # 6 of 8 deg
    assert r["endpoint_s"] == pytest.approx(2.3)
    assert r["max_excursion_pct"] == pytest.approx(87.5)  # 7 of 8 deg, second push
    # 0.6 deg sideways for every 6 deg toward the target: 90%.
    assert r["directional_control_pct"] == pytest.approx(90.0)


def test_excursions_are_shares_of_the_limit_not_of_the_target():
    along, across = ramp_trial()  # 6 deg, then 7 deg
    r = los_direction(
        *lean(along, across), FS, go_cue_s=1.0, target_deg=(0, 6.0), limit_deg=(0, 8.0)
    )
    assert r["endpoint_excursion_pct"] == pytest.approx(75.0)  # 6 of the 8 deg limit
    assert r["max_excursion_pct"] == pytest.approx(87.5)
    # the onset threshold is 5% of the target's distance: 0.3 deg
    assert r["movement_onset_s"] == pytest.approx(1.3 + 0.3 / 6)


def test_weaving_across_the_line_lowers_directional_control():
    t = np.arange(400) / FS
    along = np.clip(t - 1.0, 0, 1) * 6.0
    # One 2.5 Hz cycle of 0.3 deg from 1.5 to 1.9 s: 4 x 0.3 deg sideways, extremes on samples.
    weave = 0.3 * np.sin(2 * np.pi * 2.5 * (t - 1.5)) * (t >= 1.5) * (t <= 1.9)
    straight = los_direction(
        np.zeros(400), along, FS, go_cue_s=0.5, target_deg=(0, 8), limit_deg=LIMIT
    )
    weaving = los_direction(weave, along, FS, go_cue_s=0.5, target_deg=(0, 8), limit_deg=LIMIT)
    assert straight["directional_control_pct"] == pytest.approx(100.0)
    # Onset at 1.0667 s: counted from the sample before (1.06 s, 0.36 deg) to the 6 deg end.
    toward = 6.0 - 0.36
    assert weaving["directional_control_pct"] == pytest.approx(100 * (toward - 1.2) / toward)


def test_a_reversal_ends_the_first_attempt():
    t = np.arange(500) / FS
    along = np.interp(t, [0, 1.0, 2.0, 2.5, 3.0], [0, 0, 4.0, 3.0, 7.0])
    r = los_direction(np.zeros(500), along, FS, go_cue_s=0.5, target_deg=(0, 8), limit_deg=LIMIT)
    assert r["endpoint_s"] == pytest.approx(2.0)
    assert r["endpoint_excursion_pct"] == pytest.approx(50.0)
    assert r["max_excursion_pct"] == pytest.approx(87.5)
    assert r["movement_velocity_deg_s"] == pytest.approx(4.0)


def test_no_real_lean_is_no_movement_but_keeps_the_maximum():
    t = np.arange(300) / FS
    sway = 1.0 * np.sin(2 * np.pi * 0.5 * t)  # 1 deg: under 25% of 8 deg
    r = los_direction(np.zeros(300), sway, FS, go_cue_s=0.5, target_deg=(0, 8), limit_deg=LIMIT)
    assert r["moved"] is False
    assert r["reaction_time_s"] is None
    assert r["directional_control_pct"] is None
    assert r["max_excursion_pct"] == pytest.approx(12.5, abs=0.1)


def test_sway_before_the_real_movement_does_not_start_the_clock():
    along, across = ramp_trial()
    t = np.arange(len(along)) / FS
    along = along + 0.5 * np.exp(-(((t - 1.15) / 0.02) ** 2))  # a 0.5 deg wobble at 1.15 s
    r = los_direction(*lean(along, across), FS, go_cue_s=1.0, target_deg=(0, 8), limit_deg=LIMIT)
    assert r["movement_onset_s"] == pytest.approx(1.3 + 0.4 / 6)


@pytest.mark.parametrize("start_s", [0.9, 0.98])  # onset at 0.97 and 1.05 s: before the cue, 50 ms
def test_a_lean_started_before_or_just_after_the_cue_is_an_anticipation(start_s):
    along, across = ramp_trial(start_s=start_s)
    r = los_direction(*lean(along, across), FS, go_cue_s=1.0, target_deg=(0, 8), limit_deg=LIMIT)
    assert r["moved"] is True
    assert r["anticipated"] is True
    assert r["reaction_time_s"] is None  # never scored as a reaction
    assert r["endpoint_excursion_pct"] == pytest.approx(75.0)  # the lean itself still counts


def test_a_reaction_just_past_the_anticipation_limit_counts():
    along, across = ramp_trial(start_s=1.05)  # onset 0.4 / 6 s later: 117 ms after the cue
    r = los_direction(*lean(along, across), FS, go_cue_s=1.0, target_deg=(0, 8), limit_deg=LIMIT)
    assert r["anticipated"] is False
    assert r["reaction_time_s"] == pytest.approx(0.05 + 0.4 / 6)


def test_noisy_lean_is_measured_after_the_default_smoothing():
    t = np.arange(500) / FS
    along = 3 - 3 * np.cos(np.pi * np.clip(t - 1.3, 0, 1))  # smooth 1 s lean to 6 deg
    rng = np.random.default_rng(3)
    ml, ap = lean(along + rng.normal(0, 0.05, len(t)), rng.normal(0, 0.05, len(t)))
    r = los_direction(ml, ap, FS, go_cue_s=1.0, target_deg=(0, 8), limit_deg=LIMIT, smoothing_hz=5)
    onset = 1.3 + math.acos(1 - 0.4 / 3) / math.pi  # where 3 - 3 cos reaches 0.4 deg
    assert r["movement_onset_s"] == pytest.approx(onset, abs=0.03)
    assert r["endpoint_excursion_pct"] == pytest.approx(75.0, abs=2.0)
    assert r["directional_control_pct"] > 60.0


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"go_cue_s": 9.0, "target_deg": (0, 8)}, LosSettingsError, "outside the trace"),
        ({"go_cue_s": 1.0, "target_deg": (0, 0)}, LosSettingsError, "non-zero"),
        ({"go_cue_s": 1.0, "target_deg": (0, 8), "limit_deg": (0, 0)}, LosSettingsError, "limit"),
    ],
)
def test_bad_settings_are_refused(kwargs, error, match):
    with pytest.raises(error, match=match):
        los_direction(np.zeros(100), np.zeros(100), FS, **{"limit_deg": LIMIT, **kwargs})


def test_gaps_and_mismatched_traces_are_refused():
    gap = np.zeros(100)
    gap[5] = np.nan
    with pytest.raises(NotEnoughDataError, match="gaps"):
        los_direction(gap, np.zeros(100), FS, go_cue_s=0.1, target_deg=(0, 8), limit_deg=LIMIT)
    with pytest.raises(NotEnoughDataError, match="same length"):
        los_direction(
            np.zeros(10), np.zeros(11), FS, go_cue_s=0.0, target_deg=(0, 8), limit_deg=LIMIT
        )
