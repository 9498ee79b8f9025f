"""``balance-station accounts``: a technician adds or lists panel accounts from the station's
shell (e.g. the first account before the tablet is set up, or a technician locked out).

The password is asked twice without echo on a terminal, or read as one line from standard
input otherwise (for scripts: ``echo "$PW" | balance-station accounts add ...``).
"""

import getpass
import json
import sys
from pathlib import Path

from station.errors import StationError
from station.records.accounts import (
    ROLES,
    USERNAME_CHARACTERS,
    USERNAME_MAX_CHARS,
    USERNAME_MIN_CHARS,
    AccountError,
    Accounts,
)
from station.storage.database import Storage


def add_accounts_parser(subparsers) -> None:
    """The ``accounts`` subcommand: ``add USERNAME --role ROLE`` and ``list``."""
    p = subparsers.add_parser("accounts", help="add or list the panel's accounts")
    actions = p.add_subparsers(dest="action", required=True)
    add = actions.add_parser("add", help="add an account (password asked twice, or from stdin)")
    add.add_argument(
        "username", help=f"{USERNAME_MIN_CHARS} to {USERNAME_MAX_CHARS} {USERNAME_CHARACTERS}"
    )
    add.add_argument("--role", required=True, choices=ROLES, help="what the account may do")
    add.add_argument("--config", type=Path, help="TOML config (for the data directory)")
    listing = actions.add_parser("list", help="list the accounts")
    listing.add_argument("--config", type=Path, help="TOML config (for the data directory)")
    listing.add_argument("--json", action="store_true", help="print as JSON")


def run_accounts(args, stdin=None, ask_password=getpass.getpass) -> int:
    """Run ``accounts add`` or ``accounts list``; 0 on success."""
    from station.config import prepare_data_dir
    from station.runtime.core_config import load_config

    config = load_config(args.config)
    db_path = Path(config.station.data_dir) / "station.db"
    if args.action == "list" and not db_path.exists():
        raise StationError(f"no database at {db_path}: check [station] data_dir")
    prepare_data_dir(config)
    storage = Storage(db_path)
    try:
        accounts = Accounts(storage)
        if args.action == "add":
            password = read_password(stdin or sys.stdin, ask_password)
            account = accounts.create(args.username, password, args.role, by="(command line)")
            print(f"added {account['role']} account {account['username']}")
            return 0
        rows = accounts.list_accounts()
    finally:
        storage.close()
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    if not rows:
        print("no accounts yet: add one with 'balance-station accounts add NAME --role technician'")
    for row in rows:
        state = "active" if row["active"] else "deactivated"
        print(
            f"{row['username']:40s} {row['role']:10s} {state:11s} "
            f"last login {row['last_login_at'] or 'never'}"
        )
    return 0


def read_password(stdin, ask_password) -> str:
    """Twice without echo on a terminal (they must match); else the first line of ``stdin``."""
    if not stdin.isatty():
        return stdin.readline().rstrip("\r\n")
    first = ask_password("Password (at least 10 characters): ")
    if first != ask_password("Password again: "):
        raise AccountError("password", "the two passwords differ")
    return first
