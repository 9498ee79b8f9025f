"""gait-initiation as a pure state machine, fed by a scripted patient who starts walking on the
cue with a known anticipatory shift, unloads the swing foot, leaves and steps back on."""

import math

import pytest

from drills.cues import Instruct, Tone
from drills.engine import Phase
from drills.gait_initiation import GaitInitiation
from tests.drills.scripted import RATE, ScriptedPatient, frame, make_drill, run

LOAD_N = 700.0
PEAK_TICKS = 5  # the APA's top held 50 ms, as a real one is rounded, not a cusp
TIMING_S = 0.03  # the onset's resolution: the 50 ms centred mean, a sample either side


def make(**params):
    return make_drill(GaitInitiation, params)


class Patient(ScriptedPatient):
    """Feet on the markings 180 mm apart (COP in the middle). ``react`` ticks after the go cue
    it shifts its COP ``apa`` mm (ML toward the swing leg, and back) in a straight line over
    ``apa_ticks`` and stays PEAK_TICKS, then to the stance foot (90 mm out) over 12 ticks, stays 30
    ticks and leaves the platform; told to step back on, it is back 100 ticks later. ``stays``: it
    never steps."""

    def __init__(self, react=50, apa=(30.0, 25.0), apa_ticks=30, stays=False):
        super().__init__()
        self.react, self.apa, self.apa_ticks, self.stays = react, apa, apa_ticks, stays
        self.cue_at = self.back_at = None
        self.swing = None
        self.gone = False

    def see(self, cues, t):
        super().see(cues, t)
        for cue in cues:
            if isinstance(cue, Instruct) and cue.code.startswith("step-forward-"):
                self.cue_at, self.swing = self.tick, cue.code.removeprefix("step-forward-")
            elif cue == Instruct("step-back-on"):
                self.back_at = self.tick + 100

    def on(self, t):
        if self.gone and self.back_at is not None and self.tick >= self.back_at:
            self.gone, self.cue_at, self.back_at = False, None, None
        return ScriptedPatient.on(self, t) and not self.gone

    def stand(self, t):
        if self.cue_at is None or self.stays:
            return frame(t, LOAD_N)
        k = self.tick - self.cue_at - self.react
        toward = 1.0 if self.swing == "right" else -1.0
        side, back = self.apa
        if k <= 0:
            return frame(t, LOAD_N)
        if k <= self.apa_ticks + PEAK_TICKS:  # the shift, then its rounded top
            u = min(1.0, k / self.apa_ticks)
            return frame(t, LOAD_N, toward * side * u, -back * u)
        k -= self.apa_ticks + PEAK_TICKS
        if k <= 12:  # the swing foot unloads: to the stance foot
            u = k / 12
            return frame(t, LOAD_N, toward * side + u * (-toward * 90.0 - toward * side), -back)
        if k <= 42:
            return frame(t, LOAD_N, -toward * 90.0, 0.0)
        self.gone = True
        return frame(t, 0.0)


def test_the_apa_and_the_unloading_are_measured_as_the_patient_made_them():
    drill = make(trials=1)
    log = run(drill, Patient(), 60.0)
    result = drill.result()
    assert result["state"] == "completed"
    assert [t["leg"] for t in result["trials"]] == ["left", "right"]
    assert Instruct("step-forward-left") in [c for _, c in log]
    for trial in result["trials"]:
        assert trial["outcome"] == "stepped off"
        assert trial["apa_ml_mm"] == pytest.approx(30.0, abs=1.5)
        assert trial["apa_ap_mm"] == pytest.approx(25.0, abs=1.5)
        # onset at the cue + 50 ticks (the shift starts at once: 1 mm a tick); the centred
        # 50 ms mean starts the rise up to 3 samples early: the timing's resolution
        assert trial["apa_onset_s"] == pytest.approx(0.5 - TIMING_S, abs=TIMING_S)
        assert trial["apa_duration_s"] == pytest.approx(0.3 + TIMING_S, abs=TIMING_S)
        # from the peak's first sample: its 5 ticks, then from -30 to 90 mm over 12 ticks,
        # the stance share reaching 90% at 72 mm, 10.2 ticks in
        assert trial["unload_time_s"] == pytest.approx(0.15, abs=0.03)
        assert trial["stance_share_pct"] == pytest.approx(100.0, abs=0.5)
        assert trial["step_off_s"] == pytest.approx((50 + 30 + 5 + 42 + 1) / RATE, abs=0.03)
    assert result["apa_asymmetry_pct"] == pytest.approx(0.0, abs=5.0)
    assert result["legs"]["left"]["trials"] == result["legs"]["right"]["trials"] == 1


def test_a_smaller_apa_stepping_with_one_leg_shows_as_asymmetry():
    class Uneven(Patient):
        def see(self, cues, t):
            super().see(cues, t)
            self.apa = (15.0, 25.0) if self.swing == "left" else (30.0, 25.0)

    drill = make(trials=2)
    run(drill, Uneven(), 120.0)
    result = drill.result()
    assert result["legs"]["left"]["apa_ml_mm"] == pytest.approx(15.0, abs=1.5)
    assert result["legs"]["right"]["apa_ml_mm"] == pytest.approx(30.0, abs=1.5)
    assert result["apa_asymmetry_pct"] == pytest.approx(-50.0, abs=6.0)
    assert result["apa_ml_mm"] == pytest.approx(22.5, abs=1.5)  # both legs' mean


def test_a_slower_apa_takes_longer():
    quick, slow = make(trials=1, legs="right"), make(trials=1, legs="right")
    run(quick, Patient(apa_ticks=25), 30.0)
    run(slow, Patient(apa_ticks=60), 30.0)
    assert [t["leg"] for t in quick.result()["trials"]] == ["right"]
    assert quick.result()["apa_duration_s"] == pytest.approx(0.25 + TIMING_S, abs=TIMING_S)
    assert slow.result()["apa_duration_s"] == pytest.approx(0.60 + TIMING_S, abs=TIMING_S)


def test_a_patient_who_does_not_step_is_cued_again_and_not_scored():
    drill = make(trials=1, legs="left")
    log = run(drill, Patient(stays=True), 25.0)
    assert drill.phase is Phase.COMPLETED
    [trial] = drill.result()["trials"]
    assert trial["outcome"] == "did not step" and trial["apa_ml_mm"] is None
    assert drill.result()["apa_ml_mm"] is None
    assert Tone("success") in [c for _, c in log]


def test_no_shift_toward_the_swing_leg_reports_its_size_but_no_timing():
    drill = make(trials=1, legs="left")
    run(drill, Patient(apa=(0.0, 25.0)), 30.0)
    [trial] = drill.result()["trials"]
    assert trial["apa_ml_mm"] == pytest.approx(0.0, abs=0.5)
    assert trial["apa_duration_s"] is None and trial["apa_onset_s"] is None
    assert trial["unload_time_s"] is None and not math.isnan(trial["step_off_s"])
