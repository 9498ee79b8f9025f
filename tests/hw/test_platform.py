"""The simulated platform's test masses: placed by a calibration, spread by the lever rule."""

import numpy as np
import pytest

from hw.sim.person import Person
from hw.sim.platform import SimPlatform
from hw.sim.profiles import G_M_S2, PROFILES

EMPTY = Person(PROFILES["healthy-young"], seed=0, step_on_at_s=1e6)


def corner_forces(platform, t_s=1.0):
    return np.array([platform.corner_force_n(i, t_s) for i in range(4)])


def test_a_mass_over_a_cell_loads_only_that_corner():
    platform = SimPlatform(EMPTY, width_mm=400.0, depth_mm=300.0)
    for index, (ml, ap) in enumerate(platform.cell_positions_mm()):
        platform.remove_masses()
        platform.place_mass(10.0, ml, ap)
        expected = np.full(4, platform.dead_load_n)
        expected[index] += 10.0 * G_M_S2
        np.testing.assert_allclose(corner_forces(platform), expected, atol=1e-9)


def test_masses_add_to_the_person_and_reproduce_their_cop():
    person = Person(PROFILES["healthy-young"], seed=1)
    platform = SimPlatform(person)
    with_person = corner_forces(platform, 6.0)
    platform.place_mass(20.0, -60.0, 45.0)
    platform.place_mass(5.0, 120.0, -30.0)
    masses = corner_forces(platform, 6.0) - with_person
    assert masses.sum() == pytest.approx(25.0 * G_M_S2)
    cop = masses @ np.array(platform.cell_positions_mm()) / masses.sum()
    np.testing.assert_allclose(cop, ((20 * -60 + 5 * 120) / 25, (20 * 45 + 5 * -30) / 25))
    assert platform.status()["test_mass_kg"] == pytest.approx(25.0)
    platform.remove_masses()
    np.testing.assert_array_equal(corner_forces(platform, 6.0), with_person)
    assert platform.status()["test_mass_kg"] == 0


@pytest.mark.parametrize(
    ("mass_kg", "ml", "ap", "match"),
    [(0.0, 0, 0, "must be positive"), (5.0, 201, 0, "outside"), (5.0, 0, -151, "outside")],
)
def test_impossible_masses_are_refused(mass_kg, ml, ap, match):
    with pytest.raises(ValueError, match=match):
        SimPlatform(EMPTY).place_mass(mass_kg, ml, ap)
