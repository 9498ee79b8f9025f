"""Physical model of a person stepping onto, standing on and leaving the simulated platform.

Sway: per axis (AP, ML) a body-about-the-ankles inverted pendulum, its centre of mass at
``com_height_fraction * height_m`` = h and its moment of inertia about the ankles
m (k^2 H^2 + h^2) (``GYRATION_SQ``, the constants of Duarte's ``cogve``, after Brenière 1996):
``x'' = (g h / (k^2 H^2 + h^2)) * (x - p)`` with x the centre of mass and p the centre of
pressure (COP = ankle torque / weight), in mm. The nervous system commands
``p_cmd = r + k * (x(t - delay) - r) + b * x'(t - delay) + n`` (a delayed PD controller, gains
normalised by m*g*h) and the muscles follow it with a first-order lag; n is a low-pass torque
disturbance and r the reference posture: a slow drift (the "rambling" of quiet stance) plus any
deliberate lean. The ML axis, standing in for the hip load/unload mechanism, has the same form
with a quieter disturbance. Each condition (eyes closed, foam pad, one leg) has its own
`SwayAxis` values; switching keeps every state, so the COP path stays continuous.

What the person does comes as time-stamped commands: ``set_condition``, ``lean_to`` / ``hold``
(move the reference at the profile's lean speed, within their limits of stability),
``stand_on`` / ``both_feet`` (single-leg stance, ended by a touch-down after a hold time drawn
for the profile), ``step_on`` / ``step_off``. The ankles can place the COP only so far
(``balance_reserve`` times the person's limits of stability, less on foam): the COP saturates
there, and once the COM passes it by FALL_MARGIN_MM the person has lost balance, the sway
freezes and they step off the platform. A lean is planned as a minimum-jerk path of the held
posture; the controller adds the COP that moves the COM along it (the anticipatory COP shift
the other way first, the braking overshoot at the end), so the COP path of a lean looks like a
real one. Single-leg stance ends with the touch-down after the drawn hold time, not with a fall.

The state advances on a fixed 5 ms step from ``start_s`` with noise drawn in 1 s blocks from the
seeded generator, and a checkpoint is kept at the start of each block: a command for a time the
integration has already passed re-integrates from the block before it with the same noise.
Queries interpolate, so results depend on the seed and the commands only, never on when or how
often the load was queried.
"""

import bisect
import itertools
import math
import threading
from dataclasses import dataclass, field, replace

import numpy as np

from hw.sim.trunk import TrunkPosture

G_M_S2 = 9.80665  # standard gravity, m/s^2
PACE_TRIES = 40  # a move is slowed by 10% at most this often (x45 in all)
STEP_S = 0.005  # integration step, s
# Steps integrated at a time: 0.1 s, a fraction of a millisecond of CPU, so that a chip's read
# that needs the next block never stalls its reader long enough to miss a conversion (a 1 s
# block took about 5 ms). The noise is still drawn 1 s at a time, so a seed's sway is the same.
BLOCK_STEPS = 20
NOISE_BLOCKS = 10  # blocks whose noise is drawn at once
KEPT_BLOCKS = 20  # integrated blocks kept for late queries and commands (2 s)
SETTLE_S = 4.0  # the stepping transient is cut to 0 this long after the weight ramp, s

LOS_LIMITS_DEG = {"front": 8.0, "back": 4.5, "left": 8.0, "right": 8.0}
"""Theoretical limits of stability: sway angle about the ankles (docs/clinical.md)."""

FOAM_RESERVE = 0.8  # on foam the ankles reach this share of the COP range they reach on firm ground
FALL_MARGIN_MM = 10.0  # COM this far beyond the reachable COP: balance is lost
WEIGHT_SHIFT_S = 0.6  # moving the COP under the stance foot before lifting the other, s
TOUCH_DOWN_S = 0.3  # the COP returning toward the middle as the lifted foot lands, s
LEAN_SWING_FRACTION = 0.25  # most COP lead a deliberate lean takes, over its distance
LEAN_SWING_MM = 2.0  # ... plus this, so that a short move is not dragged out
STOP_S = 0.3  # quickest braking of a lean to a hold, s
STOP_SWING_MM = 30.0  # most COP lead that braking takes
MAX_HOLD_S = 120.0  # longest single-leg stance drawn, s
LEAN_TIME_PER_SPEED = 0.9 / 0.62149
"""A minimum-jerk move of distance A at speed v lasts this * A / v: the LOS test's movement
velocity, 0.9 * A over the time between 5% and 95% of A (0.62149 of the move), is then v."""

SIDES = ("left", "right")

GYRATION_SQ = {"ml": 0.0572, "ap": 0.0533}
"""The body's squared radius of gyration about its centre of mass over height squared, per
axis (Duarte, BMClab ``cogve``; Brenière 1996): with the centre of mass's own distance from the
ankles it gives the moment of inertia the pendulum turns with (docs/clinical.md)."""


@dataclass(frozen=True)
class SwayAxis:
    """Controller and disturbance of one sway axis (defaults: healthy young adult, AP)."""

    stiffness: float = 1.25  # active proportional gain, in units of m*g*h (>1 to stand)
    damping_s: float = 0.45  # derivative gain / (m*g*h), s
    noise_mm: float = 0.98  # std of the torque disturbance, expressed as COP, mm
    noise_tau_s: float = 1.0  # correlation time of the torque disturbance, s
    drift_mm: float = 2.52  # std of the reference-posture drift, mm
    drift_tau_s: float = 10.0  # correlation time of that drift, s


@dataclass(frozen=True)
class Stance:
    """Both sway axes in one condition."""

    ap: SwayAxis
    ml: SwayAxis


@dataclass(frozen=True)
class Reach:
    """Per direction, a fraction of the theoretical limit of stability (LOS_LIMITS_DEG)."""

    front: float = 1.0
    back: float = 1.0
    left: float = 1.0
    right: float = 1.0


