"""postural-hold as a pure state machine on IMU-only frames (nobody on the platform)."""

import json
import math

import pytest

from drills.cues import AllOff, Instruct, Light, Status, Tone
from drills.errors import DrillParamError
from drills.postural_hold import NUDGE_TONE, PosturalHold
from tests.drills import scripted
from tests.drills.scripted import RATE, TiltingPatient, make_drill, run_tilt

NAN = math.nan
# (ticks, pitch deg, roll deg) from the start of recording: upright, leaning forward 6 deg for
# 5 s, 4.6 deg (still out of the 5 deg band: back in only at 4.5), upright, leaning left, no
# IMU report, forward-left, forward, upright
SCRIPT = [
    (100, 1.0, 0.0),
    (500, 6.0, 0.0),
    (100, 4.6, 0.0),
    (100, 2.0, 0.0),
    (50, 0.0, -6.0),
    (50, NAN, NAN),
    (50, 6.0, -6.0),
    (50, 6.5, 0.0),
]


def make(**params):
    # a 5 deg band, which the script's leans were drawn around (the drill's default is 2 deg)
    params = {"duration_s": 12, "countdown_s": 0, "band_deg": 5.0} | params
    return make_drill(PosturalHold, params)


def frame(t, pitch=0.0, roll=0.0):
    """An IMU-only frame: no load, no COP."""
    return scripted.frame(t, 0.0, pitch_deg=pitch, roll_deg=roll)


class Patient(TiltingPatient):
    """Off the platform, the IMU on the trunk, leaning as SCRIPT says from tick ``start_k``."""

    def __init__(self, start_k):
        super().__init__(SCRIPT, start_k, on=lambda t: False)

    def tilted(self, t, pitch, roll):
        return frame(t, pitch, roll)


def run_script(drill, until_s=20.0, start_k=0):
    """Feed the script from tick ``start_k``; returns [(tick - start_k, cue)]."""
    return run_tilt(drill, Patient(start_k), until_s)


def test_counts_down_at_once_without_load_and_cues_only_out_of_band():
    drill = make()
    log = run_script(drill)
    assert [e["phase"] for e in drill.events] == ["waiting", "countdown", "recording", "completed"]
    nudge = Tone(NUDGE_TONE)
    assert log == [
        (0, Status("blue")),
        (0, Status("amber")),
        (0, Instruct("stand-upright")),
        (0, Tone("start")),
        (0, Status("green")),
        (100, Light("front", True)),
        (100, nudge),
        (300, nudge),  # a reminder every 2 s while the lean lasts
        (500, nudge),
        (700, Light("front", False)),  # back in the band: cues off
        (800, Light("left", True)),
        (800, nudge),
        (900, Light("front", True)),  # 1 s after the last beep: no beep
        (950, Light("left", False)),
        (1000, Light("front", False)),
        (1200, Status("off")),
        (1200, Tone("success")),
    ]


def test_scores_by_hand():
    drill = make()
    run_script(drill)
    m = drill.result()["metrics"]
    json.dumps(drill.result(), allow_nan=False)  # stored as JSON
    # 1150 ticks with a tilt; in the band 100 + 100 + 200; out 600 and 150 (NaN left out)
    assert m["time_in_band_pct"] == pytest.approx(100 * 400 / 1150)
    assert m["time_in_band_s"] == pytest.approx(4.0)
    assert m["excursions"] == 2 and m["mean_excursion_s"] == pytest.approx(3.75)
    assert m["max_tilt_deg"] == pytest.approx(math.hypot(6, 6))
    assert m["missing_tilt_s"] == pytest.approx(0.5)
    assert drill.result()["recorded_s"] == 12.0


@pytest.mark.parametrize(
    "axis, lights",
    [
        ("forward-back", [(100, "front", True), (700, "front", False), (900, "front", True)]),
        ("side", [(800, "left", True), (950, "left", False)]),
    ],
)
def test_one_axis_ignores_the_other(axis, lights):
    drill = make(axis=axis)
    log = run_script(drill)
    assert [(k, c.name, c.on) for k, c in log if isinstance(c, Light)] == [
        *lights,
        *([(1000, "front", False)] if axis == "forward-back" else []),
    ]
    expected_max = 6.5 if axis == "forward-back" else 6.0
    assert drill.result()["metrics"]["max_tilt_deg"] == pytest.approx(expected_max)


def test_countdown_beeps_then_records():
    drill = make(countdown_s=3)
    log = run_script(drill, until_s=3.5, start_k=300)
    beeps = [k for k, c in log if c == Tone("countdown")]
    assert beeps == [-300, -200, -100]
    assert (0, Tone("start")) in log
    assert drill.status()["remaining_s"] == pytest.approx(11.5)
    assert drill.status()["in_band"] is True


def test_a_missing_tilt_keeps_the_cues():
    drill = make()
    log = []
    for k in range(300):
        pitch = 7.0 if k < 100 else NAN
        log += [c for c in drill.step(frame(k / RATE, pitch, 0.0))]
    assert Light("front", True) in log and Light("front", False) not in log
    assert drill.lit == {"front"} and drill.status()["tilt_deg"] is None


@pytest.mark.parametrize(
    "until_s, phase", [(0.0, "waiting"), (1.5, "countdown"), (4.0, "recording")]
)
def test_stop_from_each_phase_turns_everything_off_first(until_s, phase):
    drill = make(countdown_s=3)
    run_script(drill, until_s=until_s, start_k=300)
    assert drill.phase.value == phase
    cues = drill.stop(until_s, "stopped by the therapist", tone="stop")
    assert cues == [AllOff(), Tone("stop")]
    assert drill.result()["state"] == "aborted" and drill.result()["metrics"] is None
    assert drill.step(frame(until_s + 0.01)) == []


@pytest.mark.parametrize(
    "params, name, text",
    [
        ({"band_deg": 25}, "band_deg", "outside 1-20 °"),
        ({"axis": "twist"}, "axis", "choose one of both, forward-back, side"),
        ({"duration_s": 0}, "duration_s", "outside 10-300 s"),
    ],
)
def test_bad_parameters_are_named(params, name, text):
    with pytest.raises(DrillParamError, match=text) as info:
        make(**params)
    assert info.value.param == name


def test_needs_only_the_imu():
    assert PosturalHold.describe()["needs"] == ["imu"]
