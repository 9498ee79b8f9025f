"""The load cells read in a process of their own, seen from the core as a reader and a sensor.

Why a process: ``station.runtime.acquisition_process``. The core starts it as a new Python
(never a fork: the core has threads) on the validated config, and talks to it over three
channels: the sample pipe, drained by the control loop each tick like a reader's
queue; the link, both ways (hello, status snapshots, log records, commands and their answers),
served by a thread here; and in simulation the force feed, which the core writes once a tick
(``hw.sim.force_feed``). A process that ends unexpectedly is logged and started again after
``RESTART_S`` (doubling to ``MAX_RESTART_S``): the drill that needed it ends as aborted when
its stale limit passes, with its data kept, and the core goes on serving.
"""

import contextlib
import fcntl
import logging
import os
import pickle
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import Future
from multiprocessing.connection import Connection

from hw.loadcells import SAMPLE_RECORD_BYTES, unpack_samples
from hw.record_pipe import RecordReader
from station.errors import StationError
from station.runtime.panel_process import how_it_ended

log = logging.getLogger(__name__)

HELLO_TIMEOUT_S = 30.0  # spawning Python and importing the drivers, on a loaded Pi
COMMAND_TIMEOUT_S = 2.0
STOP_TIMEOUT_S = 3.0
RESTART_S = 1.0
MAX_RESTART_S = 30.0
STATUS_STALE_S = 2.0  # a snapshot older than this: the process is not answering
READER_KEYS = (  # the process's figures of its poller, shown with the reader's
    "pid",
    "polled_samples",
    "unsent",
    "queue_overflows",
    "reader_error",
    "poller_scheduling",
    "late_wakes",
    "latest_wake_ms",
    "slowest_poll_ms",
)
PIPE_BYTES = 1 << 20  # the sample pipe's size asked for: about 6 s of samples at 320 SPS


class AcquisitionError(StationError, RuntimeError):
    """The load-cell process did not start: its message says why."""


class _Link:
    """One run of the load-cell process: the process and the core's ends of its channels."""

    def __init__(self, config, feed):
        samples_r, samples_w = os.pipe()
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        feed_r = feed_w = None
        if feed is not None:
            feed_r, feed_w = os.pipe()
        _grow(samples_w)
        passed = [samples_w, theirs.fileno(), *([] if feed_r is None else [feed_r])]
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "station.runtime.acquisition_process", *map(str, passed)],
                stdin=subprocess.PIPE,
                pass_fds=passed,
            )
            with self.process.stdin as stdin:
                pickle.dump(
                    (config.as_dict(), config.source, logging.getLogger().getEffectiveLevel()),
                    stdin,
                )
        except BaseException:
            ours.close()
            for fd in (samples_r, feed_w):
                if fd is not None:
                    os.close(fd)
            raise
        finally:
            for fd in (samples_w, feed_r):  # the child has them now
                if fd is not None:
                    os.close(fd)
            theirs.close()
        self.link = Connection(ours.detach())
        self.samples = RecordReader(samples_r, SAMPLE_RECORD_BYTES)
        self.feed = feed_w

    def read(self) -> list:
        """The samples written since the last call."""
        return unpack_samples(self.samples.read())

    def alive(self) -> bool:
        return self.process.poll() is None

    def wait(self, timeout_s: float) -> None:
        """Wait up to ``timeout_s`` for the process to end."""
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout_s)

    def close(self) -> None:
        """Close the core's ends (safe to call twice)."""
        self.link.close()
        if self.samples is not None:
            os.close(self.samples.fd)
            self.samples = None
        if self.feed is not None:
            os.close(self.feed)
            self.feed = None


def _grow(fd: int) -> None:
    """Ask for a larger pipe buffer (Linux's F_SETPIPE_SZ); the default 64 KiB is kept if
    refused."""
    with contextlib.suppress(OSError):
        fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, PIPE_BYTES)


