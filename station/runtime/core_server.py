"""The core's side of its socket: a running ``Station`` served to the panel process, one thread
per connection, each connection one lane (``station.runtime.protocol``).

The command lane runs the ops below, each a call of the Station (or of its calibration wizard);
the stop lane only stops, on a thread nothing else uses; the live lane writes the live view's
messages, encoded once here for every live view the panel serves. A panel that stops reading
its live lane loses its own messages (the subscription drops the oldest) and, after
``SEND_TIMEOUT_S``, the connection; the control loop never waits for it.
"""

import logging
import os
import socket
import threading
import uuid
from pathlib import Path

from station.errors import BusyError, StationError
from station.runtime.commands import STOPPED_BY_THERAPIST
from station.runtime.live_messages import live_messages
from station.runtime.protocol import LANES, Connection, error_body
from station.storage.database import now_iso

log = logging.getLogger(__name__)

HELLO_TIMEOUT_S = 5.0
SEND_TIMEOUT_S = 2.0
ACCEPT_POLL_S = 0.5
MAX_CONNECTIONS = {"command": 32, "stop": 2, "live": 2}  # the panel uses 8, 1, 1


class CoreServer:
    """Serves ``station`` on the socket at ``path`` from ``start()`` to ``close()``."""

    def __init__(self, station, path: Path):
        self.station = station
        self.path = Path(path)
        self.identity = {
            "id": uuid.uuid4().hex[:12],
            "pid": os.getpid(),
            "started_at": now_iso(),
            "version": station.version,
        }
        self._listener: socket.socket | None = None
        self._closing = threading.Event()
        self._lock = threading.Lock()
        self._open: dict[str, set[Connection]] = {lane: set() for lane in LANES}
        self._threads: list[threading.Thread] = []
        wizard = station.calibration_wizard
        self.ops = {
            "status": lambda: station.status(),
            "start_drill": lambda patient_id, drill, params=None, program=None: station.start_drill(
                patient_id, drill, params, tuple(program) if program else None
            ),
            "zero_tilt": lambda: station.zero_tilt(),
            "mark_failed": lambda: station.mark_attempt_failed(),
            "platform_holder": lambda: station.platform_holder(),
            "loadcell_rate_sps": lambda: station.loadcell_rate_sps(),
            "sim_fault": lambda device, fault: station.inject_simulated_fault(device, fault),
            "sim_person": lambda on_platform: station.set_simulated_person(on_platform),
            "log_lines": lambda n: station.log_lines(n),
            "wizard.state": wizard.state,
            "wizard.start": wizard.start,
            "wizard.place": wizard.place_simulated,
            "wizard.measure": wizard.measure,
            "wizard.save": wizard.save,
            "wizard.close": wizard.close,
        }

    # --- lifecycle ---------------------------------------------------------------------------
    def start(self) -> None:
        """Listen (a stale socket file of a dead core is replaced; the run lock makes sure no
        other core lives) with mode 0660, and accept connections on a thread of their own."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.unlink(missing_ok=True)
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM | socket.SOCK_CLOEXEC)
        listener.bind(os.fspath(self.path))
        os.chmod(self.path, 0o660)
        listener.listen(16)
        listener.settimeout(ACCEPT_POLL_S)
        self._listener = listener
        self._spawn(self._accept, "core-socket")
        log.info("core listening on %s", self.path)

    def close(self, timeout_s: float = 5.0) -> None:
        """Stop accepting, close every connection (the panel sees the core go), remove the
        socket file; safe to call twice."""
        if self._closing.is_set():
            return
        self._closing.set()
        with self._lock:
            connections = [c for lane in self._open.values() for c in lane]
        for connection in connections:
            connection.close()
        for thread in self._threads:
            thread.join(timeout_s)
            if thread.is_alive():
                log.warning(
                    "core socket thread %s did not stop within %g s", thread.name, timeout_s
                )
        if self._listener is not None:
            self._listener.close()
        self.path.unlink(missing_ok=True)

    def _spawn(self, target, name: str, *args) -> None:
        thread = threading.Thread(target=target, args=args, name=name, daemon=True)
        self._threads = [t for t in self._threads if t.is_alive()] + [thread]
        thread.start()

    def _accept(self) -> None:
        while not self._closing.is_set():
            try:
                sock, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError as exc:
                if not self._closing.is_set():
                    log.error("the core's socket stopped accepting: %s", exc)
                return
            self._spawn(self._serve, "core-connection", Connection(sock))

    # --- one connection ----------------------------------------------------------------------
    def _serve(self, connection: Connection) -> None:
        lane = None
        try:
            hello = connection.receive(HELLO_TIMEOUT_S)
            lane = hello.get("lane")
            refused = self._admit(connection, lane)
            if refused:
                connection.send({"ok": False, "error": error_body(refused)}, SEND_TIMEOUT_S)
                return
            connection.send({"ok": True, "result": {"lane": lane, "core": self.identity}})
            if lane == "live":
                self._serve_live(connection)
            else:
                self._serve_requests(connection, lane)
        except (OSError, ValueError) as exc:  # the panel went, or spoke out of turn
            if not self._closing.is_set():
                log.debug("core connection (%s lane) ended: %s", lane, exc)
        finally:
            with self._lock:
                self._open.get(lane, set()).discard(connection)
            connection.close()

    def _admit(self, connection: Connection, lane) -> StationError | None:
        """Count the connection in its lane; the error to answer when it cannot be."""
        if lane not in LANES:
            return StationError(f"unknown lane {lane!r}: one of {', '.join(LANES)}")
        with self._lock:
            if self._closing.is_set():
                return BusyError("the core is shutting down")
            if len(self._open[lane]) >= MAX_CONNECTIONS[lane]:
                return BusyError(f"the core has {MAX_CONNECTIONS[lane]} {lane} connections open")
            self._open[lane].add(connection)
        return None

    def _serve_requests(self, connection: Connection, lane: str) -> None:
        """Answer requests in order until the panel closes the connection."""
        while not self._closing.is_set():
            request = connection.receive()
            reply = {"id": request.get("id")}
            try:
                reply.update(ok=True, result=self._run(lane, request))
            except Exception as exc:
                if not isinstance(exc, StationError):
                    log.exception("the core failed on %s", request.get("op"))
                reply.update(ok=False, error=error_body(exc))
            connection.send(reply, SEND_TIMEOUT_S)

    def _run(self, lane: str, request: dict):
        op, args = request.get("op"), request.get("args") or {}
        if lane == "stop":
            if op != "stop":
                raise StationError(f"the stop lane only stops, not {op!r}")
            trial_id = self.station.stop_drill(args.get("reason", STOPPED_BY_THERAPIST))
            return {"stopped": True, "trial_id": trial_id}
        if op not in self.ops:
            raise StationError(f"unknown op {op!r}")
        return self.ops[op](**args)

    def _serve_live(self, connection: Connection) -> None:
        """Write a live message every ~50 ms until the feed or the connection closes."""
        subscription = self.station.subscribe()
        try:
            for text in live_messages(subscription, self.station.live_state):
                connection.send(text, SEND_TIMEOUT_S)
        finally:
            subscription.close()
