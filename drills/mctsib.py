"""``mctsib``: the modified Clinical Test of Sensory Interaction on Balance (docs/clinical.md,
"mCTSIB": four conditions, eyes open/closed x firm/foam,
30 s each; a failed trial is repeated, up to 3 trials).

Conditions, in order: 1 eyes open on the firm platform, 2 eyes closed firm, 3 eyes open on the
foam pad, 4 eyes closed on foam; feet together, arms crossed. Each attempt runs:

- announce (status amber) for ``rest_s``: the therapist's instructions (eyes, surface), the
  condition number on the direction LEDs (condition n lights the first n of front, right, back,
  left; under an amber status lit LEDs inform, they do not ask for a lean) and n short beeps
  half a second apart from 1 s in. The patient may step off here to place or remove the foam;
- ``CuedDrill``'s lead-in: waiting (blue) until on the platform, settling until the stance is
  steady, countdown (amber, a beep a second), recording (green, the rising start tone) for
  ``trial_s``.

An attempt passes when ``trial_s`` is recorded (success tone) and fails (warning tone) when the
patient steps off, loses balance, or the therapist marks it (``mark_failed``: the live view's
"failed attempt" control, for what a platform cannot see: eyes opened, arms uncrossed, a hand on the
rail). Loss of balance: the live COP farther than ``max_excursion_mm`` from where it was when
recording began (beyond what sway on foam reaches, about the edge of a feet-together base of
support: the COP has left it, or the patient stepped), or a jump (``drills.balance_loss``). A failed
attempt is repeated, up to ``MAX_ATTEMPTS`` per condition; after that the condition scores as failed
with its time held. After the fourth condition: every cue off, success tone. Stepping off outside
recording never aborts the test.

Scores per condition, as the clinical CTSIB-M is scored (Cohen et al. 1993, as the Shirley
Ryan AbilityLab's Rehabilitation Measures describe it: up to three attempts, their times
averaged): ``passed``, ``attempts``, ``time_held_s`` (the mean time of its attempts: ``trial_s``
when the first passed; a failed condition keeps its mean, not its best) and ``fell`` (every
attempt failed: as Biodex's instrumented test records a fall, it has no sway score); for a
passed condition, the sway metrics of the passing attempt (``drills.standing``: the published
processing, ``velocity_mean_cm_s`` and ``area_ellipse95_cm2`` lifted out, the full set under
``metrics``) with its quality gate. Composites: ``conditions_passed``, ``total_time_held_s``
(sum of the four times held, the classic total: 120 s when all pass at 30 s),
``composite_velocity_cm_s`` (the mean sway velocity of the four conditions, only when all four
passed: with one missing, the mean is of a different test) and the sensory ratios of sway
velocity, each when both of its conditions passed: ``romberg_ratio`` (eyes closed / eyes open
on firm ground: how much the patient relies on vision), ``foam_ratio`` (foam / firm, eyes
open: on somatosensation) and ``vestibular_ratio`` (foam with eyes closed / firm with eyes
open, APDM's iCTSIB "vestibular" ratio). ``attempt_log`` lists every attempt.
"""

from enum import StrEnum
from typing import ClassVar

import numpy as np

from drills.balance_loss import MAX_EXCURSION, BalanceWatch
from drills.cued import LOST_BALANCE, CuedDrill
from drills.cues import AllOff, Instruct, Light, Status, Tone
from drills.engine import Phase
from drills.params import Param
from drills.standing import StandingSamples, score_standing
from sensing.words import N_

CONDITIONS = (("open", "firm"), ("closed", "firm"), ("open", "foam"), ("closed", "foam"))
"""Eyes and surface of conditions 1-4."""

CONDITION_LIGHTS = ("front", "right", "back", "left")
"""Condition n lights the first n of these, clockwise from the front."""

MAX_ATTEMPTS = 3

ANNOUNCE_FIRST_BEEP_S = 1.0
"""The condition's beeps start a second into the announcement, after the previous end tone."""

ANNOUNCE_BEEP_GAP_S = 0.5
"""Half a second between the condition's beeps: twice as fast as a countdown, easy to count."""


class McPhase(StrEnum):
    """This drill's own phase beside the engine's."""

    ANNOUNCE = "announce"


