"""Numbered schema migrations, applied in order at start-up; never edit a released one."""

from collections.abc import Callable
from datetime import UTC, datetime

from sqlite_utils import Database


def _v1_foundation(db: Database) -> None:
    """Patients and trials (with their raw samples as one compressed blob)."""
    db["patients"].create(
        {
            "id": int,
            "name": str,
            "code": str,
            "height_cm": float,
            "weight_kg": float,
            "created_at": str,
        },
        pk="id",
        not_null={"name", "created_at"},
    )
    db["patients"].create_index(["name"])
    db["trials"].create(
        {
            "id": str,
            "patient_id": int,
            "drill": str,
            "params": str,
            "state": str,
            "reason": str,
            "result": str,
            "events": str,
            "cues": str,
            "rate_hz": float,
            "started_at": str,
            "ended_at": str,
            "duration_s": float,
            "software_version": str,
            "samples": bytes,
        },
        pk="id",
        foreign_keys=[("patient_id", "patients", "id")],
        not_null={"patient_id", "drill", "state", "started_at"},
    )
    db["trials"].create_index(["patient_id", "started_at"])


def _v2_calibrations_and_analyses(db: Database) -> None:
    """Platform calibrations (the active one is used, older ones kept) and re-analyses of
    stored trials under other conventions (the trial's own result is never replaced)."""
    db["calibrations"].create(
        {
            "id": int,
            "created_at": str,
            "technician": str,
            "active": int,
            "tare_counts": str,
            "gain_n_per_count": str,
            "cop_correction": str,
            "residuals": str,
            "note": str,
        },
        pk="id",
        not_null={"created_at", "technician", "active", "tare_counts", "gain_n_per_count"},
    )
    db["analyses"].create(
        {
            "id": int,
            "trial_id": str,
            "created_at": str,
            "conventions": str,
            "metrics": str,
            "quality": str,
            "software_version": str,
        },
        pk="id",
        foreign_keys=[("trial_id", "trials", "id")],
        not_null={"trial_id", "created_at", "conventions", "metrics"},
    )
    db["analyses"].create_index(["trial_id"])


def _v3_programs(db: Database) -> None:
    """Therapists' programs per patient, and which program step a trial ran."""
    db["programs"].create(
        {
            "id": int,
            "patient_id": int,
            "name": str,
            "steps": str,
            "rules": str,
            "history": str,
            "created_at": str,
            "updated_at": str,
        },
        pk="id",
        foreign_keys=[("patient_id", "patients", "id")],
        not_null={"patient_id", "name", "steps", "created_at"},
    )
    db["programs"].create_index(["patient_id"])
    db["trials"].add_column("program_id", int)
    db["trials"].add_column("program_step", int)


def _v4_accounts_visits_and_patient_details(db: Database) -> None:
    """Panel accounts and their audit log, visits (timed minutes for billing), and the patient
    details a clinic records (birth date, sex, affected side, a short note)."""
    db["users"].create(
        {
            "id": int,
            "username": str,
            "password_hash": str,
            "role": str,
            "active": int,
            "created_at": str,
            "last_login_at": str,
        },
        pk="id",
        not_null={"username", "password_hash", "role", "active", "created_at"},
    )
    db["users"].create_index(["username"], unique=True)
    db["audit_log"].create(
        {"id": int, "at": str, "username": str, "action": str, "target": str, "detail": str},
        pk="id",
        not_null={"at", "action"},
    )
    db["audit_log"].create_index(["at"])
    db["visits"].create(
        {
            "id": int,
            "patient_id": int,
            "visit_date": str,
            "therapist": str,
            "nmr_minutes": float,
            "note": str,
            "created_at": str,
            "updated_at": str,
        },
        pk="id",
        foreign_keys=[("patient_id", "patients", "id")],
        not_null={"patient_id", "visit_date", "created_at"},
    )
    db["visits"].create_index(["patient_id", "visit_date"])
    for column in ("birth_date", "sex", "affected_side", "note"):
        db["patients"].add_column(column, str)
    db["trials"].add_column("visit_id", int)


def _v5_sessions(db: Database) -> None:
    """Panel sessions kept on the server, so that a logout, a deactivation or a new password
    ends them (``station.records.sessions``); the id is the SHA-256 of the cookie's token."""
    db["sessions"].create(
        {"id": str, "user_id": int, "created_at": str, "address": str},
        pk="id",
        foreign_keys=[("user_id", "users", "id")],
        not_null={"user_id", "created_at"},
    )
    db["sessions"].create_index(["user_id"])


def _v6_audit_address(db: Database) -> None:
    """Where each audited action came from (the device's address), and the audit log looked
    up by record and by user on the technicians' audit page."""
    db["audit_log"].add_column("address", str)
    db["audit_log"].create_index(["target"])
    db["audit_log"].create_index(["username"])


