"""Online backups, retention, restore, and the integrity check that refuses a damaged database."""

import socket
import sqlite3
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta

import pytest

from station.cli.main import main
from station.errors import StorageError
from station.runtime.runlock import PANEL_LOCK_NAME, RunLock, StationRunningError
from station.storage.backup import (
    CorruptDatabaseError,
    backup_database,
    integrity_problems,
    list_backups,
)
from station.storage.contents import WrongDatabaseError
from station.storage.database import Storage
from station.storage.restore import restore_database

T0 = datetime(2025, 3, 1, 2, 30, 0, tzinfo=UTC)


def patient_names(path) -> list[str]:
    conn = sqlite3.connect(path)
    try:
        return [row[0] for row in conn.execute("SELECT name FROM patients ORDER BY id")]
    finally:
        conn.close()


@pytest.fixture
def db_path(tmp_path):
    return tmp_path / "data" / "station.db"


def make_database(db_path, names):
    db_path.parent.mkdir(parents=True, exist_ok=True)
    storage = Storage(db_path)
    for name in names:
        storage.create_patient({"name": name})
    storage.close()


def test_a_backup_taken_while_the_station_writes_is_a_consistent_snapshot(db_path):
    make_database(db_path, ["first"])
    storage = Storage(db_path)
    stop, written, errors = threading.Event(), [], []

    def keep_writing():
        try:
            while not stop.is_set():
                written.append(storage.create_patient({"name": f"p{len(written)}"})["id"])
        except Exception as exc:  # reported below: a backup must never make a write fail
            errors.append(exc)

    writer = threading.Thread(target=keep_writing)
    writer.start()
    try:
        counts = []
        for k in range(3):
            while len(written) < 20 * (k + 1):  # let the writer get ahead between backups
                threading.Event().wait(0.01)
            before = len(written)
            path = backup_database(db_path, keep=5, now=T0 + timedelta(minutes=k))
            after = len(written)
            assert integrity_problems(path) == []
            names = patient_names(path)
            # a snapshot: every row up to some moment during the backup, none half-written
            assert names == ["first"] + [f"p{i}" for i in range(len(names) - 1)]
            # at most one write is in flight: committed, not yet counted in ``written``
            assert before <= len(names) - 1 <= after + 1
            counts.append(len(names))
    finally:
        stop.set()
        writer.join(10.0)
        storage.close()
    assert errors == []
    assert counts == sorted(counts) and counts[0] < counts[-1]
    backups = list_backups(db_path.parent)
    assert [p.name for p in backups] == [
        "station-20250301-023000.db",
        "station-20250301-023100.db",
        "station-20250301-023200.db",
    ]
    for path in backups:  # self-contained single files: no WAL needed beside them
        conn = sqlite3.connect(path)
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
        conn.close()
    assert not list(db_path.parent.joinpath("backups").glob("*.partial"))


def test_retention_keeps_the_newest_and_touches_nothing_else(db_path):
    make_database(db_path, ["a"])
    folder = db_path.parent / "backups"
    folder.mkdir()
    (folder / "notes.txt").write_text("keep me")
    (folder / "station-before-move.db").write_text("not ours to delete")
    made = [backup_database(db_path, keep=3, now=T0 + timedelta(days=d)) for d in range(5)]
    assert list_backups(db_path.parent) == made[-3:]
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [p.name for p in made[-3:]] + ["notes.txt", "station-before-move.db"]
    )


def test_two_backups_in_the_same_second_keep_their_order(db_path):
    make_database(db_path, ["a"])
    first = backup_database(db_path, keep=5, now=T0)
    second = backup_database(db_path, keep=5, now=T0)
    assert list_backups(db_path.parent) == [first, second]
    assert second.name == "station-20250301-023001.db"


def test_backup_without_a_database_names_the_option_to_check(tmp_path):
    with pytest.raises(StorageError, match=r"no database at .*station\.db: check \[station\]"):
        backup_database(tmp_path / "station.db", keep=3)


def test_restore_replaces_the_database_and_keeps_the_replaced_one(db_path):
    make_database(db_path, ["kept"])
    backup = backup_database(db_path, keep=5, now=T0)
    make_database(db_path, ["added after the backup"])
    # a daemon that died mid-write: its last transaction is only in the WAL
    subprocess.run(
        [
            sys.executable,
            "-c",
            "import os, sqlite3, sys; c = sqlite3.connect(sys.argv[1]); "
            "c.execute(\"INSERT INTO patients (name, created_at) VALUES ('in the WAL', 'x')\"); "
            "c.commit(); os._exit(0)",
            str(db_path),
        ],
        check=True,
    )
    assert db_path.with_name("station.db-wal").stat().st_size > 0

    kept = restore_database(backup, db_path)

    assert kept == db_path.with_name("station.db.before-restore")
    assert patient_names(kept) == ["kept", "added after the backup", "in the WAL"]
    assert patient_names(db_path) == ["kept"]
    storage = Storage(db_path)  # the station opens it as usual
    assert [p["name"] for p in storage.list_patients()] == ["kept"]
    storage.close()
    # a second restore never overwrites the first one's safety copy
    assert restore_database(backup, db_path) == db_path.with_name("station.db.before-restore.2")
    assert patient_names(kept) == ["kept", "added after the backup", "in the WAL"]


