"""What the drill tests share to drive a drill as the control loop does, with no station: frames
at RATE, a scripted patient who sees the drill's cues as a real one would, and ``run``."""

import math

from drills.cues import AllOff, Light, Status
from sensing.frame import Frame
from sensing.stance import StanceSettings

RATE = 100.0
"""The control loop's rate in the tests, Hz."""

ON_AT_S = 1.0
"""When a scripted patient steps on the platform unless the test says otherwise, s."""


def make_drill(cls, params=None, **kwargs):
    """A drill of class ``cls`` with ``params``, ticked at RATE with the default stance
    settings; ``kwargs``: the drill's other arguments (seed, subject)."""
    return cls(params, rate_hz=RATE, stance=StanceSettings(), **kwargs)


def frame(t, load_n=700.0, ml=0.0, ap=0.0, **fields) -> Frame:
    """A frame at ``t`` s: ``load_n`` N shared evenly by the four corners with the COP, raw and
    live, at (``ml``, ``ap``) mm; under 20 N the platform is empty (no load, no COP).
    ``fields``: any other Frame field (tilt, ...)."""
    if load_n < 20:
        return Frame(t, (0.0,) * 4, load_n, math.nan, math.nan, **fields)
    live = {"cop_ml_live_mm": ml, "cop_ap_live_mm": ap}
    return Frame(t, (load_n / 4,) * 4, load_n, ml, ap, **live | fields)


class ScriptedPatient:
    """A patient who does what a test scripts. On the platform (``on(t)``) from ON_AT_S until
    ``off_at_s`` (a test may move it), or as the test's own ``on(t)`` says. ``see(cues, t)``
    keeps what the drill shows: the lights on (``lit``, direction LEDs and centre) and the
    status colour (``status``); a subclass extends it to react. ``frame(t)`` counts the ticks
    (``tick``) and is an empty platform while they are off it, else ``stand(t)``."""

    def __init__(self, on=None, off_at_s=math.inf):
        self.off_at_s = off_at_s
        self._on = on
        self.lit: set[str] = set()
        self.status = "off"
        self.tick = 0

    def on(self, t: float) -> bool:
        """Whether the patient stands on the platform at ``t`` s."""
        return self._on(t) if self._on else ON_AT_S <= t < self.off_at_s

    @property
    def green(self) -> bool:
        """The status is green: recording, the lights are to follow."""
        return self.status == "green"

    def see(self, cues, t: float) -> None:
        """Take in the cues given at ``t`` s; extend it to react to them."""
        for cue in cues:
            if isinstance(cue, Light):
                (self.lit.add if cue.on else self.lit.discard)(cue.name)
            elif isinstance(cue, Status):
                self.status = cue.colour
            elif isinstance(cue, AllOff):
                self.lit.clear()
                self.status = "off"

    def frame(self, t: float) -> Frame:
        self.tick += 1
        return self.stand(t) if self.on(t) else frame(t, 0.0)

    def stand(self, t: float) -> Frame:
        """The frame at ``t`` s while on the platform: where the subclass's script puts them."""
        raise NotImplementedError


class ReachingPatient(ScriptedPatient):
    """A scripted patient whose centre of gravity moves in a straight line at ``speed`` a second
    (in the units of ``goal_of``: mm, or a lean in deg) toward where a cue sends them:
    ``pending`` (from when, direction) sets off for ``goal_of(direction)`` then (None: back to
    the middle, (0, 0)). ``move(t)`` is one tick of it."""

    def __init__(self, speed, on=None):
        super().__init__(on=on)
        self.speed = speed
        self.pos = (0.0, 0.0)
        self.goal = (0.0, 0.0)
        self.pending: tuple[float, str | None] | None = None

    def goal_of(self, direction: str) -> tuple[float, float]:
        """Where a cue toward ``direction`` sends the patient (the subclass's script)."""
        raise NotImplementedError

    def move(self, t: float) -> tuple[tuple, tuple, tuple]:
        """Move to where the patient is at ``t`` s: (the position a tick before, now, a tick
        later), whose second difference is the acceleration an inverted pendulum turns into
        COP."""
        self.goal = self._goal_at(t)
        if self.pending and t >= self.pending[0] - 1e-9:
            self.pending = None
        before, self.pos = self.pos, self._step(self.pos, self.goal)
        return before, self.pos, self._step(self.pos, self._goal_at(t + 1 / RATE))

    def _goal_at(self, t):
        if self.pending and t >= self.pending[0] - 1e-9:
            direction = self.pending[1]
            return (0.0, 0.0) if direction is None else self.goal_of(direction)
        return self.goal

    def _step(self, pos, goal):
        gap = math.dist(pos, goal)
        if gap == 0:
            return pos
        step = min(gap, self.speed / RATE)
        return tuple(p + step * (g - p) / gap for p, g in zip(pos, goal, strict=True))


class TiltingPatient(ScriptedPatient):
    """A scripted patient who tilts (the board under them, or their trunk with the IMU on it)
    as ``script`` says: (ticks, pitch deg, roll deg) segments from tick ``start_k`` on, level
    before it and at ``end`` after it. ``tilted(t, pitch, roll)`` is the frame of a tilt (the
    subclass's: on the platform or off it); ``run_tilt`` logs in ticks from ``start_k``."""

    def __init__(self, script, start_k, end=(0.0, 0.0), on=None):
        super().__init__(on=on)
        self.script, self.start_k, self.end = script, start_k, end

    def tilt_at(self, tick: int) -> tuple[float, float]:
        """(pitch, roll) in deg ``tick`` ticks after the script's start."""
        if tick < 0:
            return 0.0, 0.0
        for ticks, pitch, roll in self.script:
            if tick < ticks:
                return pitch, roll
            tick -= ticks
        return self.end

    def frame(self, t):
        return self.tilted(t, *self.tilt_at(round(t * RATE) - self.start_k))

    def tilted(self, t: float, pitch: float, roll: float) -> Frame:
        """The frame at ``t`` s of a tilt of ``pitch`` and ``roll`` deg (the subclass's)."""
        raise NotImplementedError


def run_tilt(drill, patient: TiltingPatient, for_s: float) -> list[tuple]:
    """``run`` with a tilting patient, the log's times as ticks since its script started:
    [(tick - start_k, cue)]."""
    return [(round(t * RATE) - patient.start_k, c) for t, c in run(drill, patient, for_s)]


def run(drill, patient, for_s: float, stop_in: str | None = None) -> list[tuple]:
    """Step ``drill`` at RATE on ``patient``'s frames for up to ``for_s`` s from the tick after
    its last one (from 0 s at first), showing the patient each tick's cues; stops early when
    the drill finishes or, with ``stop_in``, enters that phase. Returns [(t, cue)]."""
    log = []
    start_s = 0.0 if drill.last_t_s is None else drill.last_t_s + 1 / RATE
    for k in range(round(for_s * RATE)):
        t = round(start_s + k / RATE, 6)
        cues = drill.step(patient.frame(t))
        patient.see(cues, t)
        log += [(t, c) for c in cues]
        if drill.finished or drill.phase.value == stop_in:
            break
    return log
