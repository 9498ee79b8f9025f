"""The simulated person and platform: stepping, weight, determinism, corner split and realism."""

import time

import numpy as np
import pytest

from hw.sim.person import G_M_S2, PROFILES, Person
from hw.sim.platform import (
    COUNTS_PER_NEWTON,
    NOMINAL_COUNTS_PER_NEWTON,
    OFFSET_COUNTS,
    SimPlatform,
    factory_calibration,
)
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


def test_factory_calibration_turns_counts_back_into_the_person_load():
    assert abs(NOMINAL_COUNTS_PER_NEWTON / 4380 - 1) < 0.01
    assert all(abs(c / NOMINAL_COUNTS_PER_NEWTON - 1) <= 0.03 for c in COUNTS_PER_NEWTON)
    assert len(set(COUNTS_PER_NEWTON)) == 4 and len(set(OFFSET_COUNTS)) == 4
    assert min(OFFSET_COUNTS) < 0 < max(OFFSET_COUNTS)
    platform = SimPlatform(_FixedLoad(650.0, 20.0, 40.0))
    cal = factory_calibration(platform.dead_load_n)
    counts = [
        OFFSET_COUNTS[i] + COUNTS_PER_NEWTON[i] * platform.corner_force_n(i, 1.0) for i in range(4)
    ]
    forces = (np.array(counts) - cal["tare_counts"]) * cal["gain_n_per_count"]
    assert forces.sum() == pytest.approx(650.0, rel=1e-9)


@pytest.mark.parametrize("name", sorted(BANDS))
def test_quiet_stance_matches_the_published_eyes_open_firm_bands(name):
    runs = [quiet_stance_metrics(PROFILES[name], seed) for seed in range(10)]
    for metric, (low, high) in BANDS[name].items():
        values = np.array([run[metric] for run in runs])
        assert low <= np.median(values) <= high, (metric, values)
        assert np.sum((values >= low) & (values <= high)) >= 8, (metric, values)
    assert np.median([run["rms_ap_cm"] / run["rms_ml_cm"] for run in runs]) > 1.3


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


def test_a_30_s_trial_through_four_chips_costs_well_under_0_2_s_of_cpu():
    chip_times = [np.arange(0.0, 30.0, 1 / 320) + k * 0.0007 for k in range(4)]
    queries = sorted((t, k) for k, times in enumerate(chip_times) for t in times.tolist())
    best = float("inf")
    for _ in range(3):
        platform = SimPlatform(Person(YOUNG, seed=0))
        start = time.process_time()
        for t, k in queries:
            platform.corner_force_n(k, t)
        best = min(best, time.process_time() - start)
    assert best < 0.2


def test_status_is_a_plain_dict():
    person = Person(YOUNG, seed=4)
    platform = SimPlatform(person)
    platform.corner_force_n(0, 5.0)
    status = platform.status()
    assert status["person"]["profile"] == "healthy-young"
    assert status["person"]["last_t_s"] == 5.0
    assert all(type(v) in (str, int, float, bool, dict, type(None)) for v in status.values())
    assert all(type(v) in (str, int, float, bool, type(None)) for v in status["person"].values())
    assert status["person"]["on_platform"] is True
