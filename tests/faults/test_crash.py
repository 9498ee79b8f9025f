"""The daemon killed with SIGKILL mid-trial (power cut of the process: no shutdown code runs)
and started again: the database is sound, completed trials are exactly as they were, and the
trial that was running is marked interrupted."""

import os
import signal

import pytest

pytestmark = [pytest.mark.faults, pytest.mark.lean_station]


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


def flip_byte(path, offset: int) -> None:
    with open(path, "r+b") as f:
        f.seek(offset)
        byte = f.read(1)
        f.seek(offset)
        f.write(bytes([byte[0] ^ 0xFF]))


def test_a_damaged_log_frame_is_reported_not_silently_undone(daemon):
    """Issue 15, finding 7: a damaged frame in the write-ahead log silently turned a completed
    trial back into 'interrupted' (SQLite drops every transaction after a frame that fails its
    checksum), with nothing logged. Now start-up finds the damage before SQLite opens the
    database: it logs the loss as an error, keeps the log aside, and the trial says why it
    reads interrupted."""
    trial_id = daemon.start_trial("quiet-stance", duration_s=5)
    assert daemon.call(f"/api/v1/trials/{trial_id}")["state"] == "running"  # committed
    wal = daemon.db_path.with_name("station.db-wal")
    page_size = int.from_bytes(wal.read_bytes()[8:12], "big")
    frames_before_the_end = (wal.stat().st_size - 32) // (24 + page_size)
    assert daemon.ended(trial_id)["state"] == "completed"
    pids = daemon.pids()
    for pid in (pids["panel"], pids["core"]):  # both: a panel left alone would checkpoint
        os.kill(pid, signal.SIGKILL)
    daemon.proc.wait(timeout=10)
    # one bit pattern in the page of the first frame written after the trial began
    flip_byte(wal, 32 + frames_before_the_end * (24 + page_size) + 24 + 100)

    daemon.restart()
    trial = daemon.call(f"/api/v1/trials/{trial_id}")
    assert trial["state"] == "interrupted"  # what the database holds up to the damage
    assert "damaged database log" in trial["reason"]
    kept = list(daemon.db_path.parent.glob("station.db-wal.damaged-*"))
    assert len(kept) == 1
    daemon.proc.send_signal(signal.SIGTERM)
    _, err = daemon.proc.communicate(timeout=30)
    assert f"the write-ahead log {wal} is damaged at frame {frames_before_the_end + 1}" in err
    assert f"copied to {kept[0]}" in err
