"""Surfaces: the training drills that make sense on them take the platform, the foam pad or the
balance disc; the patient is told to set it up at the countdown and to come off it at the end
(or at STOP), the result keeps it, and trends keep the surfaces apart."""

from drills.catalog import DRILLS
from drills.cues import Instruct
from drills.rhythmic import RhythmicWeightShift
from drills.weight_shift import WeightShift
from station.results.measures import scored_parts
from station.results.progress import patient_progress
from tests.drills.scripted import make_drill, run
from tests.drills.test_weight_shift import Patient

ON_SURFACES = {"quiet-stance", "weight-shift", "rhythmic-weight-shift", "postural-hold", "reaction"}
"""The standing training drills a foam pad or a disc makes harder without changing the task.
Not: the standard tests (their surfaces are part of the protocol), weight bearing (a prescribed
load on an operated leg) and the wobble board (a surface itself)."""


def said(log) -> list[str]:
    return [c.code for _, c in log if isinstance(c, Instruct)]


def test_the_training_drills_offer_the_three_surfaces():
    offering = {
        name for name, cls in DRILLS.items() if any(p.name == "surface" for p in cls.params)
    }
    assert offering == ON_SURFACES
    for name in ON_SURFACES:
        [spec] = [p for p in DRILLS[name].params if p.name == "surface"]
        assert spec.choices == ("firm", "foam", "disc") and spec.default == "firm"


def test_on_the_disc_the_patient_is_told_to_set_it_up_and_to_come_off_it_at_the_end():
    drill = make_drill(WeightShift, {"targets": 2, "surface": "disc"}, seed=1)
    log = run(drill, Patient(), 60.0)
    assert drill.result()["state"] == "completed"
    assert said(log) == ["disc-surface", "find-targets", "firm-surface"]
    assert drill.result()["surface"] == "disc"


def test_stop_on_the_foam_pad_brings_the_patient_off_it_once():
    drill = make_drill(WeightShift, {"targets": 8, "surface": "foam"}, seed=1)
    log = run(drill, Patient(), 8.0)
    assert said(log) == ["foam-surface", "find-targets"]
    cues = drill.stop(drill.last_t_s, "stopped by the therapist", tone="stop")
    assert [c.code for c in cues if isinstance(c, Instruct)] == ["firm-surface"]
    assert drill.stop(drill.last_t_s, "again") == []
    assert drill.result()["surface"] == "foam"


def test_on_the_platform_nothing_more_is_said_and_the_condition_is_as_before():
    drill = make_drill(WeightShift, {"targets": 2}, seed=1)
    log = run(drill, Patient(), 60.0)
    assert said(log) == ["find-targets"]
    assert drill.result()["surface"] == "firm"
    # results from before surfaces were a setting read as the platform: their trends go on
    assert WeightShift.condition_words({"surface": "firm"}) == ""
    assert WeightShift.condition_words({}) == ""


def test_the_condition_names_the_surface():
    assert WeightShift.condition_words({"surface": "disc"}) == "on the balance disc"
    rhythmic = {"axis": "side-to-side", "pace_per_min": 20, "surface": "foam"}
    assert RhythmicWeightShift.condition_words(rhythmic) == (
        "side to side, 20 shifts a minute, on the foam pad"
    )


def test_trends_keep_the_surfaces_apart():
    trials = []
    for k, surface in enumerate(("firm", "disc", "firm", "disc")):
        drill = make_drill(WeightShift, {"targets": 2, "surface": surface}, seed=k)
        run(drill, Patient(), 60.0)
        trials.append(
            {
                "id": f"t{k}",
                "drill": "weight-shift",
                "started_at": f"2026-03-0{k + 1}T10:00:00+00:00",
                "result": drill.result(),
                "events": drill.events,
            }
        )
    assert [p["condition"] for t in trials for p in scored_parts(t)] == [
        "",
        "on the balance disc",
    ] * 2
    for chart in patient_progress(trials):
        lines = {line["condition"]: len(line["points"]) for line in chart["lines"]}
        assert lines == {"": 2, "on the balance disc": 2}, chart["metric"]
