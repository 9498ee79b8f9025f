"""Step-on, step-off and settled-stance detection from the total load."""

from collections import deque
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class StanceSettings:
    """Thresholds: a person is on above ``step_on_n``; settled when over ``settle_window_s`` the
    load varies by less than ``settle_load_fraction`` of its mean and the COP stays within
    ``settle_cop_range_mm``."""

    step_on_n: float = 150.0
    step_off_n: float = 100.0
    settle_window_s: float = 1.0
    settle_load_fraction: float = 0.05
    settle_cop_range_mm: float = 30.0


class SlidingRange:
    """The smallest and largest of the last ``size`` values pushed, kept as they come (two
    monotonic queues: O(1) per value on average) instead of searched each time they are asked
    for: the control loop asks at every frame."""

    def __init__(self, size: int):
        self.size = size
        self._count = 0
        self._low: deque = deque()  # (index, value), values increasing
        self._high: deque = deque()  # (index, value), values decreasing

    def push(self, value: float) -> None:
        index = self._count
        self._count += 1
        while self._low and self._low[-1][1] >= value:
            self._low.pop()
        self._low.append((index, value))
        while self._high and self._high[-1][1] <= value:
            self._high.pop()
        self._high.append((index, value))
        oldest = index - self.size
        if self._low[0][0] <= oldest:
            self._low.popleft()
        if self._high[0][0] <= oldest:
            self._high.popleft()

    def clear(self) -> None:
        self._low.clear()
        self._high.clear()

    @property
    def low(self) -> float:
        return self._low[0][1]

    @property
    def high(self) -> float:
        return self._high[0][1]

    @property
    def span(self) -> float:
        """Largest minus smallest, as ``np.ptp`` computes it."""
        return self._high[0][1] - self._low[0][1]


class StanceDetector:
    """Tracks whether someone stands on the platform and whether their stance has settled.

    Hysteresis between ``step_on_n`` and ``step_off_n`` keeps a swaying patient from flickering
    between on and off.
    """

    def __init__(self, settings: StanceSettings, rate_hz: float):
        self.settings = settings
        size = max(2, round(settings.settle_window_s * rate_hz))
        self._loads = deque(maxlen=size)
        self._ranges = tuple(SlidingRange(size) for _ in range(3))  # load, COP ML, COP AP
        self.on_platform = False

    def update(self, total_n: float, cop_ml_mm: float, cop_ap_mm: float) -> None:
        """Feed one frame's total load (N) and COP (mm)."""
        s = self.settings
        if self.on_platform and total_n < s.step_off_n:
            self.on_platform = False
        elif not self.on_platform and total_n >= s.step_on_n:
            self.on_platform = True
        if self.on_platform:
            self._loads.append(total_n)
            for series, value in zip(self._ranges, (total_n, cop_ml_mm, cop_ap_mm), strict=True):
                series.push(value)
        else:
            self._loads.clear()
            for series in self._ranges:
                series.clear()

    @property
    def settled(self) -> bool:
        """True once a full window of on-platform frames shows a steady load and COP."""
        if not self.on_platform or len(self._loads) < self._loads.maxlen:
            return False
        load, ml, ap = self._ranges
        if max(ml.span, ap.span) > self.settings.settle_cop_range_mm:
            return False
        # the load's mean lies between its extremes: only a range near the limit needs it
        limit = self.settings.settle_load_fraction
        if load.span <= limit * load.low * (1 - 1e-9):
            return True
        if load.span > limit * load.high * (1 + 1e-9):
            return False
        return bool(load.span <= limit * np.mean(self._loads))
