"""The panel's production WSGI server (waitress), run on its own thread and stopped cleanly.

Waitress serves each request on one of a fixed pool of worker threads, and a live view holds
its thread as long as it is open. The pool is sized for both: ``threads`` for requests plus
one per allowed live view (``[panel] live_streams``, which the panel enforces), so open live
views never take the threads commands need. STOP does not even queue for the pool: a request
for ``stop_path`` is served by a thread of its own (``StopFirstDispatcher``), so it never
waits behind other requests, whatever they are. The pool's threads run ``WORKER_NICE`` above
the process (Linux keeps nice values per thread): password hashing, page rendering and live
streams yield the CPU to the thread that reads requests off the sockets and to STOP's.

What a client may hold of the server before it is even logged in is bounded here
(``LIMITS``; the README's *Security* section gives the figures and why): a request's headers
and body are small and held in memory only, never spooled to the SD card; one address may keep
``[panel] connections_per_address`` connections open, so one device cannot take the
connections everybody else needs (the slowloris attack: many connections, each sending a
header line now and then); and a request must arrive whole within ``REQUEST_DEADLINE_S`` of
its first byte, however steadily it trickles in. Waitress has the first and an idle timeout of
its own, not the other two: ``PanelListener`` and ``PanelChannel`` add them.
"""

import errno
import json
import logging
import os
import queue
import threading
import time

from waitress import wasyncore
from waitress.adjustments import Adjustments
from waitress.channel import HTTPChannel
from waitress.server import TcpWSGIServer
from waitress.task import ErrorTask, ThreadedTaskDispatcher

from station.errors import ConfigError

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 64 * 1024
"""The largest request body the panel takes (its biggest, a 20-step program, is a few KiB);
Flask's ``MAX_CONTENT_LENGTH`` is the same figure."""
REQUEST_DEADLINE_S = 10.0
"""A request's headers and body must all arrive within this time of its first byte."""
LIMITS = {
    "connection_limit": 256,  # every address together; past it waitress stops accepting
    "channel_timeout": 30,  # s: an idle keep-alive connection is closed
    "cleanup_interval": 1,  # s: how often idle and overdue connections are looked for
    "max_request_header_size": 16 * 1024,
    "max_request_body_size": MAX_BODY_BYTES,  # waitress answers 413 before reading more
    # a request up to these sizes stays in memory: nothing a client sends touches the disk
    "inbuf_overflow": 16 * 1024 + MAX_BODY_BYTES + 8 * 1024,
}
TOO_MANY_CONNECTIONS = (
    b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
    b"Connection: close\r\nContent-Length: %d\r\n\r\n%s"
)
WORKER_NICE = 5  # added to the pool's threads' nice value (raising it needs no privilege)


class StopFirstDispatcher(ThreadedTaskDispatcher):
    """Waitress's task dispatcher with a lane of its own for ``POST stop_path``."""

    def __init__(self, stop_path: str):
        super().__init__()
        self.stop_path = stop_path
        self._lane: queue.SimpleQueue = queue.SimpleQueue()
        self._lane_thread = threading.Thread(
            target=self._serve_lane, name="panel-stop", daemon=True
        )
        self._lane_thread.start()

    def handler_thread(self, thread_no) -> None:
        """A pool thread: at a lower priority than the request reader and the STOP lane."""
        os.setpriority(os.PRIO_PROCESS, 0, os.getpriority(os.PRIO_PROCESS, 0) + WORKER_NICE)
        super().handler_thread(thread_no)

    def add_task(self, task) -> None:
        """``task`` is a channel whose first queued request is the one to serve (waitress
        calls this with the channel's request lock held, so the list holds still)."""
        request = task.requests[0] if getattr(task, "requests", None) else None
        if request is not None and request.command == "POST" and request.path == self.stop_path:
            self._lane.put(task)
        else:
            super().add_task(task)

    def _serve_lane(self) -> None:
        while (task := self._lane.get()) is not None:
            try:
                task.service()
            except BaseException:
                log.exception("the stop lane failed to serve %r", task)

    def shutdown(self, cancel_pending=True, timeout=5) -> bool:
        self._lane.put(None)
        self._lane_thread.join(timeout)
        return super().shutdown(cancel_pending, timeout)


class JsonErrorTask(ErrorTask):
    """Waitress's own refusals (a body or headers over the limits, a malformed request) in the
    API's error format, ``{"error": {"code", "message"}}``, as every other error of the panel."""

    def execute(self):
        error = self.request.error
        if error.code == 413:
            code, message = (
                "too_large",
                (f"the request body is over the station's limit of {MAX_BODY_BYTES // 1024} KiB"),
            )
        elif error.code == 431:
            limit_kib = LIMITS["max_request_header_size"] // 1024
            code, message = "too_large", f"the request headers are over {limit_kib} KiB"
        else:
            code, message = "invalid", f"{error.reason}: {error.body}"
        body = json.dumps({"error": {"code": code, "message": message}}).encode()
        self.status = f"{error.code} {error.reason}"
        self.response_headers.append(("Content-Type", "application/json"))
        self.set_close_on_finish()
        self.content_length = len(body)
        self.write(body)


