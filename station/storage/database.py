"""SQLite storage through sqlite-utils: WAL, migrations at start-up, a single writer thread.

Writes (trials from the control loop, patients from the panel) are queued to one writer thread
that owns its connection, so nothing slow runs in the loop. Reads use their own connection,
serialised by a lock; WAL lets them run beside the writer.

In the two-process daemon the core and the panel each open a ``Storage`` on the same file: the
core owns it (checks, migrates, marks interrupted trials), the panel only writes its records
(patients, accounts, visits...) in short transactions. Every connection waits up to
``BUSY_TIMEOUT_S`` for the other process's write lock instead of failing. Reads of a file
database run on up to ``READERS`` connections of their own, side by side and never behind a
write (WAL): a login check does not wait for a 10,000-patient list or for a write that waits
for the other process.
"""

import json
import logging
import queue
import sqlite3
import threading
from concurrent.futures import Future
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from sqlite_utils import Database

from station.errors import NotFoundError, StorageError
from station.records.patients import PATIENT_PAGE, PatientFieldError
from station.storage import samples
from station.storage.check import check_database
from station.storage.migrations import MIGRATIONS

JSON_FIELDS = ("params", "result", "events", "cues")
CALIBRATION_JSON = ("tare_counts", "gain_n_per_count", "cop_correction", "residuals")
ANALYSIS_JSON = ("conventions", "metrics", "quality")
PROGRAM_JSON = ("steps", "rules", "history")
TRIAL_LIST_COLUMNS = "id, patient_id, drill, state, reason, started_at, duration_s, result"
# SQLite's codes for a write the disk refused: full, an I/O error (EFBIG, EIO), read-only
DISK_ERRORS = ("SQLITE_FULL", "SQLITE_IOERR", "SQLITE_READONLY", "SQLITE_CANTOPEN")
BUSY_TIMEOUT_S = 10.0  # a write waits this long for another connection's (or process's) lock
READERS = 4  # read connections of a file database, used side by side
STOPPED_UNEXPECTEDLY = "station stopped unexpectedly"  # a trial running when the core died
LOST_IN_LOG = (  # ... when the database's write-ahead log was found damaged (station.storage.check)
    "station stopped unexpectedly, and a damaged database log lost what was stored after it "
    "(see the technician's log)"
)

log = logging.getLogger(__name__)


def now_iso() -> str:
    """Wall time as an ISO 8601 UTC label (labels records only; never used for durations)."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def open_database(path: Path | str) -> Database:
    """A sqlite-utils Database with WAL and ``synchronous=NORMAL`` (SD-card safe)."""
    try:
        conn = sqlite3.connect(str(path), check_same_thread=False, timeout=BUSY_TIMEOUT_S)
        db = Database(conn)
        if str(path) != ":memory:":
            db.enable_wal()
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute("PRAGMA foreign_keys=ON")
    except sqlite3.Error as exc:
        raise StorageError(f"cannot open database {path}: {exc}") from exc
    return db


def migrate(db: Database) -> int:
    """Apply every migration not yet applied; returns the schema version."""
    db.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, at TEXT)"
    )
    done = {row[0] for row in db.execute("SELECT version FROM schema_migrations").fetchall()}
    for version, migration in enumerate(MIGRATIONS, start=1):
        if version in done:
            continue
        with _write_transaction(db):
            migration(db)
            db.execute("INSERT INTO schema_migrations VALUES (?, ?)", [version, now_iso()])
    return len(MIGRATIONS)


@contextmanager
def _write_transaction(db: Database):
    """One transaction per write job (and per migration): all of it is written, or (on an
    error) none of it.

    ``BEGIN IMMEDIATE`` takes the write lock at the start, waiting up to the busy timeout while
    the other process (core or panel) writes: a deferred transaction that read first would be
    refused at its first write ("database is locked") whenever the other process committed
    meanwhile. sqlite-utils calls made inside nest as savepoints."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield
        db.execute("COMMIT")
    except BaseException:
        db.rollback()
        raise


