"""What runs in the load-cell process: the amplifiers polled apart from the core's GIL.

CPython runs one thread of a process at a time. In the core, the load-cell reader, which must
look at each NAU7802 every 1.6 ms (twice per conversion at 320 SPS; a chip holds one
conversion), waited for the GIL behind the IMU's packet parsing, the control loop and the
core's other threads, and lost conversions under load (``bench/isolation.py``). Here it has a
process, and a GIL, of its own. The core starts it (``station.runtime.acquisition``) as
``python -m station.runtime.acquisition_process``, with the validated config pickled on its
stdin and three channels as inherited descriptors:

- the sample pipe: each sample as a fixed-size record (``hw.loadcells.pack_sample``), written
  without ever blocking: a full pipe keeps samples here (up to ``MAX_QUEUED_S``, then the
  oldest are dropped and counted) until the core reads again;
- the link, both ways: a hello with the figures the core needs before it starts its loop, a
  status snapshot every ``STATUS_S``, the log records of this process (the core logs them as
  its own: one journal, one technician's view); commands from the core (start polling, a
  simulated fault on a corner, stop), a fault answered;
- in simulation, the feed of the simulated person's corner forces (``hw.sim.force_feed``).

Threads: the poller (the main thread, on SCHED_FIFO one above the control loop when allowed),
which starts the chips at once (the NAU7802s calibrate while the core opens its IMU) and from
the core's start on takes the fed forces, polls the supervised device and writes each sample,
as a reader thread of the core started at the core's start did; the link
thread, which sends the snapshots and carries out commands. A link that ends (the core is
gone) stops the process; SIGINT and SIGTERM (Ctrl-C and systemd's stop reach the whole process
group or unit) are ignored: the core, which gets them too, stops this process in its turn.
"""

import contextlib
import ctypes
import gc
import logging
import os
import pickle
import signal
import sys
import threading
import time
from collections import deque
from multiprocessing.connection import Connection

from hw.amplifiers import AMPLIFIERS
from hw.loadcells import pack_sample
from hw.supervisor import SupervisedDevice
from station.clock import MonotonicClock
from station.config import Config
from station.runtime.hardware_parts import (
    POLLS_PER_CONVERSION,
    apply_sim_fault,
    loadcell_device,
    loadcell_parts,
)
from station.runtime.priority import core_floor, realtime_thread

log = logging.getLogger(__name__)

STATUS_S = 0.25  # how often the core gets a status snapshot
MAX_QUEUED_S = 10.0  # samples kept here while the core does not read (then the oldest dropped)
LATE_S = 0.001  # a wake-up later than this is counted: 0.6 ms more may lose a conversion
MAX_RT_PRIORITY = 49
PROCESS_NAME = "bs-loadcells"  # what ps and top call this process
PR_SET_NAME = 15
MCL_CURRENT, MCL_FUTURE = 1, 2  # balance-station.service's LimitRTPRIO
GIL_SWITCH_S = 0.0005  # the link thread gives the GIL back to the poller this soon


class LinkHandler(logging.Handler):
    """Sends this process's log records to the core over ``link`` (``send`` is locked)."""

    def __init__(self, send):
        super().__init__()
        self._send = send

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if record.exc_info:
            message += "\n" + logging.Formatter().formatException(record.exc_info)
        with contextlib.suppress(OSError, ValueError):  # the core is gone: nobody to tell
            self._send(("log", {"name": record.name, "levelno": record.levelno, "msg": message}))


