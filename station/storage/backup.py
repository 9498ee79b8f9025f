"""Online backups of the station's database, their retention, and the record counts the
database must not fall below (``record_baseline``). Restore is ``station.storage.restore``; the
checks at start-up ``station.storage.check``.

A backup is SQLite's online backup API (``Connection.backup``) in one step: one read
transaction, so the copy is a consistent snapshot while the daemon keeps writing beside it
(WAL). The copy is switched to a self-contained single file, checked with
``PRAGMA integrity_check``, and only then given its name, ``station-YYYYmmdd-HHMMSS.db`` (UTC
time), in ``<data_dir>/backups``; the newest ``[backup] keep`` stay. Backups live on the same
SD card as the database: they undo mistakes and damaged files, not a dead card (copy them off
the station for that).

A backup is only taken of the station's own database (``station.storage.contents``) holding at
least the records of the baseline: a nightly backup of a file emptied or replaced by an older
one would otherwise become the latest backup and hide the loss.
"""

import json
import logging
import os
import re
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from station.errors import StorageError
from station.storage.contents import (
    WrongDatabaseError,
    connect_existing,
    fewer_records,
    read_contents,
)

DB_NAME = "station.db"
BACKUP_DIR = "backups"
BACKUP_NAME = re.compile(r"^station-(\d{8}-\d{6})\.db$")
STAMP = "%Y%m%d-%H%M%S"
RESTORE_NOTE = "restored.json"  # in the data directory: what the last restore put in place

log = logging.getLogger(__name__)


class CorruptDatabaseError(StorageError):
    """A database or backup fails SQLite's integrity check; the message names the file and
    what to restore."""


def backups_dir(data_dir: Path | str) -> Path:
    return Path(data_dir) / BACKUP_DIR


def list_backups(data_dir: Path | str) -> list[Path]:
    """The finished backups in ``<data_dir>/backups``, oldest first (by the time in the name)."""
    folder = backups_dir(data_dir)
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if BACKUP_NAME.match(p.name))


def backup_time(path: Path) -> datetime:
    """The UTC time a backup was taken, read from its name."""
    return datetime.strptime(BACKUP_NAME.match(path.name)[1], STAMP).replace(tzinfo=UTC)


def latest_backup(data_dir: Path | str) -> Path | None:
    backups = list_backups(data_dir)
    return backups[-1] if backups else None


def integrity_problems(path: Path | str, quick: bool = False) -> list[str]:
    """What SQLite's ``quick_check`` (or the full ``integrity_check``) finds wrong; [] if
    nothing. A file SQLite cannot read as a database at all is one problem."""
    pragma = "quick_check" if quick else "integrity_check"
    try:
        conn = connect_existing(Path(path))
        try:
            rows = [row[0] for row in conn.execute(f"PRAGMA {pragma}(10)")]
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        return [str(exc)]
    return [] if rows == ["ok"] else rows


def restore_hint(data_dir: Path | str) -> str:
    """What to run to get a good database back: the latest backup, or what to do without one."""
    latest = latest_backup(data_dir)
    if latest is None:
        return (
            f"There is no backup in {backups_dir(data_dir)}: copy the damaged file somewhere "
            "safe (sqlite3's .recover may save part of it), then move it away so the station "
            "starts with an empty database"
        )
    taken = backup_time(latest).strftime("%Y-%m-%d %H:%M UTC")
    return f"Restore the latest backup (taken {taken}): sudo balance-station restore {latest}"


@dataclass(frozen=True)
class Baseline:
    """The records of each kind the database must hold at least, and whose figures they are
    (``source``, in words)."""

    source: str
    counts: dict[str, int]


def read_restore_note(data_dir: Path | str) -> dict | None:
    """What the last ``restore`` put in place (``station.storage.restore`` writes it), or None."""
    try:
        note = json.loads((Path(data_dir) / RESTORE_NOTE).read_text())
    except (OSError, ValueError):
        return None
    return note if isinstance(note, dict) and isinstance(note.get("counts"), dict) else None


