"""``reaction``: lean toward a direction LED that lights at a random moment, as fast as possible.

Rules (docs/clinical.md, "Training drills"): after the shared lead-in
(``CuedDrill``: step on, settle, countdown) the drill runs ``trials`` trials. Each waits a random
interval between ``interval_min_s`` and ``interval_max_s`` from the end of the previous trial
(and, past it, until the live COP is within CENTRE_MM of the patient's neutral position: the
mean COP over the settled second before recording; the therapist stops a patient who cannot
get back), then lights one LED, front, back, left or right: the go cue. Intervals and
directions come from ``random.Random(seed)``, so a seed replays the same trial sequence.

While the cue is lit the live COP tells the patient how they do: once its displacement along
the lit direction reaches ``distance_mm`` the centre LED lights for HOLD_S (reached). The trial
ends HOLD_S after reaching, or at ``timeout_s``: every LED goes off and the patient comes back
to the middle.

Each trial is judged once it ends, on the intentional movement: the centre of gravity (COG)
estimated from the trial's raw COP (``sensing.cog``), not the COP, whose first move is the
anticipatory postural adjustment the other way (docs/clinical.md, "Reaction time and
anticipation"). Relative to the COG's mean
over the BASELINE_S before the cue:

- movement: the COG's displacement reaches MOVING_FRACTION of ``distance_mm`` within
  ``timeout_s``; otherwise the trial is a miss;
- onset: along the way the movement went (the displacement when it reached MOVING_FRACTION),
  the moment the COG last rose through the onset level before that: ONSET_FRACTION of
  ``distance_mm``, or more for a patient whose COG sways more in the second before the cue
  (``sensing.los.onset_level``); reaction time = onset - cue. An onset before the cue or within
  ``sensing.los.ANTICIPATION_S`` of it is an anticipation, never a reaction: neither its time
  nor its direction is scored;
- correct: the displacement when it reached MOVING_FRACTION points within
  CORRECT_HALF_ANGLE_DEG of the lit direction;
- movement time: reached - onset (s), for reached trials.

Results: each trial, and always (also when the drill ends early) ``metrics`` over the trials
finished: the mean reaction time, accuracy (% correct of the judged movements), misses,
anticipations, losses of balance, targets reached and the mean movement time.

Safety: stepping off before recording returns to waiting. Stepping off while recording is a
loss of balance: the trial under way fails, every light goes off and the status turns blue;
the drill goes on with the same scheduled trial once the patient stands settled again
(``CuedDrill.recover``) and stops if that takes longer than ``drills.cued.RECOVER_S``.
"""

import math
import random
from typing import ClassVar

import numpy as np

from drills.cued import COUNTDOWN, RECOVERING_PATIENT_WORDS, RECOVERING_WORDS, CuedDrill, zone
from drills.cues import Status
from drills.engine import Phase
from drills.errors import DrillParamError, DrillSubjectError
from drills.params import Param
from drills.surfaces import SURFACE
from sensing.cog import cog_from_cop
from sensing.errors import SensingError
from sensing.los import ANTICIPATION_S, SWAY_WINDOW_S, onset_level
from sensing.words import N_

DIRECTIONS_XY = {"front": (0.0, 1.0), "back": (0.0, -1.0), "left": (-1.0, 0.0), "right": (1.0, 0.0)}
"""The four cue directions as (ML, AP) unit vectors."""
ONSET_FRACTION = 0.1
"""Movement onset: the COG 10% of the way to the target (6 mm at the default 60 mm), above the
few millimetres quiet sway moves it in the half second before a cue."""
MOVING_FRACTION = 0.5
"""A movement counts once the COG is halfway to the target: quiet sway never gets there."""
CORRECT_HALF_ANGLE_DEG = 45.0
"""A movement within 45 deg of the lit direction is correct (nearer it than any other)."""
CENTRE_MM = 20.0
"""Back in the middle: live COP within 20 mm of neutral (quiet sway stays well inside)."""
BASELINE_S = 0.5
"""The baseline is the mean COG over this long before the cue."""
HOLD_S = 0.5
"""The centre LED stays lit this long after the target is reached."""


