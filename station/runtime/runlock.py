"""The data directory's run locks: the core holds ``station.lock`` and the panel
``panel.lock`` while they run (both have the database open), so a restore or a migration (which
take both) never swaps the database out from under either, and no second core or panel starts
on the same data.

Each is an ``flock`` on its file: the kernel releases it when the holder exits, even after a
crash or a watchdog kill, so a stale lock file never blocks anything.
"""

import fcntl
import os
from contextlib import contextmanager
from pathlib import Path

from station.errors import StationError

LOCK_NAME = "station.lock"  # the core's (or the one-process daemon's)
PANEL_LOCK_NAME = "panel.lock"


class StationRunningError(StationError, RuntimeError):
    """Another process (normally the running daemon) holds the data directory's run lock."""


class RunLock:
    """An exclusive, non-blocking lock on ``<data_dir>/<name>`` holding the owner's pid."""

    def __init__(self, data_dir: Path | str, purpose: str, name: str = LOCK_NAME):
        self.path = Path(data_dir) / name
        self.purpose = purpose  # what the holder does, e.g. "the station daemon"
        self._fd: int | None = None

    def acquire(self) -> None:
        """Take the lock, or raise StationRunningError naming the holder's pid and purpose."""
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o640)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 200, 0).decode(errors="replace").strip() or "another process"
            os.close(fd)
            raise StationRunningError(
                f"{self.path.parent} is in use by {holder}: stop the station first "
                "(sudo systemctl stop balance-station balance-station-panel), then try again"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()} ({self.purpose})\n".encode(), 0)
        self._fd = fd

    def release(self) -> None:
        """Give the lock up; safe to call twice."""
        if self._fd is not None:
            os.ftruncate(self._fd, 0)
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> "RunLock":
        self.acquire()
        return self

    def __exit__(self, *exc) -> None:
        self.release()


@contextmanager
def station_stopped(data_dir: Path | str, purpose: str):
    """Hold both run locks, the core's and the panel's, for work that must not run beside
    either (a restore, a migration); StationRunningError names whichever is running."""
    with RunLock(data_dir, purpose), RunLock(data_dir, purpose, PANEL_LOCK_NAME):
        yield
