"""The panel as a child process of ``balance-station run``: started, restarted when it ends
unexpectedly (a crash never touches the core or a running trial), stopped with the core.

Under systemd the panel is a unit of its own (balance-station-panel.service) and systemd does
this job instead. Here the panel says it is ready as it says it to systemd, ``READY=1`` on a
notify socket: one of this supervisor's own, never the core's. A panel that exits with code 2
refused its config or its database (its error says what to fix): restarting it would only
fail again, so it is not restarted, and ``refused`` tells the core to stop with code 2 as well
(systemd's ``RestartPreventExitStatus=2`` does the same for the panel's own unit).
"""

import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

from station.runtime.priority import normal_thread

log = logging.getLogger(__name__)

FIRST_RESTART_S = 1.0
LONGEST_RESTART_S = 30.0
STEADY_S = 60.0  # a panel that ran this long is restarted after FIRST_RESTART_S again
STOP_TIMEOUT_S = 10.0
REFUSED = 2  # the exit code of a config or database the panel refuses


class PanelProcess:
    """Runs ``balance-station panel`` on the config at ``config_path`` (None: the default
    location, as the core) until ``stop()``, restarting it after an unexpected end with a
    back-off from 1 s to 30 s. It ends by itself if this process dies (``--exit-with``)."""

    def __init__(self, config_path: Path | None, log_level: str):
        config = [] if config_path is None else ["--config", os.fspath(config_path)]
        self.command = [
            sys.executable,
            "-m",
            "station",
            "--log-level",
            log_level,
            "panel",
            *config,
            "--exit-with",
            str(os.getpid()),
        ]
        self._proc: subprocess.Popen | None = None
        self._stopping = threading.Event()
        self._ready = threading.Event()
        self.refused = threading.Event()  # the panel exited 2: not restarted
        self._lock = threading.Lock()
        self._notify_name = f"balance-station-panel-{os.getpid()}-{id(self):x}"
        self._notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)
        self._notify.bind("\0" + self._notify_name)  # the abstract namespace: no file
        self._notify.settimeout(0.5)
        self._threads = [
            threading.Thread(target=self._supervise, name="panel-supervisor", daemon=True),
            threading.Thread(target=self._listen, name="panel-notify", daemon=True),
        ]

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def wait_until_ready(self, timeout_s: float) -> bool:
        """True once the panel has said READY=1 (it listens), False after ``timeout_s`` or
        as soon as it has refused to start."""
        deadline = time.monotonic() + timeout_s
        while not self.refused.is_set() and time.monotonic() < deadline:
            if self._ready.wait(0.1):
                return True
        return False

    def _listen(self) -> None:
        while not self._stopping.is_set():
            try:
                message = self._notify.recv(4096)
            except TimeoutError:
                continue
            except OSError:  # closed by stop()
                return
            if b"READY=1" in message.split(b"\n"):
                self._ready.set()

    def _spawn(self) -> subprocess.Popen | None:
        with self._lock:
            if self._stopping.is_set():
                return None
            # a session of its own: a Ctrl-C on the terminal reaches the core, which stops the
            # panel itself (the panel never sees a signal meant for both and races the core)
            self._ready.clear()
            self._proc = subprocess.Popen(
                self.command, stdin=subprocess.DEVNULL, start_new_session=True, env=self._env()
            )
            return self._proc

    def _env(self) -> dict:
        """This process's environment with the supervisor's notify socket instead of
        systemd's, and without its watchdog: those are the core's (a panel's READY or STATUS
        there would speak for the whole unit)."""
        env = {k: v for k, v in os.environ.items() if k not in ("WATCHDOG_USEC", "WATCHDOG_PID")}
        env["NOTIFY_SOCKET"] = "@" + self._notify_name
        return env

    def _supervise(self) -> None:
        normal_thread()  # the panel starts (and imports) at normal priority, not the core's
        delay = FIRST_RESTART_S
        while (proc := self._spawn()) is not None:
            started = time.monotonic()
            log.info("panel process started (pid %d)", proc.pid)
            code = proc.wait()
            if self._stopping.is_set():
                return
            if code == REFUSED:
                log.error(
                    "the panel process (pid %d) refused to start (exit code 2): fix what its "
                    "error above names, then start the station again",
                    proc.pid,
                )
                self.refused.set()
                return
            if time.monotonic() - started >= STEADY_S:
                delay = FIRST_RESTART_S
            log.error(
                "the panel process (pid %d) ended unexpectedly (%s): restarting it in %g s; "
                "the core and any running trial go on",
                proc.pid,
                how_it_ended(code),
                delay,
            )
            if self._stopping.wait(delay):
                return
            delay = min(2 * delay, LONGEST_RESTART_S)

    def stop(self) -> None:
        """Stop the panel (SIGTERM, then SIGKILL after ``STOP_TIMEOUT_S``) and stop restarting
        it; safe to call twice."""
        with self._lock:
            self._stopping.set()
            proc = self._proc
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                log.warning("the panel did not stop within %g s: killed", STOP_TIMEOUT_S)
                proc.kill()
                proc.wait()
        for thread in self._threads:
            if thread.is_alive():
                thread.join(STOP_TIMEOUT_S)
        self._notify.close()


def how_it_ended(code: int) -> str:
    """A process's end in words: its exit code, or the signal that killed it."""
    if code < 0:
        return f"killed by {signal.Signals(-code).name}"
    return f"exit code {code}"
