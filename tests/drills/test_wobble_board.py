"""wobble-board as a pure state machine: the spirit-level LEDs and the scores on a scripted tilt."""

import json
import math

import pytest

from drills.cues import AllOff, Instruct, Light, Status, Tone
from drills.errors import DrillParamError
from drills.wobble_board import TiltBand, WobbleBoard
from tests.drills import scripted
from tests.drills.scripted import RATE, TiltingPatient, make_drill, run_tilt

NAN = math.nan
# (ticks, pitch deg, roll deg) from the start of recording: level, front edge down, left edge
# down, front-right down, back down by 2.9 deg (still out: back in only at 2.7), back down by
# 2.6 deg (in), no IMU report for 1 s, level
SCRIPT = [
    (100, 0.5, 0.0),
    (100, 4.0, 0.0),
    (100, 0.0, -4.0),
    (100, 3.0, 3.0),
    (100, -2.9, 0.0),
    (100, -2.6, 0.0),
    (100, NAN, NAN),
    (300, 1.0, 0.0),
]


def make(**params):
    params = {"duration_s": 10, "countdown_s": 0} | params
    return make_drill(WobbleBoard, params)


def frame(t, pitch=0.0, roll=0.0, on=True):
    """A frame with 700 N on the platform (none when not ``on``); the board tilts at 2 deg/s
    (NaN rates with a NaN tilt: no IMU report)."""
    imu = not math.isnan(pitch)
    return scripted.frame(
        t,
        700.0 if on else 0.0,
        pitch_deg=pitch,
        roll_deg=roll,
        pitch_rate_deg_s=2.0 if imu else NAN,
        roll_rate_deg_s=0.0 if imu else NAN,
    )


class Patient(TiltingPatient):
    """On the board when ``on(t)``, tilting it as SCRIPT says from tick ``start_k``; level
    before, and as at its end after it."""

    def __init__(self, on, start_k):
        super().__init__(SCRIPT, start_k, end=SCRIPT[-1][1:], on=on)

    def tilted(self, t, pitch, roll):
        return frame(t, pitch, roll, self.on(t))


def run_script(drill, on=lambda t: True, until_s=15.0, start_k=99):
    """Feed frames at RATE with the script starting at tick ``start_k`` (where recording
    starts when standing from t = 0 with no countdown); returns [(tick - start_k, cue)]."""
    return run_tilt(drill, Patient(on, start_k), until_s)


def test_spirit_level_lights_the_side_that_is_down():
    drill = make()
    log = run_script(drill)
    assert drill.events[3] == {"t_s": pytest.approx(0.99), "phase": "recording"}
    assert log == [
        (-99, Status("blue")),
        (0, Status("amber")),
        (0, Instruct("hold-level")),
        (0, Tone("start")),
        (0, Status("green")),
        (0, Light("centre", True)),
        (100, Light("centre", False)),
        (100, Light("front", True)),
        (200, Light("front", False)),
        (200, Light("left", True)),
        (300, Light("left", False)),
        (300, Light("front", True)),  # a diagonal lights two
        (300, Light("right", True)),
        (400, Light("front", False)),
        (400, Light("right", False)),
        (400, Light("back", True)),  # 2.9 deg: still out of the 3 deg band
        (500, Light("back", False)),
        (500, Light("centre", True)),  # nothing while the tilt is missing (600-699)
        (1000, Light("centre", False)),
        (1000, Status("off")),
        (1000, Tone("success")),
    ]


def test_scores_by_hand():
    drill = make()
    run_script(drill)
    result = drill.result()
    assert result["state"] == "completed" and result["recorded_s"] == 10.0
    json.dumps(result, allow_nan=False)  # stored as JSON
    m = result["metrics"]
    # 900 ticks with a tilt; in band: 100 + 100 + 300; the missing second joins the last two
    assert m["time_in_band_s"] == pytest.approx(5.0)
    assert m["time_in_band_pct"] == pytest.approx(100 * 500 / 900)
    assert m["longest_in_band_s"] == pytest.approx(4.0)
    assert m["losses_of_level"] == 1 and m["mean_excursion_s"] == pytest.approx(4.0)
    tilts = [0.5] * 100 + [4.0] * 200 + [math.hypot(3, 3)] * 100 + [2.9] * 100 + [2.6] * 100
    tilts += [1.0] * 300
    assert m["mean_tilt_deg"] == pytest.approx(sum(tilts) / 900)
    assert m["rms_tilt_deg"] == pytest.approx(math.sqrt(sum(x * x for x in tilts) / 900))
    assert m["max_tilt_deg"] == pytest.approx(math.hypot(3, 3))
    assert m["missing_tilt_s"] == pytest.approx(1.0)
    assert m["mean_angular_speed_deg_s"] == pytest.approx(2.0)