@dataclass(frozen=True)
class PersonProfile:
    """A person: body size, sway controller per axis and condition, how they step on and off,
    lean, stand on one leg and react.

    ``ap`` / ``ml`` sway eyes open on a firm surface; a condition left None sways the same.
    """

    name: str
    mass_kg: float
    height_m: float
    age_years: int = 30  # what a therapist enters as the birth date; the norms depend on it
    sex: str = "female"  # 'female' or 'male', likewise
    ap: SwayAxis = field(default_factory=SwayAxis)  # antero-posterior sway
    ml: SwayAxis = field(default_factory=SwayAxis)  # medio-lateral sway
    eyes_closed: Stance | None = None  # eyes closed, firm surface
    foam: Stance | None = None  # eyes open on a foam pad
    eyes_closed_foam: Stance | None = None
    single_leg: Stance | None = None  # on one leg (firm, either eye condition)
    com_height_fraction: float = 0.55  # ankle-to-COM distance / body height
    delay_s: float = 0.15  # neural feedback delay, s
    muscle_tau_s: float = 0.08  # time constant of ankle-torque build-up, s
    step_on_s: float = 0.7  # weight ramp when stepping on, s
    step_off_s: float = 0.5  # weight ramp when stepping off, s
    foot_spacing_mm: float = 180.0  # ML distance between the feet's centres, mm
    lead_side: int = 1  # foot placed first: +1 right, -1 left
    load_share_left: float = 0.5  # share of body weight on the left leg in quiet stance
    los_fraction: Reach = field(default_factory=Reach)  # own limits of stability
    balance_reserve: float = 1.4  # reachable COP range / own limits of stability (firm)
    reaction_time_s: tuple[float, float] = (0.4, 0.08)  # cue to movement: mean and std, s
    lean_speed_deg_s: float = 6.0  # COM speed of a deliberate lean, deg/s about the ankles
    single_leg_hold_s: tuple[float, float] = (40.0, 9.0)  # median hold, eyes open and closed
    single_leg_hold_spread: float = 0.45  # std of the log of the hold time
    weaker_leg: str | None = None  # 'left' or 'right': the affected leg
    weaker_leg_hold_factor: float = 1.0  # hold time standing on the weaker leg, relative
    trunk: TrunkPosture = field(default_factory=TrunkPosture)  # the trunk's posture on the hips

    def stance(self, eyes_closed: bool, foam: bool, single_leg: bool = False) -> Stance:
        """The sway axes in a condition."""
        if single_leg:
            chosen = self.single_leg
        elif foam:
            chosen = self.eyes_closed_foam if eyes_closed else self.foam
        else:
            chosen = self.eyes_closed if eyes_closed else None
        return chosen or Stance(self.ap, self.ml)

    def pendulum_w2(self, axis: str) -> float:
        """Squared natural angular frequency (1/s^2) of the body pendulum about the ankles on
        ``axis`` ('ml' or 'ap'): m g h / I with I = m (k^2 H^2 + h^2)."""
        h = self.com_height_fraction * self.height_m
        return G_M_S2 * h / (GYRATION_SQ[axis] * self.height_m**2 + h * h)

    @property
    def cog_height_mm(self) -> float:
        """Height of the centre of gravity above the ankles, mm."""
        return self.com_height_fraction * self.height_m * 1000.0

    @property
    def neutral_ml_mm(self) -> float:
        """Mean ML COP of quiet stance from the midpoint of the feet, mm: with the feet at
        +-spacing/2 it is spacing * (share_right - 0.5)."""
        return self.foot_spacing_mm * (0.5 - self.load_share_left)

    def limit_mm(self, direction: str) -> float:
        """How far the COM can be held from the midpoint of the feet toward ``direction``
        ('front', 'back', 'left', 'right'), mm: the fraction of the theoretical limit."""
        angle = math.radians(LOS_LIMITS_DEG[direction])
        return self.cog_height_mm * math.tan(angle) * getattr(self.los_fraction, direction)


def _stance(ap_noise_mm, ap_drift_mm, ml_noise_mm, ml_drift_mm, *, noise_tau_s, **kw) -> Stance:
    """Both axes with the given disturbance and drift over a common controller ``kw``."""
    ap = SwayAxis(noise_mm=ap_noise_mm, drift_mm=ap_drift_mm, noise_tau_s=noise_tau_s, **kw)
    return Stance(ap, replace(ap, noise_mm=ml_noise_mm, drift_mm=ml_drift_mm))


def _scaled(stance: Stance, noise: float, drift: float, ml: float) -> Stance:
    """``stance`` with disturbance and drift scaled, the ML axis's by ``ml`` more."""
    ap, m = stance.ap, stance.ml
    return Stance(
        replace(ap, noise_mm=ap.noise_mm * noise, drift_mm=ap.drift_mm * drift),
        replace(m, noise_mm=m.noise_mm * noise * ml, drift_mm=m.drift_mm * drift * ml),
    )


_OLDER = {"stiffness": 1.2, "damping_s": 0.5}  # the older adult's controller
_OLDER_SWAY = {
    "eyes_open": _stance(1.14, 1.76, 0.58, 0.88, noise_tau_s=0.8, **_OLDER),
    "eyes_closed": _stance(1.13, 0.75, 0.57, 0.38, noise_tau_s=0.56, **_OLDER),
    "foam": _stance(3.06, 4.7, 2.02, 2.91, noise_tau_s=0.4, **_OLDER),
    "eyes_closed_foam": _stance(3.37, 4.79, 2.22, 2.98, noise_tau_s=0.32, **_OLDER),
    "single_leg": _stance(3.6, 3.5, 4.2, 2.8, noise_tau_s=0.8, **_OLDER),
}


def _clinical(name, mass_kg, height_m, *, noise, drift, ml, on_foam, **kw) -> PersonProfile:
    """A patient swaying like the older adult scaled by ``noise``, ``drift`` and ``ml``; on
    foam by ``on_foam`` instead of ``noise`` and ``drift``."""
    sway = {
        k: _scaled(v, *((on_foam,) * 2 if "foam" in k else (noise, drift)), ml)
        for k, v in _OLDER_SWAY.items()
    }
    eyes_open = sway.pop("eyes_open")
    return PersonProfile(name, mass_kg, height_m, ap=eyes_open.ap, ml=eyes_open.ml, **sway, **kw)


