"""The load cells read in a process of their own (real time, emulated chips, the real driver):
what the core sees of it, a corner fault sent to it, and the process killed mid-trial."""

import os
import signal
import time

import pytest

from station.runtime.core_config import parse_config
from station.runtime.station import Station

pytestmark = pytest.mark.slow


def wait_until(predicate, what: str, timeout_s: float = 30.0) -> None:
    """Wait for ``predicate()`` (a bound on waiting, not a speed requirement)."""
    deadline = time.monotonic() + timeout_s
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def ended(station, trial_id: str) -> dict:
    """The trial once the loop ended it and its end is stored (scored off the loop)."""
    wait_until(lambda: station.drill_status() is None, "the trial to end")
    station.storage.flush()
    wait_until(lambda: station.results.get_trial(trial_id)["state"] != "running", "its end")
    return station.results.get_trial(trial_id)


def loadcells(station) -> dict:
    return station.status()["devices"]["loadcells"]


def test_the_load_cells_live_in_their_own_process_and_survive_its_death():
    station = Station(parse_config({"sim": {"seed": 11, "step_on_at_s": 0.5}}), db_path=":memory:")
    station.start()
    try:
        first = loadcells(station)
        assert first["reader"] == "process" and first["alive"]
        assert first["pid"] != os.getpid()
        wait_until(lambda: station.loop.last_frame and station.loop.last_frame.settled, "on")
        assert station.loop.last_frame.total_n > 500  # the person's weight, fed from the core

        # a corner fault goes to the chip in the process; one glitch is retried, not a fault
        station.inject_simulated_fault("back-right", "nack-once")
        wait_until(lambda: loadcells(station)["retries"] == 1, "the glitch to be retried")
        assert loadcells(station)["state"] == "ready"

        patient = station.records.create_patient({"name": "Process Killed"})
        params = {"duration_s": 30, "countdown_s": 0}
        trial_id = station.start_drill(patient["id"], "quiet-stance", params)["trial_id"]
        wait_until(lambda: station.drill_status()["phase"] == "recording", "recording")
        time.sleep(1.0)
        os.kill(first["pid"], signal.SIGKILL)
        trial = ended(station, trial_id)
        assert trial["state"] == "aborted"
        assert trial["reason"].startswith("load cells stopped sending samples (sensor fault: ")
        assert len(station.results.trial_samples(trial_id)) >= 100  # the second kept

        wait_until(lambda: loadcells(station)["restarts"] == 1, "a new load-cell process")
        wait_until(lambda: loadcells(station)["state"] == "ready", "the new one's chips")
        again = loadcells(station)
        assert again["alive"] and again["pid"] != first["pid"]
        samples = again["samples"]
        wait_until(lambda: loadcells(station)["samples"] > samples + 300, "samples again")
        params = {"duration_s": 5, "countdown_s": 0}
        trial_id = station.start_drill(patient["id"], "quiet-stance", params)["trial_id"]
        assert ended(station, trial_id)["state"] == "completed"
    finally:
        station.close()
    with pytest.raises(ProcessLookupError):  # stopped with the station
        os.kill(again["pid"], 0)
