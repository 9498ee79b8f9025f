"""Programs: validation, saving per patient, running a step, and progression rules."""

import pytest

from station.records.programs import ProgramError, apply_progression, validate_program

PLAN = {
    "name": "Week 1 balance",
    "steps": [
        {"drill": "quiet-stance", "params": {"duration_s": 10}},
        {"drill": "quiet-stance", "params": {"duration_s": 20, "countdown_s": 2}},
    ],
    "rules": [
        {"step": 0, "metric": "velocity_mean_cm_s", "below": 1.5, "add": 5, "param": "duration_s"}
    ],
}


def test_a_valid_program_is_cleaned_with_defaults_and_rule_limits():
    program = validate_program(PLAN)
    assert program["steps"][0] == {
        "drill": "quiet-stance",
        "params": {"duration_s": 10.0, "eyes": "open", "surface": "firm", "countdown_s": 3},
    }
    assert program["rules"][0]["limit"] == 120.0  # the parameter's maximum: it only goes up


@pytest.mark.parametrize(
    "change, field",
    [
        ({"steps": []}, "steps"),
        ({"steps": [{"drill": "yoga"}]}, "steps[0].drill"),
        ({"steps": [{"drill": "quiet-stance", "params": {"duration_s": 999}}]},
         "steps[0].params.duration_s"),
        ({"rules": [{**PLAN["rules"][0], "step": 5}]}, "rules[0].step"),
        ({"rules": [{**PLAN["rules"][0], "param": "colour"}]}, "rules[0].param"),
        ({"rules": [{**PLAN["rules"][0], "above": 1}]}, "rules[0]"),
        ({"name": ""}, "name"),
        # valid alone, refused together, as the drill would refuse them at start
        ({"steps": [{"drill": "reaction",
                     "params": {"interval_min_s": 3, "interval_max_s": 2}}]},
         "steps[0].params.interval_max_s"),
        ({"steps": [{"drill": "weight-shift",
                     "params": {"distance_mm": 40, "target_radius_mm": 40}}]},
         "steps[0].params.target_radius_mm"),
    ],
)  # fmt: skip
def test_invalid_programs_name_the_field(change, field):
    with pytest.raises(ProgramError) as info:
        validate_program({**PLAN, **change})
    assert info.value.field == field


def test_progression_raises_a_parameter_within_its_bound_only_when_the_rule_holds():
    program = validate_program(PLAN)
    good = {"state": "completed", "metrics": {"velocity_mean_cm_s": 0.9}}
    steps, changes = apply_progression(program, 0, good)
    assert steps[0]["params"]["duration_s"] == 15.0
    assert changes == [
        {
            "step": 0,
            "param": "duration_s",
            "from": 10.0,
            "to": 15.0,
            "because": "velocity_mean_cm_s = 0.9 was below 1.5",
        }
    ]
    assert apply_progression(program, 0, {**good, "metrics": {"velocity_mean_cm_s": 2}})[1] == []
    assert apply_progression(program, 0, {**good, "state": "aborted"})[1] == []
    assert apply_progression(program, 1, good)[1] == []  # the rule is for step 0
    program["steps"][0]["params"]["duration_s"] = 118.0
    assert apply_progression(program, 0, good)[0][0]["params"]["duration_s"] == 120.0  # capped


def test_program_through_the_api_runs_a_step_and_progresses(station, panel_client):
    client = panel_client
    patient = client.post("/api/v1/patients", json={"name": "Prog Ress"}).get_json()
    created = client.post(f"/api/v1/patients/{patient['id']}/programs", json=PLAN)
    assert created.status_code == 201
    program = created.get_json()
    bad = client.post(f"/api/v1/patients/{patient['id']}/programs", json={**PLAN, "steps": []})
    assert bad.status_code == 400 and bad.get_json()["error"]["field"] == "steps"
    started = client.post(f"/api/v1/programs/{program['id']}/steps/0/start")
    assert started.status_code == 201
    trial_id = started.get_json()["trial_id"]
    station.run_virtual(max_s=60)
    station.storage.flush()
    trial = station.results.get_trial(trial_id)
    assert trial["state"] == "completed"
    assert (trial["program_id"], trial["program_step"]) == (program["id"], 0)
    after = client.get(f"/api/v1/programs/{program['id']}").get_json()
    assert after["steps"][0]["params"]["duration_s"] == 15.0  # the healthy patient progressed
    assert after["history"][0]["trial_id"] == trial_id
    listed = client.get(f"/api/v1/patients/{patient['id']}/programs").get_json()["programs"]
    assert [p["name"] for p in listed] == ["Week 1 balance"]
    missing = client.post(f"/api/v1/programs/{program['id']}/steps/7/start")
    assert missing.status_code == 400 and missing.get_json()["error"]["field"] == "step"
