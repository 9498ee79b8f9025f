"""Control-loop scheduling: deadlines advance by one period, late ticks are counted."""

import threading

import numpy as np
import pytest

from hw.reader import pump_inline
from sensing.calibration import CornerCalibration
from sensing.cop import PlatformGeometry
from sensing.framing import FrameBuilder
from station.clock import VirtualClock
from station.runtime.core_config import parse_config
from station.runtime.live import LiveFeed
from station.runtime.loop import ControlLoop
from station.runtime.station import Station
from station.storage.samples import COLUMNS


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
    """A load-cell reader whose drain takes ``cost_s`` of (virtual) time, slow on chosen ticks,
    and which never has a sample."""

    rate_hz = 320
    stale_limit_s = 0.5

    def __init__(self, clock, stop, slow_ticks, cost_s=0.001, slow_s=0.025):
        self.clock, self.stop, self.slow_ticks = clock, stop, slow_ticks
        self.cost_s, self.slow_s, self.calls = cost_s, slow_s, 0

    def drain(self):
        self.calls += 1
        self.clock.sleep(self.slow_s if self.calls in self.slow_ticks else self.cost_s)
        if self.calls >= self.stop.ticks:
            self.stop._event.set()
        return []


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
    # without a sample the frames still come, on the 10 ms grid and held: each waited for the
    # sensor as long as the grid waits (late_after_s), late ticks or not
    times = [round(frame.t_s * 100) for frame in feed.wait(0)]
    assert times == list(range(times[0], times[0] + len(times)))
    assert clock.now() - loop.last_frame.t_s == pytest.approx(loop.grid.late_after_s, abs=0.011)


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
        patient = station.records.create_patient({"name": "A", "height_cm": 170, "weight_kg": 70})
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


def test_a_late_tick_builds_every_frame_it_missed_on_the_sensors_clock(station):
    patient = station.records.create_patient({"name": "Late"})
    trial_id = station.start_drill(patient["id"], "quiet-stance", {"duration_s": 5})["trial_id"]
    station.run_virtual(max_s=6.0, until_trial_ends=False)
    session = station.loop.session
    assert session.drill.phase.value == "recording"
    steps = []
    drill_step = session.drill.step
    session.drill.step = lambda frame: steps.append(frame.t_s) or drill_step(frame)
    clock, readers = station.clock, list(station.loop.sensors.values())
    late_s = clock.now() + 0.037  # the loop thread was held up; the readers went on reading
    pump_inline(readers, late_s, clock)
    clock.advance_to(late_s)
    station.loop.tick()
    assert len(steps) >= 3  # the drill stepped once per missed grid point, in order
    assert steps == [steps[0] + k / 100 for k in range(len(steps))]
    station.run_virtual(max_s=30)
    station.storage.flush()
    trial = station.results.get_trial(trial_id)
    assert trial["state"] == "completed"
    rows = station.results.trial_samples(trial_id)
    spacing = np.diff(rows[:, COLUMNS.index("t_s")])
    assert np.abs(spacing - 0.01).max() < 1e-9  # the recording never saw the late tick
    assert rows[:, COLUMNS.index("fresh")].all()
    quality = trial["result"]["quality"]["measures"]
    assert quality["jitter_p99_ms"] < 1e-6 and quality["dropped_samples"] == 0


def test_every_conversion_of_every_chip_reaches_the_frames(station):
    station.run_virtual(max_s=3.0, until_trial_ends=False)
    frames = station.subscribe()
    before = station.status()["devices"]["loadcells"]["corner_samples"]
    started = station.clock.now()
    got = []
    for _ in range(10):
        station.run_virtual(max_s=1.0, until_trial_ends=False)
        got += frames.wait(0)
    after = station.status()["devices"]["loadcells"]
    elapsed_s = station.clock.now() - started
    frames.close()
    read = sum(after["corner_samples"][c] - before[c] for c in before)
    # the four chips are 0.5%, -0.3%, 0.2% and -0.4% off 320 SPS: the frames count them all
    assert sum(f.conversions for f in got) == pytest.approx(read, abs=4 * 4)
    assert read == pytest.approx(elapsed_s * (321.6 + 319.04 + 320.64 + 318.72), abs=4)
    assert sum(f.lost_conversions for f in got) == 0
    assert after["lost_conversions"] == dict.fromkeys(before, 0)
    assert after["clock_rate_sps"]["front-left"] == pytest.approx(321.6, abs=0.1)


def test_conversions_the_readers_lost_reach_the_trials_quality_gate(station):
    patient = station.records.create_patient({"name": "Busy"})
    trial_id = station.start_drill(patient["id"], "quiet-stance", {"duration_s": 5})["trial_id"]
    station.run_virtual(max_s=6.0, until_trial_ends=False)
    assert station.drill_status()["phase"] == "recording"
    lost_before = sum(station.status()["devices"]["loadcells"]["lost_conversions"].values())
    for _ in range(10):  # the process is held up for 30 ms now and then: readers too
        station.clock.advance_to(station.clock.now() + 0.03)
        station.run_virtual(max_s=0.2, until_trial_ends=False)
    lost = sum(station.status()["devices"]["loadcells"]["lost_conversions"].values())
    assert lost - lost_before == pytest.approx(10 * 4 * 0.03 * 320, rel=0.1)
    station.run_virtual(max_s=30)
    station.storage.flush()
    trial = station.results.get_trial(trial_id)
    quality = trial["result"]["quality"]
    assert quality["measures"]["dropped_samples"] == lost - lost_before
    assert quality["ok"] is False
    flag = next(f for f in quality["flags"] if f["code"] == "samples_dropped")
    assert "conversions" in flag["message"] and flag["value"] > 1.0
    rows = station.results.trial_samples(trial_id)
    assert rows[:, COLUMNS.index("lost_conversions")].sum() == lost - lost_before
