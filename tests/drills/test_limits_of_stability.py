"""limits-of-stability as a pure state machine, driven by a scripted patient following the LEDs."""

import json
import math

import pytest

from drills.cued import RECOVER_S, lean_lights
from drills.cues import AllOff, Instruct, Light, Status, Tone
from drills.errors import DrillParamError, DrillSubjectError
from drills.limits_of_stability import MEASURES, LimitsOfStability, on_los_target
from sensing.cog import natural_frequency_hz
from sensing.los import DIRECTIONS, SWAY_WINDOW_S, los_target_deg, onset_level
from tests.drills.scripted import RATE, ReachingPatient, frame, make_drill, run

HEIGHT_CM = 170.0
COG_CM = 0.55 * HEIGHT_CM
NEUTRAL_MM = (5.0, -12.0)  # where the patient's feet put the COP when upright
WEIGHT_N = 700.0
CLOCKWISE = ["F", "FR", "R", "BR", "B", "BL", "L", "FL"]


def make(seed=0, **params):
    params.setdefault("countdown_s", 1)
    subject = {"height_cm": HEIGHT_CM, "weight_kg": 71}
    return make_drill(LimitsOfStability, params, subject=subject, seed=seed)


def lit_direction(lit):
    """The LOS direction that a set of lit direction LEDs asks for, or None."""
    signs = (("right" in lit) - ("left" in lit), ("front" in lit) - ("back" in lit))
    return next((name for name, s in DIRECTIONS.items() if s == signs), None)


class Patient(ReachingPatient):
    """Follows the cue protocol delay_s after each change of the lit direction LEDs: leans in a
    straight line at speed_deg_s to reach[direction] x the target (1.1 unless told), holds
    there, and leans back to upright when the LEDs go off. The lean is that of the centre of
    gravity; the COP on the frames is the inverted pendulum's, COG - COG'' / w0^2 (the body
    constants of ``sensing.cog``), which swings past the COG wherever the lean speeds up or
    slows down. ``on(t)`` says when they stand on the platform and ``load(t)`` what it
    carries."""

    def __init__(
        self, target_pct=75.0, delay_s=0.3, speed_deg_s=6.0, reach=None, early=(), **script
    ):
        super().__init__(speed_deg_s, on=script.get("on", lambda t: t >= 0.5))
        self.target_pct, self.delay_s = target_pct, delay_s
        self.reach = reach or {}
        self.early = set(early)  # directions they start toward at once, the first time only
        self.load = script.get("load", lambda t: WEIGHT_N)
        self.history: list[tuple[float, tuple[float, float]]] = []  # (t, COG lean)

    def onset_rise_deg(self, cue_t: float, target: tuple[float, float]) -> float:
        """The onset level toward ``target`` for a cue at ``cue_t``, by its definition: 5% of
        the target distance, or 3 SD of the lean about its trend in the second before."""
        unit = [a / math.hypot(*target) for a in target]
        window = [
            lean[0] * unit[0] + lean[1] * unit[1]
            for t, lean in self.history
            if cue_t - SWAY_WINDOW_S - 1e-9 <= t < cue_t - 1e-9
        ]
        return onset_level(window, 0.05 * math.hypot(*target))

    def see(self, cues, t):
        before = lit_direction(self.lit)
        super().see(cues, t)
        direction = lit_direction(self.lit)
        if direction != before:
            delay_s = 0.0 if direction in self.early else self.delay_s
            self.early.discard(direction)
            self.pending = (t + delay_s, direction)

    def goal_of(self, direction):
        scale = self.reach.get(direction, 1.1)
        return tuple(scale * a for a in los_target_deg(direction, self.target_pct))

    def frame(self, t):
        previous, lean, following = self.move(t)
        self.history.append((t, lean))
        if not self.on(t):
            return frame(t, 0.0)
        cop = []
        for n, axis, before, now, after in zip(
            NEUTRAL_MM, ("ml", "ap"), previous, lean, following, strict=True
        ):
            cog_mm, prev_mm, next_mm = (
                10 * COG_CM * math.tan(math.radians(a)) for a in (now, before, after)
            )
            w0 = 2 * math.pi * natural_frequency_hz(HEIGHT_CM / 100, axis)
            accel = (next_mm - 2 * cog_mm + prev_mm) * RATE**2
            cop.append(n + cog_mm - accel / w0**2)
        load = self.load(t)
        ml, ap = cop
        live_ml, live_ap = (
            n + 10 * COG_CM * math.tan(math.radians(a))
            for n, a in zip(NEUTRAL_MM, lean, strict=True)
        )
        return frame(t, load, ml, ap, cop_ml_live_mm=live_ml, cop_ap_live_mm=live_ap)


