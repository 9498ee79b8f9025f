"""The station's sync agent: offline-first replication between the station's SQLite and the
clinic hub (``station.hub.schema``), a thread of the panel process.

Each cycle pushes first, then pulls. Pushing sends what the outbox holds (every change the
station made, in order; ``station.storage.migrations`` v13 fills it by triggers) in one hub
transaction per batch, then forgets those outbox entries: a cycle cut anywhere sends them
again, which the hub takes as the same (stable uids; a record the hub has as it is changes
nothing), so delivery is at least once and storage exactly once. Pulling applies the hub's
changes after the station's cursor, in the hub's commit order, mapping uids to the station's
own ids, one SQLite transaction per batch with the cursor: a cut costs nothing. A shared record
with an edit of the station's still in the outbox is not overwritten by a pull (the push
settles it by the conflict rule); a change that cannot be applied yet (a clinic code another
patient here has until that patient is pushed and renamed by the hub) ends the pull there,
for the next cycle.

The hub being down, unreachable or refusing leaves the station as it is: it records and the
outbox grows; ``status()`` says so, with the error, for /health and the technician page."""

import json
import logging
import sqlite3
import threading

import psycopg
from psycopg.types.json import Jsonb

from station.hub.errors import HubError
from station.hub.kinds import KINDS, SYNC_COLUMNS, reference_key
from station.hub.settings import HubSettings
from station.storage.database import Storage, now_iso

log = logging.getLogger(__name__)

PUSH_BATCH = 200  # outbox entries per hub transaction
PULL_BATCH = 500  # hub changes per station transaction
FLEET_CONFLICTS = 50  # the newest open conflicts the technician page lists
LONGEST_RETRY_S = 60.0


