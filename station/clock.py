"""Injected time: the monotonic clock for the daemon, a virtual clock for simulation and tests."""

import time


class MonotonicClock:
    """Real time from ``time.monotonic()`` (never jumps when NTP corrects the wall clock)."""

    virtual = False

    def now(self) -> float:
        """Seconds on the monotonic clock."""
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        """Block for ``seconds`` of real time."""
        time.sleep(max(0.0, seconds))


class VirtualClock:
    """Time that moves only when told to, so a 30 s drill simulates in a fraction of a second."""

    virtual = True

    def __init__(self, start_s: float = 0.0):
        self._t = start_s

    def now(self) -> float:
        """Current virtual time in seconds."""
        return self._t

    def sleep(self, seconds: float) -> None:
        """Advance virtual time by ``seconds`` at once."""
        self._t += max(0.0, seconds)

    def advance_to(self, t_s: float) -> None:
        """Move virtual time forward to ``t_s`` (never backwards)."""
        self._t = max(self._t, t_s)
