"""``bess``: the Balance Error Scoring System (docs/clinical.md, "BESS"): three stances, feet
together, on the non-dominant leg, and tandem with the non-dominant foot behind, on the firm
platform and then on a foam pad; 20 s each, eyes closed, hands on the hips. Each condition
scores the errors made, at most 10: hands off the hips, eyes opened, a step, stumble or fall,
the hip flexed or abducted past 30°, the forefoot or heel lifted, out of the test position for
more than 5 s. Errors made together count once; a condition whose position is held for less
than 5 s in all scores 10. The total is 0-60, higher worse.

What the platform counts: a step, stumble or fall and a touch-down of the lifted foot, as the
stance being lost (``drills.stance_hold``: a foot or hand taking weight, the COP leaving or
jumping, on one leg the lifted foot down, a step off the platform), one error each; while the
patient is out of the position, one more for each further ``OUT_OF_POSITION_S`` (5 s); back in
position once they stand alone and still in it again (they are told to get back into it as
quickly as they can). What it cannot see the therapist adds with the live view's *Add an
error* (``mark_failed``: eyes opened, hands off the hips, hip past 30°, a heel or forefoot
lifted); an error added within ``SIMULTANEOUS_S`` of another counts with it, as one.

Phases per condition: announce (amber) for ``rest_s``: both feet on the markings, the surface
(the patient may step off to place or remove the foam), the condition number on the direction
LEDs as mCTSIB shows it; position (amber, blue while off the platform; the stance's instruction
and "get back into the position as quickly as you can"): timing starts once the patient stands
alone and still in it, at least ``POSITION_MIN_S`` after the instruction; a position not taken
within ``POSITION_TIMEOUT_S`` scores 10; recording (green, blue while off the platform; the
eyes-closed instruction and the start tone) for ``trial_s``, then the success tone.
``CuedDrill``'s lead-in comes first, over which the body weight is measured on both feet.

Result: per condition ``condition``, ``stance``, ``surface``, ``errors`` (the score, capped),
``platform_errors``, ``therapist_errors``, ``time_in_position_s``, ``error_log``; and
``firm_errors`` (the modified BESS: the firm stances only), ``foam_errors``, ``total_errors``.
"""

import math
from enum import StrEnum
from typing import ClassVar

from drills.balance_loss import MAX_EXCURSION
from drills.cued import CuedDrill
from drills.cues import AllOff, Instruct, Light, Status, Tone
from drills.engine import Phase
from drills.params import FEET_APART, Param, choice
from drills.stance_hold import StanceHold
from sensing.words import N_

CONDITIONS = (
    ("feet-together", "firm"),
    ("one-leg", "firm"),
    ("tandem", "firm"),
    ("feet-together", "foam"),
    ("one-leg", "foam"),
    ("tandem", "foam"),
)
"""Stance and surface of conditions 1-6, in the published order."""

CONDITION_LIGHTS = ("front", "right", "back", "left")
"""Condition n lights n of these (mod 4 past four: 5 and 6 light 1 and 2 again, under the foam
pad's instruction), as mCTSIB shows its conditions."""

MAX_ERRORS = 10
"""The most errors a condition scores."""

MIN_HELD_S = 5.0
"""A condition whose position is held for less than 5 s in all scores MAX_ERRORS."""

OUT_OF_POSITION_S = 5.0
"""Out of the test position this long counts one more error, and again each further 5 s."""

SIMULTANEOUS_S = 1.0
"""Errors this close together are one (the therapist's mark of a stumble the platform saw)."""

POSITION_MIN_S = 3.0
"""Time to take the stance after the instruction before timing may start, s."""

POSITION_TIMEOUT_S = 20.0
"""A stance not taken within 20 s of the instruction scores MAX_ERRORS."""


class BessPhase(StrEnum):
    """This drill's own phases beside the engine's."""

    ANNOUNCE = "announce"
    POSITION = "position"


