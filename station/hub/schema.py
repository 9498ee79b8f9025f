"""The hub's schema on PostgreSQL, migrated by the project (``balance-station hub migrate``),
and the stations it knows (``balance-station hub add-station``).

Stations never write a table: they hold only SELECT on the tables and EXECUTE on four
functions (``push_recorded``, ``push_shared``, ``pull``, ``resolve_conflict``: a technician's
"resolved"), which run as the hub's owner and take
the calling station from its login role, so a station can write only records of its own
(its recordings, and its edits of shared records, under its name). Every write takes one
transaction-level lock and numbers the change from one sequence: changes are numbered in the
order they commit, so a station that pulled up to change N has missed none below N.

The conflict rule for shared records (patients, programs, goals, home exercises, accounts): a
station
pushes its edit with the version it started from; the hub takes it when that is the hub's
version, or the content is already the hub's (a retry); otherwise the first edit to reach the
hub stays and the later one is kept in ``conflicts`` with both versions, for a technician, and
the station takes the hub's version. A new patient whose clinic code another patient already
has at the hub is kept with ``-dup-<uid>`` appended to its code (as schema 7 of the station
did), and the clash is a conflict too. A new account whose username the clinic has already
becomes that account on the station (the hub's password, role and language; a username is a
person), and that is a conflict too."""

import psycopg
from psycopg import sql

from station.config import STATION_ID
from station.hub.errors import HubError

STATION_ROLE = "balance_station"  # every station's login role is a member of it
MIGRATION_LOCK = 7113  # the advisory lock of a migration (7112 orders the stations' writes)

