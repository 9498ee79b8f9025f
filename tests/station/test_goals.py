"""A patient's measurable goals: validated, their baseline from the latest result, and the
progress toward each from the newest one."""

from datetime import date

import pytest

from station.errors import NotFoundError
from station.records.goals import GoalFieldError, Goals, goal_progress, latest_values
from station.storage.database import Storage

TODAY = date(2026, 3, 10)
SPEED = ("quiet-stance", "velocity_mean_cm_s", "eyes open, firm surface")


@pytest.fixture
def goals():
    storage = Storage(":memory:")
    patient = storage.create_patient({"name": "Goal Keeper"})
    yield Goals(storage), patient["id"]
    storage.close()


def chart(values: list[tuple[float, str, bool]]) -> list[dict]:
    """A patient_progress chart of quiet stance's sway speed with these (value, date, good)."""
    points = [{"value": v, "date": d, "good": g} for v, d, g in values]
    return [
        {
            "drill": SPEED[0],
            "metric": SPEED[1],
            "lines": [{"condition": SPEED[2], "points": points}],
        }
    ]


def test_a_goal_takes_the_latest_good_result_as_its_baseline(goals):
    store, patient_id = goals
    latest = latest_values(chart([(1.9, "2026-03-01", True), (5.0, "2026-03-05", False)]), [])
    assert latest[SPEED] == (1.9, "2026-03-01")  # the result that failed its quality gate skipped
    goal = store.create(
        patient_id,
        {
            "drill": SPEED[0],
            "metric": SPEED[1],
            "condition": SPEED[2],
            "target": 1.2,
            "due_date": "2026-05-01",
        },
        latest,
        TODAY,
    )
    assert (goal["baseline"], goal["target"], goal["due_date"]) == (1.9, 1.2, "2026-05-01")
    assert goal["baseline_date"] == "2026-03-01"  # the day of the result it came from
    [shown] = goal_progress(store.for_patient(patient_id), latest, TODAY)
    assert shown["label"] == "Quiet stance: mean sway speed" and shown["better"] == "lower"
    assert (shown["progress_pct"], shown["met"], shown["overdue"]) == (0, False, False)

    later = latest_values(chart([(1.9, "2026-03-01", True), (1.48, "2026-04-02", True)]), [])
    [halfway] = goal_progress(store.for_patient(patient_id), later, TODAY)
    assert halfway["progress_pct"] == 60  # 1.9 -> 1.48 of 1.9 -> 1.2
    assert halfway["words"] == (
        "Quiet stance: mean sway speed (eyes open, firm surface): from 1.9 (2026-03-01) to "
        "1.2 cm/s by 2026-05-01; now 1.48 cm/s (2026-04-02): 60% of the way"
    )
    done = latest_values(chart([(1.1, "2026-04-20", True)]), [])
    [met] = goal_progress(store.for_patient(patient_id), done, date(2026, 6, 1))
    assert met["met"] and not met["overdue"] and met["progress_pct"] == 100
    [late] = goal_progress(store.for_patient(patient_id), later, date(2026, 6, 1))
    assert late["overdue"] and late["words"].endswith("not met by its date")


def test_patient_reported_goals_follow_the_visits(goals):
    store, patient_id = goals
    visits = [
        {"id": 1, "visit_date": "2026-03-02", "pain_before": 7, "psfs_score": 3.3},
        {"id": 2, "visit_date": "2026-03-09", "pain_before": 5, "psfs_score": None},
    ]
    latest = latest_values([], visits)
    assert latest[None, "pain", None] == (5.0, "2026-03-09")
    assert latest[None, "psfs", None] == (3.3, "2026-03-02")
    store.create(
        patient_id, {"metric": "pain", "target": 2, "due_date": "2026-04-01"}, latest, TODAY
    )
    store.create(
        patient_id, {"metric": "psfs", "target": 7, "due_date": "2026-04-02"}, latest, TODAY
    )
    pain, psfs = goal_progress(store.for_patient(patient_id), latest, TODAY)
    assert (pain["label"], pain["baseline"], pain["better"]) == ("Pain on arrival", 5.0, "lower")
    assert pain["words"].startswith("Pain on arrival: from 5 (2026-03-09) to 2/10 by 2026-04-01")
    assert (psfs["baseline"], psfs["better"]) == (3.3, "higher")