class Bess(CuedDrill):
    """The lead-in, then six conditions, each announced, taken and timed for 20 s while its
    errors are counted."""

    name = "bess"
    title = N_("BESS (Balance Error Scoring System)")
    summary = N_(
        "Eyes closed, hands on hips: feet together, one leg, tandem, 20 s each on the platform "
        "then on foam; errors counted, 0-60."
    )
    tracked = ("total_errors", "firm_errors", "foam_errors")
    lower_is_better = ("total_errors", "firm_errors", "foam_errors")
    quality_checks = ("timing",)
    result_docs: ClassVar[dict[str, tuple[str, str, str]]] = {
        "total_errors": (
            N_("BESS total"),
            "errors",
            N_("Errors over the six conditions, 0-60 (at most 10 each); fewer is better."),
        ),
        "firm_errors": (
            N_("BESS on firm ground (modified BESS)"),
            "errors",
            N_("Errors over the three stances on the firm platform, 0-30."),
        ),
        "foam_errors": (
            N_("BESS on foam"),
            "errors",
            N_("Errors over the three stances on the foam pad, 0-30."),
        ),
    }
    headline = (
        ("total_errors", "total_errors"),
        ("firm_errors", "firm_errors"),
        ("foam_errors", "foam_errors"),
    )
    phase_words: ClassVar[dict[str, str]] = {
        **CuedDrill.phase_words,
        BessPhase.ANNOUNCE: N_("Next condition: tell the patient"),
        BessPhase.POSITION: N_("Help the patient into the stance, hands on hips, then let go"),
        Phase.RECORDING: N_("Counting errors"),
    }
    patient_words: ClassVar[dict[str, str]] = {
        **CuedDrill.patient_words,
        BessPhase.ANNOUNCE: N_("Get ready for the next one"),
        BessPhase.POSITION: N_("Take the position"),
        Phase.RECORDING: N_("Eyes closed, hold still"),
    }
    # each condition's stage ("<stance>-<surface>"), a whole message so a language orders it
    stage_words: ClassVar[dict[str, str]] = {
        "feet-together-firm": N_("Feet together on firm ground"),
        "one-leg-firm": N_("One leg on firm ground"),
        "tandem-firm": N_("Tandem on firm ground"),
        "feet-together-foam": N_("Feet together on foam"),
        "one-leg-foam": N_("One leg on foam"),
        "tandem-foam": N_("Tandem on foam"),
    }
    params = (
        choice(
            "leg",
            ("left", "right"),
            "left",
            N_("The non-dominant leg: stood on in the one-leg stance, behind in tandem."),
        ),
        Param(
            "trial_s", float, 20.0, 10.0, 30.0, "s", N_("Length of each condition (BESS: 20 s).")
        ),
        Param(
            "rest_s",
            float,
            8.0,
            3.0,
            120.0,
            "s",
            N_("Pause before each condition, its number on the lights, to set the surface."),
        ),
        FEET_APART,
        Param("countdown_s", int, 3, 1, 10, "s", N_("Beeps, one per second, before condition 1.")),
        MAX_EXCURSION,
    )

    def __init__(self, params, **kwargs):
        super().__init__(params, **kwargs)
        self.condition = 0  # index into CONDITIONS
        self.conditions: list[dict] = []
        self.body_weight_n = math.nan
        self.hold: StanceHold | None = None
        self._off = False  # off the platform while taking the position
        self._announce_beeps = 0
        self._reset_counts()

    def _reset_counts(self) -> None:
        self.errors: list[dict] = []  # this condition's: {"t_s", "by", "what"}
        self.in_position = True
        self._out_since = 0.0
        self._out_errors = 0  # errors counted for the present time out of position
        self._in_position_s = 0.0

    @property
    def stance_name(self) -> str:
        return CONDITIONS[min(self.condition, len(CONDITIONS) - 1)][0]

    @property
    def surface(self) -> str:
        return CONDITIONS[min(self.condition, len(CONDITIONS) - 1)][1]

    def countdown_instructions(self):
        return [Instruct("both-feet")]

    def end_countdown(self, frame):
        """Body weight from the countdown; condition 1 is announced."""
        self.body_weight_n = self.countdown_load_n()
        return self._announce(frame.t_s)

    def _lights(self) -> tuple[str, ...]:
        return CONDITION_LIGHTS[: self.condition % len(CONDITION_LIGHTS) + 1]

    def _announce(self, t_s: float) -> list:
        self.enter(BessPhase.ANNOUNCE, t_s)
        self._announce_beeps = 0
        self.lit = frozenset(self._lights())
        return [
            Status("amber"),
            Instruct("eyes-open"),
            Instruct("both-feet"),
            Instruct(f"{self.surface}-surface"),
            *(Light(name, True) for name in self._lights()),
        ]

    def on_announce(self, frame):
        elapsed = self.phase_elapsed_s()
        if elapsed < self.values["rest_s"] - 1e-9:
            due = 1.0 + 0.5 * self._announce_beeps
            if self._announce_beeps <= self.condition and elapsed >= due - 1e-9:
                self._announce_beeps += 1
                return [Tone("countdown")]
            return []
        lights_off = [Light(name, False) for name in self._lights()]
        self.lit = frozenset()
        return [*lights_off, *self._position(frame.t_s)]

    def _new_hold(self) -> StanceHold:
        return StanceHold(
            one_foot=self.stance_name == "one-leg",
            leg=self.values["leg"],
            feet_apart_mm=self.values["feet_apart_mm"],
            body_weight_n=self.body_weight_n,
            rate_hz=self.rate_hz,
            max_excursion_mm=self.values["max_excursion_mm"],
        )

    def _position(self, t_s: float) -> list:
        self.enter(BessPhase.POSITION, t_s)
        self.hold = self._new_hold()
        self._off = not self.stance.on_platform
        code = {"one-leg": f"stand-on-{self.values['leg']}"}.get(self.stance_name, self.stance_name)
        return [
            Status("blue" if self._off else "amber"),
            Instruct("return-to-position"),
            Instruct(code),
        ]

    def on_position(self, frame):
        """Off the platform (placing the foam, or after a fall) the status asks them back on
        (blue); the timeout runs all the same, so the test always moves on."""
        if self.phase_elapsed_s() >= POSITION_TIMEOUT_S - 1e-9:
            return self._end_condition(frame.t_s, "could not take the position")
        if self._off == self.stance.on_platform:
            self._off = not self.stance.on_platform
            return [Status("blue" if self._off else "amber")]
        taken = self.stance.on_platform and self.hold.taken(frame)
        if not taken or self.phase_elapsed_s() < POSITION_MIN_S - 1e-9:
            return []
        self.enter(Phase.RECORDING, frame.t_s)
        self.hold.start(frame)
        self._reset_counts()
        return [Instruct("eyes-closed"), Tone("start"), Status("green")]

    def on_recording(self, frame):
        t_s, dt_s = frame.t_s, 1 / self.rate_hz
        cues = []
        if self._off == self.stance.on_platform:  # off: blue asks them back on
            self._off = not self.stance.on_platform
            cues.append(Status("blue" if self._off else "green"))
        if self.in_position:
            lost = None if self.stance.on_platform else ("stepped off the platform", t_s)
            lost = lost or self.hold.lost(frame)
            if lost:
                why, since_s = lost
                self._count(since_s, "platform", why)
                self.in_position, self._out_since, self._out_errors = False, since_s, 0
            else:
                self._in_position_s += dt_s
        elif self.stance.on_platform and self.hold.back(frame):
            self.in_position = True
            self.hold.resume()
        else:
            out_s = t_s - self._out_since
            if out_s >= OUT_OF_POSITION_S * (self._out_errors + 1) - 1e-9:
                self._out_errors += 1
                self._count(t_s, "platform", f"out of position for {out_s:.0f} s")
        if self.phase_elapsed_s() >= self.values["trial_s"] - 1e-9:
            return self._end_condition(t_s, None)
        return cues

    def _count(self, t_s: float, by: str, what: str) -> None:
        """An error at ``t_s``, unless it falls within SIMULTANEOUS_S of the last one."""
        if self.errors and t_s - self.errors[-1]["t_s"] < SIMULTANEOUS_S - 1e-9:
            return
        self.errors.append({"t_s": t_s, "by": by, "what": what})

    def mark_failed(self, t_s: float) -> list | None:
        """The therapist saw an error the platform cannot (eyes opened, hands off the hips, hip
        past 30°, a heel or forefoot lifted): one more error, unless it is one the platform
        counted within SIMULTANEOUS_S. No cues (the patient is not told); None outside a
        recording (nothing to count)."""
        if self.phase is not Phase.RECORDING:
            return None
        self._count(t_s, "therapist", "added by the therapist")
        return []

    def _end_condition(self, t_s: float, failure: str | None) -> list:
        """Score the condition; announce the next one, or end the test."""
        start_s = self.phase_started_s
        counted = len(self.errors)
        held_s = 0.0 if failure else self._in_position_s
        self.conditions.append(
            {
                "condition": self.condition + 1,
                "stance": self.stance_name,
                "surface": self.surface,
                "errors": MAX_ERRORS if held_s < MIN_HELD_S else min(MAX_ERRORS, counted),
                "platform_errors": sum(e["by"] == "platform" for e in self.errors),
                "therapist_errors": sum(e["by"] == "therapist" for e in self.errors),
                "time_in_position_s": round(held_s, 2),
                "outcome": failure or "timed",
                "error_log": [
                    {**e, "t_s": round(e["t_s"] - start_s, 2)}
                    for e in (self.errors if not failure else [])
                ],
            }
        )
        self.condition += 1
        self._reset_counts()
        if self.condition == len(CONDITIONS):
            self.enter(Phase.COMPLETED, t_s)
            return [
                AllOff(),
                Tone("success"),
                Instruct("eyes-open"),
                Instruct("firm-surface"),
                Instruct("both-feet"),
            ]
        return [Tone("success"), *self._announce(t_s)]

    def status(self):
        out = super().status()
        out.update(
            stage=f"{self.stance_name}-{self.surface}",  # the live view's words: stage_words
            stage_number=min(self.condition + 1, len(CONDITIONS)),
            stages_total=len(CONDITIONS),
            errors=min(MAX_ERRORS, len(self.errors)) if self.phase is Phase.RECORDING else None,
            in_position=self.in_position,
            total_errors_so_far=sum(c["errors"] for c in self.conditions),
            fail_label="Add an error (eyes opened, hands off hips, hip past 30°, heel lifted)",
        )
        elapsed = self.phase_elapsed_s()
        if self.phase is Phase.RECORDING:
            out["remaining_s"] = round(max(0.0, self.values["trial_s"] - elapsed), 2)
        elif self.phase is BessPhase.ANNOUNCE:
            out["rest_left_s"] = round(max(0.0, self.values["rest_s"] - elapsed), 2)
        return out

    def result(self):
        """Adds the conditions scored and the totals (the totals only once all six are)."""
        out = super().result()
        firm = [c["errors"] for c in self.conditions if c["surface"] == "firm"]
        foam = [c["errors"] for c in self.conditions if c["surface"] == "foam"]
        done = len(self.conditions) == len(CONDITIONS)
        out.update(
            leg=self.values["leg"],
            trial_s=self.values["trial_s"],
            conditions=self.conditions,
            firm_errors=sum(firm) if len(firm) == 3 else None,
            foam_errors=sum(foam) if len(foam) == 3 else None,
            total_errors=sum(firm) + sum(foam) if done else None,
        )
        return out
