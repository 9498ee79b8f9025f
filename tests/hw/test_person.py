"""The simulated person and platform: stepping, weight, determinism, corner split and realism;
sway per condition against the published bands, leaning, single-leg stance, asymmetric loading
and loss of balance."""

import math

import numpy as np
import pytest

from hw.sim.person import Person
from hw.sim.platform import (
    COUNTS_PER_NEWTON,
    NOMINAL_COUNTS_PER_NEWTON,
    OFFSET_COUNTS,
    SimPlatform,
    factory_calibration,
    true_calibration,
)
from hw.sim.profiles import (
    G_M_S2,
    LOS_LIMITS_DEG,
    PROFILES,
    TRAINING_HOLD,
    TRAINING_SWAY,
    PersonProfile,
    Stance,
    trained,
)
from sensing import norms
from sensing.analysis import analyse_cop
from sensing.metrics import sway_metrics

YOUNG = PROFILES["healthy-young"]

# Santos & Duarte 2016 (PeerJ 4:e2648), eyes open, firm surface: 10-90 % of the data set.
BANDS = {
    "healthy-young": {
        "area_ellipse95_cm2": (0.8, 4.4),
        "velocity_mean_cm_s": (0.56, 1.32),
        "frequency_mean_hz": (0.15, 0.6),
    },
    "older-adult": {
        "area_ellipse95_cm2": (1.0, 4.8),
        "velocity_mean_cm_s": (0.71, 1.77),
        "frequency_mean_hz": (0.15, 0.6),
    },
}


def quiet_stance_metrics(profile, seed):
    """Sway metrics of 30 s of settled stance (t = 4-34 s) sampled at 100 Hz."""
    person = Person(profile, seed=seed, stance_ap_mm=12.0, stance_ml_mm=-5.0)
    cop = np.array([person.load(t)[1:] for t in 4.0 + np.arange(3000) / 100.0])
    return sway_metrics(cop[:, 1] / 10.0, cop[:, 0] / 10.0, 100.0)


def test_nobody_on_before_stepping_on():
    person = Person(YOUNG, step_on_at_s=2.0)
    for t in (0.0, 1.0, 1.999, 2.0):
        assert person.load(t) == (0.0, 0.0, 0.0)
        assert not person.on_platform(t)
    assert person.on_platform(2.01)


def test_never_steps_on_without_a_time():
    person = Person(YOUNG, step_on_at_s=None)
    assert person.load(30.0) == (0.0, 0.0, 0.0)
    person.step_on(31.0)
    assert person.load(33.0)[0] == pytest.approx(YOUNG.mass_kg * G_M_S2, rel=0.01)


def test_weight_ramps_up_over_about_0_5_to_0_8_s():
    person = Person(YOUNG, step_on_at_s=1.0)
    t = 1.0 + np.arange(0, 101) / 100.0
    force = np.array([person.load(x)[0] for x in t])
    weight = YOUNG.mass_kg * G_M_S2
    rising = force[: int(0.6 * 100)]
    assert np.all(np.diff(rising) > 0)
    first_95 = t[np.argmax(force > 0.95 * weight)] - 1.0
    assert 0.4 <= first_95 <= 0.8
    assert force[20] < 0.5 * weight
    assert force.max() < 1.1 * weight


def test_step_on_cop_starts_under_the_lead_foot_then_centres():
    person = Person(YOUNG, step_on_at_s=1.0, stance_ml_mm=10.0, stance_ap_mm=20.0)
    _, ml_early, ap_early = person.load(1.1)
    half_feet = YOUNG.foot_spacing_mm / 2
    assert ml_early - 10.0 == pytest.approx(YOUNG.lead_side * half_feet, abs=15.0)
    assert ap_early < 20.0 - 15.0  # heel first
    settled = np.array([person.load(t)[1:] for t in np.arange(4.0, 14.0, 0.01)])
    assert np.mean(settled[:, 0]) == pytest.approx(10.0, abs=5.0)
    assert np.mean(settled[:, 1]) == pytest.approx(20.0, abs=8.0)


@pytest.mark.parametrize("name", sorted(PROFILES))
def test_stance_force_is_body_weight_within_1_percent(name):
    profile = PROFILES[name]
    person = Person(profile, seed=3)
    force = np.array([person.load(t)[0] for t in np.arange(2.5, 34.0, 0.01)])
    assert np.all(np.abs(force / (profile.mass_kg * G_M_S2) - 1) < 0.01)


