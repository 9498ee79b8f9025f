"""The virtual patient: reacts to the direction LEDs and to instructions after a reaction time,
leans toward a lit direction, holds when the centre lights, comes back when all are off."""

import numpy as np
import pytest

from drills.cues import INSTRUCTIONS
from hw.cues import CueBoard, CuePins
from hw.sim.patient import INSTRUCTION_EXTRA_S, VirtualPatient
from hw.sim.person import Person
from hw.sim.profiles import PROFILES

PINS = CuePins(
    direction_leds={"front": 5, "back": 6, "left": 13, "right": 19, "centre": 26},
    status_rgb=(16, 20, 21),
    buzzer=18,
)


@pytest.fixture
def board(factory):
    with CueBoard(PINS, pin_factory=factory) as b:
        yield b


def patient_for(factory, name="healthy-young", seed=1):
    person = Person(PROFILES[name], seed=seed)
    return person, VirtualPatient(person, factory, PINS, seed=seed)


def run(patient, person, t0, t1, cues=None):
    """Tick at 100 Hz from ``t0`` to ``t1`` as the control loop does: ``cues(t, ap_mm)`` may
    change the lights, then the patient updates; returns times and the COP (ML, AP) in mm."""
    times = np.round(np.arange(t0, t1, 0.01), 6)
    cop = []
    for t in times:
        _, ml, ap = person.load(t)
        if cues is not None:
            cues(t, ap)
        patient.update(t)
        cop.append((ml, ap))
    return times, np.array(cop)


def entries(patient, kind):
    return [entry for entry in patient.log if entry["kind"] == kind]


def test_a_lit_direction_is_followed_after_the_reaction_time(factory, board):
    person, patient = patient_for(factory)
    t, cop = run(patient, person, 2.0, 10.0)
    base = cop[t > 6.0, 1].mean()
    board.set_light("front", True)
    t, cop = run(patient, person, 10.0, 16.0)
    [saw] = entries(patient, "saw")
    [did] = entries(patient, "did")
    assert saw["t_s"] == 10.0 and saw["what"] == "front"
    mean_s, std_s = PROFILES["healthy-young"].reaction_time_s
    assert mean_s - 4 * std_s < saw["due_s"] - 10.0 < mean_s + 4 * std_s
    assert did == {"t_s": saw["due_s"], "kind": "did", "what": "lean:front", "due_s": None}
    assert np.abs(cop[t < did["t_s"], 1] - base).max() < 12.0  # nothing before the reaction
    reach = person.reach_mm(0.0, 1.0)[1]
    assert person.status()["lean_target_ap_mm"] == pytest.approx(reach)
    assert np.mean(cop[t > 14.5, 1]) - base == pytest.approx(reach, abs=12.0)


def test_centre_lit_holds_the_lean_and_all_off_brings_the_patient_back(factory, board):
    person, patient = patient_for(factory, "older-adult", seed=3)
    t, cop = run(patient, person, 2.0, 10.0)
    base = cop[t > 6.0, 1].mean()
    board.set_light("front", True)
    lit = {}

    def centre_at_30_mm(t_s, ap_mm):
        if "centre" not in lit and ap_mm - base > 30.0:
            board.set_light("centre", True)
            lit["centre"] = t_s

    t, cop = run(patient, person, 10.0, 18.0, centre_at_30_mm)
    assert [e["what"] for e in entries(patient, "did")] == ["lean:front", "hold"]
    held = np.mean(cop[t > lit["centre"] + 3.0, 1]) - base
    reach = person.reach_mm(0.0, 1.0)[1]
    assert 30.0 < held < reach - 15.0  # stopped short of the limit, past the cue
    assert np.std(cop[t > lit["centre"] + 3.0, 1]) < 10.0
    board.set_light("centre", False)  # the centre alone going off changes nothing
    run(patient, person, 18.0, 18.5)
    assert patient.status()["pending"] == 0
    board.set_light("front", False)
    t, cop = run(patient, person, 18.5, 26.0)
    assert entries(patient, "did")[-1]["what"] == "come-back"
    assert abs(np.mean(cop[t > 23.0, 1]) - base) < 10.0
    assert patient.status()["lights_seen"] == "none"


