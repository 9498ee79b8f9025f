"""``weight-shift``: lean to targets and hold each for a dwell time (docs/clinical.md, "Training
drills": weight shift to targets with dwell time and hit count, as Biodex and WIIBBLE offer).

Rules: after the shared lead-in (``CuedDrill``: step on, settle, countdown, where the patient is
told how the lights guide them: ``find-targets``), the patient's neutral COP is the mean COP over
the settled second before recording. Each target is a circle of ``target_radius_mm`` centred
``distance_mm`` from neutral toward one direction (left, right, front, back: in that cycle, or
in shuffled blocks of the four drawn from the drill's seed).

Cues, while the status light is green, guide the patient to the target as a peer's screen
cursor would: outside the circle the direction LED(s) from the live COP toward the circle's
centre are lit ("lean that way": at the start the target's own direction; past the target the
opposite side, "ease back"); inside it the centre LED ("you are on it: hold"), kept lit until
the live COP leaves the circle by more than EXIT_MARGIN_MM, so sway at its edge does not flicker
it. A hit is ``dwell_s`` of continuous stay. On a hit, or after ``timeout_s`` without one (a
miss), every LED goes off ("come back to the middle"); the next target lights once the live COP
has stayed within ``target_radius_mm`` of neutral for ``RETURN_HOLD_S``, or after
``RETURN_MAX_S`` at the latest. The last target ends the drill: every cue off, success tone.

Scores use the live COP, the same signal that lit the LEDs, so a score matches what the patient
was shown. Per target: ``hit``, ``time_to_target_s`` (target lit to first entry, the time to
target of Biodex's training; None when never reached), ``time_to_hit_s``, ``in_zone_s``
(``sensing.weightbearing.time_in_circle`` over the time the target was lit), ``overshoot_mm``
(how far along the target's direction the COP went past the target's centre; 0 when it never
did), ``exits`` (times it left the circle again before the hit) and ``lost_balance``.
Overall (also when the drill ends early): ``hits``, ``misses``, ``hit_rate_pct`` (of the
finished targets), ``time_to_target_s`` (mean over the reached targets), ``overshoot_mm`` (mean
over the reached targets), ``in_zone_s`` (sum) and ``losses_of_balance``. A faster patient
who overshoots and corrects still hits; only never settling in the circle misses.

Safety: stepping off before recording returns to waiting. Stepping off while recording is a
loss of balance: the target under way fails, the status turns blue and the drill goes on with
the next target once the patient stands settled again (``CuedDrill.recover``).
"""

import math
import random
from typing import ClassVar

import numpy as np

from drills.cued import RECOVERING_PATIENT_WORDS, RECOVERING_WORDS, CuedDrill, lean_lights, zone
from drills.cues import Status
from drills.engine import Phase
from drills.errors import DrillParamError
from drills.params import Param, choice
from drills.surfaces import SURFACE
from sensing.weightbearing import time_in_circle
from sensing.words import N_

DIRECTIONS = {"left": (-1.0, 0.0), "right": (1.0, 0.0), "front": (0.0, 1.0), "back": (0.0, -1.0)}
"""Unit (ML, AP) vectors of the four targets, in the order of the cycle."""

RETURN_HOLD_S = 0.5
"""Back in the middle for half a second (a pause, not a hold test) before the next target."""

RETURN_MAX_S = 5.0
"""The next target lights after 5 s even when the patient has not come back to the middle."""

EXIT_MARGIN_MM = 5.0
"""Once inside, the COP counts as on the target until it is this far outside the circle: quiet
sway at the edge (a few millimetres) neither flickers the centre LED nor restarts the dwell."""


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