def test_step_off_ramps_down_and_step_on_again():
    person = Person(YOUNG, seed=1)
    weight = YOUNG.mass_kg * G_M_S2
    person.load(10.0)
    person.step_off(10.0)
    down = np.array([person.load(t)[0] for t in 10.0 + np.arange(0, 61) / 100.0])
    assert down[0] == pytest.approx(weight, rel=0.01)
    assert np.all(np.diff(down[:50]) < 0)
    assert 0.0 < down[40] < 0.25 * weight
    assert person.load(10.5) == (0.0, 0.0, 0.0)
    assert not person.on_platform(10.6)
    person.step_on(12.0)
    assert person.load(11.9) == (0.0, 0.0, 0.0)
    assert person.on_platform(12.1)
    assert person.load(15.0)[0] == pytest.approx(weight, rel=0.01)
    assert person.status()["step_on_at_s"] == 12.0


def test_same_seed_same_sway_other_seed_other_sway():
    times = np.arange(1.5, 20.0, 0.0137)
    a, b, c = Person(YOUNG, seed=7), Person(YOUNG, seed=7), Person(YOUNG, seed=8)
    a, b, c = ([person.load(t) for t in times] for person in (a, b, c))
    assert a == b
    assert not np.allclose(np.array(a)[:, 2], np.array(c)[:, 2], atol=0.5)


def test_results_do_not_depend_on_the_query_pattern():
    """Four chips at 320 Hz with their own phases (and repeats) versus a plain 100 Hz reader."""
    grid = np.arange(2.0, 12.0, 0.01)
    plain = Person(YOUNG, seed=5)
    expected = np.array([plain.load(t) for t in grid])

    busy = Person(YOUNG, seed=5)
    chip_times = np.concatenate([np.arange(0.0, 12.0, 1 / 320) + k * 0.00071 for k in range(4)])
    queries = np.sort(np.concatenate([chip_times, grid, grid]))
    served = {t: busy.load(t) for t in queries}
    got = np.array([served[t] for t in grid])
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-9)
    fine = np.array([busy.load(t)[2] for t in np.arange(12.0, 12.2, 0.0005)])
    steps = np.abs(np.diff(fine))
    assert np.all(steps > 0) and steps.max() < 0.05  # interpolated, not held, and smooth


def test_queries_far_back_in_time_are_refused():
    person = Person(YOUNG, seed=0)
    person.load(10.0)
    person.load(9.5)  # within the block kept for late chips
    with pytest.raises(ValueError, match="before a later query"):
        person.load(7.0)
    with pytest.raises(ValueError, match="must be finite"):
        person.load(float("nan"))


class _FixedLoad:
    """Stands in for a person: a constant load at a given COP."""

    def __init__(self, force_n, ml_mm, ap_mm):
        self.calls = 0
        self.value = (force_n, ml_mm, ap_mm)

    def load(self, t_s):
        self.calls += 1
        return self.value

    def status(self):
        return {}


@pytest.mark.parametrize("cop", [(0.0, 0.0), (37.5, -81.2), (-150.0, 120.0), (199.0, -149.0)])
def test_corner_forces_reproduce_the_cop_exactly(cop):
    platform = SimPlatform(_FixedLoad(700.0, *cop), width_mm=400.0, depth_mm=300.0, dead_load_n=25)
    forces = np.array([platform.corner_force_n(i, 3.0) for i in range(4)])
    assert forces.sum() == pytest.approx(700.0 + 4 * 25.0, abs=1e-9)
    person_part = forces - 25.0
    positions = np.array(platform.cell_positions_mm())
    np.testing.assert_allclose(positions, [(-200, 150), (200, 150), (-200, -150), (200, -150)])
    np.testing.assert_allclose(person_part @ positions / person_part.sum(), cop, atol=1e-9)
    assert platform.person.calls == 1  # the four corners at one time share one person query


def test_platform_follows_the_person_and_reads_only_its_plate_when_empty():
    person = Person(YOUNG, seed=2, stance_ml_mm=30.0, stance_ap_mm=-20.0)
    platform = SimPlatform(person)
    assert [platform.corner_force_n(i, 0.5) for i in range(4)] == [platform.dead_load_n] * 4
    for t in (1.3, 5.0, 17.77):
        forces = np.array([platform.corner_force_n(i, t) for i in range(4)]) - platform.dead_load_n
        force, ml, ap = person.load(t)
        assert forces.sum() == pytest.approx(force)
        cop = forces @ np.array(platform.cell_positions_mm()) / forces.sum()
        np.testing.assert_allclose(cop, (ml, ap), atol=1e-9)


