"""quiet-stance as a pure state machine fed synthetic frames."""

import numpy as np
import pytest

from drills.catalog import drill_class
from drills.cues import AllOff, Instruct, Status, Tone
from drills.errors import DrillParamError, UnknownDrillError
from drills.quiet_stance import QuietStance
from station.results.measures import scored_parts
from tests.drills.scripted import ScriptedPatient, frame, make_drill, run


def make(**params):
    return make_drill(QuietStance, params)


class Patient(ScriptedPatient):
    """Stands 5 mm in front of the middle, swaying at random by 0.5 mm (SD, each axis, a fresh
    draw each tick from a generator seeded with 1)."""

    def __init__(self, on=None):
        super().__init__(on=on)
        self.rng = np.random.default_rng(1)
        self.sway = (0.0, 0.0)

    def frame(self, t):
        self.sway = self.rng.normal(0, 0.5, 2)  # drawn on the platform or off it
        return super().frame(t)

    def stand(self, t):
        return frame(t, ml=self.sway[0], ap=5 + self.sway[1])


def test_full_trial_phases_cues_and_metrics():
    drill = make(duration_s=10)
    log = run(drill, Patient(), 30.0)
    phases = [e["phase"] for e in drill.events]
    assert phases == ["waiting", "settling", "countdown", "recording", "completed"]
    cues = [c for _, c in log]
    assert cues == [
        Status("blue"),
        Status("amber"),
        Instruct("eyes-open"),
        Instruct("firm-surface"),
        Tone("countdown"),
        Tone("countdown"),
        Tone("countdown"),
        Tone("start"),
        Status("green"),
        Status("off"),
        Tone("success"),
    ]
    times = [t for t, c in log if isinstance(c, Tone)]
    # one beep a second, recording starts a second after the last beep, lasts 10 s
    assert times[1] - times[0] == pytest.approx(1.0)
    assert times[2] - times[1] == pytest.approx(1.0)
    assert times[3] - times[2] == pytest.approx(1.0)
    assert times[4] - times[3] == pytest.approx(10.0)
    settle_start = drill.events[1]["t_s"]
    assert settle_start == pytest.approx(1.0)
    assert drill.events[2]["t_s"] - settle_start == pytest.approx(0.99, abs=0.02)  # 1 s window
    result = drill.result()
    assert result["state"] == "completed" and result["reason"] is None
    assert result["metrics"]["n_samples"] == 1000
    assert result["metrics"]["duration_s"] == pytest.approx(10.0)
    assert 0 < result["metrics"]["area_ellipse95_cm2"] < 1.0  # 0.5 mm noise: tiny area
    assert result["conventions"]["ellipse"].startswith("95% prediction")


def test_step_off_during_countdown_returns_to_waiting():
    drill = make(duration_s=5)
    # on from 1 s, off at 2.5 s (during countdown), back on at 4 s
    log = run(drill, Patient(on=lambda t: 1.0 <= t < 2.5 or t >= 4.0), 30.0)
    phases = [e["phase"] for e in drill.events]
    assert phases[:5] == ["waiting", "settling", "countdown", "waiting", "settling"]
    assert phases[-1] == "completed"
    assert AllOff() in [c for _, c in log]


def test_step_off_while_recording_aborts_with_reason_and_warning():
    drill = make(duration_s=10)
    log = run(drill, Patient(on=lambda t: 1.0 <= t < 8.0), 30.0)
    result = drill.result()
    assert result["state"] == "aborted"
    assert result["reason"] == "lost balance: stepped off the platform"
    assert result["metrics"] is None
    assert result["recorded_s"] > 2.0
    assert [c for _, c in log][-2:] == [AllOff(), Tone("warning")]
    assert drill.events[-1] == {
        "t_s": pytest.approx(8.0, abs=0.02),
        "phase": "aborted",
        "reason": "lost balance: stepped off the platform",
    }


def test_stop_from_any_phase_ends_safely_once():
    drill = make()
    run(drill, Patient(), 0.5)  # still waiting
    assert drill.stop(0.5, "stopped by the therapist", tone="stop") == [AllOff(), Tone("stop")]
    assert drill.finished and drill.result()["state"] == "aborted"
    assert drill.stop(0.6, "again") == []
    assert drill.step(frame(0.7)) == []


def test_status_shows_countdown_and_remaining_time():
    drill = make(duration_s=10)
    run(drill, Patient(), 3.0)
    status = drill.status()
    assert status["phase"] == "countdown" and status["countdown_s"] in (1, 2, 3)
    run(drill, Patient(), 3.0)  # to 6 s
    status = drill.status()
    assert status["phase"] == "recording" and 0 < status["remaining_s"] <= 10


@pytest.mark.parametrize(
    "params, name, text",
    [
        ({"duration_s": 2}, "duration_s", "outside 5-120 s"),
        ({"duration_s": "long"}, "duration_s", "expected a number"),
        ({"duration_s": float("nan")}, "duration_s", "finite"),
        ({"countdown_s": 1.5}, "countdown_s", "whole number"),
        ({"speed": 3}, "speed", "unknown parameter"),
    ],
)
def test_bad_parameters_are_named(params, name, text):
    with pytest.raises(DrillParamError, match=text) as info:
        make(**params)
    assert info.value.param == name


def test_catalog_lookup():
    assert drill_class("quiet-stance") is QuietStance
    with pytest.raises(UnknownDrillError, match=r"known drills: .*quiet-stance"):
        drill_class("moonwalk")
    schema = QuietStance.describe()
    assert schema["params"][0] == {
        "name": "duration_s",
        "type": "float",
        "default": 60.0,  # the published norms' trials lasted 60 s
        "minimum": 5.0,
        "maximum": 120.0,
        "unit": "s",
        "label": "Duration",
        "help": "How long the patient stands still (60 s: as long as the published norms' trials).",
    }


def test_on_foam_with_eyes_closed_the_patient_is_told_and_brought_back_after():
    drill = make(duration_s=10, eyes="closed", surface="foam")
    log = run(drill, Patient(), 30.0)
    said = [c.code for _, c in log if isinstance(c, Instruct)]
    assert said == ["eyes-closed", "foam-surface", "eyes-open", "firm-surface"]
    result = drill.result()
    assert (result["eyes"], result["surface"]) == ("closed", "foam")
    [part] = scored_parts({"drill": "quiet-stance", "result": result, "events": drill.events})
    assert (part["eyes"], part["surface"]) == ("closed", "foam")
    assert part["condition"] == "eyes closed, foam pad"
    # an everyday trial says nothing more at its end, and a stop in another condition does
    plain = make(duration_s=10)
    assert [c for _, c in run(plain, Patient(), 30.0)][-1] == Tone("success")
    stopped = make(duration_s=10, eyes="closed")
    run(stopped, Patient(), 6.0)
    cues = stopped.stop(stopped.last_t_s, "stopped by the therapist", tone="stop")
    # on the platform already: only the eyes are said
    assert cues[-2:] == [Tone("stop"), Instruct("eyes-open")]


def test_a_result_stored_before_the_conditions_were_settings_is_eyes_open_on_firm_ground():
    old = {"drill": "quiet-stance", "result": {"metrics": {"velocity_mean_cm_s": 1.0}}}
    [part] = scored_parts(old)
    assert (part["eyes"], part["surface"], part["condition"]) == (
        "open",
        "firm",
        "eyes open, firm surface",
    )
