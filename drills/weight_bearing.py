"""``weight-bearing``: partial weight bearing biofeedback after knee or hip surgery.

Rules (docs/clinical.md, "Training drills": partial weight bearing): the surgeon
prescribes a limit on the operated leg, e.g. 50% of body weight; the patient stands on the
platform for ``duration_s`` and is warned whenever the operated side carries more.

The operated leg's load is that foot's share of the total load times the total load, in % of the
body weight from the patient's record (``weight_kg`` times standard gravity). The foot's share
comes from where the COP lies between the feet on the foot markings (``feet_apart_mm`` apart,
centred on the COP origin; ``drills.params.foot_share_pct``), not from the cells' split
(``Frame.load_left_pct``): the feet stand well inside the cells, so a foot carrying 25% of the
weight puts about 40% on its side's cells, and a limit checked against the cells would let the
patient overload the knee.

Phases (the lead-in is ``CuedDrill``'s): waiting (status blue) for a step-on, settling until the
stance is steady, countdown (amber, a beep a second), recording (green, rising start tone) for
``duration_s``, completed (every cue off, success tone). While recording, the first frame above
the limit starts an exceedance: status red, the direction LED of the *other* side lit ("lean
that way": shift the weight off the operated leg) and the warning tone, repeated every
``WARNING_REPEAT_S`` while it lasts; it ends when the load falls below the limit minus
``HYSTERESIS_BW_PCT`` (status green, LED off). Stepping off before recording goes back to
waiting; stepping off while recording aborts the drill, keeping the scores of what was recorded.

Scores (result keys; % BW = percent of body weight):
- ``over_limit_s``, ``over_limit_pct`` (of the recorded time), ``longest_over_limit_s`` and
  ``peak_load_bw_pct`` from ``sensing.weightbearing.time_over_limit`` (strictly above the
  limit, sample by sample);
- ``exceedances``: how many times the warning came on (with the hysteresis above, so a load
  hovering at the limit counts once);
- the mean load on each side and the symmetry index from
  ``sensing.weightbearing.load_distribution`` (``load_left_bw_pct``, ``load_right_bw_pct``,
  ``load_total_bw_pct``, ``symmetry_index_lr_pct`` and its size ``asymmetry_pct``, the
  measure the progress page follows, and the shares in % of the load);
- ``quality``: ``sensing.quality.assess_trial`` on the recorded frames.
"""

import math
from typing import ClassVar

import numpy as np

from drills.cued import COUNTDOWN, LOST_BALANCE, CuedDrill
from drills.cues import AllOff, Status, Tone
from drills.engine import Phase
from drills.params import FEET_APART, Param, choice, foot_share_pct
from drills.standing import StandingSamples
from sensing.weightbearing import load_distribution, time_over_limit
from sensing.words import ENGLISH, N_

STANDARD_GRAVITY_M_S2 = 9.80665

HYSTERESIS_BW_PCT = 2.0
"""An exceedance ends only below the limit minus 2 points of body weight: the load on one side
wobbles by about 1% of body weight with quiet sway (5 mm of COP on a 433 mm board), so a patient
standing just at the limit is not warned on and off many times a second."""

WARNING_REPEAT_S = 1.0
"""The warning tone repeats once a second while the load stays over the limit."""

OTHER_SIDE = {"left": "right", "right": "left"}

SIDE_WORDS = {"left": N_("left side"), "right": N_("right side")}
"""The operated side in words, as a result's condition names it."""


def patient_corner_forces(total_n, left_pct, front_pct) -> np.ndarray:
    """(N, 4) loads in N in the patient's corner order (front-left, front-right, back-left,
    back-right) whose left, right, front and back sums are exactly the frame's load split.

    The split into corners within a side is not known from the split alone; only the side sums
    matter to ``load_distribution``.
    """
    total = np.asarray(total_n, dtype=float)
    left = np.asarray(left_pct, dtype=float) / 100
    front = np.asarray(front_pct, dtype=float) / 100
    right, back = 1 - left, 1 - front
    shares = np.column_stack([left * front, right * front, left * back, right * back])
    return total[:, None] * shares


