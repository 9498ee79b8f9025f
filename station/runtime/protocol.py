"""The core's local socket: newline-delimited JSON over ``AF_UNIX``, one lane per connection.

A connection opens with a hello naming its lane, ``{"lane": "command" | "stop" | "live"}``,
answered ``{"ok": true, "result": {"lane", "core": {"id", "pid", "started_at", "version"}}}``
(a refused lane: ``{"ok": false, "error": ...}``, then the core closes it). Then:

- ``command``: requests ``{"id", "op", "args"}``, each answered in order by
  ``{"id", "ok": true, "result"}`` or ``{"id", "ok": false, "error": {"code", "kinds",
  "message", "field"}}``; ``code`` is the error's class, ``kinds`` its StationError ancestry.
- ``stop``: the same, for the op ``stop`` only, served by a thread of its own in the core: the
  priority lane, never behind another request, a slow client or a full stream.
- ``live``: the core writes one line per live message (``station.runtime.live_messages``).

Every line is at most ``MAX_LINE_BYTES``. The socket lives in ``$RUNTIME_DIRECTORY`` (systemd)
or the data directory, mode 0660. The op list is in docs/architecture.md.
"""

import contextlib
import json
import os
import socket
from pathlib import Path

import numpy as np

from station.errors import (
    BusyError,
    ConflictError,
    CoreFailedError,
    CoreUnavailableError,
    NotFoundError,
    StationError,
    StorageError,
)

SOCKET_NAME = "core.sock"
LANES = ("command", "stop", "live")
MAX_LINE_BYTES = 4 << 20
MAX_SOCKET_PATH = 107  # sun_path holds 108 bytes with the terminating NUL
# What the panel raises for a core error: the nearest of these in the error's ancestry (the
# API answers by these classes: 404, 409 busy, 503 storage_failed, 409 conflict, 400 invalid).
KNOWN_ERRORS = {
    cls.__name__: cls
    for cls in (NotFoundError, BusyError, StorageError, ConflictError, CoreUnavailableError)
}


def socket_path(config, environ=None) -> Path:
    """Where the core listens: ``$RUNTIME_DIRECTORY/core.sock`` under systemd (both units
    share that directory), else ``core.sock`` in ``[station] data_dir``."""
    environ = os.environ if environ is None else environ
    runtime = environ.get("RUNTIME_DIRECTORY", "").split(":")[0]
    path = Path(runtime or config.station.data_dir) / SOCKET_NAME
    if len(os.fsencode(path)) > MAX_SOCKET_PATH:
        raise StationError(
            f"the core's socket {path} is longer than {MAX_SOCKET_PATH} bytes, the limit of a "
            "local socket's path: choose a shorter [station] data_dir"
        )
    return path


def _plain(value):
    """JSON for what plain dicts of the station may hold besides JSON's own types."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"{type(value).__name__} cannot cross the core's socket")


def encode(message) -> bytes:
    """One line of the protocol: ``message`` as JSON (NaN kept, as the station's dicts hold
    it), or a str taken as already encoded."""
    text = message if isinstance(message, str) else json.dumps(message, default=_plain)
    return text.encode() + b"\n"


def error_body(exc: Exception) -> dict:
    """The ``error`` of a reply: a StationError with its class, ancestry, message and field;
    anything else as ``internal`` (a bug: its traceback is in the core's log)."""
    if not isinstance(exc, StationError):
        return {
            "code": "internal",
            "kinds": [],
            "message": "unexpected error in the station's core: see its log for details",
            "field": None,
        }
    kinds = [c.__name__ for c in type(exc).__mro__ if issubclass(c, StationError)]
    return {
        "code": type(exc).__name__,
        "kinds": kinds,
        "message": str(exc),
        "field": getattr(exc, "field", None),
    }


def rebuild_error(body: dict) -> StationError:
    """The exception the panel raises for an error reply: the nearest class of its ancestry
    that the panel knows (else StationError), with the same message and ``field``."""
    if body.get("code") == "internal":
        return CoreFailedError(body.get("message", "the core failed"))
    cls = next((KNOWN_ERRORS[k] for k in body.get("kinds", ()) if k in KNOWN_ERRORS), None)
    exc = (cls or StationError)(body.get("message", ""))
    if body.get("field"):
        exc.field = body["field"]
    return exc


class Connection:
    """One end of a lane: a connected ``AF_UNIX`` socket, written and read a line at a time.
    A read that times out leaves the stream out of step: close the connection then."""

    def __init__(self, sock: socket.socket):
        self.sock = sock
        self._reader = sock.makefile("rb")

    @classmethod
    def open(cls, path: Path, timeout_s: float) -> "Connection":
        """Connect to the core's socket at ``path`` (OSError when nobody listens)."""
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM | socket.SOCK_CLOEXEC)
        sock.settimeout(timeout_s)
        try:
            sock.connect(os.fspath(path))
        except OSError:
            sock.close()
            raise
        return cls(sock)

    def send(self, message, timeout_s: float | None = None) -> None:
        self.sock.settimeout(timeout_s)
        self.sock.sendall(encode(message))

    def receive_text(self, timeout_s: float | None = None) -> str:
        """The next line without its newline; ConnectionError when the other end closed,
        ValueError for a line over ``MAX_LINE_BYTES``, TimeoutError after ``timeout_s``."""
        self.sock.settimeout(timeout_s)
        line = self._reader.readline(MAX_LINE_BYTES + 1)
        if not line:
            raise ConnectionError("the other end closed the connection")
        if not line.endswith(b"\n"):
            raise ValueError(f"a line over {MAX_LINE_BYTES} bytes, or cut short")
        return line[:-1].decode()

    def receive(self, timeout_s: float | None = None) -> dict:
        message = json.loads(self.receive_text(timeout_s))
        if not isinstance(message, dict):
            raise ValueError("expected a JSON object")
        return message

    def request(self, request_id: int, op: str, args: dict, timeout_s: float) -> dict:
        """Send one request and read its reply (ValueError if the reply is not its own)."""
        self.send({"id": request_id, "op": op, "args": args}, timeout_s)
        reply = self.receive(timeout_s)
        if reply.get("id") != request_id:
            raise ValueError(f"reply {reply.get('id')!r} to request {request_id}")
        return reply

    def close(self) -> None:
        """Close both directions (wakes a thread blocked reading it); safe to call twice."""
        with contextlib.suppress(OSError):  # not connected any more
            self.sock.shutdown(socket.SHUT_RDWR)
        self._reader.close()
        self.sock.close()
