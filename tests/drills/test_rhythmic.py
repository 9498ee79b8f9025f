"""rhythmic-weight-shift as a pure state machine, fed by a scripted patient who follows the
metronome's lights."""

import math

import pytest

from drills.cues import AllOff, Light, Status, Tone
from drills.errors import DrillParamError
from drills.rhythmic import RhythmicWeightShift
from tests.drills.scripted import ScriptedPatient, frame, make_drill, run

STEP_MM = 2.4  # the patient moves 240 mm/s
LEANS = {"left": (-1, 0), "right": (1, 0), "front": (0, 1), "back": (0, -1)}


def make(**params):
    return make_drill(RhythmicWeightShift, params)


class Patient(ScriptedPatient):
    """On the platform from 1 s at (0, 0); while the status is green it moves toward the lit
    direction LED, ``reach_mm`` along that axis, at STEP_MM a tick from the tick after the cue.
    Its COP drifts across the axis by ``cross`` times its along-axis position (front when it
    goes right or back)."""

    def __init__(self, reach_mm=60.0, cross=0.0, off_at_s=math.inf):
        super().__init__(off_at_s=off_at_s)
        self.reach_mm, self.cross = reach_mm, cross
        self.axis = 0  # 0 ML, 1 AP: the axis of the last lit LED
        self.along = 0.0  # position along that axis, + toward right / back

    def stand(self, t):
        side = next((d for d in sorted(self.lit) if d in LEANS), None) if self.green else None
        if side is not None:
            ux, uy = LEANS[side]
            self.axis = 0 if ux else 1
            goal = self.reach_mm * (ux or -uy)  # along: + right, + back
            self.along += max(-STEP_MM, min(STEP_MM, goal - self.along))
        if self.axis == 0:
            return frame(t, ml=self.along, ap=self.cross * self.along)
        return frame(t, ml=self.cross * self.along, ap=-self.along)


def test_fast_side_to_side_cues_and_scores():
    drill = make(pace="fast", duration_s=10, amplitude_mm=50)
    log = run(drill, Patient(cross=0.25), 30.0)
    assert [e["phase"] for e in drill.events][-2:] == ["recording", "completed"]
    r = drill.events[3]["t_s"]
    rel = [(round(t - r, 2), c) for t, c in log if t >= r]
    assert rel[:11] == [
        (0.0, Tone("start")),
        (0.0, Status("green")),
        (1.0, Tone("metronome")),
        (1.0, Light("centre", False)),
        (1.0, Light("left", True)),
        (1.21, Light("centre", True)),  # 50 mm at 2.4 mm a tick: 21 ticks
        (2.0, Tone("metronome")),
        (2.0, Light("centre", False)),
        (2.0, Light("left", False)),
        (2.0, Light("right", True)),
        (2.46, Light("centre", True)),  # from -60 to +50 mm: 46 ticks
    ]
    assert rel[-2:] == [(10.0, AllOff()), (10.0, Tone("success"))]
    result = drill.result()
    assert result["state"] == "completed" and result["recorded_s"] == pytest.approx(10.0)
    assert result["beats"] == 9 and result["beats_reached"] == 9
    assert result["rhythm_pct"] == pytest.approx(100.0)
    assert result["lag_mean_s"] == pytest.approx((0.21 + 8 * 0.46) / 9)
    assert [b["side"] for b in result["beat_log"][:3]] == ["left", "right", "left"]
    # ML path 60 + 8 * 120 mm in 10 s; AP moves a quarter as much: (1 - 0.25) * 100%
    assert result["on_axis_velocity_mm_s"] == pytest.approx(102.0, rel=0.03)
    assert result["off_axis_path_mm"] == pytest.approx(0.25 * result["on_axis_path_mm"])
    assert result["directional_control_pct"] == pytest.approx(75.0)
    assert result["quality"]["ok"]


def test_front_to_back_slow_starts_front_and_scores_ap():
    drill = make(pace="slow", axis="front-to-back", duration_s=10)
    log = run(drill, Patient(), 30.0)
    cues = [c for _, c in log]
    assert cues.index(Light("front", True)) < cues.index(Light("back", True))
    result = drill.result()
    assert result["beats"] == 4 and result["pace_per_min"] == 30  # beats at 2, 4, 6, 8 s
    assert result["beats_reached"] == 4
    assert result["directional_control_pct"] == pytest.approx(100.0)
    assert result["on_axis_velocity_mm_s"] == pytest.approx((60 + 3 * 120) / 10, rel=0.03)


def test_short_shifts_reach_no_beat():
    drill = make(pace="medium", duration_s=10, amplitude_mm=50)
    run(drill, Patient(reach_mm=45.0), 30.0)
    result = drill.result()
    assert result["beats"] == 6  # every 4/3 s, the last window ends by 9.33 s
    assert result["beats_reached"] == 0 and result["rhythm_pct"] == 0.0
    assert result["lag_mean_s"] is None


class StaysLeft(Patient):
    """Leans left at the first beat and stays there, whatever the lights say."""

    def stand(self, t):
        if self.green and self.lit & set(LEANS):
            self.along += max(-STEP_MM, min(STEP_MM, -self.reach_mm - self.along))
        return frame(t, ml=self.along)


