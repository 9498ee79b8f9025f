"""The simulated platform's forces sent ahead to the load-cell process through a real pipe, the
same forces on the same grid for chips in the core's process, and the load-cell samples' wire
records."""

import math
import os

import pytest

from hw.loadcells import SAMPLE_RECORD_BYTES, LoadCellSample, pack_sample, unpack_samples
from hw.sim.force_feed import LEAD_S, POINT, STEP_S, FedForces, ForceFeed, GridForces
from hw.sim.person import Person
from hw.sim.platform import SimPlatform
from hw.sim.profiles import G_M_S2, PROFILES


@pytest.fixture
def pipe():
    read_fd, write_fd = os.pipe()
    yield read_fd, write_fd
    os.close(read_fd)
    os.close(write_fd)


def fed_platform(pipe, seed=4):
    """A platform with a person stepping on at 1 s, its feed, and the reader's side."""
    platform = SimPlatform(Person(PROFILES["older-adult"], seed=seed, step_on_at_s=1.0))
    feed = ForceFeed(platform)
    feed.attach(pipe[1])
    return platform, feed, FedForces(pipe[0])


def test_the_fed_forces_are_the_platforms_on_the_grid_and_between(pipe):
    _, feed, fed = fed_platform(pipe)
    twin = SimPlatform(Person(PROFILES["older-adult"], seed=4, step_on_at_s=1.0))
    for tick in range(200, 800):  # 2 s to 8 s at 100 Hz: stepping on, then quiet stance
        t = tick / 100
        feed.step(t)
        fed.refresh()
        for i in range(4):
            assert fed.corner_force_n(i, t) == pytest.approx(twin.corner_force_n(i, t), abs=1e-9)
            # between two grid points: within 0.02 N of the model (the sway is itself
            # interpolated between its 5 ms steps; the stepping-on ramp is smooth)
            between = t + STEP_S / 3
            assert fed.corner_force_n(i, between) == pytest.approx(
                twin.corner_force_n(i, between), abs=0.02
            )
    assert fed.underruns == 0


def test_a_command_rewrites_the_forces_already_sent_from_its_time(pipe):
    platform, feed, fed = fed_platform(pipe)
    for tick in range(300, 401):
        feed.step(tick / 100)
    fed.refresh()
    assert fed.corner_force_n(0, 4.06) > 100  # sent ahead: the person was standing there
    platform.person.step_off(4.0)  # the virtual patient reacts at the tick of 4.0 s
    feed.step(4.01)
    fed.refresh()
    twin = SimPlatform(Person(PROFILES["older-adult"], seed=4, step_on_at_s=1.0))
    twin.person.step_off(4.0)
    for t in (4.02, 4.06, 4.1):
        assert fed.corner_force_n(0, t) == pytest.approx(twin.corner_force_n(0, t), abs=1e-9)
    total_after = sum(fed.corner_force_n(i, 4.1) for i in range(4))
    assert total_after < sum(twin.corner_force_n(i, 3.9) for i in range(4)) - 5.0  # going off


def test_chips_in_the_cores_process_convert_what_the_fed_process_converts(pipe):
    """A virtual clock's chips (GridForces) and the load-cell process's (FedForces) see the
    same forces at any conversion time."""
    _, feed, fed = fed_platform(pipe)
    grid = GridForces(SimPlatform(Person(PROFILES["older-adult"], seed=4, step_on_at_s=1.0)))
    for tick in range(200, 600):  # 2 s to 6 s at 100 Hz: stepping on, then quiet stance
        t_tick = tick / 100
        feed.step(t_tick)
        fed.refresh()
        for t in (t_tick - 0.0087, t_tick - 0.0039):  # conversions read at this tick
            for i in range(4):
                assert grid.corner_force_n(i, t) == pytest.approx(
                    fed.corner_force_n(i, t), abs=1e-9
                )


