"""An evaluation: the default battery as a program of its own kind, and its report (each test
against its published values, the deficits, the fall-risk screens, the previous evaluation)."""

import pytest

from station.records.programs import DEFAULT_EVALUATION, ProgramError, validate_program
from station.records.service import Records
from station.results.evaluation import evaluation_report

OLDER = {"id": 1, "birth_date": "1950-02-03", "sex": "female"}  # 76 in 2026


def evaluation(program_id: int = 7) -> dict:
    steps = validate_program(
        {"name": "Evaluation", "kind": "evaluation", "steps": list(DEFAULT_EVALUATION)}
    )["steps"]
    return {"id": program_id, "name": f"Evaluation {program_id}", "steps": steps}


def trial(step: int, drill: str, result: dict, day: str = "2026-03-02", state="completed"):
    return {
        "id": f"{drill}-{step}-{day}",
        "drill": drill,
        "state": state,
        "started_at": f"{day}T10:00:00+00:00",
        "program_step": step,
        "result": result,
    }


def single_leg(step: int, leg: str, best_s: float, day: str = "2026-03-02") -> dict:
    result = {"leg": leg, "eyes": "open", "best_stance_time_s": best_s}
    return trial(step, "single-leg-stance", result, day)


def steadi(tandem_s: float, day: str = "2026-03-02") -> dict:
    stages = [{"stance": s} for s in ("feet-together", "semi-tandem", "tandem")]
    result = {"tandem_time_s": tandem_s, "stages": stages, "highest_stage_held": 2}
    return trial(4, "steadi-4-stage", result, day)


def test_an_evaluation_is_a_program_without_progression_rules():
    clean = validate_program({"name": "E", "kind": "evaluation", "steps": [{"drill": "bess"}]})
    assert clean["kind"] == "evaluation" and clean["rules"] == []
    assert validate_program({"name": "P", "steps": [{"drill": "bess"}]})["kind"] == "program"
    rule = {"step": 0, "metric": "x", "param": "trial_s", "above": 1, "add": 1}
    with pytest.raises(ProgramError, match="no progression rules"):
        validate_program(
            {"name": "E", "kind": "evaluation", "steps": [{"drill": "bess"}], "rules": [rule]}
        )
    with pytest.raises(ProgramError, match="kind: one of program, evaluation"):
        validate_program({"name": "E", "kind": "exam", "steps": [{"drill": "bess"}]})
    assert [s["drill"] for s in evaluation()["steps"]] == [
        "mctsib",
        "limits-of-stability",
        "single-leg-stance",
        "single-leg-stance",
        "steadi-4-stage",
    ]


def test_a_re_evaluation_repeats_the_battery_as_the_therapist_last_set_it(storage):
    """A first evaluation is the default battery; the next one repeats the patient's latest,
    tests and settings as edited, so the reports compare like with like. Another patient's
    evaluations do not count."""
    records = Records(storage)
    patient = records.create_patient({"name": "Re Evaluated"})["id"]
    other = records.create_patient({"name": "Someone Else"})["id"]
    first = records.create_evaluation(patient, "2026-03-02")
    assert [s["drill"] for s in first["steps"]] == [s["drill"] for s in DEFAULT_EVALUATION]
    shorter = [
        {"drill": "mctsib", "params": {"trial_s": 10.0}},
        {"drill": "steadi-4-stage", "params": {}},
    ]
    records.update_program(first["id"], {"name": first["name"], "steps": shorter})

    again = records.create_evaluation(patient, "2026-04-13")
    assert again["name"] == "Evaluation 2026-04-13" and again["kind"] == "evaluation"
    assert [s["drill"] for s in again["steps"]] == ["mctsib", "steadi-4-stage"]
    assert again["steps"][0]["params"]["trial_s"] == 10.0
    assert again["steps"] == records.get_program(first["id"])["steps"]
    elsewhere = records.create_evaluation(other, "2026-04-13")
    assert len(elsewhere["steps"]) == len(DEFAULT_EVALUATION)