class LoadCellProcess:
    """The load cells of ``config`` read in a process of their own. As a reader (``drain``,
    ``latest``, ``status``, ``rate_hz``, ``stale_limit_s``) it stands in for a
    ``hw.reader.ThreadedReader``; ``sensor`` stands in for the ``SupervisedDevice`` (its
    ``status()`` and ``last_error`` from the newest snapshot). ``feed`` (simulation) is the
    ``hw.sim.force_feed.ForceFeed`` whose pipe each run of the process reads."""

    name = "loadcells"

    def __init__(self, config, feed=None):
        self._config = config
        self._feed = feed
        self.rate_hz = config.loadcells.rate_sps
        self.period_s = 0.5 / self.rate_hz
        self.samples = 0
        self.restarts = 0
        self._latest = None
        self._snapshot: dict = {}
        self._snapshot_at = 0.0
        self._hello = threading.Event()
        self._down: str | None = None  # why the process is not there (between two runs)
        self._failed: tuple[bool, str] | None = None  # (an OSError?, why) it could not start
        self._closing = threading.Event()
        self._answers: dict[int, Future] = {}
        self._seq = 0
        self._send_lock = threading.Lock()
        self._ended: list = []  # earlier runs' sample pipes, read to their end
        self._swap = threading.Lock()  # drain() never reads a run being swapped out
        self.stale_limit_s = 0.0
        self.scheduling = "not started"
        self._link = self._launch()
        self.sensor = _RemoteSensor(self)
        self._thread = threading.Thread(target=self._serve, name="loadcells-link", daemon=True)
        self._thread.start()

    def _launch(self) -> _Link:
        link = _Link(self._config, self._feed)
        if self._feed is not None:
            self._feed.attach(link.feed)
        return link

    def wait_ready(self) -> None:
        """Wait for the process's hello (its figures). When it could not build the load cells,
        its error again (an OSError, e.g. a bus that cannot be opened, as if built here; else
        AcquisitionError), and AcquisitionError when it sent nothing."""
        if not self._hello.wait(HELLO_TIMEOUT_S):
            raise AcquisitionError(
                f"the load-cell process sent nothing within {HELLO_TIMEOUT_S:g} s: see the "
                "log lines before this one"
            )
        if self._failed is not None:
            system, message = self._failed
            raise OSError(message) if system else AcquisitionError(message)

    def start(self) -> None:
        """Start polling (the station starts): the samples from now on are the loop's."""
        with self._send_lock:
            self._link.link.send(("start",))

    # --- the reader ---------------------------------------------------------------------------
    def drain(self) -> list:
        """Every sample the process wrote since the last call, oldest first."""
        out = []
        with self._swap:
            while self._ended:  # a process that ended: what it wrote comes first
                ended = self._ended.pop(0)
                out += ended.read()
                ended.close()
            out += self._link.read()
        if out:
            self.samples += len(out)
            self._latest = out[-1]
        return out

    def latest(self):
        """The newest sample drained so far (None before the first)."""
        return self._latest

    def status(self) -> dict:
        """The reader's side of the status: the process, its figures, the samples taken."""
        link = self._link
        return {
            "reader": "process",
            "pid": link.process.pid,
            "alive": link.alive(),
            "restarts": self.restarts,
            "poller_scheduling": self.scheduling,
            "late_wakes": self._snapshot.get("late_wakes", 0),
            "latest_wake_ms": self._snapshot.get("latest_wake_ms"),
            "slowest_poll_ms": self._snapshot.get("slowest_poll_ms"),
            "samples": self.samples,
            "queued": self._snapshot.get("unsent", 0),
            "queue_overflows": self._snapshot.get("queue_overflows", 0),
            "stale_limit_s": self.stale_limit_s,
            "reader_error": self._snapshot.get("reader_error"),
        }

    def inject_fault(self, index: int, fault: str) -> None:
        """Simulation only: ``fault`` on corner ``index``'s emulated chip, in the process;
        ValueError with its reason when refused."""
        with self._send_lock:
            self._seq += 1
            seq = self._seq
            answer = self._answers[seq] = Future()
            self._link.link.send(("fault", seq, index, fault))
        try:
            error = answer.result(COMMAND_TIMEOUT_S)
        finally:
            self._answers.pop(seq, None)
        if error is not None:
            raise ValueError(error)

    def close(self, timeout_s: float = STOP_TIMEOUT_S) -> None:
        """Stop the process (it powers the chips down); killed if it does not end in time."""
        if self._closing.is_set():
            return
        self._closing.set()
        link = self._link
        try:
            with self._send_lock:
                link.link.send(("stop",))
        except OSError:
            pass
        self._thread.join(timeout_s)  # it reaps the process once its link ends
        if self._thread.is_alive():
            log.error("the load-cell process did not stop within %g s: killed", timeout_s)
            link.process.kill()
            self._thread.join()
        with self._swap:
            link.close()

    # --- the link -----------------------------------------------------------------------------
    def _serve(self) -> None:
        """Receive from each run of the process; start a new one when a run ends unexpectedly."""
        wait_s = RESTART_S
        while True:
            link = self._link
            started = time.monotonic()
            self._receive(link)
            link.wait(STOP_TIMEOUT_S)
            if link.alive():  # its link closed, yet it runs on: hung
                link.process.kill()
                link.process.wait()
            if self._closing.is_set():
                return
            self._down = f"the load-cell process ended ({how_it_ended(link.process.returncode)})"
            log.error("%s: starting it again in %g s", self._down, wait_s)
            for answer in list(self._answers.values()):
                answer.set_result("the load-cell process ended before it answered")
            if self._closing.wait(wait_s):
                return
            wait_s = RESTART_S if time.monotonic() - started > 60 else wait_s * 2
            wait_s = min(wait_s, MAX_RESTART_S)
            try:
                new = self._launch()  # the feed writes to the new run from the next tick
            except OSError as exc:  # e.g. no memory to spawn: tried again
                log.error("could not start the load-cell process: %s", exc)
                continue
            with self._swap:
                self._ended.append(link)
                self._link = new
            self.restarts += 1
            self.start()

    def _receive(self, link: _Link) -> None:
        while True:
            try:
                message = link.link.recv()
            except (EOFError, OSError):
                return
            kind = message[0]
            if kind == "status":
                self._snapshot, self._snapshot_at = message[1], time.monotonic()
                self.scheduling = message[1].get("poller_scheduling", self.scheduling)
            elif kind == "log":
                record = message[1]
                logging.getLogger(record["name"]).log(record["levelno"], "%s", record["msg"])
            elif kind == "done":
                answer = self._answers.get(message[1])
                if answer is not None:
                    answer.set_result(message[2])
            elif kind == "failed":
                self._failed = message[1], message[2]
                self._hello.set()
            elif kind == "hello":  # a new run: the last one's snapshot is history
                self.stale_limit_s = message[1]["stale_limit_s"]
                self._snapshot, self._snapshot_at = {"state": "starting"}, time.monotonic()
                self._down = None
                self._hello.set()

    def sensor_status(self) -> dict:
        """The supervised device's status from the newest snapshot; 'recovering', with the
        reason as its last error, while the process is not there or does not answer."""
        snapshot = dict(self._snapshot)
        for key in READER_KEYS:
            snapshot.pop(key, None)
        if self._down is not None:
            snapshot["state"], snapshot["last_error"] = "recovering", self._down
        elif time.monotonic() - self._snapshot_at > STATUS_STALE_S:
            snapshot["state"] = "recovering"
            snapshot["last_error"] = "the load-cell process does not answer"
        return snapshot


class _RemoteSensor:
    """The load cells' SupervisedDevice as the core sees it, across the process boundary."""

    def __init__(self, process: LoadCellProcess):
        self._process = process

    @property
    def last_error(self) -> str | None:
        return self._process.sensor_status().get("last_error")

    def stale_limit_s(self) -> float:
        return self._process.stale_limit_s

    def status(self) -> dict:
        return self._process.sensor_status()

    def close(self) -> None:
        """The process closes the device when it stops (``LoadCellProcess.close``)."""