class Anticipates(Patient):
    """Keeps time with the metronome: from the third beat on, sets off toward the side due
    next ``lead_s`` before its beat (the period taken from the beats so far)."""

    def __init__(self, lead_s=0.6, **kwargs):
        super().__init__(**kwargs)
        self.lead_s = lead_s
        self.beats: list[tuple[float, str]] = []  # (time, side) of each new side lit

    def stand(self, t):
        side = next((d for d in sorted(self.lit) if d in LEANS), None) if self.green else None
        if side is not None and (not self.beats or self.beats[-1][1] != side):
            self.beats.append((t, side))
        if len(self.beats) >= 2 and side is not None:
            (t0, previous), (t1, _) = self.beats[-2:]
            if t >= t1 + (t1 - t0) - self.lead_s:
                side = previous  # the side lit next: the one lit before this one
        if side is not None:
            goal = self.reach_mm * LEANS[side][0]
            self.along += max(-STEP_MM, min(STEP_MM, goal - self.along))
        return frame(t, ml=self.along)


def test_staying_on_one_side_reaches_only_the_beat_shifted_to():
    """A patient who leans left and stays there is not "there" on every later left beat: a
    beat is reached by a shift, coming from the other side of neutral since the beat before."""
    drill = make(pace="fast", duration_s=10, amplitude_mm=50)
    log = run(drill, StaysLeft(), 30.0)
    result = drill.result()
    assert (
        result["beats"] == 9 and [b["reached"] for b in result["beat_log"]] == [True] + [False] * 8
    )
    assert result["rhythm_pct"] == pytest.approx(100 / 9)
    assert [c for _, c in log].count(Light("centre", True)) == 1  # "you are there" once


def test_arriving_just_before_the_beat_reaches_it_without_lag():
    """A patient who keeps time and gets to the side as its beat comes has shifted there from
    the other side: the beat is reached, with no lag."""
    drill = make(pace="slow", duration_s=20, amplitude_mm=50)
    run(drill, Anticipates(lead_s=0.6), 40.0)
    result = drill.result()
    log = result["beat_log"]
    assert result["beats"] == 9 and all(b["reached"] for b in log)
    assert [b["lag_s"] for b in log[2:]] == [0.0] * 7  # from -60 to +50 mm in 0.46 s < 0.6 s
    assert log[0]["lag_s"] == pytest.approx(0.21) and log[1]["lag_s"] == pytest.approx(0.46)


def test_status_while_recording():
    drill = make(pace="fast", duration_s=10)
    patient = Patient()
    run(drill, patient, 30.0, stop_in="recording")
    run(drill, patient, 2.5)
    status = drill.status()
    assert status["phase"] == "recording" and status["beat"] == 2 and status["side"] == "right"
    assert status["beats"] == 9 and status["beats_reached"] == 2
    assert status["pace_per_min"] == 60 and 7 < status["remaining_s"] < 8
    # the live view marks how far to shift: amplitude to the right of neutral
    assert status["target_zone"] == {"ml_mm": 50.0, "ap_mm": 0.0, "radius_mm": None}


def test_step_off_in_countdown_goes_back_to_waiting():
    drill = make()
    run(drill, Patient(), 30.0, stop_in="countdown")
    assert drill.step(frame(drill.last_t_s + 0.01, 0.0)) == [AllOff(), Status("blue")]
    assert drill.phase.value == "waiting"


def test_step_off_while_recording_aborts_and_keeps_scores():
    drill = make(pace="fast", duration_s=10)
    patient = Patient()
    run(drill, patient, 30.0, stop_in="recording")
    patient.off_at_s = drill.last_t_s + 4.0
    log = run(drill, patient, 30.0)
    assert [c for _, c in log][-2:] == [AllOff(), Tone("warning")]
    result = drill.result()
    assert (
        result["state"] == "aborted"
        and result["reason"] == "lost balance: stepped off the platform"
    )
    assert result["beats"] == 3 and result["recorded_s"] == pytest.approx(4.0)
    assert result["on_axis_velocity_mm_s"] > 0


@pytest.mark.parametrize("phase", ["waiting", "settling", "countdown", "recording"])
def test_stop_from_each_phase(phase):
    drill = make(pace="fast")
    patient = Patient()
    run(drill, patient, 30.0, stop_in=phase)
    if phase == "recording":
        run(drill, patient, 2.5)
    t = drill.last_t_s + 0.01
    assert drill.stop(t, "stopped by the therapist", tone="stop") == [AllOff(), Tone("stop")]
    result = drill.result()
    assert result["state"] == "aborted" and result["reason"] == "stopped by the therapist"
    assert drill.step(frame(t + 0.01)) == []
    assert result["beats"] == (2 if phase == "recording" else 0)


@pytest.mark.parametrize(
    "params, name, text",
    [
        ({"pace": "brisk"}, "pace", "choose one of slow, medium, fast"),
        ({"axis": "diagonal"}, "axis", "choose one of side-to-side, front-to-back"),
        ({"amplitude_mm": 5}, "amplitude_mm", "outside 10-150"),
        ({"duration_s": 1000}, "duration_s", "outside 10-300"),
    ],
)
def test_bad_parameters_are_named(params, name, text):
    with pytest.raises(DrillParamError, match=text) as info:
        make(**params)
    assert info.value.param == name


def test_describe_lists_every_parameter_with_help():
    schema = RhythmicWeightShift.describe()
    assert schema["name"] == "rhythmic-weight-shift"
    assert [p["name"] for p in schema["params"]] == [
        "pace",
        "axis",
        "duration_s",
        "amplitude_mm",
        "surface",
        "countdown_s",
    ]
    assert all(p["help"] for p in schema["params"])


def test_a_result_names_its_axis_so_trends_keep_the_axes_apart():
    """The progress page draws one line per condition: shifts side to side and front to back
    are different exercises, and their results must not share a line."""
    conditions = set()
    for axis in ("side-to-side", "front-to-back"):
        drill = make(pace="slow", axis=axis, duration_s=10)
        run(drill, Patient(), 30.0)
        conditions.add(RhythmicWeightShift.condition_words(drill.result()))
    assert conditions == {"side to side, 30 shifts a minute", "front to back, 30 shifts a minute"}
