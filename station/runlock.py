"""The data directory's run lock: the daemon holds it while it runs, so a restore (or a second
daemon) never swaps the database out from under it.

An ``flock`` on ``<data_dir>/station.lock``: the kernel releases it when the holder exits, even
after a crash or a watchdog kill, so a stale lock file never blocks anything.
"""

import fcntl
import os
from pathlib import Path

from station.errors import StationError

LOCK_NAME = "station.lock"


class StationRunningError(StationError, RuntimeError):
    """Another process (normally the running daemon) holds the data directory's run lock."""


class RunLock:
    """An exclusive, non-blocking lock on ``<data_dir>/station.lock`` holding the owner's pid."""

    def __init__(self, data_dir: Path | str, purpose: str):
        self.path = Path(data_dir) / LOCK_NAME
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
                "(sudo systemctl stop balance-station), then try again"
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
