"""weight-bearing as a pure state machine, fed by a scripted patient who reacts to its cues."""

import math

import pytest

from drills.cues import AllOff, Light, Status, Tone
from drills.errors import DrillParamError, DrillSubjectError
from drills.weight_bearing import WeightBearing, patient_corner_forces
from sensing.frame import Frame
from tests.drills.scripted import RATE, ScriptedPatient, make_drill, run

WEIGHT_KG = 70.0
BW_N = WEIGHT_KG * 9.80665
HALF_W_MM, HALF_D_MM = 216.5, 119.0  # Wii-sized cell rectangle
FEET_APART_MM = 180.0  # the drill's default


def make(weight_kg=WEIGHT_KG, **params):
    return make_drill(WeightBearing, params, subject={"weight_kg": weight_kg})


def frame(t, load_n=BW_N, left_pct=50.0, front_pct=50.0):
    """A frame with ``left_pct`` of the load on the left foot (feet FEET_APART_MM apart on the
    markings) and ``front_pct`` on the front cells (433 x 238 mm cell rectangle)."""
    if load_n < 20:
        return Frame(t, (0.0,) * 4, load_n, math.nan, math.nan)
    ml = FEET_APART_MM / 2 * (1 - 2 * left_pct / 100)
    ap = HALF_D_MM * (2 * front_pct / 100 - 1)
    cells_left_pct = 50 - 100 * ml / (2 * HALF_W_MM)
    forces = tuple(patient_corner_forces([load_n], [cells_left_pct], [front_pct])[0])
    return Frame(
        t,
        forces,
        load_n,
        ml,
        ap,
        cop_ml_live_mm=ml,
        cop_ap_live_mm=ap,
        load_left_pct=cells_left_pct,
        load_front_pct=front_pct,
    )


