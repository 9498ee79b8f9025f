"""``single-leg-stance``: time on one leg, best of up to three trials (docs/clinical.md,
"Single-leg stance": eyes open or closed, best of 3, up to 45 s as Springer et al. 2007 timed
it, time ends when the lifted foot touches down; the stance foot moving and the hands leaving
the hips are the therapist's to judge: the live view's "failed attempt" control ends the trial
there, ``mark_failed``). Each leg is its own test: the result names the leg and the eyes, and
its best time is compared with the age norms of the eyes condition (``station.results.norms``).

Detection: the patient starts on both feet, on the foot markings, whose centre is the COP
origin and whose feet are ``feet_apart_mm`` apart (centre to centre). The stance foot's share
of the load is where the COP lies between the two feet's centres: 100% over the stance foot,
50% in the middle (``drills.params.foot_share_pct``).
The cells' own split (``Frame.load_left_pct``) would not do: a foot 90 mm from the middle of a
433 mm board puts only 71% of the load on that side's cells. Body weight is the mean total load
over the countdown, on both feet.

- single-leg stance starts at the first frame with the stance foot's share >= ``LIFT_SHARE``
  and the platform carrying >= ``SINGLE_LEG_ON_FRACTION`` of body weight (the lifted foot is
  neither on the platform nor on the floor beside it);
- it ends at the first frame of a run of at least ``TOUCH_DOWN_MIN_S`` with the share below
  ``TOUCH_DOWN_SHARE`` (the lifted foot touched down on the platform) or the load below
  ``TOUCH_DOWN_FRACTION`` of body weight (it touched the floor), or when the patient steps off,
  or at ``max_s``.

Phases per trial: ``CuedDrill``'s lead-in (waiting, blue, for both feet on the platform;
settling; countdown: amber, the eyes instruction, a beep a second), lift (the stand-on-<leg>
instruction; up to ``LIFT_TIMEOUT_S`` for single-leg stance to start, else the trial scores
0 s), recording (green, rising start tone when single-leg stance starts), then rest (amber, the
both-feet instruction, the warning tone for a touch-down, a step-off or no lift) for ``rest_s``.
A trial that reaches ``max_s`` ends the test, since the best cannot improve; so does the last
trial: every cue off, the both-feet instruction and the success tone. Stepping off in the
countdown or the lift phase goes back to waiting and the trial starts again; stepping off while
recording ends the trial (time to the step-off); during rest it does nothing.

Result: per trial ``stance_time_s``, ``touched_down``, ``outcome``, ``start_s`` (since the drill
started), ``body_weight_n``; ``best_stance_time_s``, ``max_reached``, the leg and the eyes.
"""

import math
from enum import StrEnum
from typing import ClassVar

from drills.cued import LOST_BALANCE, CuedDrill
from drills.cues import AllOff, Instruct, Status, Tone
from drills.engine import Phase
from drills.params import FEET_APART, Param, choice, foot_share_pct
from drills.standing import EYES_WORDS
from sensing.metric_docs import METRIC_DOCS
from sensing.weightbearing import SINGLE_LEG_ON_FRACTION, TOUCH_DOWN_FRACTION, TOUCH_DOWN_MIN_S
from sensing.words import ENGLISH, N_

LIFT_SHARE = 0.90
"""Single-leg stance: the COP within a tenth of the feet's spacing of the stance foot's centre
(18 mm at 180 mm), i.e. over that foot, once the patient has shifted onto it."""

TOUCH_DOWN_SHARE = 0.75
"""Touch-down on the platform: the COP a quarter of the spacing (45 mm at 180 mm) from the stance
foot's centre toward the other foot, past the inner edge of an adult foot (90-100 mm wide): the
COP cannot leave the stance foot unless the other foot carries weight. One-leg sway moves it
about 20-30 mm within the foot."""

LIFT_TIMEOUT_S = 10.0
"""A patient who cannot stand on one leg within 10 s of the instruction scores 0 s."""

LEG_WORDS = {"left": N_("left leg"), "right": N_("right leg")}
"""The standing leg in words, as a result's condition names it."""


class SingleLegPhase(StrEnum):
    """This drill's own phases beside the engine's."""

    LIFT = "lift"
    REST = "rest"