def test_the_true_calibration_turns_counts_back_into_the_person_load():
    assert abs(NOMINAL_COUNTS_PER_NEWTON / 4380 - 1) < 0.01
    assert all(abs(c / NOMINAL_COUNTS_PER_NEWTON - 1) <= 0.03 for c in COUNTS_PER_NEWTON)
    assert len(set(COUNTS_PER_NEWTON)) == 4 and len(set(OFFSET_COUNTS)) == 4
    assert min(OFFSET_COUNTS) < 0 < max(OFFSET_COUNTS)
    platform = SimPlatform(_FixedLoad(650.0, 20.0, 40.0))
    counts = np.array(
        [
            OFFSET_COUNTS[i] + COUNTS_PER_NEWTON[i] * platform.corner_force_n(i, 1.0)
            for i in range(4)
        ]
    )
    true = true_calibration(platform.dead_load_n)
    forces = (counts - true["tare_counts"]) * true["gain_n_per_count"]
    assert forces.sum() == pytest.approx(650.0, rel=1e-9)
    # the factory's calibration is a real one: a few tenths of a percent off per cell
    factory = factory_calibration(platform.dead_load_n)
    off = (counts - factory["tare_counts"]) * factory["gain_n_per_count"]
    assert off.sum() == pytest.approx(650.0, rel=0.005)
    assert off.sum() != pytest.approx(650.0, rel=1e-4)


@pytest.mark.slow  # ten 60 s trials a profile: the fast loop leaves the sway over seeds out
@pytest.mark.parametrize("name", sorted(BANDS))
def test_quiet_stance_matches_the_published_eyes_open_firm_bands(name):
    runs = [quiet_stance_metrics(PROFILES[name], seed) for seed in range(10)]
    for metric, (low, high) in BANDS[name].items():
        values = np.array([run[metric] for run in runs])
        assert low <= np.median(values) <= high, (metric, values)
        assert np.sum((values >= low) & (values <= high)) >= 8, (metric, values)
    assert np.median([run["rms_ap_cm"] / run["rms_ml_cm"] for run in runs]) > 1.3


@pytest.mark.slow
def test_sway_medians_sit_near_the_published_medians():
    young = [quiet_stance_metrics(YOUNG, seed) for seed in range(10)]
    older = [quiet_stance_metrics(PROFILES["older-adult"], seed) for seed in range(10)]
    med = {k: np.median([r[k] for r in young]) for k in young[0]}
    med_old = {k: np.median([r[k] for r in older]) for k in older[0]}
    assert med["area_ellipse95_cm2"] == pytest.approx(2.0, rel=0.25)
    assert med["velocity_mean_cm_s"] == pytest.approx(0.80, rel=0.15)
    assert med_old["area_ellipse95_cm2"] == pytest.approx(2.2, rel=0.25)
    assert med_old["velocity_mean_cm_s"] == pytest.approx(1.01, rel=0.15)
    assert med_old["velocity_mean_cm_s"] > med["velocity_mean_cm_s"]


def test_status_is_a_plain_dict():
    person = Person(YOUNG, seed=4)
    person.stand_on(3.0, "left")
    person.lean_to(3.0, 10.0, 20.0)
    platform = SimPlatform(person)
    platform.corner_force_n(0, 5.0)
    status = platform.status()
    assert status["person"]["profile"] == "healthy-young"
    assert status["person"]["last_t_s"] == 5.0
    assert all(type(v) in (str, int, float, bool, dict, type(None)) for v in status.values())
    assert all(type(v) in (str, int, float, bool, type(None)) for v in status["person"].values())
    assert status["person"]["on_platform"] is True


# Santos & Duarte 2016 (PeerJ 4:e2648): published medians and 10-90 % bands of the 95 %
# prediction-ellipse area (cm2) and mean velocity (cm/s) per group and condition (clinical.md).
PUBLISHED = {
    ("healthy-young", False, "firm"): ((2.0, 0.8, 4.4), (0.80, 0.56, 1.32)),
    ("healthy-young", True, "firm"): ((2.1, 0.9, 5.9), (0.83, 0.61, 1.49)),
    ("healthy-young", False, "foam"): ((11.5, 6.3, 21.5), (2.23, 1.71, 3.10)),
    ("healthy-young", True, "foam"): ((13.3, 8.0, 25.1), (2.94, 2.12, 4.12)),
    ("older-adult", False, "firm"): ((2.2, 1.0, 4.8), (1.01, 0.71, 1.77)),
    ("older-adult", True, "firm"): ((2.2, 0.9, 4.8), (1.10, 0.73, 1.87)),
    ("older-adult", False, "foam"): ((18.9, 11.7, 30.8), (3.54, 2.71, 4.65)),
    ("older-adult", True, "foam"): ((23.3, 14.4, 42.9), (4.15, 3.20, 5.79)),
}


def trial_metrics(name, seed, eyes_closed, surface):
    """Sway metrics of a 60 s quiet-stance trial (t = 4-64 s, COP in cm at 100 Hz) in a
    condition set from the start, processed as the published trials were (norms.CONVENTIONS)."""
    person = Person(PROFILES[name], seed=seed)
    person.set_condition(0.0, eyes_closed, surface)
    cop = np.array([person.load(t)[1:] for t in 4.0 + np.arange(6000) / 100.0])
    return analyse_cop(cop[:, 1] / 10.0, cop[:, 0] / 10.0, 100.0, **norms.CONVENTIONS)["metrics"]


