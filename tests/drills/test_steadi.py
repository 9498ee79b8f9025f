"""steadi-4-stage as a pure state machine, fed by a scripted patient who takes each stance it
is told and loses it when the test says."""

import math

import pytest

from drills.cues import Instruct, Tone
from drills.engine import Phase
from drills.steadi import POSITION_MIN_S, POSITION_TIMEOUT_S, Steadi4Stage
from tests.drills.scripted import RATE, ScriptedPatient, frame, make_drill, run

LOAD_N = 700.0
STEP_MM = 5.0  # the patient's COP moves 5 mm a tick (500 mm/s)
STANCES = ("feet-together", "semi-tandem", "tandem", "stand-on-left", "stand-on-right")


def make(**params):
    return make_drill(Steadi4Stage, {"rest_s": 2, **params})


class Patient(ScriptedPatient):
    """On the platform from 1 s, feet on the markings (COP in the middle). Told a stance, it
    takes it 1 s later: on one foot the COP moves over that foot (90 mm out), else it stays in
    the middle. ``holds[i]`` ticks after stage i's start tone it loses the stance: a step out
    (the COP 100 mm to the right), or on one foot a touch-down (back to the middle); None: it
    holds. ``lean_on_s``: for that long after each instruction it leans on the therapist (the
    platform carries 550 N)."""

    def __init__(self, holds=(None,) * 4, lean_on_s=0.0, off_at_s=math.inf):
        super().__init__(off_at_s=off_at_s)
        self.holds, self.lean_on_s = list(holds), lean_on_s
        self.stage = -1
        self.told_at = self.started_at = None  # tick counts
        self.ml, self.goal, self.target = 0.0, 0.0, 0.0

    def see(self, cues, t):
        super().see(cues, t)
        for cue in cues:
            if isinstance(cue, Instruct) and cue.code in STANCES:
                self.stage += 1
                self.told_at, self.started_at = self.tick, None
                self.target = {"stand-on-left": -90.0, "stand-on-right": 90.0}.get(cue.code, 0.0)
            elif cue == Tone("start"):
                self.started_at = self.tick
            elif cue == Instruct("both-feet"):
                self.told_at, self.goal = None, 0.0

    def stand(self, t):
        load = LOAD_N
        if self.told_at is not None:
            since = self.tick - self.told_at
            if since > RATE:
                self.goal = self.target
            if since < self.lean_on_s * RATE:
                load = 550.0
            hold = self.holds[self.stage]
            started = self.started_at is not None
            if hold is not None and started and self.tick - self.started_at > hold:
                self.goal = 0.0 if self.target else 100.0
        self.ml += max(-STEP_MM, min(STEP_MM, self.goal - self.ml))
        return frame(t, load, self.ml)


def stages(drill):
    return [(s["stance"], s["time_s"], s["outcome"]) for s in drill.result()["stages"]]


def test_a_patient_who_holds_every_stance_passes_all_four_without_fall_risk():
    drill = make()
    log = run(drill, Patient(), 200.0)
    result = drill.result()
    assert result["state"] == "completed"
    assert stages(drill) == [
        ("feet-together", 10.0, "held"),
        ("semi-tandem", 10.0, "held"),
        ("tandem", 10.0, "held"),
        ("one-foot", 10.0, "held"),
    ]
    assert result["highest_stage_held"] == 4 and result["tandem_time_s"] == 10.0
    assert result["fall_risk"] is False and result["sppb_balance_score"] == 4
    said = [c.code for _, c in log if isinstance(c, Instruct)]
    assert said == [
        "eyes-open",
        "feet-together",
        "both-feet",
        "semi-tandem",
        "both-feet",
        "tandem",
        "both-feet",
        "stand-on-left",
        "both-feet",
    ]
    assert [c for _, c in log if isinstance(c, Tone)][-1] == Tone("success")


def test_tandem_lost_at_six_seconds_ends_the_test_with_increased_fall_risk():
    drill = make()
    log = run(drill, Patient(holds=[None, None, 600, None]), 200.0)
    result = drill.result()
    assert result["state"] == "completed"
    (_, _, first), (_, _, second), (stance, time_s, outcome) = stages(drill)
    assert first == second == "held" and stance == "tandem"
    # the step starts 601 ticks in and the COP passes 60 mm of jump 13 ticks later
    assert time_s == pytest.approx(6.13, abs=0.02)
    assert outcome.startswith("lost balance: the COP jumped")
    assert result["highest_stage_held"] == 2 and result["tandem_time_s"] == time_s
    assert result["fall_risk"] is True
    assert result["sppb_balance_score"] == 3  # 1 + 1 + tandem 3-9.99 s
    assert log[-1][1] == Tone("warning") and "stand-on-left" not in str(log)


def test_stages_shorter_than_the_cdc_s_claim_no_fall_risk_from_a_tandem_held_to_their_end():
    """With 5 s stages, tandem held all 5 s cannot show the CDC's 10 s: no fall risk claimed
    either way, and no SPPB score (its stands are 10 s). Lost at 3 s, it is under 10 s
    whatever the stage's length."""
    drill = make(hold_s=5.0)
    run(drill, Patient(), 200.0)
    result = drill.result()
    assert result["tandem_time_s"] == 5.0 and result["highest_stage_held"] == 4
    assert result["fall_risk"] is None and result["sppb_balance_score"] is None
    lost = make(hold_s=5.0)
    run(lost, Patient(holds=[None, None, 300, None]), 200.0)
    assert lost.result()["fall_risk"] is True and lost.result()["sppb_balance_score"] is None


