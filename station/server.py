"""The panel's production WSGI server (waitress), run on its own thread and stopped cleanly."""

import logging
import threading

from waitress import create_server

log = logging.getLogger(__name__)


class PanelServer:
    """Serves ``app`` on ``host:port`` with ``threads`` workers until ``close()``."""

    def __init__(self, app, *, host: str, port: int, threads: int):
        self._server = create_server(
            app, host=host, port=port, threads=threads, ident="balance-station"
        )
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
