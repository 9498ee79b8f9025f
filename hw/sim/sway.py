"""The sway of the simulated person: both axes of a body swaying about the ankles, integrated
on a fixed step under the postures of a `Timeline`.

Per axis (AP, ML) a body-about-the-ankles inverted pendulum, its centre of mass at
``com_height_fraction * height_m`` = h and its moment of inertia about the ankles m (k^2 H^2 + h^2)
(``GYRATION_SQ``, the constants of Duarte's ``cogve``, after Brenière 1996): ``x'' = (g h / (k^2 H^2
+ h^2)) * (x - p)`` with x the centre of mass and p the centre of pressure (COP = ankle torque /
weight), in mm. The nervous system commands ``p_cmd = r + k * (x(t - delay) - r) + b * x'(t - delay)
+ n`` (a delayed PD controller, gains normalised by m*g*h) and the muscles follow it with a
first-order lag; n is a low-pass torque disturbance and r the reference posture: a slow drift (the
"rambling" of quiet stance) plus any deliberate lean. The ML axis, standing in for the hip
load/unload mechanism, has the same form with a quieter disturbance. Each condition (eyes closed,
foam pad, one leg, a narrow stance) has its own `SwayAxis` values (`hw.sim.profiles`); switching
keeps every state, so the COP path stays continuous.

The ankles can place the COP only so far (``balance_reserve`` times the person's limits of
stability, less on foam): the COP saturates there, and once the COM passes it by
FALL_MARGIN_MM the person has lost balance and the sway freezes until a new stance. A lean
(a `Move` of the held posture) adds to the command the COP that moves the COM along it (the
anticipatory COP shift the other way first, the braking overshoot at the end), so the COP path
of a lean looks like a real one.

The state advances on a fixed 5 ms step from ``start_s`` with noise drawn in 1 s blocks from the
seeded generator, and a checkpoint is kept at the start of each block: a command for a time the
integration has already passed re-integrates from the block before it with the same noise.
Queries interpolate, so the sway depends on the seed and the postures only, never on when or
how often it was queried.
"""

import itertools
import math
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from hw.sim.motion import Move, Timeline
from hw.sim.profiles import PersonProfile, Stance

STEP_S = 0.005  # integration step, s
# Steps integrated at a time: 0.1 s, a fraction of a millisecond of CPU, so that a chip's read
# that needs the next block never stalls its reader long enough to miss a conversion (a 1 s
# block took about 5 ms). The noise is still drawn 1 s at a time, so a seed's sway is the same.
BLOCK_STEPS = 20
NOISE_BLOCKS = 10  # blocks whose noise is drawn at once
KEPT_BLOCKS = 20  # integrated blocks kept for late queries and commands (2 s)
# the share of the COP range the ankles reach on firm ground that they reach on each surface
SURFACE_RESERVE = {"firm": 1.0, "foam": 0.8, "disc": 0.7}
FALL_MARGIN_MM = 10.0  # COM this far beyond the reachable COP: balance is lost


class _AxisGains(NamedTuple):
    """One axis's controller in one regime, per integration step: the PD gains, how the
    disturbance and the drift carry over a step and what each draw adds, the reachable COP
    range and the pendulum. A tuple, so that the integration loop unpacks it at once."""

    stiffness: float  # proportional gain k, in units of m*g*h
    damping_s: float  # derivative gain b / (m*g*h), s
    noise_decay: float  # share of the torque disturbance kept from one step to the next
    noise_step_mm: float  # the disturbance one standard normal draw adds, mm of COP
    drift_decay: float  # likewise for the reference-posture drift
    drift_step_mm: float
    lo_mm: float  # reachable COP range in the sway frame, mm
    hi_mm: float
    w2dt: float  # the pendulum's squared angular frequency times STEP_S, 1/s


class _Regime(NamedTuple):
    """Everything that changes with the condition: per axis gains and the sway values."""

    gains: tuple[_AxisGains, _AxisGains]  # ML, AP
    stance: Stance


@dataclass(slots=True)
class _AxisState:
    """One axis's integration state, in the sway frame: the centre of mass, its velocity, the
    COP, the disturbance and the drift, and what the controller reads one delay late: the COM
    and its velocity in a ring buffer whose next slot is ``head``."""

    com_mm: float
    com_mm_s: float
    cop_mm: float
    noise_mm: float  # torque disturbance n, as COP
    drift_mm: float  # reference-posture drift r
    head: int
    past_com_mm: list[float]
    past_com_mm_s: list[float]

    @classmethod
    def upright(
        cls, com_mm: float, noise_mm: float, drift_mm: float, delay_steps: int
    ) -> "_AxisState":
        """At rest, the COP under the COM at ``com_mm``, as far back as the delay reaches."""
        past_com_mm, past_com_mm_s = [com_mm] * delay_steps, [0.0] * delay_steps
        return cls(com_mm, 0.0, com_mm, noise_mm, drift_mm, 0, past_com_mm, past_com_mm_s)

    def copy(self) -> "_AxisState":
        """A copy, delay lines included (the integration writes into them)."""
        return _AxisState(
            self.com_mm,
            self.com_mm_s,
            self.cop_mm,
            self.noise_mm,
            self.drift_mm,
            self.head,
            self.past_com_mm[:],
            self.past_com_mm_s[:],
        )


