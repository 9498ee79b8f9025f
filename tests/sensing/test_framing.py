"""Frames in the patient's frame: geometry from config, load split, live filter, IMU tilt."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hw.imu import ImuSample
from sensing.calibration import CornerCalibration
from sensing.cop import PlatformGeometry, center_of_pressure, load_split_pct
from sensing.framing import FrameBuilder

UNIT = CornerCalibration((0,) * 4, (1.0,) * 4)
RECT = PlatformGeometry(400.0, 300.0)


def tilted(pitch_deg: float = 0.0, roll_deg: float = 0.0, t_s: float = 0.0) -> ImuSample:
    """An IMU reading tilted about one axis: ML (front edge down by ``pitch_deg``) or AP
    (right edge down by ``roll_deg``), for a sensor mounted x right, y front, z up."""
    assert pitch_deg == 0.0 or roll_deg == 0.0
    half_pitch, half_roll = math.radians(-pitch_deg) / 2, math.radians(roll_deg) / 2
    quaternion = (
        math.sin(half_pitch),
        math.sin(half_roll),
        0.0,
        math.cos(half_pitch) * math.cos(half_roll),
    )
    return ImuSample(t_s, quaternion, (0.0, 0.0, 9.81))


def test_load_split_follows_the_patients_sides():
    _, ml, ap = center_of_pressure([300, 100, 300, 100], RECT, 20)  # 75% on the left
    assert load_split_pct(ml, ap, RECT) == pytest.approx((75.0, 50.0))
    _, ml, ap = center_of_pressure([100, 100, 0, 0], RECT, 20)  # all on the front cells
    assert load_split_pct(ml, ap, RECT) == pytest.approx((50.0, 100.0))
    assert all(math.isnan(v) for v in load_split_pct(math.nan, math.nan, RECT))


def test_facing_the_back_edge_turns_cop_and_sides_round():
    back = PlatformGeometry(400.0, 300.0, facing="back")
    forces = [300, 100, 300, 100]  # heavier on the platform's left = the patient's right
    _, ml, ap = center_of_pressure(forces, back, 20)
    _, ml_front, ap_front = center_of_pressure(forces, RECT, 20)
    assert (ml, ap) == pytest.approx((-ml_front, -ap_front))
    assert load_split_pct(ml, ap, back)[0] == pytest.approx(25.0)


def test_origin_and_custom_cell_positions():
    geometry = PlatformGeometry(
        0.0,
        0.0,
        cells_ml_mm=(-250.0, 250.0, -250.0, 250.0),
        cells_ap_mm=(200.0, 200.0, -100.0, -100.0),
        origin_ml_mm=10.0,
        origin_ap_mm=50.0,
    )
    _, ml, ap = center_of_pressure([1, 1, 1, 1], geometry, 0.1)
    assert (ml, ap) == pytest.approx((-10.0, 0.0))  # centroid (0, 50) seen from (10, 50)
    with pytest.raises(ValueError, match="both cells_ml_mm and cells_ap_mm"):
        PlatformGeometry(400, 300, cells_ml_mm=(1, 2, 3, 4))


@settings(max_examples=60, deadline=None)
@given(
    forces=st.lists(st.floats(0.0, 1000.0), min_size=4, max_size=4).filter(lambda f: sum(f) > 1),
    scale=st.floats(0.1, 10.0),
    shift=st.tuples(st.floats(-100, 100), st.floats(-100, 100)),
)
def test_cop_formula_invariants(forces, scale, shift):
    """Inside the cell rectangle; unchanged by scaling all forces; moved with the cells;
    turned round when facing back."""
    _, ml, ap = center_of_pressure(forces, RECT, 1e-6)
    assert -200 - 1e-9 <= ml <= 200 + 1e-9 and -150 - 1e-9 <= ap <= 150 + 1e-9
    _, ml2, ap2 = center_of_pressure(np.asarray(forces) * scale, RECT, 1e-6)
    assert (ml2, ap2) == pytest.approx((ml, ap), abs=1e-9)
    moved = PlatformGeometry(
        0,
        0,
        cells_ml_mm=tuple(RECT.cell_positions_mm[:, 0] + shift[0]),
        cells_ap_mm=tuple(RECT.cell_positions_mm[:, 1] + shift[1]),
    )
    _, ml3, ap3 = center_of_pressure(forces, moved, 1e-6)
    assert (ml3, ap3) == pytest.approx((ml + shift[0], ap + shift[1]), abs=1e-6)
    _, ml4, ap4 = center_of_pressure(forces, PlatformGeometry(400, 300, facing="back"), 1e-6)
    assert (ml4, ap4) == pytest.approx((-ml, -ap), abs=1e-9)


def test_live_cop_is_low_passed_while_the_raw_cop_is_not():
    builder = FrameBuilder(UNIT, RECT, 20.0, rate_hz=100.0, live_cutoff_hz=5.0)
    centred = (100, 100, 100, 100)
    right = (0, 200, 0, 200)  # the COP jumps 200 mm to the right
    builder.build(0.0, centred, True)
    first = builder.build(0.01, right, True)
    assert first.cop_ml_mm == pytest.approx(200.0)
    assert 0 < first.cop_ml_live_mm < 50  # the live COP follows gradually...
    frames = [builder.build(0.01 * k, right, True) for k in range(2, 60)]
    assert frames[-1].cop_ml_live_mm == pytest.approx(200.0, abs=0.5)  # ...and settles
    empty = builder.build(0.7, (0, 0, 0, 0), True)
    assert math.isnan(empty.cop_ml_live_mm)  # nobody on: no live COP either


def test_tilt_is_relative_to_the_zeroed_attitude_with_its_rate():
    builder = FrameBuilder(UNIT, RECT, 20.0)
    counts = (100,) * 4
    frame = builder.build(0.0, counts, True, tilted(pitch_deg=3.0, t_s=0.0))
    assert (frame.pitch_deg, frame.roll_deg) == pytest.approx((3.0, 0.0), abs=1e-9)
    assert builder.zero_tilt() == pytest.approx((3.0, 0.0))  # the board as it rests
    frame = builder.build(0.01, counts, True, tilted(pitch_deg=5.0, t_s=0.01))
    assert (frame.pitch_deg, frame.roll_deg) == pytest.approx((2.0, 0.0), abs=1e-9)
    assert frame.pitch_rate_deg_s == pytest.approx(200.0, rel=1e-6)  # 2 deg in 10 ms
    same = builder.build(0.015, counts, True, tilted(pitch_deg=5.0, t_s=0.01))
    assert same.pitch_rate_deg_s == pytest.approx(200.0, rel=1e-6)  # no new reading: held
    frame = builder.build(0.02, counts, True, tilted(roll_deg=-4.0, t_s=0.02))
    assert frame.roll_deg == pytest.approx(-4.0, abs=1e-9)  # right edge up
    assert frame.roll_rate_deg_s == pytest.approx(-400.0, rel=1e-6)
    frame = builder.build(0.03, counts, True, None)  # IMU stale or faulty
    assert math.isnan(frame.pitch_deg) and math.isnan(frame.pitch_rate_deg_s)
    assert builder.zero_tilt() == pytest.approx((3.0, 0.0))  # no reading: reference kept


def test_frames_say_when_someone_is_on_and_has_settled():
    builder = FrameBuilder(UNIT, RECT, 20.0, rate_hz=100.0)
    empty = builder.build(0.0, (5, 5, 5, 5), True)
    assert not empty.on_platform and not empty.settled
    standing = [builder.build(k / 100, (175, 175, 175, 175), True) for k in range(1, 101)]
    assert standing[0].on_platform and not standing[0].settled  # just stepped on
    assert standing[-1].settled  # a steady second later
    leaving = builder.build(1.02, (20, 20, 20, 20), True)
    assert not leaving.on_platform and not leaving.settled