class Patient(ScriptedPatient):
    """Steps on at 1 s with 45% on the left (operated) leg. Once recording starts it overloads
    the leg (60%) from 2 s until 0.5 s after the right LED lights (then 40%: it shifts toward the
    lit side), hovers at the limit (50.5% / 49% every 0.1 s) from 5 to 6.5 s, then 45%."""

    def __init__(self, off_at_s=math.inf):
        super().__init__(off_at_s=off_at_s)
        self.recording_from = None
        self.right_lit_at = None

    def see(self, cues, t):
        super().see(cues, t)
        for cue in cues:
            if cue == Tone("start"):
                self.recording_from = t
            if cue == Light("right", True) and self.right_lit_at is None:
                self.right_lit_at = t

    def stand(self, t):
        if self.recording_from is None:
            return frame(t, left_pct=45.0)
        i = round((t - self.recording_from) * RATE)  # sample index in the recording
        if 200 <= i < 500:
            reacted = self.right_lit_at is not None and t - self.right_lit_at >= 0.5 - 1e-9
            return frame(t, left_pct=40.0 if reacted else 60.0)
        if 500 <= i < 650:
            return frame(t, left_pct=50.5 if (i - 500) // 10 % 2 == 0 else 49.0)
        return frame(t, left_pct=45.0)


def test_full_session_cues_and_scores():
    drill = make(duration_s=10, limit_pct=50)
    patient = Patient()
    log = run(drill, patient, 30.0)
    assert [e["phase"] for e in drill.events] == [
        "waiting",
        "settling",
        "countdown",
        "recording",
        "completed",
    ]
    r = patient.recording_from
    rel = [(round(t - r, 2), c) for t, c in log if t >= r]
    assert rel == [
        (0.0, Tone("start")),
        (0.0, Status("green")),
        (2.0, Status("red")),
        (2.0, Light("right", True)),
        (2.0, Tone("warning")),
        (2.5, Status("green")),  # 40% is under 50 - 2
        (2.5, Light("right", False)),
        (5.0, Status("red")),  # hovering at the limit: one exceedance, not eight
        (5.0, Light("right", True)),
        (5.0, Tone("warning")),
        (6.0, Tone("warning")),  # repeated once a second
        (6.5, Status("green")),
        (6.5, Light("right", False)),
        (10.0, AllOff()),
        (10.0, Tone("success")),
    ]
    result = drill.result()
    assert result["state"] == "completed"
    assert result["recorded_s"] == pytest.approx(10.0)
    assert result["exceedances"] == 2
    # 50 samples at 60% and 8 blocks of 10 at 50.5%
    assert result["over_limit_s"] == pytest.approx(1.3)
    assert result["over_limit_pct"] == pytest.approx(13.0)
    assert result["longest_over_limit_s"] == pytest.approx(0.5)
    assert result["peak_load_bw_pct"] == pytest.approx(60.0)
    # (200*45 + 50*60 + 250*40 + 80*50.5 + 70*49 + 350*45) / 1000 on the left
    assert result["load_left_bw_pct"] == pytest.approx(45.22)
    assert result["load_right_bw_pct"] == pytest.approx(54.78)
    assert result["load_total_bw_pct"] == pytest.approx(100.0)
    assert result["symmetry_index_lr_pct"] == pytest.approx(100 * (54.78 - 45.22) / 50)
    assert result["quality"]["ok"]
    assert result["body_weight_n"] == pytest.approx(686.5, abs=0.05)


def test_right_side_uses_the_right_share_and_lights_the_left():
    drill = make(duration_s=10, side="right", limit_pct=30)
    log = run(drill, Patient(), 30.0)  # the right carries 55% at rest: over from the start
    assert (Light("left", True)) in [c for _, c in log]
    result = drill.result()
    assert result["exceedances"] == 1
    assert result["peak_load_bw_pct"] == pytest.approx(55.0)  # 45% on the left at rest


def test_status_shows_live_load_and_limit():
    drill = make(duration_s=10)
    patient = Patient()
    run(drill, patient, 30.0, stop_in="recording")
    run(drill, patient, 3.0)
    status = drill.status()
    assert status["phase"] == "recording"
    assert status["side"] == "left" and status["limit_bw_pct"] == 50.0
    assert status["operated_load_bw_pct"] is not None
    assert status["exceedances"] == 1 and 0 < status["remaining_s"] < 10
    assert status["over_limit_s"] == pytest.approx(0.5)  # 60% from 2 s until it reacted


def test_step_off_in_countdown_goes_back_to_waiting():
    drill = make(duration_s=10)
    patient = Patient()
    run(drill, patient, 30.0, stop_in="countdown")
    t = drill.last_t_s
    cues = drill.step(frame(t + 0.01, 0.0))
    assert cues == [AllOff(), Status("blue")]
    assert drill.phase.value == "waiting"


def test_step_off_while_recording_aborts_and_keeps_scores():
    drill = make(duration_s=10)
    patient = Patient()
    run(drill, patient, 30.0, stop_in="recording")
    patient.off_at_s = patient.recording_from + 3.0
    log = run(drill, patient, 30.0)
    assert [c for _, c in log][-2:] == [AllOff(), Tone("warning")]
    result = drill.result()
    assert result["state"] == "aborted"
    assert result["reason"] == "lost balance: stepped off the platform"
    assert result["recorded_s"] == pytest.approx(3.0)
    assert result["exceedances"] == 1 and result["over_limit_s"] == pytest.approx(0.5)


@pytest.mark.parametrize("phase", ["waiting", "settling", "countdown", "recording"])
def test_stop_from_each_phase(phase):
    drill = make(duration_s=10)
    patient = Patient()
    run(drill, patient, 30.0, stop_in=phase)
    if phase == "recording":
        run(drill, patient, 3.0)
    t = drill.last_t_s + 0.01
    assert drill.stop(t, "stopped by the therapist", tone="stop") == [AllOff(), Tone("stop")]
    result = drill.result()
    assert result["state"] == "aborted" and result["reason"] == "stopped by the therapist"
    assert drill.events[-1]["phase"] == "aborted"
    assert drill.step(frame(t + 0.01)) == []
    assert (result["recorded_s"] > 0) == (phase == "recording")


def test_missing_weight_is_a_subject_error():
    with pytest.raises(DrillSubjectError, match="weight"):
        make(weight_kg=None)
    assert WeightBearing.describe()["subject_fields"] == ["weight_kg"]


@pytest.mark.parametrize(
    "params, name, text",
    [
        ({"limit_pct": 5}, "limit_pct", "outside 10-100"),
        ({"limit_pct": 120}, "limit_pct", "outside 10-100"),
        ({"side": "middle"}, "side", "choose one of left, right"),
        ({"duration_s": 2}, "duration_s", "outside"),
        ({"tolerance": 3}, "tolerance", "unknown parameter"),
    ],
)
def test_bad_parameters_are_named(params, name, text):
    with pytest.raises(DrillParamError, match=text) as info:
        make(**params)
    assert info.value.param == name


def test_describe_lists_every_parameter_with_help():
    schema = WeightBearing.describe()
    assert schema["name"] == "weight-bearing"
    assert [p["name"] for p in schema["params"]] == [
        "side",
        "limit_pct",
        "duration_s",
        "feet_apart_mm",
        "countdown_s",
    ]
    assert all(p["help"] for p in schema["params"])


def test_the_limit_applies_to_the_foot_not_to_the_cells_under_it():
    drill = make(duration_s=10, limit_pct=35)
    cues = []
    for i in range(2000):
        cues += drill.step(frame(i / RATE, left_pct=30.0))
    # 30% on the left foot puts about 42% on the left cells: no warning is due
    assert frame(0.0, left_pct=30.0).load_left_pct == pytest.approx(41.7, abs=0.1)
    assert Tone("warning") not in cues and drill.result()["load_left_bw_pct"] == pytest.approx(30)
    drill = make(duration_s=10, limit_pct=35, feet_apart_mm=300)
    cues = []
    for i in range(2000):  # the same COP between feet 300 mm apart is 38% on the left foot
        cues += drill.step(frame(i / RATE, left_pct=30.0))
    assert Tone("warning") in cues
    assert drill.result()["load_left_bw_pct"] == pytest.approx(38.0)