class PanelChannel(HTTPChannel):
    """One client connection: refused with a 503 when its address already holds the
    listener's ``per_address`` connections; notes when its unfinished request began; the
    server's own refusals answer as the API does."""

    error_task_class = JsonErrorTask
    request_began = 0.0  # time.monotonic() of the first byte of the request being received

    def __init__(self, server, sock, addr, adj, map=None):
        super().__init__(server, sock, addr, adj, map)
        host = addr[0] if isinstance(addr, tuple) else addr
        held = sum(1 for c in server.active_channels.values() if c.addr[0] == host)
        if held > server.per_address:
            self._refuse(server.per_address)

    def _refuse(self, per_address: int) -> None:
        """Answer 503 ``too_many_connections`` and close, without reading the request."""
        message = (
            f"this device already has {per_address} connections open to the station, its "
            "limit: close other tabs of the panel on it, or wait a moment and reload"
        )
        body = json.dumps({"error": {"code": "too_many_connections", "message": message}}).encode()
        answer = TOO_MANY_CONNECTIONS % (len(body), body)
        with self.outbuf_lock:
            self.outbufs[-1].append(answer)
            self.total_outbufs_len += len(answer)
        self.close_when_flushed = True  # and readable() is False from now on

    def received(self, data) -> bool:
        if self.request is None:
            self.request_began = time.monotonic()
        return super().received(data)

    def overdue(self, now: float) -> bool:
        """True while a request is only partly received, ``REQUEST_DEADLINE_S`` after its
        first byte (a request being served has left ``self.request``)."""
        return (
            self.request is not None
            and not self.requests
            and now - self.request_began > REQUEST_DEADLINE_S
        )


class PanelListener(TcpWSGIServer):
    """Waitress's TCP server with ``PanelChannel`` connections and, besides closing idle
    connections, closing those whose request is overdue."""

    channel_class = PanelChannel

    def __init__(self, app, *, per_address: int, **kwargs):
        self.per_address = per_address
        super().__init__(app, **kwargs)

    def maintenance(self, now):
        super().maintenance(now)  # idle connections (channel_timeout)
        monotonic = time.monotonic()
        overdue = [c for c in self.active_channels.values() if c.overdue(monotonic)]
        for channel in overdue:
            channel.will_close = True
        if overdue:
            addresses = sorted({c.addr[0] for c in overdue})
            log.warning(
                "closed %d connection(s) that sent no whole request within %g s (from %s)",
                len(overdue),
                REQUEST_DEADLINE_S,
                ", ".join(addresses[:5]) + (" ..." if len(addresses) > 5 else ""),
            )


class PanelServer:
    """Serves ``app`` on ``host:port`` with ``threads`` workers (and the STOP lane for
    ``stop_path``) until ``close()``; at most ``per_address`` connections from one address.

    A host or port the machine cannot listen on is a ConfigError naming ``[panel] host`` or
    ``[panel] port``."""

    def __init__(
        self, app, *, host: str, port: int, threads: int, stop_path: str, per_address: int
    ):
        try:
            adj = Adjustments(
                host=host, port=port, threads=threads, ident="balance-station", **LIMITS
            )
        except ValueError:  # waitress's word for a name that does not resolve
            raise ConfigError(
                f"[panel] host = {host!r} is not a name this machine can resolve: give an IP "
                "address of this machine, or fix the name"
            ) from None
        self._dispatcher = StopFirstDispatcher(stop_path)
        self._dispatcher.set_thread_count(threads)
        self._map: dict = {}
        try:
            self._listeners = [
                PanelListener(
                    app,
                    per_address=per_address,
                    map=self._map,
                    dispatcher=self._dispatcher,
                    adj=adj,
                    sockinfo=sockinfo,
                )
                for sockinfo in adj.listen
            ]
        except OSError as exc:
            self._dispatcher.shutdown(timeout=1)
            wasyncore.close_all(self._map)
            raise _listen_error(host, port, exc) from None
        first = self._listeners[0]
        self._adj = adj
        self.host, self.port = host, first.effective_port
        self._closing = False
        self._thread = threading.Thread(target=self._serve, name="panel", daemon=True)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def _serve(self) -> None:
        try:
            wasyncore.loop(
                timeout=self._adj.asyncore_loop_timeout,
                map=self._map,
                use_poll=self._adj.asyncore_use_poll,
            )
        except OSError as exc:  # its select() can see a socket that close() just shut
            if not self._closing:
                raise
            log.debug("panel server loop ended while closing: %s", exc)

    def start(self) -> None:
        self._thread.start()
        log.info("panel listening on %s", self.url)

    def close(self, timeout_s: float = 5.0) -> None:
        """Let the worker threads finish their requests, then close every connection and the
        listening sockets from the server's own thread, whose loop then ends at once.

        End long-lived responses (live streams) first, or each holds its worker until timeout.
        """
        self._closing = True
        self._dispatcher.shutdown(timeout=timeout_s)
        trigger = self._listeners[0].trigger
        try:
            trigger.pull_trigger(lambda: wasyncore.close_all(self._map, ignore_all=True))
        except OSError as exc:  # its pipe already closed (seen once in 4 runs of the fast tests)
            log.debug("panel server trigger closed before close(): %s; closing here", exc)
            wasyncore.close_all(self._map, ignore_all=True)  # the loop ends on its OSError
        self._thread.join(timeout_s)
        if self._thread.is_alive():
            log.warning("panel server thread did not stop within %.0f s", timeout_s)


def _listen_error(host: str, port: int, exc: OSError) -> ConfigError:
    """Why the panel cannot listen on ``host:port``, naming the option to change."""
    if exc.errno == errno.EADDRINUSE:
        return ConfigError(
            f"[panel] port = {port}: another program (or another station) already listens on "
            f"{host}:{port}: stop it, or choose another port"
        )
    if exc.errno == errno.EACCES:
        return ConfigError(
            f"[panel] port = {port} needs privileges this user lacks (ports below 1024): "
            "choose a port from 1024 up, e.g. 8080"
        )
    return ConfigError(
        f"[panel] host = {host!r}: the panel cannot listen there ({exc.strerror}): give an "
        "address of this machine (127.0.0.1, or 0.0.0.0 for every network)"
    )
