"""Platform tilt from an IMU quaternion, for a sensor mounted x = right, y = front, z = up.

Pitch is the rotation about the platform's ML (left-right) axis, positive when the front edge
goes down; roll is the rotation about the AP (front-back) axis, positive when the right edge goes
down. Each angle is how far that edge's axis points below the horizontal (the arcsine of its
vertical component), so neither depends on heading, which the game rotation vector lets drift,
nor on the order in which the two tilts happened.
"""

import math


def tilt_deg(quaternion: tuple[float, float, float, float]) -> tuple[float, float]:
    """(pitch_deg, roll_deg) of the sensor orientation ``quaternion`` (x, y, z, w), which rotates
    sensor axes into a z-up world frame; it need not be exactly unit length."""
    x, y, z, w = quaternion
    norm2 = x * x + y * y + z * z + w * w
    if not norm2 > 0:
        raise ValueError(f"cannot take the tilt of the zero quaternion {quaternion!r}")
    front_up = 2 * (y * z + w * x) / norm2  # vertical component of the front (y) axis
    right_up = 2 * (x * z - w * y) / norm2  # vertical component of the right (x) axis
    return -_asin_deg(front_up), -_asin_deg(right_up)


def _asin_deg(s: float) -> float:
    return math.degrees(math.asin(min(1.0, max(-1.0, s))))
