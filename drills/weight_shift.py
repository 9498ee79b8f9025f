"""``weight-shift``: lean to targets and hold each for a dwell time (docs/clinical.md, "Training
drills peers offer": weight-shift to targets with dwell time and hit count, as Biodex and
WIIBBLE offer).

Rules: after the countdown, the patient's neutral COP is the mean live COP over the countdown
(or the COP at the start of recording when there is no countdown). Each target is a circle of
``target_radius_mm`` centred ``distance_mm`` from neutral toward one direction (left, right,
front, back: in that cycle, or in shuffled blocks of the four drawn from the drill's seed).

Cues, while the status light is green: the target's direction LED lights ("lean that way");
the centre LED is lit while the live COP is inside the target circle ("you are on it: hold");
a hit is ``dwell_s`` of continuous stay. On a hit, or after ``timeout_s`` without one (a
miss), every direction LED goes off ("come back to the middle"); the next target lights once
the live COP has stayed within ``target_radius_mm`` of neutral for ``RETURN_HOLD_S``, or after
``RETURN_MAX_S`` at the latest. The last target ends the drill: every cue off, success tone.
Stepping off before recording goes back to waiting; stepping off while recording aborts the
drill, keeping the targets already finished.

Scores use the live COP, the same signal that lit the centre LED, so a score matches what the
patient was shown. Per target: ``hit``, ``time_to_reach_s`` (target lit to first entry; None
when never reached), ``time_to_hit_s``, ``in_zone_s`` (``sensing.weightbearing.time_in_circle``
over the time the target was lit). Overall: ``hits``, ``misses``, ``hit_rate_pct`` (of the
finished targets), ``time_to_reach_mean_s`` (over the reached targets), ``in_zone_s`` (sum).
"""

import math
import random

import numpy as np

from drills.cued import zone
from drills.cues import AllOff, Light, Status, Tone
from drills.engine import Drill, Phase
from drills.errors import DrillParamError
from drills.params import Param, choice
from sensing.weightbearing import time_in_circle

STEPPED_OFF = "patient stepped off the platform"

DIRECTIONS = {"left": (-1.0, 0.0), "right": (1.0, 0.0), "front": (0.0, 1.0), "back": (0.0, -1.0)}
"""Unit (ML, AP) vectors of the four targets, in the order of the cycle."""

RETURN_HOLD_S = 0.5
"""Back in the middle for half a second (a pause, not a hold test) before the next target."""

RETURN_MAX_S = 5.0
"""The next target lights after 5 s even when the patient has not come back to the middle."""


def target_sequence(count: int, order: str, seed: int) -> list[str]:
    """The target directions: the four in a fixed cycle, or shuffled blocks of the four."""
    names = list(DIRECTIONS)
    if order == "cycle":
        return [names[k % len(names)] for k in range(count)]
    rng = random.Random(seed)
    out: list[str] = []
    while len(out) < count:
        block = names[:]
        rng.shuffle(block)
        out += block
    return out[:count]