class SyncAgent:
    """Syncs ``storage`` with the hub of ``settings`` every ``interval_s`` from ``start()``
    to ``close()``; ``sync_once()`` runs one cycle (tests, the ``hub sync`` command)."""

    def __init__(self, storage: Storage, settings: HubSettings, software_version: str):
        self.storage = storage
        self.settings = settings
        self.software_version = software_version
        self._stop = threading.Event()
        self._wake = threading.Event()  # close() ends the wait between cycles
        self._thread: threading.Thread | None = None
        self._fleet: dict | None = None
        self._state = {
            "state": "starting",
            "hub": f"{settings.host}:{settings.port}/{settings.database}",
            "station_id": settings.station_id,
            "last_contact": None,
            "last_error": None,
            "pushed": 0,
            "pulled": 0,
            "conflicts": 0,
        }

    # --- the thread -----------------------------------------------------------------------------
    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="hub-sync", daemon=True)
        self._thread.start()

    def close(self, timeout_s: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout_s)

    def _run(self) -> None:
        wait = self.settings.interval_s
        while not self._stop.is_set():
            try:
                self.sync_once()
                wait = self.settings.interval_s
            except HubError as exc:
                if self._state["last_error"] != str(exc):
                    log.warning("clinic hub: %s (the station goes on; will retry)", exc)
                self._state.update(state="offline", last_error=str(exc))
                wait = min(LONGEST_RETRY_S, max(wait * 2, self.settings.interval_s))
            except Exception:  # a bug here must not end the sync for good
                log.exception("clinic hub: unexpected error in the sync agent")
                self._state.update(state="error", last_error="unexpected error: see the log")
                wait = LONGEST_RETRY_S
            self._wake.wait(wait)
            self._wake.clear()

    # --- one cycle -------------------------------------------------------------------------------
    def sync_once(self, pull: bool = True) -> dict:
        """Push the outbox, then pull the hub's changes; what was done, as counts.
        ``pull=False`` only sends (``bench/hub_scale.py`` measures the hub's intake alone)."""
        try:
            with psycopg.connect(self.settings.conninfo(), autocommit=False) as conn:
                pushed, conflicts = self._push_all(conn)
                pulled = self._pull_all(conn) if pull else 0
                hub_conflicts = conn.execute(
                    "SELECT count(*) FROM conflicts WHERE station = %s AND resolved_at IS NULL",
                    [self.settings.station_id],
                ).fetchone()[0]
                self._fleet = _fleet(conn)
                conn.commit()
        except psycopg.Error as exc:
            raise HubError(_said(exc, self.settings)) from exc
        self._state.update(
            state="synced" if not self._pending()["count"] else "pending",
            last_contact=now_iso(),
            last_error=None,
            pushed=self._state["pushed"] + pushed,
            pulled=self._state["pulled"] + pulled,
            conflicts=hub_conflicts,
        )
        if conflicts:
            log.warning(
                "clinic hub: %d of this station's changes not taken: another station's edit "
                "reached the hub first (each is kept there as a conflict for a technician)",
                conflicts,
            )
        return {"pushed": pushed, "pulled": pulled, "conflicts": conflicts}

    def status(self) -> dict:
        """The sync's state for /health and the technician page: ``state`` (starting, synced,
        pending, offline, error), the hub, the last contact and error, counts, and the outbox
        (``pending``: changes not yet at the hub, ``oldest_pending_at``)."""
        pending = self._pending()
        return {
            **self._state,
            "pending": pending["count"],
            "oldest_pending_at": pending["oldest"],
        }

    def fleet(self) -> dict | None:
        """The clinic's stations and open conflicts as the hub showed them at the last
        contact (None before any): ``stations`` (id, last contact, software, changes waiting
        on it, changes it has yet to pull), ``conflicts`` (newest first, up to
        ``FLEET_CONFLICTS``) and when this was read (``read_at``)."""
        return self._fleet

    def resolve(self, conflict_id: int, technician: str, note: str) -> bool:
        """Mark conflict ``conflict_id`` resolved at the hub, with what ``technician`` did
        (``note``); False when it was resolved already or does not exist. HubError when the
        hub cannot be reached. The fleet view is read again."""
        try:
            with psycopg.connect(self.settings.conninfo(), autocommit=False) as conn:
                done = conn.execute(
                    "SELECT resolve_conflict(%s, %s)", [conflict_id, f"{technician}: {note}"]
                ).fetchone()[0]
                self._fleet = _fleet(conn)
                conn.commit()
        except psycopg.Error as exc:
            raise HubError(_said(exc, self.settings)) from exc
        return done

    def _pending(self) -> dict:
        row = self.storage.query("SELECT count(*) AS count, min(at) AS oldest FROM sync_outbox")
        return row[0]

    # --- push ------------------------------------------------------------------------------------
    def _push_all(self, conn) -> tuple[int, int]:
        pushed = conflicts = 0
        while True:
            batch = self.storage.query(
                "SELECT seq, kind, key FROM sync_outbox ORDER BY seq LIMIT ?", [PUSH_BATCH]
            )
            if not batch:
                return pushed, conflicts
            changes = list(dict.fromkeys((row["kind"], row["key"]) for row in batch))
            answers = [self._push_one(conn, kind, key) for kind, key in changes]
            conn.commit()  # the hub has them: now the outbox may forget them
            last = batch[-1]["seq"]
            self.storage.submit(_settle, last, answers).result()
            pushed += len(changes)
            conflicts += sum(1 for a in answers if a and not a["accepted"])

    def _push_one(self, conn, kind_name: str, key: str) -> dict | None:
        kind = KINDS[kind_name]
        rows = self.storage.query(f"SELECT * FROM {kind_name} WHERE id = ?", [key])
        if not rows:
            return None
        row = rows[0]
        data = self._content(kind, row)
        uid = row[kind.uid_column]
        if kind.family == "recorded":
            samples = row.get("samples") if "samples" in kind.local else None
            conn.execute(
                "SELECT push_recorded(%s, %s, %s, %s)", [kind_name, uid, Jsonb(data), samples]
            )
            return None
        version, accepted, hub_data, hub_uid = conn.execute(
            "SELECT * FROM push_shared(%s, %s, %s, %s)",
            [kind_name, uid, row["version"], Jsonb(data)],
        ).fetchone()
        return {
            "kind": kind_name,
            "uid": uid,
            "hub_uid": hub_uid,
            "version": version,
            "accepted": accepted,
            "data": None if accepted and hub_data == data else hub_data,
        }

    def _content(self, kind, row: dict) -> dict:
        """A record's content as it travels: its columns less the station's ids, each
        reference as the referenced record's uid."""
        data = {}
        for column, value in row.items():
            if column in SYNC_COLUMNS or column in kind.local:
                continue
            if column in kind.references:
                target = KINDS[kind.references[column]]
                if value is not None:
                    value = self.storage.query(
                        f"SELECT {target.uid_column} AS uid FROM {target.name} WHERE id = ?",
                        [value],
                    )[0]["uid"]
                data[reference_key(column)] = value
            elif column in kind.json and value is not None:
                data[column] = json.loads(value)
            else:
                data[column] = value
        return data

    # --- pull ------------------------------------------------------------------------------------
    def _pull_all(self, conn) -> int:
        pulled = 0
        while True:
            cursor = self._cursor()
            rows = conn.execute(
                "SELECT seq, family, kind, uid, version, station, data FROM pull(%s, %s, %s, %s)",
                [cursor, PULL_BATCH, self.software_version, self._pending()["count"]],
            ).fetchall()
            conn.commit()
            if not rows:
                return pulled
            applied = self.storage.submit(_apply_batch, rows).result()
            pulled += applied
            if applied < len(rows) or len(rows) < PULL_BATCH:
                return pulled

    def _cursor(self) -> int:
        found = self.storage.query("SELECT value FROM sync_state WHERE key = 'pulled_seq'")
        return int(found[0]["value"]) if found else 0


