"""What the station's core checks before it opens its database, so that it never runs on one it
should not: a damaged file, an empty one or someone else's in its place, or one holding fewer
records than the latest backup (``station.storage.backup.record_baseline``). Each is refused with a
``StorageError`` naming the file and the backup to restore (the command exits 2, which the
service unit does not restart). An empty database starts a new station only when there is no
backup: otherwise the station would come up with no account and its first-run page open to
anyone on the network.

A write-ahead log damaged in its middle is found first (``station.storage.wal``), while nothing has
opened the database: SQLite would drop the transactions committed after the damage without a
word. The database up to the damage is sound and the station runs on it, but the loss is
logged as an error and the log is copied aside for whoever can recover the rest.
"""

import logging
import shutil
from datetime import UTC, datetime
from pathlib import Path

from station.storage.backup import (
    STAMP,
    CorruptDatabaseError,
    backups_dir,
    integrity_problems,
    record_baseline,
    restore_hint,
)
from station.storage.contents import WrongDatabaseError, fewer_records, read_contents
from station.storage.wal import WalDamage, wal_damage

log = logging.getLogger(__name__)


def check_database(db_path: Path | str) -> WalDamage | None:
    """Refuse a database the station should not run on (CorruptDatabaseError when SQLite
    finds it damaged, WrongDatabaseError when it is empty, someone else's or has lost
    records); return the damage of its write-ahead log, logged and kept aside, if any."""
    db_path = Path(db_path)
    damage = _keep_damaged_log(db_path)
    if db_path.exists() and db_path.stat().st_size:
        problems = integrity_problems(db_path, quick=True)
        if problems:
            raise CorruptDatabaseError(
                f"the database {db_path} is damaged ({problems[0]}); the station will not run "
                f"on it. {restore_hint(db_path.parent)}"
            )
    contents = read_contents(db_path)
    if contents.kind in ("foreign", "incomplete"):
        raise WrongDatabaseError(
            f"{contents.describe()}; the station will not run on it. {restore_hint(db_path.parent)}"
        )
    baseline = record_baseline(db_path.parent)
    if baseline is None:
        return damage  # a new station, or one that has never been backed up
    if contents.kind in ("missing", "empty"):
        if not any(baseline.counts.values()):
            return damage
        raise WrongDatabaseError(
            f"{contents.describe()}, but {baseline.source} holds "
            f"{sum(baseline.counts.values())} records: the station will not start empty in "
            "its place (with no account, anyone on the network could take it over on its "
            f"first-run page). {restore_hint(db_path.parent)}. To start a new, empty station "
            f"on purpose, move {backups_dir(db_path.parent)} away first"
        )
    fewer = fewer_records(contents.counts, baseline.counts)
    if fewer:
        raise WrongDatabaseError(
            f"{db_path} holds fewer records than {baseline.source} ({fewer}): part of it was "
            "lost or an older copy put in its place, and the station will not run on it. "
            f"{restore_hint(db_path.parent)}"
        )
    return damage


def _keep_damaged_log(db_path: Path) -> WalDamage | None:
    """Find damage in ``db_path``'s write-ahead log before SQLite replays it; log it as an
    error and copy the log to ``station.db-wal.damaged-<UTC time>``."""
    damage = wal_damage(db_path.with_name(db_path.name + "-wal"))
    if damage is None:
        return None
    kept = damage.path.with_name(f"{damage.path.name}.damaged-{datetime.now(UTC):{STAMP}}")
    shutil.copy2(damage.path, kept)
    log.error(
        "%s: SQLite drops them as it opens %s, so trials they finished read 'interrupted'. "
        "The station runs on the database as it was before the damage; the log is copied to "
        "%s for whoever can recover the rest. %s",
        damage.describe(),
        db_path,
        kept,
        restore_hint(db_path.parent),
    )
    return damage