def test_tilt_band_hysteresis_and_missing_tilts():
    band = TiltBand(3.0)
    assert band.update(NAN) is None  # nothing known yet
    assert [band.update(x) for x in (3.0, 3.1, 2.8, 2.7, 3.0, NAN, 3.05)] == [
        True,
        False,
        False,
        True,
        True,
        True,
        False,
    ]
    scores = band.scores(10.0)
    assert scores["excursions"] == 2 and scores["missing_tilt_s"] == pytest.approx(0.2)
    assert TiltBand(3.0).scores(10.0)["time_in_band_pct"] is None


def test_no_tilt_at_the_start_lights_nothing_until_there_is_one():
    drill = make(countdown_s=0)
    log = []
    for k in range(160):
        pitch = NAN if k < 130 else 0.0
        log += [(k, c) for c in drill.step(frame(k / RATE, pitch, pitch))]
    assert drill.status()["level"] is True
    assert [(k, c) for k, c in log if isinstance(c, Light)] == [(130, Light("centre", True))]


def test_status_while_recording():
    drill = make()
    run_script(drill, until_s=2.5)
    status = drill.status()
    assert status["phase"] == "recording" and status["level"] is False
    assert status["tilt_deg"] == 4.0 and status["lights"] == ["front"]
    assert status["remaining_s"] == pytest.approx(8.49)


def test_step_off_before_recording_waits_again_and_while_recording_aborts():
    drill = make(countdown_s=2)
    # settling at 0.5 s is cut short, the countdown at 2 s returns to waiting
    run_script(drill, on=lambda t: not (0.5 <= t < 0.6 or 2.0 <= t < 2.5), until_s=2.6)
    phases = [e["phase"] for e in drill.events]
    assert phases == [
        "waiting",
        "settling",
        "waiting",
        "settling",
        "countdown",
        "waiting",
        "settling",
    ]
    drill = make()
    log = run_script(drill, on=lambda t: t < 4.0)
    result = drill.result()
    assert result["state"] == "aborted"
    assert result["reason"] == "lost balance: stepped off the platform"
    assert [c for _, c in log][-2:] == [AllOff(), Tone("warning")]
    assert result["metrics"] is None and result["recorded_s"] == pytest.approx(3.01)


@pytest.mark.parametrize(
    "until_s, phase", [(0.1, "waiting"), (0.5, "settling"), (1.5, "countdown"), (5.0, "recording")]
)
def test_stop_from_each_phase_turns_everything_off_first(until_s, phase):
    drill = make(countdown_s=3)
    run_script(drill, on=lambda t: t >= 0.2, until_s=until_s)
    assert drill.phase.value == phase
    assert drill.stop(until_s, "IMU stopped sending samples") == [AllOff(), Tone("warning")]
    result = drill.result()
    assert result["state"] == "aborted" and result["reason"] == "IMU stopped sending samples"
    assert drill.step(frame(until_s + 0.01)) == []


@pytest.mark.parametrize(
    "params, name, text",
    [
        ({"band_deg": 0.5}, "band_deg", "outside 1-10 °"),
        ({"duration_s": 5}, "duration_s", "outside 10-120 s"),
        ({"tilt": 3}, "tilt", "unknown parameter"),
    ],
)
def test_bad_parameters_are_named(params, name, text):
    with pytest.raises(DrillParamError, match=text) as info:
        make(**params)
    assert info.value.param == name


def test_needs_both_sensors():
    assert WobbleBoard.describe()["needs"] == ["loadcells", "imu"]
