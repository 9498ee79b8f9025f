"""``reaction``: lean toward a direction LED that lights at a random moment, as fast as possible.

Rules (docs/clinical.md, training drills: reaction drills): after the shared lead-in
(``CuedDrill``: step on, settle, countdown) the drill runs ``trials`` trials. Each waits a random
interval between ``interval_min_s`` and ``interval_max_s`` from the end of the previous trial
(and, past it, until the live COP is within CENTRE_MM of the patient's neutral position: the
mean COP over the settled second before recording; the therapist stops a patient who cannot
get back), then lights one LED, front, back, left or
right: the go cue. Intervals and directions come from ``random.Random(seed)``, so a seed
replays the same trial sequence.

Per trial, from the low-passed (live) COP, relative to its mean over the BASELINE_S before the
cue:

- movement onset: the COP first more than ONSET_MM from that baseline, in any direction;
  reaction time = onset - cue (s); no onset within ``timeout_s`` is a miss;
- correct: the displacement at onset points within CORRECT_HALF_ANGLE_DEG of the lit direction;
- reached: the displacement along the lit direction reaches ``distance_mm`` within
  ``timeout_s`` of the cue; the centre LED then lights for HOLD_S; movement time = reached -
  onset (s). Crossing times are interpolated linearly between ticks.

The trial ends HOLD_S after reaching, or at ``timeout_s``: every LED goes off and the patient
comes back to the middle. Results: each trial, the mean reaction time (trials with an onset),
accuracy (% of trials with an onset whose first movement was correct), misses (trials without
an onset) and the mean movement time (reached trials).

Safety: stepping off before recording returns to waiting; while recording it aborts, keeping
the trials done.
"""

import math
import random
from collections import deque

import numpy as np

from drills.cued import COUNTDOWN, STEPPED_OFF, CuedDrill, zone
from drills.engine import Phase
from drills.errors import DrillParamError
from drills.params import Param

DIRECTIONS_XY = {"front": (0.0, 1.0), "back": (0.0, -1.0), "left": (-1.0, 0.0), "right": (1.0, 0.0)}
"""The four cue directions as (ML, AP) unit vectors."""
ONSET_MM = 10.0
"""Movement onset: twice the few millimetres the live COP drifts in a few seconds of quiet
stance, and a sixth of the default target distance."""
CORRECT_HALF_ANGLE_DEG = 45.0
"""A first movement within 45 deg of the lit direction is correct (nearer it than any other)."""
CENTRE_MM = 20.0
"""Back in the middle: live COP within 20 mm of neutral (quiet sway stays well inside)."""
BASELINE_S = 0.5
"""The baseline is the mean live COP over this long before the cue."""
HOLD_S = 0.5
"""The centre LED stays lit this long after the target is reached."""


def _crossing_s(t0_s: float, v0: float, t1_s: float, v1: float, level: float) -> float:
    """When a value going from v0 (at t0) to v1 (at t1) crossed ``level``, linearly; t1 when
    the earlier value is missing."""
    if not math.isfinite(v0) or v1 == v0:
        return t1_s
    return min(t1_s, max(t0_s, t0_s + (level - v0) / (v1 - v0) * (t1_s - t0_s)))