class Mctsib(CuedDrill):
    """Four sensory conditions of quiet stance, each repeated up to three times when failed;
    each attempt announced, then ``CuedDrill``'s lead-in."""

    name = "mctsib"
    tracked = (
        "velocity_mean_cm_s",
        "area_ellipse95_cm2",
        "total_time_held_s",
        "composite_velocity_cm_s",
    )
    """Followed on the progress page: per condition, then the four together (the composite has
    a published MDC, ``sensing.norms``)."""
    lower_is_better = ("velocity_mean_cm_s", "area_ellipse95_cm2", "composite_velocity_cm_s")
    phase_words: ClassVar[dict[str, str]] = {
        **CuedDrill.phase_words,
        McPhase.ANNOUNCE: N_("Next condition: tell the patient"),
    }
    patient_words: ClassVar[dict[str, str]] = {
        **CuedDrill.patient_words,
        Phase.RECORDING: N_("Stand still"),
        McPhase.ANNOUNCE: N_("Get ready for the next one"),  # when the condition is not known
        "eyes-open": N_("Eyes open"),  # the announcement of the next condition
        "eyes-closed": N_("Close your eyes"),
        "foam": N_("on the foam"),
    }
    quality_checks = ()  # each condition is gated with its own recording
    headline = (
        ("composite_velocity_cm_s", "composite_velocity_cm_s"),
        ("romberg_ratio", "romberg_ratio"),
        ("foam_ratio", "foam_ratio"),
        ("total_time_held_s", "total_time_held_s"),
    )
    title = N_("mCTSIB (sensory interaction on balance)")
    summary = N_(
        "Feet together, arms crossed: stand still with eyes open and closed, on the platform "
        "and on foam."
    )
    params = (
        Param("trial_s", float, 30.0, 10.0, 60.0, "s", N_("Length of each condition's trial.")),
        Param(
            "rest_s",
            float,
            5.0,
            3.0,
            120.0,
            "s",
            N_("Pause before each trial, condition shown on the lights, to set eyes and surface."),
        ),
        Param("countdown_s", int, 3, 0, 10, "s", N_("Beeps, one per second, before each trial.")),
        MAX_EXCURSION,
    )

    def __init__(self, params, **kwargs):
        super().__init__(params, **kwargs)
        self.condition = 0  # index into CONDITIONS
        self.attempt = 1
        self.attempt_log: list[dict] = []
        self.conditions: list[dict] = []  # finished conditions, scored in result()
        self.samples = StandingSamples(self.rate_hz, self.sensor_rate_hz)  # this attempt's
        self._held_s: list[float] = []  # this condition's failed attempts
        self._announced = False
        self._announce_beeps = 0
        self.watch = BalanceWatch(self.values["max_excursion_mm"])

    def on_waiting(self, frame):
        if self.stance.on_platform and not self._announced:
            return self._announce(frame.t_s)
        return super().on_waiting(frame)

    def _announce(self, t_s: float) -> list:
        self.enter(McPhase.ANNOUNCE, t_s)
        self._announced = True
        self._announce_beeps = 0
        eyes, surface = CONDITIONS[self.condition]
        self.lit = frozenset(CONDITION_LIGHTS[: self.condition + 1])
        return [
            Status("amber"),
            Instruct(f"eyes-{eyes}"),
            Instruct(f"{surface}-surface"),
            *(Light(name, True) for name in CONDITION_LIGHTS[: self.condition + 1]),
        ]

    def on_announce(self, frame):
        elapsed = self.phase_elapsed_s()
        if elapsed >= self.values["rest_s"] - 1e-9:
            lights_off = [Light(name, False) for name in CONDITION_LIGHTS[: self.condition + 1]]
            self.lit = frozenset()
            if not self.stance.on_platform:
                self.enter(Phase.WAITING, frame.t_s)
                return [*lights_off, Status("blue")]
            self.enter(Phase.SETTLING, frame.t_s)  # already settled: straight to the countdown
            return [*lights_off, *(self.on_settling(frame) or [Status("blue")])]
        due = ANNOUNCE_FIRST_BEEP_S + ANNOUNCE_BEEP_GAP_S * self._announce_beeps
        if self._announce_beeps <= self.condition and elapsed >= due - 1e-9:
            self._announce_beeps += 1
            return [Tone("countdown")]
        return []

    def begin(self, frame):
        # a new recording: a passed condition keeps the one it passed with
        self.samples = StandingSamples(self.rate_hz, self.sensor_rate_hz)
        self.watch.start((frame.cop_ml_live_mm, frame.cop_ap_live_mm))

    def on_recording(self, frame):
        if not self.stance.on_platform:
            return self._end_attempt(frame.t_s, LOST_BALANCE)
        if len(self.samples) >= round(self.values["trial_s"] * self.rate_hz):
            return self._end_attempt(frame.t_s, None)
        lost = self.watch.check(frame.t_s, (frame.cop_ml_live_mm, frame.cop_ap_live_mm))
        if lost:
            return self._end_attempt(frame.t_s, lost)
        self.samples.append(frame)
        return []

    def mark_failed(self, t_s: float) -> list | None:
        """The therapist saw a failure the platform cannot (eyes opened, arms uncrossed, a hand
        on the rail): the attempt being recorded fails. Returns the cues; None otherwise."""
        if self.phase is not Phase.RECORDING:
            return None
        return self._end_attempt(t_s, "marked failed by the therapist")

    def _end_attempt(self, t_s: float, failure: str | None) -> list:
        """Log the attempt; repeat it, move to the next condition, or end the test."""
        held_s = self.samples.recorded_s
        self.attempt_log.append(
            {
                "condition": self.condition + 1,
                "attempt": self.attempt,
                "start_s": round(self.phase_started_s - self.events[0]["t_s"], 3),
                "time_held_s": held_s,
                "outcome": failure or "passed",
            }
        )
        if failure is not None:
            self._held_s.append(held_s)
            if self.attempt < MAX_ATTEMPTS:
                self.attempt += 1
                return [Tone("warning"), *self._announce(t_s)]
        eyes, surface = CONDITIONS[self.condition]
        self.conditions.append(
            {
                "condition": self.condition + 1,
                "eyes": eyes,
                "surface": surface,
                "passed": failure is None,
                "attempts": self.attempt,
                # the failed attempts' times are in _held_s already
                "time_held_s": float(np.mean(self._held_s if failure else [*self._held_s, held_s])),
                "fell": failure is not None,
                "recording": None if failure else self.samples,
            }
        )
        self.condition += 1
        self.attempt = 1
        self._held_s = []
        if self.condition == len(CONDITIONS):
            self.enter(Phase.COMPLETED, t_s)
            # back to the everyday condition: eyes open, off the foam pad
            return [AllOff(), Tone("success"), Instruct("eyes-open"), Instruct("firm-surface")]
        return [Tone("warning" if failure else "success"), *self._announce(t_s)]

    def status(self):
        out = super().status()
        index = min(self.condition, len(CONDITIONS) - 1)
        eyes, surface = CONDITIONS[index]
        out.update(
            condition=index + 1,
            eyes=eyes,
            surface=surface,
            attempt=self.attempt,
            max_attempts=MAX_ATTEMPTS,
            conditions_passed=sum(c["passed"] for c in self.conditions),
        )
        elapsed = self.phase_elapsed_s()
        if self.phase is McPhase.ANNOUNCE:
            out["rest_left_s"] = round(max(0.0, self.values["rest_s"] - elapsed), 2)
        elif self.phase is Phase.RECORDING:
            held_s = self.samples.recorded_s
            out["time_held_s"] = round(held_s, 2)
            out["remaining_s"] = round(max(0.0, self.values["trial_s"] - held_s), 2)
        return out

    def result(self):
        """Adds the per-condition scores, the composites and the attempt log (for the finished
        conditions, also when the test was aborted)."""
        out = super().result()
        conditions = []
        for condition in self.conditions:
            scored = {k: v for k, v in condition.items() if k != "recording"}
            scored.update(velocity_mean_cm_s=None, area_ellipse95_cm2=None, metrics=None)
            scored["quality"] = None
            if condition["recording"] is not None:
                scored.update(self._score(condition["recording"], out))
            conditions.append(scored)
        velocities = [c["velocity_mean_cm_s"] for c in conditions]
        complete = len(velocities) == len(CONDITIONS) and None not in velocities
        speed = dict(enumerate(velocities, start=1))
        out.update(
            conditions=conditions,
            conditions_passed=sum(c["passed"] for c in conditions),
            total_time_held_s=sum(c["time_held_s"] for c in conditions),
            composite_velocity_cm_s=float(np.mean(velocities)) if complete else None,
            romberg_ratio=_ratio(speed.get(2), speed.get(1)),
            foam_ratio=_ratio(speed.get(3), speed.get(1)),
            vestibular_ratio=_ratio(speed.get(4), speed.get(1)),
            attempt_log=self.attempt_log,
        )
        return out

    def _score(self, samples: StandingSamples, out: dict) -> dict:
        """Sway metrics and quality of one passing attempt; records the conventions in
        ``out`` (the same for every condition)."""
        scored = score_standing(samples)
        if "error" in scored:
            return {"quality": scored["quality"], "score_error": scored["error"]}
        out["conventions"] = scored["conventions"]
        metrics = scored["metrics"]
        return {
            "quality": scored["quality"],
            "velocity_mean_cm_s": metrics["velocity_mean_cm_s"],
            "area_ellipse95_cm2": metrics["area_ellipse95_cm2"],
            "metrics": metrics,
        }


def _ratio(numerator: float | None, denominator: float | None) -> float | None:
    """``numerator / denominator`` of two condition scores, None unless both exist."""
    if numerator is None or not denominator:
        return None
    return float(numerator / denominator)