MIGRATIONS = (
    # 1: stations, the two record families, conflicts, and the functions stations write with
    """
    CREATE SEQUENCE changes;
    CREATE TABLE stations (
        id text PRIMARY KEY,
        role text NOT NULL UNIQUE,
        created_at timestamptz NOT NULL DEFAULT now(),
        last_contact timestamptz,
        software_version text,
        pulled_seq bigint NOT NULL DEFAULT 0,
        pushed bigint NOT NULL DEFAULT 0,
        pending integer
    );
    CREATE TABLE shared (
        kind text NOT NULL,
        uid text NOT NULL,
        version integer NOT NULL,
        origin text NOT NULL REFERENCES stations (id),
        updated_by text NOT NULL REFERENCES stations (id),
        updated_at timestamptz NOT NULL DEFAULT now(),
        data jsonb NOT NULL,
        seq bigint NOT NULL,
        PRIMARY KEY (kind, uid)
    );
    CREATE INDEX shared_seq ON shared (seq);
    CREATE UNIQUE INDEX shared_patient_code ON shared (lower(data->>'code'))
        WHERE kind = 'patients' AND data->>'code' IS NOT NULL;
    CREATE UNIQUE INDEX shared_username ON shared (lower(data->>'username'))
        WHERE kind = 'users';
    CREATE INDEX shared_patient ON shared ((data->>'patient_uid')) WHERE kind <> 'patients';
    CREATE TABLE recorded (
        kind text NOT NULL,
        uid text NOT NULL,
        station text NOT NULL REFERENCES stations (id),
        received_at timestamptz NOT NULL DEFAULT now(),
        data jsonb NOT NULL,
        samples bytea,
        seq bigint NOT NULL,
        PRIMARY KEY (kind, uid)
    );
    CREATE INDEX recorded_seq ON recorded (seq);
    CREATE INDEX recorded_patient ON recorded ((data->>'patient_uid'));
    CREATE TABLE conflicts (
        id bigserial PRIMARY KEY,
        at timestamptz NOT NULL DEFAULT now(),
        kind text NOT NULL,
        uid text NOT NULL,
        station text NOT NULL REFERENCES stations (id),
        base_version integer,
        hub_version integer,
        data jsonb NOT NULL,
        reason text NOT NULL,
        resolved_at timestamptz
    );

    CREATE FUNCTION calling_station() RETURNS text
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public AS $$
    DECLARE me text;
    BEGIN
        SELECT id INTO me FROM stations WHERE role = session_user;
        IF me IS NULL THEN
            RAISE EXCEPTION 'the role % is not a station of this hub', session_user
                USING HINT = 'add it with: balance-station hub add-station';
        END IF;
        RETURN me;
    END $$;

    CREATE FUNCTION push_recorded(p_kind text, p_uid text, p_data jsonb, p_samples bytea)
    RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
    DECLARE me text := calling_station(); owner text; s bigint;
    BEGIN
        PERFORM pg_advisory_xact_lock(7112);
        SELECT station INTO owner FROM recorded WHERE kind = p_kind AND uid = p_uid;
        IF owner IS NOT NULL AND owner <> me THEN
            RAISE EXCEPTION '% % was recorded by station %, not %', p_kind, p_uid, owner, me;
        END IF;
        INSERT INTO recorded AS r (kind, uid, station, data, samples, seq)
        VALUES (p_kind, p_uid, me, p_data, p_samples, nextval('changes'))
        ON CONFLICT (kind, uid) DO UPDATE
            SET data = EXCLUDED.data, samples = coalesce(EXCLUDED.samples, r.samples),
                seq = EXCLUDED.seq, received_at = now()
            WHERE r.data IS DISTINCT FROM EXCLUDED.data
        RETURNING seq INTO s;
        UPDATE stations SET pushed = pushed + 1, last_contact = now() WHERE id = me;
        RETURN s;  -- NULL: the hub had it already, as it was (a retry)
    END $$;

    CREATE FUNCTION push_shared(p_kind text, p_uid text, p_base integer, p_data jsonb,
                                OUT version integer, OUT accepted boolean, OUT data jsonb,
                                OUT hub_uid text)
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
    DECLARE me text := calling_station(); cur shared%ROWTYPE; code text; known boolean;
    BEGIN
        PERFORM pg_advisory_xact_lock(7112);
        UPDATE stations SET pushed = pushed + 1, last_contact = now() WHERE id = me;
        SELECT * INTO cur FROM shared s WHERE s.kind = p_kind AND s.uid = p_uid;
        known := FOUND;
        hub_uid := p_uid;
        IF NOT known AND p_kind = 'users' THEN  -- an account of that name at the hub already
            SELECT * INTO cur FROM shared s WHERE s.kind = 'users'
                AND lower(s.data->>'username') = lower(p_data->>'username');
            IF FOUND THEN
                INSERT INTO conflicts (kind, uid, station, base_version, hub_version, data,
                                       reason)
                VALUES (p_kind, p_uid, me, p_base, cur.version, p_data, format(
                    'station %s created an account %s, which the clinic has already: the '
                    'station''s is now the clinic''s (its password, role and language)',
                    me, p_data->>'username'));
                version := cur.version; accepted := false; data := cur.data;
                hub_uid := cur.uid; RETURN;
            END IF;
        END IF;
        IF known AND cur.data = p_data THEN  -- the hub has it already (a retry)
            version := cur.version; accepted := true; data := cur.data; RETURN;
        END IF;
        IF known AND cur.version <> p_base THEN  -- changed at the hub meanwhile: it stays
            INSERT INTO conflicts (kind, uid, station, base_version, hub_version, data, reason)
            VALUES (p_kind, p_uid, me, p_base, cur.version, p_data, format(
                'changed on station %s from version %s while the hub had version %s '
                '(by station %s): the hub''s version was kept, this one only here',
                me, p_base, cur.version, cur.updated_by));
            version := cur.version; accepted := false; data := cur.data; RETURN;
        END IF;
        code := p_data->>'code';
        IF p_kind = 'patients' AND code IS NOT NULL AND EXISTS (
            SELECT 1 FROM shared s WHERE s.kind = 'patients' AND s.uid <> p_uid
                AND lower(s.data->>'code') = lower(code)) THEN
            IF known THEN  -- an edit to a code another patient has: refused, hub's kept
                INSERT INTO conflicts (kind, uid, station, base_version, hub_version, data,
                                       reason)
                VALUES (p_kind, p_uid, me, p_base, cur.version, p_data, format(
                    'station %s changed the code to %s, which another patient has: the '
                    'hub''s version was kept', me, code));
                version := cur.version; accepted := false; data := cur.data; RETURN;
            END IF;
            p_data := jsonb_set(p_data, '{code}', to_jsonb(code || '-dup-' || left(p_uid, 8)));
            INSERT INTO conflicts (kind, uid, station, base_version, hub_version, data, reason)
            VALUES (p_kind, p_uid, me, p_base, NULL, p_data, format(
                'station %s created a patient with code %s, which another patient has at the '
                'hub: kept as %s; if they are one person, merge them', me, code,
                p_data->>'code'));
        END IF;
        IF known THEN
            UPDATE shared s SET version = s.version + 1, data = p_data, updated_by = me,
                updated_at = now(), seq = nextval('changes')
            WHERE s.kind = p_kind AND s.uid = p_uid;
            version := cur.version + 1;
        ELSE
            INSERT INTO shared (kind, uid, version, origin, updated_by, data, seq)
            VALUES (p_kind, p_uid, 1, me, me, p_data, nextval('changes'));
            version := 1;
        END IF;
        accepted := true; data := p_data;
    END $$;

    CREATE FUNCTION pull(p_after bigint, p_limit integer, p_software text, p_pending integer)
    RETURNS TABLE (seq bigint, family text, kind text, uid text, version integer,
                   station text, data jsonb)
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
    DECLARE me text := calling_station();
    BEGIN
        UPDATE stations s SET last_contact = now(), pulled_seq = greatest(s.pulled_seq, p_after),
            software_version = p_software, pending = p_pending
        WHERE s.id = me;
        RETURN QUERY
            SELECT * FROM (
                SELECT sh.seq, 'shared', sh.kind, sh.uid, sh.version, sh.updated_by, sh.data
                FROM shared sh WHERE sh.seq > p_after
                UNION ALL
                SELECT r.seq, 'recorded', r.kind, r.uid, NULL::integer, r.station, r.data
                FROM recorded r WHERE r.seq > p_after AND r.station <> me
            ) AS changed
            ORDER BY 1 LIMIT p_limit;
    END $$;
    """,
    # 2: a technician marks a conflict resolved (what was done, by whom, from which station)
    """
    ALTER TABLE conflicts ADD COLUMN resolved_by text REFERENCES stations (id),
        ADD COLUMN resolution text;
    CREATE FUNCTION resolve_conflict(p_id bigint, p_note text) RETURNS boolean
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
    DECLARE me text := calling_station();
    BEGIN
        UPDATE conflicts SET resolved_at = now(), resolved_by = me, resolution = p_note
        WHERE id = p_id AND resolved_at IS NULL;
        RETURN FOUND;
    END $$;
    """,
)
GRANTS = """
    GRANT SELECT ON stations, shared, recorded, conflicts TO {role};
    GRANT EXECUTE ON FUNCTION push_recorded(text, text, jsonb, bytea),
        push_shared(text, text, integer, jsonb),
        pull(bigint, integer, text, integer), resolve_conflict(bigint, text) TO {role};
    REVOKE EXECUTE ON FUNCTION push_recorded(text, text, jsonb, bytea),
        push_shared(text, text, integer, jsonb),
        pull(bigint, integer, text, integer), resolve_conflict(bigint, text),
        calling_station() FROM PUBLIC;
"""