# Sway tuned so that 60 s of standing still, measured through the whole emulated station (load
# cells with their noise, hum and drift, scored under the published processing of
# drills.standing), puts the medians over 20 seeds within 10% of those of Santos & Duarte 2016
# for young and old adults in all four conditions (docs/clinical.md, "The virtual patient").
# Older adults: longer delay, more noise and less slow drift (faster, not larger, sway). Foam
# enlarges and speeds the sway: more disturbance with a shorter correlation time, the ML axis
# relatively more; eyes closed on firm ground barely changes the area and slightly raises the
# velocity. The clinical profiles scale the older adult's sway. Single-leg hold times put the
# best of three trials near Springer et al. 2007's age norms (44.7 s eyes open at 18-39 years,
# 21.5 s at 70-79; eyes closed 13-17 s and about 3 s) and the frail patient under Vellas et al.
# 1997's 5 s; reach, reaction and lean speed are plausible values in the spirit of the clinical
# literature (docs/clinical.md), ordered from the healthy young adult to the frail one.
PROFILES: dict[str, PersonProfile] = {
    "healthy-young": PersonProfile(
        "healthy-young", 65.0, 1.70, age_years=25, ml=SwayAxis(noise_mm=0.49, drift_mm=1.26),
        eyes_closed=_stance(1.04, 2.32, 0.51, 1.16, noise_tau_s=1.0),
        foam=_stance(2.27, 4.37, 1.5, 2.69, noise_tau_s=0.6),
        eyes_closed_foam=_stance(2.57, 3.02, 1.69, 1.88, noise_tau_s=0.36),
        single_leg=_stance(2.4, 3.5, 2.88, 2.8, noise_tau_s=1.0),
        los_fraction=Reach(front=0.95, back=0.9, left=0.95, right=0.95), balance_reserve=1.4,
        reaction_time_s=(0.4, 0.08), lean_speed_deg_s=6.0,
        single_leg_hold_s=(90.0, 10.0), single_leg_hold_spread=0.45,
        trunk=TrunkPosture(sway_deg=0.3, drift_deg_min=0.3),
    ),
    "older-adult": PersonProfile(
        "older-adult", 75.0, 1.68, age_years=72, sex="male", delay_s=0.17,
        ap=_OLDER_SWAY["eyes_open"].ap, ml=_OLDER_SWAY["eyes_open"].ml,
        eyes_closed=_OLDER_SWAY["eyes_closed"], foam=_OLDER_SWAY["foam"],
        eyes_closed_foam=_OLDER_SWAY["eyes_closed_foam"], single_leg=_OLDER_SWAY["single_leg"],
        los_fraction=Reach(front=0.8, back=0.75, left=0.8, right=0.8), balance_reserve=1.4,
        reaction_time_s=(0.6, 0.12), lean_speed_deg_s=4.0,
        single_leg_hold_s=(13.0, 1.9), single_leg_hold_spread=0.6,
        trunk=TrunkPosture(sway_deg=0.5, drift_deg_min=1.0),
    ),
    # paretic left side: weight kept on the right leg, little reach or stance on the left
    "post-stroke": _clinical(
        "post-stroke", 72.0, 1.72, age_years=63, sex="male",
        noise=1.4, drift=1.3, ml=1.3, on_foam=1.2, delay_s=0.18,
        load_share_left=0.37, los_fraction=Reach(front=0.65, back=0.55, left=0.45, right=0.8),
        balance_reserve=1.45, reaction_time_s=(0.8, 0.2), lean_speed_deg_s=2.5,
        single_leg_hold_s=(8.0, 2.0), single_leg_hold_spread=0.6,
        weaker_leg="left", weaker_leg_hold_factor=0.3,
        trunk=TrunkPosture(sway_deg=0.6, drift_deg_min=1.5, drift_ml_ap=(-1.0, 0.5)),
    ),
    # left knee operated a few weeks ago: the left leg offloaded and guarded
    "post-knee-surgery": _clinical(
        "post-knee-surgery", 82.0, 1.75, age_years=58, sex="male",
        noise=1.1, drift=1.1, ml=1.2, on_foam=1.1, delay_s=0.16,
        load_share_left=0.32, los_fraction=Reach(front=0.8, back=0.75, left=0.6, right=0.9),
        balance_reserve=1.35, reaction_time_s=(0.5, 0.1), lean_speed_deg_s=3.5,
        single_leg_hold_s=(20.0, 5.0), single_leg_hold_spread=0.6,
        weaker_leg="left", weaker_leg_hold_factor=0.25,
        trunk=TrunkPosture(sway_deg=0.4, drift_deg_min=0.6),
    ),
    # frail, fearful older adult: large sway, half the reach, slow, a few seconds on one leg
    "high-fall-risk": _clinical(
        "high-fall-risk", 70.0, 1.62, age_years=81, noise=1.5, drift=1.3, ml=1.1, on_foam=1.3,
        delay_s=0.18,
        los_fraction=Reach(front=0.5, back=0.45, left=0.5, right=0.5),
        balance_reserve=1.2, reaction_time_s=(1.0, 0.25), lean_speed_deg_s=2.0,
        single_leg_hold_s=(3.0, 1.0), single_leg_hold_spread=0.5,
        trunk=TrunkPosture(sway_deg=0.8, drift_deg_min=2.5),
    ),
}  # fmt: skip


def _smooth(u: float) -> float:
    """Smoothstep from 0 (u <= 0) to 1 (u >= 1), zero slope at both ends."""
    u = min(max(u, 0.0), 1.0)
    return u * u * (3.0 - 2.0 * u)


def _mix(*terms: tuple[tuple[float, float], float]) -> tuple[float, float]:
    """The sum of weight * (ML, AP) over ((ML, AP), weight) terms."""
    return sum(v[0] * w for v, w in terms), sum(v[1] * w for v, w in terms)


_ZERO = (0.0, 0.0)


def _settle(tau_s: float) -> float:
    """Damped 0.8 Hz oscillation (0 at tau_s = 0): balance recovery after a weight transfer."""
    return math.exp(-tau_s / 0.4) * math.sin(2 * math.pi * 0.8 * tau_s)


@dataclass(frozen=True)
class _Move:
    """A point (ML, AP mm) moving from ``start`` at ``t0_s``, with velocity ``v0`` (mm/s) and
    acceleration ``a0`` (mm/s^2), to rest at ``end`` after ``d_s``: a quintic Hermite curve, a
    minimum-jerk move when starting from rest, so a change of plan keeps the motion smooth."""

    t0_s: float
    start: tuple[float, float]
    v0: tuple[float, float]
    a0: tuple[float, float]
    end: tuple[float, float]
    d_s: float

    def at(self, t_s: float) -> tuple[tuple[float, float], ...]:
        """Position, velocity, acceleration and jerk at ``t_s``, each an (ML, AP) pair; before
        ``t0_s`` the start extrapolated at constant acceleration."""
        d = self.d_s
        u = (t_s - self.t0_s) / d if d > 0 else 1.0
        if u >= 1.0:
            return self.end, _ZERO, _ZERO, _ZERO
        if u < 0.0:
            tau = u * d
            return (
                _mix((self.start, 1.0), (self.v0, tau), (self.a0, tau * tau / 2)),
                _mix((self.v0, 1.0), (self.a0, tau)),
                self.a0,
                _ZERO,
            )
        u2, u3, u4, u5 = u * u, u**3, u**4, u**5
        # quintic bases of the distance (h5), the start velocity (h1) and start acceleration
        # (h2), each with its first three derivatives in u
        h5 = (
            10 * u3 - 15 * u4 + 6 * u5,
            30 * u2 - 60 * u3 + 30 * u4,
            60 * u - 180 * u2 + 120 * u3,
            60 - 360 * u + 360 * u2,
        )
        h1 = (
            u - 6 * u3 + 8 * u4 - 3 * u5,
            1 - 18 * u2 + 32 * u3 - 15 * u4,
            -36 * u + 96 * u2 - 60 * u3,
            -36 + 192 * u - 180 * u2,
        )
        h2 = (
            u2 / 2 - 1.5 * u3 + 1.5 * u4 - u5 / 2,
            u - 4.5 * u2 + 6 * u3 - 2.5 * u4,
            1 - 9 * u + 18 * u2 - 10 * u3,
            -9 + 36 * u - 30 * u2,
        )
        span = _mix((self.end, 1.0), (self.start, -1.0))
        out = [
            _mix((self.start, 1.0), (span, h5[0]), (self.v0, d * h1[0]), (self.a0, d * d * h2[0]))
        ]
        for order in (1, 2, 3):
            per_s = d**-order  # d/dt = (1 / d) d/du
            out.append(
                _mix(
                    (span, h5[order] * per_s),
                    (self.v0, d * h1[order] * per_s),
                    (self.a0, d * d * h2[order] * per_s),
                )
            )
        return tuple(out)

    def settled(self, t_s: float) -> bool:
        """Whether the move has ended by ``t_s``."""
        return t_s >= self.t0_s + self.d_s

    def then(self, t_s: float, end: tuple[float, float], d_s: float) -> "_Move":
        """A move from where this one is at ``t_s`` (with its velocity and acceleration) to
        rest at ``end`` after ``d_s``."""
        pos, vel, acc, _ = self.at(t_s)
        return _Move(t_s, pos, vel, acc, end, d_s)


