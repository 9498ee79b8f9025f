"""``balance-station core`` (the core process under systemd) and ``balance-station run`` (the
core, which starts the panel as a child process and restarts it if it ends).

The core holds the devices, the control loop, drills, cues and the storage writer, serves the
panel over its socket and nothing on the network. It asks for SCHED_FIFO for all its threads,
the control loop's highest (``station.runtime.priority`` says why), and logs what it got.
SIGTERM or SIGINT stop it cleanly: the panel first (``run``), then the socket, then any running
trial is stored as aborted, cues off, the database flushed. Under ``run`` a panel that refuses
its config (exit code 2: a port in use, a host it cannot listen on) stops the core too, with the
same code.
"""

import io
import logging
import signal
import sys
import threading

from station.config import prepare_data_dir
from station.runtime.core_server import CoreServer
from station.runtime.notify import SystemdNotifier, status_line
from station.runtime.panel_process import PanelProcess
from station.runtime.priority import core_floor
from station.runtime.protocol import socket_path
from station.runtime.runlock import RunLock
from station.runtime.station import Station
from station.storage.database import Storage

log = logging.getLogger("balance-station")

# How long a thread may keep the GIL while another waits for it (Python's default: 5 ms). The
# control loop's thread waits for the GIL when it wakes; 1 ms bounds what that adds to a tick.
GIL_SWITCH_S = 0.001
PANEL_READY_S = 60.0  # run: how long READY waits for the panel's own


def stop_on_signals() -> threading.Event:
    """An event set by SIGTERM (systemd's stop) or SIGINT (Ctrl-C)."""
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    return stop


class DriverChatter(io.TextIOBase):
    """A stdout replacement that turns printed lines into DEBUG log records."""

    def __init__(self, logger: logging.Logger):
        self._logger = logger
        self._partial = ""

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        lines = (self._partial + text).split("\n")
        self._partial = lines.pop()
        for line in lines:
            if line.strip():
                self._logger.debug("%s", line)
        return len(text)


def quiet_drivers() -> None:
    """The adafruit BNO08x driver prints packet dumps on bus faults; keep them out of journald
    unless asked for (--log-level DEBUG). The daemon itself never writes to stdout."""
    sys.stdout = DriverChatter(logging.getLogger("adafruit_bno08x"))


def shut_down(station, server, notifier) -> None:
    """End the live views, close the socket or panel server, then the station (any trial
    stored as aborted, the database flushed), and log the loop's figures."""
    station.end_live_streams()
    server.close()
    station.close()
    notifier.close()
    loop = station.loop.status()
    log.info(
        "stopped cleanly after %d ticks (%d late); data flushed", loop["ticks"], loop["late_ticks"]
    )


def run_core(config, panel: PanelProcess | None = None) -> int:
    """Run the core until SIGTERM/SIGINT; with ``panel``, start and supervise it too."""
    notifier = SystemdNotifier()
    lock = RunLock(prepare_data_dir(config), "the station's core")
    lock.acquire()  # a restore or a second core must not touch the database meanwhile
    notifier.status("starting: checking the database, opening the devices")
    floor = core_floor()  # before any thread starts: they all inherit it
    sys.setswitchinterval(GIL_SWITCH_S)
    quiet_drivers()
    stop = stop_on_signals()
    # checked and migrated first: the panel may open it while the devices are being opened
    # (the BNO08x's reset alone takes a second), so the two processes start side by side
    storage = Storage(prepare_data_dir(config) / "station.db")
    if panel is not None:
        panel.start()
    try:
        station = Station(config, storage=storage, notifier=notifier)
    except Exception:
        if panel is not None:
            panel.stop()
        raise
    server = CoreServer(station, socket_path(config))
    try:
        server.start()
    except Exception:
        if panel is not None:
            panel.stop()
        station.close()
        raise
    station.start(loop_priority=config.station.loop_priority)
    exit_code = 0
    if station.wait_until_sampling():
        where = ""
        if panel is not None:  # run: ready means the panel answers too, as it did in one process
            if not panel.wait_until_ready(PANEL_READY_S) and not panel.refused.is_set():
                log.error("the panel did not start within %g s: still trying", PANEL_READY_S)
            where = f"; panel on http://{config.panel.host}:{config.panel.port}"
        notifier.ready(status_line(station.status()) + where)
        log.info(
            "station running (%s hardware, data in %s): threads on %s, readers on %s, "
            "control loop on %s%s",
            config.station.hardware,
            config.station.data_dir,
            floor,
            station.readers_scheduling,
            station.loop_scheduling,
            where,
        )
    else:
        log.error("the control loop did not start ticking: stopping")
        stop.set()
        exit_code = 1
    shown = None
    while not stop.wait(1.0):
        if panel is not None and panel.refused.is_set():
            exit_code = 2  # the panel's config (or database) error: its message says what
            break
        line = status_line(station.status())
        if line != shown:  # systemctl status shows the newest; send changes only
            notifier.status(line)
            shown = line
    log.info("stopping")
    notifier.stopping("stopping: ending any trial, flushing the database")
    if panel is not None:
        panel.stop()
    shut_down(station, server, notifier)
    lock.release()
    return exit_code