def test_restore_refuses_while_the_daemon_runs(db_path):
    make_database(db_path, ["current"])
    backup = backup_database(db_path, keep=5, now=T0)
    make_database(db_path, ["newer"])
    with (
        RunLock(db_path.parent, "the station daemon"),
        pytest.raises(StationRunningError, match=r"the station daemon.*systemctl stop"),
    ):
        restore_database(backup, db_path)
    assert patient_names(db_path) == ["current", "newer"]


def test_restore_refuses_while_the_panel_runs(db_path):
    """The panel has the database open too: a restore under it would leave it writing to the
    replaced file."""
    make_database(db_path, ["current"])
    backup = backup_database(db_path, keep=5, now=T0)
    make_database(db_path, ["newer"])
    with (
        RunLock(db_path.parent, "the station's panel", PANEL_LOCK_NAME),
        pytest.raises(StationRunningError, match=r"the station's panel.*balance-station-panel"),
    ):
        restore_database(backup, db_path)
    assert patient_names(db_path) == ["current", "newer"]


def corrupt(path):
    """Overwrite the patients table's root page in the file, as a failing SD card might."""
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # every page in the file, none in the WAL
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'patients'").fetchone()[0]
    conn.close()
    with open(path, "r+b") as f:
        f.seek((root - 1) * page_size)
        f.write(b"\xa5" * page_size)


def test_restore_refuses_a_damaged_backup(db_path):
    make_database(db_path, ["current"])
    backup = backup_database(db_path, keep=5, now=T0)
    corrupt(backup)
    with pytest.raises(CorruptDatabaseError, match=r"is damaged.*choose another one"):
        restore_database(backup, db_path)
    assert patient_names(db_path) == ["current"]


def test_a_damaged_database_is_refused_naming_the_latest_backup(db_path):
    make_database(db_path, [f"patient {i}" for i in range(50)])
    backup_database(db_path, keep=5, now=T0)
    latest = backup_database(db_path, keep=5, now=T0 + timedelta(days=1))
    corrupt(db_path)

    with pytest.raises(CorruptDatabaseError) as refused:
        Storage(db_path)
    message = str(refused.value)
    assert f"the database {db_path} is damaged" in message
    assert "taken 2025-03-02 02:30 UTC" in message
    assert message.endswith(f"sudo balance-station restore {latest}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_config(tmp_path, keep=14):
    config = tmp_path / "station.toml"
    config.write_text(
        f'[station]\ndata_dir = "{tmp_path / "data"}"\n[panel]\nport = {free_port()}\n'
        f"[backup]\nkeep = {keep}\n"
    )
    return config


@pytest.mark.e2e
def test_the_daemon_will_not_start_on_a_damaged_database(tmp_path, db_path):
    make_database(db_path, ["a"])
    latest = backup_database(db_path, keep=5, now=T0)
    corrupt(db_path)
    run = subprocess.run(
        [sys.executable, "-m", "station", "run", "--config", str(write_config(tmp_path))],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 2  # the unit's RestartPreventExitStatus: no restart loop
    assert f"sudo balance-station restore {latest}" in run.stderr
    assert "Traceback" not in run.stderr


def test_backup_restore_and_migrate_commands(tmp_path, db_path, capsys):
    config = str(write_config(tmp_path, keep=2))
    assert main(["migrate", "--config", config]) == 0
    assert "schema version" in capsys.readouterr().out
    make_database(db_path, ["before"])
    paths = []
    for _ in range(3):
        assert main(["backup", "--config", config]) == 0
        paths.append(capsys.readouterr().out.strip())
    assert [str(p) for p in list_backups(db_path.parent)] == paths[-2:]  # [backup] keep = 2
    make_database(db_path, ["after"])

    assert main(["restore", paths[-1], "--config", config]) == 0
    out = capsys.readouterr().out
    assert "station.db.before-restore" in out and "systemctl start balance-station" in out
    assert patient_names(db_path) == ["before"]

    with RunLock(db_path.parent, "the station daemon"):
        assert main(["restore", paths[-1], "--config", config]) == 2
        assert main(["migrate", "--config", config]) == 2
    assert "stop the station first" in capsys.readouterr().err


def put_in_place(path, db_path):
    """``path`` as the database (a new file: connections still open on the old one do not
    see it), without the old one's WAL."""
    path.replace(db_path)
    for sidecar in ("station.db-wal", "station.db-shm"):
        db_path.with_name(sidecar).unlink(missing_ok=True)


def test_no_backup_is_taken_of_a_database_that_lost_records(db_path, tmp_path):
    """The nightly backup of an emptied or shrunken database would become the latest backup
    and hide the loss from the start-up check."""
    make_database(db_path, ["a", "b"])
    latest = backup_database(db_path, keep=5, now=T0)
    (tmp_path / "empty.db").write_bytes(b"")
    put_in_place(tmp_path / "empty.db", db_path)
    with pytest.raises(WrongDatabaseError, match=r"nothing to back up: .*station\.db is empty"):
        backup_database(db_path, keep=5, now=T0 + timedelta(days=1))
    make_database(tmp_path / "elsewhere" / "station.db", ["a"])
    source = sqlite3.connect(tmp_path / "elsewhere" / "station.db")
    copy = sqlite3.connect(tmp_path / "smaller.db")
    source.backup(copy)
    source.close()
    copy.close()
    put_in_place(tmp_path / "smaller.db", db_path)
    with pytest.raises(WrongDatabaseError, match=r"fewer records than the latest backup"):
        backup_database(db_path, keep=5, now=T0 + timedelta(days=1))
    assert list_backups(db_path.parent) == [latest]
