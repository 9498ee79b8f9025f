"""A simulated wobble board: a board on a dome that rolls on the force platform, tilted by the
patient's centre of pressure, carrying the IMU (x = right, y = front, z = up).

Model: the dome (radius of curvature R) rolls without slipping, so the whole load passes through
its contact point and the platform measures that point as the COP; rolling the contact a distance
d from the centre tilts the board by d / R radians, that side down. The target tilt is therefore
the person's COP offset over R, a rotation about the horizontal axis perpendicular to the offset
(no yaw). The board follows the target through a first-order lag ``tau_s`` (the inertia of board
and body), the tilt is limited to ``max_tilt_deg`` (the rim touches the platform), and the
target is level while nobody stands on it. Not modelled: the COP shift from the dome's own
weight, bouncing at the rim, yaw, and the acceleration of the board's motion.

The tilt advances on a fixed 5 ms step from ``start_s`` (default: the first query), level at
that time, and queries interpolate between steps, so results do not depend on the query pattern
as long as successive queries are less than ``CATCH_UP_S`` apart (the IMU emulator queries at
every report). After a longer gap (the IMU unplugged or re-initialising) the board holds its tilt
and steps only the last ``CATCH_UP_S`` before the query, since the person model answers only
about 1 s into its past; the tilt is then within e^(-CATCH_UP_S / tau_s) of the gapless value.
Query times may go back by at most 1 s.
"""

import math
from collections import deque

STEP_S = 0.005  # integration step, s
HISTORY_STEPS = 200  # steps kept for queries back in time (1 s)
CATCH_UP_S = 0.75  # longest stretch integrated at once, s: 5 time constants at the default tau


class WobbleBoard:
    """Orientation of a wobble board under ``person`` (anything with ``load(t_s) -> (force_n,
    cop_ml_mm, cop_ap_mm)``, ML positive to the right, AP positive to the front)."""

    def __init__(
        self,
        person,
        *,
        max_tilt_deg: float = 15.0,
        radius_mm: float = 100.0,
        tau_s: float = 0.15,
        start_s: float | None = None,
    ):
        for name, value in (("max_tilt_deg", max_tilt_deg), ("radius_mm", radius_mm)):
            if not value > 0:
                raise ValueError(f"wobble board {name} must be positive, got {value!r}")
        if not tau_s > 0:
            raise ValueError(f"wobble board tau_s must be positive, got {tau_s!r}")
        self._person = person
        self.max_tilt_deg = max_tilt_deg
        self.radius_mm = radius_mm
        self.tau_s = tau_s
        self._max_rad = math.radians(max_tilt_deg)
        self._alpha = 1.0 - math.exp(-STEP_S / tau_s)
        self._start_s = start_s
        self._last_k = 0  # step index of the newest state in _tilts
        # rotation vector (about x, about y) in radians at start_s + k * STEP_S
        self._tilts: deque[tuple[float, float]] = deque([(0.0, 0.0)], maxlen=HISTORY_STEPS + 2)

    def orientation(self, t_s: float) -> tuple[float, float, float, float]:
        """Unit quaternion (x, y, z, w) of the board at ``t_s``; level before ``start_s``."""
        if self._start_s is None:
            self._start_s = t_s
        pos = (t_s - self._start_s) / STEP_S
        if pos <= 0.0:
            return (0.0, 0.0, 0.0, 1.0)
        k = math.floor(pos)
        catch_up_from = k + 1 - round(CATCH_UP_S / STEP_S)
        if self._last_k < catch_up_from:  # hold the tilt across the gap
            self._tilts = deque([self._tilts[-1]], maxlen=HISTORY_STEPS + 2)
            self._last_k = catch_up_from
        while self._last_k < k + 1:
            self._step()
        i = k - (self._last_k - len(self._tilts) + 1)
        if i < 0:
            raise ValueError(f"wobble board queried at {t_s} s, more than 1 s before a later query")
        (ax0, ay0), (ax1, ay1) = self._tilts[i], self._tilts[i + 1]
        f = pos - k
        return tilt_quaternion(ax0 + f * (ax1 - ax0), ay0 + f * (ay1 - ay0))

    def _step(self) -> None:
        """Advance the lagged tilt by one step towards the target at the new step's time."""
        force_n, ml_mm, ap_mm = self._person.load(self._start_s + (self._last_k + 1) * STEP_S)
        tx, ty = 0.0, 0.0
        if force_n > 0.0:  # COP to the right: right edge down (+y); to the front: front down (-x)
            tx, ty = -ap_mm / self.radius_mm, ml_mm / self.radius_mm
            tilt = math.hypot(tx, ty)
            if tilt > self._max_rad:
                tx, ty = tx * self._max_rad / tilt, ty * self._max_rad / tilt
        ax, ay = self._tilts[-1]
        self._tilts.append((ax + self._alpha * (tx - ax), ay + self._alpha * (ty - ay)))
        self._last_k += 1


def tilt_quaternion(ax: float, ay: float) -> tuple[float, float, float, float]:
    """The rotation by the horizontal rotation vector (ax, ay, 0) radians, as (x, y, z, w)."""
    angle = math.hypot(ax, ay)
    if angle == 0.0:
        return (0.0, 0.0, 0.0, 1.0)
    s = math.sin(angle / 2) / angle
    return (ax * s, ay * s, 0.0, math.cos(angle / 2))
