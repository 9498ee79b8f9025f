"""reaction as a pure state machine, driven by a scripted patient who reacts to the lit LED."""

import json
import math

import pytest

from drills.cued import RECOVER_S
from drills.cues import AllOff, Light, Status, Tone
from drills.errors import DrillParamError, DrillSubjectError
from drills.reaction import CENTRE_MM, Reaction
from sensing.cog import natural_frequency_hz
from tests.drills.scripted import RATE, ReachingPatient, frame, make_drill, run

HEIGHT_M = 1.70
NEUTRAL_MM = (-8.0, 15.0)
UNIT = {"front": (0.0, 1.0), "back": (0.0, -1.0), "left": (-1.0, 0.0), "right": (1.0, 0.0)}
CLOCKWISE_TURN = {"front": "right", "right": "back", "back": "left", "left": "front"}


def make(seed=4, **params):
    params = {"trials": 5, "countdown_s": 0} | params
    subject = {"height_cm": 100 * HEIGHT_M}
    return make_drill(Reaction, params, seed=seed, subject=subject)


class Patient(ReachingPatient):
    """Reacts delay_s after a direction LED lights by moving the centre of gravity at
    speed_mm_s to 80 mm that way, and back to the middle delay_s after the LEDs go off;
    ``plans[i]`` changes trial i: "wrong" moves 90 deg clockwise of the lit LED, "ignore" does
    not move. The COP on the frames is the inverted pendulum's, COG - COG'' / w0^2, so it jumps
    the other way as each movement starts (the anticipatory adjustment) and past the COG as
    it stops; the live COP is the COG. ``on(t)`` says when they stand on the platform,
    ``offset(t)`` shifts their COP (mm)."""

    def __init__(self, plans=(), delay_s=0.3, speed_mm_s=200.0, **script):
        super().__init__(speed_mm_s, on=script.get("on", lambda t: True))
        self.plans, self.delay_s = list(plans), delay_s
        self.offset = script.get("offset", lambda t: (0.0, 0.0))
        self.cues_seen = 0
        self.w0_sq = [(2 * math.pi * natural_frequency_hz(HEIGHT_M, a)) ** 2 for a in ("ml", "ap")]

    def see(self, cues, t):
        was = self.lit - {"centre"}
        super().see(cues, t)
        now = self.lit - {"centre"}
        if now != was:
            direction = next(iter(now), None)
            plan = None
            if direction is not None:
                plan = self.plans[self.cues_seen] if self.cues_seen < len(self.plans) else None
                self.cues_seen += 1
            if plan == "wrong":
                direction = CLOCKWISE_TURN[direction]
            if plan != "ignore":
                self.pending = (t + self.delay_s, direction)

    def goal_of(self, direction):
        return tuple(80 * u for u in UNIT[direction])

    def frame(self, t):
        before, pos, after = self.move(t)
        if not self.on(t):
            return frame(t, 0.0)
        cop = [
            n + p + o - (a - 2 * p + b) * RATE**2 / w0_sq
            for n, p, o, a, b, w0_sq in zip(
                NEUTRAL_MM, pos, self.offset(t), after, before, self.w0_sq, strict=True
            )
        ]
        live_ml, live_ap = (
            n + p + o for n, p, o in zip(NEUTRAL_MM, pos, self.offset(t), strict=True)
        )
        return frame(t, 700.0, *cop, cop_ml_live_mm=live_ml, cop_ap_live_mm=live_ap)


