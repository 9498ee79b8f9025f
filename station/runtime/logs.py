"""Log lines for journald or a terminal, and the recent ones kept in memory for the panel.

Under systemd (``$JOURNAL_STREAM`` names this process's stderr) every line starts with its
syslog priority (``<4>``), which journald strips and stores as the entry's priority, and carries
no time stamp: the journal has its own. On a terminal each line starts with the local time.
The daemon logs events (start, stop, trial start and end, faults, recoveries), never samples.
"""

import logging
import os
import sys
import time
from collections import deque

PRIORITIES = {  # syslog priorities (sd-daemon(3)): journalctl -p warning shows 4 and below
    logging.CRITICAL: 2,
    logging.ERROR: 3,
    logging.WARNING: 4,
    logging.INFO: 6,
    logging.DEBUG: 7,
}
PLAIN_FORMAT = "%(levelname)s %(name)s: %(message)s"
RECENT_LINES = 500


def syslog_priority(levelno: int) -> int:
    """The syslog priority of a logging level (levels between two take the more urgent)."""
    return next(p for level, p in sorted(PRIORITIES.items()) if levelno <= level)


def writes_to_journal(stream, environ) -> bool:
    """True when ``stream`` is the journal stream systemd gave this service: ``JOURNAL_STREAM``
    is ``device:inode`` of that stream, and matches only if our output was not redirected."""
    try:
        device, inode = (int(part) for part in environ.get("JOURNAL_STREAM", "").split(":"))
        st = os.fstat(stream.fileno())
    except (ValueError, OSError, AttributeError):
        return False
    return (st.st_dev, st.st_ino) == (device, inode)


class JournalFormatter(logging.Formatter):
    """``<priority>LEVEL logger: message`` on every line (tracebacks too), no time stamp."""

    def __init__(self):
        super().__init__(PLAIN_FORMAT)

    def format(self, record: logging.LogRecord) -> str:
        prefix = f"<{syslog_priority(record.levelno)}>"
        return "\n".join(prefix + line for line in super().format(record).splitlines())


class RecentLines(logging.Handler):
    """The newest log records as plain dicts, for the technician's view of a running station."""

    def __init__(self, capacity: int = RECENT_LINES):
        super().__init__()
        self._lines: deque = deque(maxlen=capacity)

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if record.exc_info:
            message += "\n" + logging.Formatter().formatException(record.exc_info)
        self._lines.append(
            {
                "t": time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(record.created)),
                "level": record.levelname,
                "priority": syslog_priority(record.levelno),
                "logger": record.name,
                "message": message,
            }
        )

    def lines(self, n: int) -> list[dict]:
        """The newest ``n`` lines, oldest first."""
        return list(self._lines)[-n:] if n > 0 else []


def configure_logging(level: str, stream=None, environ=None) -> None:
    """Send log records to ``stream`` (stderr) in the journal's format under systemd, else
    with a time stamp; keep the recent ones in a ``RecentLines`` handler; route ``warnings``
    through logging. Does nothing when the root logger has handlers already (as
    ``logging.basicConfig``; under pytest, say)."""
    if logging.getLogger().handlers:
        return
    stream = sys.stderr if stream is None else stream
    environ = os.environ if environ is None else environ
    output = logging.StreamHandler(stream)
    if writes_to_journal(stream, environ):
        output.setFormatter(JournalFormatter())
    else:
        output.setFormatter(logging.Formatter("%(asctime)s " + PLAIN_FORMAT, "%H:%M:%S"))
    logging.basicConfig(level=level, handlers=[output, RecentLines()])
    logging.captureWarnings(True)  # a library's warning becomes one line in the same format


def recent_lines_handler() -> RecentLines | None:
    """The root logger's ``RecentLines`` handler, if ``configure_logging`` installed one."""
    return next((h for h in logging.getLogger().handlers if isinstance(h, RecentLines)), None)