def test_two_adjacent_lights_make_a_diagonal(factory, board):
    person, patient = patient_for(factory)
    board.set_light("front", True)
    board.set_light("right", True)
    run(patient, person, 5.0, 7.0)
    assert entries(patient, "did")[-1]["what"] == "lean:front+right"
    status = person.status()
    assert status["lean_target_ml_mm"] > 50.0 and status["lean_target_ap_mm"] > 50.0
    assert status["lean_target_ml_mm"] == pytest.approx(status["lean_target_ap_mm"], rel=0.05)


def test_a_new_cue_before_the_reaction_replaces_it(factory, board):
    person, patient = patient_for(factory)
    board.set_light("front", True)
    run(patient, person, 5.0, 5.1)
    board.set_light("front", False)
    board.set_light("back", True)
    run(patient, person, 5.1, 8.0)
    assert [e["what"] for e in entries(patient, "saw")] == ["front", "back"]
    # straight from one side to the other: a brisk shift halfway to the back limit (nothing
    # learnt yet of how far the centre LED asks)
    assert [e["what"] for e in entries(patient, "did")] == ["shift:back"]
    assert person.status()["lean_target_ap_mm"] == pytest.approx(
        0.5 * person.reach_mm(0.0, -1.0)[1]
    )


def metronome(board, beats_s, amplitude_mm=50.0):
    """``cues(t, ap_mm)`` for ``run``: as the rhythmic drill lights them, front and back in turn
    at the times ``beats_s`` (front first), the centre once the COP is ``amplitude_mm`` from
    where it was at the first beat toward the lit side, every light off at the last time."""
    state = {"k": -1, "neutral": None}

    def cues(t_s, ap_mm):
        if state["neutral"] is None:
            state["neutral"] = ap_mm
        k = sum(b <= t_s + 1e-9 for b in beats_s) - 1
        if k != state["k"]:
            state["k"] = k
            for light in ("front", "back", "centre"):
                board.set_light(light, False)
            if 0 <= k < len(beats_s) - 1:
                board.set_light("front" if k % 2 == 0 else "back", True)
        if 0 <= k < len(beats_s) - 1:
            toward = 1.0 if k % 2 == 0 else -1.0
            if toward * (ap_mm - state["neutral"]) >= amplitude_mm:
                board.set_light("centre", True)

    return cues


def test_a_steady_beat_is_kept_in_time_rather_than_reacted_to(factory, board):
    person, patient = patient_for(factory, "older-adult", seed=4)
    run(patient, person, 2.0, 6.0)
    beats = [6.0 + 2.0 * k for k in range(13)]  # the slow pace: a shift every 2 s
    run(patient, person, 6.0, beats[-1] + 3.0, metronome(board, beats))
    cues = [e for e in entries(patient, "saw") if e["what"] in ("front", "back")]
    assert [e["t_s"] for e in cues] == beats[:-1]
    lags = [e["due_s"] - e["t_s"] for e in cues]
    mean_s, std_s = PROFILES["older-adult"].reaction_time_s
    # the first three beats are reacted to, each a reaction time after its light...
    assert all(0.1 <= lag < mean_s + 4 * std_s for lag in lags[:3])
    # ... then the patient keeps time: each shift planned for its beat, give or take the
    # spread of their reaction times, some before the light
    kept = lags[3:]
    assert abs(np.mean(kept)) < 3 * std_s / np.sqrt(len(kept))
    assert max(abs(lag) for lag in kept) < 4 * std_s
    assert min(kept) < 0
    done = [e["what"] for e in entries(patient, "did") if e["what"].startswith("shift")]
    assert done == [f"shift:{'back' if k % 2 else 'front'}" for k in range(1, 12)]


def test_an_unsteady_beat_is_reacted_to_every_time(factory, board):
    person, patient = patient_for(factory, "older-adult", seed=4)
    run(patient, person, 2.0, 6.0)
    beats = list(np.cumsum([6.0, 2.0, 3.0, 2.0, 3.0, 2.0, 3.0, 2.0]))
    run(patient, person, 6.0, beats[-1] + 3.0, metronome(board, beats))
    cues = [e for e in entries(patient, "saw") if e["what"] in ("front", "back")]
    mean_s, std_s = PROFILES["older-adult"].reaction_time_s
    assert len(cues) == len(beats) - 1
    assert all(0.1 <= e["due_s"] - e["t_s"] < mean_s + 4 * std_s for e in cues)


