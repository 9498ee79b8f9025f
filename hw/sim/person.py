"""A simulated person stepping onto, standing on and leaving the platform: the vertical force
and centre of pressure (COP) they put on it, and the lean of their body.

What the person does comes as time-stamped commands: ``set_condition``, ``lean_to`` / ``hold`` (move
the held posture at the profile's lean speed, within their limits of stability), ``stand_on`` /
``both_feet`` (single-leg stance, ended by a touch-down after a hold time drawn for the profile),
``place_feet`` (feet together, semi-tandem or tandem, ended by a step out to the side after a hold
time drawn likewise), ``step_on`` / ``step_off``. Each command leads to a posture on the person's
timeline (`hw.sim.motion`): a lean is planned as a minimum-jerk path of the held posture, paced so
that the COP lead it takes stays plausible, and the weight shifts under the stance foot before the
other is lifted. Under it the body sways (`hw.sim.sway`); once the sway finds a loss of balance the
person steps off the platform. Single-leg and narrow stances end with the touch-down or the step out
after the drawn hold time, not with a fall. Stepping on and off ramps the weight over the profile's
times, with the COP under the lead foot first and a settling transient after.

Queries interpolate the sway, so results depend on the seed and the commands only, never on
when or how often the load was queried.
"""

import math
import threading
from dataclasses import replace

import numpy as np

from hw.sim.motion import TOUCH_DOWN_S, Move, Posture, Timeline
from hw.sim.profiles import FEET_GEOMETRY_MM, FEET_STANCES, G_M_S2, PersonProfile
from hw.sim.sway import STEP_S, Sway

PACE_TRIES = 40  # a move is slowed by 10% at most this often (x45 in all)
SETTLE_S = 4.0  # the stepping transient is cut to 0 this long after the weight ramp, s

WEIGHT_SHIFT_S = 0.6  # moving the COP under the stance foot before lifting the other, s
LEAN_SWING_FRACTION = 0.25  # most COP lead a deliberate lean takes, over its distance
LEAN_SWING_MM = 2.0  # ... plus this, so that a short move is not dragged out
STOP_S = 0.3  # quickest braking of a lean to a hold, s
STOP_SWING_MM = 30.0  # most COP lead that braking takes
MAX_HOLD_S = 120.0  # longest single-leg or narrow stance drawn, s
PLACE_FEET_S = 1.0  # moving a foot into a narrow stance (or back to the markings), s
RECOVERY_STEP_MM = 200.0  # a narrow stance lost: the back foot steps this far to the side, mm
RECOVERY_STEP_S = 0.2  # ... the COP going under the front foot as it unloads, then as long
# again to the new midpoint of the feet as it lands, s
LEAN_TIME_PER_SPEED = 0.9 / 0.62149
"""A minimum-jerk move of distance A at speed v lasts this * A / v: the LOS test's movement
velocity, 0.9 * A over the time between 5% and 95% of A (0.62149 of the move), is then v."""

SIDES = ("left", "right")


def _smooth(u: float) -> float:
    """Smoothstep from 0 (u <= 0) to 1 (u >= 1), zero slope at both ends."""
    u = min(max(u, 0.0), 1.0)
    return u * u * (3.0 - 2.0 * u)


