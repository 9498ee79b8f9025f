"""The daemon killed with SIGKILL mid-trial (power cut of the process: no shutdown code runs)
and started again: the database is sound, completed trials are exactly as they were, and the
trial that was running is marked interrupted."""

import signal

import pytest

pytestmark = pytest.mark.faults


def test_sigkill_mid_trial_then_restart_keeps_every_completed_trial(daemon):
    done_id = daemon.start_trial("quiet-stance", duration_s=5)
    done = daemon.ended(done_id)
    assert done["state"] == "completed"
    samples = daemon.call(f"/api/v1/trials/{done_id}/samples")
    killed_id = daemon.start_trial("quiet-stance", duration_s=30)

    daemon.proc.send_signal(signal.SIGKILL)
    assert daemon.proc.wait(timeout=10) == -signal.SIGKILL
    assert daemon.integrity() == "ok"  # SQLite recovers the WAL the crash left

    daemon.restart()  # the kernel dropped the run lock with the process
    assert daemon.call(f"/api/v1/trials/{done_id}") == done  # result, metrics, cues, events
    assert daemon.call(f"/api/v1/trials/{done_id}/samples") == samples
    killed = daemon.call(f"/api/v1/trials/{killed_id}")
    assert killed["state"] == "interrupted"
    assert killed["reason"] == "station stopped unexpectedly"
    listed = daemon.call(f"/api/v1/patients/{daemon.patient_id}/trials")["trials"]
    assert {t["id"]: t["state"] for t in listed} == {
        done_id: "completed",
        killed_id: "interrupted",
    }
    again = daemon.ended(daemon.start_trial("quiet-stance", duration_s=5))
    assert again["state"] == "completed"  # the restarted station records as before
    assert daemon.integrity() == "ok"
