"""The suggested plan of care: each finding of an evaluation mapped to the drill that trains
it, with why, as a program the therapist accepts."""

from drills.catalog import drill_class
from station.records.programs import validate_program
from station.results.plan_of_care import suggest_plan

FOAM_EYES_CLOSED_ABOVE = {
    "metric": "velocity_mean_cm_s",
    "condition": "4: eyes closed, foam pad",
    "position": "above",
}
"""The comparison row behind a deficit of sway on foam with eyes closed."""


def step(drill: str, result: dict, deficits=(), rows=()) -> dict:
    """One test of an evaluation report, done."""
    return {
        "drill": drill,
        "trial": {"result": result},
        "deficits": list(deficits),
        "norms": {"rows": list(rows)},
    }


def mctsib(lost=(), rows=(), deficits=(), held_s=None) -> dict:
    conditions = [
        {"condition": n, "passed": n not in lost, "time_held_s": 30.0 if n not in lost else held_s}
        for n in (1, 2, 3, 4)
    ]
    return step("mctsib", {"conditions": conditions}, deficits, rows)


def limits_of_stability(max_excursion_pct: float) -> dict:
    """A limits-of-stability test as the station stores it: the drill's composite ``metrics``
    and the ``summary`` its headline takes from them (``TrialSession.outcome``)."""
    result = {"metrics": {"max_excursion_pct": max_excursion_pct}}
    result["summary"] = drill_class("limits-of-stability").headline_measures(result)
    return step("limits-of-stability", result)


def single_leg(leg: str, best_s: float, deficit: bool) -> dict:
    words = [f"Single-leg stance ({leg} leg, eyes open): best time 20% of the mean"]
    return step("single-leg-stance", {"leg": leg, "best_stance_time_s": best_s}, words * deficit)


def plan_of(*steps) -> dict:
    return suggest_plan({"steps": list(steps)}, "Evaluation 2026-03-02")


def test_foam_with_eyes_closed_lost_suggests_standing_on_foam_with_eyes_closed():
    plan = plan_of(mctsib(lost=(4,)))
    [finding] = plan["findings"]
    assert finding["finding"] == "vestibular"
    assert finding["because"] == ["mCTSIB: condition 4 (foam, eyes closed) not held"]
    assert finding["step"]["drill"] == "quiet-stance"
    params = finding["step"]["params"]
    assert (params["eyes"], params["surface"], params["duration_s"]) == ("closed", "foam", 30.0)
    assert plan["program"]["name"] == "Plan of care from Evaluation 2026-03-02"
    assert "3 hours a week" in plan["dose"]


def test_a_stance_not_held_starts_at_what_the_patient_held():
    """A frail patient who held foam with eyes closed 7 s in the evaluation starts at 5 s, not
    at 30 s they would fail at every visit; 17 s starts at 15 s."""
    for held, start in ((7.3, 5.0), (2.0, 5.0), (17.9, 15.0)):
        [finding] = plan_of(mctsib(lost=(4,), held_s=held))["findings"]
        assert finding["step"]["params"]["duration_s"] == start, held
    # sway above the band, the condition held: the usual 30 s
    deficits = ["mCTSIB (4: eyes closed, foam pad): mean sway speed above the band"]
    [finding] = plan_of(mctsib(rows=[FOAM_EYES_CLOSED_ABOVE], deficits=deficits))["findings"]
    assert finding["step"]["params"]["duration_s"] == 30.0


def test_sway_above_the_band_on_foam_and_ratios_above_theirs_name_each_sense():
    deficits = ["mCTSIB (4: eyes closed, foam pad): mean sway speed above the band"]
    rows = [
        FOAM_EYES_CLOSED_ABOVE,
        {"metric": "romberg_ratio", "position": "above"},
        {"metric": "foam_ratio", "position": "within"},
    ]
    plan = plan_of(mctsib(rows=rows, deficits=deficits))
    assert [f["finding"] for f in plan["findings"]] == ["vestibular", "vision"]
    assert plan["findings"][1]["because"] == ["mCTSIB: Romberg ratio above its band"]
    assert plan["findings"][1]["step"]["params"]["surface"] == "firm"


def test_single_leg_training_is_on_the_weaker_leg():
    plan = plan_of(single_leg("left", 4.0, True), single_leg("right", 25.0, False))
    [finding] = plan["findings"]
    assert finding["step"]["drill"] == "single-leg-stance"
    assert finding["step"]["params"]["leg"] == "left"
    assert finding["because"][0].startswith("Single-leg stance (left leg")


def test_tandem_under_the_cut_off_and_a_short_reach_share_one_progressing_weight_shift():
    tandem = step("steadi-4-stage", {"tandem_time_s": 4.0}, ["STEADI: tandem under 10 s"])
    reach = limits_of_stability(55.0)
    plan = plan_of(tandem, reach)
    [finding] = plan["findings"]
    assert finding["step"]["drill"] == "weight-shift"
    assert finding["because"] == [
        "STEADI: tandem under 10 s",
        "Limits of stability: maximum excursion 55% of the theoretical limit (under 70%)",
    ]
    [rule] = plan["program"]["rules"]
    assert rule == {
        "step": 0,
        "metric": "hit_rate_pct",
        "above": 80,
        "param": "distance_mm",
        "add": 10,
    }
    # the suggestion is a valid program: accepting it cannot fail on the checks
    saved = validate_program(plan["program"])
    assert saved["rules"][0]["limit"] > 40 and saved["steps"][0]["params"]["distance_mm"] == 40


def test_nothing_found_suggests_nothing_and_tests_not_done_are_not_findings():
    fine = plan_of(mctsib(), limits_of_stability(92.0))
    assert fine["findings"] == [] and fine["program"] is None
    not_done = {"drill": "mctsib", "trial": None, "deficits": [], "norms": None}
    assert plan_of(not_done)["program"] is None


def test_a_large_difference_between_the_legs_trains_the_weaker_one():
    words = "Single-leg stance, eyes open: the right leg holds 50% less than the other"
    report = {
        "steps": [single_leg("left", 30.0, False), single_leg("right", 15.0, False)],
        "deficits": [words],
        "single_leg_asymmetry": {"words": words, "pct": 50.0},
    }
    [finding] = suggest_plan(report, "Evaluation")["findings"]
    assert finding["because"] == [words] and finding["step"]["params"]["leg"] == "right"
