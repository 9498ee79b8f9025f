"""The panel as a child process of ``balance-station run``: started, restarted when it ends
unexpectedly (a crash never touches the core or a running trial), stopped with the core.

Under systemd the panel is a unit of its own (balance-station-panel.service) and systemd does
this job instead.
"""

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

log = logging.getLogger(__name__)

FIRST_RESTART_S = 1.0
LONGEST_RESTART_S = 30.0
STEADY_S = 60.0  # a panel that ran this long is restarted after FIRST_RESTART_S again
STOP_TIMEOUT_S = 10.0


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
        self.restarts = 0
        self._proc: subprocess.Popen | None = None
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._supervise, name="panel-supervisor")
        self._thread.daemon = True

    @property
    def pid(self) -> int | None:
        proc = self._proc
        return None if proc is None or proc.poll() is not None else proc.pid

    def start(self) -> None:
        self._thread.start()

    def _spawn(self) -> subprocess.Popen | None:
        with self._lock:
            if self._stopping.is_set():
                return None
            # a session of its own: a Ctrl-C on the terminal reaches the core, which stops the
            # panel itself (the panel never sees a signal meant for both and races the core)
            self._proc = subprocess.Popen(
                self.command, stdin=subprocess.DEVNULL, start_new_session=True
            )
            return self._proc

    def _supervise(self) -> None:
        delay = FIRST_RESTART_S
        while (proc := self._spawn()) is not None:
            started = time.monotonic()
            log.info("panel process started (pid %d)", proc.pid)
            code = proc.wait()
            if self._stopping.is_set():
                return
            if time.monotonic() - started >= STEADY_S:
                delay = FIRST_RESTART_S
            self.restarts += 1
            log.error(
                "the panel process (pid %d) ended unexpectedly (%s): restarting it in %g s; "
                "the core and any running trial go on",
                proc.pid,
                _how(code),
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
        if self._thread.is_alive():
            self._thread.join(STOP_TIMEOUT_S)


def _how(code: int) -> str:
    """A process's end in words: its exit code, or the signal that killed it."""
    if code < 0:
        return f"killed by {signal.Signals(-code).name}"
    return f"exit code {code}"