@pytest.mark.slow
@pytest.mark.parametrize(("name", "eyes_closed", "surface"), sorted(PUBLISHED))
def test_median_sway_over_seeds_sits_in_the_published_band(name, eyes_closed, surface):
    runs = [trial_metrics(name, seed, eyes_closed, surface) for seed in range(20)]
    published = PUBLISHED[(name, eyes_closed, surface)]
    for key, (median, low, high) in zip(
        ("area_ellipse95_cm2", "velocity_mean_cm_s"), published, strict=True
    ):
        got = np.median([run[key] for run in runs])
        assert low <= got <= high, (key, got)
        assert got == pytest.approx(median, rel=0.15), key


def cop_trace(person, t0, t1, fs=100.0):
    """(times, force N, ML mm, AP mm) from ``t0`` to ``t1`` at ``fs``."""
    t = np.arange(t0, t1, 1 / fs)
    load = np.array([person.load(x) for x in t])
    return t, load[:, 0], load[:, 1], load[:, 2]


def test_a_condition_change_grows_the_sway_without_a_jump():
    person = Person(YOUNG, seed=3)
    person.set_condition(20.0, eyes_closed=True, surface="foam")
    assert person.condition(19.9) == (False, "firm") and person.condition(20.0) == (True, "foam")
    t, _, ml, ap = cop_trace(person, 4.0, 50.0, fs=200.0)
    assert np.abs(np.diff(ap)).max() < 2.0 and np.abs(np.diff(ml)).max() < 2.0  # mm per 5 ms
    before, after = (t >= 8) & (t < 20), (t >= 26) & (t < 50)
    for axis in (ml, ap):
        assert np.std(np.diff(axis[after])) > 2.5 * np.std(np.diff(axis[before]))
    assert person.status()["eyes_closed"] and person.status()["surface"] == "foam"


def test_a_profile_without_condition_sway_sways_alike_in_every_condition():
    bare = PersonProfile("bare", 70.0, 1.75)
    assert bare.stance(True, "foam") == bare.stance(False, "firm") == Stance(bare.ap, bare.ml)
    young = PROFILES["healthy-young"]
    assert young.stance(True, "foam") != young.stance(False, "foam") != young.stance(False)


def limit_mm(profile, direction):
    """The theoretical limit toward ``direction`` scaled by the profile's own fraction, mm."""
    h = profile.com_height_fraction * profile.height_m * 1000
    angle = np.radians(LOS_LIMITS_DEG[direction])
    return h * np.tan(angle) * getattr(profile.los_fraction, direction)


def lean_trace(name, target, seed=1, t_lean=10.0):
    person = Person(PROFILES[name], seed=seed)
    person.lean_to(t_lean, *target)
    return person, cop_trace(person, 6.0, t_lean + 8.0)


def test_lean_to_moves_the_cop_to_the_target_at_the_lean_speed_and_holds_it():
    person, (t, _, ml, ap) = lean_trace("healthy-young", (0.0, 100.0))
    base = ap[t < 10.0].mean()
    assert np.abs(ap[t < 10.0] - base).max() < 15.0
    moved = t[np.argmax(ap - base > 50.0)]  # half way
    # minimum-jerk: half way at half the duration 1.448 * 100 mm / (935 mm * 6 deg/s in rad)
    assert moved - 10.0 == pytest.approx(1.448 * 100.0 / (935.0 * np.radians(6.0)) / 2, abs=0.15)
    held = ap[t > 13.0]
    assert np.mean(held) - base == pytest.approx(100.0, abs=8.0)
    assert np.abs(ml[t > 13.0]).max() < 15.0
    assert person.status()["lean_target_ap_mm"] == 100.0
    # the COP first moves back, pushing the COM forward (anticipatory adjustment)
    assert ap[(t > 10.0) & (t < 10.6)].min() < base - 8.0


def test_a_lean_beyond_the_limit_stops_at_the_limit_and_comes_back():
    young = PROFILES["healthy-young"]
    person = Person(young, seed=2)
    person.lean_to(10.0, -1000.0, 0.0)
    person.lean_to(16.0, 0.0, 0.0)
    t, _, ml, _ = cop_trace(person, 6.0, 24.0)
    assert person.reach_mm(-1.0, 0.0) == pytest.approx((-limit_mm(young, "left"), 0.0))
    held = ml[(t > 13.5) & (t < 16.0)]
    assert np.mean(held) == pytest.approx(-limit_mm(young, "left"), abs=8.0)
    assert abs(np.mean(ml[t > 20.0])) < 8.0  # back in the habitual posture
    assert person.status()["lost_balance_at_s"] is None


