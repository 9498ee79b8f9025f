"""single-leg-stance as a pure state machine, fed by a scripted patient who follows its
instructions."""

import math

import pytest

from drills.cues import AllOff, Instruct, Status, Tone
from drills.errors import DrillParamError
from drills.single_leg import SingleLegStance
from tests.drills.scripted import ScriptedPatient, frame, make_drill, run

LOAD_N = 700.0
STEP_MM = 5.0  # the patient's COP moves 5 mm a tick (500 mm/s)


def make(**params):
    return make_drill(SingleLegStance, {"rest_s": 3, **params})


class Patient(ScriptedPatient):
    """Both feet 90 mm either side of the middle from 1 s. Told to stand on a leg, it moves its
    COP onto that foot 0.5 s later; ``holds[i]`` ticks after trial i's start tone it puts the
    other foot down: on the platform (COP back to the middle) or, with ``floor``, on the floor
    (the platform then carries 500 N). ``holds[i]`` None: it never lifts the foot."""

    def __init__(self, holds, floor=False, off_at_s=math.inf):
        super().__init__(off_at_s=off_at_s)
        self.holds, self.floor = list(holds), floor
        self.trial = -1
        self.told_at = self.started_at = None  # tick counts
        self.ml = 0.0
        self.goal = 0.0
        self.load = LOAD_N

    def see(self, cues, t):
        super().see(cues, t)
        for cue in cues:
            if cue in (Instruct("stand-on-left"), Instruct("stand-on-right")):
                self.trial += 1
                self.told_at, self.started_at = self.tick, None
                self.foot = -90.0 if cue.code.endswith("left") else 90.0
            elif cue == Tone("start"):
                self.started_at = self.tick
            elif cue == Instruct("both-feet"):
                self.told_at, self.goal, self.load = None, 0.0, LOAD_N

    def stand(self, t):
        hold = self.holds[self.trial] if self.told_at is not None else None
        if hold is not None and self.tick - self.told_at > 50:
            self.goal = self.foot
        if hold is not None and self.started_at is not None and self.tick - self.started_at > hold:
            if self.floor:
                self.load = 500.0
            else:
                self.goal = 0.0
        self.ml += max(-STEP_MM, min(STEP_MM, self.goal - self.ml))
        return frame(t, self.load, self.ml)


def test_three_trials_best_counts():
    drill = make()
    # back to the middle at 5 mm a tick: the share falls under 75% on the 10th tick
    log = run(drill, Patient(holds=[490, 990, 290]), 120.0)
    result = drill.result()
    assert result["state"] == "completed"
    assert [t["stance_time_s"] for t in result["trials"]] == [5.0, 10.0, 3.0]
    assert all(t["touched_down"] and t["outcome"] == "touched down" for t in result["trials"])
    assert result["best_stance_time_s"] == 10.0 and result["max_reached"] is False
    assert result["leg"] == "left" and result["eyes"] == "open" and result["max_s"] == 45.0
    assert result["trials"][0]["body_weight_n"] == LOAD_N
    phases = [e["phase"] for e in drill.events]
    assert phases[:7] == [
        "waiting",
        "settling",
        "countdown",
        "lift",
        "recording",
        "rest",
        "settling",
    ]
    assert phases.count("recording") == 3 and phases[-1] == "completed"
    c = drill.events[2]["t_s"]  # countdown
    rel = [(round(t - c, 2), cue) for t, cue in log if t >= c]
    # shift onto the left foot from 0.51 s after the instruction: 75 mm (share 0.92) 15 ticks on
    assert rel[:10] == [
        (0.0, Status("amber")),
        (0.0, Instruct("eyes-open")),
        (0.0, Tone("countdown")),
        (1.0, Tone("countdown")),
        (2.0, Tone("countdown")),
        (3.0, Instruct("stand-on-left")),
        (3.65, Tone("start")),
        (3.65, Status("green")),
        (8.74, Tone("warning")),  # touch-down at 8.65 s, confirmed 0.09 s later (10 frames)
        (8.74, Status("amber")),
    ]
    assert rel[10] == (8.74, Instruct("both-feet"))
    # after 3 s of rest, still settled: the next countdown at once
    assert rel[11:14] == [
        (11.74, Status("amber")),
        (11.74, Instruct("eyes-open")),
        (11.74, Tone("countdown")),
    ]
    assert [cue for _, cue in log[-3:]] == [AllOff(), Instruct("both-feet"), Tone("success")]
    assert result["trials"][0]["start_s"] == pytest.approx(c + 3.65)


def test_the_therapist_fails_a_trial_the_platform_cannot_judge():
    drill = make(trials=2)
    patient = Patient(holds=[10**6, 290])  # would stand on for ever...
    run(drill, patient, 60.0, stop_in="recording")
    run(drill, patient, 4.0)  # ...but after 4 s the hands leave the hips
    assert drill.mark_failed(drill.last_t_s + 0.01) == [
        Tone("warning"),
        Status("amber"),
        Instruct("both-feet"),
    ]
    assert drill.mark_failed(drill.last_t_s + 0.02) is None  # resting: nothing to fail
    run(drill, patient, 60.0)
    result = drill.result()
    first = result["trials"][0]
    assert first["outcome"] == "marked failed" and not first["touched_down"]
    assert first["stance_time_s"] == pytest.approx(4.0, abs=0.02)  # until the therapist's mark
    assert result["state"] == "completed" and len(result["trials"]) == 2