_REST = _Move(-math.inf, _ZERO, _ZERO, _ZERO, _ZERO, 0.0)


@dataclass(frozen=True)
class _Posture:
    """What the person does from ``t_s`` until the next command: condition, the lean of the
    held posture (from the habitual one), the single-leg COP shift and stance times, and the
    stepping times that arm the loss-of-balance check."""

    t_s: float
    on_s: float | None
    off_s: float | None = None
    eyes_closed: bool = False
    foam: bool = False
    lean: _Move = _REST
    shift: _Move = _REST  # COP toward the stance foot (ML), applied to the output
    leg: str | None = None  # stance leg of the latest single-leg stance
    lift_s: float = math.inf  # the other foot leaves the ground
    down_s: float = math.inf  # ... and touches down again
    fresh: bool = False  # a new stance after stepping on

    def single_leg(self, t_s: float) -> bool:
        """Whether the person stands on one leg at ``t_s``."""
        return self.lift_s <= t_s < self.down_s

    def armed(self, t_s: float, step_on_s: float) -> bool:
        """Whether a loss of balance counts at ``t_s``: on the platform after the weight ramp."""
        on, off = self.on_s, self.off_s
        return on is not None and on + step_on_s <= t_s and (off is None or t_s < off)

    def shift_at(self, t_s: float) -> _Move:
        """The single-leg COP offset (ML) in force at ``t_s``: toward the stance foot, then
        back toward the middle once the lifted foot touches down."""
        if t_s < self.down_s:
            return self.shift
        return self.shift.then(self.down_s, _ZERO, TOUCH_DOWN_S)

    def breaks(self, step_on_s: float) -> tuple[float, ...]:
        """Times after ``t_s`` at which the sway regime changes without a new command."""
        times = (self.lift_s, self.down_s, math.inf if self.on_s is None else self.on_s + step_on_s)
        return tuple(t for t in times if self.t_s < t < math.inf)


class _Timeline:
    """The person's commands in time order, each with the posture it leads to. A command may
    arrive for a time before later ones (a reaction due in the last control tick): the later
    postures are then rebuilt on top of it."""

    def __init__(self, base: _Posture, apply):
        self._apply = apply  # (posture, t_s, kind, args) -> posture
        self._base = base  # in force before the first kept command
        self._times: list[float] = []
        self._entries: list[tuple[str, tuple, _Posture]] = []

    def add(self, t_s: float, kind: str, args: tuple) -> None:
        """Insert a command at ``t_s`` (after any others at the same time)."""
        i = bisect.bisect_right(self._times, t_s)
        later = [
            (t, kind_, args_)
            for t, (kind_, args_, _) in zip(self._times[i:], self._entries[i:], strict=True)
        ]
        del self._times[i:], self._entries[i:]
        for t, kind_, args_ in [(t_s, kind, args), *later]:
            posture = self._apply(self.at(t), t, kind_, args_)
            self._times.append(t)
            self._entries.append((kind_, args_, posture))

    def at(self, t_s: float) -> _Posture:
        """The posture in force at ``t_s``."""
        i = bisect.bisect_right(self._times, t_s)
        return self._entries[i - 1][2] if i else self._base

    def newest(self) -> _Posture:
        """The posture after the latest command."""
        return self._entries[-1][2] if self._entries else self._base

    def changes(self, t0_s: float, t1_s: float, step_on_s: float) -> list[float]:
        """Times in (t0_s, t1_s) at which the posture or the sway regime changes."""
        i = bisect.bisect_right(self._times, t0_s)
        j = bisect.bisect_left(self._times, t1_s)
        postures = [self.at(t0_s), *(e[2] for e in self._entries[i:j])]
        times = [*self._times[i:j]]
        for posture in postures:
            times.extend(t for t in posture.breaks(step_on_s) if t0_s < t < t1_s)
        return sorted(times)

    def forget_before(self, t_s: float) -> None:
        """Fold the commands up to ``t_s`` into the base: nothing goes back that far."""
        i = bisect.bisect_right(self._times, t_s)
        if i:
            self._base = self._entries[i - 1][2]
            del self._times[:i], self._entries[:i]


def _copy(state: list) -> list:
    """A copy of one axis's state, delay lines included."""
    return [*state[:6], state[6][:], state[7][:]]


