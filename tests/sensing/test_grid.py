"""FrameGrid and Resampler: conversions on each chip's clock to points on a fixed time grid."""

import math
from dataclasses import dataclass

import numpy as np
import pytest

from sensing.grid import FrameGrid, Resampler


@dataclass(frozen=True)
class Sample:
    """What a load-cell reader delivers (``hw.loadcells.LoadCellSample``'s fields)."""

    counts: tuple
    fresh: tuple
    seq: tuple
    times_s: tuple
    lost: tuple = (0, 0, 0, 0)


@dataclass(frozen=True)
class Report:
    t_s: float


def conversions(rate_hz, seconds, signal, start_s=10.0, error=0.0):
    """(times, values) of a chip converting ``signal(t)`` at ``rate_hz`` x (1 + error)."""
    times = start_s + np.arange(round(seconds * rate_hz * (1 + error))) / (rate_hz * (1 + error))
    return times, np.array([signal(t) for t in times])


def resampled(rate_hz, signal, grid_hz=100.0, seconds=2.0, error=0.0):
    """(grid times, values) of ``signal`` converted at ``rate_hz`` and brought to the grid."""
    corner = Resampler(rate_hz, grid_hz)
    times, values = conversions(rate_hz, seconds, signal, error=error)
    for t, v in zip(times, values, strict=True):
        corner.push(t, v)
    grid = np.arange(math.ceil(10.1 * grid_hz), math.floor((times[-1] - 0.05) * grid_hz)) / grid_hz
    values, fresh = zip(*(corner.value_at(t) for t in grid), strict=True)
    assert all(fresh)
    return grid, np.array(values)


def sine(hz):
    return lambda t: math.sin(2 * math.pi * hz * t)


@pytest.mark.parametrize("error", [0.0, 0.005])
def test_sway_frequencies_pass_the_anti_alias_filter(error):
    for hz, loss in ((0.5, 0.001), (5.0, 0.012), (10.0, 0.04)):
        grid, values = resampled(320, sine(hz), error=error)
        expected = np.sin(2 * np.pi * hz * grid)
        assert np.max(np.abs(values - expected)) < loss, hz  # no phase shift, little loss


def test_what_would_alias_onto_the_sway_band_is_filtered_out():
    # 95 Hz sampled at 100 Hz would read as a 5 Hz wave of full amplitude
    for hz in (80.0, 95.0, 100.0, 140.0):
        _, values = resampled(320, sine(hz))
        assert np.max(np.abs(values)) < 10 ** (-40 / 20), hz  # attenuated by 40 dB or more


def test_slower_chips_are_interpolated_between_conversions():
    grid, values = resampled(80, lambda t: 3.0 * t + 1.0)  # a ramp: linear interpolation is exact
    np.testing.assert_allclose(values, 3.0 * grid + 1.0, rtol=1e-12)
    corner = Resampler(80, 100)
    assert (corner.decimates, corner.reach_s) == (False, 0.0)
    assert corner.value_at(1.0) == (None, False)  # nothing yet


def test_a_missing_conversion_does_not_bias_the_filtered_value():
    corner = Resampler(320, 100)
    times, values = conversions(320, 1.0, lambda t: 500.0)
    for i, (t, v) in enumerate(zip(times, values, strict=True)):
        if i != 160:  # one conversion lost
            corner.push(t, v)
    assert corner.value_at(times[160]) == (pytest.approx(500.0), True)


@pytest.mark.parametrize("rate_hz", [320, 80])
def test_a_value_bridging_a_silence_is_not_fresh(rate_hz):
    corner = Resampler(rate_hz, 100)
    times, values = conversions(rate_hz, 1.0, lambda t: 500.0)
    for t, v in zip(times, values, strict=True):
        if not 10.4 < t < 10.7:  # the chip was silent for 0.3 s, then came back
            corner.push(t, v)
    assert corner.value_at(10.3)[1] is True
    assert corner.value_at(10.55) == (pytest.approx(500.0), False)  # bridged, not measured
    assert corner.value_at(10.8)[1] is True