def go_cues(log):
    """(t, lit direction LEDs) at each go cue, from the light cues given on one tick."""
    lit, out = set(), []
    for t, cue in log:
        if isinstance(cue, Light) and cue.name != "centre":
            before = set(lit)
            (lit.add if cue.on else lit.discard)(cue.name)
            if lit and not before:
                out.append((t, {cue.name}))
            elif lit and out and out[-1][0] == t:
                out[-1][1].add(cue.name)
    return out


def test_full_trial_cues_each_direction_and_scores_it():
    drill = make(target_pct=75, move_s=6, hold_s=1)
    patient = Patient(reach={"B": 0.8})  # falls short backwards: never on target there
    log = run(drill, patient, 200.0)
    recording_s = drill.recording_started_s
    assert [e["phase"] for e in drill.events] == [
        "waiting",
        "settling",
        "countdown",
        "recording",
        "completed",
    ]
    cues = [c for _, c in log]
    assert cues[:4] == [Status("blue"), Status("amber"), Instruct("both-feet"), Tone("countdown")]
    assert cues[-2:] == [Status("off"), Tone("success")]
    assert Tone("start") in cues and AllOff() not in cues
    # the go cues light one LED, two adjacent ones for a diagonal, in the clockwise order
    gos = go_cues(log)
    assert [lit_direction(lit) for _, lit in gos] == CLOCKWISE
    assert gos[1][1] == {"front", "right"} and gos[5][1] == {"back", "left"}
    fr_tick = [c for t, c in log if t == gos[1][0]]
    assert fr_tick == [Light("front", True), Light("right", True)]
    # the centre LED lit in every direction but B; every LED ends off
    centre_on = [t for t, c in log if c == Light("centre", True)]
    assert len(centre_on) == 7
    assert not drill.lit

    result = drill.result()
    assert result["state"] == "completed" and result["reason"] is None
    json.dumps(result, allow_nan=False)  # stored as JSON
    by_direction = {d["direction"]: d for d in result["directions"]}
    assert list(by_direction) == CLOCKWISE
    for name, d in by_direction.items():
        target = los_target_deg(name, 75)
        distance = math.hypot(*target)
        assert (d["target_ml_deg"], d["target_ap_deg"]) == pytest.approx(target)
        assert d["failed"] is None and d["moved"]
        # by hand: the lean rises at 6 deg/s from 0.29 s after the cue (its first step shows
        # on the tick at 0.3 s), so it passes the onset level (5% of the target distance,
        # more while the patient still settles from the last return) level / 6 s later; it
        # stops at 110% of the target (80% for B), the target being 75% of the limit the
        # excursions are counted against
        reach = 0.75 * (0.8 if name == "B" else 1.1)
        level = patient.onset_rise_deg(recording_s + d["cue_s"], target)
        assert level >= 0.05 * distance
        assert d["reaction_time_s"] == pytest.approx(0.29 + level / 6.0, abs=0.005)
        assert d["movement_velocity_deg_s"] == pytest.approx(6.0, rel=0.03)
        assert d["endpoint_excursion_pct"] == pytest.approx(100 * reach, abs=1.5)
        assert d["max_excursion_pct"] == pytest.approx(100 * reach, abs=1.5)
        assert d["directional_control_pct"] == pytest.approx(100.0, abs=0.5)
        assert d["reached_target"] is (name != "B")
    # a direction ends hold_s after the target is reached, or move_s after the cue (B)
    ends = [t for t, c in log if c in (Light("front", False), Light("back", False))]
    assert min(abs(t - gos[4][0] - 6.0) for t in ends) < 0.005
    fwd = los_target_deg("F", 75)[1]
    assert gos[0][0] + 0.3 + fwd / 6.0 + 1.0 == pytest.approx(ends[0], abs=0.03)
    metrics = result["metrics"]
    for key in MEASURES:
        assert metrics[key] == pytest.approx(
            sum(d[key] for d in result["directions"]) / 8, rel=1e-9
        )
    assert metrics["directions_failed"] == 0 and metrics["directions_reached"] == 7
    assert metrics["cog_height_cm"] == pytest.approx(93.5)
    assert result["directions"][0]["cue_s"] == pytest.approx(1.0, abs=0.02)  # 1 s centring