def test_a_come_back_asked_again_while_braking_never_swings_the_wrong_way():
    """A new drill's first instruction often comes while the patient is still coming back from
    the last one's lean: the re-plan starts braking hard, and must not carry that braking on."""
    person = Person(PROFILES["post-knee-surgery"], seed=2)
    person.lean_to(5.0, -50.0, 0.0)
    person.lean_to(7.0, 0.0, 0.0)  # back to the habitual posture...
    person.lean_to(8.0, 0.0, 0.0)  # ...asked again while that move brakes
    ml = [person.posture_mm(8.0 + k * 0.05)[0] for k in range(300)]
    assert min(ml) > -51.0  # never further out than the lean it came back from (was -98 mm)
    assert ml[-1] == pytest.approx(0.0, abs=0.5)


def test_limits_of_stability_scale_with_the_profile_and_the_diagonals_lie_between():
    young, frail = PROFILES["healthy-young"], PROFILES["high-fall-risk"]
    reach = {name: Person(PROFILES[name]).reach_mm(0.0, 1.0)[1] for name in PROFILES}
    assert reach["high-fall-risk"] < 0.6 * reach["healthy-young"]
    assert reach["healthy-young"] == pytest.approx(limit_mm(young, "front"))
    assert reach["high-fall-risk"] == pytest.approx(limit_mm(frail, "front"))
    back = Person(young).reach_mm(0.0, -1.0)[1]
    assert back == pytest.approx(-limit_mm(young, "back"))  # 4.5 deg, not 8
    diagonal = np.hypot(*Person(young).reach_mm(1.0, 1.0))
    assert limit_mm(young, "front") * 0.99 < diagonal < limit_mm(young, "front") * 1.01
    # the paretic side of the post-stroke profile is the short one, from the feet's midpoint
    stroke, neutral_mm = Person(PROFILES["post-stroke"]), PROFILES["post-stroke"].neutral_ml_mm
    left, right = (
        stroke.reach_mm(-1.0, 0.0)[0] + neutral_mm,
        stroke.reach_mm(1.0, 0.0)[0] + neutral_mm,
    )
    assert -left < 0.7 * right


def test_a_frail_person_leans_less_far_and_slower_than_a_young_one():
    far = {}
    for name in ("healthy-young", "high-fall-risk"):
        _, (t, _, _, ap) = lean_trace(name, (0.0, 1000.0), seed=4)
        base = ap[t < 10.0].mean()
        far[name] = np.percentile(ap[(t > 10.0) & (t < 14.0)] - base, 90)
        half = t[np.argmax(ap - base > far[name] / 2)] - 10.0
        far[name + " half-way s"] = half
    assert far["high-fall-risk"] < 0.6 * far["healthy-young"]
    assert far["high-fall-risk half-way s"] > far["healthy-young half-way s"]


def test_leaning_to_the_limit_topples_on_foam_with_eyes_closed_but_not_on_firm_ground():
    falls = {}
    for condition in ((False, "firm"), (True, "foam")):
        falls[condition] = 0
        for seed in range(5):
            person = Person(YOUNG, seed=seed)
            person.set_condition(0.0, *condition)
            person.lean_to(10.0, 0.0, -1000.0)  # far past the limit, backward
            cop_trace(person, 6.0, 18.0, fs=50.0)
            falls[condition] += person.status()["lost_balance_at_s"] is not None
    assert falls[(False, "firm")] == 0 and falls[(True, "foam")] >= 3


def test_hold_stops_a_lean_where_it_is():
    person = Person(YOUNG, seed=5)
    person.lean_to(10.0, 0.0, 120.0)
    person.hold(10.8)
    t, _, _, ap = cop_trace(person, 6.0, 16.0)
    base = ap[t < 10.0].mean()
    held = np.mean(ap[t > 12.5]) - base
    assert 30.0 < held < 100.0
    assert person.status()["lean_target_ap_mm"] == pytest.approx(held, abs=10.0)


def single_leg(name, seed, eyes_closed=False, side="left"):
    person = Person(PROFILES[name], seed=seed)
    person.set_condition(0.0, eyes_closed, "firm")
    person.stand_on(10.0, side)
    return person, person.status()["touch_down_at_s"] - 10.0


def test_single_leg_hold_times_follow_the_profile_and_the_eyes():
    def median_hold(name, eyes_closed):
        return np.median([single_leg(name, seed, eyes_closed)[1] for seed in range(15)])

    young_open, young_closed = (
        median_hold("healthy-young", False),
        median_hold("healthy-young", True),
    )
    frail_open, frail_closed = (
        median_hold("high-fall-risk", False),
        median_hold("high-fall-risk", True),
    )
    assert young_open > 20.0 and young_closed < 0.5 * young_open
    assert 1.0 < frail_open < 8.0 and frail_closed < frail_open
    assert frail_open < 0.25 * young_open
    # standing on the operated leg does not last
    knee = [single_leg("post-knee-surgery", seed, side=side)[1] for seed in range(10)
            for side in ("left", "right")]  # fmt: skip
    assert np.median(knee[0::2]) < 0.5 * np.median(knee[1::2])


