"""A standing test's loss of balance seen on the platform: the live COP leaving where the test
position began, or jumping (mCTSIB, the STEADI 4-stage test, BESS).

The COP cannot leave the base of support the feet make; quiet sway, even on foam with eyes
closed, moves the live COP a few centimetres a second at most. A COP farther than an excursion
limit from where the position began, or moving more than ``JUMP_MM`` within ``JUMP_WINDOW_S``,
means a foot moved (a step, a touch-down), a hip strategy or a grab: the position is lost.
"""

import math
from collections import deque

from drills.params import Param
from sensing.words import N_

JUMP_MM = 60.0
JUMP_WINDOW_S = 0.5
"""Loss of balance: the live COP moves more than 60 mm within 0.5 s."""


MAX_EXCURSION = Param(
    "max_excursion_mm",
    float,
    100.0,
    40.0,
    200.0,
    "mm",
    N_("Loss of balance: the COP this far from where the stance began (a foot moved, a step)."),
)

"""The excursion limit of a standing test's watch: beyond what sway on foam reaches, about the
edge of a feet-together base of support."""


class BalanceWatch:
    """Watches one attempt at a standing position: ``start`` where it began, then ``check``
    each live COP (ML, AP in mm) for a loss of balance."""

    def __init__(self, max_excursion_mm: float):
        self.max_excursion_mm = max_excursion_mm
        self._start = (math.nan, math.nan)
        self._window: deque[tuple[float, float, float]] = deque()  # (t_s, ml, ap)

    def start(self, cop: tuple[float, float]) -> None:
        """A new attempt, the position beginning at live COP ``cop``."""
        self._start = cop
        self._window.clear()

    def resume(self) -> None:
        """Watch again from the same start, after the position was regained."""
        self._window.clear()

    def distance(self, cop: tuple[float, float]) -> float:
        """How far ``cop`` is from where the position began, mm."""
        return math.dist(cop, self._start)

    def check(self, t_s: float, cop: tuple[float, float]) -> str | None:
        """Why balance was lost at this frame ("lost balance: ..."), or None."""
        limit = self.max_excursion_mm
        excursion = self.distance(cop)
        if excursion > limit:
            return f"lost balance: the COP moved {excursion:.0f} mm from the start (> {limit:g})"
        self._window.append((t_s, *cop))
        while t_s - self._window[0][0] > JUMP_WINDOW_S + 1e-9:
            self._window.popleft()
        jump = max(math.dist(cop, past[1:]) for past in self._window)
        if jump > JUMP_MM:
            return f"lost balance: the COP jumped {jump:.0f} mm within {JUMP_WINDOW_S:g} s"
        return None
