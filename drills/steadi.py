"""``steadi-4-stage``: the CDC STEADI 4-Stage Balance Test (docs/clinical.md, "STEADI 4-stage
balance test"): feet side by side, semi-tandem (the instep of one foot against the big toe of
the other), tandem (heel against toe), then one foot; 10 s each, eyes open, arms free, no
support. The test ends at the first stage not held for 10 s. The CDC's rule: an older adult who
cannot hold tandem stance for 10 s is at increased risk of falling.

Phases: ``CuedDrill``'s lead-in (waiting, blue; settling; countdown, amber, a beep a second,
over which the body weight is measured on both feet), then per stage:

- position (amber, the stage's instruction): the patient moves a foot into place, helped by the
  therapist if need be. Timing starts, as the CDC form has the therapist start it when they let
  go, once the patient stands alone and still in the position (``drills.stance_hold``), and no
  sooner than ``POSITION_MIN_S`` after the instruction. A position not taken within
  ``POSITION_TIMEOUT_S`` scores 0 s.
- hold (green, the start tone) for ``hold_s``: the stage is held when the time passes (success
  tone). It is lost (warning tone) at a step off the platform, when ``drills.stance_hold`` sees
  it lost (a foot or hand taking weight, a foot moved, a step, a grab, on one foot the lifted
  foot touching down), or at the therapist's "failed attempt" (``mark_failed``: support
  needed, feet moved in a way the platform misses).
- rest on both feet, on the foot markings, for ``rest_s`` before the next stage.

Result: per stage reached ``stage``, ``stance``, ``held``, ``time_s``, ``outcome``;
``highest_stage_held`` (0-4), ``tandem_time_s`` (stage 3's time, 0 when an earlier stage ended
the test), ``fall_risk`` (tandem below 10 s: the CDC's cut-off; None when tandem was held to
the end of stages shorter than 10 s, which cannot show it: ``tandem_screened``) and
``sppb_balance_score`` (0-4: the Short Physical Performance Battery's balance part, scored from
the same three stances: 1 point side by side, 1 semi-tandem, 2 for tandem held 10 s, 1 for
3-9.99 s; Guralnik et al. 1994; None with stages shorter than its 10 s stands).
"""

import math
from enum import StrEnum
from typing import ClassVar

from drills.balance_loss import MAX_EXCURSION
from drills.cued import LOST_BALANCE, CuedDrill
from drills.cues import AllOff, Instruct, Status, Tone
from drills.engine import Phase
from drills.params import FEET_APART, Param, choice
from drills.stance_hold import StanceHold
from sensing.words import N_

STAGES = ("feet-together", "semi-tandem", "tandem", "one-foot")
"""The four stances in order; the first three are also the instruction codes."""

STAGE_WORDS = {
    "feet-together": N_("Feet side by side"),
    "semi-tandem": N_("Semi-tandem"),
    "tandem": N_("Tandem"),
    "one-foot": N_("One foot"),
}

CDC_HOLD_S = 10.0
"""The CDC's hold per stage and its fall-risk cut-off for tandem stance, s."""

POSITION_MIN_S = 3.0
"""Time to move a foot into place after the instruction before timing may start, s: a frail
patient reacts in about a second and places the foot in one more (docs/clinical.md)."""

POSITION_TIMEOUT_S = 20.0
"""A position not taken within 20 s of the instruction scores 0 s, and the test ends."""

SPPB_TANDEM_PARTIAL_S = 3.0
"""SPPB: tandem held 3-9.99 s scores 1 point, under 3 s none (Guralnik et al. 1994)."""


class SteadiPhase(StrEnum):
    """This drill's own phases beside the engine's."""

    POSITION = "position"
    REST = "rest"


