"""The panel's side of the core's socket: requests over a small pool of command connections,
STOP over a connection of its own, and the live messages relayed into the panel's feed.

The client tracks the core: ``connected`` or ``unreachable`` since when, and a restart (a new
core id in a hello). It reconnects by itself: commands on their next call, the live relay
every ``RETRY_S``; while the core is unreachable the relay publishes a message saying so, once
a second, so that open live views show it.
"""

import itertools
import json
import logging
import math
import threading
import time

from station.errors import CoreUnavailableError, StationError
from station.runtime.protocol import Connection, rebuild_error
from station.storage.database import now_iso

log = logging.getLogger(__name__)

CONNECT_TIMEOUT_S = 1.0
COMMAND_TIMEOUT_S = 5.0
STOP_TIMEOUT_S = 3.0  # the core waits up to 2 s for the loop to take the stop
LIVE_SILENCE_S = 2.0  # the core sends a live message every ~50 ms: silence means trouble
RETRY_S = 0.5
UNREACHABLE_EVERY_S = 1.0


class CoreClient:
    """Talks to the core listening at ``path``; at most ``connections`` commands at once."""

    def __init__(self, path, connections: int = 8):
        self.path = path
        self._ids = itertools.count(1)
        self._idle: list[tuple[Connection, str]] = []  # (connection, core id), newest last
        self._slots = threading.BoundedSemaphore(connections)
        self._pool_lock = threading.Lock()
        self._stop_lock = threading.Lock()
        self._stop_connection: Connection | None = None
        self._state_lock = threading.Lock()
        self._state = {
            "state": "connecting",
            "since": now_iso(),
            "id": None,
            "pid": None,
            "started_at": None,
            "restarted_at": None,
            "restarts": 0,
            "last_error": None,
        }
        self._closed = threading.Event()
        self._relay: threading.Thread | None = None

    # --- the core's state, as the panel sees it ----------------------------------------------
    def state(self) -> dict:
        """``{"state": "connecting" | "connected" | "unreachable", "since", "id", "pid",
        "started_at", "restarted_at", "restarts", "last_error"}``: the core as last seen, and
        since when it has been reachable or not (wall-clock labels)."""
        with self._state_lock:
            return dict(self._state)

    def _seen(self, core: dict) -> None:
        with self._state_lock:
            state = self._state
            if state["id"] is not None and core["id"] != state["id"]:
                state["restarted_at"] = now_iso()
                state["restarts"] += 1
                log.warning(
                    "the station's core restarted (pid %s, started %s; was pid %s)",
                    core["pid"],
                    core["started_at"],
                    state["pid"],
                )
            if state["state"] != "connected":
                if state["state"] == "unreachable":
                    log.info("the station's core answers again")
                state.update(state="connected", since=now_iso(), last_error=None)
            state.update(id=core["id"], pid=core["pid"], started_at=core["started_at"])

    def _lost(self, error: str) -> CoreUnavailableError:
        """Note that the core does not answer; the error to raise, in words."""
        with self._state_lock:
            state = self._state
            if state["state"] != "unreachable":
                if state["id"] is None:  # never reached yet: the two start side by side
                    log.info("the station's core is not answering yet (starting?): %s", error)
                else:
                    log.warning("the station's core is unreachable: %s", error)
                state.update(state="unreachable", since=now_iso())
            state["last_error"] = error
            since = state["since"]
        return CoreUnavailableError(
            f"the station's core is not answering (since {since}: {error}). It restarts by "
            "itself; if it does not, check: systemctl status balance-station"
        )

    def _open(self, lane: str, timeout_s: float) -> tuple[Connection, str]:
        """A new connection on ``lane``, its hello answered; (connection, core id)."""
        try:
            connection = Connection.open(self.path, CONNECT_TIMEOUT_S)
        except OSError as exc:
            raise self._lost(f"cannot connect to {self.path}: {exc.strerror or exc}") from None
        try:
            connection.send({"lane": lane}, timeout_s)
            hello = connection.receive(timeout_s)
        except (OSError, ValueError) as exc:
            connection.close()
            raise self._lost(f"no answer to the {lane} lane's hello: {exc}") from None
        if not hello.get("ok"):
            connection.close()
            raise rebuild_error(hello.get("error") or {})
        core = hello["result"]["core"]
        self._seen(core)
        return connection, core["id"]

    # --- commands ----------------------------------------------------------------------------
    def call(self, op: str, args: dict | None = None, timeout_s: float = COMMAND_TIMEOUT_S):
        """The result of ``op`` in the core; its StationError (the nearest class the panel
        knows) when it failed; CoreUnavailableError when the core does not answer."""
        if not self._slots.acquire(timeout=timeout_s):
            raise CoreUnavailableError(f"{op}: every connection to the core is busy")
        try:
            reply = self._exchange(op, args or {}, timeout_s)
        finally:
            self._slots.release()
        if not reply.get("ok"):
            raise rebuild_error(reply.get("error") or {})
        return reply.get("result")

    def _exchange(self, op: str, args: dict, timeout_s: float) -> dict:
        """One request and its reply, on an idle connection of the current core if there is
        one (tried once more on a fresh one if it had gone stale), else a new one."""
        connection, core_id = self._take()
        reused = connection is not None
        if connection is None:
            connection, core_id = self._open("command", timeout_s)
        request_id = next(self._ids)
        try:
            reply = connection.request(request_id, op, args, timeout_s)
        except TimeoutError:
            connection.close()
            raise self._lost(f"{op} not answered within {timeout_s:g} s") from None
        except (OSError, ValueError) as exc:
            connection.close()
            if not reused:
                raise self._lost(f"{op}: {exc}") from None
            connection, core_id = self._open("command", timeout_s)  # the old core's, gone
            try:
                reply = connection.request(request_id, op, args, timeout_s)
            except (OSError, ValueError) as again:
                connection.close()
                raise self._lost(f"{op}: {again}") from None
        with self._pool_lock:
            self._idle.append((connection, core_id))
        return reply

    def _take(self) -> tuple[Connection | None, str | None]:
        """An idle connection to the core last seen (those to an earlier one are closed)."""
        current = self.state()["id"]
        with self._pool_lock:
            while self._idle:
                connection, core_id = self._idle.pop()
                if core_id == current:
                    return connection, core_id
                connection.close()
        return None, None

    # --- STOP, on its own connection ---------------------------------------------------------
    def stop(self, reason: str) -> dict:
        """End the running drill through the stop lane (a connection and a core thread of its
        own); reconnects once if the core restarted since the last stop."""
        with self._stop_lock:
            for attempt in (1, 2):
                if self._stop_connection is None:
                    self._stop_connection, _ = self._open("stop", STOP_TIMEOUT_S)
                try:
                    reply = self._stop_connection.request(
                        next(self._ids), "stop", {"reason": reason}, STOP_TIMEOUT_S
                    )
                    break
                except (OSError, ValueError) as exc:
                    self._stop_connection.close()
                    self._stop_connection = None
                    if attempt == 2 or isinstance(exc, TimeoutError):
                        raise self._lost(f"stop: {exc}") from None
        if not reply.get("ok"):
            raise rebuild_error(reply.get("error") or {})
        return reply["result"]

    # --- the live relay ----------------------------------------------------------------------
    def start_relay(self, feed) -> None:
        """Relay the core's live messages into ``feed`` (a ``station.runtime.live.LiveFeed``) on a
        thread of its own until ``close()``."""
        self._relay = threading.Thread(target=self._run_relay, args=(feed,), name="live-relay")
        self._relay.daemon = True
        self._relay.start()

    def _run_relay(self, feed) -> None:
        noticed = -math.inf  # when open live views were last told the core is unreachable
        while not self._closed.is_set():
            try:
                connection, _ = self._open("live", CONNECT_TIMEOUT_S)
            except StationError:  # unreachable, or refused: try again shortly
                if time.monotonic() - noticed >= UNREACHABLE_EVERY_S:
                    feed.publish(self._unreachable_message())
                    noticed = time.monotonic()
                self._closed.wait(RETRY_S)
                continue
            try:
                while not self._closed.is_set():
                    feed.publish(connection.receive_text(LIVE_SILENCE_S))
            except (OSError, ValueError) as exc:
                if not self._closed.is_set():
                    self._lost(f"the live stream stopped: {exc}")
            finally:
                connection.close()

    def _unreachable_message(self) -> str:
        """A live message with no frames and nothing running, and ``core`` saying since when
        it has been unreachable (the live view shows it)."""
        message = {
            "frames": [],
            "drill": None,
            "cues": None,
            "instruction": None,
            "on_platform": False,
            "settled": False,
            "core": self.state(),
        }
        return json.dumps(message)

    def close(self) -> None:
        """Stop relaying and close every connection; safe to call twice."""
        self._closed.set()
        with self._pool_lock:
            idle, self._idle = self._idle, []
        for connection, _ in idle:
            connection.close()
        with self._stop_lock:
            if self._stop_connection is not None:
                self._stop_connection.close()
                self._stop_connection = None
        if self._relay is not None:
            self._relay.join(LIVE_SILENCE_S + 1.0)
