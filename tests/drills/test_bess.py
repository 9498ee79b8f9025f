"""bess as a pure state machine, fed by a scripted patient who takes each stance it is told,
loses it when the test says and gets back into it."""

import math

import pytest

from drills.bess import CONDITIONS, MAX_ERRORS, Bess
from drills.cues import Instruct, Status, Tone
from drills.engine import Phase
from tests.drills.scripted import RATE, ScriptedPatient, frame, make_drill, run

LOAD_N = 700.0
STEP_MM = 5.0  # the patient's COP moves 5 mm a tick (500 mm/s)
STANCES = ("feet-together", "tandem", "stand-on-left", "stand-on-right")


def make(**params):
    return make_drill(Bess, {"rest_s": 3, **params})


class Patient(ScriptedPatient):
    """On the platform from 1 s, feet on the markings (COP in the middle). Told a stance, it
    takes it 1 s later: on one leg the COP moves over that foot (90 mm out), else it stays in
    the middle. In condition i it loses the stance ``losses[i]`` ticks after the start tone
    (one entry per loss) and gets back into it ``back_after`` ticks later (None: never): a step
    out (the COP 100 mm to the right) or, on one leg, a touch-down (back to the middle)."""

    def __init__(self, losses=None, back_after=150, off_at_s=math.inf):
        super().__init__(off_at_s=off_at_s)
        self.losses = losses or {}
        self.back_after = back_after
        self.condition = -1
        self.told_at = self.started_at = None  # tick counts
        self.ml, self.goal, self.target = 0.0, 0.0, 0.0
        self.said: list[str] = []

    def see(self, cues, t):
        super().see(cues, t)
        for cue in cues:
            if isinstance(cue, Instruct):
                self.said.append(cue.code)
            if isinstance(cue, Instruct) and cue.code in STANCES:
                self.condition += 1
                self.told_at, self.started_at = self.tick, None
                self.target = {"stand-on-left": -90.0, "stand-on-right": 90.0}.get(cue.code, 0.0)
            elif cue == Tone("start"):
                self.started_at = self.tick
            elif cue == Instruct("both-feet"):
                self.told_at, self.goal = None, 0.0

    def out_of_position(self) -> bool:
        if self.started_at is None:
            return False
        since = self.tick - self.started_at
        for lost in self.losses.get(self.condition, ()):
            back = math.inf if self.back_after is None else lost + self.back_after
            if lost < since <= back:
                return True
        return False

    def stand(self, t):
        if self.told_at is not None and self.tick - self.told_at > RATE:
            self.goal = self.target
            if self.out_of_position():
                self.goal = 0.0 if self.target else 100.0
        self.ml += max(-STEP_MM, min(STEP_MM, self.goal - self.ml))
        return frame(t, LOAD_N, self.ml)


def errors(drill):
    return [c["errors"] for c in drill.result()["conditions"]]


def test_a_steady_patient_scores_no_error_in_six_conditions_in_the_published_order():
    drill, patient = make(), Patient()
    run(drill, patient, 400.0)
    result = drill.result()
    assert result["state"] == "completed"
    assert [(c["stance"], c["surface"]) for c in result["conditions"]] == list(CONDITIONS)
    assert errors(drill) == [0] * 6
    assert (result["total_errors"], result["firm_errors"], result["foam_errors"]) == (0, 0, 0)
    assert all(c["time_in_position_s"] == pytest.approx(20.0) for c in result["conditions"])
    # per condition: both feet, the surface, then the stance, eyes closed once timing starts
    stance_words = [w for w in patient.said if w in STANCES]
    assert stance_words == ["feet-together", "stand-on-left", "tandem"] * 2
    assert patient.said.count("eyes-closed") == 6
    assert patient.said.count("foam-surface") == 3 and patient.said.count("firm-surface") == 4
    assert patient.said[-3:] == ["eyes-open", "firm-surface", "both-feet"]