class Steadi4Stage(CuedDrill):
    """The lead-in, then each stance taken, timed for 10 s, and rested from, until one is not
    held or all four are."""

    name = "steadi-4-stage"
    title = N_("STEADI 4-stage balance test")
    summary = N_(
        "CDC fall-risk screen: feet side by side, semi-tandem, tandem, one foot, 10 s each; "
        "it ends at the first stance not held."
    )
    tracked = ("highest_stage_held", "tandem_time_s")
    result_docs: ClassVar[dict[str, tuple[str, str, str]]] = {
        "highest_stage_held": (
            N_("Highest stage held"),
            "",
            N_(
                "The last of the four stances (1 side by side, 2 semi-tandem, 3 tandem, 4 one "
                "foot) held for 10 s; 0 when not even the first was."
            ),
        ),
        "tandem_time_s": (
            N_("Tandem stance time"),
            "s",
            N_(
                "How long tandem stance (heel against toe) was held, up to 10 s; 0 when an earlier "
                "stance ended the test. Under 10 s: increased fall risk (CDC STEADI)."
            ),
        ),
        "fall_risk": (
            N_("Increased fall risk"),
            "",
            N_("Yes when tandem stance was not held for 10 s: the CDC's cut-off for older adults."),
        ),
        "sppb_balance_score": (
            N_("SPPB balance score"),
            "points",
            N_(
                "0-4, the Short Physical Performance Battery's balance part from the same stances: "
                "1 side by side, 1 semi-tandem, 2 for tandem held 10 s or 1 for 3-9.99 s "
                "(Guralnik et al. 1994)."
            ),
        ),
    }
    headline = (
        ("highest_stage_held", "highest_stage_held"),
        ("tandem_time_s", "tandem_time_s"),
        ("sppb_balance_score", "sppb_balance_score"),
    )
    phase_words: ClassVar[dict[str, str]] = {
        **CuedDrill.phase_words,
        SteadiPhase.POSITION: N_("Help the patient into the stance, then let go"),
        SteadiPhase.REST: N_("Rest on both feet"),
        Phase.RECORDING: N_("Timing, no support"),
    }
    patient_words: ClassVar[dict[str, str]] = {
        **CuedDrill.patient_words,
        SteadiPhase.POSITION: N_("Take the position"),
        SteadiPhase.REST: N_("Rest"),
        Phase.RECORDING: N_("Hold still"),
    }
    stage_words: ClassVar[dict[str, str]] = dict(STAGE_WORDS)
    params = (
        choice("leg", ("left", "right"), "left", N_("The leg the patient stands on in stage 4.")),
        Param("hold_s", float, CDC_HOLD_S, 5.0, 30.0, "s", N_("Hold per stage (the CDC's: 10 s).")),
        Param("rest_s", float, 5.0, 2.0, 60.0, "s", N_("Rest on both feet between stages.")),
        FEET_APART,
        Param("countdown_s", int, 3, 1, 10, "s", N_("Beeps, one per second, before stage 1.")),
        MAX_EXCURSION,
    )

    def __init__(self, params, **kwargs):
        super().__init__(params, **kwargs)
        self.stage = 0  # index into STAGES
        self.stages: list[dict] = []
        self.body_weight_n = math.nan
        self.hold: StanceHold | None = None  # the stance being taken or held

    @property
    def stance_name(self) -> str:
        return STAGES[min(self.stage, len(STAGES) - 1)]

    def countdown_instructions(self):
        return [Instruct("eyes-open")]

    def end_countdown(self, frame):
        """Body weight from the countdown; stage 1 begins."""
        self.body_weight_n = self.countdown_load_n()
        return self._position(frame.t_s)

    def _position(self, t_s: float) -> list:
        self.enter(SteadiPhase.POSITION, t_s)
        stance = self.stance_name
        self.hold = StanceHold(
            one_foot=stance == "one-foot",
            leg=self.values["leg"],
            feet_apart_mm=self.values["feet_apart_mm"],
            body_weight_n=self.body_weight_n,
            rate_hz=self.rate_hz,
            max_excursion_mm=self.values["max_excursion_mm"],
        )
        code = f"stand-on-{self.values['leg']}" if stance == "one-foot" else stance
        return [Status("amber"), Instruct(code)]

    def on_position(self, frame):
        if not self.stance.on_platform:
            return self._end_stage(frame.t_s, 0.0, LOST_BALANCE)
        if self.phase_elapsed_s() >= POSITION_TIMEOUT_S - 1e-9:
            return self._end_stage(frame.t_s, 0.0, "could not take the position")
        taken = self.hold.taken(frame)
        if not taken or self.phase_elapsed_s() < POSITION_MIN_S - 1e-9:
            return []
        self.enter(Phase.RECORDING, frame.t_s)
        self.hold.start(frame)
        return [Tone("start"), Status("green")]

    def on_recording(self, frame):
        held_s = frame.t_s - self.phase_started_s
        if not self.stance.on_platform:
            return self._end_stage(frame.t_s, held_s, LOST_BALANCE)
        lost = self.hold.lost(frame)
        if lost:
            why, since_s = lost
            return self._end_stage(frame.t_s, since_s - self.phase_started_s, why)
        if held_s >= self.values["hold_s"] - 1e-9:
            return self._end_stage(frame.t_s, self.values["hold_s"], None)
        return []

    def mark_failed(self, t_s: float) -> list | None:
        """The therapist saw the stance lost in a way the platform cannot (support needed, a
        foot shuffled): the stage ends now, not held. Returns the cues; None outside a hold."""
        if self.phase is not Phase.RECORDING:
            return None
        return self._end_stage(t_s, t_s - self.phase_started_s, "marked failed by the therapist")

    def _end_stage(self, t_s: float, time_s: float, failure: str | None) -> list:
        """Log the stage; rest before the next one, or end the test (after a stage not held,
        or the fourth)."""
        self.stages.append(
            {
                "stage": self.stage + 1,
                "stance": self.stance_name,
                "held": failure is None,
                "time_s": round(max(0.0, time_s), 3),
                "outcome": failure or "held",
            }
        )
        self.stage += 1
        if failure is not None or self.stage == len(STAGES):
            self.enter(Phase.COMPLETED, t_s)
            tone = "success" if failure is None else "warning"
            return [AllOff(), Instruct("both-feet"), Tone(tone)]
        self.enter(SteadiPhase.REST, t_s)
        return [Tone("success"), Status("amber"), Instruct("both-feet")]

    def on_rest(self, frame):
        if self.phase_elapsed_s() < self.values["rest_s"] - 1e-9:
            return []
        return self._position(frame.t_s)

    def status(self):
        out = super().status()
        out.update(
            stage=self.stance_name,  # the live view's words for it: ``stage_words``
            stage_number=min(self.stage + 1, len(STAGES)),
            stages_total=len(STAGES),
            one_foot_leg=self.values["leg"],
            stages_held=sum(s["held"] for s in self.stages),
        )
        elapsed = self.phase_elapsed_s()
        if self.phase is Phase.RECORDING:
            out["time_held_s"] = round(elapsed, 2)
            out["remaining_s"] = round(max(0.0, self.values["hold_s"] - elapsed), 2)
        elif self.phase is SteadiPhase.REST:
            out["rest_left_s"] = round(max(0.0, self.values["rest_s"] - elapsed), 2)
        return out

    def result(self):
        """Adds each stage reached and the scores (of the stages done, also when aborted)."""
        out = super().result()
        times = {s["stance"]: s["time_s"] for s in self.stages}
        held = [s for s in self.stages if s["held"]]
        tandem_s = times.get("tandem", 0.0)
        timed = self.phase is Phase.COMPLETED or "tandem" in times
        out.update(
            leg=self.values["leg"],
            hold_s=self.values["hold_s"],
            stages=self.stages,
            highest_stage_held=held[-1]["stage"] if held else 0,
            tandem_time_s=tandem_s if timed else None,
        )
        full_stands = self.values["hold_s"] >= CDC_HOLD_S - 1e-9
        out.update(
            fall_risk=tandem_s < CDC_HOLD_S - 1e-9 if tandem_screened(out) else None,
            sppb_balance_score=_sppb_balance(times) if timed and full_stands else None,
        )
        return out


