"""``limits-of-stability``: lean toward eight lit targets in turn; scored per direction.

Rules (docs/clinical.md, "Limits of stability"): eight targets, F, FR, R, BR, B, BL, L, FL, at
``target_pct`` of the theoretical limit of sway about the ankles (8 deg forward and to each side,
4.5 deg back; diagonals on the ellipse through them, ``sensing.los.los_target_deg``). The lean is
the sway angle of the COP from the patient's neutral position with the centre of gravity at 0.55
x body height (``sensing.los.sway_angle_deg``, ``cog_height_cm``); neutral is the mean COP over
the settled second before recording starts.

Per direction: the patient stands in the middle (lean within CENTRE_DEG for CENTRE_HOLD_S, or
CENTRE_MAX_S have passed), then the direction's LED lights (two adjacent LEDs for a diagonal):
the go cue. The centre LED lights while the lean is on the target: at or past the target's
distance along its line (staying on down to ON_TARGET_KEEP_FRACTION of it) and within the
target's 45 deg sector. The direction ends after
``move_s`` from the cue, or once the patient has held the target for ``hold_s`` (PhysioSensing
holds targets about 8 s); then every LED goes off and the patient comes back to the middle.

Scoring (``sensing.los.los_direction``, from a second before the cue to the end of the
direction) on the lean of the centre of gravity, estimated from the whole recording's raw COP
(``sensing.cog.cog_from_cop``, the inverted-pendulum low-pass): reaction time, movement
velocity (deg/s), endpoint and maximum excursion (% of the theoretical limit in the target's
direction, whatever the target) and directional control (%). The composite is the mean of each
measure over the directions that have it. A direction whose movement began before the cue or
within ``sensing.los.ANTICIPATION_S`` of it is an anticipation: it is cued again once, at the
end of the order (its first attempt is kept in the record, marked, and not scored); a second
anticipation keeps the direction's excursions but no reaction time.

Safety: stepping off, or a loss of balance (the load below LOW_LOAD_FRACTION of the standing
weight for LOW_LOAD_S: a foot or hand off the platform; or a lean beyond LOSS_LIMIT_FRACTION of
the theoretical limit: a step), fails the direction under way (it is not scored), turns the
lights off and the status blue. The drill goes on once the patient stands settled on the
platform again (neutral measured afresh, in case the feet moved) and aborts if that takes longer
than RECOVER_S; a failure in the last direction completes the drill. Before recording,
stepping off returns to waiting (``CuedDrill``).

This module also holds what the four cued drills of the catalog share (``CuedDrill``, the
countdown parameter, the direction lights); the engine is a better home for them.
"""

import math
import random
from typing import ClassVar

import numpy as np

from drills.cued import (
    COUNTDOWN,
    DIRECTION_LIGHTS,
    LOST_BALANCE,
    RECOVERING_PATIENT_WORDS,
    RECOVERING_WORDS,
    CuedDrill,
    zone,
)
from drills.cues import Cue, Status
from drills.engine import Phase
from drills.errors import DrillSubjectError
from drills.params import Param, choice
from sensing.cog import cog_from_cop
from sensing.errors import SensingError
from sensing.frame import Frame
from sensing.los import (
    DIRECTIONS,
    LOS_LIMITS_DEG,
    SWAY_WINDOW_S,
    cog_height_cm,
    los_direction,
    los_target_deg,
    sway_angle_deg,
)
from sensing.words import N_

