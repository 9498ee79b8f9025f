"""Online backups of the station's database, their retention, restore, and the integrity check
that keeps the daemon off a damaged database.

A backup is SQLite's online backup API (``Connection.backup``) in one step: one read
transaction, so the copy is a consistent snapshot while the daemon keeps writing beside it
(WAL). The copy is switched to a self-contained single file, checked with
``PRAGMA integrity_check``, and only then given its name, ``station-YYYYmmdd-HHMMSS.db`` (UTC
time), in ``<data_dir>/backups``; the newest ``[backup] keep`` stay. Backups live on the same
SD card as the database: they undo mistakes and damaged files, not a dead card (copy them off
the station for that).
"""

import logging
import os
import re
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

from station.errors import StorageError
from station.migrations import MIGRATIONS
from station.runlock import station_stopped

DB_NAME = "station.db"
BACKUP_DIR = "backups"
BACKUP_NAME = re.compile(r"^station-(\d{8}-\d{6})\.db$")
STAMP = "%Y%m%d-%H%M%S"
SIDECARS = ("-wal", "-shm")

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


def _connect(path: Path, mode: str = "rw") -> sqlite3.Connection:
    """A connection to an existing file (``mode=rw`` never creates an empty database)."""
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode={mode}", uri=True, timeout=30)


def integrity_problems(path: Path | str, quick: bool = False) -> list[str]:
    """What SQLite's ``quick_check`` (or the full ``integrity_check``) finds wrong; [] if
    nothing. A file SQLite cannot read as a database at all is one problem."""
    pragma = "quick_check" if quick else "integrity_check"
    try:
        conn = _connect(Path(path))
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


def check_database(db_path: Path | str) -> None:
    """Refuse a damaged database (``PRAGMA quick_check``): CorruptDatabaseError names the file
    and the backup to restore. A missing file passes (the station creates it)."""
    db_path = Path(db_path)
    if not db_path.exists():
        return
    problems = integrity_problems(db_path, quick=True)
    if problems:
        raise CorruptDatabaseError(
            f"the database {db_path} is damaged ({problems[0]}); the station will not run on "
            f"it. {restore_hint(db_path.parent)}"
        )


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _copy_database(source: sqlite3.Connection, target: Path) -> None:
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
    _fsync(target)


def backup_database(db_path: Path | str, keep: int, now: datetime | None = None) -> Path:
    """Take a verified backup of ``db_path`` into ``<data_dir>/backups`` while the station
    may be running, then delete all but the newest ``keep``; returns the new backup's path."""
    db_path = Path(db_path)
    if not db_path.is_file():
        raise StorageError(f"there is no database at {db_path}: check [station] data_dir")
    folder = backups_dir(db_path.parent)
    try:
        folder.mkdir(mode=0o750, exist_ok=True)
        for stale in folder.glob("station-*.db.partial"):  # left by a backup that was killed
            stale.unlink()
        when = now or datetime.now(UTC)
        while (target := folder / f"station-{when:{STAMP}}.db").exists():
            when += timedelta(seconds=1)  # two backups in one second: the later gets the next
        partial = target.with_name(target.name + ".partial")
        source = _connect(db_path)
        try:
            _copy_database(source, partial)
        finally:
            source.close()
        os.replace(partial, target)
        _fsync(folder)
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


def prune_backups(data_dir: Path | str, keep: int) -> list[Path]:
    """Delete all but the newest ``keep`` backups; returns the deleted ones."""
    if keep < 1:
        raise ValueError(f"keep must be at least 1, got {keep}")
    old = list_backups(data_dir)[:-keep]
    for path in old:
        path.unlink()
    return old


def schema_version(path: Path) -> int:
    """The highest migration applied to the database at ``path`` (0 for a new one)."""
    conn = _connect(path, "ro")
    try:
        row = conn.execute("SELECT max(version) FROM schema_migrations").fetchone()
    except sqlite3.OperationalError:
        return 0
    finally:
        conn.close()
    return row[0] or 0


def _free_name(path: Path) -> Path:
    """``path``, or ``path.2``, ``path.3``, ... whichever does not exist yet."""
    candidate, n = path, 1
    while candidate.exists():
        n += 1
        candidate = path.with_name(f"{path.name}.{n}")
    return candidate


def restore_database(backup: Path | str, db_path: Path | str) -> Path | None:
    """Replace ``db_path`` with a verified copy of ``backup`` in one rename, while holding the
    run lock (the daemon must be stopped). The replaced database is kept beside it as
    ``station.db.before-restore`` (numbered if that exists); returns that path, or None when
    there was no database."""
    backup, db_path = Path(backup), Path(db_path)
    if not backup.is_file():
        raise StorageError(f"there is no backup file {backup}")
    problems = integrity_problems(backup)
    if problems:
        raise CorruptDatabaseError(
            f"the backup {backup} is damaged ({problems[0]}): choose another one "
            f"(ls {backups_dir(db_path.parent)})"
        )
    if schema_version(backup) > len(MIGRATIONS):
        raise StorageError(
            f"the backup {backup} was made by a newer version of the station (schema "
            f"{schema_version(backup)}, this one knows {len(MIGRATIONS)}): upgrade first"
        )
    with station_stopped(db_path.parent, "a database restore"):
        incoming = db_path.with_name(db_path.name + ".restoring")
        incoming.unlink(missing_ok=True)  # left by a restore that was killed
        source = _connect(backup, "ro")
        try:
            _copy_database(source, incoming)
        finally:
            source.close()
        kept = _set_aside(db_path) if db_path.exists() else None
        os.replace(incoming, db_path)
        _fsync(db_path.parent)
    return kept


def _set_aside(db_path: Path) -> Path:
    """Keep the current database as ``station.db.before-restore`` with its WAL, so it can be
    opened as it was; ``db_path`` itself is left without a WAL beside it (a WAL left next to
    the restored file would be replayed into it)."""
    kept = _free_name(db_path.with_name(db_path.name + ".before-restore"))
    try:
        conn = _connect(db_path)
        try:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:  # its WAL moves along with it below
        log.warning("could not checkpoint %s (%s): keeping its WAL beside the copy", db_path, exc)
    os.link(db_path, kept)
    for suffix in SIDECARS:
        sidecar = db_path.with_name(db_path.name + suffix)
        if sidecar.exists():
            os.replace(sidecar, kept.with_name(kept.name + suffix))
    return kept
