"""The home exercise program: the library, prescriptions with their dose and level (a bad
field named), a new dose keeping the old one in the record, the one-page limit, and adherence
recorded per visit."""

import xml.etree.ElementTree as ElementTree
from datetime import date
from pathlib import Path

import pytest

from station.errors import NotFoundError
from station.records.exercise_library import EXERCISES, UNITS
from station.records.home_program import (
    MAX_EXERCISES,
    HomeProgramError,
    HomePrograms,
    adherence,
    validate_prescription,
)
from station.records.visits import VisitFieldError, Visits

DRAWINGS = Path(__file__).parents[2] / "webpanel" / "static" / "exercises"
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def patient(storage):
    return storage.create_patient({"name": "Rosa", "code": "R1"})


@pytest.fixture
def hep(storage):
    return HomePrograms(storage)


def test_the_library_has_about_twenty_exercises_each_complete():
    assert 18 <= len(EXERCISES) <= 24
    for key, ex in EXERCISES.items():
        assert ex.unit in UNITS, key
        sets, amount, per_day, per_week = ex.dose
        _, low, high = UNITS[ex.unit]
        assert low <= amount <= high and 1 <= sets <= 5 and 1 <= per_day <= 3, key
        assert 1 <= per_week <= 7, key
        assert len(ex.levels) >= 2, f"{key}: nothing to progress to"
        assert ex.how.endswith(".") and ex.safety.endswith("."), key
        # a handout line an older patient reads: short sentences
        assert len(ex.how) <= 160, f"{key}: {len(ex.how)} characters"


def test_every_exercise_has_its_own_drawing_and_no_drawing_is_left_over():
    files = {p.stem for p in DRAWINGS.glob("*.svg")}
    assert files == set(EXERCISES)
    for key in EXERCISES:
        root = ElementTree.parse(DRAWINGS / f"{key}.svg").getroot()
        assert root.tag == f"{SVG}svg", key
        title = root.find(f"{SVG}title")
        assert title is not None and title.text.strip(), f"{key}: no title for screen readers"
        # drawn for every language: no words, and nothing fetched from elsewhere
        assert root.find(f".//{SVG}text") is None, key
        assert "href" not in (DRAWINGS / f"{key}.svg").read_text(), key


def test_an_empty_field_takes_the_usual_dose_at_level_one():
    cleaned = validate_prescription({"exercise": "tandem-stance", "sets": "", "amount": ""})
    sets, amount, per_day, per_week = EXERCISES["tandem-stance"].dose
    assert cleaned == {
        "exercise": "tandem-stance",
        "level": 1,
        "sets": sets,
        "amount": amount,
        "times_per_day": per_day,
        "days_per_week": per_week,
        "note": None,
    }


@pytest.mark.parametrize(
    "data, field, words",
    [
        ({"exercise": "juggling"}, "exercise", "no home exercise called 'juggling'"),
        ({"exercise": "tandem-stance", "amount": 200}, "amount", "outside 5-120 (seconds)"),
        ({"exercise": "heel-raises", "amount": 0}, "amount", "outside 1-30 (times)"),
        ({"exercise": "heel-raises", "sets": 9}, "sets", "outside 1-5"),
        ({"exercise": "heel-raises", "days_per_week": 8}, "days_per_week", "outside 1-7"),
        ({"exercise": "heel-raises", "times_per_day": "2.5"}, "times_per_day", "whole number"),
        ({"exercise": "heel-raises", "level": 9}, "level", "levels 1 to 4, not 9"),
        ({"exercise": "heel-raises", "sets": True}, "sets", "true/false"),
        ({"exercise": "heel-raises", "note": "x" * 121}, "note", "at most 120"),
        ({"exercise": "heel-raises", "reps": 3}, "reps", "unknown field"),
    ],
)
def test_a_bad_field_is_named(data, field, words):
    with pytest.raises(HomeProgramError) as err:
        validate_prescription(data)
    assert err.value.field == field
    assert words in str(err.value)


def test_the_dose_reads_as_the_patient_does_it(hep, patient):
    item = hep.prescribe(
        patient["id"],
        {"exercise": "single-leg-stance", "level": 2, "amount": 15, "times_per_day": 2},
        today=date(2026, 3, 2),
    )
    assert item["dose_words"] == "hold 15 seconds; twice a day, 3 days a week"
    assert item["level_words"] == "Hold on with one hand"
    assert item["drawing"] == "exercises/single-leg-stance.svg"
    raises = hep.prescribe(patient["id"], {"exercise": "heel-raises", "sets": 2})
    assert raises["dose_words"] == "2 rounds of 10 times; once a day, 3 days a week"