class _Block(NamedTuple):
    """An integrated block: its index, the state it started from and its noise, to integrate
    it again when a command arrives for a time in it."""

    index: int
    start: list[_AxisState]  # ML, AP
    fallen: bool
    lost_at_s: float | None
    noise: list  # per axis (ML, AP), the disturbance's and the drift's draws, one a step


class Sway:
    """Both sway axes, integrated on a fixed step from ``start_s`` under the postures of
    ``timeline``; COP in mm from the habitual posture, interpolated."""

    def __init__(self, profile: PersonProfile, seed: int, start_s: float, timeline: Timeline):
        self._profile, self._timeline, self._start = profile, timeline, start_s
        self._rng = np.random.default_rng(seed)
        self._z0 = [self._rng.standard_normal(2) for _ in range(2)]  # initial n, r of ML, AP
        self._d = max(1, round(profile.delay_s / STEP_S))
        self._w2dt = tuple(profile.pendulum_w2(axis) * STEP_S for axis in ("ml", "ap"))
        self._am = 1.0 - math.exp(-STEP_S / profile.muscle_tau_s)
        self._regimes: dict[tuple[bool, bool, str], _Regime] = {}
        self._k = 0  # index of the next block to integrate
        self._blocks: list[_Block] = []  # kept for late queries and commands
        self._pending: list[list] = []  # noise of the next blocks (drawn or rolled back)
        self._cop: list[list[float]] = [[], []]  # ML, AP samples of the kept blocks
        self._com: list[list[float]] = [[], []]  # ML, AP centre of mass, likewise
        self._state: list[_AxisState] = []  # ML, AP
        self._fallen = False
        self.lost_at_s: float | None = None  # the latest loss of balance

    def _step_index(self, t_s: float) -> int:
        """First step whose update happens at or after ``t_s``."""
        return math.ceil((t_s - self._start) / STEP_S - 1e-9)

    def _regime(self, eyes_closed: bool, surface: str, feet: str) -> _Regime:
        """The regime of a condition (``feet``: apart, single or a narrow stance): per axis
        (ML, AP) the controller gains and the reachable COP range (sway frame), and the
        condition's sway values."""
        key = (eyes_closed, surface, feet)
        if key not in self._regimes:
            p = self._profile
            stance = p.stance(*key)
            reserve = p.balance_reserve * SURFACE_RESERVE[surface]
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
                axes.append(_AxisGains(a.stiffness, a.damping_s, an, bn, ar, br, lo, hi, w2dt))
            self._regimes[key] = _Regime(tuple(axes), stance)
        return self._regimes[key]

    def _initial_state(self) -> list[_AxisState]:
        posture = self._timeline.at(self._start)
        stance = self._regime(posture.eyes_closed, posture.surface, "apart").stance
        lean = posture.lean.at(self._start)[0]
        state = []
        for z, a, c in zip(self._z0, (stance.ml, stance.ap), lean, strict=True):
            n0, r0 = float(z[0]) * a.noise_mm, float(z[1]) * a.drift_mm
            state.append(_AxisState.upright(r0 + c, n0, r0, self._d))
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
        block, dropped = self._blocks[j], self._blocks[j:]
        self._pending = [kept.noise for kept in dropped] + self._pending
        del self._blocks[j:]
        for out in (*self._cop, *self._com):
            del out[j * BLOCK_STEPS :]
        self._state, self._fallen, self.lost_at_s = block.start, block.fallen, block.lost_at_s
        self._k = k

    def _first_block(self) -> int:
        """Index of the oldest block kept (the next one when none is)."""
        return self._blocks[0].index if self._blocks else self._k

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
        start = [st.copy() for st in self._state]
        self._blocks.append(_Block(self._k, start, self._fallen, self.lost_at_s, noise))
        self._integrate(self._k * BLOCK_STEPS, noise)
        self._k += 1
        if len(self._blocks) > KEPT_BLOCKS:
            del self._blocks[0]
            for out in (*self._cop, *self._com):
                del out[:BLOCK_STEPS]
        self._timeline.forget_before(self._start + self._blocks[0].index * BLOCK_STEPS * STEP_S)

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
            gains = self._regime(posture.eyes_closed, posture.surface, posture.feet_at(ta)).gains
            self._segment(a, b, i0, noise, gains, posture, posture.armed(ta, step_on_s))

    def _restart(self, lean: tuple) -> None:
        """A new stance after a fall: the body upright over the held posture, at rest."""
        self._state = [
            _AxisState.upright(st.drift_mm + c, st.noise_mm, st.drift_mm, self._d)
            for st, c in zip(self._state, lean, strict=True)
        ]
        self._fallen = False

    def _segment(self, a, b, i0, noise, gains, posture, armed) -> None:
        """Steps a .. b under one posture and regime, both axes; stops them both at a fall."""
        if self._fallen:  # balance lost: the COP stays at the edge until a new stance
            for cop, com, st in zip(self._cop, self._com, self._state, strict=True):
                cop.extend([st.cop_mm] * (b - a))
                com.extend([st.com_mm] * (b - a))
            return
        leans = self._feedforward(a, b, gains, posture.lean)
        saved = [st.copy() for st in self._state]
        args = [
            (g, en[a - i0 : b - i0], er[a - i0 : b - i0], c)
            for g, (en, er), c in zip(gains, noise, leans, strict=True)
        ]
        runs = [
            self._run(g, st, en, er, c, armed)
            for st, (g, en, er, c) in zip(self._state, args, strict=True)
        ]
        falls = [f for *_, f in runs if f is not None]
        if not falls:
            for cop, com, (cops, coms, _) in zip(self._cop, self._com, runs, strict=True):
                cop.extend(cops)
                com.extend(coms)
            return
        f = min(falls)  # the first axis to fall stops both: run them again up to that step
        self._state = saved
        for cop, com, st, (g, en, er, c) in zip(self._cop, self._com, saved, args, strict=True):
            cops, coms, _ = self._run(g, st, en[: f + 1], er[: f + 1], c[: f + 1], armed)
            cop.extend([*cops, *[st.cop_mm] * (b - a - f - 1)])
            com.extend([*coms, *[st.com_mm] * (b - a - f - 1)])
        self._fallen, self.lost_at_s = True, self._start + (a + f + 1) * STEP_S

    def _feedforward(
        self, a: int, b: int, gains: tuple[_AxisGains, _AxisGains], lean: Move
    ) -> list[list[float]]:
        """Per axis and step a .. b, what a lean c(t) adds to the COP command: the COP that
        moves the COM along it, p = c - c'' / omega^2, led by the muscles' lag, and the feedback
        on the lean as it was one delay ago (-k * c - b * c'), so that the delayed feedback acts
        on the deviation from the lean only."""
        delay_s = self._d * STEP_S
        if lean.settled(self._start + a * STEP_S - delay_s):
            return [
                [c * (1.0 - g.stiffness)] * (b - a) for c, g in zip(lean.end, gains, strict=True)
            ]
        lag_s = STEP_S / self._am
        out: list[list[float]] = [[], []]
        for i in range(a, b):
            t = self._start + i * STEP_S
            (pos, vel, acc, jerk), (pos_d, vel_d, *_) = lean.at(t), lean.at(t - delay_s)
            for axis, g in enumerate(gains):
                w2 = g.w2dt / STEP_S
                cop = pos[axis] - acc[axis] / w2 + lag_s * (vel[axis] - jerk[axis] / w2)
                out[axis].append(cop - g.stiffness * pos_d[axis] - g.damping_s * vel_d[axis])
        return out

    def _run(
        self, gains: _AxisGains, st: _AxisState, en, er, feed, armed: bool
    ) -> tuple[list[float], list[float], int | None]:
        """One axis over steps from ``st`` (advanced in place): delayed PD command (plus the
        lean's feed-forward ``feed``; ``en``, ``er`` the disturbance's and the drift's draws),
        muscle lag, COP within reach, pendulum (semi-implicit). Returns the COP and the COM
        before each step, and the step at which the COM went past the reachable COP by
        FALL_MARGIN_MM (None: balance kept), where it stops. The hot loop of the simulation:
        everything it reads is in locals."""
        k, b, an, bn, ar, br, lo, hi, w2dt = gains
        x, v, p, n, r, j = st.com_mm, st.com_mm_s, st.cop_mm, st.noise_mm, st.drift_mm, st.head
        hx, hv = st.past_com_mm, st.past_com_mm_s
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
        st.com_mm, st.com_mm_s, st.cop_mm, st.noise_mm, st.drift_mm, st.head = x, v, p, n, r, j
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
