"""tilt_deg: pitch (front edge down) and roll (right edge down) from hand-built quaternions."""

import math

import pytest

from sensing.tilt import tilt_deg


def about(axis, angle_deg):
    """Quaternion (x, y, z, w) of a right-handed rotation by ``angle_deg`` about ``axis``."""
    half = math.radians(angle_deg) / 2
    return (*(a * math.sin(half) for a in axis), math.cos(half))


def compose(a, b):
    """a * b: rotate by b first, then by a (Hamilton product, (x, y, z, w) order)."""
    ax, ay, az, aw = a
    bx, by, bz, bw = b
    return (
        aw * bx + ax * bw + ay * bz - az * by,
        aw * by - ax * bz + ay * bw + az * bx,
        aw * bz + ax * by - ay * bx + az * bw,
        aw * bw - ax * bx - ay * by - az * bz,
    )


X, Y, Z = (1, 0, 0), (0, 1, 0), (0, 0, 1)


def test_level_is_zero():
    assert tilt_deg((0.0, 0.0, 0.0, 1.0)) == (0.0, 0.0)


def test_front_edge_down_is_positive_pitch():
    # a right-handed turn about x (the ML axis) by -10 degrees lowers the front (+y) edge
    assert tilt_deg(about(X, -10.0)) == pytest.approx((10.0, 0.0), abs=1e-9)


def test_right_edge_down_is_positive_roll():
    # a right-handed turn about y (the AP axis) by +10 degrees lowers the right (+x) edge
    assert tilt_deg(about(Y, 10.0)) == pytest.approx((0.0, 10.0), abs=1e-9)


def test_heading_does_not_change_the_tilt():
    tilted = compose(about(Y, -6.0), about(X, -4.0))  # front edge down, then right edge up
    front_down_deg = math.degrees(math.asin(math.sin(math.radians(4)) * math.cos(math.radians(6))))
    assert tilt_deg(tilted) == pytest.approx((front_down_deg, -6.0), abs=1e-9)
    for heading_deg in (30.0, 90.0, -135.0):
        turned = compose(about(Z, heading_deg), tilted)  # the whole platform turned about up
        assert tilt_deg(turned) == pytest.approx((front_down_deg, -6.0), abs=1e-9)


def test_each_angle_is_the_edge_below_the_horizontal():
    q = compose(about(Y, 20.0), about(X, -30.0))
    # where the front and right edge directions end up, rotated by hand with q v q*
    front = compose(compose(q, (0, 1, 0, 0)), (-q[0], -q[1], -q[2], q[3]))
    right = compose(compose(q, (1, 0, 0, 0)), (-q[0], -q[1], -q[2], q[3]))
    expected = (-math.degrees(math.asin(front[2])), -math.degrees(math.asin(right[2])))
    assert tilt_deg(q) == pytest.approx(expected, abs=1e-9)
    assert tilt_deg(q)[1] == pytest.approx(20.0, abs=1e-9)  # the right edge turned only once


def test_scale_does_not_matter_but_zero_is_rejected():
    q = about(X, -10.0)
    assert tilt_deg(tuple(2.5 * c for c in q)) == pytest.approx(tilt_deg(q), abs=1e-9)
    with pytest.raises(ValueError, match="zero quaternion"):
        tilt_deg((0.0, 0.0, 0.0, 0.0))
