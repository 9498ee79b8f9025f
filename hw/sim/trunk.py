"""A simulated trunk-worn IMU mount: the orientation of a sensor strapped to the patient's trunk
(x = right, y = front, z = up when upright), for postural-hold and other trunk drills.

Model: the body sways as a rigid inverted pendulum about the ankles (``Person``), so the trunk
leans by the pendulum's angle: forward lean tips the sensor's front down, a lean to the right
its right side down, the same sense as the wobble board's edges. Not modelled: hip strategy
(trunk and legs moving apart), breathing, and the lateral shift of single-leg stance.
"""

from hw.sim.wobble import tilt_quaternion


class TrunkMount:
    """Orientation of an IMU on ``person``'s trunk (anything with ``trunk_lean_rad(t_s) ->
    (right, forward)`` in rad)."""

    def __init__(self, person):
        self._person = person

    def orientation(self, t_s: float) -> tuple[float, float, float, float]:
        """Unit quaternion (x, y, z, w) of the sensor at ``t_s``; upright while off."""
        right_rad, forward_rad = self._person.trunk_lean_rad(t_s)
        return tilt_quaternion(-forward_rad, right_rad)
