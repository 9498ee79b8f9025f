"""Visits over the v4 ``visits`` table: validation naming the field, one visit per patient and
day, and which trials belong to a visit (pinned when saved, else by the local day)."""

import time
from datetime import UTC, date, datetime, timedelta

import pytest

from station.errors import NotFoundError
from station.records.pain import pain_change, pain_course
from station.records.visits import VisitFieldError, Visits, day_bounds_utc, validate_visit

TODAY = date(2026, 3, 10)


@pytest.fixture
def patient(storage):
    return storage.create_patient({"name": "Ann", "code": "A1"})


@pytest.fixture
def utc_minus_5(monkeypatch):
    """The station's local time zone is UTC-5 (a clinic in New York in winter)."""
    monkeypatch.setenv("TZ", "EST5")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def add_trial(storage, patient_id, local: datetime, duration_s=60.0, trial_id=None):
    """A stored trial that started at the local time ``local``."""
    row = {
        "id": trial_id or f"t{local:%d%H%M%S}",
        "patient_id": patient_id,
        "drill": "quiet-stance",
        "state": "completed",
        "started_at": local.astimezone(UTC).isoformat(timespec="seconds"),
        "duration_s": duration_s,
        "result": None,
    }
    storage.submit(lambda db: db["trials"].insert(row)).result()
    return row["id"]


def trial_visit(storage, trial_id):
    return storage.query("SELECT visit_id FROM trials WHERE id = ?", [trial_id])[0]["visit_id"]


@pytest.mark.parametrize(
    "data, field, words",
    [
        ({}, "visit_date", "required"),
        ({"visit_date": "10/03/2026"}, "visit_date", "YYYY-MM-DD"),
        ({"visit_date": "2026-03-11"}, "visit_date", "in the future"),
        ({"visit_date": "2026-03-10", "nmr_minutes": "abc"}, "nmr_minutes", "whole minutes"),
        ({"visit_date": "2026-03-10", "nmr_minutes": "12.5"}, "nmr_minutes", "whole minutes"),
        ({"visit_date": "2026-03-10", "nmr_minutes": -1}, "nmr_minutes", "between 0 and 480"),
        ({"visit_date": "2026-03-10", "nmr_minutes": 481}, "nmr_minutes", "between 0 and 480"),
        ({"visit_date": "2026-03-10", "nmr_minutes": True}, "nmr_minutes", "true/false"),
        ({"visit_date": "2026-03-10", "therapist": "x" * 101}, "therapist", "at most 100"),
        ({"visit_date": "2026-03-10", "note": "x" * 501}, "note", "at most 500"),
        ({"visit_date": "2026-03-10", "units": 2}, "units", "unknown field"),
        ({"visit_date": 20260310}, "visit_date", "must be text"),
        ({"visit_date": "2026-03-10", "pain_before": 11}, "pain_before", "from 0 .none. to 10"),
        ({"visit_date": "2026-03-10", "pain_after": -1}, "pain_after", "from 0 .none. to 10"),
        ({"visit_date": "2026-03-10", "pain_after": "6.5"}, "pain_after", "whole number from 0"),
        ({"visit_date": "2026-03-10", "pain_before": True}, "pain_before", "true/false"),
        ({"visit_date": "2026-03-10", "plan": "x" * 1001}, "plan", "at most 1000 characters"),
        ({"visit_date": "2026-03-10", "subjective": 3}, "subjective", "must be text"),
    ],
)
def test_invalid_fields_are_named(data, field, words):
    with pytest.raises(VisitFieldError, match=words) as caught:
        validate_visit(data, TODAY)
    assert caught.value.field == field
    assert str(caught.value).startswith(f"{field}: ")


def test_fields_are_cleaned():
    clean = validate_visit(
        {
            "visit_date": "2026-03-10",
            "therapist": "  Kim   Lee ",
            "nmr_minutes": "23",
            "pain_before": "6",
            "note": "",
        },
        TODAY,
    )
    assert clean == {
        "visit_date": "2026-03-10",
        "therapist": "Kim Lee",
        "nmr_minutes": 23,
        "pain_before": 6,
        "pain_after": None,
        "psfs": None,
        "hep_days": None,
        "subjective": None,
        "assessment": None,
        "plan": None,
        "note": None,
    }
    assert (
        validate_visit({"visit_date": "2026-03-09", "nmr_minutes": ""}, TODAY)["nmr_minutes"]
        is None
    )
    assert (
        validate_visit({"visit_date": "2026-03-09", "nmr_minutes": 38.0}, TODAY)["nmr_minutes"]
        == 38
    )