ORDERS = {
    "clockwise": ("F", "FR", "R", "BR", "B", "BL", "L", "FL"),
    "counter-clockwise": ("F", "FL", "L", "BL", "B", "BR", "R", "FR"),
}
MEASURES = (
    "reaction_time_s",
    "movement_velocity_deg_s",
    "endpoint_excursion_pct",
    "max_excursion_pct",
    "directional_control_pct",
)
CENTRE_DEG = 1.0
"""In the middle: lean within 1 deg of neutral (about 1.6 cm of COP for a 1.70 m patient)."""
CENTRE_HOLD_S = 1.0
"""Time in the middle before the next go cue; it also gives los_direction its pre-cue level."""
CENTRE_MAX_S = 10.0
"""A patient who does not find the middle is cued from where they stand after this long."""
ON_TARGET_HALF_ANGLE_DEG = 22.5
"""On target: within the target's sector, half the 45 deg between neighbouring targets."""
ON_TARGET_KEEP_FRACTION = 0.9
"""Once on target, the lean stays on it down to 90% of the target distance, so sway at the
edge neither flickers the centre LED nor restarts the hold time."""
LOW_LOAD_FRACTION = 0.8
"""Loss of balance: the load below 80% of the standing weight (a foot or hand off the
platform); a brisk lean moves the vertical force by far less."""
LOW_LOAD_S = 0.2
"""... for this long, so a momentary dip from a quick correction does not count."""
LOSS_LIMIT_FRACTION = 1.5
"""Loss of balance: a lean beyond 150% of the theoretical limit, which only a step produces."""
ANTICIPATION_WINDOW_S = 3.0
"""The COG behind an anticipation check is filtered from this long before the cue on: several
times the pendulum filter's time constant, so its start-up does not reach the cue."""