def test_a_new_dose_replaces_the_old_one_which_stays_in_the_record(hep, patient, storage):
    first = hep.prescribe(patient["id"], {"exercise": "tandem-stance", "amount": 10})
    second = hep.prescribe(patient["id"], {"exercise": "tandem-stance", "amount": 20, "level": 2})
    current = hep.current(patient["id"])
    assert [(e["exercise"], e["amount"], e["level"]) for e in current] == [("tandem-stance", 20, 2)]
    assert hep.get(first["id"])["stopped_at"] is not None
    assert hep.get(second["id"])["stopped_at"] is None


def test_a_program_holds_what_one_page_holds_and_a_stopped_exercise_frees_a_place(hep, patient):
    keys = list(EXERCISES)[: MAX_EXERCISES + 1]
    items = [hep.prescribe(patient["id"], {"exercise": k}) for k in keys[:MAX_EXERCISES]]
    with pytest.raises(HomeProgramError, match=f"already has {MAX_EXERCISES} exercises"):
        hep.prescribe(patient["id"], {"exercise": keys[-1]})
    # re-dosing one already in the program is no new place
    hep.prescribe(patient["id"], {"exercise": keys[0], "sets": 2})
    hep.stop(items[1]["id"])
    hep.prescribe(patient["id"], {"exercise": keys[-1]})
    assert [e["exercise"] for e in hep.current(patient["id"])] == [
        *keys[2:MAX_EXERCISES],
        keys[0],
        keys[-1],
    ]


def test_unknown_patient_and_prescription_are_not_found(hep):
    with pytest.raises(NotFoundError):
        hep.prescribe(999, {"exercise": "heel-raises"})
    with pytest.raises(NotFoundError):
        hep.stop(999)


def test_adherence_is_the_share_of_days_since_the_previous_visit(hep, patient, storage):
    visits = Visits(storage)
    pid = patient["id"]
    hep.prescribe(pid, {"exercise": "heel-raises"}, today=date(2026, 3, 2))
    visits.create(pid, {"visit_date": "2026-03-02"}, today=date(2026, 3, 20))
    visits.create(pid, {"visit_date": "2026-03-09", "hep_days": 7}, today=date(2026, 3, 20))
    visits.create(pid, {"visit_date": "2026-03-13", "hep_days": 1}, today=date(2026, 3, 20))
    rows = adherence(visits.for_patient(pid), hep.began_on(pid))
    assert [(r["visit_date"], r["days_done"], r["days"], r["percent"]) for r in rows] == [
        ("2026-03-09", 7, 7, 100),
        ("2026-03-13", 1, 4, 25),
    ]


def test_days_done_cannot_exceed_the_days_since_the_previous_visit(hep, patient, storage):
    visits = Visits(storage)
    pid = patient["id"]
    hep.prescribe(pid, {"exercise": "heel-raises"}, today=date(2026, 3, 2))
    visits.create(pid, {"visit_date": "2026-03-05"}, today=date(2026, 3, 20))
    with pytest.raises(VisitFieldError) as err:
        visits.create(pid, {"visit_date": "2026-03-09", "hep_days": 5}, today=date(2026, 3, 20))
    assert err.value.field == "hep_days"
    assert "previous visit (2026-03-05) was 4 days before" in str(err.value)


def test_days_done_need_a_program_given_before_the_visit(hep, patient, storage):
    visits = Visits(storage)
    with pytest.raises(VisitFieldError, match="no home exercise program was given"):
        visits.create(
            patient["id"], {"visit_date": "2026-03-09", "hep_days": 2}, today=date(2026, 3, 9)
        )
    hep.prescribe(patient["id"], {"exercise": "heel-raises"}, today=date(2026, 3, 9))
    with pytest.raises(VisitFieldError, match="no home exercise program was given"):
        visits.create(
            patient["id"], {"visit_date": "2026-03-09", "hep_days": 2}, today=date(2026, 3, 9)
        )


def test_no_program_no_adherence():
    assert adherence([{"id": 1, "visit_date": "2026-03-02", "hep_days": None}], None) == []