def test_single_leg_stance_puts_the_cop_under_the_stance_foot_until_touch_down():
    person, hold_s = single_leg("older-adult", seed=2, side="right")
    down = 10.0 + hold_s
    assert 2.0 < hold_s < 40.0
    person.load(10.5)
    assert person.status()["single_leg"] is None  # still shifting the weight
    person.load(11.0)
    assert person.status()["single_leg"] == "right"
    t, force, ml, _ = cop_trace(person, 11.0, down + 4.0)
    half_feet = PROFILES["older-adult"].foot_spacing_mm / 2
    on_one = (t > 11.0) & (t < down)
    assert np.mean(ml[on_one]) == pytest.approx(half_feet, abs=12.0)
    assert abs(np.mean(ml[t > down + 1.0])) < 12.0  # the load splits again
    assert np.allclose(force, PROFILES["older-adult"].mass_kg * G_M_S2, rtol=0.01)
    both = t > down + 1.0
    assert np.std(np.diff(ml[on_one])) > 2.0 * np.std(np.diff(ml[both]))  # one leg sways more


def test_both_feet_puts_the_lifted_foot_down_early():
    person = Person(YOUNG, seed=1)
    person.stand_on(10.0, "left")
    person.both_feet(13.0)
    assert person.status()["touch_down_at_s"] == 13.0
    t, _, ml, _ = cop_trace(person, 8.0, 16.0)
    assert np.mean(ml[(t > 11.0) & (t < 13.0)]) < -80.0
    assert abs(np.mean(ml[t > 14.0])) < 10.0
    with pytest.raises(ValueError, match="'left' or 'right'"):
        person.stand_on(20.0, "up")


def test_a_cop_shift_after_a_single_leg_stance_has_ended_moves_the_cop():
    """The gait-initiation APA after an earlier drill's single-leg stance: the shift moves the
    COP on both feet (it used to be lost behind the ended stance's landing, so the first trial
    after single-leg stance had no APA and no unloading to score)."""
    person = Person(YOUNG, seed=1)
    person.stand_on(10.0, "left")
    person.both_feet(13.0)
    start = person.status()["touch_down_at_s"] + 4.0
    before = np.mean(cop_trace(person, start - 1.0, start)[2])
    person.shift_cop(start, 25.0, -20.0, 0.4)
    t, _, ml, ap = cop_trace(person, start, start + 1.0)
    late = t > start + 0.5
    assert np.mean(ml[late]) - before == pytest.approx(25.0, abs=6.0)
    assert np.mean(ap[late]) < -10.0


@pytest.mark.parametrize(
    ("name", "share_left"), [("post-knee-surgery", 0.32), ("post-stroke", 0.37)]
)
def test_asymmetric_loading_shows_in_the_mean_cop(name, share_left):
    profile = PROFILES[name]
    assert profile.load_share_left == share_left
    shares = []
    for seed in range(4):
        _, _, ml, _ = cop_trace(Person(profile, seed=seed, stance_ml_mm=10.0), 4.0, 34.0)
        shares.append(0.5 - (np.mean(ml) - 10.0) / profile.foot_spacing_mm)
    assert np.mean(shares) == pytest.approx(share_left, abs=0.03)


def test_a_high_fall_risk_person_loses_balance_on_foam_with_eyes_closed():
    lost = []
    for seed in range(10):
        person = Person(PROFILES["high-fall-risk"], seed=seed)
        person.set_condition(0.0, eyes_closed=True, surface="foam")
        t, force, _, _ = cop_trace(person, 2.0, 30.0)
        at = person.status()["lost_balance_at_s"]
        if at is not None:
            lost.append(at)
            assert np.all(force[t >= at + PROFILES["high-fall-risk"].step_off_s] == 0.0)
            assert not person.on_platform(at + 1.0)
    assert len(lost) >= 7 and min(lost) < 5.0


def test_up_to_a_fall_the_cop_stays_within_the_feet_s_reach():
    """The block that finds a fall is run again up to the fall: with the same limits, so the
    COP before the fall is the one first found, never past the edge of the feet."""
    falls = 0
    for seed in range(6):
        person = Person(PROFILES["high-fall-risk"], seed=seed)
        person.set_condition(0.0, eyes_closed=True, surface="foam")
        for t in np.arange(2.0, 30.0, 0.01):
            person.load(t)
            if (at := person.status()["lost_balance_at_s"]) is not None:
                break
        else:
            continue
        falls += 1
        axes, _ = person._sway._regime(True, "foam", "apart")
        before = np.arange(max(2.0, at - 0.9), at - 0.005, 0.005)
        cop = np.array([person._sway.cop_mm(t) for t in before])
        for axis, (*_, lo, hi, _w2dt) in enumerate(axes):
            assert lo - 1e-9 <= cop[:, axis].min() and cop[:, axis].max() <= hi + 1e-9
    assert falls >= 3