def test_the_report_reads_each_test_against_its_norms_and_lists_the_deficits():
    trials = [
        single_leg(2, "left", 30.0, "2026-03-01"),
        single_leg(2, "left", 8.0),  # the latest counts: under the 70-79 mean of 21.5 s
        single_leg(3, "right", 25.0),  # above it
        steadi(6.2),
    ]
    report = evaluation_report(evaluation(), trials, OLDER)
    assert (report["done"], report["total"]) == (3, 5)
    left, right, steadi_step = report["steps"][2], report["steps"][3], report["steps"][4]
    assert left["condition"] == "left leg, eyes open" and left["trial"]["id"].endswith("03-02")
    assert right["deficits"] == []
    assert len(left["deficits"]) == 1 and "single-leg" in left["deficits"][0].lower()
    assert "37% of the mean best time" in left["deficits"][0]
    assert steadi_step["deficits"] and "increased risk of falling" in steadi_step["deficits"][0]
    asymmetry = report["single_leg_asymmetry"]["words"]  # 8 s against 25 s: a finding too
    assert report["deficits"] == left["deficits"] + steadi_step["deficits"] + [asymmetry]
    assert report["steps"][0]["trial"] is None and report["steps"][0]["norms"] is None
    screens = {s["test"]: s for s in report["screens"]}
    assert screens["STEADI 4-stage: tandem stance"]["at_risk"] is True
    assert screens["Single-leg stance, eyes open (better leg)"]["at_risk"] is False
    assert any("CDC" in s for s in report["sources"]) and len(set(report["sources"])) == len(
        report["sources"]
    )


def test_aborted_tests_and_trials_of_a_step_since_edited_are_not_read():
    trials = [trial(4, "steadi-4-stage", {"tandem_time_s": 2.0}, state="aborted")]
    report = evaluation_report(evaluation(), trials, OLDER)
    assert report["done"] == 0 and report["deficits"] == []
    # step 4 was a BESS before the therapist made it the STEADI test; step 9 is gone
    edited = [trial(4, "bess", {"total_errors": 30}), trial(9, "steadi-4-stage", {})]
    report = evaluation_report(evaluation(), edited, OLDER)
    assert report["done"] == 0 and report["steps"][4]["trial"] is None


def test_a_re_evaluation_shows_the_previous_results_of_the_same_tests_beside_it():
    first = evaluation(3)
    before = [single_leg(2, "left", 8.0, "2026-01-10"), steadi(6.2, "2026-01-10")]
    now = [single_leg(2, "left", 19.0), single_leg(3, "right", 22.0), steadi(10.0)]
    report = evaluation_report(evaluation(9), now, OLDER, (first, before))
    left, right, steadi_step = report["steps"][2], report["steps"][3], report["steps"][4]
    assert left["before"]["trial"]["started_at"].startswith("2026-01-10")
    [part] = left["before"]["headline"]
    assert part["values"][0]["value"] == 8.0
    assert right["before"] is None  # not done the first time
    assert steadi_step["before"]["trial"]["result"]["tandem_time_s"] == 6.2
    assert steadi_step["deficits"] == []  # tandem held now


def test_the_legs_are_compared_and_a_large_difference_is_a_finding():
    trials = [single_leg(2, "left", 8.0), single_leg(3, "right", 25.0)]
    report = evaluation_report(evaluation(), trials, OLDER)
    asymmetry = report["single_leg_asymmetry"]
    assert (asymmetry["left_s"], asymmetry["right_s"], asymmetry["pct"]) == (8.0, 25.0, 68.0)
    assert asymmetry["words"] in report["deficits"]
    assert "the left leg holds 68% less" in asymmetry["words"]
    close = [single_leg(2, "left", 22.0), single_leg(3, "right", 25.0)]
    report = evaluation_report(evaluation(), close, OLDER)
    assert report["single_leg_asymmetry"]["pct"] == 12.0
    assert not any("less than the other" in d for d in report["deficits"])
    one_leg = evaluation_report(evaluation(), close[:1], OLDER)
    assert one_leg["single_leg_asymmetry"] is None