def _fleet(conn) -> dict:
    """The stations and open conflicts at the hub (``SyncAgent.fleet``)."""
    head = conn.execute(
        "SELECT greatest((SELECT max(seq) FROM shared), (SELECT max(seq) FROM recorded))"
    ).fetchone()[0]
    stations = conn.execute(
        "SELECT id, last_contact, software_version, pending, pulled_seq FROM stations ORDER BY id"
    ).fetchall()
    conflicts = conn.execute(
        "SELECT id, at, kind, uid, station, reason FROM conflicts WHERE resolved_at IS NULL "
        "ORDER BY at DESC, id DESC LIMIT %s",
        [FLEET_CONFLICTS],
    ).fetchall()
    return {
        "read_at": now_iso(),
        "stations": [
            {
                "id": sid,
                "last_contact": contact and contact.isoformat(timespec="seconds"),
                "software_version": software,
                "pending": pending,
                "behind": max(0, (head or 0) - pulled),
            }
            for sid, contact, software, pending, pulled in stations
        ],
        "conflicts": [
            {
                "id": conflict_id,
                "at": at.isoformat(timespec="seconds"),
                "kind": kind,
                "uid": uid,
                "station": station,
                "reason": reason,
            }
            for conflict_id, at, kind, uid, station, reason in conflicts
        ],
    }


def _settle(db, last_seq: int, answers: list) -> None:
    """After a pushed batch: the outbox forgets it, and each shared record takes the hub's
    version (and, where the hub kept its own, the hub's content), without new outbox rows."""
    with _applying(db):
        db.execute("DELETE FROM sync_outbox WHERE seq <= ?", [last_seq])
        for answer in filter(None, answers):
            if answer["hub_uid"] != answer["uid"]:  # merged into the hub's record of it
                db.execute(
                    f"UPDATE {answer['kind']} SET uid = ? WHERE uid = ?",
                    [answer["hub_uid"], answer["uid"]],
                )
                answer = {**answer, "uid": answer["hub_uid"]}
            if answer["data"] is not None:
                _store(db, KINDS[answer["kind"]], answer["uid"], answer["data"], answer)
            db.execute(
                f"UPDATE {answer['kind']} SET version = ? WHERE uid = ?",
                [answer["version"], answer["uid"]],
            )


