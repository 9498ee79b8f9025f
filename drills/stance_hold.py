"""Taking and holding a standing test's stance on the platform (the STEADI stances, BESS): when
the patient stands alone and still in it, and when it is lost.

A two-foot stance (feet together, semi-tandem, tandem) is taken once the platform carries at
least ``SINGLE_LEG_ON_FRACTION`` of body weight (no hand on the therapist or a rail) and the
live COP stays within ``STILL_MM`` for ``STILL_S``; one-foot stance once the COP is over the
stance foot with that load, as single-leg stance's lift (``drills.single_leg``). It is lost at
a foot or hand taking weight off the platform (the load under ``TOUCH_DOWN_FRACTION`` of body
weight for ``TOUCH_DOWN_MIN_S``), on one foot the lifted foot touching down on the platform,
and on two feet a loss of balance the COP shows (``drills.balance_loss``: a foot moved, a step,
a grab).
"""

import math
from collections import deque

import numpy as np

from drills.balance_loss import BalanceWatch
from drills.params import foot_share_pct
from drills.single_leg import LIFT_SHARE, TOUCH_DOWN_SHARE
from sensing.frame import Frame
from sensing.weightbearing import SINGLE_LEG_ON_FRACTION, TOUCH_DOWN_FRACTION, TOUCH_DOWN_MIN_S

STILL_S = 1.0
STILL_MM = 40.0
"""Standing still in a stance: the live COP within 40 mm for 1 s (moving a foot shifts it
further: the weight goes onto the other foot first)."""


class StanceHold:
    """One stance of a test: ``one_foot`` (on ``leg``, the feet on the markings
    ``feet_apart_mm`` apart before the lift) or a two-foot stance. ``taken(frame)`` says when
    it is taken, ``start(frame)`` begins its hold there, ``lost(frame)`` watches it."""

    def __init__(
        self,
        *,
        one_foot: bool,
        leg: str,
        feet_apart_mm: float,
        body_weight_n: float,
        rate_hz: float,
        max_excursion_mm: float,
    ):
        self.one_foot, self.leg, self.feet_apart_mm = one_foot, leg, feet_apart_mm
        self.body_weight_n = body_weight_n
        self._down_ticks = math.ceil(TOUCH_DOWN_MIN_S * rate_hz - 1e-9)
        self.watch = BalanceWatch(max_excursion_mm)
        self._still: deque[tuple[float, float, float]] = deque()  # (t_s, ml, ap) live COP
        self._down_since: float | None = None
        self._down_frames = 0

    def share(self, frame: Frame) -> float:
        """The stance foot's share of the load (0-1) from the COP between the markings."""
        return foot_share_pct(frame.cop_ml_mm, self.feet_apart_mm, self.leg) / 100

    def taken(self, frame: Frame) -> bool:
        """Whether the patient stands alone and still in the stance at this frame (feed it
        every frame from when they are told to take it)."""
        cop = (frame.cop_ml_live_mm, frame.cop_ap_live_mm)
        self._still.append((frame.t_s, *cop))
        while frame.t_s - self._still[0][0] > STILL_S + 1e-9:
            self._still.popleft()
        alone = frame.total_n >= SINGLE_LEG_ON_FRACTION * self.body_weight_n
        if self.one_foot:
            return alone and self.share(frame) >= LIFT_SHARE
        full = frame.t_s - self._still[0][0] >= STILL_S - 1e-9
        spread = np.ptp(np.asarray(self._still)[:, 1:], axis=0).max()
        return alone and full and bool(spread <= STILL_MM)

    def start(self, frame: Frame) -> None:
        """The hold begins at this frame."""
        self.watch.start((frame.cop_ml_live_mm, frame.cop_ap_live_mm))
        self._still.clear()
        self._down_since, self._down_frames = None, 0

    def back(self, frame: Frame) -> bool:
        """After the stance was lost, whether the patient stands in it again: taken, and on
        two feet the live COP back within STILL_MM of where the stance began (standing still
        where a step out put them is not the stance)."""
        taken = self.taken(frame)
        if self.one_foot or not taken:
            return taken
        return self.watch.distance((frame.cop_ml_live_mm, frame.cop_ap_live_mm)) <= STILL_MM

    def resume(self) -> None:
        """The stance is held again (after ``back``): watched from where it first began."""
        self.watch.resume()
        self._still.clear()
        self._down_since, self._down_frames = None, 0

    def lost(self, frame: Frame) -> tuple[str, float] | None:
        """(why, since when in s) once the stance is lost, else None."""
        light = frame.total_n < TOUCH_DOWN_FRACTION * self.body_weight_n
        off_foot = self.one_foot and self.share(frame) < TOUCH_DOWN_SHARE
        if not (light or off_foot):
            self._down_since, self._down_frames = None, 0
        elif self._down_since is None:
            self._down_since, self._down_frames = frame.t_s, 1
        else:
            self._down_frames += 1
        if self._down_frames >= self._down_ticks:
            why = "touched down" if off_foot and not light else "a foot or a hand took weight"
            return why, self._down_since
        if self.one_foot:
            return None
        why = self.watch.check(frame.t_s, (frame.cop_ml_live_mm, frame.cop_ap_live_mm))
        return (why, frame.t_s) if why else None
