"""Weight bearing: side shares, symmetry, time in zone, time over a limit, single-leg stance."""

import numpy as np
import pytest

from sensing.errors import NotEnoughDataError
from sensing.weightbearing import (
    TOUCH_DOWN_MIN_S,
    WeightBearingSettingsError,
    load_distribution,
    side_load_n,
    single_leg_stance,
    time_in_circle,
    time_in_zone,
    time_over_limit,
)

FS = 100.0


def test_shares_and_symmetry_index_by_hand():
    # front-left, front-right, back-left, back-right
    forces = np.array([[100.0, 300.0, 100.0, 300.0], [50.0, 250.0, 150.0, 350.0]])
    d = load_distribution(forces)
    # Sums: left 400, right 1200, front 700, back 900, total 1600.
    assert d["load_left_pct"] == pytest.approx(25.0)
    assert d["load_right_pct"] == pytest.approx(75.0)
    assert d["load_front_pct"] == pytest.approx(700 / 16)
    assert d["load_back_pct"] == pytest.approx(900 / 16)
    assert d["symmetry_index_lr_pct"] == pytest.approx(100 * (1200 - 400) / 800)  # 100%
    assert "load_left_bw_pct" not in d


def test_even_stance_is_symmetric_and_body_weight_shows_offloading():
    forces = np.full((10, 4), 150.0)  # 600 N on the platform
    d = load_distribution(forces, body_weight_n=800.0)  # crutches take 200 N
    assert d["symmetry_index_lr_pct"] == 0.0
    assert d["load_left_bw_pct"] == pytest.approx(37.5)
    assert d["load_right_bw_pct"] == pytest.approx(37.5)
    assert d["load_total_bw_pct"] == pytest.approx(75.0)
    single = load_distribution([0.0, 400.0, 0.0, 400.0])
    assert single["symmetry_index_lr_pct"] == pytest.approx(200.0)


def test_the_asymmetry_is_the_size_of_the_index_whichever_side_carries_more():
    """A patient loading the left leg has a negative index; the asymmetry a trend follows is
    its size, so it falls as they even out from either side."""
    left = load_distribution([300.0, 100.0, 300.0, 100.0])  # 75% on the left
    right = load_distribution([100.0, 300.0, 100.0, 300.0])
    assert left["symmetry_index_lr_pct"] == pytest.approx(-100.0)
    assert right["symmetry_index_lr_pct"] == pytest.approx(100.0)
    assert left["asymmetry_pct"] == right["asymmetry_pct"] == pytest.approx(100.0)
    assert load_distribution(np.full((3, 4), 150.0))["asymmetry_pct"] == 0.0


def test_side_load_sums_the_two_corners_of_a_side():
    forces = np.array([[1.0, 2.0, 3.0, 4.0]])
    assert side_load_n(forces, "left") == pytest.approx([4.0])
    assert side_load_n(forces, "right") == pytest.approx([6.0])
    assert side_load_n(forces, "front") == pytest.approx([3.0])
    assert side_load_n(forces, "back") == pytest.approx([7.0])
    with pytest.raises(WeightBearingSettingsError, match="unknown side"):
        side_load_n(forces, "up")


def test_time_in_zone_counts_samples_and_the_longest_stay():
    x = np.array([0, 1, 2, 3, 2, 1, 0, 2, 2, 2, 2, 9, np.nan], dtype=float)
    z = time_in_zone(x, 10.0, lo=1.0, hi=2.0)
    # In zone (1 <= x <= 2): indices 1, 2, 4, 5, 7, 8, 9, 10: 8 of 13, longest run 4.
    assert z["in_zone_fraction"] == pytest.approx(8 / 13)
    assert z["in_zone_s"] == pytest.approx(0.8)
    assert z["longest_in_zone_s"] == pytest.approx(0.4)
    with pytest.raises(WeightBearingSettingsError, match="above its high end"):
        time_in_zone(x, 10.0, lo=2.0, hi=1.0)


def test_time_in_a_circle_around_a_target():
    angle = np.linspace(0, 2 * np.pi, 400, endpoint=False)
    ml, ap = 2.0 + 3.0 * np.cos(angle), 1.0 + 3.0 * np.sin(angle)
    # A circle of radius 3 around (2, 1), target radius 3 at (2 + 3, 1): inside within 60 deg.
    z = time_in_circle(ml, ap, FS, centre=(5.0, 1.0), radius=3.0)
    assert z["in_zone_fraction"] == pytest.approx(1 / 3, abs=1 / 400)
    assert time_in_circle(ml, ap, FS, centre=(2.0, 1.0), radius=3.01)["in_zone_fraction"] == 1.0
    with pytest.raises(WeightBearingSettingsError, match="radius must be positive"):
        time_in_circle(ml, ap, FS, centre=(0.0, 0.0), radius=0.0)


