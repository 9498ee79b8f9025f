"""What the cue-driven drills share: the lead-in (step on, settle, countdown, start) and the
direction LEDs that point the patient where to lean.

Every drill of the catalog builds on ``CuedDrill``, some with a phase of their own around the
lead-in (mCTSIB's announcement before it, single-leg stance's lift after the countdown); a lean
direction maps to the LEDs the patient sees (one for front, back, left, right; two adjacent for
a diagonal).
"""

import math
from collections import deque
from typing import ClassVar

import numpy as np

from drills.cues import LIGHTS, AllOff, Cue, Instruct, Light, Status, Tone
from drills.engine import Drill, Phase
from drills.params import Param
from drills.surfaces import with_surface
from sensing.frame import Frame
from sensing.los import (
    DIRECTIONS,
)
from sensing.words import ENGLISH, N_

STEPPED_OFF = "patient stepped off the platform"

LOST_BALANCE = N_("lost balance: stepped off the platform")
"""Why a target or trial failed when the patient left the platform while it was under way: a
patient told to stay on who steps off has lost balance (a step is a loss of balance in every
standard test: BESS, mCTSIB, the limits of stability)."""

RECOVER_S = 15.0
"""After a loss of balance, the patient has this long to stand settled on the platform again."""

RECOVERING = "recovering"
"""The stage of a drill of targets while the patient, after a loss of balance, stands again."""
RECOVERING_WORDS = {RECOVERING: N_("Lost balance: waiting to stand still again")}
"""The live view's words for it; the patient display says ``RECOVERING_PATIENT_WORDS``."""
RECOVERING_PATIENT_WORDS = {RECOVERING: N_("Stand still")}

COUNTDOWN = Param("countdown_s", int, 3, 0, 10, "s", N_("Beeps, one per second, before recording."))

DIRECTION_LIGHTS = {
    name: frozenset(
        light
        for light, on in (("front", sy > 0), ("back", sy < 0), ("right", sx > 0), ("left", sx < 0))
        if on
    )
    for name, (sx, sy) in DIRECTIONS.items()
}
"""The direction LEDs of each LOS direction: one for F, B, L, R; two adjacent for a diagonal."""


def lean_lights(ml: float, ap: float) -> frozenset[str]:
    """The direction LEDs toward a lean (ML positive right, AP positive front): those of the
    nearest of the eight directions (45 deg sectors), none for a zero or missing (NaN) lean."""
    if not (math.isfinite(ml) and math.isfinite(ap)) or ml == ap == 0:
        return frozenset()
    sector = round(math.degrees(math.atan2(ml, ap)) / 45) % len(DIRECTIONS)
    return DIRECTION_LIGHTS[list(DIRECTIONS)[sector]]


def zone(centre: tuple[float, float], radius_mm: float | None) -> dict | None:
    """A target, or the middle to come back to, as the live view draws it: the centre (ML, AP)
    in mm in the frame of the live COP and the radius in mm (None: a point to reach); None
    while the centre is unknown (no COP)."""
    if not (math.isfinite(centre[0]) and math.isfinite(centre[1])):
        return None
    return {"ml_mm": round(centre[0], 1), "ap_mm": round(centre[1], 1), "radius_mm": radius_mm}


