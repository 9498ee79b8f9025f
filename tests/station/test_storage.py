"""Storage: migrations, patients, trials with their samples, crash marking."""

import io
import sqlite3
import threading
import time
import zlib

import numpy as np
import pytest
from sqlite_utils import Database

from station.errors import NotFoundError
from station.records.patients import PatientFieldError
from station.storage import samples
from station.storage.database import Storage
from station.storage.migrations import MIGRATIONS


def test_patients_create_search_and_order(storage):
    storage.create_patient(
        {"name": "Zoe Park", "code": "P-002", "height_cm": 165.0, "weight_kg": None}
    )
    anna = storage.create_patient(
        {"name": "anna Lee", "code": None, "height_cm": None, "weight_kg": 61.5}
    )
    assert anna["id"] and anna["created_at"]
    assert [p["name"] for p in storage.list_patients()] == ["anna Lee", "Zoe Park"]
    assert [p["name"] for p in storage.list_patients("p-00")] == ["Zoe Park"]
    assert [p["name"] for p in storage.list_patients("LEE")] == ["anna Lee"]
    with pytest.raises(NotFoundError, match="no patient with id 99"):
        storage.get_patient(99)


def test_patients_come_a_page_at_a_time_in_name_order(storage):
    for n in range(7):
        storage.create_patient({"name": "Same Name", "code": f"S-{n}"})
    storage.create_patient({"name": "aaron first", "code": None})
    first = storage.list_patients(limit=3)
    assert [p["name"] for p in first] == ["aaron first", "Same Name", "Same Name"]
    second = storage.list_patients(limit=3, after=first[-1]["id"])
    third = storage.list_patients(limit=3, after=second[-1]["id"])
    ids = [p["id"] for p in first + second + third]
    assert len(ids) == len(set(ids)) == 8  # equal names are ordered by id: none lost or twice
    assert storage.list_patients("s-", limit=2, after=second[0]["id"])[0]["code"] == "S-3"
    with pytest.raises(NotFoundError, match="no patient with id 99 to list after"):
        storage.list_patients(after=99)


def test_a_clinic_code_belongs_to_one_patient_in_any_case(storage):
    first = storage.create_patient({"name": "Ada", "code": "AB-1"})
    with pytest.raises(PatientFieldError, match=r"code: ab-1 is already the code of patient 1"):
        storage.create_patient({"name": "Ada Twin", "code": "ab-1"})
    other = storage.create_patient({"name": "Bo", "code": "AB-2"})
    with pytest.raises(PatientFieldError, match="already the code of patient 1 \\(Ada\\)"):
        storage.update_patient(other["id"], {"name": "Bo", "code": "AB-1"})
    assert storage.update_patient(first["id"], {"name": "Ada L", "code": "AB-1"})["code"] == "AB-1"
    with pytest.raises(sqlite3.IntegrityError):  # the index stands behind the check
        storage.submit(
            lambda db: db.execute("UPDATE patients SET code = 'ab-1' WHERE id = ?", [other["id"]])
        ).result()


def database_at(path, version: int) -> Database:
    """A station database at ``path`` with the schema of ``version`` (its first migrations
    applied and recorded), as an older station left it."""
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, at TEXT)")
    db.commit()
    db.close()
    old = Database(path)
    for number, migration in enumerate(MIGRATIONS[:version], start=1):
        migration(old)
        old.execute("INSERT INTO schema_migrations VALUES (?, 'then')", [number])
    return old


def test_the_v7_migration_makes_existing_codes_unique_and_says_so(tmp_path):
    path = tmp_path / "station.db"
    old = database_at(path, 6)
    for name, code in (("Ada", "P-1"), ("Ada Look-alike", "p-1"), ("Bo", "P-2"), ("Cy", "P-1")):
        old["patients"].insert({"name": name, "code": code, "created_at": "then"})
    old.conn.commit()
    old.close()
    storage = Storage(path)
    try:
        codes = [p["code"] for p in storage.query("SELECT code FROM patients ORDER BY id")]
        assert codes == ["P-1", "p-1-dup-2", "P-2", "P-1-dup-4"]
        notes = storage.query("SELECT target, detail FROM audit_log ORDER BY id")
        assert [n["target"] for n in notes] == ["patient 2", "patient 4"]
        assert notes[0]["detail"].startswith("changed code p-1 -> p-1-dup-2: another patient")
    finally:
        storage.close()


