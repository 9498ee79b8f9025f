"""WobbleBoard: tilts toward the centre of pressure, lags, stops at the rim, level when empty."""

import math

import pytest

from hw.sim.person import Person
from hw.sim.profiles import PROFILES
from hw.sim.wobble import WobbleBoard
from sensing.tilt import tilt_deg


class Standing:
    """A load of ``force_n`` at a fixed COP (mm) from ``on_s`` until ``off_s``."""

    def __init__(self, ml_mm=0.0, ap_mm=0.0, *, on_s=0.0, off_s=math.inf, force_n=700.0):
        self.cop_mm = (ml_mm, ap_mm)
        self.on_s, self.off_s = on_s, off_s
        self.force_n = force_n

    def load(self, t_s):
        if self.on_s <= t_s < self.off_s:
            return (self.force_n, *self.cop_mm)
        return (0.0, 0.0, 0.0)


def tilt_at(board, t_s, *, from_s=0.0, every_s=0.1):
    """Tilt (pitch, roll) in degrees at ``t_s``, querying every ``every_s`` on the way there
    from ``from_s``, as the IMU emulator does at each report."""
    for i in range(1, math.ceil((t_s - from_s) / every_s)):
        board.orientation(from_s + i * every_s)
    return tilt_deg(board.orientation(t_s))


def test_level_when_nobody_stands_on_it():
    board = WobbleBoard(Standing(30.0, 30.0, on_s=math.inf), start_s=0.0)
    assert [board.orientation(t / 7) for t in range(50)] == [(0.0, 0.0, 0.0, 1.0)] * 50


@pytest.mark.parametrize(
    ("ml_mm", "ap_mm", "pitch_deg", "roll_deg"),
    [(4.0, 0.0, 0.0, 1.0), (-4.0, 0.0, 0.0, -1.0), (0.0, 4.0, 1.0, 0.0), (0.0, -4.0, -1.0, 0.0)],
)
def test_tilts_toward_the_centre_of_pressure(ml_mm, ap_mm, pitch_deg, roll_deg):
    board = WobbleBoard(Standing(ml_mm, ap_mm), radius_mm=100.0, start_s=0.0)
    rolled_deg = math.degrees(4.0 / 100.0)  # rolling 4 mm on a 100 mm dome
    expected = (pitch_deg * rolled_deg, roll_deg * rolled_deg)
    assert tilt_at(board, 4.0) == pytest.approx(expected, abs=1e-9)  # 27 time constants


def test_tilt_stops_at_the_rim():
    board = WobbleBoard(Standing(60.0, 60.0), max_tilt_deg=15.0, start_s=0.0)
    tilt_at(board, 4.0)
    x, y, z, w = board.orientation(4.0)
    assert math.degrees(2 * math.acos(w)) == pytest.approx(15.0, abs=1e-6)
    pitch, roll = tilt_deg((x, y, z, w))
    assert z == 0.0 and pitch == pytest.approx(roll) and pitch > 10.0


def test_follows_with_a_first_order_lag():
    board = WobbleBoard(Standing(5.0, 0.0), radius_mm=100.0, tau_s=0.15, start_s=0.0)
    target_deg = math.degrees(5.0 / 100.0)
    assert tilt_at(board, 0.15)[1] == pytest.approx(target_deg * (1 - math.exp(-1)), rel=1e-6)
    assert tilt_at(board, 0.3)[1] == pytest.approx(target_deg * (1 - math.exp(-2)), rel=1e-6)


def test_settles_level_after_the_person_steps_off():
    board = WobbleBoard(Standing(5.0, -3.0, off_s=2.0), start_s=0.0)
    leaning = tilt_at(board, 2.0)
    assert leaning[1] > 2.5 and leaning[0] < -1.5
    assert tilt_at(board, 4.0, from_s=2.0) == pytest.approx((0.0, 0.0), abs=1e-3)


def test_results_do_not_depend_on_the_query_pattern():
    def person():
        return Person(PROFILES["older-adult"], seed=4, step_on_at_s=0.2)

    dense = WobbleBoard(person(), start_s=0.0)
    sparse = WobbleBoard(person(), start_s=0.0)
    some = [0.5, 1.2345, 1.9, 2.6, 3.3, 4.0, 4.7, 5.4, 5.9999]  # gaps under CATCH_UP_S
    everywhere = {
        t: dense.orientation(t) for t in sorted({i / 1000 for i in range(6001)} | {*some})
    }
    assert [sparse.orientation(t) for t in some] == [everywhere[t] for t in some]
    assert len({everywhere[t] for t in some}) == len(some)  # the board moved meanwhile


def test_a_long_gap_never_asks_the_person_about_the_distant_past():
    def person():
        return Person(PROFILES["healthy-young"], seed=5, step_on_at_s=0.2)

    exact = tilt_at(WobbleBoard(person(), start_s=0.0), 10.0, every_s=0.01)
    walker = person()
    gapped = WobbleBoard(walker, start_s=0.0)
    tilt_at(gapped, 2.0)
    walker.load(10.0)  # the load cells read the person on while the IMU was down
    after_gap = tilt_deg(gapped.orientation(10.0))
    assert after_gap != exact
    assert after_gap == pytest.approx(exact, abs=0.1)  # within e^-5 of a few degrees


def test_starts_level_at_the_first_query_by_default():
    board = WobbleBoard(Standing(5.0, 0.0))
    assert board.orientation(50.0) == (0.0, 0.0, 0.0, 1.0)
    assert tilt_deg(board.orientation(50.5))[1] > 2.5
    assert board.orientation(49.0) == (0.0, 0.0, 0.0, 1.0)  # before the model starts


def test_queries_may_go_back_at_most_one_second():
    board = WobbleBoard(Standing(5.0, 0.0), start_s=0.0)
    tilt_at(board, 3.0)
    assert tilt_deg(board.orientation(2.1))[1] > 2.8
    with pytest.raises(ValueError, match="more than 1 s before"):
        board.orientation(1.5)


def test_stepping_on_tips_the_board_to_the_lead_foot_then_it_settles():
    person = Person(PROFILES["healthy-young"], seed=2, step_on_at_s=1.0)
    board = WobbleBoard(person, start_s=0.0)
    rolls = [tilt_deg(board.orientation(i / 1000))[1] for i in range(0, 8001)]
    assert max(abs(r) for r in rolls[:1000]) == 0.0  # empty board
    assert 12.0 < max(rolls[1000:1700]) <= 15.0 + 1e-9  # all weight on the right foot first
    assert max(abs(r) for r in rolls[7000:]) < 5.0  # quiet stance


@pytest.mark.parametrize(
    "kw", [{"radius_mm": 0.0}, {"max_tilt_deg": -1.0}, {"tau_s": 0.0}, {"radius_mm": math.nan}]
)
def test_rejects_non_positive_parameters(kw):
    with pytest.raises(ValueError, match="must be positive"):
        WobbleBoard(Standing(), **kw)