def _v7_patient_list_and_codes(db: Database) -> None:
    """The patient list read a page at a time in name order, and searched, from one index
    (the name as it is sorted, case-insensitive, then id, and the code: a search reads the
    index alone, never the records it does not show), and one patient per clinic code, in any
    case. Codes already taken twice keep their oldest holder; each later one gets
    ``-dup-<id>`` and the change is written to the audit log, so nobody is left with a
    look-alike unnoticed."""
    db.execute("CREATE INDEX patients_list ON patients (name COLLATE NOCASE, id, code)")
    duplicates = db.execute(
        "SELECT p.id, p.code FROM patients p WHERE p.code IS NOT NULL AND EXISTS ("
        "SELECT 1 FROM patients o WHERE o.code = p.code COLLATE NOCASE AND o.id < p.id)"
    ).fetchall()
    for patient_id, code in duplicates:
        unique = f"{code}-dup-{patient_id}"
        db.execute("UPDATE patients SET code = ? WHERE id = ?", [unique, patient_id])
        db["audit_log"].insert(
            {
                "at": datetime.now(UTC).isoformat(timespec="seconds"),
                "username": None,
                "action": "patient-changed",
                "target": f"patient {patient_id}",
                "detail": f"changed code {code} -> {unique}: another patient had it "
                "(codes are unique from schema 7)",
            }
        )
    db.execute(
        "CREATE UNIQUE INDEX patients_code_unique ON patients (code COLLATE NOCASE) "
        "WHERE code IS NOT NULL"
    )


def _v8_visit_pain_and_function(db: Database) -> None:
    """The patient's pain at the start and at the end of each visit, 0-10 (numeric rating
    scale), the Patient-Specific Functional Scale when it was asked (JSON: the activities
    and their 0-10 ratings), and the therapist's words of the daily note: what the patient
    reports, the assessment and the plan; None until written. And the patients' measurable
    goals (a measure, its baseline, a target and a date)."""
    db["visits"].add_column("pain_before", int)
    db["visits"].add_column("pain_after", int)
    db["visits"].add_column("psfs", str)
    for part in ("subjective", "assessment", "plan"):  # the daily note's S, A and P
        db["visits"].add_column(part, str)
    db["goals"].create(
        {
            "id": int,
            "patient_id": int,
            "drill": str,  # None for a patient-reported measure
            "metric": str,
            "condition": str,
            "baseline": float,
            "target": float,
            "due_date": str,
            "note": str,
            "created_at": str,
            "withdrawn_at": str,  # set aside by the therapist: kept, no longer shown
        },
        pk="id",
        not_null={"patient_id", "metric", "baseline", "target", "due_date", "created_at"},
        foreign_keys=[("patient_id", "patients", "id")],
    )
    db["goals"].create_index(["patient_id", "due_date"])


def _v9_evaluations(db: Database) -> None:
    """A program's kind: ``evaluation`` for a battery of standard tests run in one go and
    read together in one report; None for a training program (every program before)."""
    db["programs"].add_column("kind", str)


def _v10_home_programs(db: Database) -> None:
    """The exercises each patient does at home with their dose (one row per prescription:
    a new dose stops the old row and adds one, so the record shows what was asked when),
    and, per visit, on how many days since the previous visit the patient did them."""
    db["home_exercises"].create(
        {
            "id": int,
            "patient_id": int,
            "exercise": str,  # a key of station.records.exercise_library.EXERCISES
            "level": int,
            "sets": int,
            "amount": int,  # in the exercise's unit: times, seconds, steps or laps
            "times_per_day": int,
            "days_per_week": int,
            "note": str,
            "prescribed_on": str,  # the clinic's calendar day, YYYY-MM-DD
            "created_at": str,
            "stopped_at": str,  # None while the patient does it
        },
        pk="id",
        not_null={"patient_id", "exercise", "level", "sets", "amount", "prescribed_on"},
        foreign_keys=[("patient_id", "patients", "id")],
    )
    db["home_exercises"].create_index(["patient_id", "stopped_at"])
    db["visits"].add_column("hep_days", int)


def _v11_goal_baseline_day(db: Database) -> None:
    """The day of the result a goal's baseline was taken from (the evaluation's, as a rule);
    None when the therapist entered the baseline."""
    db["goals"].add_column("baseline_date", str)


def _v12_languages(db: Database) -> None:
    """The panel's language per account and what a patient hears and reads in per patient
    (codes of ``station.i18n.catalog.LANGUAGES``): English for everyone until chosen."""
    db["users"].add_column("language", str, not_null_default="en")
    db["patients"].add_column("language", str, not_null_default="en")