@pytest.mark.parametrize(("eyes_closed", "surface"), [(False, "firm"), (True, "foam")])
def test_a_healthy_young_person_keeps_balance_for_a_minute(eyes_closed, surface):
    for seed in range(5):
        person = Person(YOUNG, seed=seed)
        person.set_condition(0.0, eyes_closed, surface)
        _, force, _, _ = cop_trace(person, 2.0, 62.0, fs=50.0)
        assert person.status()["lost_balance_at_s"] is None
        assert np.all(force > 0.9 * YOUNG.mass_kg * G_M_S2)


def test_after_a_fall_the_person_can_step_on_again():
    person = Person(PROFILES["high-fall-risk"], seed=2)
    person.set_condition(0.0, eyes_closed=True, surface="foam")
    cop_trace(person, 2.0, 30.0)
    lost = person.status()["lost_balance_at_s"]
    assert lost is not None
    person.step_off(30.0)  # already off: no effect
    assert person.status()["step_off_at_s"] is None
    person.set_condition(30.0, eyes_closed=False, surface="firm")
    person.step_on(31.0)
    t, force, _, ap = cop_trace(person, 31.0, 45.0)
    assert np.all(force[t > 32.0] > 0.9 * PROFILES["high-fall-risk"].mass_kg * G_M_S2)
    assert np.abs(ap[t > 36.0]).max() < 40.0
    assert person.status()["lost_balance_at_s"] == lost


def test_commands_that_arrive_late_give_the_same_result():
    """The control loop's reactions land a little in the past of the load cells' queries."""
    commands = [
        (3.013, "set_condition", (True, "firm")),
        (5.0, "lean_to", (0.0, 80.0)),
        (6.2, "hold", ()),
        (8.0, "lean_to", (0.0, 0.0)),
        (10.0, "stand_on", ("right",)),
        (11.5, "both_feet", ()),
        (13.0, "set_condition", (True, "foam")),
        (14.0, "step_off", ()),
        (15.0, "step_on", ()),
    ]
    grid = np.arange(1.0, 18.0, 0.01)

    plain, pending = Person(YOUNG, seed=5), list(commands)
    expected = []
    for t in grid:
        while pending and pending[0][0] <= t:
            at, name, args = pending.pop(0)
            getattr(plain, name)(at, *args)
        expected.append(plain.load(t))

    late, pending = Person(YOUNG, seed=5), list(commands)
    chips = np.sort(np.concatenate([np.arange(0.0, 18.0, 1 / 320) + k * 0.00071 for k in range(4)]))
    got, waiting = [], list(grid)
    for t in chips:
        while pending and pending[0][0] + 0.3 <= t:  # told 0.3 s late
            at, name, args = pending.pop(0)
            getattr(late, name)(at, *args)
        late.load(t)
        while waiting and waiting[0] + 0.35 <= t:  # read back once every command is in
            got.append(late.load(waiting.pop(0)))
    np.testing.assert_allclose(got, expected[: len(got)], rtol=0, atol=1e-9)
    assert len(got) > 1600
    with pytest.raises(ValueError, match="more than 1 s before a later query"):
        late.lean_to(10.0, 0.0, 10.0)


def test_a_narrow_stance_sways_more_side_to_side_than_the_habitual_one():
    """Tandem stance narrows the base side to side: the ML sway grows far more than the AP."""
    ratios = []
    for seed in range(3):
        person = Person(YOUNG, seed=seed)
        person.place_feet(40.0, "tandem")
        t, _, ml, ap = cop_trace(person, 8.0, 80.0)
        apart, tandem = (t >= 8) & (t < 40), (t >= 45) & (t < 80)
        assert person.status()["feet"] == "tandem"
        ratios.append([np.std(axis[tandem]) / np.std(axis[apart]) for axis in (ml, ap)])
    ml_ratio, ap_ratio = np.median(ratios, axis=0)
    assert ml_ratio > 2.0 and ml_ratio > 1.5 * ap_ratio