def test_create_update_and_list_with_units(storage, patient):
    visits = Visits(storage)
    first = visits.create(patient["id"], {"visit_date": "2026-03-02", "therapist": "kim"}, TODAY)
    assert first["billing"] is None and first["nmr_minutes"] is None
    second = visits.create(patient["id"], {"visit_date": "2026-03-09", "nmr_minutes": 23}, TODAY)
    assert second["billing"]["units"] == 2
    updated = visits.update(
        first["id"], {"visit_date": "2026-03-02", "therapist": "kim", "nmr_minutes": "38"}, TODAY
    )
    assert updated["nmr_minutes"] == 38 and updated["billing"]["units"] == 3
    assert updated["updated_at"] >= updated["created_at"]
    assert [v["visit_date"] for v in visits.for_patient(patient["id"])] == [
        "2026-03-09",
        "2026-03-02",
    ]
    with pytest.raises(VisitFieldError) as caught:
        visits.update(first["id"], {"visit_date": "2026-03-02", "nmr_minutes": "lots"}, TODAY)
    assert caught.value.field == "nmr_minutes"
    assert visits.get(first["id"])["nmr_minutes"] == 38  # a refused update changes nothing


def test_one_visit_per_patient_and_day(storage, patient):
    visits = Visits(storage)
    visits.create(patient["id"], {"visit_date": "2026-03-09"}, TODAY)
    other = visits.create(patient["id"], {"visit_date": "2026-03-08"}, TODAY)
    with pytest.raises(VisitFieldError, match="already has a visit on 2026-03-09") as caught:
        visits.create(patient["id"], {"visit_date": "2026-03-09"}, TODAY)
    assert caught.value.field == "visit_date"
    with pytest.raises(VisitFieldError, match="already has a visit"):
        visits.update(other["id"], {"visit_date": "2026-03-09"}, TODAY)
    someone_else = storage.create_patient({"name": "Bo"})
    assert visits.create(someone_else["id"], {"visit_date": "2026-03-09"}, TODAY)["id"]


def test_unknown_patient_and_visit_are_not_found(storage):
    visits = Visits(storage)
    with pytest.raises(NotFoundError, match="no patient with id 42"):
        visits.create(42, {"visit_date": "2026-03-09"}, TODAY)
    with pytest.raises(NotFoundError, match="no visit with id 7"):
        visits.get(7)
    with pytest.raises(NotFoundError, match="no visit with id 7"):
        visits.trials(7)


def test_a_visit_pins_its_days_trials_and_shows_later_ones(storage, patient):
    visits = Visits(storage)
    day = datetime(2026, 3, 9, 9, 0).astimezone()
    before = add_trial(storage, patient["id"], day, duration_s=90.0)
    yesterday = add_trial(storage, patient["id"], day - timedelta(days=1))
    visit = visits.create(patient["id"], {"visit_date": "2026-03-09"}, TODAY)
    assert trial_visit(storage, before) == visit["id"]
    assert trial_visit(storage, yesterday) is None
    later = add_trial(storage, patient["id"], day + timedelta(hours=2), duration_s=150.0)
    assert [t["id"] for t in visits.trials(visit["id"])] == [before, later]
    assert trial_visit(storage, later) is None  # shown by its day until the visit is saved
    assert visits.suggestion(visit["id"]) == {
        "minutes": 8,
        "on_station_min": 4.0,
        "setup_min": 4.0,
        "trials": 2,
        "warning": None,  # no minutes logged yet
    }
    visits.update(visit["id"], {"visit_date": "2026-03-09", "nmr_minutes": 8}, TODAY)
    assert trial_visit(storage, later) == visit["id"]
    assert visits.suggestion(visit["id"])["warning"] is None  # 8 min: the unit it supports
    assert "bill 2 units" in visits.suggestion(visit["id"], 23)["warning"]