def _apply_batch(db, rows) -> int:
    """Apply pulled ``rows`` in order and move the cursor past those applied; how many (fewer
    than given when one cannot be applied yet)."""
    applied = 0
    with _applying(db):
        for seq, family, kind_name, uid, version, station, data in rows:
            kind = KINDS.get(kind_name)
            if kind is not None and kind.pulled and kind.family == family:
                answer = {"version": version, "origin": station}
                if not _store(db, kind, uid, data, answer):
                    break
            db.execute(
                "INSERT INTO sync_state (key, value) VALUES ('pulled_seq', ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                [str(seq)],
            )
            applied += 1
    return applied


def _store(db, kind, uid: str, data: dict, answer: dict) -> bool:
    """Write a record from the hub here (a new row, or over the station's copy); False when it
    cannot be yet (a record it refers to is not here, or its clinic code is another's)."""
    columns = _local_columns(db, kind.name)
    values = {}
    for key, value in data.items():
        column = key.removesuffix("_uid") + "_id" if key.endswith("_uid") else key
        if column in kind.references:
            target = KINDS[kind.references[column]]
            if value is not None:
                found = db.execute(
                    f"SELECT id FROM {target.name} WHERE {target.uid_column} = ?", [value]
                ).fetchone()
                if found is None:
                    return False
                value = found[0]
        if column in kind.json and value is not None:
            value = json.dumps(value)
        if column in columns:  # not a newer station's new column (see kinds.KINDS)
            values[column] = value
    here = db.execute(
        f"SELECT id{', version' if kind.family == 'shared' else ''} FROM {kind.name} "
        f"WHERE {kind.uid_column} = ?",
        [uid],
    ).fetchone()
    if kind.family == "shared":
        if here is not None:
            waiting = db.execute(
                "SELECT 1 FROM sync_outbox WHERE kind = ? AND key = ?", [kind.name, str(here[0])]
            ).fetchone()
            if waiting or here[1] >= answer["version"]:
                return True  # our own edit goes first (the push settles it), or not newer
        values["version"] = answer["version"]
    else:
        values["origin"] = answer["origin"]
    try:
        if here is not None:
            assignments = ", ".join(f"{c} = ?" for c in values)
            db.execute(
                f"UPDATE {kind.name} SET {assignments} WHERE id = ?", [*values.values(), here[0]]
            )
        else:
            values[kind.uid_column] = uid
            names = ", ".join(values)
            marks = ", ".join("?" for _ in values)
            db.execute(f"INSERT INTO {kind.name} ({names}) VALUES ({marks})", list(values.values()))
    except sqlite3.IntegrityError:
        return False
    return True


def _local_columns(db, table: str) -> set[str]:
    return {row[1] for row in db.execute(f"PRAGMA table_info({table})")}


class _applying:
    """Inside it, the station's triggers put nothing in the outbox: the agent's own writes."""

    def __init__(self, db):
        self.db = db

    def __enter__(self):
        self.db.execute("INSERT INTO sync_applying VALUES (1)")

    def __exit__(self, *exc_info):
        self.db.execute("DELETE FROM sync_applying")


def _said(exc: psycopg.Error, settings: HubSettings) -> str:
    """A psycopg error in a technician's words, naming the hub."""
    where = f"the clinic hub at {settings.host}:{settings.port}"
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if "password authentication failed" in text:
        return (
            f"{where} refused the password of station {settings.station_id}: check that "
            f"[hub] password_file ({settings.password_file}) holds the one given to "
            f"'balance-station hub add-station {settings.station_id}'"
        )
    if "certificate" in text:
        return (
            f"{where} could not be verified against the clinic's CA ([hub] ca_file = "
            f"{settings.ca_file}): {text}; check that ca_file is the CA that signed the hub's "
            f"certificate and that the certificate names {settings.host}"
        )
    if "is not a station of this hub" in text:
        return f"{where} does not know station {settings.station_id!r}: {text}"
    if isinstance(exc, psycopg.OperationalError):
        return f"cannot reach {where} ({text}): check the network and that the hub is running"
    return f"{where} answered with an error: {text}"