def test_a_baseline_the_therapist_enters_has_no_day(goals):
    store, patient_id = goals
    data = {"metric": "pain", "baseline": 6, "target": 3, "due_date": "2026-04-01"}
    goal = store.create(patient_id, data, {(None, "pain", None): (4.0, "2026-03-09")}, TODAY)
    assert (goal["baseline"], goal["baseline_date"]) == (6, None)
    [shown] = goal_progress([goal], {}, TODAY)
    assert shown["words"].startswith("Pain on arrival: from 6 to 3/10 by 2026-04-01")


def test_a_goal_on_a_measure_this_version_does_not_follow_is_still_listed():
    """A goal set on a newer station, brought by the clinic hub, whose measure this version's
    drill does not follow: the list shows it, by its key, instead of failing."""
    stored = {
        "id": 7,
        "drill": "weight-bearing",
        "metric": "some_newer_measure_pct",
        "condition": None,
        "baseline": 60.0,
        "target": 10.0,
        "baseline_date": None,
        "due_date": "2026-04-01",
    }
    [shown] = goal_progress([stored], {}, TODAY)
    assert shown["label"] == "Partial weight bearing: some_newer_measure_pct"
    assert shown["better"] == "lower" and shown["met"] is False and shown["current"] is None
    assert "no result yet" in shown["words"]


@pytest.mark.parametrize(
    "data, field, words",
    [
        ({"metric": "pain", "target": 6, "due_date": "2026-04-01"}, "target", "not better than"),
        ({"metric": "pain", "target": 2, "due_date": "2026-03-09"}, "due_date", "in the past"),
        ({"metric": "pain", "target": 2, "due_date": "soon"}, "due_date", "YYYY-MM-DD"),
        ({"metric": "pain", "due_date": "2026-04-01"}, "target", "a number is required"),
        ({"metric": "pain", "target": "lots", "due_date": "2026-04-01"}, "target", "expected a"),
        ({"metric": "mood", "target": 2, "due_date": "2026-04-01"}, "metric", "no patient-rep"),
        (
            {"drill": "moonwalk", "metric": "x", "target": 2, "due_date": "2026-04-01"},
            "drill",
            "no drill called",
        ),
        (
            {"drill": "quiet-stance", "metric": "x", "target": 2, "due_date": "2026-04-01"},
            "metric",
            "gives no headline measure 'x'",
        ),
        (
            {"metric": "psfs", "target": 8, "due_date": "2026-04-01"},
            "baseline",
            "no result of patient-specific functional scale yet",
        ),
        (
            {"metric": "pain", "target": 2, "due_date": "2026-04-01", "units": 1},
            "units",
            "unknown field",
        ),
    ],
)
def test_what_cannot_be_a_goal_is_named(goals, data, field, words):
    store, patient_id = goals
    latest = {(None, "pain", None): (5.0, "2026-03-09")}
    with pytest.raises(GoalFieldError, match=words) as caught:
        store.create(patient_id, data, latest, TODAY)
    assert caught.value.field == field


def test_a_withdrawn_goal_is_kept_but_no_longer_shown(goals):
    store, patient_id = goals
    goal = store.create(
        patient_id,
        {"metric": "pain", "baseline": 6, "target": 3, "due_date": "2026-04-01"},
        {},
        TODAY,
    )
    assert store.withdraw(goal["id"])["withdrawn_at"]
    assert store.for_patient(patient_id) == [] and store.get(goal["id"])["target"] == 3
    with pytest.raises(NotFoundError):
        store.withdraw(999)
