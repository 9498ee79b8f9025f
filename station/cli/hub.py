"""``balance-station hub``: set up the clinic hub and sync with it by hand.

``migrate`` and ``add-station`` are run once by a technician, as the hub's owner: the
connection string names the hub (``host=... dbname=... user=...``), and its password comes,
as for every PostgreSQL tool, from ``PGPASSWORD`` or ``~/.pgpass``, never the command line.
``sync`` runs one cycle of this station's sync agent now and prints its state."""

import json
import os
import secrets
from pathlib import Path

from station.errors import StationError


def add_hub_parser(sub) -> None:
    """The ``hub`` subcommand of ``balance-station`` and its actions."""
    hub = sub.add_parser("hub", help="the clinic hub: set it up, add stations, sync now")
    actions = hub.add_subparsers(dest="hub_action", required=True)
    migrate = actions.add_parser("migrate", help="create or upgrade the hub's schema")
    migrate.add_argument("--admin", required=True, metavar="CONNINFO", help=ADMIN_HELP)
    add = actions.add_parser(
        "add-station", help="give a station its own login at the hub (or a new password)"
    )
    add.add_argument("station_id", help="the station's id, e.g. room-1 ([hub] station_id)")
    add.add_argument("--admin", required=True, metavar="CONNINFO", help=ADMIN_HELP)
    add.add_argument(
        "--password-file",
        type=Path,
        required=True,
        help="where to write the station's new password (mode 600): copy it to the station "
        "as its [hub] password_file",
    )
    sync = actions.add_parser("sync", help="sync this station with the hub now; print the state")
    sync.add_argument("--config", type=Path, help="TOML config (default: see README)")


ADMIN_HELP = (
    "libpq connection string of the hub as its owner, e.g. 'host=hub.clinic.lan "
    "dbname=balance_hub user=hub_admin' (password from PGPASSWORD or ~/.pgpass)"
)


def run_hub(args) -> int:
    from station.hub import schema

    if args.hub_action == "migrate":
        version = schema.migrate(args.admin)
        print(f"the hub's schema is at version {version}")
        return 0
    if args.hub_action == "add-station":
        password = secrets.token_urlsafe(24)
        role = schema.add_station(args.admin, args.station_id, password)
        _write_secret(args.password_file, password)
        print(
            f"station {args.station_id} logs in as {role}; its password is in "
            f"{args.password_file}: copy it to the station and set [hub] station_id = "
            f'"{args.station_id}" and password_file'
        )
        return 0
    return _sync_now(args.config)


def _write_secret(path: Path, secret: str) -> None:
    """``secret`` into a new file only its owner can read."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    except OSError as exc:
        raise StationError(f"cannot write {path}: {exc.strerror}") from exc
    with os.fdopen(fd, "w") as out:
        out.write(secret + "\n")


def _sync_now(config_path: Path | None) -> int:
    from station.config import load_config
    from station.hub.agent import SyncAgent
    from station.hub.settings import hub_settings
    from station.runtime.version import software_version
    from station.storage.database import Storage

    config = load_config(config_path, amplifiers=None)
    settings = hub_settings(config)
    if settings is None:
        raise StationError(
            f"no clinic hub is configured: set [hub] host, station_id and password_file in "
            f"{config.source or 'the config (see README, Clinic hub)'}"
        )
    db_path = Path(config.station.data_dir) / "station.db"
    if not db_path.exists():
        raise StationError(f"no database at {db_path}: check [station] data_dir")
    storage = Storage(db_path, owner=False)
    try:
        agent = SyncAgent(storage, settings, software_version())
        done = agent.sync_once()
        print(json.dumps({**done, **agent.status()}, indent=2))
    finally:
        storage.close()
    return 0