class Reaction(CuedDrill):
    """Random go cues in four directions; reaction time, accuracy and movement time."""

    name = "reaction"
    title = "Reaction"
    summary = "When a direction light comes on, lean that way as fast as you can, then come back."
    instruction = "both-feet"
    params = (
        Param("trials", int, 10, 1, 50, "", "Number of go cues."),
        Param("distance_mm", float, 60.0, 30.0, 150.0, "mm", "How far to lean (COP) per cue."),
        Param("timeout_s", float, 3.0, 1.0, 10.0, "s", "Time allowed from a cue to the target."),
        Param("interval_min_s", float, 2.0, 1.0, 10.0, "s", "Shortest wait before a cue."),
        Param("interval_max_s", float, 5.0, 1.0, 15.0, "s", "Longest wait before a cue."),
        COUNTDOWN,
    )

    @classmethod
    def cross_check(cls, values):
        low, high = values["interval_min_s"], values["interval_max_s"]
        if high < low:
            raise DrillParamError(
                "interval_max_s", f"{high:g} s is below interval_min_s ({low:g} s)"
            )

    def __init__(self, params, **kwargs):
        super().__init__(params, **kwargs)
        low, high = self.values["interval_min_s"], self.values["interval_max_s"]
        rng = random.Random(self.seed)
        self.schedule = [
            (rng.uniform(low, high), rng.choice(list(DIRECTIONS_XY)))
            for _ in range(self.values["trials"])
        ]
        self.trials: list[dict] = []
        self.current: dict | None = None
        self.stage = "interval"
        self.stage_started_s = 0.0
        self.recording_started_s = 0.0
        self.neutral_mm = (0.0, 0.0)
        self._before_cue = deque(maxlen=max(1, round(BASELINE_S * self.rate_hz)))
        self._previous: tuple[float, float, float] = (0.0, 0.0, 0.0)  # t_s, distance, along

    def begin(self, frame):
        self.recording_started_s = self.stage_started_s = frame.t_s
        self.neutral_mm = self.standing_mean()[1:]

    def on_recording(self, frame):
        if not self.stance.on_platform:
            return self.stop(frame.t_s, STEPPED_OFF)
        live = (frame.cop_ml_live_mm, frame.cop_ap_live_mm)
        if self.stage == "interval":
            return self._interval(frame.t_s, live)
        if self.stage == "cued":
            return self._cued(frame.t_s, live)
        # holding: the target was reached and the centre LED is lit
        if frame.t_s - self.current["reach_t_s"] >= HOLD_S - 1e-9:
            return self._end_trial(frame.t_s)
        return []

    def _interval(self, t_s: float, live: tuple[float, float]) -> list:
        self._before_cue.append(live)
        interval_s, direction = self.schedule[len(self.trials)]
        centred = math.dist(live, self.neutral_mm) <= CENTRE_MM
        if t_s - self.stage_started_s < interval_s - 1e-9 or not centred:
            return []
        self.current = {
            "direction": direction,
            "cue_t_s": t_s,
            "baseline_mm": tuple(map(float, np.nanmean(np.asarray(self._before_cue), axis=0))),
            "onset_t_s": None,
            "correct": None,
            "reach_t_s": None,
        }
        self._previous = (t_s, *self._displacement(live))
        self.stage, self.stage_started_s = "cued", t_s
        return self.show({direction})

    def _displacement(self, live: tuple[float, float]) -> tuple[float, float]:
        """Distance (mm) of the live COP from the trial's baseline, and its part along the lit
        direction."""
        base, unit = self.current["baseline_mm"], DIRECTIONS_XY[self.current["direction"]]
        dml, dap = live[0] - base[0], live[1] - base[1]
        return math.hypot(dml, dap), dml * unit[0] + dap * unit[1]

    def _cued(self, t_s: float, live: tuple[float, float]) -> list:
        trial = self.current
        distance, along = self._displacement(live)
        t0, distance0, along0 = self._previous
        self._previous = (t_s, distance, along)
        if trial["onset_t_s"] is None and distance > ONSET_MM:
            trial["onset_t_s"] = _crossing_s(t0, distance0, t_s, distance, ONSET_MM)
            trial["correct"] = along >= distance * math.cos(math.radians(CORRECT_HALF_ANGLE_DEG))
        if along >= self.values["distance_mm"]:
            trial["reach_t_s"] = _crossing_s(t0, along0, t_s, along, self.values["distance_mm"])
            self.stage = "holding"
            return self.show({trial["direction"], "centre"})
        if t_s - trial["cue_t_s"] >= self.values["timeout_s"] - 1e-9:
            return self._end_trial(t_s)
        return []

    def _end_trial(self, t_s: float) -> list:
        self.trials.append(self.current)
        self.current = None
        self._before_cue.clear()
        if len(self.trials) == len(self.schedule):
            return self.finish(t_s)
        self.stage, self.stage_started_s = "interval", t_s
        return self.show(())

    def score(self, number: int, trial: dict) -> dict:
        """One trial: times in s (cue from the start of recording), None where there was no
        onset or the target was not reached."""
        onset, reach = trial["onset_t_s"], trial["reach_t_s"]
        return {
            "trial": number,
            "direction": trial["direction"],
            "cue_s": trial["cue_t_s"] - self.recording_started_s,
            "reaction_time_s": None if onset is None else onset - trial["cue_t_s"],
            "correct": trial["correct"],
            "reached": reach is not None,
            "movement_time_s": None if reach is None else reach - onset,
        }

    def status(self):
        out = super().status()
        if self.phase is Phase.RECORDING:
            out.update(
                stage=self.stage,
                trial=len(self.trials) + 1,
                trials_total=len(self.schedule),
                direction=None if self.current is None else self.current["direction"],
            )
            if self.current is None:
                out["home_zone"] = zone(self.neutral_mm, CENTRE_MM)
            else:
                base, unit = self.current["baseline_mm"], DIRECTIONS_XY[self.current["direction"]]
                reach = self.values["distance_mm"]
                out["target_zone"] = zone(
                    (base[0] + reach * unit[0], base[1] + reach * unit[1]), None
                )
        return out

    def result(self):
        """Adds every finished trial (``trials``) and, once complete, ``metrics``: mean
        reaction and movement times (s), accuracy (%), misses and targets reached."""
        out = super().result()
        trials = [self.score(n, trial) for n, trial in enumerate(self.trials, start=1)]
        out["trials"] = trials
        out["metrics"] = None
        if self.phase is Phase.COMPLETED:
            moved = [t for t in trials if t["reaction_time_s"] is not None]
            reached = [t["movement_time_s"] for t in trials if t["reached"]]
            out["metrics"] = {
                "mean_reaction_time_s": (
                    float(np.mean([t["reaction_time_s"] for t in moved])) if moved else None
                ),
                "accuracy_pct": (
                    100 * sum(t["correct"] for t in moved) / len(moved) if moved else None
                ),
                "misses": len(trials) - len(moved),
                "targets_reached": len(reached),
                "mean_movement_time_s": float(np.mean(reached)) if reached else None,
            }
        return out