def test_the_v15_migration_follows_weight_bearing_goals_by_their_asymmetry(tmp_path):
    """Goals set on the signed left-right index (a patient loading the left leg has a negative
    one) become goals on its size, lower better, and the change is in the audit log; other
    goals are left alone."""
    path = tmp_path / "station.db"
    old = database_at(path, 14)
    old["patients"].insert({"name": "Ada", "created_at": "then"})
    for drill, metric, baseline, target in (
        ("weight-bearing", "symmetry_index_lr_pct", -60.0, -10.0),
        ("weight-bearing", "symmetry_index_lr_pct", 40.0, 5.0),
        ("quiet-stance", "velocity_mean_cm_s", 2.0, 1.5),
    ):
        old["goals"].insert(
            {
                "patient_id": 1,
                "drill": drill,
                "metric": metric,
                "baseline": baseline,
                "target": target,
                "due_date": "2027-01-01",
                "created_at": "then",
            }
        )
    old.conn.commit()
    old.close()
    storage = Storage(path)
    try:
        goals = storage.query("SELECT drill, metric, baseline, target FROM goals ORDER BY id")
        assert [(g["metric"], g["baseline"], g["target"]) for g in goals] == [
            ("asymmetry_pct", 60.0, 10.0),
            ("asymmetry_pct", 40.0, 5.0),
            ("velocity_mean_cm_s", 2.0, 1.5),
        ]
        notes = storage.query("SELECT action, target, detail FROM audit_log ORDER BY id")
        assert [(n["action"], n["target"]) for n in notes] == [("goal-changed", "patient 1")] * 2
        assert notes[0]["detail"].startswith("goal 1: left-right symmetry index -60 -> -10 now")
    finally:
        storage.close()


def test_trial_round_trip_keeps_samples_exactly(storage):
    patient = storage.create_patient(
        {"name": "A", "code": None, "height_cm": None, "weight_kg": None}
    )
    header = {
        "id": "t1",
        "patient_id": patient["id"],
        "drill": "quiet-stance",
        "params": {"duration_s": 30.0},
        "rate_hz": 100.0,
        "started_at": "2026-01-01T00:00:00",
        "software_version": "0.1.0",
    }
    storage.begin_trial(header).result()
    assert storage.get_trial("t1")["state"] == "running"
    rows = np.random.default_rng(0).normal(size=(3000, len(samples.COLUMNS)))
    rows[5, 6:] = np.nan
    storage.finish_trial(
        "t1",
        {
            "state": "completed",
            "reason": None,
            "result": {"m": 1},
            "events": [],
            "cues": [{"t_s": 0.1, "cue": "tone:start"}],
            "duration_s": 30.0,
        },
        rows,
    ).result()
    trial = storage.get_trial("t1")
    assert trial["state"] == "completed" and trial["result"] == {"m": 1}
    assert trial["params"] == {"duration_s": 30.0}
    assert trial["cues"] == [{"t_s": 0.1, "cue": "tone:start"}]
    np.testing.assert_array_equal(storage.trial_samples("t1"), rows)
    assert [t["id"] for t in storage.list_trials(patient["id"])] == ["t1"]


def test_samples_of_trials_stored_before_the_tilt_columns_decode_with_nan_tilt():
    old_rows = np.arange(24.0).reshape(3, samples.FIRST_VERSION_COLUMNS)
    buffer = io.BytesIO()
    np.save(buffer, old_rows, allow_pickle=False)  # the format of the first version
    rows = samples.decode(zlib.compress(buffer.getvalue()))
    assert rows.shape == (3, len(samples.COLUMNS))
    np.testing.assert_array_equal(rows[:, :8], old_rows)
    assert np.isnan(rows[:, 8:]).all()


def test_restart_applies_migrations_once_and_marks_crashed_trials(tmp_path):
    path = tmp_path / "station.db"
    first = Storage(path)
    patient = first.create_patient(
        {"name": "A", "code": None, "height_cm": None, "weight_kg": None}
    )
    first.begin_trial(
        {
            "id": "t9",
            "patient_id": patient["id"],
            "drill": "quiet-stance",
            "params": {},
            "rate_hz": 100.0,
            "started_at": "x",
            "software_version": "0",
        }
    ).result()
    first.close()  # as if the daemon died mid-drill
    second = Storage(path)
    trial = second.get_trial("t9")
    assert trial["state"] == "interrupted"
    assert trial["reason"] == "station stopped unexpectedly"
    second.close()
    raw = sqlite3.connect(path)
    versions = raw.execute("SELECT version FROM schema_migrations").fetchall()
    assert versions == [(v,) for v in range(1, len(MIGRATIONS) + 1)]
    assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    raw.close()
    second.close()  # safe twice


def test_calibrations_keep_history_and_one_active(tmp_path):
    storage = Storage(tmp_path / "s.db")
    assert storage.active_calibration() is None
    first = storage.save_calibration(
        {"technician": "Tess", "tare_counts": [1, 2, 3, 4], "gain_n_per_count": [0.1] * 4}
    )
    second = storage.save_calibration(
        {
            "technician": "Theo",
            "tare_counts": [5, 6, 7, 8],
            "gain_n_per_count": [0.2] * 4,
            "residuals": {"linearity_pct": [0.1, 0.2, 0.1, 0.3]},
        }
    )
    assert storage.active_calibration()["id"] == second["id"]
    assert storage.active_calibration()["residuals"] == {"linearity_pct": [0.1, 0.2, 0.1, 0.3]}
    history = storage.list_calibrations()
    assert [(c["id"], c["active"]) for c in history] == [(second["id"], True), (first["id"], False)]
    assert history[1]["tare_counts"] == [1, 2, 3, 4] and history[1]["technician"] == "Tess"
    storage.close()


