"""Scoring off the loop: a finished trial is scored and stored on a worker, never in a tick.

The control loop hands each finished ``TrialSession`` to ``ScoringWorker.submit`` and moves on;
the worker calls ``on_end(session, t_end_s)`` (the station's: it scores the trial through
``TrialSession.outcome``, 8-12 ms for 30-60 s recorded, and hands the rows to the storage
writer), one trial after another in the order they ended. Under a virtual clock the worker is
``inline``: ``submit`` scores at once, so ``Station.run_virtual`` returns, and a caller flushes,
with every result stored, deterministically.

A thread, not a process. Measured on the development machine (2 cores, otherwise idle):
the simulated station in real time, three 30 s quiet-stance trials back to back, worst tick
lateness around each trial's end: 4.4, 0.2 and 0.5 ms with this worker (no late tick), 9.4,
1.1 and 2.7 ms scoring inside the tick as before (one late tick). A 100 Hz ticker thread beside
40 scorings of a 30 s trial (9.4 ms each), worst lateness per scoring, median / p90: 2.0-2.2 /
3.1-4.7 ms on a thread, 3.0-3.5 / 3.7-4.2 ms with the GIL switch interval at 0.5 ms instead of
the default 5 (no better: the time goes in numpy and scipy calls that hold the GIL whole, so
the station leaves the interval alone), 0.2 / 0.3 ms in a persistent child process fed
through a pipe. The process would buy those 2-3 ms once per
trial, below the 5 ms that makes a tick late and far from moving the p99, at the price of a
second interpreter with numpy and scipy (107 MB peak RSS here for importing the drills alone,
seconds to start on a Pi) and of pickling each session's drill, every frame included, in this
process (1.3 ms in one call that holds the GIL too): not worth it.
"""

import logging
import queue
import threading

log = logging.getLogger(__name__)


class ScoringWorker:
    """Calls ``on_end(session, t_end_s)`` for each submitted trial on a thread of its own
    (started on the first trial), or at once when ``inline``."""

    def __init__(self, on_end, *, inline: bool):
        self._on_end = on_end
        self.inline = inline
        self._queue: queue.Queue = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.scored = 0
        self.failed = 0

    def submit(self, session, t_end_s: float) -> None:
        """Score and store ``session``, which ended at ``t_end_s``: now if inline, else soon."""
        if self.inline:
            self._score(session, t_end_s)
            return
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="scoring", daemon=True)
                self._thread.start()
        self._queue.put((session, t_end_s))

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            try:
                if item is None:
                    return
                self._score(*item)
            finally:
                self._queue.task_done()

    def _score(self, session, t_end_s: float) -> None:
        try:
            self._on_end(session, t_end_s)
        except Exception:  # the trial's record stays 'running' and is marked interrupted later
            self.failed += 1
            log.exception("could not score and store trial %s", session.trial_id)
        else:
            self.scored += 1

    def pending(self) -> int:
        """Trials submitted and not yet stored."""
        return self._queue.unfinished_tasks

    def close(self, timeout_s: float = 10.0) -> None:
        """Score what was submitted, then stop the thread; safe to call twice. Logs an error
        if the trials are not stored within ``timeout_s``."""
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is None:
            return
        self._queue.put(None)
        thread.join(timeout_s)
        if thread.is_alive():
            log.error("scoring did not finish within %g s: the last trials may be lost", timeout_s)

    def status(self) -> dict:
        """Plain-dict state: trials scored, failed and waiting."""
        return {"scored": self.scored, "failed": self.failed, "pending": self.pending()}
