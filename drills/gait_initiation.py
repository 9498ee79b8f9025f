"""``gait-initiation``: on a cue the patient walks forward off the platform, and the station
measures how they start (docs/clinical.md, "Gait initiation"): the anticipatory postural
adjustment (APA: the COP moving back and toward the swing leg, which pushes the body forward
and onto the stance leg), the time to unload the swing leg, and the weight transferred to the
stance leg, per leg, as force-plate gait-initiation studies report them (Delafontaine et al.
2019; Yiou et al. 2017; Rocchi et al. 2006).

Each trial: ``CuedDrill``'s lead-in on both feet on the markings (waiting, settling, countdown:
the body weight and the quiet-stance baseline of the COP come from its last second), then the
go cue (the start tone, status green, "walk forward, starting with your <leg> foot"), recording
until the patient is off the platform (or ``STEP_TIMEOUT_S``), then "step back onto the
platform" (status blue) and the next trial's lead-in. Legs alternate, left first (``legs``:
both), or stay one side.

Scored per trial from the COP after the cue, smoothed over ``SMOOTH_S``:

- the swing foot unloaded: the first sample with the stance foot's share of the load (from the
  COP between the markings) at ``LIFT_SHARE`` or more;
- the APA before it, read as force-plate studies read it, in the window from its onset to the
  swing foot's unloading: ``apa_ml_mm``, the shift toward the swing leg at the top of the last
  rise that way before the unloading (the swing foot's heaviest moment: not an earlier sway
  that way, ``_turn``), and ``apa_ap_mm``, the largest backward shift (from the cue when the
  onset is not timed), both from the baseline;
  ``apa_duration_s`` from its onset (going back from the middle of that rise, the last sample
  moving toward the swing leg at ``ONSET_SPEED_MM_S`` or less) to its top;
- ``apa_onset_s`` from the cue to the onset (the gait-initiation studies' reaction time, named
  apart from the limits of stability's, which times the centre of gravity); ``unload_time_s``
  from the top to the swing foot unloaded; ``stance_share_pct``, the most of the load the
  stance foot carried; ``step_off_s`` from the cue to the platform empty.

Each trial's ``note`` says why its APA is not timed (None when it is): ``moving-at-cue``, the
rise under way at the cue or within ``ANTICIPATION_S`` of it (an anticipation or a sway, not a
reaction: its size is kept), ``no-apa``, a shift toward the swing leg, or a rise to it, under
``MIN_APA_MM`` (sway does that: its size is kept), ``unloading-not-seen``, the stance foot never
carrying ``LIFT_SHARE`` of the load before the platform emptied (nothing but the time to leave
is measured); ``timed_trials`` counts the others, per leg and over both.

A trial without a step off the platform within ``STEP_TIMEOUT_S`` is logged "did not step" and
not scored. Per leg the means of the scored trials (``legs``), and over both legs the means
that head the result, with ``apa_asymmetry_pct`` (the left APA's ML size over the right's,
minus 100%).
"""

import math
import operator
from enum import StrEnum
from typing import ClassVar

import numpy as np

from drills.cued import CuedDrill
from drills.cues import AllOff, Instruct, Status, Tone
from drills.engine import Phase
from drills.params import FEET_APART, Param, choice, foot_share_pct
from drills.single_leg import LIFT_SHARE
from sensing.los import ANTICIPATION_S
from sensing.words import N_

STEP_TIMEOUT_S = 10.0
"""A patient who has not left the platform this long after the cue did not step."""

SMOOTH_S = 0.05
"""The COP is averaged over 50 ms (zero lag, after the trial) before the APA is read."""

ONSET_SPEED_MM_S = 10.0
"""APA onset: going back from the middle of its rise toward the swing leg, the last sample
moving that way at no more than 10 mm/s (the APA is one steady shift, at its start a
minimum-jerk move passes 10 mm/s within 7% of its time; sway before it is slower or goes the
other way)."""

TURN_MM = 1.0
"""The APA's top is where the COP, going back from the swing foot's unloading, has come back
more than 1 mm from the most it shifted toward the swing leg (the smoothed COP's noise and the
wobble of a rounded top stay under it); its foot likewise, going back from the top."""

MIN_APA_MM = 2.0
"""A shift toward the swing leg under 2 mm from the baseline, or a rise to its top under 2 mm,
is no APA (sway does that): its size is reported, its timing is not."""