def test_reanalyses_are_stored_beside_the_trial(storage):
    patient = storage.create_patient({"name": "A"})
    storage.begin_trial(
        {
            "id": "t9",
            "patient_id": patient["id"],
            "drill": "quiet-stance",
            "params": {},
            "rate_hz": 100.0,
            "started_at": "2026-01-01T00:00:00+00:00",
            "software_version": "0.1.0",
        }
    ).result()
    stored = storage.add_analysis(
        "t9", {"conventions": {"ellipse": "chi2"}, "metrics": {"m": 2}, "software_version": "x"}
    )
    assert stored["trial_id"] == "t9" and stored["metrics"] == {"m": 2}
    assert [a["conventions"] for a in storage.list_analyses("t9")] == [{"ellipse": "chi2"}]
    with pytest.raises(NotFoundError):
        storage.add_analysis("nope", {"conventions": {}, "metrics": {}})


def test_a_write_is_committed_before_its_caller_hears_it_is_done(tmp_path):
    """A caller that reads right after its write (a new patient's page, a saved visit) must
    find it: the writer answers only once the transaction is committed. The answer's
    callback runs at the very moment the writer answers, so it reads at the earliest instant
    a caller could."""
    store = Storage(tmp_path / "station.db")
    try:
        seen, go = [], threading.Event()
        store.submit(lambda db: go.wait(5))  # holds the writer until the callback is in place
        pending = store.submit(
            lambda db: (
                db.execute(
                    "INSERT INTO patients (name, created_at) VALUES ('Just Saved', 'x')"
                ).lastrowid
            )
        )
        pending.add_done_callback(lambda _: seen.append(store.list_patients()))
        go.set()
        pending.result(5)
        store.flush()
        assert [p["name"] for p in seen[0]] == ["Just Saved"]
    finally:
        store.close()


def test_a_write_that_fails_halfway_leaves_nothing_behind(tmp_path):
    """A job is one transaction: a visit saved with its billing lines either lands whole or,
    when a later statement fails, not at all (no half-saved record to puzzle a therapist)."""
    store = Storage(tmp_path / "station.db")
    try:

        def half(db):
            db["patients"].insert({"name": "Half Saved", "created_at": "x"})
            db.execute("INSERT INTO no_such_table VALUES (1)")

        with pytest.raises(sqlite3.OperationalError, match="no_such_table"):
            store.submit(half).result(5)
        assert store.list_patients() == []
    finally:
        store.close()


def test_a_write_that_reads_first_waits_for_the_other_process_instead_of_failing(tmp_path):
    """The core and the panel write to one file: a job that checks before it writes (a new
    patient's code is free) must not be refused ("database is locked") because the other
    process wrote in between; it takes the write lock first, and the other waits its turn."""
    core = Storage(tmp_path / "station.db")
    panel = Storage(tmp_path / "station.db", owner=False)
    try:
        checked = threading.Event()

        def check_then_insert(db):
            db.execute("SELECT count(*) FROM patients").fetchone()
            checked.set()
            time.sleep(0.5)  # the panel's write comes now
            db["patients"].insert({"name": "Core", "created_at": "x"})

        pending = core.submit(check_then_insert)
        assert checked.wait(5)
        panel.create_patient({"name": "Panel"})
        pending.result(10)
        assert sorted(p["name"] for p in core.list_patients()) == ["Core", "Panel"]
    finally:
        panel.close()
        core.close()


def test_reads_of_a_file_database_never_wait_for_a_write(tmp_path):
    """A login check in the panel must not queue behind a slow write (one that waits for the
    core's lock) or behind another long read."""
    store = Storage(tmp_path / "station.db")
    try:
        store.create_patient({"name": "Already There"})
        writing, release = threading.Event(), threading.Event()

        def slow(db):
            # the insert takes the write lock, held as a write waiting on the core's lock holds it
            db.execute("INSERT INTO patients (name, created_at) VALUES ('Slow Write', 'x')")
            writing.set()
            release.wait(10)  # the transaction stays open

        pending = store.submit(slow)
        assert writing.wait(5)
        reader = threading.Thread(target=lambda: names.append(store.list_patients()))
        names = []
        reader.start()
        reader.join(5)
        assert not reader.is_alive()  # answered while the write is still open
        assert [p["name"] for p in names[0]] == ["Already There"]  # what was committed
        release.set()
        pending.result(5)
        assert len(store.list_patients()) == 2
    finally:
        store.close()