def test_reaching_the_maximum_ends_the_test():
    drill = make(leg="right", eyes="closed", max_s=30)
    log = run(drill, Patient(holds=[10**6]), 60.0)
    result = drill.result()
    assert result["state"] == "completed" and len(result["trials"]) == 1
    assert result["trials"][0]["outcome"] == "reached the maximum"
    assert result["best_stance_time_s"] == 30.0 and result["max_reached"] is True
    cues = [c for _, c in log]
    assert Instruct("eyes-closed") in cues and Instruct("stand-on-right") in cues
    assert cues[-3:] == [AllOff(), Instruct("both-feet"), Tone("success")]


def test_touch_down_on_the_floor_is_a_load_drop():
    drill = make(trials=1)
    run(drill, Patient(holds=[199], floor=True), 60.0)
    trial = drill.result()["trials"][0]
    assert trial["outcome"] == "touched down" and trial["stance_time_s"] == pytest.approx(2.0)


def test_no_lift_scores_zero_after_the_timeout():
    drill = make(trials=1)
    log = run(drill, Patient(holds=[None]), 60.0)
    told = next(t for t, c in log if c == Instruct("stand-on-left"))
    assert drill.events[-1]["t_s"] == pytest.approx(told + 10.0)
    trial = drill.result()["trials"][0]
    assert trial == {
        "trial": 1,
        "stance_time_s": 0.0,
        "touched_down": False,
        "outcome": "did not stand on one leg",
        "start_s": None,
        "body_weight_n": LOAD_N,
    }


def test_status_while_timing():
    drill = make()
    patient = Patient(holds=[490])
    run(drill, patient, 60.0, stop_in="recording")
    run(drill, patient, 2.0)
    status = drill.status()
    assert status["phase"] == "recording" and status["trial"] == 1 and status["trials"] == 3
    assert status["stance_time_s"] == pytest.approx(2.0, abs=0.02)
    assert status["remaining_s"] == pytest.approx(43.0, abs=0.02)  # of the default 45 s
    assert status["stance_share_pct"] == pytest.approx(100.0)
    assert status["best_stance_time_s"] is None


@pytest.mark.parametrize("phase", ["countdown", "lift"])
def test_step_off_before_timing_starts_the_trial_again(phase):
    drill = make(trials=1)
    patient = Patient(holds=[490])
    run(drill, patient, 60.0, stop_in=phase)
    assert drill.step(frame(drill.last_t_s + 0.01, 0.0)) == [
        AllOff(),
        Instruct("both-feet"),
        Status("blue"),
    ]
    assert drill.phase.value == "waiting" and drill.trials == []


def test_step_off_while_timing_ends_the_trial_at_the_step_off():
    drill = make(trials=2)
    patient = Patient(holds=[10**6, 10**6])
    run(drill, patient, 60.0, stop_in="recording")
    patient.off_at_s = drill.last_t_s + 4.0
    log = run(drill, patient, 5.0, stop_in="rest")
    assert [c for _, c in log][-3:] == [Tone("warning"), Status("amber"), Instruct("both-feet")]
    trial = drill.result()["trials"][0]
    assert trial["outcome"] == "lost balance: stepped off the platform" and trial[
        "stance_time_s"
    ] == pytest.approx(4.0)
    assert not drill.finished  # the second trial follows once the patient is back


def test_step_off_during_rest_does_nothing():
    drill = make(trials=2)
    patient = Patient(holds=[100, 100])
    run(drill, patient, 60.0, stop_in="rest")
    assert drill.step(frame(drill.last_t_s + 0.01, 0.0)) == []
    assert drill.phase.value == "rest"


@pytest.mark.parametrize("phase", ["waiting", "settling", "countdown", "lift", "recording", "rest"])
def test_stop_from_each_phase(phase):
    drill = make()
    patient = Patient(holds=[100, 100, 100])
    run(drill, patient, 60.0, stop_in=phase)
    t = drill.last_t_s + 0.01
    assert drill.stop(t, "stopped by the therapist", tone="stop") == [AllOff(), Tone("stop")]
    result = drill.result()
    assert result["state"] == "aborted" and result["reason"] == "stopped by the therapist"
    assert drill.step(frame(t + 0.01)) == []
    assert len(result["trials"]) == (1 if phase == "rest" else 0)


@pytest.mark.parametrize(
    "params, name, text",
    [
        ({"max_s": 5}, "max_s", "outside 10-60"),
        ({"trials": 4}, "trials", "outside 1-3"),
        ({"leg": "both"}, "leg", "choose one of left, right"),
        ({"eyes": "half"}, "eyes", "choose one of open, closed"),
        ({"trials": 2.5}, "trials", "whole number"),
    ],
)
def test_bad_parameters_are_named(params, name, text):
    with pytest.raises(DrillParamError, match=text) as info:
        make(**params)
    assert info.value.param == name


def test_describe_lists_every_parameter_with_help():
    schema = SingleLegStance.describe()
    assert schema["name"] == "single-leg-stance"
    assert [p["name"] for p in schema["params"]] == [
        "leg",
        "eyes",
        "max_s",
        "trials",
        "rest_s",
        "feet_apart_mm",
        "countdown_s",
    ]
    assert all(p["help"] for p in schema["params"])
