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
    never steps; ``stance_mm``: how far out it puts the COP toward the stance foot."""

    def __init__(self, react=50, apa=(30.0, 25.0), apa_ticks=30, stays=False, stance_mm=90.0):
        super().__init__()
        self.react, self.apa, self.apa_ticks, self.stays = react, apa, apa_ticks, stays
        self.stance_mm = stance_mm
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
            stance = -toward * self.stance_mm
            return frame(t, LOAD_N, toward * side + u * (stance - toward * side), -back)
        if k <= 42:
            return frame(t, LOAD_N, -toward * self.stance_mm, 0.0)
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
    assert trial["note"] == "no-apa"


def test_a_sway_toward_the_swing_leg_before_the_apa_is_not_taken_for_it():
    """After the cue the COP sways 8 mm toward the swing leg and back, then the patient makes a
    5 mm APA: the APA is that one, the last rise before the unloading, timed from its own start
    (it used to be the sway's 8 mm, from the cue, with the unloading 1 s long)."""

    class Swaying(Patient):
        def stand(self, t):
            out = super().stand(t)
            if self.cue_at is None or out.total_n < 20:
                return out
            bump = 8.0 * max(0.0, 1.0 - abs(self.tick - self.cue_at - 20) / 20)
            return frame(t, out.total_n, out.cop_ml_mm + bump, out.cop_ap_mm)

    drill = make(trials=1, legs="right")
    run(drill, Swaying(react=60, apa=(5.0, 25.0)), 30.0)
    [trial] = drill.result()["trials"]
    assert trial["note"] is None
    assert trial["apa_ml_mm"] == pytest.approx(5.0, abs=1.0)
    assert trial["apa_onset_s"] == pytest.approx(0.6 - TIMING_S, abs=TIMING_S)
    assert trial["apa_duration_s"] == pytest.approx(0.3 + TIMING_S, abs=TIMING_S)
    assert trial["unload_time_s"] == pytest.approx(0.15, abs=0.03)
    assert drill.result()["timed_trials"] == 1


@pytest.mark.parametrize(("react", "timed"), [(0, False), (5, False), (15, True)])
def test_an_apa_under_way_within_0_1_s_of_the_cue_is_measured_but_not_timed(react, timed):
    """No one reacts to a tone within 0.1 s (sensing.los.ANTICIPATION_S): a shift toward the
    swing leg already under way then is an anticipation or a sway. Its size is kept."""
    drill = make(trials=1, legs="left")
    run(drill, Patient(react=react), 30.0)
    [trial] = drill.result()["trials"]
    assert trial["apa_ml_mm"] == pytest.approx(30.0, abs=1.5)
    if timed:
        assert trial["note"] is None
        assert trial["apa_onset_s"] == pytest.approx(0.15 - TIMING_S, abs=TIMING_S)
    else:
        assert trial["note"] == "moving-at-cue"
        assert trial["apa_onset_s"] is trial["apa_duration_s"] is trial["unload_time_s"] is None
    assert drill.result()["legs"]["left"]["timed_trials"] == int(timed)


def test_a_step_off_without_the_swing_foot_unloading_says_so():
    """The COP never gets over the stance foot (60 mm out, 83% of the load) before the patient
    leaves: the APA is not read, the time to leave the platform is, and the note says why."""
    drill = make(trials=1, legs="left")
    run(drill, Patient(stance_mm=60.0), 30.0)
    [trial] = drill.result()["trials"]
    assert trial["outcome"] == "stepped off" and trial["note"] == "unloading-not-seen"
    assert trial["apa_ml_mm"] is None and trial["unload_time_s"] is None
    assert trial["step_off_s"] == pytest.approx((50 + 30 + 5 + 42 + 1) / RATE, abs=0.03)
    assert drill.result()["timed_trials"] == 0
