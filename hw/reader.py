"""Sample readers: run a device's non-blocking ``poll()`` and keep its newest sample.

``ThreadedReader`` polls on its own thread at the chip's rate (the daemon); ``InlineReader``
polls when asked (simulation under a virtual clock, where the control loop drives time).
"""

import threading
import time
from collections.abc import Callable


class InlineReader:
    """Polls the device each time ``latest()`` is called."""

    def __init__(self, poll: Callable[[], object], name: str):
        self._poll = poll
        self.name = name
        self._latest = None
        self.samples = 0

    def latest(self):
        """The newest sample, polling the device first."""
        sample = self._poll()
        if sample is not None:
            self._latest = sample
            self.samples += 1
        return self._latest

    def status(self) -> dict:
        return {"reader": "inline", "samples": self.samples}

    def start(self) -> None:
        """Nothing to start: polling happens in ``latest()``."""

    def close(self) -> None:
        """Nothing to stop."""


class ThreadedReader:
    """Polls the device every ``period_s`` on a daemon thread, stoppable within one period."""

    def __init__(self, poll: Callable[[], object], name: str, period_s: float):
        self._poll = poll
        self.name = name
        self.period_s = period_s
        self._latest = None
        self.samples = 0
        self.reader_error: str | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"reader-{name}", daemon=True)

    def start(self) -> None:
        """Start polling."""
        self._thread.start()

    def latest(self):
        """The newest sample read so far (None before the first)."""
        return self._latest

    def _run(self) -> None:
        deadline = time.monotonic()
        while not self._stop.is_set():
            try:
                sample = self._poll()
            except Exception as exc:  # reported in status(); the loop sees stale samples
                self.reader_error = f"{type(exc).__name__}: {exc}"
                self._stop.wait(0.5)
                continue
            if sample is not None:
                self._latest = sample
                self.samples += 1
            deadline = max(deadline + self.period_s, time.monotonic())
            self._stop.wait(deadline - time.monotonic())

    def status(self) -> dict:
        return {
            "reader": "thread",
            "alive": self._thread.is_alive(),
            "samples": self.samples,
            "reader_error": self.reader_error,
        }

    def close(self, timeout_s: float = 2.0) -> None:
        """Stop the thread; raises RuntimeError if it does not end within ``timeout_s``."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout_s)
            if self._thread.is_alive():
                raise RuntimeError(f"reader {self.name} did not stop within {timeout_s} s")