def test_an_anticipated_direction_is_cued_again_and_never_scored_as_a_reaction():
    drill = make(target_pct=75, move_s=6, hold_s=1)
    patient = Patient(early={"R"})  # moves the instant R lights: no one reacts that fast
    log = run(drill, patient, 200.0)
    result = drill.result()
    assert result["state"] == "completed"
    assert [lit_direction(lit) for _, lit in go_cues(log)] == [*CLOCKWISE, "R"]
    directions = result["directions"]
    first, again = directions[2], directions[-1]
    assert first["direction"] == again["direction"] == "R"
    assert first["anticipated"] and first["repeated"] and first["moved"]
    assert all(first[key] is None for key in MEASURES)  # the anticipation scores nothing
    assert not again["anticipated"] and not again["repeated"]
    level = patient.onset_rise_deg(drill.recording_started_s + again["cue_s"], (6.0, 0.0))
    assert again["reaction_time_s"] == pytest.approx(0.29 + level / 6.0, abs=0.005)
    metrics = result["metrics"]
    assert metrics["anticipations"] == 1 and metrics["directions_failed"] == 0
    scored = [d for d in directions if not d["repeated"]]
    assert len(scored) == 8
    assert metrics["reaction_time_s"] == pytest.approx(
        sum(d["reaction_time_s"] for d in scored) / 8, rel=1e-9
    )
    assert all(d["reaction_time_s"] >= 0.1 for d in scored)


def test_direction_orders():
    assert make(order="counter-clockwise").order == ["F", "FL", "L", "BL", "B", "BR", "R", "FR"]
    shuffled = make(order="random", seed=7).order
    assert sorted(shuffled) == sorted(CLOCKWISE)
    assert make(order="random", seed=7).order == shuffled
    assert any(make(order="random", seed=s).order != CLOCKWISE for s in range(3))


def test_lean_lights_and_on_target_rules():
    assert lean_lights(0.0, 2.0) == {"front"}
    assert lean_lights(2.0, 2.0) == {"front", "right"}
    assert lean_lights(-2.0, -2.1) == {"back", "left"}
    assert lean_lights(-2.0, 0.5) == {"left"}  # 14 deg off left: inside the left sector
    assert lean_lights(math.nan, 1.0) == frozenset() == lean_lights(0.0, 0.0)
    target = los_target_deg("FR", 75)
    assert on_los_target(target, target)
    assert not on_los_target(tuple(0.99 * a for a in target), target)
    assert on_los_target(tuple(0.91 * a for a in target), target, reach=0.9)  # staying on
    assert not on_los_target((target[0] * 2.5, 0.0), target)  # far but 45 deg off the line
    assert not on_los_target((math.nan, math.nan), target)


def test_step_off_in_a_direction_fails_it_and_the_drill_goes_on():
    drill = make(move_s=6, hold_s=1)
    state = {}

    def on(t):  # off for 2 s from 0.5 s after the go cue to the right
        cur = drill.current
        if "off" not in state and cur and cur["direction"] == "R" and t - cur["cue_t_s"] >= 0.5:
            state["off"] = t
        off = state.get("off", math.inf)
        return t >= 0.5 and not off <= t < off + 2.0

    log = run(drill, Patient(on=on), 200.0)
    result = drill.result()
    assert result["state"] == "completed"
    failed = [d for d in result["directions"] if d["failed"]]
    assert [(d["direction"], d["failed"]) for d in failed] == [
        ("R", "lost balance: stepped off the platform")
    ]
    assert failed[0]["reaction_time_s"] is None
    assert result["metrics"]["directions_failed"] == 1
    assert result["metrics"]["reaction_time_s"] is not None  # the other seven
    # lights off and status blue at the step-off, green again once settled
    step_off = [c for t, c in log if t == round(state["off"], 2)]
    assert Light("right", False) in step_off and Status("blue") in step_off
    assert [c for _, c in log].count(Status("green")) == 2


def test_loss_of_balance_by_load_or_a_step_fails_the_direction():
    drill = make(move_s=6, hold_s=1)
    state = {}

    def load(t):
        cur = drill.current
        if cur and cur["direction"] == "F" and t - cur["cue_t_s"] > 1.0:
            state.setdefault("low_from", t)
        low = state.get("low_from")
        return 0.6 * WEIGHT_N if low is not None and low <= t < low + 0.5 else WEIGHT_N

    patient = Patient(load=load, reach={"L": 1.6 / 0.75})  # steps out beyond 150% to the left
    run(drill, patient, 200.0)
    result = drill.result()
    failed = {d["direction"]: d["failed"] for d in result["directions"] if d["failed"]}
    assert failed == {
        "F": "lost balance: a foot or a hand took weight off the platform",
        "L": "lost balance: leaned far beyond the limit of stability (a step)",
    }
    assert result["state"] == "completed"


def test_a_dip_shorter_than_the_low_load_time_is_not_a_loss():
    drill = make(move_s=4, hold_s=1)
    patient = Patient(load=lambda t: 0.6 * WEIGHT_N if 7.0 <= t < 7.1 else WEIGHT_N)
    log = run(drill, patient, 200.0)
    assert drill.result()["metrics"]["directions_failed"] == 0
    assert [c for _, c in log].count(Status("blue")) == 1  # no recovery was needed