def test_each_step_out_and_each_touch_down_counts_one_error():
    drill = make()
    run(drill, Patient(losses={1: (300, 900, 1500), 2: (400,)}), 400.0)
    assert errors(drill) == [0, 3, 1, 0, 0, 0]
    one_leg = drill.result()["conditions"][1]
    assert [e["what"] for e in one_leg["error_log"]] == ["touched down"] * 3
    # touch-down from 10 ticks after each loss (the share under 75%), counted from its start
    assert [e["t_s"] for e in one_leg["error_log"]] == pytest.approx([3.1, 9.1, 15.1], abs=0.03)
    assert drill.result()["total_errors"] == 4 and drill.result()["firm_errors"] == 4


def test_out_of_position_adds_an_error_every_five_seconds_up_to_the_cap():
    drill = make()
    # tandem on firm ground lost at 2 s for good: 1 + 3 (5, 10, 15 s out) errors, and under
    # 5 s in position scores the maximum
    run(drill, Patient(losses={2: (200,)}, back_after=None), 400.0)
    tandem = drill.result()["conditions"][2]
    whats = [e["what"] for e in tandem["error_log"]]
    assert whats[0].startswith("lost balance") and whats[1:] == [
        "out of position for 5 s",
        "out of position for 10 s",
        "out of position for 15 s",
    ]
    assert tandem["time_in_position_s"] == pytest.approx(2.1, abs=0.05)
    assert tandem["errors"] == MAX_ERRORS


def test_errors_are_capped_at_ten_per_condition():
    drill = make()
    losses = tuple(range(100, 2000, 170))  # 12 losses, each back in position between
    run(drill, Patient(losses={0: losses}, back_after=60), 400.0)
    first = drill.result()["conditions"][0]
    assert first["platform_errors"] > MAX_ERRORS and first["errors"] == MAX_ERRORS


def test_the_therapist_adds_what_the_platform_cannot_see_and_simultaneous_errors_count_once():
    drill, patient = make(), Patient(losses={0: (500,)})
    run(drill, patient, 400.0, stop_in="recording")
    run(drill, patient, 2.0)
    assert drill.status()["attempt_failable"]
    assert drill.status()["fail_label"].startswith("Add an error")
    assert drill.mark_failed(drill.last_t_s) == []  # eyes opened: counted, nothing cued
    run(drill, patient, 3.2)  # the step out at 5 s is seen at 5.13 s
    assert drill.mark_failed(drill.last_t_s) == []  # the same stumble, seen by both
    run(drill, patient, 400.0)
    first = drill.result()["conditions"][0]
    assert (first["therapist_errors"], first["platform_errors"], first["errors"]) == (1, 1, 2)
    assert drill.mark_failed(drill.last_t_s) is None  # finished: nothing to count


def test_a_stance_never_taken_scores_the_maximum_and_the_test_goes_on():
    drill = make()

    class Leaning(Patient):  # leans on the therapist through condition 2's position
        def stand(self, t):
            f = super().stand(t)
            return frame(t, 500.0, self.ml) if self.condition == 1 else f

    run(drill, Leaning(), 400.0)
    second = drill.result()["conditions"][1]
    assert second["outcome"] == "could not take the position" and second["errors"] == 10
    assert errors(drill) == [0, 10, 0, 0, 0, 0] and drill.phase is Phase.COMPLETED


def test_stepping_off_asks_the_patient_back_and_counts_as_an_error():
    drill, patient = make(), Patient()
    run(drill, patient, 400.0, stop_in="recording")
    patient.off_at_s = drill.last_t_s + 1.0
    log = run(drill, patient, 2.0)
    assert [c for _, c in log if isinstance(c, Status)] == [Status("blue")]
    patient.off_at_s = math.inf  # back on: green again
    log = run(drill, patient, 0.1)
    assert Status("green") in [c for _, c in log]
    run(drill, patient, 400.0)
    first = drill.result()["conditions"][0]
    assert first["error_log"][0]["what"] == "stepped off the platform"


def test_an_aborted_test_keeps_its_conditions_but_no_total():
    drill, patient = make(), Patient()
    run(drill, patient, 400.0, stop_in="recording")
    run(drill, patient, 400.0, stop_in="announce")  # condition 2 announced: 1 scored
    drill.stop(drill.last_t_s, "stopped by the therapist", tone="stop")
    result = drill.result()
    assert result["state"] == "aborted" and len(result["conditions"]) == 1
    assert result["total_errors"] is None and result["firm_errors"] is None