def test_a_command_redoes_the_grid_forces_from_its_time():
    platform = SimPlatform(Person(PROFILES["older-adult"], seed=4, step_on_at_s=1.0))
    grid = GridForces(platform)
    assert grid.corner_force_n(0, 4.06) > 100  # worked out ahead: the person was standing
    platform.person.step_off(4.0)  # a command for a time before points already worked out
    twin = SimPlatform(Person(PROFILES["older-adult"], seed=4, step_on_at_s=1.0))
    twin.person.step_off(4.0)
    twin_grid = GridForces(twin)
    for t in (4.02, 4.06, 4.1, 4.503):
        for i in range(4):
            assert grid.corner_force_n(i, t) == pytest.approx(
                twin_grid.corner_force_n(i, t), abs=1e-9
            )
    assert sum(grid.corner_force_n(i, 5.9) for i in range(4)) == pytest.approx(
        4 * platform.dead_load_n
    )  # off the platform: the plate's own weight


def test_a_test_mass_reaches_the_fed_forces_from_the_tick_it_was_placed(pipe):
    platform, feed, fed = fed_platform(pipe)
    for tick in range(50, 61):
        feed.step(tick / 100)
    platform.place_mass(10.0)
    feed.step(0.61)
    fed.refresh()
    assert sum(fed.corner_force_n(i, 0.65) for i in range(4)) == pytest.approx(
        4 * platform.dead_load_n + 10.0 * G_M_S2
    )


def test_a_core_held_up_past_the_lead_holds_the_newest_force_and_counts_it(pipe):
    platform, feed, fed = fed_platform(pipe)
    feed.step(5.0)
    fed.refresh()
    last_k = math.floor((5.0 + LEAD_S) / STEP_S)  # the newest point sent
    fed.corner_force_n(2, (last_k - 0.5) * STEP_S)
    assert fed.underruns == 0
    held = fed.corner_force_n(2, 5.0 + LEAD_S + 0.3)
    assert held == pytest.approx(platform.corner_force_n(2, last_k * STEP_S), abs=1e-9)
    assert fed.underruns == 1


def test_a_reader_that_stops_reading_never_blocks_the_core(pipe):
    """The core's loop writes each tick; a stuck load-cell process must not stall it: a full
    pipe keeps the unsent points for the next tick."""
    platform, feed, fed = fed_platform(pipe)
    ticks = 0
    while True:  # until the pipe is full: every write after that sends nothing
        ticks += 1
        sent = feed.points
        feed.step(ticks / 100)
        if feed.points == sent and ticks > 10:
            break
        assert ticks < 100_000
    fed.refresh()  # the process reads again: the feed goes on from where it stopped
    feed.step((ticks + 1) / 100)
    fed.refresh()
    t = (ticks + 1) / 100
    assert fed.corner_force_n(1, t) == pytest.approx(platform.corner_force_n(1, t), abs=1e-9)


def test_a_partial_point_waits_for_its_rest(pipe):
    fed = FedForces(pipe[0])
    data = POINT.pack(200, 1.0, 2.0, 3.0, 4.0) + POINT.pack(201, 3.0, 4.0, 5.0, 6.0)
    os.write(pipe[1], data[:50])
    fed.refresh()
    os.write(pipe[1], data[50:])
    fed.refresh()
    assert fed.corner_force_n(0, 200.5 * STEP_S) == pytest.approx(2.0)
    assert fed.corner_force_n(3, 200.5 * STEP_S) == pytest.approx(5.0)


def test_a_sample_crosses_the_process_boundary_unchanged():
    sample = LoadCellSample(
        1234.5678,
        (-8_388_608, 8_388_607, 0, -1),
        (True, False, False, True),
        (17, -1, 3, 2**40),
        (1234.56, math.nan, 1234.55, 1234.5601),
        (0, 0, 3, 1),
    )
    data = pack_sample(sample) * 3
    assert len(data) == 3 * SAMPLE_RECORD_BYTES
    back = unpack_samples(data)
    assert len(back) == 3
    for other in back:
        assert other.t_s == sample.t_s and other.counts == sample.counts
        assert other.fresh == sample.fresh and other.seq == sample.seq
        assert other.lost == sample.lost
        assert other.times_s[0] == sample.times_s[0] and math.isnan(other.times_s[1])
