"""weight-shift as a pure state machine, fed by a scripted patient who follows its lights."""

import math

import pytest

from drills.cued import RECOVER_S
from drills.cues import AllOff, Light, Status, Tone
from drills.errors import DrillParamError
from drills.weight_shift import DIRECTIONS, WeightShift, target_sequence
from tests.drills.scripted import RATE, ScriptedPatient, frame, make_drill, run

SPEED_MM_S = 120.0  # 1.2 mm per tick


def make(seed=0, **params):
    return make_drill(WeightShift, params, seed=seed)


class Patient(ScriptedPatient):
    """On the platform from 1 s at (0, 0). While the status is green it moves, at ``speed``
    (SPEED_MM_S unless told),
    toward a lit direction LED (up to ``reach_mm`` that way, less toward the back when
    ``short_back_mm`` is set), holds where it is while the centre LED is lit, and goes back to
    (0, 0) when nothing is lit; it sees the cues of one tick on the next. ``late_stop_s``: the
    first time the centre LED lights, it goes on moving this long before it holds (an
    overshoot)."""

    def __init__(
        self, reach_mm=60.0, short_back_mm=None, off_at_s=math.inf, late_stop_s=0.0, speed=None
    ):
        super().__init__(off_at_s=off_at_s)
        self.reach_mm = reach_mm
        self.speed_mm_s = speed or SPEED_MM_S
        self.short_back_mm = short_back_mm
        self.late_stop_s = late_stop_s
        self.pos = (0.0, 0.0)
        self.goal = (0.0, 0.0)
        self.centre_seen_s: float | None = None

    def see(self, cues, t):
        super().see(cues, t)
        if Light("centre", True) in cues:
            self.late_stop_s = 0.0 if self.centre_seen_s is not None else self.late_stop_s
            self.centre_seen_s = t

    def stand(self, t):
        leans = [d for d in self.lit if d in DIRECTIONS] if self.green else []
        if "centre" in self.lit and self.green:
            if t - self.centre_seen_s >= self.late_stop_s - 1e-9:
                self.goal = self.pos  # hold
        elif leans:
            reach = self.reach_mm
            if leans[0] == "back" and self.short_back_mm is not None:
                reach = self.short_back_mm
            ux, uy = DIRECTIONS[leans[0]]
            self.goal = (self.pos[0] + reach * ux, self.pos[1] + reach * uy)
            # a lean goes no further than reach from the middle
            self.goal = tuple(max(-reach, min(reach, g)) for g in self.goal)
        else:
            self.goal = (0.0, 0.0)
        gap = math.dist(self.pos, self.goal)
        step = self.speed_mm_s / RATE
        if gap <= step:
            self.pos = self.goal
        else:
            self.pos = tuple(
                p + step * (g - p) / gap for p, g in zip(self.pos, self.goal, strict=True)
            )
        return frame(t, ml=self.pos[0], ap=self.pos[1])


def test_four_targets_three_hits_one_miss():
    drill = make(targets=4, timeout_s=4)
    log = run(drill, Patient(short_back_mm=30.0), 60.0)
    assert [e["phase"] for e in drill.events] == [
        "waiting",
        "settling",
        "countdown",
        "recording",
        "completed",
    ]
    r = drill.events[3]["t_s"]
    rel = [(round(t - r, 2), c) for t, c in log if t >= r]
    # a hit: enter at 40 mm (0.34 s at 1.2 mm a tick: the centre LED replaces the direction
    # LED and the patient holds at 40.8 mm), stay 2 s; back inside 20 mm of the middle 0.18 s
    # later, half a second there: the next target lights 2.34 + 0.68 s after the first
    assert rel[:10] == [
        (0.0, Tone("start")),
        (0.0, Status("green")),
        (0.0, Light("left", True)),
        (0.34, Light("left", False)),
        (0.34, Light("centre", True)),
        (2.34, Light("centre", False)),
        (3.02, Light("right", True)),
        (3.36, Light("right", False)),
        (3.36, Light("centre", True)),
        (5.36, Light("centre", False)),
    ]
    end = round(3 * 3.02 + 4.0, 2)  # the back target times out after 4 s
    assert rel[-3:] == [(end, Light("back", False)), (end, Status("off")), (end, Tone("success"))]
    result = drill.result()
    assert result["state"] == "completed"
    assert [t["direction"] for t in result["targets"]] == ["left", "right", "front", "back"]
    assert [t["hit"] for t in result["targets"]] == [True, True, True, False]
    assert result["hits"] == 3 and result["misses"] == 1
    assert result["hit_rate_pct"] == pytest.approx(75.0)
    for target in result["targets"][:3]:
        assert target["time_to_target_s"] == pytest.approx(0.34)
        assert target["time_to_hit_s"] == pytest.approx(2.34)
        assert target["in_zone_s"] == pytest.approx(2.01)  # 201 samples from entry to hit
        assert target["overshoot_mm"] == 0.0 and target["exits"] == 0
    back = result["targets"][3]
    assert back["time_to_target_s"] is None and back["in_zone_s"] == 0.0
    assert back["overshoot_mm"] is None
    assert (back["centre_ml_mm"], back["centre_ap_mm"]) == (0.0, -60.0)
    assert result["time_to_target_s"] == pytest.approx(0.34)
    assert result["in_zone_s"] == pytest.approx(3 * 2.01)
    assert result["neutral_ml_mm"] == 0.0 and result["neutral_ap_mm"] == 0.0
    assert result["losses_of_balance"] == 0