def _settle(tau_s: float) -> float:
    """Damped 0.8 Hz oscillation (0 at tau_s = 0): balance recovery after a weight transfer."""
    return math.exp(-tau_s / 0.4) * math.sin(2 * math.pi * 0.8 * tau_s)


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
        self._off_half_feet = self._half_feet  # the COP's way to the trailing foot, stepping off
        self._timeline = Timeline(Posture(-math.inf, on_s=step_on_at_s), self._apply)
        self._sway = Sway(profile, seed, start_s, self._timeline)
        # single-leg hold times: a stream of their own, so the sway stays that of the seed
        self._draws = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(1,)))
        self._on_at, self._off_at, self._level0, self._off_level0 = step_on_at_s, None, 0.0, 0.0
        self._last: tuple[float, tuple[float, float, float]] = (math.nan, (0.0, 0.0, 0.0))
        self._stale = False  # a command came since the last load was served
        self._changed_from_s = math.inf  # earliest time a command acts from since asked
        # the load cells and the IMU (through the wobble board) query from their own threads
        self._lock = threading.Lock()

    def _command(self, t_s: float, kind: str, args: tuple = ()) -> None:
        if not -math.inf < t_s < math.inf:
            raise ValueError(f"a command at t = {t_s} s: time must be finite")
        self._sway.rollback(t_s)
        self._timeline.add(t_s, kind, args)
        self._stale = True
        self._changed_from_s = min(self._changed_from_s, t_s)

    def _apply(self, p: Posture, t_s: float, kind: str, args: tuple) -> Posture:
        """The posture after command ``kind`` at ``t_s`` on top of ``p``."""
        new = replace(p, t_s=t_s, fresh=False)
        if kind == "condition":
            eyes_closed, surface, hold_s = args
            new = replace(new, eyes_closed=eyes_closed, surface=surface)
            if hold_s is None or t_s >= p.down_s:
                return new
            # in a stance (or taking it): it lasts a hold drawn for the new condition
            return replace(new, down_s=max(p.lift_s, t_s) + hold_s)
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
            return replace(
                new, shift=shift, leg=side, feet="apart", lift_s=lift_s, down_s=lift_s + hold_s,
                down_to=(0.0, 0.0), down_over_s=TOUCH_DOWN_S, down_via=None,
            )  # fmt: skip
        if kind == "feet":
            feet, hold_s = args
            if p.leg is None and p.feet == feet and t_s < p.down_s:
                return new
            neutral = self.profile.neutral_ml_mm
            width_mm = FEET_GEOMETRY_MM[feet][0]
            target = (width_mm * (0.5 - self.profile.load_share_left) - neutral, 0.0)
            shift = p.shift_at(t_s).then(t_s, target, PLACE_FEET_S)
            lift_s = t_s + PLACE_FEET_S
            # the foot on the lead side (the back one, when they are staggered) steps out
            lead = self.profile.lead_side
            front = (-lead * width_mm / 2 - neutral, FEET_GEOMETRY_MM[feet][1] / 2)
            step_out = (lead * RECOVERY_STEP_MM / 2 - neutral, 0.0)
            return replace(
                new, shift=shift, leg=None, feet=feet, lift_s=lift_s, down_s=lift_s + hold_s,
                down_to=step_out, down_over_s=RECOVERY_STEP_S, down_via=front,
            )  # fmt: skip
        if kind == "shift":
            ml, ap, over_s = args
            shift = p.shift_at(t_s).then(t_s, (ml, ap), over_s)
            if t_s < p.down_s:
                return replace(new, shift=shift)
            # a stance that has ended (the foot down, or stepped out) is over: the shift acts
            # on both feet, not after the landing's moves, which would hide it
            return replace(
                new, shift=shift, leg=None, feet="apart", lift_s=math.inf, down_s=math.inf,
                down_to=(0.0, 0.0), down_via=None,
            )  # fmt: skip
        if kind == "both":
            if p.leg is not None or p.feet == "apart":  # the lifted foot, if any, lands
                return new if t_s >= p.down_s else replace(new, down_s=t_s)
            # from a narrow stance, or the step out of one, back to the feet on the markings
            shift = p.shift_at(t_s).then(t_s, (0.0, 0.0), PLACE_FEET_S)
            return replace(
                new, shift=shift, feet="apart", lift_s=math.inf, down_s=math.inf,
                down_to=(0.0, 0.0), down_via=None,
            )  # fmt: skip
        if kind == "on":
            return Posture(t_s, on_s=t_s, eyes_closed=p.eyes_closed, surface=p.surface, fresh=True)
        return replace(new, off_s=t_s)  # "off"

    def _paced(self, lean: Move, t_s: float, end, d_s: float, swing_mm: float) -> Move:
        """A move on from ``lean`` at ``t_s`` to ``end(duration)`` taking ``d_s`` or longer: no
        quicker than keeps the COP swing it takes within ``swing_mm`` (acceleration / omega^2,
        the COP lead that accelerates and brakes the COM)."""
        w2 = min(self.profile.pendulum_w2(axis) for axis in ("ml", "ap"))
        gentlest = None
        for _ in range(PACE_TRIES):
            move = lean.then(t_s, end(d_s), d_s)
            swing = max(math.hypot(*move.at(t_s + d_s * q / 16)[2]) for q in range(17)) / w2
            if swing <= swing_mm:
                return move
            if gentlest is None or swing < gentlest[0]:
                gentlest = (swing, move)
            d_s *= 1.1
        # a reversal mid-move may never get under the bound (the acceleration it starts with
        # is over it already): the gentlest try, not the slowest, whose inherited acceleration
        # would carry the posture far the wrong way over its long duration
        return gentlest[1]

    def step_on(self, t_s: float) -> None:
        """Start stepping on at ``t_s`` (no effect while already on); after a loss of balance
        the person stands afresh, upright and in their habitual posture."""
        with self._lock:
            if self._on_at is None or self._off_at is not None or self._fell_by(t_s):
                self._level0 = self._envelope(t_s)[0]
                self._on_at, self._off_at = t_s, None
                self._command(t_s, "on")

    def step_off(self, t_s: float, from_one_foot: bool = False) -> None:
        """Start stepping off at ``t_s``: the weight ramps down over ``profile.step_off_s``,
        the COP moving under the trailing foot first, unless the person already stands on one
        foot (``from_one_foot``: stepping forward off it, as gait initiation ends)."""
        with self._lock:
            if self._on_at is not None and self._off_at is None and not self._fell_by(t_s):
                self._off_level0 = self._envelope(t_s)[0]
                self._off_at = t_s
                self._off_half_feet = 0.0 if from_one_foot else self._half_feet
                self._command(t_s, "off")

    def shift_cop(self, t_s: float, ml_mm: float, ap_mm: float, over_s: float) -> None:
        """From ``t_s`` move the COP (not the body's lean) to (``ml_mm``, ``ap_mm``) from the
        habitual position over ``over_s``, by loading the feet differently: the anticipatory
        adjustment before a step, the weight going onto the stance foot."""
        with self._lock:
            self._command(t_s, "shift", (float(ml_mm), float(ap_mm), float(over_s)))

    def set_condition(self, t_s: float, eyes_closed: bool, surface: str) -> None:
        """From ``t_s`` on, sway with eyes closed or open, on the ``surface`` (``firm``: the
        plate itself, ``foam``: the foam pad, ``disc``: the balance disc); a
        single-leg or narrow stance under way then lasts a hold time drawn for the new
        condition (closing the eyes in tandem stance shortens it)."""
        with self._lock:
            posture = self._timeline.at(t_s)
            feet = "single" if posture.leg else posture.feet
            in_stance = posture.down_s < math.inf and t_s < posture.down_s
            hold_s = None
            if in_stance and (posture.eyes_closed, posture.surface) != (eyes_closed, surface):
                hold_s = self._hold_s(t_s, feet, posture.leg, (bool(eyes_closed), surface))
            self._command(t_s, "condition", (bool(eyes_closed), surface, hold_s))

    def condition(self, t_s: float) -> tuple[bool, str]:
        """(eyes_closed, surface) at ``t_s`` as commanded so far."""
        with self._lock:
            posture = self._timeline.at(t_s)
            return posture.eyes_closed, posture.surface

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
        with self._lock:
            self._command(t_s, "stand", (side, self._hold_s(t_s, "single", side)))

    def place_feet(self, t_s: float, feet: str) -> None:
        """From ``t_s`` move a foot into narrow stance ``feet`` (``FEET_STANCES``: together,
        semi-tandem, tandem) about the middle of the markings; after a hold time drawn for the
        profile and the condition, balance is lost and one foot steps out RECOVERY_STEP_MM to
        the lead side (``both_feet`` puts the feet back on the markings)."""
        if feet not in FEET_STANCES:
            raise ValueError(f"a narrow stance is one of {', '.join(FEET_STANCES)}, not {feet!r}")
        with self._lock:
            self._command(t_s, "feet", (feet, self._hold_s(t_s, feet)))

    def _hold_s(
        self, t_s: float, feet: str, side: str | None = None, condition: tuple | None = None
    ) -> float:
        """A hold time of stance ``feet`` in the condition at ``t_s`` (or ``condition``: eyes
        closed, surface), drawn for the profile: log-normal about its median (shorter on the
        weaker leg), at most MAX_HOLD_S."""
        p, posture = self.profile, self._timeline.at(t_s)
        eyes_closed, surface = condition or (posture.eyes_closed, posture.surface)
        median_s = p.hold_median_s(feet, eyes_closed, surface)
        if side is not None and side == p.weaker_leg:
            median_s *= p.weaker_leg_hold_factor
        z = float(self._draws.standard_normal())
        return min(MAX_HOLD_S, median_s * math.exp(p.single_leg_hold_spread * z))

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
        return share, -self._off_half_feet * _smooth(u / 0.6), 25.0 * _smooth(u)

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
                shift_ml, shift_ap = self._timeline.at(t_s).shift_at(t_s).at(t_s)[0]
                ml, ap = ml + shift_ml, ap + shift_ap
                if share > 0.0:
                    out = (share * self._weight_n, self._ml0 + ml + d_ml, self._ap0 + ap + d_ap)
            self._last, self._stale = (t_s, out), False
        return self._last[1]

    def take_change_s(self) -> float | None:
        """The earliest time a command given since the last call acts from (None: none came):
        loads served before for later times are out of date from then on."""
        with self._lock:
            changed, self._changed_from_s = self._changed_from_s, math.inf
        return None if changed == math.inf else changed

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
                "surface": newest.surface,
                "lean_target_ml_mm": newest.lean.end[0],
                "lean_target_ap_mm": newest.lean.end[1],
                "single_leg": newest.leg if single else None,
                "feet": newest.feet_at(t) if served else None,
                "touch_down_at_s": newest.down_s if newest.down_s < math.inf else None,
                "lost_balance_at_s": lost if lost is not None and served and lost <= t else None,
                "last_t_s": t if served else None,
                "force_n": force,
                "cop_ml_mm": ml,
                "cop_ap_mm": ap,
            }
