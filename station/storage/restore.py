"""``restore``: replace the station's database with a backup, while the station is stopped.

Only the station's own database is put in place: not a damaged file, not an empty one or
someone else's (``station.storage.contents``), and not one holding fewer records than the latest
backup unless asked for (``older``: going back to an earlier backup on purpose). What was put
in place is noted in ``restored.json`` in the data directory, so that start-up and the next
backup compare the database with it, not with the newer backups, until a backup is taken.
"""

import json
import logging
import os
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from station.errors import StorageError
from station.runtime.runlock import station_stopped
from station.storage.backup import (
    RESTORE_NOTE,
    CorruptDatabaseError,
    backups_dir,
    copy_database,
    fsync_path,
    integrity_problems,
    list_backups,
)
from station.storage.contents import (
    WrongDatabaseError,
    connect_existing,
    fewer_records,
    read_contents,
)
from station.storage.migrations import MIGRATIONS

SIDECARS = ("-wal", "-shm")

log = logging.getLogger(__name__)


def restore_database(backup: Path | str, db_path: Path | str, older: bool = False) -> Path | None:
    """Replace ``db_path`` with a verified copy of ``backup`` in one rename, while holding the
    run lock (the daemon must be stopped). The replaced database is kept beside it as
    ``station.db.before-restore`` (numbered if that exists); returns that path, or None when
    there was no database. A backup with fewer records than the latest is refused unless
    ``older``."""
    backup, db_path = Path(backup), Path(db_path)
    if not backup.is_file():
        raise StorageError(f"there is no backup file {backup}")
    choose = f"choose another one (ls {backups_dir(db_path.parent)})"
    problems = integrity_problems(backup)
    if problems:
        raise CorruptDatabaseError(f"the backup {backup} is damaged ({problems[0]}): {choose}")
    contents = read_contents(backup, "ro")
    if contents.kind != "station":
        raise WrongDatabaseError(f"{contents.describe()}: it is no backup of the station; {choose}")
    if contents.version > len(MIGRATIONS):
        raise StorageError(
            f"the backup {backup} was made by a newer version of the station (schema "
            f"{contents.version}, this one knows {len(MIGRATIONS)}): upgrade first"
        )
    backups = list_backups(db_path.parent)
    if backups and not older and backups[-1].resolve() != backup.resolve():
        fewer = fewer_records(contents.counts, _counts(backups[-1]))
        if fewer:
            raise WrongDatabaseError(
                f"the backup {backup} holds fewer records than the latest, {backups[-1]} "
                f"({fewer}): restore the latest, or add --older to go back to this one on purpose"
            )
    with station_stopped(db_path.parent, "a database restore"):
        incoming = db_path.with_name(db_path.name + ".restoring")
        incoming.unlink(missing_ok=True)  # left by a restore that was killed
        source = connect_existing(backup, "ro")
        try:
            copy_database(source, incoming)
        finally:
            source.close()
        kept = _set_aside(db_path) if db_path.exists() else None
        os.replace(incoming, db_path)
        _note_restore(db_path.parent, backup, contents.counts, backups)
        fsync_path(db_path.parent)
    return kept


def _counts(backup: Path) -> dict[str, int]:
    """The records of each kind in ``backup``; none if it is not a readable station backup."""
    try:
        contents = read_contents(backup, "ro")
    except sqlite3.DatabaseError:
        return {}
    return contents.counts or {}


def _note_restore(data_dir: Path, backup: Path, counts: dict, backups: list[Path]) -> None:
    """Write ``restored.json``: the backup put in place, its records and the latest backup
    there was (``station.storage.backup.record_baseline`` reads it)."""
    note = {
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "backup": str(backup.resolve()),
        "latest_backup": backups[-1].name if backups else None,
        "counts": counts,
    }
    partial = data_dir / (RESTORE_NOTE + ".partial")
    partial.write_text(json.dumps(note, indent=2) + "\n")
    os.replace(partial, data_dir / RESTORE_NOTE)


def _free_name(path: Path) -> Path:
    """``path``, or ``path.2``, ``path.3``, ... whichever does not exist yet."""
    candidate, n = path, 1
    while candidate.exists():
        n += 1
        candidate = path.with_name(f"{path.name}.{n}")
    return candidate


def _set_aside(db_path: Path) -> Path:
    """Keep the current database as ``station.db.before-restore`` with its WAL, so it can be
    opened as it was; ``db_path`` itself is left without a WAL beside it (a WAL left next to
    the restored file would be replayed into it)."""
    kept = _free_name(db_path.with_name(db_path.name + ".before-restore"))
    try:
        conn = connect_existing(db_path)
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