def test_past_the_target_the_light_on_the_other_side_brings_the_patient_back():
    drill = make(targets=1, timeout_s=8)
    log = run(drill, Patient(reach_mm=150.0, late_stop_s=0.5), 60.0)  # 0.5 s late to stop
    r = drill.events[3]["t_s"]
    rel = [(round(t - r, 2), c) for t, c in log if t >= r]
    # the left target: 40.8 mm at 0.34 s, then on past the circle and its 5 mm margin (85 mm),
    # where the right LED lights: ease back
    assert (0.34, Light("centre", True)) in rel
    past = next(t for t, c in rel if c == Light("right", True))
    assert past == pytest.approx(0.34 + math.ceil((85.0 - 40.8) / 1.2) / RATE, abs=1e-9)
    result = drill.result()
    (target,) = result["targets"]
    assert target["hit"] is True and target["exits"] == 1
    assert target["overshoot_mm"] == pytest.approx(40.8 + 37 * 1.2 - 60.0)  # turned back at 85.2
    assert target["time_to_target_s"] == pytest.approx(0.34)


def test_a_faster_patient_who_overshoots_never_scores_worse():
    fast, slow = make(targets=4), make(targets=4)
    run(fast, Patient(reach_mm=150.0, late_stop_s=0.5, speed=200.0), 120.0)  # overshoots
    run(slow, Patient(speed=60.0), 120.0)
    f, s = fast.result(), slow.result()
    assert f["hit_rate_pct"] == s["hit_rate_pct"] == 100.0
    assert f["time_to_target_s"] < s["time_to_target_s"]
    assert f["overshoot_mm"] > s["overshoot_mm"] == 0.0


def test_random_order_is_shuffled_blocks_from_the_seed():
    seq = target_sequence(8, "random", seed=7)
    assert sorted(seq[:4]) == sorted(DIRECTIONS) and sorted(seq[4:]) == sorted(DIRECTIONS)
    assert seq == target_sequence(8, "random", seed=7)
    assert make(seed=7, order="random").sequence == seq
    assert target_sequence(6, "cycle", 0) == ["left", "right", "front", "back", "left", "right"]


def test_status_during_a_target():
    drill = make(targets=4)
    patient = Patient()
    run(drill, patient, 30.0, stop_in="recording")
    run(drill, patient, 1.0)
    status = drill.status()
    assert status["target"] == 1 and status["direction"] == "left"
    assert status["stage"] == "target" and 0 < status["target_time_left_s"] < 10
    assert 0 < status["held_s"] < 2 and status["hits"] == 0 and status["targets_total"] == 4
    # the live view draws the lit target: 60 mm left of neutral, 20 mm radius
    assert status["target_zone"] == {"ml_mm": -60.0, "ap_mm": 0.0, "radius_mm": 20.0}
    assert "home_zone" not in status
    run(drill, patient, 2.0)  # hit: now coming back to the middle
    status = drill.status()
    assert status["stage"] == "return to the middle" and "target_zone" not in status
    assert status["home_zone"] == {"ml_mm": 0.0, "ap_mm": 0.0, "radius_mm": 20.0}


def test_step_off_in_countdown_goes_back_to_waiting():
    drill = make()
    patient = Patient()
    run(drill, patient, 30.0, stop_in="countdown")
    assert drill.step(frame(drill.last_t_s + 0.01, 0.0)) == [AllOff(), Status("blue")]
    assert drill.phase.value == "waiting"


def test_step_off_while_recording_aborts_and_keeps_finished_targets():
    drill = make(targets=8)
    patient = Patient()
    run(drill, patient, 30.0, stop_in="recording")
    patient.off_at_s = drill.last_t_s + 5.0  # during the second target: a loss of balance
    log = run(drill, patient, 30.0)
    assert Status("blue") in [c for t, c in log if t == round(patient.off_at_s, 2)]
    assert [c for _, c in log][-2:] == [AllOff(), Tone("warning")]  # never back: stopped
    result = drill.result()
    assert result["state"] == "aborted"
    assert result["reason"] == (
        f"patient stepped off the platform and did not return within {RECOVER_S:g} s"
    )
    assert result["hits"] == 1 and len(result["targets"]) == 2
    assert result["targets"][1]["lost_balance"] is True and result["losses_of_balance"] == 1


@pytest.mark.parametrize("phase", ["waiting", "settling", "countdown", "recording"])
def test_stop_from_each_phase(phase):
    drill = make()
    patient = Patient()
    run(drill, patient, 30.0, stop_in=phase)
    if phase == "recording":
        run(drill, patient, 3.0)
    t = drill.last_t_s + 0.01
    assert drill.stop(t, "stopped by the therapist", tone="stop") == [AllOff(), Tone("stop")]
    result = drill.result()
    assert result["state"] == "aborted" and result["reason"] == "stopped by the therapist"
    assert drill.step(frame(t + 0.01)) == []
    assert len(result["targets"]) == (1 if phase == "recording" else 0)


@pytest.mark.parametrize(
    "params, name, text",
    [
        ({"targets": 0}, "targets", "outside 1-40"),
        ({"distance_mm": 200}, "distance_mm", "outside 20-150"),
        ({"distance_mm": 30, "target_radius_mm": 30}, "target_radius_mm", "smaller than"),
        ({"order": "zigzag"}, "order", "choose one of cycle, random"),
        ({"dwell_s": "long"}, "dwell_s", "expected a number"),
    ],
)
def test_bad_parameters_are_named(params, name, text):
    with pytest.raises(DrillParamError, match=text) as info:
        make(**params)
    assert info.value.param == name


def test_describe_lists_every_parameter_with_help():
    schema = WeightShift.describe()
    assert schema["name"] == "weight-shift"
    assert [p["name"] for p in schema["params"]] == [
        "targets",
        "distance_mm",
        "target_radius_mm",
        "dwell_s",
        "timeout_s",
        "order",
        "surface",
        "countdown_s",
    ]
    assert all(p["help"] for p in schema["params"])