class LimitsOfStability(CuedDrill):
    """Eight directions in turn: centre, go cue, lean to the target, hold, come back."""

    name = "limits-of-stability"
    tracked = ("max_excursion_pct", "directional_control_pct", "reaction_time_s")
    reaction_times = ("directions", "reaction_time_s")
    lower_is_better = ("reaction_time_s",)
    stage_words: ClassVar[dict[str, str]] = {
        "centring": N_("Back to the middle"),
        "moving": N_("Lean toward the lit direction"),
        **RECOVERING_WORDS,
    }
    patient_stage_words: ClassVar[dict[str, str]] = RECOVERING_PATIENT_WORDS
    headline = (
        ("reaction_time_s", "metrics.reaction_time_s"),
        ("movement_velocity_deg_s", "metrics.movement_velocity_deg_s"),
        ("endpoint_excursion_pct", "metrics.endpoint_excursion_pct"),
        ("max_excursion_pct", "metrics.max_excursion_pct"),
        ("directional_control_pct", "metrics.directional_control_pct"),
    )
    title = N_("Limits of stability")
    summary = N_(
        "Lean the whole body from the ankles toward each lit direction, as far as the target, "
        "without stepping; hold, then come back to the middle."
    )
    subject_fields = ("height_cm",)
    instruction = "both-feet"
    params = (
        Param(
            "target_pct",
            float,
            100.0,
            50.0,
            100.0,
            "%",
            N_(
                "Target lean as a percentage of the theoretical limit (8° forward and sideways, "
                "4.5° back); excursions are scored against the limit itself."
            ),
        ),
        Param("move_s", float, 8.0, 3.0, 15.0, "s", N_("Time per direction from the go cue.")),
        Param("hold_s", float, 2.0, 0.5, 8.0, "s", N_("Time on the target that ends a direction.")),
        choice(
            "order",
            (*ORDERS, "random"),
            "clockwise",
            N_("Order of the eight directions from forward; random shuffles them."),
        ),
        COUNTDOWN,
    )

    def __init__(self, params, **kwargs):
        super().__init__(params, **kwargs)
        try:
            self.cog_height_cm = cog_height_cm(float(self.subject["height_cm"]))
            self.body_height_m = float(self.subject["height_cm"]) / 100.0
        except (TypeError, ValueError):
            raise DrillSubjectError(
                f"{self.name} needs the patient's height as a positive number of cm, "
                f"got {self.subject['height_cm']!r}: correct it on the patient's page"
            ) from None
        order = self.values["order"]
        self.order = list(ORDERS.get(order, DIRECTIONS))
        if order == "random":
            random.Random(self.seed).shuffle(self.order)
        self.targets = {d: los_target_deg(d, self.values["target_pct"]) for d in DIRECTIONS}
        self.limits = {d: los_target_deg(d, 100.0) for d in DIRECTIONS}
        self.done: list[dict] = []
        self.current: dict | None = None
        self.stage = "centring"
        self.stage_started_s = 0.0
        self.recording_started_s = 0.0
        self.neutral_mm = (0.0, 0.0)
        self.weight_n = 0.0
        self.trace: list[tuple[float, float]] = []
        self._centred_since: float | None = None
        self._on_target_since: float | None = None
        self._low_load_since: float | None = None

    def begin(self, frame):
        self.recording_started_s = frame.t_s
        self._take_neutral()
        self._enter_stage("centring", frame.t_s)

    def _take_neutral(self) -> None:
        self.weight_n, ml, ap = self.standing_mean()
        self.neutral_mm = (ml, ap)

    def _enter_stage(self, stage: str, t_s: float) -> None:
        self.stage, self.stage_started_s = stage, t_s
        self._centred_since = self._on_target_since = self._low_load_since = None

    def lean_deg(self, frame: Frame) -> tuple[float, float]:
        """Live lean (ML, AP) in deg from neutral, for the cues; NaN without a COP."""
        cop_cm = np.array(
            [
                frame.cop_ml_live_mm - self.neutral_mm[0],
                frame.cop_ap_live_mm - self.neutral_mm[1],
            ]
        )
        ml, ap = sway_angle_deg(cop_cm / 10.0, self.cog_height_cm)
        return float(ml), float(ap)

    def on_recording(self, frame):
        self.trace.append((frame.cop_ml_mm, frame.cop_ap_mm))
        if self.stage == "recovering":
            return self._recovering(frame)
        lean = self.lean_deg(frame)
        lost = self._balance_lost(frame, lean)
        if lost:
            return self._lose(frame.t_s, lost)
        if self.stage == "centring":
            return self._centring(frame.t_s, lean)
        return self._moving(frame.t_s, lean)

    def _balance_lost(self, frame: Frame, lean: tuple[float, float]) -> str | None:
        """Why the patient is no longer standing for the drill, or None."""
        if not self.stance.on_platform:
            return LOST_BALANCE
        if frame.total_n < LOW_LOAD_FRACTION * self.weight_n:
            if self._low_load_since is None:
                self._low_load_since = frame.t_s
            if frame.t_s - self._low_load_since >= LOW_LOAD_S - 1e-9:
                return "lost balance: a foot or a hand took weight off the platform"
        else:
            self._low_load_since = None
        ml, ap = lean
        limit_ap = LOS_LIMITS_DEG["forward"] if ap >= 0 else LOS_LIMITS_DEG["backward"]
        if math.hypot(ml / LOS_LIMITS_DEG["sideways"], ap / limit_ap) > LOSS_LIMIT_FRACTION:
            return "lost balance: leaned far beyond the limit of stability (a step)"
        return None

    def _lose(self, t_s: float, reason: str) -> list[Cue]:
        """Fail the direction under way (if any) and wait for the patient to stand again."""
        if self.current is not None:
            self._end_direction(failed=reason)
            if len(self.done) == len(self.order):
                return self.finish(t_s)
        self._enter_stage("recovering", t_s)
        return self.start_recovery(t_s)

    def _recovering(self, frame: Frame) -> list[Cue]:
        cues = self.recover(frame)
        if cues is not None:
            return cues
        self._take_neutral()  # the whole settle window is after the loss of balance
        self._enter_stage("centring", frame.t_s)
        return [Status("green")]

    def _centring(self, t_s: float, lean: tuple[float, float]) -> list[Cue]:
        if math.hypot(*lean) <= CENTRE_DEG:
            if self._centred_since is None:
                self._centred_since = t_s
        else:
            self._centred_since = None
        centred = (
            self._centred_since is not None and t_s - self._centred_since >= CENTRE_HOLD_S - 1e-9
        )
        if not (centred or t_s - self.stage_started_s >= CENTRE_MAX_S - 1e-9):
            return []
        direction = self.order[len(self.done)]
        self.current = {
            "direction": direction,
            "cue_t_s": t_s,
            "cue_index": len(self.trace) - 1,
            "neutral_mm": self.neutral_mm,
            "reached_target": False,
        }
        self._enter_stage("moving", t_s)
        return self.show(DIRECTION_LIGHTS[direction])

    def _moving(self, t_s: float, lean: tuple[float, float]) -> list[Cue]:
        direction = self.current["direction"]
        reach = ON_TARGET_KEEP_FRACTION if "centre" in self.lit else 1.0
        on_target = on_los_target(lean, self.targets[direction], reach)
        if on_target:
            self.current["reached_target"] = True
            if self._on_target_since is None:
                self._on_target_since = t_s
        else:
            self._on_target_since = None
        held = on_target and t_s - self._on_target_since >= self.values["hold_s"] - 1e-9
        if held or t_s - self.stage_started_s >= self.values["move_s"] - 1e-9:
            self._end_direction(failed=None)
            if len(self.done) == len(self.order):
                return self.finish(t_s)
            self._enter_stage("centring", t_s)
            return self.show(())
        return self.show(DIRECTION_LIGHTS[direction] | ({"centre"} if on_target else set()))

    def _end_direction(self, failed: str | None) -> None:
        """File the direction under way; an anticipated first attempt is cued again at the end
        of the order (see the module docstring)."""
        record = self.current
        record.update(end_index=len(self.trace) - 1, failed=failed, repeated=False)
        self.done.append(record)
        self.current = None
        first_attempt = sum(r["direction"] == record["direction"] for r in self.done) == 1
        if failed is None and first_attempt and self._anticipated(record):
            record["repeated"] = True
            self.order.append(record["direction"])

    def _anticipated(self, record: dict) -> bool:
        """Whether the COG started toward the target before the cue or within
        ANTICIPATION_S of it (scored on the trace so far: the COG filter runs over it)."""
        start = max(0, record["cue_index"] - round(ANTICIPATION_WINDOW_S * self.rate_hz))
        cop = np.asarray(self.trace[start : record["end_index"] + 1], dtype=float).T
        try:
            cog = cog_from_cop(cop, self.rate_hz, self.body_height_m)
        except SensingError:
            return False
        measures = self._measures(record, cog.T, start)
        return bool(measures and measures["anticipated"])

    def _cog_trace(self) -> np.ndarray:
        """The whole recording's COG (ML, AP) in mm, one row per frame (NaN off the platform)."""
        if not self.trace:
            return np.empty((0, 2))
        cop = np.asarray(self.trace, dtype=float).T
        return cog_from_cop(cop, self.rate_hz, self.body_height_m).T

    def _measures(self, record: dict, cog_mm: np.ndarray, offset: int = 0) -> dict | None:
        """``sensing.los.los_direction`` of one direction on ``cog_mm`` (rows from frame
        ``offset`` of the recording), or None when it cannot be scored."""
        first = max(offset, record["cue_index"] - round(SWAY_WINDOW_S * self.rate_hz))
        lean_mm = cog_mm[first - offset : record["end_index"] + 1 - offset] - record["neutral_mm"]
        lean = sway_angle_deg(lean_mm / 10.0, self.cog_height_cm)
        return los_direction(
            lean[:, 0],
            lean[:, 1],
            self.rate_hz,
            go_cue_s=(record["cue_index"] - first) / self.rate_hz,
            target_deg=self.targets[record["direction"]],
            limit_deg=self.limits[record["direction"]],
        )

    def score(self, record: dict, cog_mm: np.ndarray) -> dict:
        """One finished direction: target and limit (deg), cue time (s from the start of
        recording), whether the centre LED lit, why it failed (None if it did not), whether it
        was an anticipation cued again (``repeated``) and its measures (None for a failed or
        repeated direction or one without a movement; see ``sensing.los``)."""
        target = self.targets[record["direction"]]
        limit = self.limits[record["direction"]]
        out = {
            "direction": record["direction"],
            "target_ml_deg": target[0],
            "target_ap_deg": target[1],
            "limit_ml_deg": limit[0],
            "limit_ap_deg": limit[1],
            "cue_s": record["cue_t_s"] - self.recording_started_s,
            "reached_target": record["reached_target"],
            "failed": record["failed"],
            "repeated": record["repeated"],
            "moved": False,
            "anticipated": False,
            **dict.fromkeys(MEASURES),
        }
        if record["failed"] is not None:
            return out
        try:
            measures = self._measures(record, cog_mm)
        except SensingError as exc:
            out["failed"] = f"could not be scored: {exc}"
            return out
        out["moved"], out["anticipated"] = measures["moved"], measures["anticipated"]
        if not record["repeated"]:
            out.update({key: measures[key] for key in MEASURES})
        return out

    def status(self):
        out = super().status()
        if self.phase is Phase.RECORDING:
            out.update(
                stage=self.stage,
                direction=None if self.current is None else self.current["direction"],
                directions_done=len(self.done),
                directions_total=len(self.order),
                directions_failed=sum(r["failed"] is not None for r in self.done),
            )
            if self.stage == "centring":
                out["home_zone"] = zone(self.neutral_mm, self.lean_mm((CENTRE_DEG, 0.0))[0])
            elif self.current is not None:
                target = self.lean_mm(self.targets[self.current["direction"]])
                out["target_zone"] = zone(
                    (self.neutral_mm[0] + target[0], self.neutral_mm[1] + target[1]), None
                )
        return out

    def lean_mm(self, lean_deg: tuple[float, float]) -> tuple[float, float]:
        """The COP excursion (ML, AP) in mm of a lean in degrees about the ankles."""
        height_mm = 10.0 * self.cog_height_cm
        return tuple(height_mm * math.tan(math.radians(a)) for a in lean_deg)

    def result(self):
        """Adds each finished direction (``directions``, anticipations cued again included)
        and, once complete, the composite ``metrics``: the mean of each measure over the
        directions that have it, the number of failed directions, of directions where the
        target was reached and of anticipations, and the COG height."""
        out = super().result()
        cog = self._cog_trace()
        out["directions"] = [self.score(record, cog) for record in self.done]
        out["metrics"] = None
        if self.phase is Phase.COMPLETED:
            scored = [d for d in out["directions"] if not d["repeated"]]
            out["metrics"] = {
                **{key: _mean([d[key] for d in scored]) for key in MEASURES},
                "directions_failed": sum(d["failed"] is not None for d in scored),
                "directions_reached": sum(d["reached_target"] for d in scored),
                "anticipations": sum(d["anticipated"] for d in out["directions"]),
                "cog_height_cm": self.cog_height_cm,
            }
        return out


def on_los_target(
    lean_deg: tuple[float, float], target_deg: tuple[float, float], reach: float = 1.0
) -> bool:
    """True when a lean (ML, AP deg) is at or past ``reach`` x the target's distance along its
    line and within ON_TARGET_HALF_ANGLE_DEG of it; False for a missing (NaN) lean."""
    (lx, ly), (tx, ty) = lean_deg, target_deg
    along = lx * tx + ly * ty  # both along and across scaled by the target distance
    across = ly * tx - lx * ty
    return along >= reach * (tx * tx + ty * ty) and abs(across) <= along * math.tan(
        math.radians(ON_TARGET_HALF_ANGLE_DEG)
    )


def _mean(values: list) -> float | None:
    """Mean of the values that are not None; None when there are none."""
    present = [v for v in values if v is not None]
    return float(np.mean(present)) if present else None