def test_trials_follow_the_seeded_schedule_and_score_by_hand():
    drill = make()
    log = run(drill, Patient(plans=["follow", "wrong", "ignore"]), 60.0)
    assert [e["phase"] for e in drill.events] == [
        "waiting",
        "settling",
        "countdown",
        "recording",
        "completed",
    ]
    assert [c for _, c in log][-2:] == [Status("off"), Tone("success")] and not drill.lit
    result = drill.result()
    json.dumps(result, allow_nan=False)  # stored as JSON
    trials = result["trials"]
    assert [t["direction"] for t in trials] == [d for _, d in drill.schedule]
    # every cue: one LED, after the scheduled interval from the end of the previous trial
    cue_times = [t for t, c in log if isinstance(c, Light) and c.on and c.name != "centre"]
    ends = [drill.events[3]["t_s"]] + [
        t for t, c in log if isinstance(c, Light) and not c.on and c.name != "centre"
    ]
    for (interval_s, _), cue_t, end_t in zip(drill.schedule, cue_times, ends[:-1], strict=True):
        assert 2.0 <= interval_s <= 5.0
        assert cue_t - end_t == pytest.approx(interval_s, abs=0.011)
    # by hand: the centre of gravity moves on the tick 0.3 s after the cue at 200 mm/s (from
    # 0.29 s), so it passes the 6 mm onset (10% of 60 mm) at 0.29 + 0.03 s and the live COP
    # reaches 60 mm at 0.29 + 0.3 s
    follow = [trials[0], trials[3], trials[4]]
    for trial in follow:
        assert trial["reaction_time_s"] == pytest.approx(0.32, abs=0.005)
        assert trial["correct"] is True and trial["reached"] is True
        assert trial["movement_time_s"] == pytest.approx(0.27, abs=0.005)
        assert trial["anticipated"] is False and trial["lost_balance"] is False
    wrong, ignored = trials[1], trials[2]
    assert wrong["reaction_time_s"] == pytest.approx(0.32, abs=0.005) and wrong["correct"] is False
    assert not wrong["reached"] and wrong["movement_time_s"] is None
    assert ignored["reaction_time_s"] is None and ignored["correct"] is None
    assert not ignored["reached"]
    assert result["metrics"] == {
        "mean_reaction_time_s": pytest.approx(0.32, abs=0.005),
        "accuracy_pct": pytest.approx(75.0),
        "misses": 1,
        "anticipations": 0,
        "losses_of_balance": 0,
        "targets_reached": 3,
        "mean_movement_time_s": pytest.approx(0.27, abs=0.005),
        "trials_done": 5,
    }


def test_the_anticipatory_shift_of_the_cop_does_not_make_a_movement_wrong():
    drill = make(trials=1)
    patient = Patient()
    cue_s = 1.0 + drill.schedule[0][0]
    unit = UNIT[drill.schedule[0][1]]
    along = []
    for k in range(round((cue_s + 2.0) * RATE)):
        t = k / RATE
        frame = patient.frame(t)
        patient.see(drill.step(frame), t)
        if t >= cue_s:
            along.append(
                (frame.cop_ml_mm - NEUTRAL_MM[0]) * unit[0]
                + (frame.cop_ap_mm - NEUTRAL_MM[1]) * unit[1]
            )
    assert min(along[:40]) < -5.0  # the raw COP first went more than 5 mm the wrong way...
    assert drill.trials[0]["correct"] is True  # ...yet the movement is judged on the COG


def test_a_movement_sooner_than_100_ms_after_the_cue_is_an_anticipation():
    drill = make(trials=3)
    run(drill, Patient(delay_s=0.02), 60.0)  # moves 20 ms after each cue: no one reacts that fast
    result = drill.result()
    assert all(t["anticipated"] for t in result["trials"])
    assert all(t["reaction_time_s"] is None and t["correct"] is None for t in result["trials"])
    metrics = result["metrics"]
    assert metrics["anticipations"] == 3 and metrics["mean_reaction_time_s"] is None
    assert metrics["misses"] == 0 and metrics["accuracy_pct"] is None


def test_centre_led_lights_on_reaching_and_the_trial_ends_after_a_hold_or_timeout():
    drill = make(trials=2)
    log = run(drill, Patient(plans=["follow", "ignore"]), 60.0)
    lights = [(t, c) for t, c in log if isinstance(c, Light)]
    (cue1, on1), (reach, centre), (end1, off1), (end1b, centre_off) = lights[:4]
    direction = drill.schedule[0][1]
    assert on1 == Light(direction, True) and centre == Light("centre", True)
    assert reach - cue1 == pytest.approx(0.59, abs=0.011)  # live COP: the COG, 60 mm from 0.29 s
    assert end1 - reach == pytest.approx(0.5, abs=0.011) and end1 == end1b
    assert {off1, centre_off} == {Light(direction, False), Light("centre", False)}
    cue2, end2 = lights[4][0], lights[5][0]
    assert end2 - cue2 == pytest.approx(3.0)  # timeout_s


def test_the_cue_waits_for_the_patient_to_be_back_in_the_middle():
    drill = make(trials=1)
    offset = (CENTRE_MM + 5, 0.0)
    # neutral is taken at 0.99 s, when recording starts; the patient then stands off it
    log = run(drill, Patient(offset=lambda t: offset if 1.5 <= t < 9.0 else (0.0, 0.0)), 60.0)
    cue_t = next(t for t, c in log if isinstance(c, Light) and c.on)
    assert cue_t == 9.0 and drill.result()["state"] == "completed"


def test_same_seed_same_schedule():
    assert make(seed=9).schedule == make(seed=9).schedule
    assert make(seed=9).schedule != make(seed=10).schedule
    assert {d for _, d in make(trials=40).schedule} == set(UNIT)


