"""The disk fills up mid-trial: the station says so clearly (log and API), corrupts nothing, and
stores again once there is room.

How the disk is filled, safely and without root or a mount: the RLIMIT_FSIZE of both of the
daemon's processes (the core, which writes trials, and the panel, which writes patients) is
lowered while they run (``prlimit``) to the current size of the write-ahead log, so no file
they write can grow any more, exactly as on a full disk: every write that would extend a file
fails (EFBIG; Python ignores SIGXFSZ), rewrites inside existing space still work. Raising the
limit again is the technician freeing space.
"""

import resource
import signal

import pytest

pytestmark = [pytest.mark.faults, pytest.mark.lean_station]


def test_a_full_disk_is_a_clear_error_and_corrupts_nothing(daemon):
    pids = daemon.pids().values()
    done_id = daemon.start_trial("quiet-stance", duration_s=5)
    done = daemon.ended(done_id)
    lost_id = daemon.start_trial("quiet-stance", duration_s=5)

    room, hard = resource.prlimit(daemon.proc.pid, resource.RLIMIT_FSIZE)
    wal = daemon.db_path.with_name(daemon.db_path.name + "-wal")
    for pid in pids:  # the disk is full, for both processes
        resource.prlimit(pid, resource.RLIMIT_FSIZE, (wal.stat().st_size, hard))
    try:
        daemon.wait_for(
            lambda: daemon.call("/api/v1/status")["drill"] is None, 30, "the trial to end"
        )
        status, error = daemon.error("/api/v1/patients", {"name": "No Room"})
        assert status == 503 and error["code"] == "storage_failed"
        assert "could not write to the database" in error["message"]
        assert "has free space" in error["message"]
        assert daemon.call("/api/v1/health")["loop"]["ticks"] > 0  # still serving
        # every view of a record is audited (issue 15, finding 6): one that cannot be written
        # down is refused as well, rather than shown unrecorded
        status, error = daemon.error(f"/api/v1/trials/{done_id}")
        assert status == 503 and error["code"] == "storage_failed"
    finally:
        for pid in pids:  # space freed
            resource.prlimit(pid, resource.RLIMIT_FSIZE, (room, hard))

    assert daemon.call(f"/api/v1/trials/{done_id}") == done
    assert daemon.call("/api/v1/patients", {"name": "Room Again"})["name"] == "Room Again"
    again = daemon.ended(daemon.start_trial("quiet-stance", duration_s=5))
    assert again["state"] == "completed"
    daemon.proc.send_signal(signal.SIGTERM)
    assert daemon.proc.wait(timeout=15) == 0
    log = daemon.proc.stderr.read()
    assert f"trial {lost_id} ended completed but its result and samples are lost" in log
    assert "check that the disk holding" in log and "Traceback" not in log
    assert daemon.integrity() == "ok"

    daemon.restart()
    assert daemon.call(f"/api/v1/trials/{done_id}") == done
    assert daemon.call(f"/api/v1/trials/{again['id']}") == again
    assert daemon.call(f"/api/v1/trials/{lost_id}")["state"] == "interrupted"  # not 'running'