class WeightBearing(CuedDrill):
    """Live biofeedback on the operated leg's load against a prescribed limit."""

    name = "weight-bearing"
    tracked = ("asymmetry_pct", "over_limit_pct")
    """Followed on the progress page, both better lower: the size of the asymmetry, not the
    signed index, which a patient loading the left leg raises toward 0 as they improve."""
    lower_is_better = tracked
    patient_words: ClassVar[dict[str, str]] = {
        **CuedDrill.patient_words,
        Phase.RECORDING: N_("Good"),
        "over-limit-left": N_("Less weight on your left leg"),
        "over-limit-right": N_("Less weight on your right leg"),
    }
    instruction = "offload"
    headline = (
        ("symmetry_index_lr_pct", "symmetry_index_lr_pct"),
        ("asymmetry_pct", "asymmetry_pct"),
        ("over_limit_pct", "over_limit_pct"),
    )
    title = N_("Partial weight bearing")
    summary = N_(
        "Stand with the prescribed weight on the operated leg; a red light and a beep warn when "
        "it carries too much."
    )
    params = (
        choice("side", ("left", "right"), "left", N_("The operated leg, whose load is limited.")),
        Param(
            "limit_pct",
            float,
            50.0,
            10.0,
            100.0,
            "% body weight",
            N_("Most load allowed on the operated leg, as a percentage of body weight."),
        ),
        Param("duration_s", float, 60.0, 10.0, 600.0, "s", N_("How long the exercise runs.")),
        FEET_APART,
        COUNTDOWN,
    )
    subject_fields = ("weight_kg",)

    @classmethod
    def condition_words(cls, result: dict, translations=ENGLISH) -> str:
        _ = translations.gettext
        side = result.get("side", "?")
        words = _(SIDE_WORDS[side]) if side in SIDE_WORDS else _("%(side)s side") % {"side": side}
        limit = _("limit %(limit)s%% body weight") % {"limit": result.get("limit_bw_pct", "?")}
        return f"{words}, {limit}"

    def __init__(self, params, **kwargs):
        super().__init__(params, **kwargs)
        self.body_weight_n = float(self.subject["weight_kg"]) * STANDARD_GRAVITY_M_S2
        self.samples = StandingSamples(
            self.rate_hz, self.sensor_rate_hz, extra=("total_n", "left_foot_pct", "load_front_pct")
        )
        self.operated_bw_pct = math.nan  # live, for the panel
        self.over = False
        self.exceedances = 0
        self.over_frames = 0  # recorded frames above the limit, for the live view
        self._last_warning_s = -math.inf

    def left_foot_pct(self, frame) -> float:
        """Percent of the load on the left foot (NaN without a COP)."""
        return foot_share_pct(frame.cop_ml_mm, self.values["feet_apart_mm"], "left")

    def step(self, frame):
        left = self.left_foot_pct(frame)
        share = left if self.values["side"] == "left" else 100 - left
        self.operated_bw_pct = share * frame.total_n / self.body_weight_n
        return super().step(frame)

    def on_recording(self, frame):
        if not self.stance.on_platform:
            return self.stop(frame.t_s, LOST_BALANCE)
        if len(self.samples) >= round(self.values["duration_s"] * self.rate_hz):
            self.enter(Phase.COMPLETED, frame.t_s)
            return [AllOff(), Tone("success")]
        self.samples.append(frame, frame.total_n, self.left_foot_pct(frame), frame.load_front_pct)
        return self._feedback(frame.t_s)

    def _feedback(self, t_s: float) -> list:
        """Warning cues on crossing the limit, repeated tones while over, all-clear below the
        limit minus the hysteresis."""
        limit = self.values["limit_pct"]
        helper = OTHER_SIDE[self.values["side"]]
        self.over_frames += self.operated_bw_pct > limit
        if not self.over and self.operated_bw_pct > limit:
            self.over = True
            self.exceedances += 1
            self._last_warning_s = t_s
            return [Status("red"), *self.show({helper}), Tone("warning")]
        if self.over and self.operated_bw_pct < limit - HYSTERESIS_BW_PCT:
            self.over = False
            return [Status("green"), *self.show(())]
        if self.over and t_s - self._last_warning_s >= WARNING_REPEAT_S - 1e-9:
            self._last_warning_s = t_s
            return [Tone("warning")]
        return []

    def status(self):
        out = super().status()
        out.update(
            side=self.values["side"],
            limit_bw_pct=self.values["limit_pct"],
            operated_load_bw_pct=(
                None if math.isnan(self.operated_bw_pct) else round(self.operated_bw_pct, 1)
            ),
            over_limit=self.over,
            exceedances=self.exceedances,
            over_limit_s=round(self.over_frames / self.rate_hz, 2),
        )
        if self.phase is Phase.RECORDING:
            out["remaining_s"] = round(
                max(0.0, self.values["duration_s"] - self.samples.recorded_s), 2
            )
        return out

    def result(self):
        """Adds the scores of the module docstring over the recorded frames (also when the
        drill was aborted: what was recorded is scored, with the state saying it ended early)."""
        out = super().result()
        out.update(
            side=self.values["side"],
            limit_bw_pct=self.values["limit_pct"],
            body_weight_n=round(self.body_weight_n, 1),
            recorded_s=self.samples.recorded_s,
            exceedances=self.exceedances,
        )
        if not self.samples:
            return out
        total, left_pct, front_pct = (
            self.samples.column(name) for name in ("total_n", "left_foot_pct", "load_front_pct")
        )
        share = left_pct if self.values["side"] == "left" else 100 - left_pct
        over = time_over_limit(
            total * share / 100, self.rate_hz, self.body_weight_n, self.values["limit_pct"]
        )
        out.update(
            over_limit_s=over["over_limit_s"],
            over_limit_pct=100 * over["over_limit_fraction"],
            longest_over_limit_s=over["longest_over_limit_s"],
            peak_load_bw_pct=over["peak_load_bw_pct"],
        )
        split = np.isfinite(left_pct) & np.isfinite(front_pct)  # no COP: no split known
        if split.any():
            corners = patient_corner_forces(total[split], left_pct[split], front_pct[split])
            out.update(load_distribution(corners, self.body_weight_n))
        out["quality"] = self.samples.quality()
        return out