def test_a_narrow_stance_ends_with_a_step_out_and_both_feet_brings_the_feet_back():
    person = Person(PROFILES["high-fall-risk"], seed=4)
    person.place_feet(10.0, "semi-tandem")
    lost_s = person.status()["touch_down_at_s"]
    assert 11.0 < lost_s < 11.0 + 60.0  # placed over 1 s, then held a drawn time
    t, force, ml, ap = cop_trace(person, 8.0, lost_s + 3.0)
    before = (t > lost_s - 1.0) & (t < lost_s)
    # the back foot unloads (the COP under the front foot: half a foot ahead) ...
    under_front = (t > lost_s + 0.15) & (t < lost_s + 0.25)
    assert np.mean(ap[under_front]) - np.mean(ap[before]) > 40.0
    # ... and lands 200 mm out to the lead side (right): the COP at the new midpoint
    after = t > lost_s + 1.0
    assert np.mean(ml[after]) - np.mean(ml[before]) == pytest.approx(100.0, abs=25.0)
    assert np.all(force > 0.9 * PROFILES["high-fall-risk"].mass_kg * G_M_S2)  # all on board
    assert person.status()["feet"] == "apart"
    person.both_feet(lost_s + 3.0)
    _, _, ml, _ = cop_trace(person, lost_s + 6.0, lost_s + 9.0)
    assert abs(np.mean(ml)) < 25.0  # back on the markings


def test_narrow_stance_holds_match_assisted_living_residents_for_the_frail_patient():
    """Giuliani et al. 2008 (Table 3): of assisted-living residents, 60.5% held feet side by
    side for 10 s, 34.3% semi-tandem and 8.3% tandem."""
    frail = PROFILES["high-fall-risk"]
    for feet, share in (("together", 0.605), ("semi-tandem", 0.343), ("tandem", 0.083)):
        holds = []
        for seed in range(400):
            person = Person(frail, seed=seed)
            person.place_feet(5.0, feet)
            holds.append(person.status()["touch_down_at_s"] - 6.0)
        assert np.mean(np.array(holds) >= 10.0) == pytest.approx(share, abs=0.07), feet
    with pytest.raises(ValueError, match="one of together, semi-tandem, tandem"):
        Person(frail).place_feet(5.0, "crossed")


@pytest.mark.slow
@pytest.mark.parametrize("name", ["healthy-young", "older-adult"])
def test_sway_grows_from_the_platform_to_the_foam_pad_to_the_balance_disc(name):
    """Lee et al. 2018: air-filled discs raised sway above the floor and above foam pads
    (the disc's size is a design value, DISC_SWAY)."""
    speed = {
        surface: np.median(
            [trial_metrics(name, seed, False, surface)["velocity_mean_cm_s"] for seed in range(8)]
        )
        for surface in ("firm", "foam", "disc")
    }
    assert speed["firm"] < speed["foam"] < speed["disc"]
    profile = PROFILES[name]
    holds = [profile.hold_median_s("tandem", False, s) for s in ("firm", "foam", "disc")]
    assert holds == sorted(holds, reverse=True) and holds[0] > holds[2]


def test_the_frail_patient_loses_balance_sooner_on_the_disc_than_on_foam_never_on_firm_ground():
    """The same order for a patient at high risk of falling, whose sway on foam already ends in
    a step: on the disc the step comes sooner."""
    lost = {}
    for surface in ("firm", "foam", "disc"):
        lost[surface] = []
        for seed in range(8):
            person = Person(PROFILES["high-fall-risk"], seed=seed)
            person.set_condition(0.0, False, surface)
            cop_trace(person, 4.0, 64.0, fs=50.0)
            lost[surface].append(person.status()["lost_balance_at_s"] or math.inf)
    assert lost["firm"] == [math.inf] * 8
    assert np.median(lost["disc"]) < np.median(lost["foam"]) < math.inf


def test_training_calms_the_sway_and_lengthens_the_holds_up_to_twelve_weeks():
    """Balance exercise lowers an older adult's sway speed by about a standard deviation (Low
    et al. 2017); the virtual patient's training effect (design size) does that by 12 weeks."""
    frail = PROFILES["high-fall-risk"]
    assert trained(frail, 0) is frail
    full, half, more = (trained(frail, w) for w in (12, 6, 30))
    assert more == full  # no gain past TRAINING_FULL_WEEKS
    assert full.ap.noise_mm == pytest.approx(frail.ap.noise_mm * TRAINING_SWAY)
    assert half.foam.ml.noise_mm == pytest.approx(frail.foam.ml.noise_mm * (1 + TRAINING_SWAY) / 2)
    assert full.narrow_hold_s[0][2] == pytest.approx(frail.narrow_hold_s[0][2] * TRAINING_HOLD)
    speeds = {}
    for name, profile in (("before", frail), ("after", full)):
        runs = []
        for seed in range(8):
            person = Person(profile, seed=seed)
            cop = np.array([person.load(t)[1:] for t in 4.0 + np.arange(3000) / 100.0])
            runs.append(analyse_cop(cop[:, 1] / 10, cop[:, 0] / 10, 100.0, **norms.CONVENTIONS))
        speeds[name] = np.median([r["metrics"]["velocity_mean_cm_s"] for r in runs])
    # about one between-subject SD of older adults' speed (0.71-1.77 cm/s is their 10-90%)
    assert 0.25 < speeds["before"] - speeds["after"] < 0.8