BASELINE_S = 1.0
"""The quiet-stance COP the APA is measured from: the last second before the cue."""

OFF_CONFIRM_S = 0.3
"""The platform empty this long ends the trial (a step off, not a dip in the load)."""

MEASURES = (
    "apa_onset_s",
    "apa_ml_mm",
    "apa_ap_mm",
    "apa_duration_s",
    "unload_time_s",
    "stance_share_pct",
    "step_off_s",
)


class GaitPhase(StrEnum):
    """This drill's own phase beside the engine's."""

    RETURN = "return"


class GaitInitiation(CuedDrill):
    """The lead-in on both feet, the go cue, a step forward off the platform, back on: per
    trial, alternating legs."""

    name = "gait-initiation"
    title = N_("Gait initiation")
    summary = N_(
        "On the cue, walk forward off the platform: how the patient prepares the first step "
        "(the anticipatory shift) and moves onto the stance leg, per leg."
    )
    tracked = ("apa_ml_mm", "apa_duration_s", "unload_time_s")
    reaction_times = ("trials", "apa_onset_s")
    quality_checks = ("timing",)  # stepping off the platform is the test, not a flaw
    lower_is_better = ("apa_duration_s", "unload_time_s")
    result_docs: ClassVar[dict[str, tuple[str, str, str]]] = {
        "apa_ml_mm": (
            N_("APA toward the swing leg"),
            "mm",
            N_(
                "How far the pressure moved toward the stepping leg before it lifted: the "
                "anticipatory adjustment that moves the body onto the stance leg. Smaller in older "
                "and impaired people."
            ),
        ),
        "apa_ap_mm": (
            N_("APA backward"),
            "mm",
            N_(
                "How far the pressure moved back before the first step: what tips the body forward."
            ),
        ),
        "apa_onset_s": (
            N_("APA onset after the cue"),
            "s",
            N_(
                "From the go cue to the start of the anticipatory shift under the feet: the "
                "reaction time of gait-initiation studies. Longer in older and impaired people."
            ),
        ),
        "apa_duration_s": (
            N_("APA duration"),
            "s",
            N_(
                "From the start of the anticipatory shift to the stepping foot's heaviest moment, "
                "just before it unloads. Longer after stroke and in Parkinson's disease."
            ),
        ),
        "unload_time_s": (
            N_("Time to unload the swing leg"),
            "s",
            N_("From the stepping foot's heaviest moment to the weight on the stance foot."),
        ),
        "stance_share_pct": (
            N_("Weight on the stance leg"),
            "%",
            N_(
                "The most of the body's load the stance foot carried before the patient left the "
                "platform: the weight transfer onto the stance leg (100% when the other foot is "
                "up)."
            ),
        ),
        "step_off_s": (
            N_("Time to leave the platform"),
            "s",
            N_(
                "From the cue to the platform empty: the first step and the stance foot's push-off."
            ),
        ),
        "timed_trials": (
            N_("Trials with the APA timed"),
            "",
            N_(
                "Trials whose APA could be timed. Not timed: the pressure already moving "
                "toward the stepping leg at the cue (or within 0.1 s of it, sooner than anyone "
                "reacts), no shift of 2 mm or more toward the stepping leg, or the stepping "
                "foot's unloading not seen before the patient left the platform."
            ),
        ),
        "apa_asymmetry_pct": (
            N_("APA asymmetry"),
            "%",
            N_(
                "The left leg's APA toward the swing side over the right's, minus 100%: 0 is "
                "symmetric, negative a smaller APA stepping with the left leg."
            ),
        ),
    }
    headline = (
        ("apa_ml_mm", "apa_ml_mm"),
        ("apa_ap_mm", "apa_ap_mm"),
        ("apa_duration_s", "apa_duration_s"),
        ("unload_time_s", "unload_time_s"),
        ("apa_onset_s", "apa_onset_s"),
        ("apa_asymmetry_pct", "apa_asymmetry_pct"),
    )
    phase_words: ClassVar[dict[str, str]] = {
        **CuedDrill.phase_words,
        Phase.RECORDING: N_("Walking off: step forward"),
        GaitPhase.RETURN: N_("Step back onto the platform, feet on the markings"),
    }
    patient_words: ClassVar[dict[str, str]] = {
        **CuedDrill.patient_words,
        Phase.COUNTDOWN: N_("Stand still, wait for the tone"),
        Phase.RECORDING: N_("Walk forward"),
        GaitPhase.RETURN: N_("Step back on"),
    }
    params = (
        choice("legs", ("both", "left", "right"), "both", N_("The leg that steps first.")),
        Param("trials", int, 3, 1, 5, "", N_("Trials per leg.")),
        FEET_APART,
        Param("countdown_s", int, 3, 2, 10, "s", N_("Beeps, one per second, before each cue.")),
    )

    def __init__(self, params, **kwargs):
        super().__init__(params, **kwargs)
        legs = self.values["legs"]
        order = ("left", "right") if legs == "both" else (legs,)
        self.order = [leg for _ in range(self.values["trials"]) for leg in order]
        self.trials: list[dict] = []
        self._rows: list[tuple[float, float, float, float]] = []  # since the cue
        self._baseline = (math.nan, math.nan, math.nan)  # load N, ml, ap mm
        self._off_since: float | None = None

    @property
    def leg(self) -> str:
        """The leg stepping first in the trial under way (or next)."""
        return self.order[min(len(self.trials), len(self.order) - 1)]

    def end_countdown(self, frame):
        """The baseline from the countdown's last second; the go cue."""
        rows = np.asarray(self.countdown_frames, dtype=float)
        last = rows[rows[:, 0] >= frame.t_s - BASELINE_S] if len(rows) else rows
        load, ml, ap = np.nanmean(last[:, 1:], axis=0) if len(last) else (math.nan,) * 3
        self._baseline = (float(load), float(ml), float(ap))
        self.enter(Phase.RECORDING, frame.t_s)
        self._rows.clear()
        self._off_since = None
        return [Tone("start"), Status("green"), Instruct(f"step-forward-{self.leg}")]

    def on_recording(self, frame):
        self._rows.append((frame.t_s, frame.total_n, frame.cop_ml_mm, frame.cop_ap_mm))
        if self.stance.on_platform:
            self._off_since = None
        elif self._off_since is None:
            self._off_since = frame.t_s
        if self._off_since is not None and frame.t_s - self._off_since >= OFF_CONFIRM_S - 1e-9:
            return self._end_trial(frame.t_s, stepped=True)
        if self.phase_elapsed_s() >= STEP_TIMEOUT_S - 1e-9:
            return self._end_trial(frame.t_s, stepped=False)
        return []

    def _end_trial(self, t_s: float, stepped: bool) -> list:
        scored = self._score() if stepped else None
        self.trials.append(
            {
                "trial": len(self.trials) + 1,
                "leg": self.leg,
                "outcome": "stepped off" if stepped else "did not step",
                **(scored or {**dict.fromkeys(MEASURES), "note": None}),
            }
        )
        if len(self.trials) == len(self.order):
            self.enter(Phase.COMPLETED, t_s)
            return [AllOff(), Tone("success"), Instruct("step-back-on")]
        if not stepped:  # still on: the next cue after a new countdown
            self.enter(Phase.SETTLING, t_s)
            return [Tone("warning"), Status("blue"), Instruct("both-feet")]
        self.enter(GaitPhase.RETURN, t_s)
        return [Tone("success"), Status("blue"), Instruct("step-back-on")]

    def on_return(self, frame):
        if self.stance.on_platform:
            self.enter(Phase.SETTLING, frame.t_s)
        return []

    def _score(self) -> dict:
        """The trial's measures from the samples since the cue, and ``note``: why the APA or
        its timing is not scored, or None (see the module docstring)."""
        rows = np.asarray(self._rows, dtype=float)
        t, ml, ap = rows[:, 0], rows[:, 2], rows[:, 3]
        cue_s = t[0]
        _, base_ml, base_ap = self._baseline
        width = max(1, round(SMOOTH_S * self.rate_hz))
        on = np.isfinite(ml)
        smooth_ml = _moving_mean(np.where(on, ml, base_ml), width)
        smooth_ap = _moving_mean(np.where(on, ap, base_ap), width)
        toward = 1.0 if self.leg == "right" else -1.0
        stance = "left" if self.leg == "right" else "right"
        feet_mm = self.values["feet_apart_mm"]
        share = np.array([foot_share_pct(x, feet_mm, stance) for x in smooth_ml]) / 100
        unloaded = np.flatnonzero(on & (share >= LIFT_SHARE))
        off = np.flatnonzero(~on)
        out = {**dict.fromkeys(MEASURES), "note": None}
        out["step_off_s"] = round(float(t[off[0]] - cue_s), 3) if len(off) else None
        if not len(unloaded):
            out["note"] = "unloading-not-seen"
            return out
        end = unloaded[0]
        side = toward * (smooth_ml[: end + 1] - base_ml)
        peak = _turn(side, end, operator.ge)
        trough = _turn(side, peak, operator.le)
        apa_ml, rise = float(side[peak]), float(side[peak] - side[trough])
        out.update(
            apa_ml_mm=round(max(0.0, apa_ml), 1),
            stance_share_pct=round(100 * float(np.nanmax(share[on])), 1),
        )
        onset = None
        if min(apa_ml, rise) < MIN_APA_MM:
            out["note"] = "no-apa"
        else:  # back from the middle of the rise to where it began
            middle = trough + int(np.flatnonzero(side[trough:peak] <= side[trough] + rise / 2)[-1])
            speed = np.gradient(side) * self.rate_hz
            quiet = np.flatnonzero(speed[: middle + 1] <= ONSET_SPEED_MM_S)
            onset = int(quiet[-1]) if len(quiet) else 0
            if t[onset] - cue_s < ANTICIPATION_S - 1e-9:  # moving at the cue: no reaction
                out["note"], onset = "moving-at-cue", None
        if onset is not None:
            out.update(
                apa_onset_s=round(float(t[onset] - cue_s), 3),
                apa_duration_s=round(float(t[peak] - t[onset]), 3),
                unload_time_s=round(float(t[end] - t[peak]), 3),
            )
        back = smooth_ap[onset or 0 : end + 1]
        out["apa_ap_mm"] = round(max(0.0, float(base_ap - back.min())), 1)
        return out

    def status(self):
        out = super().status()
        out.update(
            trial=min(len(self.trials) + 1, len(self.order)),
            gait_trials=len(self.order),
            stepping_leg=self.leg,
        )
        return out

    def result(self):
        """Adds each trial, the means per leg and over both legs, and the APA asymmetry."""
        out = super().result()
        legs = {}
        for leg in dict.fromkeys(self.order):
            done = [t for t in self.trials if t["leg"] == leg]
            legs[leg] = {k: _mean(t[k] for t in done) for k in MEASURES}
            legs[leg].update(trials=len(done), timed_trials=_timed(done))
        overall = {k: _mean(t[k] for t in self.trials) for k in MEASURES}
        left, right = (legs.get(s, {}).get("apa_ml_mm") for s in ("left", "right"))
        asymmetry = round(100 * (left / right - 1), 1) if left is not None and right else None
        out.update(
            legs_param=self.values["legs"],
            trials=self.trials,
            legs=legs,
            apa_asymmetry_pct=asymmetry,
            timed_trials=_timed(self.trials),
            **overall,
        )
        return out


def _turn(x: np.ndarray, start: int, beyond) -> int:
    """Going back from ``start``, where ``x`` turns: the extreme (``operator.ge``: the top,
    ``operator.le``: the bottom; the earliest of equal ones) of the run back from it, which
    ends where ``x`` has come back ``TURN_MM`` from that extreme (or at the cue)."""
    best = start
    for i in range(start - 1, -1, -1):
        if beyond(x[i], x[best]):
            best = i
        elif abs(x[i] - x[best]) > TURN_MM:
            break
    return best


def _moving_mean(x: np.ndarray, width: int) -> np.ndarray:
    """``x`` averaged over ``width`` samples centred on each (the ends over what there is)."""
    kernel = np.ones(width)
    return np.convolve(x, kernel, "same") / np.convolve(np.ones_like(x), kernel, "same")


def _timed(trials: list[dict]) -> int:
    """How many of ``trials`` have the APA timed."""
    return sum(t["apa_onset_s"] is not None for t in trials)


def _mean(values) -> float | None:
    """The mean of the numbers among ``values``, rounded to 3 places; None without any."""
    found = [v for v in values if v is not None]
    return round(float(np.mean(found)), 3) if found else None
