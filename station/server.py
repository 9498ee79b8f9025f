"""The panel's production WSGI server (waitress), run on its own thread and stopped cleanly.

Waitress serves each request on one of a fixed pool of worker threads, and a live view holds
its thread as long as it is open. The pool is sized for both: ``threads`` for requests plus
one per allowed live view (``[panel] live_streams``, which the panel enforces), so open live
views never take the threads commands need. STOP does not even queue for the pool: a request
for ``stop_path`` is served by a thread of its own (``StopFirstDispatcher``), so it never
waits behind other requests, whatever they are. The pool's threads run ``WORKER_NICE`` above
the process (Linux keeps nice values per thread): password hashing, page rendering and live
streams yield the CPU to the thread that reads requests off the sockets and to STOP's.
"""

import logging
import os
import queue
import threading

from waitress import create_server
from waitress.task import ThreadedTaskDispatcher

log = logging.getLogger(__name__)

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


class PanelServer:
    """Serves ``app`` on ``host:port`` with ``threads`` workers (and the STOP lane for
    ``stop_path``) until ``close()``."""

    def __init__(self, app, *, host: str, port: int, threads: int, stop_path: str):
        self._dispatcher = StopFirstDispatcher(stop_path)
        self._server = create_server(
            app,
            host=host,
            port=port,
            threads=threads,
            ident="balance-station",
            _dispatcher=self._dispatcher,  # waitress's own way in for a dispatcher (3.0)
        )
        self._dispatcher.set_thread_count(threads)
        self.host, self.port = host, self._server.effective_port
        self._closing = False
        self._thread = threading.Thread(target=self._serve, name="panel", daemon=True)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def _serve(self) -> None:
        try:
            self._server.run()
        except OSError as exc:  # its select() can see a socket that close() just shut
            if not self._closing:
                raise
            log.debug("panel server loop ended while closing: %s", exc)

    def start(self) -> None:
        self._thread.start()
        log.info("panel listening on %s", self.url)

    def close(self, timeout_s: float = 5.0) -> None:
        """Let the worker threads finish their requests, then close every socket and stop.

        End long-lived responses (live streams) first, or each holds its worker until timeout.
        """
        self._closing = True
        self._server.task_dispatcher.shutdown(timeout=timeout_s)
        self._server.close()
        self._thread.join(timeout_s)
        if self._thread.is_alive():
            log.warning("panel server thread did not stop within %.0f s", timeout_s)