def _crossing_s(t0_s: float, v0: float, t1_s: float, v1: float, level: float) -> float:
    """When a value going from v0 (at t0) to v1 (at t1) crossed ``level``, linearly; t1 when
    the earlier value is missing."""
    if not math.isfinite(v0) or v1 == v0:
        return t1_s
    return min(t1_s, max(t0_s, t0_s + (level - v0) / (v1 - v0) * (t1_s - t0_s)))


def judge_movement(
    t_s, cop_mm, *, cue_s: float, direction: str, distance_mm: float, body_height_m: float
) -> dict:
    """The intentional movement of one trial from its raw COP ``cop_mm`` (N, 2: ML, AP) at
    times ``t_s``: ``moved``, ``onset_s``, ``reaction_time_s`` (None for an anticipation or no
    movement), ``anticipated`` and ``correct`` (see the module docstring)."""
    t = np.asarray(t_s, dtype=float)
    fs_hz = (len(t) - 1) / (t[-1] - t[0])
    cog = cog_from_cop(np.asarray(cop_mm, dtype=float).T, fs_hz, body_height_m).T
    before = (t < cue_s) & (t >= cue_s - BASELINE_S - 1e-9)
    baseline = np.nanmean(cog[before] if before.any() else cog[:1], axis=0)
    shift = cog - baseline
    dist = np.hypot(shift[:, 0], shift[:, 1])
    out = {"moved": False, "onset_s": None, "reaction_time_s": None, "anticipated": False}
    out["correct"] = None
    after = np.flatnonzero((t >= cue_s - 1e-9) & (dist >= MOVING_FRACTION * distance_mm))
    if after.size == 0:
        return out
    moving = int(after[0])
    heading = shift[moving] / dist[moving]  # where the movement went: its onset is timed along it
    along = shift @ heading
    window = (t < cue_s) & (t >= cue_s - SWAY_WINDOW_S - 1e-9)
    level = onset_level(along[window], ONSET_FRACTION * distance_mm)
    below = np.flatnonzero(along[: moving + 1] < level)
    if below.size == 0:
        onset_s = float(t[0])
    else:
        j = int(below[-1])
        onset_s = _crossing_s(t[j], along[j], t[j + 1], along[j + 1], level)
    anticipated = onset_s - cue_s < ANTICIPATION_S - 1e-9
    out.update(moved=True, onset_s=float(onset_s), anticipated=bool(anticipated))
    if not anticipated:
        out["reaction_time_s"] = float(onset_s - cue_s)
        unit = DIRECTIONS_XY[direction]
        cos_limit = math.cos(math.radians(CORRECT_HALF_ANGLE_DEG))
        out["correct"] = bool(heading[0] * unit[0] + heading[1] * unit[1] >= cos_limit - 1e-9)
    return out