class CuedDrill(Drill):
    """A drill with the shared lead-in and the direction LEDs as its cues.

    Lead-in: waiting for a step-on (status blue), settling, then the countdown: status amber,
    the drill's ``instruction`` said, one beep a second for ``countdown_s``; then recording
    starts with the start tone and status green. A drill that does not need the load cells
    (``"loadcells"`` not in ``needs``) cannot see a step-on: it counts down at once, as the
    therapist starts it with the patient in position. Stepping off before recording goes back
    to waiting (``back_to_waiting``). Subclasses declare ``countdown_s`` (``COUNTDOWN``, or their
    own range and words) among their params and implement ``on_recording(frame)``; ``lit`` is
    the direction LEDs on now, kept by ``show`` or by a drill that lights them itself.
    """

    # a key of drills.cues.INSTRUCTIONS, said at the countdown (None: nothing to say)
    instruction: ClassVar[str | None] = None

    @classmethod
    def condition_words(cls, result: dict, translations=ENGLISH) -> str:
        words = super().condition_words(result, translations)
        return with_surface(words, result, translations)

    def __init__(self, params, **kwargs):
        super().__init__(params, **kwargs)
        self.lit: frozenset[str] = frozenset()  # the lights on now
        self._beeps_given = 0
        window = max(2, round(self.stance.settings.settle_window_s * self.rate_hz))
        self._recent: deque[tuple[float, float, float]] = deque(maxlen=window)
        self._recovering_since = 0.0
        # (t_s, load N, COP ML, AP mm) of the countdown's frames on the platform: what the
        # patient stands like just before the drill begins (body weight, a baseline)
        self.countdown_frames: list[tuple[float, float, float, float]] = []
        self._back_to_everyday_said = False

    @property
    def uses_platform(self) -> bool:
        """True when the patient stands on the platform (the drill needs the load cells)."""
        return "loadcells" in self.needs

    @property
    def surface_setting(self) -> str:
        """What the patient stands on throughout: ``firm`` unless the drill offers
        ``SURFACE`` and the therapist chose the foam pad or the disc (BESS and mCTSIB change
        the surface themselves, condition by condition)."""
        return self.values.get("surface", "firm")

    def step(self, frame: Frame) -> list[Cue]:
        self._recent.append((frame.total_n, frame.cop_ml_mm, frame.cop_ap_mm))
        return self._ended(super().step(frame))

    def everyday_cues(self) -> list[Cue]:
        """What the patient is told as the drill ends, to be back in the everyday condition
        the next drill expects: off the foam pad or the disc. Extend for more."""
        return [] if self.surface_setting == "firm" else [Instruct("firm-surface")]

    def _ended(self, cues: list[Cue]) -> list[Cue]:
        """``cues``, followed once, when the drill has just ended, by ``everyday_cues``."""
        if self.finished and not self._back_to_everyday_said:
            self._back_to_everyday_said = True
            return [*cues, *self.everyday_cues()]
        return cues

    def standing_mean(self) -> tuple[float, float, float]:
        """Mean load (N) and COP (ML, AP in mm) over the stance detector's settle window: once
        settled, the position the patient stands in."""
        load, ml, ap = np.nanmean(np.asarray(self._recent, dtype=float), axis=0)
        return float(load), float(ml), float(ap)

    def on_waiting(self, frame):
        if not self.uses_platform:
            return self.start_countdown(frame)
        if self.stance.on_platform:
            self.enter(Phase.SETTLING, frame.t_s)
        return []

    def on_settling(self, frame):
        if not self.stance.on_platform:
            self.enter(Phase.WAITING, frame.t_s)
        elif self.stance.settled:
            return self.start_countdown(frame)
        return []

    def start_countdown(self, frame) -> list[Cue]:
        """Enter the countdown: status amber and what the patient is told; extend it to reset
        what the drill gathers over the countdown."""
        self.enter(Phase.COUNTDOWN, frame.t_s)
        self._beeps_given = 0
        self.countdown_frames.clear()
        return [Status("amber"), *self.countdown_instructions(), *self.on_countdown(frame)]

    def countdown_instructions(self) -> list[Cue]:
        """What the patient is told as the countdown starts: the surface to stand on when it
        is not the platform itself, then the drill's ``instruction``."""
        surface = self.surface_setting
        cues = [] if surface == "firm" else [Instruct(f"{surface}-surface")]
        return [*cues, Instruct(self.instruction)] if self.instruction else cues

    def on_countdown(self, frame):
        if self.uses_platform and not self.stance.on_platform:
            return self.back_to_waiting(frame.t_s)
        if self.uses_platform:
            self.countdown_frames.append(
                (frame.t_s, frame.total_n, frame.cop_ml_mm, frame.cop_ap_mm)
            )
        elapsed = self.phase_elapsed_s()
        if elapsed >= self.values["countdown_s"] - 1e-9:
            return self.end_countdown(frame)
        if elapsed >= self._beeps_given - 1e-9:
            self._beeps_given += 1
            return [Tone("countdown")]
        return []

    def countdown_load_n(self) -> float:
        """The mean load over the countdown, N: the body weight, standing on both feet."""
        return float(np.mean([f[1] for f in self.countdown_frames]))

    def back_to_waiting(self, t_s: float) -> list[Cue]:
        """The patient stepped off before recording: every cue off, status blue, and the
        lead-in starts again once they are back on."""
        self.enter(Phase.WAITING, t_s)
        self.lit = frozenset()
        return [AllOff(), Status("blue")]

    def end_countdown(self, frame: Frame) -> list[Cue]:
        """The countdown is over: recording starts (``begin``, the start tone, status green,
        then ``on_recording``). Override for a phase of the drill's own before recording."""
        self.enter(Phase.RECORDING, frame.t_s)
        self.begin(frame)
        return [Tone("start"), Status("green"), *self.on_recording(frame)]

    def begin(self, frame: Frame) -> None:
        """Called on the tick recording starts, before ``on_recording``: override to set up
        what depends on the stance the patient starts from."""

    def start_recovery(self, t_s: float) -> list[Cue]:
        """A loss of balance: every light off and the status blue (step on and stand still);
        ``recover`` then waits for the patient to stand settled again."""
        self._recovering_since = t_s
        return [*self.show(()), Status("blue")]

    def recover(self, frame: Frame) -> list[Cue] | None:
        """While recovering: None once the patient has stood settled for a whole settle window
        after the loss (the drill goes on), else the cues of this tick; the drill stops when
        that takes longer than RECOVER_S."""
        elapsed_s = frame.t_s - self._recovering_since
        if self.stance.settled and elapsed_s >= self.stance.settings.settle_window_s - 1e-9:
            return None
        if elapsed_s < RECOVER_S - 1e-9:
            return []
        if not self.stance.on_platform:
            return self.stop(frame.t_s, f"{STEPPED_OFF} and did not return within {RECOVER_S:g} s")
        return self.stop(
            frame.t_s, f"patient did not stand still within {RECOVER_S:g} s of losing balance"
        )

    def show(self, lights) -> list[Cue]:
        """Light cues that leave exactly ``lights`` on (offs first, each light at most once)."""
        lights = frozenset(lights)
        cues = [Light(n, False) for n in LIGHTS if n in self.lit - lights]
        cues += [Light(n, True) for n in LIGHTS if n in lights - self.lit]
        self.lit = lights
        return cues

    def finish(self, t_s: float) -> list[Cue]:
        """Complete the drill: every light off, status off, the success tone."""
        cues = self.show(())
        self.enter(Phase.COMPLETED, t_s)
        return [*cues, Status("off"), Tone("success")]

    def stop(self, t_s, reason, tone="warning"):
        cues = super().stop(t_s, reason, tone)
        if cues:
            self.lit = frozenset()
        return self._ended(cues)

    def result(self) -> dict:
        """Adds the surface, for the drills that offer the choice."""
        out = super().result()
        if "surface" in self.values:
            out["surface"] = self.surface_setting
        return out

    def status(self):
        out = super().status()
        if self.phase is Phase.COUNTDOWN:
            left_s = self.values["countdown_s"] - self.phase_elapsed_s()
            out["countdown_s"] = max(0, math.ceil(left_s))
        out["lights"] = sorted(self.lit)
        return out
