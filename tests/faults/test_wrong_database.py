"""A database that is not the one the station wrote, against the real daemon and ``restore``
(issue 15, finding 7: ``restore`` took a 0-byte file, a blank SQLite file or any SQLite file
without the station's tables, exit 0; a ``station.db`` truncated to 0 bytes started a station
with no users and no trials, its first-run page open to anyone, although backups existed).

Start-up and ``restore`` now refuse, with exit code 2 (no restart loop under systemd) and a
message naming the file and the backup to restore; an older backup goes back in only when
asked for (``--older``), and the station then runs on it."""

import shutil
import signal
import sqlite3
import subprocess
import sys

import pytest

pytestmark = [pytest.mark.faults, pytest.mark.lean_station]


def station(*args, timeout_s: float = 60) -> subprocess.CompletedProcess:
    """``python -m station ARGS`` run to its end."""
    return subprocess.run(
        [sys.executable, "-m", "station", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout_s,
    )


def refused(run: subprocess.CompletedProcess) -> str:
    """The stderr of a command that must stop with exit code 2 and no traceback."""
    assert run.returncode == 2, run.stderr
    assert "Traceback" not in run.stderr, run.stderr
    return run.stderr


def blank_sqlite(path) -> None:
    """A valid SQLite file with nothing in it (as ``sqlite3 station.db 'VACUUM'`` makes)."""
    conn = sqlite3.connect(path)
    conn.execute("VACUUM")
    conn.close()


def foreign_sqlite(path) -> None:
    """Another program's database."""
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE moz_places (id INTEGER PRIMARY KEY, url TEXT)")
    conn.execute("INSERT INTO moz_places (url) VALUES ('https://example.org')")
    conn.commit()
    conn.close()


def zero_bytes(path) -> None:
    path.write_bytes(b"")


WRONG = {"0-byte file": zero_bytes, "blank SQLite": blank_sqlite, "foreign SQLite": foreign_sqlite}


def patient_names(db_path) -> list[str]:
    conn = sqlite3.connect(db_path)
    try:
        return [row[0] for row in conn.execute("SELECT name FROM patients ORDER BY id")]
    finally:
        conn.close()


@pytest.fixture
def stopped(daemon, tmp_path):
    """The daemon's data after a clean stop, with a backup taken by the real command: returns
    (config path, database path, backup path)."""
    config = tmp_path / "station.toml"
    daemon.call("/api/v1/patients", {"name": "Second Patient"})
    daemon.proc.send_signal(signal.SIGTERM)
    assert daemon.proc.wait(timeout=30) == 0
    backup = station("backup", "--config", config)
    assert backup.returncode == 0, backup.stderr
    return config, daemon.db_path, backup.stdout.strip()


def test_the_daemon_will_not_start_on_an_empty_or_foreign_database(stopped, tmp_path, subtests):
    config, db_path, backup = stopped
    good = tmp_path / "good.db"
    shutil.copy(db_path, good)
    for case, make in WRONG.items():
        with subtests.test(case=case):
            db_path.unlink()
            make(db_path)
            err = refused(station("run", "--config", config))
            assert str(db_path) in err
            assert f"sudo balance-station restore {backup}" in err
            shutil.copy(good, db_path)
    with subtests.test(case="no database at all, backups there"):
        db_path.unlink()
        err = refused(station("run", "--config", config))
        assert f"there is no database at {db_path}" in err and backup in err
        shutil.copy(good, db_path)


def test_the_daemon_will_not_start_on_an_older_copy(daemon, tmp_path):
    config = tmp_path / "station.toml"
    older = tmp_path / "older.db"
    daemon.proc.send_signal(signal.SIGTERM)  # a clean stop: the database is one file
    assert daemon.proc.wait(timeout=30) == 0
    shutil.copy(daemon.db_path, older)
    daemon.restart()
    daemon.call("/api/v1/patients", {"name": "Added Later"})
    daemon.proc.send_signal(signal.SIGTERM)
    assert daemon.proc.wait(timeout=30) == 0
    backup = station("backup", "--config", config).stdout.strip()

    shutil.copy(older, daemon.db_path)  # the copy from before the new patient, put back
    err = refused(station("run", "--config", config))
    assert f"{daemon.db_path} holds fewer records than the latest backup {backup}" in err
    assert "patients: 1, there 2" in err
    assert f"sudo balance-station restore {backup}" in err


def test_restore_refuses_a_file_that_is_no_backup_of_the_station(stopped, tmp_path, subtests):
    config, db_path, _ = stopped
    for case, make in WRONG.items():
        with subtests.test(case=case):
            wrong = tmp_path / f"{case.replace(' ', '-')}.db"
            make(wrong)
            err = refused(station("restore", wrong, "--config", config))
            assert str(wrong) in err and "no backup of the station" in err
            assert patient_names(db_path) == ["Fault Suite", "Second Patient"]


def test_an_older_backup_goes_back_only_on_purpose_and_the_station_runs_on_it(daemon, tmp_path):
    config = tmp_path / "station.toml"
    first = station("backup", "--config", config).stdout.strip()  # one patient
    daemon.call("/api/v1/patients", {"name": "After The First Backup"})
    latest = station("backup", "--config", config).stdout.strip()  # two
    daemon.proc.send_signal(signal.SIGTERM)
    assert daemon.proc.wait(timeout=30) == 0

    err = refused(station("restore", first, "--config", config))
    assert f"fewer records than the latest, {latest}" in err and "--older" in err
    assert patient_names(daemon.db_path) == ["Fault Suite", "After The First Backup"]

    restored = station("restore", first, "--older", "--config", config)
    assert restored.returncode == 0, restored.stderr
    assert patient_names(daemon.db_path) == ["Fault Suite"]
    daemon.restart()  # the start-up check compares with the backup restored, not the latest
    assert [p["name"] for p in daemon.call("/api/v1/patients")["patients"]] == ["Fault Suite"]
    assert station("backup", "--config", config).returncode == 0  # and so does a backup


def test_a_new_station_without_backups_starts_on_an_empty_file(spawn, daemon_config, until_healthy):
    config, base = daemon_config()
    data_dir = config.parent / "data"
    data_dir.mkdir()
    zero_bytes(data_dir / "station.db")  # e.g. created by hand before the first start
    until_healthy(base, [spawn("run", "--config", config)])
