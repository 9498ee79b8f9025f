"""What a database file holds, as start-up, ``backup`` and ``restore`` judge it: nothing (a
missing, 0-byte or blank file), someone else's tables, the station's schema with tables
missing, or the station's schema and how many records of each kind.

The station never deletes a record (an account is deactivated, not removed; only sessions go),
so a database holding fewer records of a kind than a backup of it has lost some: a file
truncated or replaced by an older copy. The count is of ``RECORD_TABLES``.
"""

import sqlite3
from dataclasses import dataclass
from pathlib import Path

from sqlite_utils import Database

from station.errors import StorageError
from station.storage.migrations import MIGRATIONS

# every table whose rows the station only ever adds (sessions are deleted at logout)
RECORD_TABLES = (
    "users",
    "patients",
    "visits",
    "programs",
    "trials",
    "analyses",
    "calibrations",
    "audit_log",
)


class WrongDatabaseError(StorageError):
    """A database that is empty, someone else's, incomplete, or holds fewer records than the
    latest backup; the message names the file and what to restore."""


def connect_existing(path: Path, mode: str = "rw") -> sqlite3.Connection:
    """A connection to an existing file (``mode=rw`` or ``ro`` never creates one)."""
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode={mode}", uri=True, timeout=30)


def expected_tables(version: int) -> set[str]:
    """The tables the station's schema has at ``version``: its first ``version`` migrations
    applied to an empty database in memory."""
    db = Database(memory=True)
    for migration in MIGRATIONS[:version]:
        migration(db)
    return set(db.table_names())


@dataclass(frozen=True)
class Contents:
    """What the database at ``path`` holds: ``kind`` is ``missing``, ``empty`` (0 bytes or
    no table), ``foreign`` (tables, but no ``schema_migrations``), ``incomplete`` (the
    station's schema with ``tables`` missing) or ``station``; ``counts`` the rows of each of
    ``RECORD_TABLES`` it has."""

    path: Path
    kind: str
    version: int = 0
    tables: tuple[str, ...] = ()
    counts: dict[str, int] | None = None

    @property
    def records(self) -> int:
        return sum((self.counts or {}).values())

    def describe(self) -> str:
        """The file's state in words, for a message."""
        if self.kind == "missing":
            return f"there is no database at {self.path}"
        if self.kind == "empty":
            size = self.path.stat().st_size
            return f"{self.path} is empty ({'0 bytes' if not size else 'no tables'})"
        if self.kind == "foreign":
            names = ", ".join(self.tables[:5]) + (", ..." if len(self.tables) > 5 else "")
            return f"{self.path} is not the station's database (its tables: {names})"
        if self.kind == "incomplete":
            return (
                f"{self.path} lacks the tables {', '.join(self.tables)} of the station's "
                f"schema version {self.version}"
            )
        return f"{self.path} holds the station's database (schema version {self.version})"


def read_contents(path: Path | str, mode: str = "rw") -> Contents:
    """What the database at ``path`` holds (see ``Contents``); sqlite3.DatabaseError for a
    file SQLite cannot read at all."""
    path = Path(path)
    if not path.exists():
        return Contents(path, "missing")
    if path.stat().st_size == 0:
        return Contents(path, "empty")
    conn = connect_existing(path, mode)
    try:
        tables = {
            row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")
        }
        tables.discard("sqlite_sequence")
        if not tables:
            return Contents(path, "empty")
        if "schema_migrations" not in tables:
            return Contents(path, "foreign", tables=tuple(sorted(tables)))
        version = conn.execute("SELECT count(*) FROM schema_migrations").fetchone()[0]
        missing = expected_tables(min(version, len(MIGRATIONS))) - tables
        if missing:
            return Contents(path, "incomplete", version, tuple(sorted(missing)))
        counts = {
            table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in RECORD_TABLES
            if table in tables
        }
    finally:
        conn.close()
    return Contents(path, "station", version, counts=counts)


def fewer_records(counts: dict[str, int], baseline: dict[str, int]) -> str:
    """The kinds of record ``counts`` has fewer of than ``baseline``, in words ("patients: 3,
    there 12"); "" when none."""
    fewer = [
        f"{table}: {counts.get(table, 0)}, there {n}"
        for table, n in baseline.items()
        if counts.get(table, 0) < n
    ]
    return "; ".join(fewer)