def feed(grid, rates=(320.0,) * 4, seconds=1.0, start_s=10.0, value=100.0, lost_at=None):
    """Give ``grid`` what four chips converting ``value`` at ``rates`` deliver, one sample per
    conversion of each corner, for ``seconds`` (one figure, or one per corner); ``lost_at`` =
    (corner, index) marks one conversion lost."""
    events = []
    spans = seconds if isinstance(seconds, tuple) else (seconds,) * 4
    for corner, (rate, span) in enumerate(zip(rates, spans, strict=True)):
        times, _ = conversions(rate, span, lambda t: value, start_s=start_s)
        events += [(t, corner, k) for k, t in enumerate(times)]
    samples = []
    for t, corner, k in sorted(events):
        fresh = tuple(i == corner for i in range(4))
        lost = tuple(int(lost_at == (i, k)) for i in range(4))
        samples.append(Sample((value,) * 4, fresh, (k,) * 4, (t,) * 4, lost))
    grid.add_loadcells(samples)


def test_points_come_at_exactly_k_over_rate_once_their_conversions_are_in():
    grid = FrameGrid(100.0, 320.0)
    assert grid.due(10.0) == []  # the first point is at 10.00, waiting for its conversions
    feed(grid, rates=(321.6, 319.0, 320.6, 318.7), seconds=0.5)  # each chip its own oscillator
    points = grid.due(10.5)  # a tick half a second late builds everything it missed
    times = [p.t_s for p in points]
    assert times == [k / 100 for k in range(1000, 1000 + len(times))]
    assert times[-1] <= 10.5 - grid._corners[0].reach_s  # the filter needs 20 ms after a point
    assert all(p.fresh and p.counts == pytest.approx((100.0,) * 4) for p in points[1:])
    assert grid.next_t_s(10.5) == times[-1] + 0.01


def test_each_point_says_which_conversions_it_summarises():
    grid = FrameGrid(100.0, 320.0)
    grid.due(10.0)
    feed(grid, seconds=0.5, lost_at=(2, 40))
    points = grid.due(10.5)
    assert sum(p.conversions for p in points) == sum(
        1 for corner in range(4) for k in range(160) if 10.0 + k / 320 <= points[-1].t_s
    )
    assert [p.lost for p in points if p.lost] == [1]
    lossy = next(p for p in points if p.lost)
    assert lossy.t_s >= 10.0 + 40 / 320 > lossy.t_s - 0.01  # in the period it happened
    p = points[10]  # t = 10.10: each corner's newest conversion at or before it
    assert p.seq == (32, 32, 32, 32)


def test_a_silent_corner_is_held_after_the_wait_and_marked_not_fresh():
    grid = FrameGrid(100.0, 320.0)
    grid.due(10.0)
    feed(grid, seconds=(0.5, 0.5, 0.5, 0.1))  # back-right stops after 10.1 s
    newest = grid.newest_t("loadcells")
    assert newest == pytest.approx(10.1 - 1 / 320)
    waiting = grid.due(newest + 0.005)
    assert waiting and all(p.fresh for p in waiting)
    assert waiting[-1].t_s <= newest - 0.02  # nothing whose filter window back-right misses
    next_t = waiting[-1].t_s + 0.01
    assert grid.due(next_t + grid.late_after_s - 0.001) == []  # the next waits for it
    held = grid.due(10.5)
    assert held and not any(p.fresh for p in held)
    assert 10.5 - grid.late_after_s - 0.011 < held[-1].t_s < 10.5 - grid.late_after_s
    assert held[-1].counts == pytest.approx((100.0,) * 4)  # back-right held at its newest


def test_without_any_conversion_points_still_come_after_the_wait():
    grid = FrameGrid(100.0, 80.0)
    grid.due(10.0)
    points = grid.due(11.0)
    assert [round(p.t_s * 100) for p in points] == list(range(1000, 1090))  # before 11.0 - 0.1
    assert all(p.counts is None and not p.fresh for p in points)
    assert grid.newest_t("loadcells") is None


def test_the_imu_reading_is_the_newest_at_or_before_the_point_within_its_age():
    grid = FrameGrid(100.0, 80.0, imu_max_age_s=0.25)
    grid.due(10.0)
    grid.add_imu([Report(10.003), Report(10.013), Report(10.023)])
    points = grid.due(10.5)
    by_time = {round(p.t_s * 100): p.imu for p in points}
    assert by_time[1000] is None  # nothing at or before 10.00
    assert by_time[1001].t_s == 10.003 and by_time[1002].t_s == 10.013
    assert by_time[1027].t_s == 10.023  # 0.247 s old
    assert by_time[1028] is None  # 0.257 s: too old for a tilt
    assert grid.newest_t("imu") == 10.023


def test_a_stall_longer_than_a_second_skips_points_and_counts_them():
    grid = FrameGrid(100.0, 80.0)
    grid.due(10.0)
    points = grid.due(15.0)
    assert points[0].t_s == pytest.approx(14.0)
    assert grid.skipped == 400