class Acquisition:
    """The supervised load cells of ``config`` polled at twice their rate, each sample written
    to ``samples_fd``; ``fed`` (simulation) gives the emulated chips their forces, ``chips``
    are those chips (for simulated faults); ``report(status)`` sends a status snapshot to the
    core at once (a fault's reason must reach it before the gap in samples does)."""

    def __init__(
        self, config: Config, device: SupervisedDevice, samples_fd: int, *, fed, chips, report
    ):
        os.set_blocking(samples_fd, False)
        self.config = config
        self.device = device
        self.fed = fed
        self.chips = chips
        self._fd = samples_fd
        rate = config.loadcells.rate_sps
        self.period_s = 1.0 / (rate * POLLS_PER_CONVERSION)
        self._unsent: deque[bytes] = deque()
        self._max_unsent = round(MAX_QUEUED_S * rate * POLLS_PER_CONVERSION)
        self.samples = self.overflows = self.late_wakes = 0
        self.latest_wake_s = self.slowest_poll_s = 0.0
        self.reader_error: str | None = None
        self.scheduling = "not started"
        self.report = report
        self.polling = threading.Event()  # the core started: samples are wanted from now
        self.stopping = threading.Event()

    def run(self) -> None:
        """Once the core says start, poll until ``stopping`` is set."""
        while not self.polling.wait(STATUS_S):
            if self.stopping.is_set():
                return
        deadline = time.monotonic()
        while not self.stopping.is_set():
            woke = time.monotonic()
            if woke - deadline > LATE_S:
                self.late_wakes += 1
            self.latest_wake_s = max(self.latest_wake_s, woke - deadline)
            was_ready = self.device.state == "ready"
            try:
                if self.fed is not None:
                    self.fed.refresh()
                sample = self.device.poll()
            except Exception as exc:  # a bug, not a device fault: report it, go on
                self.reader_error = f"{type(exc).__name__}: {exc}"
                log.exception("load-cell poll failed")
                self.stopping.wait(0.5)
                continue
            if sample is not None:
                self._send(pack_sample(sample))
            elif was_ready and self.device.state != "ready":
                self.report(self.status())  # the core knows why before it sees the gap
            elif self._unsent:
                self._flush()
            done = time.monotonic()
            self.slowest_poll_s = max(self.slowest_poll_s, done - woke)
            deadline = max(deadline + self.period_s, done)
            time.sleep(max(0.0, deadline - done))

    def _send(self, record: bytes) -> None:
        self.samples += 1
        if len(self._unsent) >= self._max_unsent:
            self._unsent.popleft()
            self.overflows += 1
        self._unsent.append(record)
        self._flush()

    def _flush(self) -> None:
        unsent = self._unsent
        while unsent:
            try:
                os.write(self._fd, unsent[0])  # one record: under PIPE_BUF, written whole
            except BlockingIOError:  # the core reads at its next tick
                return
            except OSError:  # the core is gone; the link ends this process
                unsent.clear()
                return
            unsent.popleft()

    def status(self) -> dict:
        """The supervised device's status with this process's reader figures."""
        out = {
            **self.device.status(),
            "pid": os.getpid(),
            "polled_samples": self.samples,
            "unsent": len(self._unsent),
            "queue_overflows": self.overflows,
            "reader_error": self.reader_error,
            "poller_scheduling": self.scheduling,
            "late_wakes": self.late_wakes,
            "latest_wake_ms": round(1000 * self.latest_wake_s, 2),
            "slowest_poll_ms": round(1000 * self.slowest_poll_s, 2),
        }
        if self.fed is not None:
            out["feed_underruns"] = self.fed.underruns
        return out

    def inject_fault(self, index: int, fault: str) -> None:
        """Simulation only: ``fault`` (checked by the core) on corner ``index``'s chip."""
        apply_sim_fault(self.chips[index], fault)


def serve_link(acquisition: Acquisition, link, send) -> None:
    """Send status snapshots; carry out the core's commands until it says stop or is gone."""
    while not acquisition.stopping.is_set():
        try:
            if link.poll(STATUS_S):
                message = link.recv()
                if message[0] == "stop":
                    break
                if message[0] == "start":
                    acquisition.polling.set()
                    continue
                _, seq, index, fault = message
                try:
                    acquisition.inject_fault(index, fault)
                except (ValueError, LookupError) as exc:
                    send(("done", seq, str(exc)))
                else:
                    send(("done", seq, None))
            send(("status", acquisition.status()))
        except (EOFError, OSError):
            break
    acquisition.stopping.set()


