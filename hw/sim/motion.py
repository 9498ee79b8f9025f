"""How the simulated person's held posture and stance unfold in time: smooth moves of a point
(ML, AP mm), the posture in force between commands, and the timeline of commands.

A lean or a weight shift is a `Move`: a quintic Hermite curve, a minimum-jerk move when it
starts from rest, that carries on from wherever the previous move had got to (with its velocity
and acceleration) when the plan changes, so the motion never jumps. A `Posture` is what the
person does from one command to the next (eye and surface condition, the lean, the single-leg
COP shift and stance times, stepping times); a `Timeline` keeps the commands in time order with
the posture each leads to (what a command does is the person's: ``hw.sim.person``), and
rebuilds the later ones when a command arrives for an earlier time.
"""

import bisect
import math
from dataclasses import dataclass
from functools import cached_property

TOUCH_DOWN_S = 0.3  # the COP returning toward the middle as the lifted foot lands, s


def _mix(*terms: tuple[tuple[float, float], float]) -> tuple[float, float]:
    """The sum of weight * (ML, AP) over ((ML, AP), weight) terms."""
    ml = ap = 0.0  # added up as sum() adds floats (from 0.0, in order), without generators
    for (x, y), w in terms:
        ml += x * w
        ap += y * w
    return ml, ap


_ZERO = (0.0, 0.0)


@dataclass(frozen=True)
class Move:
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

    def then(self, t_s: float, end: tuple[float, float], d_s: float) -> "Move":
        """A move from where this one is at ``t_s`` (with its velocity and acceleration) to
        rest at ``end`` after ``d_s``."""
        pos, vel, acc, _ = self.at(t_s)
        return Move(t_s, pos, vel, acc, end, d_s)


_REST = Move(-math.inf, _ZERO, _ZERO, _ZERO, _ZERO, 0.0)


@dataclass(frozen=True)
class Posture:
    """What the person does from ``t_s`` until the next command: condition, the lean of the
    held posture (from the habitual one), the COP shift of a single-leg or narrow stance
    (``feet``) with its times and where the COP goes when it ends (``down_to``: back to the
    middle as a lifted foot lands, or to the midpoint of the feet after a step out of a narrow
    stance), and the stepping times that arm the loss-of-balance check."""

    t_s: float
    on_s: float | None
    off_s: float | None = None
    eyes_closed: bool = False
    surface: str = "firm"  # firm, foam or disc (hw.sim.profiles.SURFACE_HOLD_FACTOR)
    lean: Move = _REST
    shift: Move = _REST  # COP toward the stance foot or the narrow stance's centre (ML, AP)
    leg: str | None = None  # stance leg of the latest single-leg stance
    feet: str = "apart"  # the latest narrow stance (hw.sim.profiles.FEET_STANCES)
    lift_s: float = math.inf  # the stance starts: the other foot leaves the ground, or is placed
    down_s: float = math.inf  # ... and it ends: the foot touches down, or steps out
    down_to: tuple[float, float] = _ZERO  # the COP shift after it ends
    down_over_s: float = TOUCH_DOWN_S  # ... reached over this long
    down_via: tuple[float, float] | None = None  # ... by way of this one, as long again
    fresh: bool = False  # a new stance after stepping on

    def single_leg(self, t_s: float) -> bool:
        """Whether the person stands on one leg at ``t_s``."""
        return self.leg is not None and self.lift_s <= t_s < self.down_s

    def feet_at(self, t_s: float) -> str:
        """How the feet stand at ``t_s``: ``single`` (on one leg), a narrow stance, or
        ``apart`` (the habitual stance, also after a step out of a narrow one)."""
        if not self.lift_s <= t_s < self.down_s:
            return "apart"
        return "single" if self.leg is not None else self.feet

    def armed(self, t_s: float, step_on_s: float) -> bool:
        """Whether a loss of balance counts at ``t_s``: on the platform after the weight ramp."""
        on, off = self.on_s, self.off_s
        return on is not None and on + step_on_s <= t_s and (off is None or t_s < off)

    def shift_at(self, t_s: float) -> Move:
        """The COP offset (ML, AP) in force at ``t_s``: toward the stance foot or the narrow
        stance's centre, then to ``down_to`` (by way of ``down_via``) once the stance ends."""
        if t_s < self.down_s:
            return self.shift
        first, then = self._landing
        if then is None or t_s < self.down_s + self.down_over_s:
            return first
        return then

    @cached_property
    def _landing(self) -> tuple[Move, Move | None]:
        """The COP shift's moves once the stance ends: to ``down_via`` (or ``down_to``), then
        on to ``down_to`` (None without ``down_via``). Worked out once per posture: the
        load cells ask for the shift at every conversion."""
        first = self.shift.then(self.down_s, self.down_via or self.down_to, self.down_over_s)
        if self.down_via is None:
            return first, None
        return first, first.then(self.down_s + self.down_over_s, self.down_to, self.down_over_s)

    def breaks(self, step_on_s: float) -> tuple[float, ...]:
        """Times after ``t_s`` at which the sway regime changes without a new command."""
        times = (self.lift_s, self.down_s, math.inf if self.on_s is None else self.on_s + step_on_s)
        return tuple(t for t in times if self.t_s < t < math.inf)


class Timeline:
    """The person's commands in time order, each with the posture it leads to. A command may
    arrive for a time before later ones (a reaction due in the last control tick): the later
    postures are then rebuilt on top of it."""

    def __init__(self, base: Posture, apply):
        self._apply = apply  # (posture, t_s, kind, args) -> posture
        self._base = base  # in force before the first kept command
        self._times: list[float] = []
        self._entries: list[tuple[str, tuple, Posture]] = []

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

    def at(self, t_s: float) -> Posture:
        """The posture in force at ``t_s``."""
        i = bisect.bisect_right(self._times, t_s)
        return self._entries[i - 1][2] if i else self._base

    def newest(self) -> Posture:
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