def _v13_clinic_hub(db: Database) -> None:
    """What the clinic hub's sync agent needs (``station.hub``): a clinic-wide id (``uid``)
    for every record the station shares or records (trials have one: their id), the hub's
    version a shared record's copy is based on, which station recorded a visit, trial or
    analysis pulled from the hub (``origin``; None: this one), and an outbox that triggers
    fill with every change made here (``sync_outbox``), except the agent's own while
    ``sync_applying`` has a row. Records already stored get their uid and go into the
    outbox, oldest first."""
    shared = ("patients", "programs", "goals", "home_exercises")
    recorded = ("visits", "calibrations", "analyses")  # and trials, whose id is their uid
    for table in shared:
        db[table].add_column("uid", str)
        db[table].add_column("version", int, not_null_default=0)
    for table in recorded:
        db[table].add_column("uid", str)
    for table in ("visits", "trials", "analyses"):  # what other stations' come here
        db[table].add_column("origin", str)
    db.execute(
        "CREATE TABLE sync_outbox (seq INTEGER PRIMARY KEY, kind TEXT NOT NULL, "
        "key TEXT NOT NULL, at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')))"
    )
    db.execute("CREATE TABLE sync_applying (flag INTEGER)")
    db.execute("CREATE TABLE sync_state (key TEXT PRIMARY KEY, value TEXT)")
    for table in (*shared, *recorded):
        _track(db, table)
    db.execute(  # a trial goes once it has ended (and again if its record changes after)
        f"CREATE TRIGGER trials_changed AFTER UPDATE ON trials "
        f"WHEN {SYNC_IDLE} AND NEW.state <> 'running' BEGIN "
        "INSERT INTO sync_outbox (kind, key) VALUES ('trials', NEW.id); END"
    )
    db.execute(
        "INSERT INTO sync_outbox (kind, key) SELECT 'trials', id FROM trials "
        "WHERE state <> 'running' ORDER BY started_at"
    )


def _v14_shared_accounts(db: Database) -> None:
    """The panel's accounts shared through the clinic hub like patients (a therapist logs in
    on any station of the clinic): a uid and the hub's version, and the outbox triggers."""
    db["users"].add_column("uid", str)
    db["users"].add_column("version", int, not_null_default=0)
    _track(db, "users")


def _v15_weight_bearing_asymmetry(db: Database) -> None:
    """Partial weight bearing is followed by its asymmetry (the size of the left-right index)
    instead of the signed index, which rises toward 0 as a patient loading the left leg
    improves and was read as worse. Goals set on the index follow the asymmetry: baseline and
    target become their sizes, and each change is written to the audit log. Stored trials are
    records and stay as they were: their trend on the asymmetry starts with the next trial."""
    goals = db.execute(
        "SELECT id, patient_id, baseline, target FROM goals "
        "WHERE drill = 'weight-bearing' AND metric = 'symmetry_index_lr_pct'"
    ).fetchall()
    for goal_id, patient_id, baseline, target in goals:
        db.execute(
            "UPDATE goals SET metric = 'asymmetry_pct', baseline = ?, target = ? WHERE id = ?",
            [abs(baseline), abs(target), goal_id],
        )
        db["audit_log"].insert(
            {
                "at": datetime.now(UTC).isoformat(timespec="seconds"),
                "username": None,
                "action": "goal-changed",
                "target": f"patient {patient_id}",
                "detail": f"goal {goal_id}: left-right symmetry index {baseline:g} -> {target:g} "
                f"now followed as the asymmetry {abs(baseline):g} -> {abs(target):g} (lower is "
                "better; schema 15)",
            }
        )


SYNC_IDLE = "NOT EXISTS (SELECT 1 FROM sync_applying)"
"""The outbox triggers' condition: not the sync agent's own write (schema 13)."""


def _track(db: Database, table: str) -> None:
    """Give ``table``'s records a uid (a random 128-bit hex; those stored get theirs now and go
    into the outbox) and the triggers that put every insert and update into the outbox."""
    db.execute(f"UPDATE {table} SET uid = lower(hex(randomblob(16)))")
    db.execute(f"CREATE UNIQUE INDEX {table}_uid ON {table} (uid)")
    db.execute(
        f"CREATE TRIGGER {table}_added AFTER INSERT ON {table} WHEN {SYNC_IDLE} BEGIN "
        f"UPDATE {table} SET uid = lower(hex(randomblob(16))) "
        "WHERE id = NEW.id AND uid IS NULL; "
        f"INSERT INTO sync_outbox (kind, key) VALUES ('{table}', NEW.id); END"
    )
    db.execute(  # not the uid's own update above (its OLD.uid is NULL)
        f"CREATE TRIGGER {table}_changed AFTER UPDATE ON {table} "
        f"WHEN {SYNC_IDLE} AND OLD.uid IS NOT NULL BEGIN "
        f"INSERT INTO sync_outbox (kind, key) VALUES ('{table}', NEW.id); END"
    )
    db.execute(f"INSERT INTO sync_outbox (kind, key) SELECT '{table}', id FROM {table}")


MIGRATIONS: tuple[Callable[[Database], None], ...] = (
    _v1_foundation,
    _v2_calibrations_and_analyses,
    _v3_programs,
    _v4_accounts_visits_and_patient_details,
    _v5_sessions,
    _v6_audit_address,
    _v7_patient_list_and_codes,
    _v8_visit_pain_and_function,
    _v9_evaluations,
    _v10_home_programs,
    _v11_goal_baseline_day,
    _v12_languages,
    _v13_clinic_hub,
    _v14_shared_accounts,
    _v15_weight_bearing_asymmetry,
)