class WeightShift(CuedDrill):
    """Lit targets the patient leans to and holds; hits, misses and times are scored."""

    name = "weight-shift"
    tracked = ("hit_rate_pct", "time_to_reach_mean_s")
    result_docs: ClassVar[dict[str, tuple[str, str, str]]] = {
        "neutral_ml_mm": (
            N_("Resting position, side to side"),
            "mm",
            N_(
                "Where the patient's weight rested left-right before the first target (right is "
                "positive); the targets are placed from here."
            ),
        ),
        "neutral_ap_mm": (
            N_("Resting position, front-back"),
            "mm",
            N_(
                "Where the patient's weight rested front-back before the first target (forward is "
                "positive); the targets are placed from here."
            ),
        ),
    }
    lower_is_better = ("time_to_reach_mean_s",)
    stage_words: ClassVar[dict[str, str]] = {
        "target": N_("Lean to the target and hold"),
        "return to the middle": N_("Back to the middle"),
        **RECOVERING_WORDS,
    }
    patient_stage_words: ClassVar[dict[str, str]] = RECOVERING_PATIENT_WORDS
    headline = (
        ("hit_rate_pct", "hit_rate_pct"),
        ("time_to_target_s", "time_to_target_s"),
        ("overshoot_mm", "overshoot_mm"),
    )
    title = N_("Weight shift to targets")
    summary = N_("Lean toward the lit side until the centre light comes on, hold it, come back.")
    instruction = "find-targets"
    params = (
        Param("targets", int, 8, 1, 40, "", N_("How many targets the patient is given.")),
        Param(
            "distance_mm",
            float,
            60.0,
            20.0,
            150.0,
            "mm",
            N_("How far each target is from neutral."),
        ),
        Param("target_radius_mm", float, 20.0, 5.0, 50.0, "mm", N_("Radius of the target circle.")),
        Param("dwell_s", float, 2.0, 0.5, 10.0, "s", N_("Time to stay in the target for a hit.")),
        Param("timeout_s", float, 10.0, 3.0, 60.0, "s", N_("Time per target before it is a miss.")),
        choice(
            "order",
            ("cycle", "random"),
            "cycle",
            N_("Targets in turn (left, right, front, back) or shuffled."),
        ),
        SURFACE,
        Param(
            "countdown_s", int, 3, 0, 10, "s", N_("Beeps, one per second, before the first target.")
        ),
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
        self.recording_started_s = 0.0
        self.stage = "target"
        self._stage_started_s = 0.0
        self._in_circle_since: float | None = None  # entry into the target (or home) circle
        self._reached_s: float | None = None
        self._exits = 0
        self._trace: list[tuple[float, float]] = []  # live COP while the current target is lit

    def begin(self, frame):
        self.recording_started_s = frame.t_s
        self.neutral = self.standing_mean()[1:]
        self._light_target(frame.t_s)

    def target_centre(self, index: int) -> tuple[float, float]:
        """(ML, AP) mm of target ``index``'s centre in the patient's frame."""
        ux, uy = DIRECTIONS[self.sequence[index]]
        d = self.values["distance_mm"]
        return (self.neutral[0] + d * ux, self.neutral[1] + d * uy)

    def _light_target(self, t_s: float) -> None:
        self.stage = "target"
        self._stage_started_s = t_s
        self._in_circle_since = self._reached_s = None
        self._exits = 0
        self._trace = []

    def on_recording(self, frame):
        if self.stage == "recovering":
            cues = self.recover(frame)
            if cues is None:  # standing again (the feet may have moved): the next target
                self.neutral = self.standing_mean()[1:]
                self._light_target(frame.t_s)
                return [Status("green"), *self._on_target(frame.t_s, self._live(frame))]
            return cues
        if not self.stance.on_platform:
            return self._lose_balance(frame.t_s)
        cop = self._live(frame)
        if self.stage == "return":
            return self._on_return(frame.t_s, cop)
        return self._on_target(frame.t_s, cop)

    @staticmethod
    def _live(frame) -> tuple[float, float]:
        return (frame.cop_ml_live_mm, frame.cop_ap_live_mm)

    def _on_target(self, t_s: float, cop: tuple[float, float]) -> list:
        self._trace.append(cop)
        centre = self.target_centre(len(self.targets))
        radius = self.values["target_radius_mm"]
        distance = math.dist(cop, centre)
        was_inside = self._in_circle_since is not None
        inside = distance <= radius + (EXIT_MARGIN_MM if was_inside else 0.0)
        if inside and not was_inside:
            self._in_circle_since = t_s
            if self._reached_s is None:
                self._reached_s = t_s
        elif was_inside and not inside:
            self._in_circle_since = None
            self._exits += 1
        if inside and t_s - self._in_circle_since >= self.values["dwell_s"] - 1e-9:
            return self._finish_target(t_s, hit=True)
        if t_s - self._stage_started_s >= self.values["timeout_s"] - 1e-9:
            return self._finish_target(t_s, hit=False)
        if inside:
            return self.show({"centre"})
        return self.show(lean_lights(centre[0] - cop[0], centre[1] - cop[1]))

    def _lose_balance(self, t_s: float) -> list:
        """Fail the target under way (if any) and wait for the patient to stand again."""
        if self.stage == "target":
            self._record_target(t_s, hit=False, lost_balance=True)
            if len(self.targets) == len(self.sequence):
                return self.finish(t_s)
        self.stage = "recovering"
        return self.start_recovery(t_s)

    def _record_target(self, t_s: float, hit: bool, lost_balance: bool = False) -> None:
        index = len(self.targets)
        centre = self.target_centre(index)
        trace = np.asarray(self._trace, dtype=float).reshape(-1, 2)
        in_zone = time_in_circle(
            trace[:, 0], trace[:, 1], self.rate_hz, centre, self.values["target_radius_mm"]
        )
        ux, uy = DIRECTIONS[self.sequence[index]]
        along = (trace[:, 0] - self.neutral[0]) * ux + (trace[:, 1] - self.neutral[1]) * uy
        past = float(np.nanmax(along)) - self.values["distance_mm"] if len(trace) else -1.0
        start = self._stage_started_s
        self.targets.append(
            {
                "target": index + 1,
                "direction": self.sequence[index],
                "centre_ml_mm": round(centre[0], 1),
                "centre_ap_mm": round(centre[1], 1),
                "start_s": round(start - self.recording_started_s, 3),
                "hit": hit,
                "time_to_target_s": None if self._reached_s is None else self._reached_s - start,
                "time_to_hit_s": t_s - start if hit else None,
                "in_zone_s": in_zone["in_zone_s"],
                "overshoot_mm": round(max(0.0, past), 1) if self._reached_s is not None else None,
                "exits": self._exits,
                "lost_balance": lost_balance,
            }
        )

    def _finish_target(self, t_s: float, hit: bool) -> list:
        self._record_target(t_s, hit)
        if len(self.targets) == len(self.sequence):
            return self.finish(t_s)
        self.stage = "return"
        self._stage_started_s = t_s
        self._in_circle_since = None
        return self.show(())

    def _on_return(self, t_s: float, cop: tuple[float, float]) -> list:
        home = math.dist(cop, self.neutral) <= self.values["target_radius_mm"]
        if not home:
            self._in_circle_since = None
        elif self._in_circle_since is None:
            self._in_circle_since = t_s
        back = home and t_s - self._in_circle_since >= RETURN_HOLD_S - 1e-9
        if back or t_s - self._stage_started_s >= RETURN_MAX_S - 1e-9:
            self._light_target(t_s)
            return self._on_target(t_s, cop)
        return []

    def status(self):
        out = super().status()
        out.update(
            targets_total=len(self.sequence),
            hits=sum(t["hit"] for t in self.targets),
            misses=sum(not t["hit"] for t in self.targets),
        )
        if self.phase is Phase.RECORDING:
            out["target"] = min(len(self.targets) + 1, len(self.sequence))
            out["stage"] = {"return": "return to the middle"}.get(self.stage, self.stage)
            radius = self.values["target_radius_mm"]
            if self.stage == "return":
                out["home_zone"] = zone(self.neutral, radius)
            elif self.stage == "target":
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
        the finished targets, also when the drill ended early)."""
        out = super().result()
        hits = sum(t["hit"] for t in self.targets)
        reached = [t for t in self.targets if t["time_to_target_s"] is not None]
        out.update(
            targets=self.targets,
            neutral_ml_mm=None if math.isnan(self.neutral[0]) else round(self.neutral[0], 1),
            neutral_ap_mm=None if math.isnan(self.neutral[1]) else round(self.neutral[1], 1),
            hits=hits,
            misses=len(self.targets) - hits,
            hit_rate_pct=100 * hits / len(self.targets) if self.targets else None,
            time_to_target_s=(
                float(np.mean([t["time_to_target_s"] for t in reached])) if reached else None
            ),
            overshoot_mm=float(np.mean([t["overshoot_mm"] for t in reached])) if reached else None,
            in_zone_s=sum(t["in_zone_s"] for t in self.targets),
            losses_of_balance=sum(t["lost_balance"] for t in self.targets),
        )
        return out