class Reaction(CuedDrill):
    """Random go cues in four directions; reaction time, accuracy and movement time."""

    name = "reaction"
    tracked = ("mean_reaction_time_s", "accuracy_pct")
    reaction_times = ("trials", "reaction_time_s")
    lower_is_better = ("mean_reaction_time_s",)
    stage_words: ClassVar[dict[str, str]] = {
        "interval": N_("Waiting for the next light"),
        "cued": N_("Lean toward the light"),
        "holding": N_("On target: hold"),
        **RECOVERING_WORDS,
    }
    patient_words: ClassVar[dict[str, str]] = {
        **CuedDrill.patient_words,
        "target": N_("Lean that way!"),
    }
    patient_stage_words: ClassVar[dict[str, str]] = {
        "interval": N_("Wait for the light"),
        **RECOVERING_PATIENT_WORDS,
    }
    headline = (
        ("reaction_time_s", "metrics.mean_reaction_time_s"),
        ("accuracy_pct", "metrics.accuracy_pct"),
        ("movement_time_s", "metrics.mean_movement_time_s"),
    )
    title = N_("Reaction")
    summary = N_(
        "When a direction light comes on, lean that way as fast as you can, then come back."
    )
    instruction = "both-feet"
    subject_fields = ("height_cm",)
    params = (
        Param("trials", int, 10, 1, 50, "", N_("Number of go cues.")),
        Param("distance_mm", float, 60.0, 30.0, 150.0, "mm", N_("How far to lean (COP) per cue.")),
        Param(
            "timeout_s", float, 3.0, 1.0, 10.0, "s", N_("Time allowed from a cue to the target.")
        ),
        Param("interval_min_s", float, 2.0, 1.0, 10.0, "s", N_("Shortest wait before a cue.")),
        Param("interval_max_s", float, 5.0, 1.0, 15.0, "s", N_("Longest wait before a cue.")),
        SURFACE,
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
        try:
            self.body_height_m = float(self.subject["height_cm"]) / 100.0
        except (TypeError, ValueError):
            self.body_height_m = math.nan
        if not self.body_height_m > 0:
            raise DrillSubjectError(
                f"{self.name} needs the patient's height as a positive number of cm, "
                f"got {self.subject['height_cm']!r}: correct it on the patient's page"
            )
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
        # raw COP since the interval began: the COG filter needs seconds before the cue
        self._trace: list[tuple[float, float, float]] = []
        self._previous: tuple[float, float] = (0.0, 0.0)  # t_s, live COP along the direction

    def begin(self, frame):
        self.recording_started_s = frame.t_s
        self._start_interval(frame.t_s)
        self.neutral_mm = self.standing_mean()[1:]

    def _start_interval(self, t_s: float) -> None:
        self.stage, self.stage_started_s = "interval", t_s
        self._trace = []

    def on_recording(self, frame):
        if self.stage == "recovering":
            cues = self.recover(frame)
            if cues is not None:
                return cues
            self.neutral_mm = self.standing_mean()[1:]  # the feet may have moved
            self._start_interval(frame.t_s)
            return [Status("green")]
        if not self.stance.on_platform:
            return self._lose_balance(frame.t_s)
        self._trace.append((frame.t_s, frame.cop_ml_mm, frame.cop_ap_mm))
        live = (frame.cop_ml_live_mm, frame.cop_ap_live_mm)
        if self.stage == "interval":
            return self._interval(frame.t_s, live)
        if self.stage == "cued":
            return self._cued(frame.t_s, live)
        # holding: the target was reached and the centre LED is lit
        if frame.t_s - self.current["reach_t_s"] >= HOLD_S - 1e-9:
            return self._end_trial(frame.t_s)
        return []

    def _lose_balance(self, t_s: float) -> list:
        """Fail the trial under way (if any) and wait for the patient to stand again."""
        if self.current is not None:
            self.current["lost_balance"] = True
            self.trials.append(self._judged(self.current))
            self.current = None
            if len(self.trials) == len(self.schedule):
                return self.finish(t_s)
        self.stage = "recovering"
        return self.start_recovery(t_s)

    def _interval(self, t_s: float, live: tuple[float, float]) -> list:
        interval_s, direction = self.schedule[len(self.trials)]
        centred = math.dist(live, self.neutral_mm) <= CENTRE_MM
        if t_s - self.stage_started_s < interval_s - 1e-9 or not centred:
            return []
        self.current = {
            "direction": direction,
            "cue_t_s": t_s,
            "baseline_mm": live,
            "reach_t_s": None,
            "lost_balance": False,
            "trace": None,
        }
        self._previous = (t_s, self._along(live))
        self.stage, self.stage_started_s = "cued", t_s
        return self.show({direction})

    def _along(self, live: tuple[float, float]) -> float:
        """Live COP displacement (mm) along the lit direction from where it was at the cue."""
        base, unit = self.current["baseline_mm"], DIRECTIONS_XY[self.current["direction"]]
        return (live[0] - base[0]) * unit[0] + (live[1] - base[1]) * unit[1]

    def _cued(self, t_s: float, live: tuple[float, float]) -> list:
        trial = self.current
        along = self._along(live)
        t0, along0 = self._previous
        self._previous = (t_s, along)
        if along >= self.values["distance_mm"]:
            trial["reach_t_s"] = _crossing_s(t0, along0, t_s, along, self.values["distance_mm"])
            self.stage = "holding"
            return self.show({trial["direction"], "centre"})
        if t_s - trial["cue_t_s"] >= self.values["timeout_s"] - 1e-9:
            return self._end_trial(t_s)
        return []

    def _end_trial(self, t_s: float) -> list:
        self.trials.append(self._judged(self.current))
        self.current = None
        if len(self.trials) == len(self.schedule):
            return self.finish(t_s)
        self._start_interval(t_s)
        return self.show(())

    def _judged(self, trial: dict) -> dict:
        """The trial with its movement judged on the COG of its trace (see the module
        docstring); a trial failed by a loss of balance is not judged."""
        out = {**trial, "moved": False, "onset_s": None, "reaction_time_s": None}
        out.update(anticipated=False, correct=None)
        trace = np.asarray(self._trace, dtype=float)
        if trial["lost_balance"] or len(trace) < 2:
            return out
        try:
            out.update(
                judge_movement(
                    trace[:, 0],
                    trace[:, 1:],
                    cue_s=trial["cue_t_s"],
                    direction=trial["direction"],
                    distance_mm=self.values["distance_mm"],
                    body_height_m=self.body_height_m,
                )
            )
        except SensingError as exc:
            out["score_error"] = f"could not judge the movement: {exc}"
        return out

    def score(self, number: int, trial: dict) -> dict:
        """One trial: times in s (cue from the start of recording), None where there was no
        judged movement or the target was not reached."""
        onset, reach = trial["onset_s"], trial["reach_t_s"]
        timed = onset is not None and not trial["anticipated"]
        return {
            "trial": number,
            "direction": trial["direction"],
            "cue_s": trial["cue_t_s"] - self.recording_started_s,
            "reaction_time_s": trial["reaction_time_s"],
            "anticipated": trial["anticipated"],
            "correct": trial["correct"],
            "reached": reach is not None,
            "movement_time_s": reach - onset if timed and reach is not None else None,
            "lost_balance": trial["lost_balance"],
        }

    def status(self):
        out = super().status()
        if self.phase is Phase.RECORDING:
            out.update(
                stage=self.stage,
                trial=min(len(self.trials) + 1, len(self.schedule)),
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
        """Adds every finished trial (``trials``) and ``metrics`` over them (also when the
        drill ended early): mean reaction and movement times (s), accuracy (%), misses,
        anticipations, losses of balance, targets reached and the trials finished."""
        out = super().result()
        trials = [self.score(n, trial) for n, trial in enumerate(self.trials, start=1)]
        out["trials"] = trials
        timed = [t["reaction_time_s"] for t in trials if t["reaction_time_s"] is not None]
        judged = [t["correct"] for t in trials if t["correct"] is not None]
        reached = [t["movement_time_s"] for t in trials if t["movement_time_s"] is not None]
        attempted = [t for t in trials if not t["lost_balance"]]
        out["metrics"] = (
            {
                "mean_reaction_time_s": float(np.mean(timed)) if timed else None,
                "accuracy_pct": 100 * sum(judged) / len(judged) if judged else None,
                "misses": sum(
                    t["reaction_time_s"] is None and not t["anticipated"] for t in attempted
                ),
                "anticipations": sum(t["anticipated"] for t in trials),
                "losses_of_balance": sum(t["lost_balance"] for t in trials),
                "targets_reached": sum(t["reached"] for t in trials),
                "mean_movement_time_s": float(np.mean(reached)) if reached else None,
                "trials_done": len(trials),
            }
            if trials
            else None
        )
        return out