def test_reaction_times_follow_the_profile(factory, board):
    delays = {}
    for name in ("healthy-young", "high-fall-risk"):
        person, patient = patient_for(factory, name, seed=7)
        for k in range(20):
            board.set_light("left", k % 2 == 0)
            run(patient, person, 5.0 + 4 * k, 9.0 + 4 * k)
        delays[name] = [e["due_s"] - e["t_s"] for e in entries(patient, "saw")]
    for name, values in delays.items():
        mean_s, std_s = PROFILES[name].reaction_time_s
        assert np.mean(values) == pytest.approx(mean_s, abs=2 * std_s / np.sqrt(len(values)) + 0.02)
    assert np.median(delays["high-fall-risk"]) > 1.5 * np.median(delays["healthy-young"])


def test_instructions_change_the_condition_and_the_stance(factory):
    person, patient = patient_for(factory, "older-adult", seed=2)
    patient.instruct("eyes-closed", 5.0)
    patient.instruct("foam-surface", 5.0)
    seen = {}
    run(patient, person, 5.0, 10.0, lambda t, _: seen.setdefault(person.condition(t), t))
    closed, foam = (e for e in entries(patient, "did"))
    assert closed["what"] == "eyes-closed" and foam["what"] == "foam-surface"
    assert 5.1 < closed["t_s"] < 6.5 and foam["t_s"] > 6.5  # the foam pad takes longer
    # seen in the first tick after each was carried out (the patient updates after the check)
    assert closed["t_s"] < seen[(True, "firm")] <= closed["t_s"] + 0.02
    assert foam["t_s"] < seen[(True, "foam")] <= foam["t_s"] + 0.02
    patient.instruct("firm-surface", 10.0)
    patient.instruct("eyes-open", 10.0)
    patient.instruct("stand-on-left", 12.0)
    run(patient, person, 10.0, 14.0)
    assert person.condition(14.0) == (False, "firm")
    status = person.status()
    assert status["single_leg"] == "left" and status["touch_down_at_s"] > 13.0
    patient.instruct("both-feet", 14.0)
    run(patient, person, 14.0, 16.0)
    assert person.status()["touch_down_at_s"] < 16.0
    assert patient.status()["last_heard"] == "both-feet"
    assert patient.status()["last_done"] == "both-feet"


def test_stand_upright_brings_a_leaning_patient_back(factory, board):
    person, patient = patient_for(factory)
    board.set_light("back", True)
    run(patient, person, 5.0, 8.0)
    assert person.status()["lean_target_ap_mm"] < -30.0
    patient.instruct("stand-upright", 8.0)
    run(patient, person, 8.0, 10.0)
    done = [e["what"] for e in entries(patient, "did")]
    assert "stand-upright" in done
    # back upright; the back light still on now reads "tipping back": corrected forward
    corrections = done[done.index("stand-upright") + 1 :]
    assert set(corrections) <= {"correct:back"}
    assert person.status()["lean_target_ap_mm"] == pytest.approx(4.0 * len(corrections))


def test_every_drill_instruction_is_understood_and_others_are_refused(factory):
    assert set(INSTRUCTION_EXTRA_S) == set(INSTRUCTIONS)
    _, patient = patient_for(factory)
    with pytest.raises(ValueError, match="does not know the instruction 'jump'"):
        patient.instruct("jump", 1.0)


def test_the_same_seed_reacts_the_same(factory, board):
    logs = []
    for seed in (4, 4, 5):
        person, patient = patient_for(factory, seed=seed)
        patient.instruct("eyes-closed", 3.0)
        board.set_light("right", True)
        run(patient, person, 3.0, 6.0)
        board.set_light("right", False)
        run(patient, person, 6.0, 8.0)
        logs.append(list(patient.log))
    assert logs[0] == logs[1] and logs[0] != logs[2]