class WeightShift(Drill):
    """Lit targets the patient leans to and holds; hits, misses and times are scored."""

    name = "weight-shift"
    title = "Weight shift to targets"
    summary = "Lean toward the lit side until the centre light comes on, hold it, come back."
    params = (
        Param("targets", int, 8, 1, 40, "", "How many targets the patient is given."),
        Param(
            "distance_mm", float, 60.0, 20.0, 150.0, "mm", "How far each target is from neutral."
        ),
        Param("target_radius_mm", float, 20.0, 5.0, 50.0, "mm", "Radius of the target circle."),
        Param("dwell_s", float, 2.0, 0.5, 10.0, "s", "Time to stay in the target for a hit."),
        Param("timeout_s", float, 10.0, 3.0, 60.0, "s", "Time per target before it is a miss."),
        choice(
            "order",
            ("cycle", "random"),
            "cycle",
            "Targets in turn (left, right, front, back) or shuffled.",
        ),
        Param("countdown_s", int, 3, 0, 10, "s", "Beeps, one per second, before the first target."),
    )

    @classmethod
    def cross_check(cls, values):
        if values["target_radius_mm"] >= values["distance_mm"]:
            raise DrillParamError(
                "target_radius_mm",
                f"must be smaller than distance_mm ({values['distance_mm']:g} mm), or the "
                "patient starts inside the target",
            )

    def __init__(self, params, **kwargs):
        super().__init__(params, **kwargs)
        self.sequence = target_sequence(self.values["targets"], self.values["order"], self.seed)
        self.targets: list[dict] = []  # finished targets
        self.neutral = (math.nan, math.nan)
        self._countdown_cop: list[tuple[float, float]] = []
        self._beeps_given = 0
        self._returning = False
        self._stage_started_s = 0.0
        self._in_circle_since: float | None = None  # entry into the target (or home) circle
        self._reached_s: float | None = None
        self._trace: list[tuple[float, float]] = []  # live COP while the current target is lit

    def on_waiting(self, frame):
        if self.stance.on_platform:
            self.enter(Phase.SETTLING, frame.t_s)
        return []

    def on_settling(self, frame):
        if not self.stance.on_platform:
            self.enter(Phase.WAITING, frame.t_s)
        elif self.stance.settled:
            self.enter(Phase.COUNTDOWN, frame.t_s)
            self._beeps_given = 0
            self._countdown_cop.clear()
            return [Status("amber"), *self.on_countdown(frame)]
        return []

    def on_countdown(self, frame):
        if not self.stance.on_platform:
            self.enter(Phase.WAITING, frame.t_s)
            return [AllOff(), Status("blue")]
        elapsed = self.phase_elapsed_s()
        if elapsed >= self.values["countdown_s"] - 1e-9:
            cop = self._countdown_cop or [(frame.cop_ml_live_mm, frame.cop_ap_live_mm)]
            self.neutral = tuple(float(v) for v in np.mean(cop, axis=0))
            self.enter(Phase.RECORDING, frame.t_s)
            return [Tone("start"), Status("green"), *self._light_target(frame.t_s)]
        self._countdown_cop.append((frame.cop_ml_live_mm, frame.cop_ap_live_mm))
        if elapsed >= self._beeps_given - 1e-9:
            self._beeps_given += 1
            return [Tone("countdown")]
        return []

    def target_centre(self, index: int) -> tuple[float, float]:
        """(ML, AP) mm of target ``index``'s centre in the patient's frame."""
        ux, uy = DIRECTIONS[self.sequence[index]]
        d = self.values["distance_mm"]
        return (self.neutral[0] + d * ux, self.neutral[1] + d * uy)

    def _light_target(self, t_s: float) -> list:
        self._returning = False
        self._stage_started_s = t_s
        self._in_circle_since = self._reached_s = None
        self._trace = []
        return [Light(self.sequence[len(self.targets)], True)]

    def on_recording(self, frame):
        if not self.stance.on_platform:
            return self.stop(frame.t_s, STEPPED_OFF)
        cop = (frame.cop_ml_live_mm, frame.cop_ap_live_mm)
        if self._returning:
            return self._on_return(frame.t_s, cop)
        return self._on_target(frame.t_s, cop)

    def _on_target(self, t_s: float, cop: tuple[float, float]) -> list:
        self._trace.append(cop)
        centre = self.target_centre(len(self.targets))
        inside = math.dist(cop, centre) <= self.values["target_radius_mm"]
        cues = []
        if inside and self._in_circle_since is None:
            self._in_circle_since = t_s
            if self._reached_s is None:
                self._reached_s = t_s
            cues.append(Light("centre", True))
        elif not inside and self._in_circle_since is not None:
            self._in_circle_since = None
            cues.append(Light("centre", False))
        elapsed = t_s - self._stage_started_s
        if inside and t_s - self._in_circle_since >= self.values["dwell_s"] - 1e-9:
            return cues + self._finish_target(t_s, hit=True)
        if elapsed >= self.values["timeout_s"] - 1e-9:
            return cues + self._finish_target(t_s, hit=False)
        return cues

    def _finish_target(self, t_s: float, hit: bool) -> list:
        index = len(self.targets)
        centre = self.target_centre(index)
        trace = np.asarray(self._trace, dtype=float)
        zone = time_in_circle(
            trace[:, 0], trace[:, 1], self.rate_hz, centre, self.values["target_radius_mm"]
        )
        start = self._stage_started_s
        self.targets.append(
            {
                "target": index + 1,
                "direction": self.sequence[index],
                "centre_ml_mm": round(centre[0], 1),
                "centre_ap_mm": round(centre[1], 1),
                "start_s": round(start - self.events[0]["t_s"], 3),
                "hit": hit,
                "time_to_reach_s": None if self._reached_s is None else self._reached_s - start,
                "time_to_hit_s": t_s - start if hit else None,
                "in_zone_s": zone["in_zone_s"],
            }
        )
        if len(self.targets) == len(self.sequence):
            self.enter(Phase.COMPLETED, t_s)
            return [AllOff(), Tone("success")]
        self._returning = True
        self._stage_started_s = t_s
        self._in_circle_since = None
        return [Light(self.sequence[index], False), Light("centre", False)]

    def _on_return(self, t_s: float, cop: tuple[float, float]) -> list:
        home = math.dist(cop, self.neutral) <= self.values["target_radius_mm"]
        if not home:
            self._in_circle_since = None
        elif self._in_circle_since is None:
            self._in_circle_since = t_s
        back = home and t_s - self._in_circle_since >= RETURN_HOLD_S - 1e-9
        if back or t_s - self._stage_started_s >= RETURN_MAX_S - 1e-9:
            return self._light_target(t_s)
        return []

    def status(self):
        out = super().status()
        out.update(
            targets_total=len(self.sequence),
            hits=sum(t["hit"] for t in self.targets),
            misses=sum(not t["hit"] for t in self.targets),
        )
        if self.phase is Phase.COUNTDOWN:
            left_s = self.values["countdown_s"] - self.phase_elapsed_s()
            out["countdown_s"] = max(0, math.ceil(left_s))
        if self.phase is Phase.RECORDING:
            out["target"] = len(self.targets) + 1
            out["stage"] = "return to the middle" if self._returning else "target"
            radius = self.values["target_radius_mm"]
            if self._returning:
                out["home_zone"] = zone(self.neutral, radius)
            else:
                out["target_zone"] = zone(self.target_centre(len(self.targets)), radius)
                elapsed = self.last_t_s - self._stage_started_s
                out["direction"] = self.sequence[len(self.targets)]
                out["target_time_left_s"] = round(max(0.0, self.values["timeout_s"] - elapsed), 2)
                held = (
                    0.0 if self._in_circle_since is None else self.last_t_s - self._in_circle_since
                )
                out["held_s"] = round(held, 2)
        return out

    def result(self):
        """Adds the per-target details and the overall scores of the module docstring (for
        the finished targets, also when the drill was aborted)."""
        out = super().result()
        hits = sum(t["hit"] for t in self.targets)
        reach = [t["time_to_reach_s"] for t in self.targets if t["time_to_reach_s"] is not None]
        out.update(
            targets=self.targets,
            neutral_ml_mm=None if math.isnan(self.neutral[0]) else round(self.neutral[0], 1),
            neutral_ap_mm=None if math.isnan(self.neutral[1]) else round(self.neutral[1], 1),
            hits=hits,
            misses=len(self.targets) - hits,
            hit_rate_pct=100 * hits / len(self.targets) if self.targets else None,
            time_to_reach_mean_s=sum(reach) / len(reach) if reach else None,
            in_zone_s=sum(t["in_zone_s"] for t in self.targets),
        )
        return out