def name_this_process(name: str) -> None:
    """Set the name ``ps``, ``top`` and ``/proc/PID/comm`` show (Linux's PR_SET_NAME, at most
    15 bytes); the command line stays ``python -m station.runtime.acquisition_process``."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_NAME, name.encode()[:15], 0, 0, 0)


def poller_priority(loop_priority: int) -> int:
    """The poller's SCHED_FIFO priority: one above the control loop's (0: normal scheduling
    like the loop's), at most ``MAX_RT_PRIORITY``. Shortest deadline first (rate-monotonic
    order): the poller must look within 1.6 ms, the IMU reader within 5 ms, the loop within
    10 ms, and a look holds a core for about 0.1 ms."""
    return 0 if loop_priority == 0 else min(loop_priority + 1, MAX_RT_PRIORITY)


def run_acquisition(sections: dict, source, level: int, samples_fd: int, link, feed_fd) -> None:
    """Build the load cells of the validated config ``sections``, say hello, poll until
    stopped, close the device. ``samples_fd`` and ``feed_fd`` (simulation, else None) are the
    pipes' ends, ``link`` a multiprocessing ``Connection``."""
    name_this_process(PROCESS_NAME)
    for signum in (signal.SIGINT, signal.SIGTERM):  # Ctrl-C, systemd's stop: the core stops us
        signal.signal(signum, signal.SIG_IGN)
    core_floor()  # the link thread too: it holds the GIL the poller needs
    sys.setswitchinterval(GIL_SWITCH_S)
    lock = threading.Lock()

    def send(message) -> None:
        with lock:
            link.send(message)

    root = logging.getLogger()
    root.handlers[:] = [LinkHandler(send)]
    root.setLevel(level)
    config = Config(sections, source, AMPLIFIERS)
    clock = MonotonicClock()
    fed = None
    try:
        if config.station.hardware == "sim":
            from hw.sim.force_feed import FedForces

            fed = FedForces(feed_fd)
            fed.refresh()
        parts = loadcell_parts(config, clock, None if fed is None else fed.corner_force_n)
        device = SupervisedDevice(loadcell_device(config, clock, parts), "load cells", clock.now)
    except Exception as exc:  # e.g. the bus cannot be opened: the core says why and stops
        send(("failed", isinstance(exc, OSError), str(exc)))
        raise

    def report(status: dict) -> None:
        with contextlib.suppress(OSError, ValueError):  # the core is gone: nobody to tell
            send(("status", status))

    acquisition = Acquisition(
        config, device, samples_fd, fed=fed, chips=parts.get("chips"), report=report
    )
    gc.freeze()  # what was built lasts: the collector walks only what polling allocates
    send(("hello", {"stale_limit_s": device.stale_limit_s()}))
    link_thread = threading.Thread(  # on the floor: it starts before the poller is raised
        target=serve_link, args=(acquisition, link, send), name="acquisition-link", daemon=True
    )
    link_thread.start()
    acquisition.scheduling = realtime_thread(poller_priority(config.station.loop_priority))
    try:
        device.start()
        acquisition.run()
    finally:
        device.close()
        bus = parts.get("bus")
        if bus is not None:
            bus.close()
        link_thread.join(1.0)


def main() -> None:
    """``python -m station.runtime.acquisition_process SAMPLES_FD LINK_FD [FEED_FD]``, started
    by the core with those descriptors passed and its arguments pickled on stdin."""
    sections, source, level = pickle.load(sys.stdin.buffer)
    samples_fd, link_fd, *feed = (int(arg) for arg in sys.argv[1:])
    run_acquisition(sections, source, level, samples_fd, Connection(link_fd), *feed or [None])


if __name__ == "__main__":
    main()
