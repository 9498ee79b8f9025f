"""Issue 19: stations replicate with the clinic hub, offline-first, on a real PostgreSQL.
A patient created on one station and trained on another is one history on both; every
record reaches the hub exactly once however often a cycle is cut; edits made on two
partitioned stations converge with the loser kept as a conflict; a station can write only
its own records; a hub that is down costs nothing but time."""

import psycopg
import pytest
from argon2 import PasswordHasher
from argon2.profiles import CHEAPEST
from psycopg.types.json import Jsonb

from station.hub.agent import SyncAgent
from station.hub.errors import HubError
from station.records.accounts import Accounts, LoginError
from station.results.conventions import analysis_options

pytestmark = pytest.mark.hub

MARTA = {"name": "Marta Hub", "code": "MH-1", "height_cm": 162, "weight_kg": 61}


def test_a_patient_created_on_one_station_and_trained_on_another_is_one_history(hub, stations):
    room1, room2 = stations(2)
    marta = room1.records.create_patient(MARTA)
    first = room1.run_trial(marta["id"])
    assert room1.sync()["pushed"] >= 2  # the patient, the trial

    assert room2.sync()["pulled"] >= 2
    there = room2.patient_by_code("MH-1")
    assert there["name"] == "Marta Hub" and there["id"] is not None
    second = room2.run_trial(there["id"])
    room2.sync()
    room1.sync()

    for room in (room1, room2):
        here = room.patient_by_code("MH-1")
        trials = {t["id"]: t for t in room.station.storage.list_trials(here["id"])}
        assert set(trials) == {first, second}  # the whole history, wherever it was recorded
        for trial in trials.values():
            assert trial["state"] == "completed"
            assert trial["result"]["metrics"]["velocity_mean_cm_s"] > 0
    origin = room1.station.storage.query("SELECT origin FROM trials WHERE id = ?", [second])
    assert origin[0]["origin"] == "room-2"  # recorded there, shown here
    assert hub.count("recorded", "trials") == 2 and hub.count("shared", "patients") == 1
    with hub.admin() as conn:
        owners = dict(conn.execute("SELECT uid, station FROM recorded WHERE kind = 'trials'"))
        samples = conn.execute(
            "SELECT octet_length(samples) FROM recorded WHERE uid = %s", [first]
        ).fetchone()[0]
    assert owners == {first: "room-1", second: "room-2"}
    assert samples > 1000  # the raw recording went up with its trial

    assert room1.sync() == {"pushed": 0, "pulled": 0, "conflicts": 0}  # nothing more to do
    assert room1.agent.status()["state"] == "synced"


def test_a_cycle_cut_after_the_hub_took_it_sends_again_and_stores_once(hub, stations, monkeypatch):
    (room1,) = stations(1)
    marta = room1.records.create_patient(MARTA)
    trial = room1.run_trial(marta["id"])
    room1.station.storage.flush()

    def cut(*_):  # the station dies between the hub's commit and forgetting its outbox
        raise RuntimeError("power cut")

    with monkeypatch.context() as patch:
        patch.setattr("station.hub.agent._settle", cut)
        with pytest.raises(RuntimeError, match="power cut"):
            room1.sync()
    assert room1.agent.status()["pending"] >= 2  # still in the outbox
    room1.sync()
    assert room1.agent.status()["pending"] == 0
    assert hub.count("recorded", "trials") == 1 and hub.count("shared", "patients") == 1
    with hub.admin() as conn:
        assert conn.execute("SELECT count(*) FROM conflicts").fetchone()[0] == 0
        version = conn.execute("SELECT version FROM shared WHERE kind = 'patients'").fetchone()
    assert version[0] == 1  # the re-sent patient was recognised, not a new version
    assert room1.station.storage.query("SELECT version FROM patients")[0]["version"] == 1
    assert trial in {t["id"] for t in room1.station.storage.list_trials(marta["id"])}


