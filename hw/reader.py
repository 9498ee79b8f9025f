"""Sample readers: run a device's non-blocking ``poll()`` at its own rate and keep every sample
it returns in a lossless queue, which the control loop drains.

``ThreadedReader`` polls on its own thread (the daemon), so one sensor's slow re-initialisation
(the BNO08x driver sleeps 1 s) never takes another sensor's or the loop's time. ``InlineReader``
polls when told to: by ``pump_inline`` under a virtual clock (simulation, tests), where the
control loop drives time and the readers poll at their own times between its ticks, as the
threads would.

The queue keeps ``MAX_QUEUED_S`` seconds of polls; beyond that (the loop has stopped draining)
the oldest samples are dropped and counted in ``overflows``, never silently.
"""

import threading
import time
from collections import deque
from collections.abc import Callable

MAX_QUEUED_S = 10.0


class _Reader:
    """What both readers share: the queue, the newest sample and the sensor's figures.

    ``rate_hz`` is the sensor's own conversion rate and ``stale_limit_s`` how long it may go
    without a sample before a drill that needs it gives up (its supervisor's)."""

    def __init__(
        self,
        poll: Callable[[], object],
        name: str,
        period_s: float,
        *,
        rate_hz: float,
        stale_limit_s: float,
    ):
        self._poll = poll
        self.name = name
        self.period_s = period_s
        self.rate_hz = rate_hz
        self.stale_limit_s = stale_limit_s
        self.samples = 0
        self.overflows = 0
        self._latest = None
        self._queue: deque = deque()
        self._max_queued = max(1, round(MAX_QUEUED_S / period_s))

    def _take(self, sample) -> None:
        if sample is None:
            return
        if len(self._queue) >= self._max_queued:
            self._queue.popleft()
            self.overflows += 1
        self._queue.append(sample)  # deque append and popleft are atomic: no lock needed
        self._latest = sample
        self.samples += 1

    def drain(self) -> list:
        """Every sample taken since the last call, oldest first."""
        queue = self._queue
        return [queue.popleft() for _ in range(len(queue))]

    def latest(self):
        """The newest sample read so far (None before the first)."""
        return self._latest

    def _status(self) -> dict:
        return {
            "samples": self.samples,
            "queued": len(self._queue),
            "queue_overflows": self.overflows,
            "stale_limit_s": self.stale_limit_s,
        }


class InlineReader(_Reader):
    """Polls when ``poll_once()`` is called (by ``pump_inline``, every ``period_s`` of virtual
    time from ``start_s``) or ``latest()`` is (a consumer outside the loop, e.g. the
    calibration wizard measuring on a virtual clock)."""

    def __init__(self, poll, name, period_s, *, start_s: float = 0.0, **figures):
        super().__init__(poll, name, period_s, **figures)
        self.next_poll_s = start_s

    def poll_once(self) -> None:
        """Poll the device now; its sample (if any) joins the queue."""
        self._take(self._poll())

    def latest(self):
        """The newest sample, polling the device first."""
        self.poll_once()
        return self._latest

    def status(self) -> dict:
        return {"reader": "inline", **self._status()}

    def start(self) -> None:
        """Nothing to start: the virtual clock's owner polls."""

    def close(self) -> None:
        """Nothing to stop."""


def pump_inline(readers, until_s: float, clock) -> None:
    """Poll each InlineReader at its own times up to ``until_s`` on ``clock`` (a virtual clock
    with ``now()`` and ``advance_to()``), interleaved in time order as reader threads would
    poll. A poll that itself moved the clock on (a chip re-initialised inline waits on the
    virtual clock) makes the polls it overlapped happen once, late."""
    while readers:
        reader = min(readers, key=lambda r: r.next_poll_s)
        if reader.next_poll_s > until_s:
            return
        clock.advance_to(reader.next_poll_s)
        reader.poll_once()
        reader.next_poll_s = max(reader.next_poll_s + reader.period_s, clock.now())


class ThreadedReader(_Reader):
    """Polls the device every ``period_s`` on a daemon thread, stoppable within one period."""

    def __init__(self, poll, name, period_s, **figures):
        super().__init__(poll, name, period_s, **figures)
        self.reader_error: str | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"reader-{name}", daemon=True)

    def start(self) -> None:
        """Start polling."""
        self._thread.start()

    def _run(self) -> None:
        deadline = time.monotonic()
        while not self._stop.is_set():
            try:
                sample = self._poll()
            except Exception as exc:  # reported in status(); the loop sees stale samples
                self.reader_error = f"{type(exc).__name__}: {exc}"
                self._stop.wait(0.5)
                continue
            self._take(sample)
            deadline = max(deadline + self.period_s, time.monotonic())
            self._stop.wait(deadline - time.monotonic())

    def status(self) -> dict:
        return {
            "reader": "thread",
            "alive": self._thread.is_alive(),
            **self._status(),
            "reader_error": self.reader_error,
        }

    def close(self, timeout_s: float = 2.0) -> None:
        """Stop the thread; raises RuntimeError if it does not end within ``timeout_s``."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout_s)
            if self._thread.is_alive():
                raise RuntimeError(f"reader {self.name} did not stop within {timeout_s} s")