def test_moving_a_visit_to_another_day_takes_that_days_trials(storage, patient):
    visits = Visits(storage)
    day = datetime(2026, 3, 9, 9, 0).astimezone()
    monday = add_trial(storage, patient["id"], day - timedelta(days=1))
    tuesday = add_trial(storage, patient["id"], day)
    visit = visits.create(patient["id"], {"visit_date": "2026-03-09"}, TODAY)
    visits.update(visit["id"], {"visit_date": "2026-03-08"}, TODAY)
    assert trial_visit(storage, tuesday) is None
    assert [t["id"] for t in visits.trials(visit["id"])] == [monday]


def test_pinned_trials_stay_with_their_visit(storage, patient):
    visits = Visits(storage)
    day = datetime(2026, 3, 9, 9, 0).astimezone()
    first = visits.create(patient["id"], {"visit_date": "2026-03-08"}, TODAY)
    trial = add_trial(storage, patient["id"], day)
    storage.submit(
        lambda db: db.execute("UPDATE trials SET visit_id = ? WHERE id = ?", [first["id"], trial])
    ).result()
    second = visits.create(patient["id"], {"visit_date": "2026-03-09"}, TODAY)
    assert visits.trials(second["id"]) == []
    assert [t["id"] for t in visits.trials(first["id"])] == [trial]


def test_the_visit_day_is_the_clinics_local_day(storage, patient, utc_minus_5):
    visits = Visits(storage)
    assert day_bounds_utc("2026-03-09") == (
        "2026-03-09T05:00:00+00:00",
        "2026-03-10T05:00:00+00:00",
    )
    late = add_trial(storage, patient["id"], datetime(2026, 3, 9, 23, 30).astimezone())
    early = add_trial(storage, patient["id"], datetime(2026, 3, 9, 0, 15).astimezone())
    stored = storage.query("SELECT started_at FROM trials WHERE id = ?", [late])[0]
    assert stored["started_at"] == "2026-03-10T04:30:00+00:00"  # already the next day in UTC
    visit = visits.create(patient["id"], {"visit_date": "2026-03-09"}, TODAY)
    assert [t["id"] for t in visits.trials(visit["id"])] == [early, late]


def test_pain_during_a_visit_and_across_visits_is_judged_against_two_points(storage, patient):
    """Issue 17: pain (0-10) at the start and end of each visit; a change of 2 points or more
    is clinically important (Farrar 2001, Childs 2005), a smaller one is not called so."""
    visits = Visits(storage)
    first = visits.create(
        patient["id"], {"visit_date": "2026-03-02", "pain_before": 7, "pain_after": 5}, TODAY
    )
    assert first["pain"] == {
        "before": 7,
        "after": 5,
        "change": -2,
        "percent": -29,
        "important": True,
        "words": "pain 7/10 to 5/10 during the visit: 2 points less, 29%, "
        "a clinically important change (2 points or more)",
    }
    second = visits.create(
        patient["id"], {"visit_date": "2026-03-05", "pain_before": 6, "pain_after": 7}, TODAY
    )
    assert second["pain"]["change"] == 1 and not second["pain"]["important"]
    assert (
        "1 point more, 17%, within what the scale's measurement error allows"
        in (second["pain"]["words"])
    )
    only_start = visits.create(patient["id"], {"visit_date": "2026-03-09", "pain_before": 3}, TODAY)
    assert only_start["pain"] is None  # no change until both are rated
    visits.create(patient["id"], {"visit_date": "2026-03-10"}, TODAY)  # not asked: not listed

    course = pain_course(visits.for_patient(patient["id"]))
    assert [(r["visit_date"], r["before"], r["after"]) for r in course["rows"]] == [
        ("2026-03-02", 7, 5),
        ("2026-03-05", 6, 7),
        ("2026-03-09", 3, None),
    ]
    assert course["change"]["words"] == (
        "pain 7/10 to 3/10 on arrival from 2026-03-02 to 2026-03-09: 4 points less, 57%, "
        "a clinically important change (2 points or more)"
    )
    assert pain_change(0, 0)["words"] == "pain unchanged during the visit (0/10)"
    assert pain_change(0, 2)["percent"] is None and pain_change(0, 2)["important"]