def test_staying_off_aborts_after_the_recovery_time():
    drill = make(move_s=6, hold_s=1)
    patient = Patient(on=lambda t: 0.5 <= t < 6.0)
    log = run(drill, patient, 200.0)
    result = drill.result()
    assert result["state"] == "aborted"
    assert result["reason"] == (
        f"patient stepped off the platform and did not return within {RECOVER_S:g} s"
    )
    assert drill.events[-1]["t_s"] == pytest.approx(6.0 + RECOVER_S, abs=0.02)
    assert [c for _, c in log][-2:] == [AllOff(), Tone("warning")]
    assert result["metrics"] is None
    assert [d["direction"] for d in result["directions"]] == ["F"]


def test_stepping_off_before_recording_goes_back_to_waiting():
    drill = make(countdown_s=3)
    # on at 0.5 s, settled at 1.5 s; off in the countdown at 2.5 s; on again at 3 s
    log = run(drill, Patient(on=lambda t: 0.5 <= t < 2.5 or t >= 3.0), 8.0)
    phases = [e["phase"] for e in drill.events]
    assert phases[:6] == ["waiting", "settling", "countdown", "waiting", "settling", "countdown"]
    assert (2.5, AllOff()) in log and (2.5, Status("blue")) in log
    drill = make()
    run(drill, Patient(on=lambda t: 0.5 <= t < 1.0 or t >= 2.0), 2.5)
    assert [e["phase"] for e in drill.events][:4] == ["waiting", "settling", "waiting", "settling"]


@pytest.mark.parametrize(
    "until_s, phase", [(0.3, "waiting"), (1.0, "settling"), (2.0, "countdown"), (4.0, "recording")]
)
def test_stop_from_each_phase_turns_everything_off_first(until_s, phase):
    drill = make()
    patient = Patient()
    run(drill, patient, until_s)
    assert drill.phase.value == phase
    if phase == "recording":
        assert drill.lit  # a go cue is lit
    assert drill.stop(until_s, "stopped by the therapist", tone="stop") == [AllOff(), Tone("stop")]
    result = drill.result()
    assert result["state"] == "aborted" and result["reason"] == "stopped by the therapist"
    assert drill.step(patient.frame(until_s + 0.01)) == [] and not drill.lit


def test_status_during_recording():
    drill = make()
    run(drill, Patient(), 4.0)
    status = drill.status()
    assert status["phase"] == "recording" and status["stage"] == "moving"
    assert status["direction"] == "F" and status["directions_total"] == 8
    assert status["lights"] == ["front"]
    # the target drawn on the live view: the forward target lean (by default the limit itself)
    # as COP excursion from neutral
    reach_mm = 10 * COG_CM * math.tan(math.radians(los_target_deg("F", 100.0)[1]))
    assert status["target_zone"]["ml_mm"] == pytest.approx(NEUTRAL_MM[0], abs=0.5)
    assert status["target_zone"]["ap_mm"] == pytest.approx(NEUTRAL_MM[1] + reach_mm, abs=0.5)
    assert status["target_zone"]["radius_mm"] is None


@pytest.mark.parametrize("subject", [{}, {"height_cm": None}, {"height_cm": 0}])
def test_missing_height_is_refused_by_the_engine(subject):
    with pytest.raises(DrillSubjectError, match="needs the patient's height"):
        make_drill(LimitsOfStability, {}, subject=subject)


@pytest.mark.parametrize("height", [-170, "tall"])
def test_impossible_height_is_refused(height):
    with pytest.raises(DrillSubjectError, match="positive number of cm"):
        make_drill(LimitsOfStability, {}, subject={"height_cm": height})


@pytest.mark.parametrize(
    "params, name, text",
    [
        ({"target_pct": 40}, "target_pct", "outside 50-100 %"),
        ({"move_s": 2}, "move_s", "outside 3-15 s"),
        ({"order": "zigzag"}, "order", "choose one of clockwise, counter-clockwise, random"),
        ({"hold_s": "long"}, "hold_s", "expected a number"),
    ],
)
def test_bad_parameters_are_named(params, name, text):
    with pytest.raises(DrillParamError, match=text) as info:
        make(**params)
    assert info.value.param == name


def test_describe_lists_the_subject_field_and_params():
    schema = LimitsOfStability.describe()
    assert schema["subject_fields"] == ["height_cm"] and schema["needs"] == ["loadcells"]
    assert [p["name"] for p in schema["params"]] == [
        "target_pct",
        "move_s",
        "hold_s",
        "order",
        "countdown_s",
    ]