SHORT_STAGES = N_(
    "Tandem stance was held to the end of %(hold)g s stages, under the CDC's %(cut)g s: the "
    "screen needs stages of %(cut)g s."
)
"""Why a result ``tandem_screened`` refuses is not read against the CDC's cut-off."""


def tandem_screened(result: dict) -> bool:
    """Whether a STEADI result can be read against the CDC's 10 s: it timed tandem stance (or
    an easier stance ended the test), and tandem was not held to the end of stages shorter than
    10 s (``hold_s`` goes down to 5), which cannot show the 10 s the screen asks for."""
    if result.get("tandem_time_s") is None:
        return False
    short = (result.get("hold_s") or CDC_HOLD_S) < CDC_HOLD_S - 1e-9
    tandem = [s for s in result.get("stages") or [] if s.get("stance") == "tandem"]
    return not (short and tandem and tandem[0].get("held"))


def _sppb_balance(times: dict[str, float]) -> int:
    """The SPPB balance score (0-4) from the times of the first three stances (Guralnik et al.
    1994): 1 point each for side by side and semi-tandem held 10 s; tandem 2 points at 10 s, 1
    at 3-9.99 s. A stance not reached scores 0."""
    score = sum(times.get(s, 0.0) >= CDC_HOLD_S - 1e-9 for s in ("feet-together", "semi-tandem"))
    tandem_s = times.get("tandem", 0.0)
    if tandem_s >= CDC_HOLD_S - 1e-9:
        return score + 2
    return score + (tandem_s >= SPPB_TANDEM_PARTIAL_S)