def record_baseline(data_dir: Path | str) -> Baseline | None:
    """The records the database must hold at least: those of the backup the last restore put
    in place while no backup has been taken since (a restore to an older backup, on purpose),
    else those of the latest backup that reads as the station's database; None without
    either (a new station)."""
    backups = list_backups(data_dir)
    note = read_restore_note(data_dir)
    if note and note.get("latest_backup") == (backups[-1].name if backups else None):
        restored = f"the backup restored at {note.get('at')} ({note.get('backup')})"
        return Baseline(restored, note["counts"])
    for path in reversed(backups):
        try:
            contents = read_contents(path, "ro")
            problem = contents.describe()
        except sqlite3.DatabaseError as exc:
            contents, problem = None, str(exc)
        if contents is not None and contents.kind == "station":
            return Baseline(f"the latest backup {path}", contents.counts)
        log.warning(
            "%s is not a backup of the station's database (%s): not compared", path, problem
        )
    return None


def fsync_path(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def copy_database(source: sqlite3.Connection, target: Path) -> None:
    """Copy ``source`` into a new single-file (rollback-journal) database at ``target``,
    checked with ``integrity_check`` and flushed to disk."""
    dest = sqlite3.connect(target)
    try:
        source.backup(dest)  # pages=-1: the whole database in one read transaction
        dest.execute("PRAGMA journal_mode=DELETE")
    finally:
        dest.close()
    problems = integrity_problems(target)
    if problems:
        target.unlink()
        raise CorruptDatabaseError(
            f"the copy fails SQLite's integrity check ({problems[0]}): the source is damaged"
        )
    fsync_path(target)


def backup_database(db_path: Path | str, keep: int, now: datetime | None = None) -> Path:
    """Take a verified backup of ``db_path`` into ``<data_dir>/backups`` while the station
    may be running, then delete all but the newest ``keep``; returns the new backup's path."""
    db_path = Path(db_path)
    if not db_path.is_file():
        raise StorageError(f"there is no database at {db_path}: check [station] data_dir")
    _check_worth_keeping(db_path)
    folder = backups_dir(db_path.parent)
    try:
        folder.mkdir(mode=0o750, exist_ok=True)
        for stale in folder.glob("station-*.db.partial"):  # left by a backup that was killed
            stale.unlink()
        when = now or datetime.now(UTC)
        while (target := folder / f"station-{when:{STAMP}}.db").exists():
            when += timedelta(seconds=1)  # two backups in one second: the later gets the next
        partial = target.with_name(target.name + ".partial")
        source = connect_existing(db_path)
        try:
            copy_database(source, partial)
        finally:
            source.close()
        os.replace(partial, target)
        fsync_path(folder)
    except CorruptDatabaseError as exc:
        raise CorruptDatabaseError(f"backup of {db_path} failed: {exc}") from None
    except (OSError, sqlite3.Error) as exc:
        raise StorageError(
            f"cannot write the backup into {folder} ({getattr(exc, 'strerror', None) or exc}): "
            "check that it is a folder the station's user may write and that the disk has "
            "free space"
        ) from None
    prune_backups(db_path.parent, keep)
    return target


def _check_worth_keeping(db_path: Path) -> None:
    """Refuse to back up a file that is not the station's database or holds fewer records
    than the baseline: as the latest backup it would hide the loss."""
    try:
        contents = read_contents(db_path)
    except sqlite3.DatabaseError as exc:
        raise CorruptDatabaseError(
            f"backup of {db_path} failed: SQLite cannot read it ({exc}). "
            f"{restore_hint(db_path.parent)}"
        ) from None
    if contents.kind != "station":
        raise WrongDatabaseError(
            f"nothing to back up: {contents.describe()}. {restore_hint(db_path.parent)}"
        )
    baseline = record_baseline(db_path.parent)
    fewer = baseline and fewer_records(contents.counts, baseline.counts)
    if fewer:
        raise WrongDatabaseError(
            f"{db_path} holds fewer records than {baseline.source} ({fewer}), so no backup was "
            f"taken: it would hide the loss. {restore_hint(db_path.parent)}"
        )


def prune_backups(data_dir: Path | str, keep: int) -> list[Path]:
    """Delete all but the newest ``keep`` backups; returns the deleted ones."""
    if keep < 1:
        raise ValueError(f"keep must be at least 1, got {keep}")
    old = list_backups(data_dir)[:-keep]
    for path in old:
        path.unlink()
    return old