class _Sway:
    """Both sway axes, integrated on a fixed step from ``start_s`` under the postures of
    ``timeline``; COP in mm from the habitual posture, interpolated."""

    def __init__(self, profile: PersonProfile, seed: int, start_s: float, timeline: _Timeline):
        self._profile, self._timeline, self._start = profile, timeline, start_s
        self._rng = np.random.default_rng(seed)
        self._z0 = [self._rng.standard_normal(2) for _ in range(2)]  # initial n, r of ML, AP
        self._d = max(1, round(profile.delay_s / STEP_S))
        self._w2dt = tuple(profile.pendulum_w2(axis) * STEP_S for axis in ("ml", "ap"))
        self._am = 1.0 - math.exp(-STEP_S / profile.muscle_tau_s)
        self._regimes: dict[tuple[bool, bool, bool], tuple] = {}
        self._k = 0  # index of the next block to integrate
        self._blocks: list[tuple[int, tuple, list]] = []  # kept: (index, checkpoint, noise)
        self._pending: list[list] = []  # noise of the next blocks (drawn or rolled back)
        self._cop: list[list[float]] = [[], []]  # ML, AP samples of the kept blocks
        self._com: list[list[float]] = [[], []]  # ML, AP centre of mass, likewise
        self._state: list = []  # per axis [x, v, p, n, r, j, x delay line, v delay line]
        self._fallen = False
        self.lost_at_s: float | None = None  # the latest loss of balance

    def _step_index(self, t_s: float) -> int:
        """First step whose update happens at or after ``t_s``."""
        return math.ceil((t_s - self._start) / STEP_S - 1e-9)

    def _regime(self, eyes_closed: bool, foam: bool, single_leg: bool) -> tuple:
        """Per axis (ML, AP): controller gains and the reachable COP range (sway frame)."""
        key = (eyes_closed, foam, single_leg)
        if key not in self._regimes:
            p = self._profile
            stance = p.stance(*key)
            reserve = p.balance_reserve * (FOAM_RESERVE if foam else 1.0)
            ranges = (
                (
                    -p.limit_mm("left") * reserve - p.neutral_ml_mm,
                    p.limit_mm("right") * reserve - p.neutral_ml_mm,
                ),
                (-p.limit_mm("back") * reserve, p.limit_mm("front") * reserve),
            )
            axes = []
            for a, (lo, hi), w2dt in zip((stance.ml, stance.ap), ranges, self._w2dt, strict=True):
                an, ar = math.exp(-STEP_S / a.noise_tau_s), math.exp(-STEP_S / a.drift_tau_s)
                bn, br = a.noise_mm * math.sqrt(1 - an * an), a.drift_mm * math.sqrt(1 - ar * ar)
                axes.append((a.stiffness, a.damping_s, an, bn, ar, br, lo, hi, w2dt))
            self._regimes[key] = (tuple(axes), stance)
        return self._regimes[key]

    def _initial_state(self) -> list:
        posture = self._timeline.at(self._start)
        _, stance = self._regime(posture.eyes_closed, posture.foam, False)
        lean = posture.lean.at(self._start)[0]
        state = []
        for z, a, c in zip(self._z0, (stance.ml, stance.ap), lean, strict=True):
            n0, r0 = float(z[0]) * a.noise_mm, float(z[1]) * a.drift_mm
            x = r0 + c
            state.append([x, 0.0, x, n0, r0, 0, [x] * self._d, [0.0] * self._d])
        return state

    def rollback(self, t_s: float) -> None:
        """Forget the integration from the block holding the first step at or after ``t_s``
        (a command for that time arrived), keeping its noise to integrate again."""
        first = self._first_block()
        if first > 0 and t_s < self._start + first * BLOCK_STEPS * STEP_S:
            raise ValueError(f"a command for t = {t_s} s is more than 1 s before a later query")
        k = max(0, self._step_index(t_s)) // BLOCK_STEPS
        if k >= self._k:
            return
        j = k - first
        (_, (state, fallen, lost), _), dropped = self._blocks[j], self._blocks[j:]
        self._pending = [noise for _, _, noise in dropped] + self._pending
        del self._blocks[j:]
        for out in (*self._cop, *self._com):
            del out[j * BLOCK_STEPS :]
        self._state, self._fallen, self.lost_at_s, self._k = state, fallen, lost, k

    def _first_block(self) -> int:
        """Index of the oldest block kept (the next one when none is)."""
        return self._blocks[0][0] if self._blocks else self._k

    def _advance(self) -> None:
        """Integrate one more block, keeping the previous ones for late queries and commands."""
        if not self._pending:
            drawn = self._rng.standard_normal((2, 2, NOISE_BLOCKS * BLOCK_STEPS)).tolist()
            self._pending = [
                [[row[b * BLOCK_STEPS : (b + 1) * BLOCK_STEPS] for row in axis] for axis in drawn]
                for b in range(NOISE_BLOCKS)
            ]
        noise = self._pending.pop(0)
        if self._k == 0:
            self._state, self._fallen, self.lost_at_s = self._initial_state(), False, None
        checkpoint = ([_copy(st) for st in self._state], self._fallen, self.lost_at_s)
        self._blocks.append((self._k, checkpoint, noise))
        self._integrate(self._k * BLOCK_STEPS, noise)
        self._k += 1
        if len(self._blocks) > KEPT_BLOCKS:
            del self._blocks[0]
            for out in (*self._cop, *self._com):
                del out[:BLOCK_STEPS]
        self._timeline.forget_before(self._start + self._blocks[0][0] * BLOCK_STEPS * STEP_S)

    def _integrate(self, i0: int, noise: list) -> None:
        """Steps i0 .. i0 + BLOCK_STEPS, split where the posture or the regime changes."""
        t0, step_on_s = self._start + i0 * STEP_S, self._profile.step_on_s
        t1 = t0 + BLOCK_STEPS * STEP_S
        cuts = [self._step_index(t) for t in self._timeline.changes(t0, t1, step_on_s)]
        bounds = sorted({i0, i0 + BLOCK_STEPS, *(c for c in cuts if i0 < c < i0 + BLOCK_STEPS)})
        for a, b in itertools.pairwise(bounds):
            ta = self._start + a * STEP_S
            posture = self._timeline.at(ta)
            if self._fallen and posture.fresh and self._step_index(posture.t_s) == a:
                self._restart(posture.lean.at(ta)[0])
            gains, _ = self._regime(posture.eyes_closed, posture.foam, posture.single_leg(ta))
            self._segment(a, b, i0, noise, gains, posture, posture.armed(ta, step_on_s))

    def _restart(self, lean: tuple) -> None:
        """A new stance after a fall: the body upright over the held posture, at rest."""
        for st, c in zip(self._state, lean, strict=True):
            x = st[4] + c
            st[:3], st[5] = [x, 0.0, x], 0
            st[6], st[7] = [x] * self._d, [0.0] * self._d
        self._fallen = False

    def _segment(self, a, b, i0, noise, gains, posture, armed) -> None:
        """Steps a .. b under one posture and regime, both axes; stops them both at a fall."""
        if self._fallen:  # balance lost: the COP stays at the edge until a new stance
            for cop, com, st in zip(self._cop, self._com, self._state, strict=True):
                cop.extend([st[2]] * (b - a))
                com.extend([st[0]] * (b - a))
            return
        leans = self._feedforward(a, b, gains, posture.lean)
        saved = [_copy(st) for st in self._state]
        args = [
            (g, st, en[a - i0 : b - i0], er[a - i0 : b - i0], c)
            for g, st, (en, er), c in zip(gains, self._state, noise, leans, strict=True)
        ]
        runs = [self._run(*arg, armed) for arg in args]
        falls = [f for *_, f in runs if f is not None]
        if not falls:
            for cop, com, (cops, coms, _) in zip(self._cop, self._com, runs, strict=True):
                cop.extend(cops)
                com.extend(coms)
            return
        f = min(falls)  # the first axis to fall stops both: run them again up to that step
        for st, copy in zip(self._state, saved, strict=True):
            st[:] = copy
        for cop, com, (g, st, en, er, c) in zip(self._cop, self._com, args, strict=True):
            cops, coms, _ = self._run(g, st, en[: f + 1], er[: f + 1], c[: f + 1], armed)
            cop.extend([*cops, *[st[2]] * (b - a - f - 1)])
            com.extend([*coms, *[st[0]] * (b - a - f - 1)])
        self._fallen, self.lost_at_s = True, self._start + (a + f + 1) * STEP_S

    def _feedforward(self, a: int, b: int, gains: tuple, lean: _Move) -> list[list[float]]:
        """Per axis and step a .. b, what a lean c(t) adds to the COP command: the COP that
        moves the COM along it, p = c - c'' / omega^2, led by the muscles' lag, and the feedback
        on the lean as it was one delay ago (-k * c - b * c'), so that the delayed feedback acts
        on the deviation from the lean only."""
        delay_s = self._d * STEP_S
        if lean.settled(self._start + a * STEP_S - delay_s):
            return [[c * (1.0 - g[0])] * (b - a) for c, g in zip(lean.end, gains, strict=True)]
        lag_s = STEP_S / self._am
        out: list[list[float]] = [[], []]
        for i in range(a, b):
            t = self._start + i * STEP_S
            (pos, vel, acc, jerk), (pos_d, vel_d, *_) = lean.at(t), lean.at(t - delay_s)
            for axis, (k, b_s, *rest) in enumerate(gains):
                w2 = rest[-1] / STEP_S
                cop = pos[axis] - acc[axis] / w2 + lag_s * (vel[axis] - jerk[axis] / w2)
                out[axis].append(cop - k * pos_d[axis] - b_s * vel_d[axis])
        return out

    def _run(self, gains, st, en, er, feed, armed) -> tuple[list[float], list[float], int | None]:
        """One axis over steps: delayed PD command (plus the lean's feed-forward ``feed``),
        muscle lag, COP within reach, pendulum (semi-implicit). Returns the COP and the COM
        before each step, and the step at which the COM went past the reachable COP by
        FALL_MARGIN_MM (None: balance kept), where it stops."""
        k, b, an, bn, ar, br, lo, hi, w2dt = gains
        x, v, p, n, r, j, hx, hv = st
        am, d, dt = self._am, len(hx), STEP_S
        if not armed:  # off the platform (or stepping): no edge to fall over
            lo, hi = -math.inf, math.inf
        out_lo, out_hi = lo - FALL_MARGIN_MM, hi + FALL_MARGIN_MM
        out, com, fall = [], [], None
        for i, (e1, e2, f) in enumerate(zip(en, er, feed, strict=True)):
            out.append(p)
            com.append(x)
            xd, vd = hx[j], hv[j]
            hx[j], hv[j] = x, v
            j = j + 1 if j + 1 < d else 0
            n = an * n + bn * e1
            r = ar * r + br * e2
            p += am * (r + k * (xd - r) + b * vd + n + f - p)
            p = lo if p < lo else hi if p > hi else p
            v += w2dt * (x - p)
            x += dt * v
            if not out_lo < x < out_hi:
                fall = i
                break
        st[:6] = x, v, p, n, r, j
        return out, com, fall

    def cop_mm(self, t_s: float) -> tuple[float, float]:
        """Sway COP (ML, AP) in mm at ``t_s``; times may go back by at most one block."""
        return self._at(self._cop, t_s)

    def com_mm(self, t_s: float) -> tuple[float, float]:
        """Centre of mass (ML, AP) in mm at ``t_s``, in the COP's frame; likewise."""
        return self._at(self._com, t_s)

    def _at(self, series: list[list[float]], t_s: float) -> tuple[float, float]:
        """``series`` (ML, AP per step) interpolated at ``t_s``, integrating as needed."""
        pos = (t_s - self._start) / STEP_S - self._first_block() * BLOCK_STEPS
        if pos < 0.0:
            raise ValueError(f"sway queried at {t_s} s, more than 1 s before a later query")
        while pos >= len(self._cop[0]) - 1:
            self._advance()
            pos = (t_s - self._start) / STEP_S - self._first_block() * BLOCK_STEPS
        i = int(pos)
        f = pos - i
        ml, ap = series
        return ml[i] + f * (ml[i + 1] - ml[i]), ap[i] + f * (ap[i + 1] - ap[i])