def test_an_edit_on_two_partitioned_stations_keeps_the_first_and_records_the_second(hub, stations):
    room1, room2 = stations(2)
    created = room1.records.create_patient(MARTA)
    room1.sync()
    room2.sync()
    there = room2.patient_by_code("MH-1")
    # the network between them is cut: each therapist corrects the weight
    room1.records.update_patient(created["id"], {**MARTA, "weight_kg": 63})
    room2.records.update_patient(there["id"], {**MARTA, "weight_kg": 59})
    assert room1.sync()["conflicts"] == 0  # first at the hub: kept
    assert room2.sync()["conflicts"] == 1  # later: the hub's version comes back
    room1.sync()

    for room in (room1, room2):
        patient = room.patient_by_code("MH-1")
        assert patient["weight_kg"] == 63 and patient["version"] == 2
    with hub.admin() as conn:
        kept = conn.execute(
            "SELECT station, base_version, hub_version, data, reason FROM conflicts"
        ).fetchall()
    assert len(kept) == 1
    station, base, at_hub, data, reason = kept[0]
    assert (station, base, at_hub, data["weight_kg"]) == ("room-2", 1, 2, 59)
    assert "the hub's version was kept" in reason and "by station room-1" in reason
    assert room2.agent.status()["conflicts"] == 1 and room1.agent.status()["conflicts"] == 0


def test_the_same_patient_created_on_two_partitioned_stations_is_kept_twice_and_flagged(
    hub, stations
):
    room1, room2 = stations(2)
    room1.records.create_patient(MARTA)
    room2.records.create_patient({**MARTA, "weight_kg": 60})
    room1.sync()
    assert room2.sync()["pulled"] >= 1  # its own patient was renamed before room-1's came
    room1.sync()

    for room in (room1, room2):
        codes = sorted(r["code"] for r in room.station.storage.query("SELECT code FROM patients"))
        assert codes[0] == "MH-1" and codes[1].startswith("MH-1-dup-")
        assert room.station.storage.query("PRAGMA integrity_check")[0]["integrity_check"] == "ok"
    with hub.admin() as conn:
        (reason,) = conn.execute("SELECT reason FROM conflicts").fetchone()
    assert "created a patient with code MH-1" in reason and "merge them" in reason


def test_a_station_can_write_only_its_own_records(hub, stations):
    room1, room2 = stations(2)
    marta = room1.records.create_patient(MARTA)
    trial = room1.run_trial(marta["id"])
    room1.sync()
    with psycopg.connect(room2.settings.conninfo()) as conn:
        with pytest.raises(psycopg.errors.RaiseException, match="recorded by station room-1"):
            conn.execute(
                "SELECT push_recorded('trials', %s, %s, NULL)", [trial, Jsonb({"forged": 1})]
            )
        conn.rollback()
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("UPDATE recorded SET data = '{}'")
        conn.rollback()
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(
                "INSERT INTO conflicts (kind, uid, station, data, reason) VALUES "
                "('x', 'y', 'room-1', '{}', 'forged')"
            )
    with hub.admin() as conn:
        data = conn.execute("SELECT data FROM recorded WHERE uid = %s", [trial]).fetchone()[0]
    assert data["state"] == "completed" and "forged" not in data


def test_a_hub_that_is_down_costs_nothing_but_time(hub, stations, cluster):
    room1, room2 = stations(2)
    marta = room1.records.create_patient(MARTA)
    room1.sync()
    cluster.stop(kill=True)  # the hub's machine loses power
    try:
        trial = room1.run_trial(marta["id"])  # the station records on
        with pytest.raises(HubError, match=r"cannot reach the clinic hub at 127\.0\.0\.1"):
            room1.sync()
        down = room1.agent.status()
        assert down["pending"] == 1 and down["oldest_pending_at"]
    finally:
        cluster.start()
    room1.sync()
    room2.sync()
    assert room1.agent.status()["pending"] == 0
    here = room2.patient_by_code("MH-1")
    assert [t["id"] for t in room2.station.storage.list_trials(here["id"])] == [trial]