def test_time_over_a_partial_weight_bearing_limit():
    bw = 800.0
    load = np.full(500, 300.0)  # 37.5% of body weight
    load[100:150] = 450.0  # 56% for 0.5 s
    load[300:320] = 500.0  # 62.5% for 0.2 s
    over = time_over_limit(load, FS, body_weight_n=bw, limit_pct=50.0)
    assert over["over_limit_s"] == pytest.approx(0.7)
    assert over["over_limit_fraction"] == pytest.approx(70 / 500)
    assert over["over_limit_episodes"] == 2
    assert over["longest_over_limit_s"] == pytest.approx(0.5)
    assert over["peak_load_bw_pct"] == pytest.approx(62.5)
    at_limit = time_over_limit(np.full(10, 400.0), FS, body_weight_n=bw, limit_pct=50.0)
    assert at_limit["over_limit_episodes"] == 0  # at the limit is not over it


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"body_weight_n": 0.0, "limit_pct": 50.0}, "body weight"),
        ({"body_weight_n": 800.0, "limit_pct": 0.0}, "0-100%"),
        ({"body_weight_n": 800.0, "limit_pct": 120.0}, "0-100%"),
    ],
)
def test_impossible_limits_are_refused(kwargs, match):
    with pytest.raises(WeightBearingSettingsError, match=match):
        time_over_limit(np.ones(5), FS, **kwargs)


def single_leg_trace(bw=700.0):
    """1 s with half the weight (other foot on the floor), 5 s on one leg with a 50 ms dip to
    80% (a balance correction), then the other foot touches the floor at 6 s."""
    total = np.full(800, 0.5 * bw)
    total[100:600] = bw * (1 + 0.02 * np.sin(np.arange(500) / 7))
    total[300:305] = 0.8 * bw
    return total


def test_single_leg_stance_runs_from_lift_off_to_touch_down():
    result = single_leg_stance(single_leg_trace(), FS, body_weight_n=700.0)
    assert result == {
        "single_leg_start_s": pytest.approx(1.0),
        "touch_down_s": pytest.approx(6.0),
        "stance_time_s": pytest.approx(5.0),
        "touched_down": True,
    }


def test_a_dip_as_long_as_the_touch_down_minimum_ends_the_stance():
    total = single_leg_trace()
    total[300 : 300 + round(TOUCH_DOWN_MIN_S * FS)] = 0.5 * 700.0
    result = single_leg_stance(total, FS, body_weight_n=700.0)
    assert result["touch_down_s"] == pytest.approx(3.0)
    assert result["stance_time_s"] == pytest.approx(2.0)


def test_no_touch_down_runs_to_the_end_and_no_lift_off_scores_zero():
    total = single_leg_trace()[:600]
    held = single_leg_stance(total, FS, body_weight_n=700.0)
    assert held["touched_down"] is False
    assert held["touch_down_s"] is None
    assert held["stance_time_s"] == pytest.approx(5.0)
    never = single_leg_stance(np.full(300, 350.0), FS, body_weight_n=700.0)
    assert never == {
        "single_leg_start_s": None,
        "touch_down_s": None,
        "stance_time_s": 0.0,
        "touched_down": False,
    }


def test_missing_load_readings_count_as_a_touch_down():
    total = single_leg_trace()
    total[200:220] = np.nan
    assert single_leg_stance(total, FS, body_weight_n=700.0)["touch_down_s"] == pytest.approx(2.0)


def test_bad_inputs_are_refused_with_a_reason():
    with pytest.raises(WeightBearingSettingsError, match="one column per corner"):
        load_distribution(np.ones((5, 3)))
    with pytest.raises(NotEnoughDataError, match="nobody is standing"):
        load_distribution(np.zeros((5, 4)))
    with pytest.raises(NotEnoughDataError, match="no force samples"):
        load_distribution(np.zeros((0, 4)))
    with pytest.raises(NotEnoughDataError, match="1-D array"):
        single_leg_stance(np.zeros((2, 2)), FS, body_weight_n=700.0)