class Person:
    """A person who steps on at ``step_on_at_s`` (None: stays off) and sways in quiet stance,
    and from then on follows the commands they are given.

    ``stance_ml_mm`` / ``stance_ap_mm`` place the midpoint of the feet in the platform frame
    (origin at the centre, ML positive to the patient's right, AP positive to the front); the
    quiet-stance mean COP sits ``profile.neutral_ml_mm`` to the side of it. Query times must not
    decrease by more than 1 s, nor may a command's time lie more than 1 s before a later query;
    every command acts from the time it is given. ``start_s`` is when the sway model starts (the
    clock's time at start-up: the daemon runs on the monotonic clock, whose zero is long past).
    """

    def __init__(
        self,
        profile: PersonProfile,
        *,
        seed: int = 0,
        step_on_at_s: float | None = 1.0,
        stance_ap_mm: float = 0.0,
        stance_ml_mm: float = 0.0,
        start_s: float = 0.0,
    ):
        self.profile, self.seed = profile, seed
        self._ml0, self._ap0 = stance_ml_mm + profile.neutral_ml_mm, stance_ap_mm
        self._weight_n = profile.mass_kg * G_M_S2
        self._half_feet = profile.lead_side * profile.foot_spacing_mm / 2
        self._timeline = _Timeline(_Posture(-math.inf, on_s=step_on_at_s), self._apply)
        self._sway = _Sway(profile, seed, start_s, self._timeline)
        # single-leg hold times: a stream of their own, so the sway stays that of the seed
        self._draws = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(1,)))
        self._on_at, self._off_at, self._level0, self._off_level0 = step_on_at_s, None, 0.0, 0.0
        self._last: tuple[float, tuple[float, float, float]] = (math.nan, (0.0, 0.0, 0.0))
        self._stale = False  # a command came since the last load was served
        # the load cells and the IMU (through the wobble board) query from their own threads
        self._lock = threading.Lock()

    def _command(self, t_s: float, kind: str, args: tuple = ()) -> None:
        if not -math.inf < t_s < math.inf:
            raise ValueError(f"a command at t = {t_s} s: time must be finite")
        self._sway.rollback(t_s)
        self._timeline.add(t_s, kind, args)
        self._stale = True

    def _apply(self, p: _Posture, t_s: float, kind: str, args: tuple) -> _Posture:
        """The posture after command ``kind`` at ``t_s`` on top of ``p``."""
        new = replace(p, t_s=t_s, fresh=False)
        if kind == "condition":
            return replace(new, eyes_closed=args[0], foam=args[1])
        if kind == "hold":  # brake to rest: half the braking time's travel at the present speed
            (ml, ap), (v_ml, v_ap), *_ = p.lean.at(t_s)

            def stop(d_s: float) -> tuple[float, float]:
                return ml + v_ml * d_s / 2, ap + v_ap * d_s / 2

            return replace(new, lean=self._paced(p.lean, t_s, stop, STOP_S, STOP_SWING_MM))
        if kind == "lean":
            (ml, ap), *_ = p.lean.at(t_s)
            end, pace = args[:2], args[2]
            speed_mm_s = self.profile.cog_height_mm * math.radians(self.profile.lean_speed_deg_s)
            distance_mm = math.hypot(end[0] - ml, end[1] - ap)
            d_s = max(LEAN_TIME_PER_SPEED * distance_mm / (pace * speed_mm_s), STEP_S)
            swing_mm = LEAN_SWING_FRACTION * distance_mm + LEAN_SWING_MM
            return replace(new, lean=self._paced(p.lean, t_s, lambda _: end, d_s, swing_mm))
        if kind == "stand":
            side, hold_s = args
            if p.leg == side and t_s < p.down_s:
                return new
            foot = self.profile.foot_spacing_mm / 2 * (1 if side == "right" else -1)
            target = (foot - self.profile.neutral_ml_mm, 0.0)
            shift = p.shift_at(t_s).then(t_s, target, WEIGHT_SHIFT_S)
            lift_s = t_s + WEIGHT_SHIFT_S
            return replace(new, shift=shift, leg=side, lift_s=lift_s, down_s=lift_s + hold_s)
        if kind == "both":
            return new if t_s >= p.down_s else replace(new, down_s=t_s)
        if kind == "on":
            return _Posture(t_s, on_s=t_s, eyes_closed=p.eyes_closed, foam=p.foam, fresh=True)
        return replace(new, off_s=t_s)  # "off"

    def _paced(self, lean: _Move, t_s: float, end, d_s: float, swing_mm: float) -> _Move:
        """A move on from ``lean`` at ``t_s`` to ``end(duration)`` taking ``d_s`` or longer: no
        quicker than keeps the COP swing it takes within ``swing_mm`` (acceleration / omega^2,
        the COP lead that accelerates and brakes the COM)."""
        w2 = min(self.profile.pendulum_w2(axis) for axis in ("ml", "ap"))
        for _ in range(PACE_TRIES):  # a reversal mid-move may never get under the bound
            move = lean.then(t_s, end(d_s), d_s)
            swing = max(math.hypot(*move.at(t_s + d_s * q / 16)[2]) for q in range(17)) / w2
            if swing <= swing_mm:
                return move
            d_s *= 1.1
        return move

    def step_on(self, t_s: float) -> None:
        """Start stepping on at ``t_s`` (no effect while already on); after a loss of balance
        the person stands afresh, upright and in their habitual posture."""
        with self._lock:
            if self._on_at is None or self._off_at is not None or self._fell_by(t_s):
                self._level0 = self._envelope(t_s)[0]
                self._on_at, self._off_at = t_s, None
                self._command(t_s, "on")

    def step_off(self, t_s: float) -> None:
        """Start stepping off at ``t_s``: the weight ramps down over ``profile.step_off_s``."""
        with self._lock:
            if self._on_at is not None and self._off_at is None and not self._fell_by(t_s):
                self._off_level0 = self._envelope(t_s)[0]
                self._off_at = t_s
                self._command(t_s, "off")

    def set_condition(self, t_s: float, eyes_closed: bool, foam: bool) -> None:
        """From ``t_s`` on, sway with eyes closed or open, on the foam pad or the firm plate."""
        with self._lock:
            self._command(t_s, "condition", (bool(eyes_closed), bool(foam)))

    def condition(self, t_s: float) -> tuple[bool, bool]:
        """(eyes_closed, foam) at ``t_s`` as commanded so far."""
        with self._lock:
            posture = self._timeline.at(t_s)
            return posture.eyes_closed, posture.foam

    def lean_to(self, t_s: float, ml_mm: float, ap_mm: float, pace: float = 1.0) -> None:
        """From ``t_s`` move the held posture (where the COP is held) toward (``ml_mm``,
        ``ap_mm``) from the habitual posture, at ``pace`` times the profile's lean speed; a
        target beyond the person's limits of stability stops at them. ``lean_to(t, 0, 0)``
        comes back."""
        if not 0 < pace <= 1:
            raise ValueError(f"a lean's pace is a fraction of the lean speed in (0, 1], got {pace}")
        target = self._within_reach(float(ml_mm), float(ap_mm))
        with self._lock:
            self._command(t_s, "lean", (*target, float(pace)))

    def posture_mm(self, t_s: float) -> tuple[float, float]:
        """The held posture (ML, AP mm from the habitual one) at ``t_s``, where a lean under way
        has got to."""
        with self._lock:
            return self._timeline.at(t_s).lean.at(t_s)[0]

    def hold(self, t_s: float) -> None:
        """Stop a lean at ``t_s``: brake to rest (over STOP_S or longer) and hold there."""
        with self._lock:
            self._command(t_s, "hold")

    def reach_mm(self, ml: float, ap: float) -> tuple[float, float]:
        """The farthest posture (ML, AP mm from the habitual one) the person leans to in the
        direction (``ml``, ``ap``)."""
        scale = 1e4 / max(math.hypot(ml, ap), 1e-9)
        return self._within_reach(ml * scale, ap * scale)

    def _within_reach(self, ml_mm: float, ap_mm: float) -> tuple[float, float]:
        """(ML, AP) cut where the line from the habitual posture leaves the limits of
        stability: quarter ellipses through the limit in each direction, from the midpoint of
        the feet."""
        p = self.profile
        n_ml = p.neutral_ml_mm

        def inside(s: float) -> bool:
            x, y = n_ml + s * ml_mm, s * ap_mm
            lx = p.limit_mm("right" if x >= 0 else "left")
            ly = p.limit_mm("front" if y >= 0 else "back")
            return (x / lx) ** 2 + (y / ly) ** 2 <= 1.0

        if inside(1.0):
            return (ml_mm, ap_mm)
        lo, hi = 0.0, 1.0
        for _ in range(40):
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if inside(mid) else (lo, mid)
        return (lo * ml_mm, lo * ap_mm)

    def stand_on(self, t_s: float, side: str) -> None:
        """From ``t_s`` shift the weight onto the ``side`` leg ('left' or 'right') and lift the
        other foot; it touches down after a hold time drawn for the profile and the current
        eye condition (``status()['touch_down_at_s']``)."""
        if side not in SIDES:
            raise ValueError(f"stand on 'left' or 'right', not {side!r}")
        p = self.profile
        with self._lock:
            eyes_closed = self._timeline.at(t_s).eyes_closed
            median_s = p.single_leg_hold_s[1 if eyes_closed else 0]
            if side == p.weaker_leg:
                median_s *= p.weaker_leg_hold_factor
            z = float(self._draws.standard_normal())
            hold_s = min(MAX_HOLD_S, median_s * math.exp(p.single_leg_hold_spread * z))
            self._command(t_s, "stand", (side, hold_s))

    def both_feet(self, t_s: float) -> None:
        """Put the lifted foot down at ``t_s`` (no effect when both are down)."""
        with self._lock:
            self._command(t_s, "both")

    def _fell_by(self, t_s: float) -> bool:
        """Whether the person lost balance in this stance at or before ``t_s``."""
        lost = self._lost_in_stance()
        return lost is not None and lost <= t_s

    def _lost_in_stance(self) -> float | None:
        """Time of a loss of balance since the last step-on (as far as integrated)."""
        lost, on = self._sway.lost_at_s, self._on_at
        return lost if lost is not None and on is not None and lost >= on else None

    def _envelope(self, t_s: float, with_loss: bool = True) -> tuple[float, float, float]:
        """Share of body weight on the platform and the stepping COP offsets (ML, AP) in mm; a
        loss of balance steps off like ``step_off`` at its time."""
        p, on, off, level0 = self.profile, self._on_at, self._off_at, self._off_level0
        if on is None:
            return 0.0, 0.0, 0.0
        lost = self._lost_in_stance() if with_loss else None
        if lost is not None and (off is None or lost < off):
            off, level0 = lost, self._envelope(lost, with_loss=False)[0]
        if off is None or t_s < off:
            tau = t_s - on - p.step_on_s
            if tau >= SETTLE_S:  # settled stance, the common case
                return 1.0, 0.0, 0.0
            if tau >= 0.0:  # recovery after the weight transfer, with a small force overshoot
                s = _settle(tau)
                return 1 + 0.04 * s * math.exp(-tau / 0.1), -0.12 * self._half_feet * s, 10.0 * s
            # heel strike of the lead foot, then the trailing foot takes its share from 35 %
            u = (t_s - on) / p.step_on_s
            lead = 1 - _smooth((u - 0.35) / 0.65)
            share = self._level0 + (1 - self._level0) * _smooth(u)
            return share, self._half_feet * lead, -30.0 * (1 - _smooth(u))
        u = (t_s - off) / p.step_off_s
        if u >= 1.0:
            return 0.0, 0.0, 0.0
        # the lead foot leaves first: COP moves under the trailing foot and forward (push-off)
        share = level0 * (1 - _smooth(u))
        return share, -self._half_feet * _smooth(u / 0.6), 25.0 * _smooth(u)

    def load(self, t_s: float) -> tuple[float, float, float]:
        """Vertical force in N and COP (ML, AP) in mm at ``t_s``; (0, 0, 0) when nobody is on."""
        with self._lock:
            return self._load(t_s)

    def _load(self, t_s: float) -> tuple[float, float, float]:
        if self._stale or self._last[0] != t_s:
            if not -math.inf < t_s < math.inf:
                raise ValueError(f"load queried at t = {t_s} s: time must be finite")
            out = (0.0, 0.0, 0.0)
            lost = self._sway.lost_at_s
            share, d_ml, d_ap = self._envelope(t_s)
            if share > 0.0:
                ml, ap = self._sway.cop_mm(t_s)
                if self._sway.lost_at_s != lost:  # the integration just found a fall
                    share, d_ml, d_ap = self._envelope(t_s)
                posture = self._timeline.at(t_s)
                if posture.leg is not None:
                    ml += posture.shift_at(t_s).at(t_s)[0][0]
                if share > 0.0:
                    out = (share * self._weight_n, self._ml0 + ml + d_ml, self._ap0 + ap + d_ap)
            self._last, self._stale = (t_s, out), False
        return self._last[1]

    def trunk_lean_rad(self, t_s: float) -> tuple[float, float]:
        """The body's lean about the ankles at ``t_s`` (rigid inverted pendulum: a trunk-worn
        IMU tilts by it), (to the right, forward) in rad from the habitual upright posture;
        upright while off the platform."""
        with self._lock:
            if self._envelope(t_s)[0] <= 0.0:
                return 0.0, 0.0
            ml, ap = self._sway.com_mm(t_s)
        com_height_mm = self.profile.com_height_fraction * self.profile.height_m * 1000.0
        return math.atan2(ml, com_height_mm), math.atan2(ap, com_height_mm)

    def on_platform(self, t_s: float) -> bool:
        """Whether any of the person's weight is on the platform at ``t_s``."""
        with self._lock:
            return self._envelope(t_s)[0] > 0.0

    def status(self) -> dict:
        """Plain-dict state: profile, seed, stepping times, condition, lean target, single-leg
        stance, loss of balance and the last load served."""
        with self._lock:
            t, (force, ml, ap) = self._last
            served = not math.isnan(t)
            newest = self._timeline.newest()
            lost = self._sway.lost_at_s
            single = served and newest.single_leg(t)
            return {
                "profile": self.profile.name,
                "mass_kg": self.profile.mass_kg,
                "seed": self.seed,
                "step_on_at_s": self._on_at,
                "step_off_at_s": self._off_at,
                "on_platform": self._envelope(t)[0] > 0.0 if served else None,
                "eyes_closed": newest.eyes_closed,
                "foam": newest.foam,
                "lean_target_ml_mm": newest.lean.end[0],
                "lean_target_ap_mm": newest.lean.end[1],
                "single_leg": newest.leg if single else None,
                "touch_down_at_s": newest.down_s if newest.down_s < math.inf else None,
                "lost_balance_at_s": lost if lost is not None and served and lost <= t else None,
                "last_t_s": t if served else None,
                "force_n": force,
                "cop_ml_mm": ml,
                "cop_ap_mm": ap,
            }