def migrate(dsn: str) -> int:
    """Apply the hub's migrations not yet applied, as the hub's owner (``dsn``); the schema
    version. Safe to run on every upgrade; each migration is one transaction."""
    with _connect(dsn) as conn:
        # two technicians migrating at once: the second waits for the first, then finds its
        # work done (a session lock, held until this connection closes)
        conn.execute("SELECT pg_advisory_lock(%s)", [MIGRATION_LOCK])
        conn.execute(
            "CREATE TABLE IF NOT EXISTS hub_migrations "
            "(version integer PRIMARY KEY, at timestamptz NOT NULL DEFAULT now())"
        )
        done = {row[0] for row in conn.execute("SELECT version FROM hub_migrations")}
        conn.commit()
        for version, statements in enumerate(MIGRATIONS, start=1):
            if version in done:
                continue
            with conn.transaction():
                conn.execute(statements)
                conn.execute("INSERT INTO hub_migrations (version) VALUES (%s)", [version])
        with conn.transaction():
            conn.execute(
                sql.SQL(
                    "DO $$ BEGIN CREATE ROLE {} NOLOGIN; "
                    "EXCEPTION WHEN duplicate_object THEN NULL; END $$"
                ).format(sql.Identifier(STATION_ROLE))
            )
            conn.execute(sql.SQL(GRANTS).format(role=sql.Identifier(STATION_ROLE)))
    return len(MIGRATIONS)


def add_station(dsn: str, station_id: str, password: str) -> str:
    """Register ``station_id`` with a login role of its own (``station_<id>``, SCRAM password
    ``password``); the role's name. A station added again gets the new password."""
    if not STATION_ID.match(station_id):
        raise HubError(
            f"station id {station_id!r}: use 1-40 lower-case letters, digits and hyphens, "
            "starting with a letter or digit (e.g. room-1)"
        )
    if len(password) < 16:
        raise HubError("a station's hub password needs at least 16 characters")
    role = f"station_{station_id}"
    with _connect(dsn) as conn, conn.transaction():
        conn.execute("SET LOCAL password_encryption = 'scram-sha-256'")
        exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role]).fetchone()
        verb = "ALTER" if exists else "CREATE"
        conn.execute(
            sql.SQL(verb + " ROLE {} LOGIN PASSWORD {}").format(
                sql.Identifier(role), sql.Literal(password)
            )
        )
        conn.execute(
            sql.SQL("GRANT {} TO {}").format(sql.Identifier(STATION_ROLE), sql.Identifier(role))
        )
        conn.execute(
            "INSERT INTO stations (id, role) VALUES (%s, %s) ON CONFLICT (id) DO NOTHING",
            [station_id, role],
        )
    return role


def _connect(dsn: str) -> psycopg.Connection:
    try:
        return psycopg.connect(dsn, autocommit=False)
    except psycopg.Error as exc:
        raise HubError(f"cannot reach the hub as its owner: {exc}".strip()) from exc