def test_a_stance_lost_before_tandem_counts_as_no_tandem_at_all():
    drill = make()
    run(drill, Patient(holds=[250, None, None, None]), 200.0)
    result = drill.result()
    assert [s for s, *_ in stages(drill)] == ["feet-together"]
    assert result["highest_stage_held"] == 0 and result["tandem_time_s"] == 0.0
    assert result["fall_risk"] is True and result["sppb_balance_score"] == 0


def test_tandem_under_three_seconds_scores_no_sppb_tandem_point():
    drill = make()
    run(drill, Patient(holds=[None, None, 200, None]), 200.0)
    assert drill.result()["sppb_balance_score"] == 2


def test_on_one_foot_a_touch_down_ends_the_stage_and_the_leg_is_the_therapist_s_choice():
    drill = make(leg="right")
    log = run(drill, Patient(holds=[None, None, None, 300]), 200.0)
    assert Instruct("stand-on-right") in [c for _, c in log]
    result = drill.result()
    stance, time_s, outcome = stages(drill)[-1]
    assert stance == "one-foot" and outcome == "touched down"
    # back toward the middle at 5 mm a tick: the share falls under 75% 10 ticks after the
    # 301st, and must stay there 10 ticks (0.1 s) to count from its first
    assert time_s == pytest.approx(3.1, abs=0.02)
    assert result["highest_stage_held"] == 3 and result["fall_risk"] is False


def test_timing_waits_until_the_patient_stands_alone_in_the_position():
    drill = make()
    run(drill, Patient(lean_on_s=6.0), 200.0)
    starts = [e["t_s"] for e in drill.events if e["phase"] == "recording"]
    positions = [e["t_s"] for e in drill.events if e["phase"] == "position"]
    assert len(starts) == 4
    for position_s, start_s in zip(positions[:3], starts[:3], strict=True):
        # leaning on the therapist for 6 s: timing starts once they let go, not at 3 s
        assert start_s - position_s >= 6.0
    assert all(s["held"] for s in drill.result()["stages"])


def test_without_support_timing_starts_after_the_position_minimum():
    drill = make()
    run(drill, Patient(), 200.0)
    position_s = next(e["t_s"] for e in drill.events if e["phase"] == "position")
    start_s = next(e["t_s"] for e in drill.events if e["phase"] == "recording")
    assert start_s - position_s == pytest.approx(POSITION_MIN_S, abs=0.02)


def test_a_position_never_taken_scores_zero_and_ends_the_test():
    drill = make()
    run(drill, Patient(lean_on_s=60.0), 200.0)
    result = drill.result()
    assert stages(drill) == [("feet-together", 0.0, "could not take the position")]
    position_s = next(e["t_s"] for e in drill.events if e["phase"] == "position")
    assert drill.events[-1]["t_s"] - position_s == pytest.approx(POSITION_TIMEOUT_S, abs=0.02)
    assert result["fall_risk"] is True and result["highest_stage_held"] == 0


def test_stepping_off_during_a_hold_loses_the_stage_not_the_test_s_data():
    drill = make()
    patient = Patient()
    run(drill, patient, 30.0, stop_in="rest")  # stage 1 held
    patient.off_at_s = drill.last_t_s + 6.0  # gone during stage 2's hold
    run(drill, patient, 100.0)
    assert drill.phase is Phase.COMPLETED
    assert stages(drill)[0] == ("feet-together", 10.0, "held")
    stance, time_s, outcome = stages(drill)[1]
    assert stance == "semi-tandem" and outcome == "lost balance: stepped off the platform"
    assert 0 < time_s < 10


def test_the_therapist_fails_a_hold_the_platform_cannot_judge():
    drill, patient = make(), Patient()
    run(drill, patient, 200.0, stop_in="recording")
    assert drill.status()["attempt_failable"]
    run(drill, patient, 2.0)
    cues = drill.mark_failed(drill.last_t_s)
    assert Tone("warning") in cues and drill.phase is Phase.COMPLETED
    assert stages(drill)[0][2] == "marked failed by the therapist"
    assert drill.mark_failed(drill.last_t_s) is None


def test_an_aborted_test_keeps_its_stages_but_claims_no_fall_risk():
    drill = make()
    run(drill, Patient(), 200.0, stop_in="rest")
    drill.stop(drill.last_t_s, "stopped by the therapist", tone="stop")
    result = drill.result()
    assert result["state"] == "aborted" and stages(drill) == [("feet-together", 10.0, "held")]
    assert result["tandem_time_s"] is None and result["fall_risk"] is None
    assert result["sppb_balance_score"] is None


def test_status_tells_the_live_view_the_stage_and_time_left():
    drill, patient = make(), Patient()
    run(drill, patient, 200.0, stop_in="recording")
    run(drill, patient, 4.0)
    status = drill.status()
    assert status["stage_number"] == 1 and status["stages_total"] == 4
    assert status["stage"] == "feet-together" and status["one_foot_leg"] == "left"
    assert status["remaining_s"] == pytest.approx(6.0, abs=0.05)