class SingleLegStance(CuedDrill):
    """The shared lead-in (``CuedDrill``) before each trial, then the lift; times single-leg
    stance from the load split, best of up to three trials."""

    name = "single-leg-stance"
    tracked = ("best_stance_time_s",)
    # the summary's name for the best stance time
    result_docs: ClassVar[dict[str, tuple[str, str, str]]] = {
        "best_time_s": METRIC_DOCS["best_stance_time_s"]
    }
    phase_words: ClassVar[dict[str, str]] = {
        **CuedDrill.phase_words,
        SingleLegPhase.LIFT: N_("Lift the other foot"),
        SingleLegPhase.REST: N_("Rest on both feet"),
    }
    patient_words: ClassVar[dict[str, str]] = {
        **CuedDrill.patient_words,
        SingleLegPhase.LIFT: N_("Lift your foot"),
        SingleLegPhase.REST: N_("Rest"),
        Phase.RECORDING: N_("Stand on one leg"),
    }
    headline = (("best_time_s", "best_stance_time_s"),)
    title = N_("Single-leg stance")
    summary = N_(
        "Stand on one leg, hands on hips, as long as possible; best of up to three trials."
    )
    params = (
        choice("leg", ("left", "right"), "left", N_("The leg the patient stands on.")),
        choice("eyes", ("open", "closed"), "open", N_("Eyes open or closed during the trial.")),
        Param(
            "max_s",
            float,
            45.0,
            10.0,
            60.0,
            "s",
            N_("A trial stops with a full score here (45 s, as the published age norms)."),
        ),
        Param("trials", int, 3, 1, 3, "", N_("Trials at most; the best one counts.")),
        Param("rest_s", float, 10.0, 3.0, 120.0, "s", N_("Rest on both feet between trials.")),
        FEET_APART,
        Param("countdown_s", int, 3, 1, 10, "s", N_("Beeps, one per second, before each trial.")),
    )

    @classmethod
    def condition_words(cls, result: dict, translations=ENGLISH) -> str:
        _ = translations.gettext
        leg, eyes = result.get("leg", "?"), result.get("eyes")
        leg_words = _(LEG_WORDS[leg]) if leg in LEG_WORDS else _("%(leg)s leg") % {"leg": leg}
        eyes_words = _(EYES_WORDS[eyes]) if eyes in EYES_WORDS else _("eyes ?")
        return f"{leg_words}, {eyes_words}"

    def __init__(self, params, **kwargs):
        super().__init__(params, **kwargs)
        self.trials: list[dict] = []
        self.share = math.nan  # the stance foot's share of the load, live
        self.body_weight_n = math.nan
        self._start_s = 0.0
        self._down_since: float | None = None
        self._down_frames = 0

    def step(self, frame):
        leg, feet_apart_mm = self.values["leg"], self.values["feet_apart_mm"]
        self.share = foot_share_pct(frame.cop_ml_mm, feet_apart_mm, leg) / 100
        return super().step(frame)

    def countdown_instructions(self):
        return [Instruct(f"eyes-{self.values['eyes']}")]

    def end_countdown(self, frame):
        """Not recording yet: the patient is told to stand on the leg (the lift phase)."""
        self.body_weight_n = self.countdown_load_n()
        self.enter(SingleLegPhase.LIFT, frame.t_s)
        return [Instruct(f"stand-on-{self.values['leg']}")]

    def on_lift(self, frame):
        if not self.stance.on_platform:
            return self.back_to_waiting(frame.t_s)
        if (
            self.share >= LIFT_SHARE
            and frame.total_n >= SINGLE_LEG_ON_FRACTION * self.body_weight_n
        ):
            self.enter(Phase.RECORDING, frame.t_s)
            self._start_s = frame.t_s
            self._down_since, self._down_frames = None, 0
            return [Tone("start"), Status("green")]
        if self.phase_elapsed_s() >= LIFT_TIMEOUT_S - 1e-9:
            return self._end_trial(frame.t_s, None, 0.0, "did not stand on one leg")
        return []

    def on_recording(self, frame):
        on = self.stance.on_platform
        down = not (
            on
            and self.share >= TOUCH_DOWN_SHARE
            and frame.total_n >= TOUCH_DOWN_FRACTION * self.body_weight_n
        )
        if not down:
            self._down_since, self._down_frames = None, 0
        elif self._down_since is None:
            self._down_since, self._down_frames = frame.t_s, 1
        else:
            self._down_frames += 1
        if not on:
            return self._end_trial(
                frame.t_s, self._start_s, self._down_since - self._start_s, LOST_BALANCE
            )
        if self._down_frames >= math.ceil(TOUCH_DOWN_MIN_S * self.rate_hz - 1e-9):
            time_s = self._down_since - self._start_s
            return self._end_trial(frame.t_s, self._start_s, time_s, "touched down")
        if frame.t_s - self._start_s >= self.values["max_s"] - 1e-9:
            max_s = self.values["max_s"]
            return self._end_trial(frame.t_s, self._start_s, max_s, "reached the maximum")
        return []

    def on_rest(self, frame):
        if self.phase_elapsed_s() < self.values["rest_s"] - 1e-9:
            return []
        if not self.stance.on_platform:
            self.enter(Phase.WAITING, frame.t_s)
            return [Status("blue")]
        self.enter(Phase.SETTLING, frame.t_s)  # already settled: straight to the countdown
        return self.on_settling(frame) or [Status("blue")]

    def mark_failed(self, t_s: float) -> list | None:
        """The therapist saw the trial end in a way the platform cannot (the hands left the
        hips, the stance foot moved): the trial ends now with its time so far. Returns the cues;
        None outside a trial (nothing to fail)."""
        if self.phase is not Phase.RECORDING:
            return None
        return self._end_trial(t_s, self._start_s, t_s - self._start_s, "marked failed")

    def back_to_waiting(self, t_s: float) -> list:
        """Stepped off before the trial started (in the countdown or the lift): told to stand
        on both feet, and the trial starts again once they are back on."""
        self.enter(Phase.WAITING, t_s)
        return [AllOff(), Instruct("both-feet"), Status("blue")]

    def _end_trial(self, t_s: float, start_s: float | None, time_s: float, outcome: str) -> list:
        """Log the trial (``start_s``: when single-leg stance began, None if it never did);
        rest before the next one, or end the test."""
        max_reached = outcome == "reached the maximum"
        self.trials.append(
            {
                "trial": len(self.trials) + 1,
                "stance_time_s": round(time_s, 3),
                "touched_down": outcome == "touched down",
                "outcome": outcome,
                "start_s": None if start_s is None else round(start_s - self.events[0]["t_s"], 3),
                "body_weight_n": round(self.body_weight_n, 1),
            }
        )
        if max_reached or len(self.trials) == self.values["trials"]:
            self.enter(Phase.COMPLETED, t_s)
            return [AllOff(), Instruct("both-feet"), Tone("success")]
        self.enter(SingleLegPhase.REST, t_s)
        return [Tone("warning"), Status("amber"), Instruct("both-feet")]

    def best_time_s(self) -> float | None:
        """The longest stance time so far (None before any trial)."""
        return max((t["stance_time_s"] for t in self.trials), default=None)

    def status(self):
        out = super().status()
        out.update(
            leg=self.values["leg"],
            eyes=self.values["eyes"],
            trial=min(len(self.trials) + 1, self.values["trials"]),
            trials=self.values["trials"],
            best_stance_time_s=self.best_time_s(),
            stance_share_pct=None if math.isnan(self.share) else round(100 * self.share, 1),
        )
        elapsed = self.phase_elapsed_s()
        if self.phase is Phase.RECORDING:
            out["stance_time_s"] = round(elapsed, 2)
            out["remaining_s"] = round(max(0.0, self.values["max_s"] - elapsed), 2)
        elif self.phase is SingleLegPhase.REST:
            out["rest_left_s"] = round(max(0.0, self.values["rest_s"] - elapsed), 2)
        return out

    def result(self):
        """Adds each trial, the best time and whether the maximum was reached."""
        out = super().result()
        out.update(
            leg=self.values["leg"],
            eyes=self.values["eyes"],
            max_s=self.values["max_s"],
            trials=self.trials,
            best_stance_time_s=self.best_time_s(),
            max_reached=any(t["outcome"] == "reached the maximum" for t in self.trials),
        )
        return out
