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


class StanceDetector:
    """Tracks whether someone stands on the platform and whether their stance has settled.

    Hysteresis between ``step_on_n`` and ``step_off_n`` keeps a swaying patient from flickering
    between on and off.
    """

    def __init__(self, settings: StanceSettings, rate_hz: float):
        self.settings = settings
        self._window = deque(maxlen=max(2, round(settings.settle_window_s * rate_hz)))
        self.on_platform = False

    def update(self, total_n: float, cop_ml_mm: float, cop_ap_mm: float) -> None:
        """Feed one frame's total load (N) and COP (mm)."""
        s = self.settings
        if self.on_platform and total_n < s.step_off_n:
            self.on_platform = False
        elif not self.on_platform and total_n >= s.step_on_n:
            self.on_platform = True
        if self.on_platform:
            self._window.append((total_n, cop_ml_mm, cop_ap_mm))
        else:
            self._window.clear()

    @property
    def settled(self) -> bool:
        """True once a full window of on-platform frames shows a steady load and COP."""
        if not self.on_platform or len(self._window) < self._window.maxlen:
            return False
        window = np.asarray(self._window)
        load = window[:, 0]
        load_steady = np.ptp(load) <= self.settings.settle_load_fraction * load.mean()
        cop_range = np.ptp(window[:, 1:], axis=0).max()
        return bool(load_steady and cop_range <= self.settings.settle_cop_range_mm)
