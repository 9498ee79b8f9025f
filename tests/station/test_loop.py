"""Control-loop scheduling: deadlines advance by one period, late ticks are counted."""

import threading

import pytest

from sensing.calibration import CornerCalibration
from sensing.cop import PlatformGeometry
from sensing.framing import FrameBuilder
from station.clock import VirtualClock
from station.config import parse_config
from station.live import LiveFeed
from station.loop import ControlLoop
from station.service import Station


class ScriptedStop:
    """Stands in for the stop Event: waiting advances the virtual clock instead of real time."""

    def __init__(self, clock, ticks):
        self.clock, self.ticks, self.waits = clock, ticks, []
        self._event = threading.Event()

    def is_set(self):
        return self._event.is_set()

    def wait(self, timeout):
        self.waits.append(round(timeout, 6))
        self.clock.sleep(timeout)


class SlowSource:
    """Load cells whose read takes ``cost_s`` of (virtual) time; slow on chosen ticks."""

    def __init__(self, clock, stop, slow_ticks, cost_s=0.001, slow_s=0.025):
        self.clock, self.stop, self.slow_ticks = clock, stop, slow_ticks
        self.cost_s, self.slow_s, self.calls = cost_s, slow_s, 0

    def latest(self):
        self.calls += 1
        self.clock.sleep(self.slow_s if self.calls in self.slow_ticks else self.cost_s)
        if self.calls >= self.stop.ticks:
            self.stop._event.set()
        return None


class NullCues:
    def update(self, now):
        pass

    def all_off(self):
        pass


def make_loop(clock, source):
    frames = FrameBuilder(CornerCalibration((0,) * 4, (1,) * 4), PlatformGeometry(400, 300), 20)
    return ControlLoop(
        clock=clock,
        rate_hz=100.0,
        loadcells=source,
        cues=NullCues(),
        frames=frames,
        feed=LiveFeed(),
        on_begin=None,
        on_end=None,
    )


def test_deadlines_do_not_drift_and_late_ticks_are_counted():
    clock = VirtualClock()
    stop = ScriptedStop(clock, ticks=200)
    source = SlowSource(clock, stop, slow_ticks={50, 120})
    loop = make_loop(clock, source)
    feed = loop.feed.subscribe()
    loop.run(stop)
    assert loop.ticks == 200
    # Each 25 ms overrun makes the next tick late by 15 ms and the one after by 6 ms (> 5 ms);
    # the schedule then catches up instead of drifting.
    assert loop.late_ticks == 4
    assert clock.now() == pytest.approx(200 * 0.01)  # the 201st deadline: no drift
    assert stop.waits[0] == 0.009  # a full period minus the 1 ms the tick took
    status = loop.status()
    assert status["measured_rate_hz"] == 100.0
    assert status["lateness_ms"]["max"] == 15.0
    assert len(feed.wait(0)) == 200


def test_a_long_stall_resyncs_instead_of_bursting():
    clock = VirtualClock()
    stop = ScriptedStop(clock, ticks=30)
    source = SlowSource(clock, stop, slow_ticks={10}, slow_s=3.0)
    loop = make_loop(clock, source)
    loop.run(stop)
    assert loop.resyncs == 1
    assert loop.late_ticks == 0  # after the resync the schedule restarts from now


def test_instructions_said_together_are_shown_together():
    config = parse_config({"sim": {"step_on_at_s": 0.5}})
    station = Station(config, clock=VirtualClock(), db_path=":memory:")
    try:
        patient = station.create_patient({"name": "A", "height_cm": 170, "weight_kg": 70})
        station.start_drill(patient["id"], "quiet-stance", {"duration_s": 5})
        said = None
        for _ in range(200):  # until the countdown: both conditions are said at once
            station.run_virtual(max_s=0.1, until_trial_ends=False)
            said = station.live_state()["instruction"]
            if said:
                break
        assert said["codes"] == ["eyes-open", "firm-surface"]
        assert said["text"].startswith("Keep your eyes open") and "remove the foam" in said["text"]
    finally:
        station.close()
