"""A simulated trunk-worn IMU mount: the orientation of a sensor strapped to the patient's trunk
(x = right, y = front, z = up when upright), for postural-hold and other trunk drills.

Model: the trunk leans by the body's sway about the ankles (the ``Person``'s inverted pendulum)
plus its own posture on the pelvis (the profile's ``TrunkPosture``): a sway of the trunk over
the hips (a first-order random process of ``sway_deg`` rms and ``sway_tau_s`` correlation, the
hip strategy and breathing together) and a slow drift of ``drift_deg_min`` degrees a minute the
way ``drift_ml_ap`` points (slumping forward, sagging to the weak side) that the patient undoes
``correction_deg`` at a time when told (``correct``, the virtual patient's answer to a lit LED in
the postural-hold drill), never past upright. A forward lean tips the sensor's front down, a lean
to the right its right side down, the same sense as the wobble board's edges.

The posture advances on a fixed 10 ms step with noise that depends only on the seed and the
step, so results do not depend on how often the IMU is queried; queries may go back at most
HISTORY_STEPS steps. Not modelled: the lateral shift of single-leg stance.
"""

import math
from collections import deque
from dataclasses import dataclass

from hw.sim.noise import gauss
from hw.sim.wobble import tilt_quaternion

STEP_S = 0.01  # integration step, s
HISTORY_STEPS = 100  # steps kept for queries back in time (1 s)


@dataclass(frozen=True)
class TrunkPosture:
    """How a person's trunk moves on the pelvis while they stand (defaults: healthy adult)."""

    sway_deg: float = 0.3  # rms of the trunk's own sway over the hips, deg
    sway_tau_s: float = 2.0  # its correlation time, s
    drift_deg_min: float = 0.3  # slow drift of the posture, deg per minute
    drift_ml_ap: tuple[float, float] = (0.0, 1.0)  # which way it drifts: forward by default
    correction_deg: float = 1.0  # how far one correction straightens the drift, deg


class TrunkMount:
    """Orientation of an IMU on ``person``'s trunk (anything with ``trunk_lean_rad(t_s) ->
    (right, forward)`` in rad) whose posture on the pelvis follows ``posture``; ``seed``
    draws its sway."""

    def __init__(self, person, posture: TrunkPosture | None = None, *, seed: int = 0):
        self._person = person
        self.posture = posture or TrunkPosture()
        self._seed = seed
        p = self.posture
        self._a = math.exp(-STEP_S / p.sway_tau_s)
        self._b = p.sway_deg * math.sqrt(1 - self._a * self._a)
        norm = math.hypot(*p.drift_ml_ap) or 1.0
        rate = p.drift_deg_min / 60.0 * STEP_S
        self._drift_step = (rate * p.drift_ml_ap[0] / norm, rate * p.drift_ml_ap[1] / norm)
        self._corrections: list[tuple[float, float, float]] = []  # (t_s, ml, ap) unit, to apply
        self._start_k: int | None = None
        self._last_k = 0
        # per step: (sway ml, sway ap, drift ml, drift ap) in degrees
        self._states: deque[tuple[float, float, float, float]] = deque(maxlen=HISTORY_STEPS + 2)

    def correct(self, t_s: float, ml: float, ap: float) -> None:
        """From ``t_s`` straighten the drift by ``correction_deg`` toward (``ml``, ``ap``) (a
        direction: right and front positive), no further than upright."""
        norm = math.hypot(ml, ap)
        if norm > 0:
            self._corrections.append((t_s, ml / norm, ap / norm))

    def lean_deg(self, t_s: float) -> tuple[float, float]:
        """The trunk's own lean on the pelvis (right, forward) in degrees at ``t_s``."""
        k = math.floor(t_s / STEP_S)
        if self._start_k is None:
            self._start_k = self._last_k = k
            self._states.append((0.0, 0.0, 0.0, 0.0))
        while self._last_k < k:
            self._step()
        i = len(self._states) - 1 - (self._last_k - k)
        if i < 0:
            raise ValueError(f"trunk posture queried at {t_s} s, more than 1 s before a later one")
        sml, sap, dml, dap = self._states[i]
        return sml + dml, sap + dap

    def _step(self) -> None:
        self._last_k += 1
        t = self._last_k * STEP_S
        sml, sap, dml, dap = self._states[-1]
        sml = self._a * sml + self._b * gauss(self._seed, t)
        sap = self._a * sap + self._b * gauss(self._seed + 1, t)
        dml, dap = dml + self._drift_step[0], dap + self._drift_step[1]
        while self._corrections and self._corrections[0][0] <= t:
            _, ux, uy = self._corrections.pop(0)
            along = dml * ux + dap * uy  # the drift's part against the correction
            if along < 0:
                step = min(-along, self.posture.correction_deg)
                dml, dap = dml + step * ux, dap + step * uy
        self._states.append((sml, sap, dml, dap))

    def orientation(self, t_s: float) -> tuple[float, float, float, float]:
        """Unit quaternion (x, y, z, w) of the sensor at ``t_s``: the body's lean about the
        ankles (upright while off the platform) plus the trunk's own."""
        right_rad, forward_rad = self._person.trunk_lean_rad(t_s)
        own_right, own_forward = self.lean_deg(t_s)
        right_rad += math.radians(own_right)
        forward_rad += math.radians(own_forward)
        return tilt_quaternion(-forward_rad, right_rad)