def test_status_is_a_plain_dict(factory, board):
    _, patient = patient_for(factory)
    board.set_light("front", True)
    patient.instruct("eyes-open", 2.0)
    patient.update(2.0)
    status = patient.status()
    assert status["lights_seen"] == "front" and status["pending"] == 2
    assert status["last_heard"] == "eyes-open" and status["last_done"] is None
    assert all(type(v) in (str, int, float, type(None)) for v in status.values())


@pytest.mark.parametrize("instruction", ["stand-upright", "hold-level"])
def test_after_a_correcting_instruction_a_lit_direction_is_shifted_away_from(
    factory, board, instruction
):
    person, patient = patient_for(factory)
    run(patient, person, 2.0, 6.0)
    patient.instruct(instruction, 6.0)
    run(patient, person, 6.0, 8.0)
    board.set_light("right", True)  # tipping to the right
    run(patient, person, 8.0, 10.0)
    corrections = [e for e in entries(patient, "did") if e["what"] == "correct:right"]
    # corrected again after each reaction time while the light stays on
    assert len(corrections) >= 2
    shifted = person.status()["lean_target_ml_mm"]
    assert shifted == pytest.approx(-4.0 * len(corrections))
    board.set_light("right", False)  # back in the band: the corrected posture is held
    run(patient, person, 10.0, 12.0)
    assert entries(patient, "did")[-1]["what"] == "hold"
    assert person.status()["lean_target_ml_mm"] == pytest.approx(shifted, abs=0.5)
    patient.instruct("both-feet", 12.0)  # another drill: a lit light means lean there again
    run(patient, person, 12.0, 14.0)
    board.set_light("front", True)
    run(patient, person, 14.0, 16.0)
    assert entries(patient, "did")[-1]["what"] == "lean:front"


def test_told_to_get_back_into_a_stance_the_patient_retakes_it_each_time_it_is_lost(factory):
    person, patient = patient_for(factory, "high-fall-risk", seed=3)
    patient.instruct("return-to-position", 5.0)
    patient.instruct("tandem", 5.0)
    stances, lost, taken = [], [], []
    for t in np.round(np.arange(2.0, 60.0, 0.01), 6):
        person.load(t)
        patient.update(t)
        status = person.status()
        stances.append(status["feet"])
        if len(stances) > 1 and stances[-2] != stances[-1]:
            (taken if stances[-1] == "tandem" else lost).append(t)
    # the frail patient's tandem lasts seconds: lost and taken again, over and over
    assert len(lost) >= 3 and len(taken) >= len(lost)
    reaction_s, _ = PROFILES["high-fall-risk"].reaction_time_s
    gaps = [next(b for b in taken if b > a) - a for a in lost if any(b > a for b in taken)]
    # taken again a reaction time, the retake time and the placing of the foot later
    assert 1.5 < np.median(gaps) < reaction_s + 1.0 + 1.0 + 1.0
    patient.instruct("both-feet", 60.0)  # ... until told both feet
    after = []
    for t in np.round(np.arange(60.0, 90.0, 0.01), 6):
        person.load(t)
        patient.update(t)
        after.append(person.status()["feet"])
    assert set(after[300:]) == {"apart"}


def test_closing_the_eyes_in_a_stance_shortens_it(factory):
    held = {}
    for eyes in ("eyes-open", "eyes-closed"):
        holds = []
        for seed in range(12):
            person, patient = patient_for(factory, "older-adult", seed=seed)
            patient.instruct("tandem", 2.0)
            patient.instruct(eyes, 6.0)
            run(patient, person, 1.0, 8.0)
            holds.append(person.status()["touch_down_at_s"])
        held[eyes] = np.median(holds)
    assert held["eyes-closed"] < 0.5 * held["eyes-open"]


def test_told_to_stand_on_the_disc_the_patient_does_and_comes_off_it_when_told(factory):
    person, patient = patient_for(factory, "older-adult", seed=2)
    patient.instruct("disc-surface", 5.0)
    run(patient, person, 5.0, 8.0)
    assert person.condition(8.0) == (False, "disc")
    patient.instruct("firm-surface", 8.0)
    run(patient, person, 8.0, 11.0)
    assert person.condition(11.0) == (False, "firm")
