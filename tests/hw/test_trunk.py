"""TrunkMount: a trunk-worn IMU leans with the body's centre of mass over the ankles, plus the
trunk's own posture on the hips: it sways, drifts and is straightened by corrections."""

import math

import numpy as np
import pytest

from hw.sim.person import Person
from hw.sim.profiles import PROFILES
from hw.sim.trunk import TrunkMount, TrunkPosture
from sensing.tilt import tilt_deg

RIGID = TrunkPosture(sway_deg=0.0, drift_deg_min=0.0)  # the trunk moves with the body only


def test_upright_while_off_the_platform():
    person = Person(PROFILES["healthy-young"], seed=1, step_on_at_s=None)
    trunk = TrunkMount(person, RIGID)
    assert [trunk.orientation(t / 10) for t in range(30)] == [(0.0, 0.0, 0.0, 1.0)] * 30


@pytest.mark.parametrize(("ml", "ap", "sign_pitch", "sign_roll"), [(0, 1, 1, 0), (1, 0, 0, 1)])
def test_a_lean_tilts_the_trunk_by_the_pendulum_angle(ml, ap, sign_pitch, sign_roll):
    profile = PROFILES["healthy-young"]
    person = Person(profile, seed=2, step_on_at_s=0.5)
    trunk = TrunkMount(person, RIGID)
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


def test_the_trunk_drifts_at_its_rate_and_a_correction_straightens_it():
    person = Person(PROFILES["healthy-young"], seed=1, step_on_at_s=None)  # body upright
    posture = TrunkPosture(sway_deg=0.0, drift_deg_min=3.0, correction_deg=1.0)
    trunk = TrunkMount(person, posture)
    assert trunk.lean_deg(0.0) == (0.0, 0.0)
    right, forward = trunk.lean_deg(60.0)
    assert right == pytest.approx(0.0) and forward == pytest.approx(3.0, abs=0.01)  # a minute
    trunk.correct(60.0, 0.0, -1.0)  # told it leans forward: straighten back
    assert trunk.lean_deg(60.5)[1] == pytest.approx(2.0 + 3.0 * 0.5 / 60, abs=0.01)
    for k in range(5):  # corrections stop at upright
        trunk.correct(61.0 + k * 0.01, 0.0, -1.0)
    assert trunk.lean_deg(61.2)[1] == pytest.approx(3.0 * 0.2 / 60, abs=0.01)
    pitch, _ = tilt_deg(trunk.orientation(61.2))
    assert pitch == pytest.approx(trunk.lean_deg(61.2)[1], abs=1e-6)


def test_the_trunk_sways_by_its_own_amount_the_same_whatever_the_queries():
    person = Person(PROFILES["healthy-young"], seed=1, step_on_at_s=None)
    posture = TrunkPosture(sway_deg=0.8, sway_tau_s=1.0, drift_deg_min=0.0)
    every = TrunkMount(person, posture, seed=5)
    sparse = TrunkMount(person, posture, seed=5)
    times = np.arange(0.0, 600.0, 0.01)
    leans = np.array([every.lean_deg(t) for t in times])
    assert np.std(leans, axis=0) == pytest.approx([0.8, 0.8], rel=0.15)
    sparse.lean_deg(0.0)  # both start at 0 s; then one query 300 s on
    assert sparse.lean_deg(times[30000]) == pytest.approx(leans[30000])
    with pytest.raises(ValueError, match="more than 1 s before"):
        every.lean_deg(10.0)


def test_the_frail_trunk_sways_and_drifts_more_than_the_healthy_one():
    healthy, frail = PROFILES["healthy-young"].trunk, PROFILES["high-fall-risk"].trunk
    assert frail.sway_deg > 2 * healthy.sway_deg
    assert frail.drift_deg_min > 5 * healthy.drift_deg_min
