"""Scoring off the loop: a finished trial is scored and stored on a worker, never in a tick."""

import logging
import threading
from types import SimpleNamespace

import pytest

from station.clock import MonotonicClock, VirtualClock
from station.runtime.core_config import parse_config
from station.runtime.scoring import ScoringWorker
from station.runtime.station import Station


def wait_until(predicate, what: str, timeout_s: float = 10.0) -> None:
    """Wait for ``predicate()`` (a bound on waiting, not a speed requirement)."""
    done = threading.Event()
    for _ in range(int(timeout_s / 0.01)):
        if predicate():
            return
        done.wait(0.01)
    raise AssertionError(f"timed out waiting for {what}")


def test_a_trial_ending_in_real_time_is_scored_on_the_worker_while_the_loop_ticks():
    config = parse_config({"sim": {"step_on_at_s": 0.0, "seed": 3}})
    station = Station(config, clock=MonotonicClock(), db_path=":memory:")
    scoring, release, scored_on = threading.Event(), threading.Event(), []
    store_end = station.loop.scoring._on_end  # the station's own: scores and stores

    def held_on_end(session, t_end_s):
        scored_on.append(threading.current_thread().name)
        scoring.set()
        assert release.wait(10.0)
        store_end(session, t_end_s)

    station.loop.scoring._on_end = held_on_end
    station.start()
    try:
        patient = station.records.create_patient({"name": "Worker"})
        trial_id = station.start_drill(patient["id"], "quiet-stance")["trial_id"]
        station.stop_drill()  # the loop ends the trial in a tick
        assert scoring.wait(10.0)
        ticks = station.loop.ticks
        wait_until(lambda: station.loop.ticks >= ticks + 5, "the loop to tick on")
        assert scored_on == ["scoring"]
        assert station.loop.status()["scoring"]["pending"] == 1
        release.set()
        wait_until(lambda: station.loop.status()["scoring"]["pending"] == 0, "the scoring")
        station.storage.flush()
        trial = station.results.get_trial(trial_id)
        assert trial["state"] == "aborted" and trial["reason"] == "stopped by the therapist"
    finally:
        release.set()
        station.close()
    assert station.loop.status()["scoring"] == {"scored": 1, "failed": 0, "pending": 0}


def test_closing_the_station_waits_for_the_trials_being_scored():
    config = parse_config({"sim": {"step_on_at_s": 0.0, "seed": 3}})
    station = Station(config, clock=MonotonicClock(), db_path=":memory:")
    stored = []
    store_end = station.loop.scoring._on_end
    station.loop.scoring._on_end = lambda session, t: (store_end(session, t), stored.append(t))
    station.start()
    patient = station.records.create_patient({"name": "Shutdown"})
    station.start_drill(patient["id"], "quiet-stance")
    station.close()  # ends the trial as aborted: it is scored and stored before the database
    assert len(stored) == 1


def test_under_a_virtual_clock_the_result_is_stored_before_run_virtual_returns(station):
    patient = station.records.create_patient({"name": "Inline"})
    trial_id = station.start_drill(patient["id"], "quiet-stance", {"duration_s": 5})["trial_id"]
    station.run_virtual(max_s=30)
    assert station.loop.session is None
    assert station.loop.status()["scoring"] == {"scored": 1, "failed": 0, "pending": 0}
    station.storage.flush()
    assert station.results.get_trial(trial_id)["state"] == "completed"


def test_a_trial_that_cannot_be_scored_is_logged_and_the_worker_goes_on(caplog):
    stored = []

    def on_end(session, t_end_s):
        if session.trial_id == "bad":
            raise ValueError("no frames")
        stored.append(session.trial_id)

    worker = ScoringWorker(on_end, inline=False)
    with caplog.at_level(logging.ERROR, logger="station.runtime.scoring"):
        for trial_id in ("first", "bad", "last"):
            worker.submit(SimpleNamespace(trial_id=trial_id), 1.0)
        worker.close()
        worker.close()
    assert stored == ["first", "last"]  # in the order they ended
    assert worker.status() == {"scored": 2, "failed": 1, "pending": 0}
    assert "could not score and store trial bad" in caplog.text


@pytest.mark.parametrize("inline", [True, False])
def test_close_without_any_trial_is_immediate(inline):
    worker = ScoringWorker(lambda session, t: None, inline=inline)
    worker.close()
    assert worker.status()["pending"] == 0
    assert VirtualClock().virtual  # the station picks inline from its clock
