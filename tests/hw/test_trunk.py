"""TrunkMount: a trunk-worn IMU leans with the body's centre of mass over the ankles."""

import math

import numpy as np
import pytest

from hw.sim.person import PROFILES, Person
from hw.sim.trunk import TrunkMount
from sensing.tilt import tilt_deg


def test_upright_while_off_the_platform():
    person = Person(PROFILES["healthy-young"], seed=1, step_on_at_s=None)
    trunk = TrunkMount(person)
    assert [trunk.orientation(t / 10) for t in range(30)] == [(0.0, 0.0, 0.0, 1.0)] * 30


@pytest.mark.parametrize(("ml", "ap", "sign_pitch", "sign_roll"), [(0, 1, 1, 0), (1, 0, 0, 1)])
def test_a_lean_tilts_the_trunk_by_the_pendulum_angle(ml, ap, sign_pitch, sign_roll):
    profile = PROFILES["healthy-young"]
    person = Person(profile, seed=2, step_on_at_s=0.5)
    trunk = TrunkMount(person)
    reach_ml, reach_ap = person.reach_mm(ml, ap)
    for t in np.arange(0.0, 6.0, 0.01):
        person.load(t)
        trunk.orientation(t)
    person.lean_to(6.0, reach_ml * 0.5, reach_ap * 0.5)
    tilts = []
    for t in np.arange(6.0, 14.0, 0.01):
        person.load(t)
        tilts.append(tilt_deg(trunk.orientation(t)))
    pitch, roll = np.mean(tilts[-200:], axis=0)  # the last 2 s, held at the target
    com_height_mm = profile.com_height_fraction * profile.height_m * 1000
    want = math.degrees(math.atan2(0.5 * max(reach_ml, reach_ap), com_height_mm))
    # forward lean: pitch positive (front down); to the right: roll positive (right side down)
    assert pitch == pytest.approx(sign_pitch * want, abs=0.4)
    assert roll == pytest.approx(sign_roll * want, abs=0.4)