class Storage:
    """The station's database: a writer thread for changes and a lock-guarded reader.

    The ``owner`` (the core, or a process that does everything) checks the file, applies the
    migrations and marks trials left running as interrupted; another process on the same file
    (the panel, ``owner=False``) only makes sure the schema is this version's.
    """

    def __init__(self, path: Path | str, *, owner: bool = True):
        self.path = path
        damage = None
        if owner and str(path) != ":memory:":
            # a damaged, empty, foreign or shrunken file stops here, naming the backup to restore
            damage = check_database(path)
        self._read = open_database(path)
        self.schema_version = migrate(self._read) if owner else self._current_schema()
        self._memory = str(path) == ":memory:"
        self._write = self._read if self._memory else open_database(path)
        self._lock = threading.Lock()  # the writer's (and, in memory, the one connection's)
        self._readers = [self._read]  # idle read connections of a file database
        self._reader_slots = threading.BoundedSemaphore(READERS)
        self._readers_lock = threading.Lock()
        self._jobs: queue.Queue = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="storage-writer", daemon=True)
        self._thread.start()
        if owner:
            self.mark_interrupted(LOST_IN_LOG if damage else STOPPED_UNEXPECTEDLY)

    def _current_schema(self) -> int:
        """The file's schema version, which must be this version's (the owner migrates)."""
        table = self._read.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'"
        ).fetchone()
        done = (
            self._read.execute("SELECT count(*) FROM schema_migrations").fetchone()[0]
            if table
            else 0
        )
        if done != len(MIGRATIONS):
            self._read.close()
            raise StorageError(
                f"{self.path} is at schema version {done}, this version's is {len(MIGRATIONS)}: "
                "start the station's core first (it migrates the database), then the panel"
            )
        return done

    # --- writing -----------------------------------------------------------------------------
    def submit(self, job, *args) -> Future:
        """Run ``job(db, *args)`` on the writer thread; the Future holds its return value."""
        future: Future = Future()
        if not self._thread.is_alive():
            future.set_exception(StorageError("storage is closed"))
        else:
            self._jobs.put((job, args, future))
        return future

    def _run(self) -> None:
        while True:
            item = self._jobs.get()
            if item is None:
                return
            job, args, future = item
            try:
                with self._lock, _write_transaction(self._write):
                    result = job(self._write, *args)
            except sqlite3.Error as exc:
                future.set_exception(self._refused(exc))
            except Exception as exc:
                future.set_exception(exc)
            else:
                # only once committed: a caller reading right after must see its own write
                future.set_result(result)

    def _refused(self, exc: sqlite3.Error) -> Exception:
        """A write the disk refused as a StorageError saying what to check (the transaction
        was rolled back, the database is unharmed); other SQLite errors as they are."""
        if not getattr(exc, "sqlite_errorname", "").startswith(DISK_ERRORS):
            return exc
        folder = Path(self.path).parent
        error = StorageError(
            f"could not write to the database {self.path} ({exc}): check that the disk "
            f"holding {folder} has free space and is not read-only"
        )
        error.__cause__ = exc
        return error

    def flush(self, timeout_s: float = 10.0) -> None:
        """Wait until every write queued so far is done."""
        self.submit(lambda db: None).result(timeout_s)

    def close(self, timeout_s: float = 10.0) -> None:
        """Write everything queued, then stop the writer; safe to call twice."""
        if self._thread.is_alive():
            self._jobs.put(None)
            self._thread.join(timeout_s)
            if self._thread.is_alive():
                raise StorageError(f"storage writer did not finish within {timeout_s} s")

    def set_trial_reason(self, trial_id: str, reason: str) -> None:
        """Replace an ended trial's reason (where it hurt, added after a stop for pain)."""
        self.submit(
            lambda db: db.execute("UPDATE trials SET reason = ? WHERE id = ?", [reason, trial_id])
        ).result()

    def mark_interrupted(self, reason: str) -> None:
        """Trials left 'running' by a crash are marked 'interrupted' with ``reason`` (their
        data is kept)."""
        self.submit(
            lambda db: db.execute(
                "UPDATE trials SET state = 'interrupted', reason = ? WHERE state = 'running'",
                [reason],
            )
        ).result()

    def query(self, sql: str, params: list | tuple = ()) -> list[dict]:
        """Rows of a read-only ``sql`` on the reader connection (parameters bound, never
        formatted in), for this class and the stores built on this database (accounts, visits).

        None when a parameter is an integer beyond SQLite's 64 bits: no row can hold one (an id
        typed into a URL), so the caller's "not found" answers it, not an OverflowError."""
        with self._reader() as db:
            try:
                return list(db.query(sql, list(params)))
            except OverflowError:
                return []

    @contextmanager
    def _reader(self):
        """A read connection: in memory the one connection, under the lock; of a file, an idle
        one of up to ``READERS`` (opened when first needed), while no other thread uses it."""
        if self._memory:
            with self._lock:
                yield self._read
            return
        with self._reader_slots:
            with self._readers_lock:
                db = self._readers.pop() if self._readers else None
            if db is None:
                db = open_database(self.path)
            try:
                yield db
            finally:
                with self._readers_lock:
                    self._readers.append(db)

    # --- patients ----------------------------------------------------------------------------
    def create_patient(self, fields: dict) -> dict:
        """Insert a patient (fields already validated) and return it with its id;
        PatientFieldError when another patient has its code."""
        row = {**fields, "created_at": now_iso()}

        def insert(db):
            _check_code_free(db, row.get("code"), None)
            return db["patients"].insert(row).last_pk

        return self.get_patient(self.submit(insert).result())

    def update_patient(self, patient_id: int, fields: dict) -> dict:
        """Replace a patient's details (fields already validated) and return the record;
        PatientFieldError when another patient has its code."""
        self.get_patient(patient_id)

        def update(db):
            _check_code_free(db, fields.get("code"), patient_id)
            db["patients"].update(patient_id, fields)

        self.submit(update).result()
        return self.get_patient(patient_id)

    def get_patient(self, patient_id: int) -> dict:
        rows = self.query("SELECT * FROM patients WHERE id = ?", [patient_id])
        if not rows:
            raise NotFoundError(f"no patient with id {patient_id}")
        return rows[0]

    def list_patients(
        self, search: str = "", limit: int = PATIENT_PAGE, after: int | None = None
    ) -> list[dict]:
        """Up to ``limit`` patients whose name or code contains ``search`` (any case; all
        when empty), in name order (then id), after patient ``after`` when given.

        ``search`` is matched literally: LIKE's ``%`` and ``_`` in it are plain characters.
        The page's ids come from one index (v7: name, id and code), read in its order and
        never sorted: a page takes the same time with 100 or 100,000 patients, and a search
        reads the index alone (at worst all of it, 14 ms for 100,000 here) and the records of
        the page only."""
        literal = search.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        like = f"%{literal}%"
        where, args = "", [like, like]
        if after is not None:
            rows = self.query("SELECT name FROM patients WHERE id = ?", [after])
            if not rows:
                raise NotFoundError(f"no patient with id {after} to list after")
            where = "AND (name COLLATE NOCASE > ? OR (name COLLATE NOCASE = ? AND id > ?)) "
            args += [rows[0]["name"], rows[0]["name"], after]
        ids = [
            row["id"]
            for row in self.query(
                "SELECT id FROM patients INDEXED BY patients_list "
                "WHERE (name LIKE ? ESCAPE '\\' OR coalesce(code, '') LIKE ? ESCAPE '\\') "
                f"{where}ORDER BY name COLLATE NOCASE, id LIMIT ?",
                [*args, limit],
            )
        ]
        found = self.query(f"SELECT * FROM patients WHERE id IN ({', '.join('?' * len(ids))})", ids)
        by_id = {row["id"]: row for row in found}
        return [by_id[i] for i in ids]

    # --- trials ------------------------------------------------------------------------------
    def begin_trial(self, trial: dict) -> Future:
        """Insert a trial as 'running' so a crash mid-drill leaves a marked row; a failure is
        logged (the control loop does not wait for the write)."""
        row = {**trial, "state": "running", "params": json.dumps(trial["params"])}
        future = self.submit(lambda db: db["trials"].insert(row))
        future.add_done_callback(_log_failure(f"trial {trial['id']} could not be recorded"))
        return future

    def finish_trial(self, trial_id: str, fields: dict, rows) -> Future:
        """Store the result, cue log and raw samples of a finished trial in one transaction.

        The samples are compressed and the JSON encoded on the writer thread: the control loop
        that ends the trial hands them over and goes on ticking (a 60 s trial's blob takes
        about 20 ms to compress)."""

        def store(db):
            update = {k: json.dumps(v) if k in JSON_FIELDS else v for k, v in fields.items()}
            update["samples"] = samples.encode(rows)
            db["trials"].update(trial_id, update)

        future = self.submit(store)
        lost = f"trial {trial_id} ended {fields['state']} but its result and samples are lost"
        future.add_done_callback(_log_failure(lost))
        return future

    def list_trials(self, patient_id: int, limit: int = 100) -> list[dict]:
        """A patient's trials, newest first, without samples."""
        rows = self.query(
            f"SELECT {TRIAL_LIST_COLUMNS} FROM trials WHERE patient_id = ? "
            "ORDER BY started_at DESC, rowid DESC LIMIT ?",
            [patient_id, limit],
        )
        for row in rows:
            row["result"] = json.loads(row["result"]) if row["result"] else None
        return rows

    def count_trials(self, patient_id: int) -> int:
        """How many trials ``patient_id`` has (any state)."""
        rows = self.query("SELECT count(*) AS n FROM trials WHERE patient_id = ?", [patient_id])
        return rows[0]["n"] if rows else 0

    def get_trial(self, trial_id: str) -> dict:
        """One trial with its decoded JSON fields (samples excluded)."""
        rows = self.query("SELECT * FROM trials WHERE id = ?", [trial_id])
        if not rows:
            raise NotFoundError(f"no trial with id {trial_id}")
        row = rows[0]
        row["has_samples"] = row.pop("samples") is not None
        for key in JSON_FIELDS:
            row[key] = json.loads(row[key]) if row[key] else None
        return row

    def trial_samples(self, trial_id: str):
        """The raw (N, len(samples.COLUMNS)) frame array of a trial."""
        rows = self.query("SELECT samples, origin FROM trials WHERE id = ?", [trial_id])
        if not rows:
            raise NotFoundError(f"no trial with id {trial_id}")
        if rows[0]["samples"] is None and rows[0]["origin"]:
            raise NotFoundError(
                f"trial {trial_id} was recorded on station {rows[0]['origin']}: its raw "
                "samples are kept there and at the clinic hub, its result here"
            )
        if rows[0]["samples"] is None:
            raise NotFoundError(f"trial {trial_id} has no samples yet")
        return samples.decode(rows[0]["samples"])

    # --- calibrations ------------------------------------------------------------------------
    def save_calibration(self, record: dict) -> dict:
        """Store a calibration (keys: technician, tare_counts, gain_n_per_count, and optional
        cop_correction, residuals, note) as the active one; older ones stay, inactive."""
        row = {k: json.dumps(v) if k in CALIBRATION_JSON else v for k, v in record.items()}
        row.update(created_at=now_iso(), active=1)

        def insert(db):
            db.execute("UPDATE calibrations SET active = 0 WHERE active = 1")
            return db["calibrations"].insert(row).last_pk

        calibration_id = self.submit(insert).result()
        return self._calibrations("WHERE id = ?", [calibration_id])[0]

    def active_calibration(self) -> dict | None:
        """The calibration in use, or None when none was ever stored."""
        rows = self._calibrations("WHERE active = 1", [])
        return rows[0] if rows else None

    def list_calibrations(self) -> list[dict]:
        """Every stored calibration, newest first."""
        return self._calibrations("ORDER BY id DESC", [])

    def _calibrations(self, where: str, args: list) -> list[dict]:
        rows = self.query(f"SELECT * FROM calibrations {where}", args)
        for row in rows:
            for key in CALIBRATION_JSON:
                row[key] = json.loads(row[key]) if row[key] else None
            row["active"] = bool(row["active"])
        return rows

    # --- re-analyses -------------------------------------------------------------------------
    def add_analysis(self, trial_id: str, analysis: dict) -> dict:
        """Store a re-analysis (keys: conventions, metrics, quality, software_version) of a
        trial beside its original result."""
        self.get_trial(trial_id)
        row = {k: json.dumps(v) if k in ANALYSIS_JSON else v for k, v in analysis.items()}
        row.update(trial_id=trial_id, created_at=now_iso())
        analysis_id = self.submit(lambda db: db["analyses"].insert(row).last_pk).result()
        return self._analyses("WHERE id = ?", [analysis_id])[0]

    def list_analyses(self, trial_id: str) -> list[dict]:
        """A trial's re-analyses, oldest first."""
        return self._analyses("WHERE trial_id = ? ORDER BY id", [trial_id])

    def _analyses(self, where: str, args: list) -> list[dict]:
        rows = self.query(f"SELECT * FROM analyses {where}", args)
        for row in rows:
            for key in ANALYSIS_JSON:
                row[key] = json.loads(row[key]) if row[key] else None
        return rows

    # --- programs ----------------------------------------------------------------------------
    def create_program(self, patient_id: int, program: dict) -> dict:
        """Store a validated program (name, steps, rules) for ``patient_id``."""
        self.get_patient(patient_id)
        now = now_iso()
        row = {k: json.dumps(v) for k, v in program.items() if k in PROGRAM_JSON}
        row.update(
            patient_id=patient_id,
            name=program["name"],
            kind=None if program.get("kind", "program") == "program" else program["kind"],
            history="[]",
            created_at=now,
            updated_at=now,
        )
        program_id = self.submit(lambda db: db["programs"].insert(row).last_pk).result()
        return self.get_program(program_id)

    def update_program(self, program_id: int, fields: dict) -> dict:
        """Replace some of name, steps, rules, history of a program (never its kind)."""
        self.get_program(program_id)
        row = {
            k: json.dumps(v) if k in PROGRAM_JSON else v for k, v in fields.items() if k != "kind"
        }
        row["updated_at"] = now_iso()
        self.submit(lambda db: db["programs"].update(program_id, row)).result()
        return self.get_program(program_id)

    def get_program(self, program_id: int) -> dict:
        rows = self._programs("WHERE id = ?", [program_id])
        if not rows:
            raise NotFoundError(f"no program with id {program_id}")
        return rows[0]

    def list_programs(self, patient_id: int) -> list[dict]:
        """A patient's programs, oldest first."""
        return self._programs("WHERE patient_id = ? ORDER BY id", [patient_id])

    def _programs(self, where: str, args: list) -> list[dict]:
        rows = self.query(f"SELECT * FROM programs {where}", args)
        for row in rows:
            for key in PROGRAM_JSON:
                row[key] = json.loads(row[key]) if row[key] else []
            row["kind"] = row["kind"] or "program"
        return rows


def _check_code_free(db, code: str | None, patient_id: int | None) -> None:
    """PatientFieldError naming the patient who already has ``code`` (in any case), on the
    writer's connection, in the write's own transaction (the unique index backs it up)."""
    if not code:
        return
    taken = db.execute(
        "SELECT id, name FROM patients WHERE code = ? COLLATE NOCASE AND id IS NOT ?",
        [code, patient_id],
    ).fetchone()
    if taken:
        raise PatientFieldError(
            "code",
            f"{code} is already the code of patient {taken[0]} ({taken[1]}): each patient needs "
            "a code of their own",
        )


def _log_failure(what: str):
    """A Future callback that logs ``what`` and the error when the write failed."""

    def check(future: Future) -> None:
        if future.exception() is not None:
            log.error("%s: %s", what, future.exception())

    return check