def test_a_wrong_password_is_named_for_the_technician(hub, stations):
    (room1,) = stations(1)
    room1.records.create_patient(MARTA)
    room1.settings.password_file.write_text("not the password at all\n")
    with pytest.raises(HubError, match="refused the password of station room-1: check") as e:
        room1.sync()
    assert str(room1.settings.password_file) in str(e.value)
    assert room1.agent.status()["pending"] == 1  # the patient waits in the outbox


def test_three_stations_partitioned_from_the_hub_converge_when_it_heals(hub, stations, cluster):
    """Issue 19's demo as a test: a patient created in room 1 is trained in rooms 2 and 3
    while the hub is down (each room edits her too), then the hub comes back: all three hold
    her whole history, the first edit to reach the hub wins in every room, the other is a
    conflict, and every trial is at the hub exactly once."""
    rooms = stations(3)
    room1, room2, room3 = rooms
    created = room1.records.create_patient(MARTA)
    for room in rooms:
        room.sync()
    here = {room: room.patient_by_code("MH-1")["id"] for room in rooms}

    cluster.stop(kill=True)  # the partition: no station reaches the hub
    try:
        trials = [room.run_trial(here[room]) for room in (room2, room3)]
        room2.records.update_patient(here[room2], {**MARTA, "weight_kg": 58})
        room3.records.update_patient(here[room3], {**MARTA, "weight_kg": 64})
        goal = {"drill": None, "metric": "pain", "baseline": 6, "target": 2}
        room1.records.goals.create(here[room1], {**goal, "due_date": "2099-01-01"}, {})
        for room in rooms:
            with pytest.raises(HubError):
                room.sync()
    finally:
        cluster.start()
    for _ in range(2):  # the partition heals: room 3 reaches the hub first
        for room in (room3, room2, room1):
            room.sync()

    for room in rooms:
        patient = room.patient_by_code("MH-1")
        history = {t["id"] for t in room.station.storage.list_trials(patient["id"])}
        assert history == set(trials), room.settings.station_id
        assert patient["weight_kg"] == 64  # room 3's edit reached the hub first
        goals = room.records.goals.for_patient(patient["id"])
        assert [(g["metric"], g["target"]) for g in goals] == [("pain", 2)]
        assert room.agent.status()["pending"] == 0
        check = room.station.storage.query("PRAGMA integrity_check")[0]["integrity_check"]
        assert check == "ok"
    assert hub.count("recorded", "trials") == 2 and hub.count("shared", "patients") == 1
    with hub.admin() as conn:
        conflicts = conn.execute("SELECT station, data->>'weight_kg' FROM conflicts").fetchall()
        integrity = conn.execute(
            "SELECT count(*) FROM recorded r WHERE kind = 'trials' AND NOT EXISTS ("
            "SELECT 1 FROM shared s WHERE s.kind = 'patients' "
            "AND s.uid = r.data->>'patient_uid')"
        ).fetchone()[0]
    assert conflicts == [("room-2", "58.0")] and integrity == 0
    assert created["id"] == here[room1]


def accounts_of(room) -> Accounts:
    """The station's accounts, with the cheapest Argon2 parameters (tests only)."""
    return Accounts(room.station.storage, PasswordHasher.from_parameters(CHEAPEST))


def test_an_account_made_on_one_station_logs_in_on_every_station(hub, stations):
    room1, room2 = stations(2)
    accounts_of(room1).create("thea", "thea's long password", "therapist", by="tech")
    room1.sync()
    room2.sync()
    assert accounts_of(room2).authenticate("thea", "thea's long password")["role"] == "therapist"
    room2.sync()  # her login there (its time) stays there: nothing new for the hub
    with hub.admin() as conn:
        data = conn.execute("SELECT data FROM shared WHERE kind = 'users'").fetchone()[0]
    assert "last_login_at" not in data and data["password_hash"].startswith("$argon2")

    accounts_of(room2).set_active("thea", False, by="tech")  # she left the clinic
    room2.sync()
    room1.sync()
    with pytest.raises(LoginError):
        accounts_of(room1).authenticate("thea", "thea's long password")