def test_status_during_a_trial():
    drill = make()
    run(drill, Patient(), 1.0 + drill.schedule[0][0] + 0.1)
    status = drill.status()
    assert status["stage"] == "cued" and status["trial"] == 1 and status["trials_total"] == 5
    assert status["direction"] == drill.schedule[0][1]
    assert status["lights"] == [drill.schedule[0][1]]
    # the live view draws where to lean: distance_mm from where the patient stood at the cue
    ux, uy = UNIT[drill.schedule[0][1]]
    target = (NEUTRAL_MM[0] + 60.0 * ux, NEUTRAL_MM[1] + 60.0 * uy)
    assert status["target_zone"] == {"ml_mm": target[0], "ap_mm": target[1], "radius_mm": None}
    drill = make()
    run(drill, Patient(), 1.5)  # waiting for the first cue: stand in the middle
    assert drill.status()["home_zone"] == {
        "ml_mm": NEUTRAL_MM[0],
        "ap_mm": NEUTRAL_MM[1],
        "radius_mm": CENTRE_MM,
    }


def test_step_off_before_recording_waits_again_and_while_recording_aborts():
    drill = make(countdown_s=2)
    run(drill, Patient(on=lambda t: not 1.5 <= t < 2.0), 2.5)
    assert [e["phase"] for e in drill.events][:5] == [
        "waiting",
        "settling",
        "countdown",
        "waiting",
        "settling",
    ]
    drill = make()
    stop_s = 1.0 + drill.schedule[0][0] + 2.0  # off in the interval after the first trial
    log = run(drill, Patient(on=lambda t: t < stop_s), 60.0)
    result = drill.result()
    assert result["state"] == "aborted"
    assert result["reason"] == (
        f"patient stepped off the platform and did not return within {RECOVER_S:g} s"
    )
    assert (round(stop_s, 2), Status("blue")) in log  # step on again and stand still
    assert [c for _, c in log][-2:] == [AllOff(), Tone("warning")]
    # what was done is kept and summarised
    assert len(result["trials"]) == 1 and result["metrics"]["trials_done"] == 1
    assert result["metrics"]["mean_reaction_time_s"] == pytest.approx(0.32, abs=0.005)


def test_a_loss_of_balance_fails_the_trial_and_the_drill_goes_on_once_they_stand_again():
    drill = make(trials=3)
    cue_s = 1.0 + drill.schedule[0][0]
    off = (cue_s + 0.4, cue_s + 2.4)  # off the platform mid-movement, back 2 s later
    log = run(drill, Patient(on=lambda t: not off[0] <= t < off[1]), 60.0)
    result = drill.result()
    assert result["state"] == "completed"
    first = result["trials"][0]
    assert first["lost_balance"] is True and first["reaction_time_s"] is None
    assert (round(off[0], 2), Status("blue")) in log
    assert [c for _, c in log].count(Status("green")) == 2  # recording, then again after
    assert [t["direction"] for t in result["trials"]] == [d for _, d in drill.schedule]
    metrics = result["metrics"]
    assert metrics["losses_of_balance"] == 1 and metrics["trials_done"] == 3
    assert metrics["misses"] == 0 and metrics["accuracy_pct"] == pytest.approx(100.0)


def test_the_patient_height_is_needed_for_the_centre_of_gravity():
    with pytest.raises(DrillSubjectError, match="height"):
        make_drill(Reaction, {}, subject={})


@pytest.mark.parametrize(
    "until_s, phase", [(0.0, "waiting"), (0.5, "settling"), (2.0, "countdown"), (7.0, "recording")]
)
def test_stop_from_each_phase_turns_everything_off_first(until_s, phase):
    drill = make(countdown_s=3)
    patient = Patient()
    run(drill, patient, until_s)
    assert drill.phase.value == phase
    assert drill.stop(until_s, "stop button pressed", tone="stop") == [AllOff(), Tone("stop")]
    result = drill.result()
    assert result["state"] == "aborted" and result["reason"] == "stop button pressed"
    assert drill.step(patient.frame(until_s + 0.01)) == [] and not drill.lit


@pytest.mark.parametrize(
    "params, name, text",
    [
        ({"interval_min_s": 4, "interval_max_s": 3}, "interval_max_s", "below interval_min_s"),
        ({"trials": 0}, "trials", "outside 1-50"),
        ({"distance_mm": 10}, "distance_mm", "outside 30-150 mm"),
        ({"trials": 2.5}, "trials", "whole number"),
    ],
)
def test_bad_parameters_are_named(params, name, text):
    with pytest.raises(DrillParamError, match=text) as info:
        make(**params)
    assert info.value.param == name
