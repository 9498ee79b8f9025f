"""``balance-station backup``, ``restore FILE`` and ``migrate``: the database's care commands.

``backup`` runs beside the daemon (the nightly timer calls it); ``restore`` and ``migrate``
need the station stopped and take the run locks of its core and its panel, so neither can
change the database under them.
"""

import logging
from pathlib import Path

from station.errors import StorageError
from station.runtime.runlock import station_stopped
from station.storage.backup import backup_database, list_backups
from station.storage.check import check_database
from station.storage.restore import restore_database

log = logging.getLogger("balance-station")


def add_backup_parsers(sub) -> None:
    backup = sub.add_parser(
        "backup", help="take a verified online backup of the database (runs beside the daemon)"
    )
    backup.add_argument("--config", type=Path, help="TOML config (default: see README)")
    restore = sub.add_parser(
        "restore", help="replace the database with a backup (stop the station first)"
    )
    restore.add_argument("file", type=Path, metavar="FILE", help="a backup, e.g. the latest")
    restore.add_argument(
        "--older",
        action="store_true",
        help="restore it even though it holds fewer records than the latest backup",
    )
    restore.add_argument("--config", type=Path, help="TOML config (default: see README)")
    migrate = sub.add_parser(
        "migrate", help="apply the database migrations of this version (stop the station first)"
    )
    migrate.add_argument("--config", type=Path, help="TOML config (default: see README)")


def _db_path(args):
    """(database path, config) from ``--config``."""
    from station.runtime.core_config import load_config

    config = load_config(args.config)
    return Path(config.station.data_dir) / "station.db", config


def run_backup(args) -> int:
    """Print the new backup's path (the only line on standard output)."""
    db_path, config = _db_path(args)
    keep = config.backup.keep
    path = backup_database(db_path, keep)
    log.info(
        "backup of %s written to %s (%.1f MB, integrity ok; %d kept, at most %d)",
        db_path,
        path,
        path.stat().st_size / 1e6,
        len(list_backups(db_path.parent)),
        keep,
    )
    print(path)
    return 0


def run_restore(args) -> int:
    db_path, _ = _db_path(args)
    kept = restore_database(args.file, db_path, older=args.older)
    print(f"restored {args.file} as {db_path}")
    if kept is not None:
        print(f"the database it replaced is kept as {kept}")
    print("start the station again: sudo systemctl start balance-station balance-station-panel")
    return 0


def run_migrate(args) -> int:
    from station.storage.database import migrate, open_database
    from station.storage.migrations import MIGRATIONS

    db_path, _ = _db_path(args)
    db_path.parent.mkdir(parents=True, exist_ok=True)
    with station_stopped(db_path.parent, "a database migration"):
        check_database(db_path)
        db = open_database(db_path)
        try:
            done = (
                db.execute("SELECT count(*) FROM schema_migrations").fetchone()[0]
                if db["schema_migrations"].exists()
                else 0
            )
            version = migrate(db)
        except Exception as exc:
            raise StorageError(f"migrating {db_path} failed: {exc}") from exc
        finally:
            db.close()
    print(f"{db_path}: schema version {version} (was {done}; this version knows {len(MIGRATIONS)})")
    return 0