def test_one_username_made_on_two_partitioned_stations_becomes_one_account(hub, stations):
    room1, room2 = stations(2)
    accounts_of(room1).create("thea", "first password of thea", "therapist", by="tech")
    accounts_of(room2).create("thea", "second password of thea", "technician", by="tech")
    room1.sync()
    assert room2.sync()["conflicts"] == 1
    room1.sync()

    for room in (room1, room2):
        accounts = accounts_of(room)
        assert [a["username"] for a in accounts.list_accounts()] == ["thea"]
        assert accounts.authenticate("thea", "first password of thea")["role"] == "therapist"
        with pytest.raises(LoginError):
            accounts.authenticate("thea", "second password of thea")
    with hub.admin() as conn:
        (reason,) = conn.execute("SELECT reason FROM conflicts").fetchone()
        users = conn.execute("SELECT count(*) FROM shared WHERE kind = 'users'").fetchone()[0]
    assert "created an account thea, which the clinic has already" in reason and users == 1


def test_the_hub_killed_mid_push_takes_none_of_the_batch_and_all_of_it_next_time(
    hub, stations, cluster, monkeypatch
):
    (room1,) = stations(1)
    marta = room1.records.create_patient(MARTA)
    trials = [room1.run_trial(marta["id"]) for _ in range(2)]
    push_one = SyncAgent._push_one
    sent = []

    def power_cut_after_the_first(agent, conn, kind, key):
        if sent:  # the hub's machine loses power with the batch half sent
            cluster.stop(kill=True)
        sent.append(key)
        return push_one(agent, conn, kind, key)

    with monkeypatch.context() as patch:
        patch.setattr(SyncAgent, "_push_one", power_cut_after_the_first)
        with pytest.raises(HubError):
            room1.sync()
    cluster.start()
    assert hub.count("shared", "patients") == 0  # the batch's transaction died with the hub
    assert room1.agent.status()["pending"] == 3
    room1.sync()
    assert hub.count("shared", "patients") == 1 and hub.count("recorded", "trials") == 2
    with hub.admin() as conn:
        stored = {uid for (uid,) in conn.execute("SELECT uid FROM recorded")}
    assert stored == set(trials) and room1.agent.status()["pending"] == 0


def test_every_kind_of_record_travels_and_a_calibration_stays_on_its_platform(hub, stations):
    """Programs, home exercises, visits and re-analyses recorded in room 1 are in room 2 after
    a sync, mapped to room 2's own ids; room 1's calibration reaches the hub for the record
    but never room 2, whose platform it would not fit."""
    room1, room2 = stations(2)
    marta = room1.records.create_patient(MARTA)
    steps = [{"drill": "quiet-stance", "params": {"duration_s": 20}}]
    room1.records.create_program(marta["id"], {"name": "Balance block", "steps": steps})
    room1.records.home_programs.prescribe(marta["id"], {"exercise": "heel-raises"})
    room1.records.visits.create(marta["id"], {"visit_date": "2026-12-01", "nmr_minutes": 38})
    trial = room1.run_trial(marta["id"])
    room1.station.results.reanalyse(trial, analysis_options(filter_hz=8, ellipse="confidence"))
    calibration = {"technician": "tech", "tare_counts": [1, 2, 3, 4]}
    room1.station.storage.save_calibration({**calibration, "gain_n_per_count": [0.01] * 4})
    room1.sync()
    room2.sync()

    here = room2.patient_by_code("MH-1")["id"]
    assert here is not None
    programs = room2.records.list_programs(here)
    assert [(p["name"], p["steps"][0]["params"]["duration_s"]) for p in programs] == [
        ("Balance block", 20)
    ]
    exercises = room2.records.home_programs.current(here)
    assert [e["exercise"] for e in exercises] == ["heel-raises"]
    visits = room2.records.visits.for_patient(here)
    assert [(v["visit_date"], v["nmr_minutes"]) for v in visits] == [("2026-12-01", 38)]
    analyses = room2.station.results.list_analyses(trial)
    assert [a["conventions"]["options"]["ellipse"] for a in analyses] == ["confidence"]
    assert room2.station.storage.list_calibrations() == []
    assert hub.count("recorded", "calibrations") == 1
