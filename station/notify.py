"""systemd notify protocol: READY, STATUS, WATCHDOG and STOPPING datagrams to $NOTIFY_SOCKET."""

import os
import socket


class SystemdNotifier:
    """Sends sd_notify messages when run by systemd; does nothing otherwise.

    The watchdog is pinged from the control loop itself, at half of ``WATCHDOG_USEC``, so a hung
    loop stops the pings and systemd restarts the service.
    """

    def __init__(self, environ=None):
        environ = os.environ if environ is None else environ
        address = environ.get("NOTIFY_SOCKET", "")
        self._address = "\0" + address[1:] if address.startswith("@") else address
        usec = environ.get("WATCHDOG_USEC", "")
        self.watchdog_interval_s = int(usec) / 2e6 if usec.isdigit() and int(usec) > 0 else None
        self._last_ping_s = -float("inf")
        self._sock = None
        self.send_errors = 0
        self.last_error: str | None = None
        if self._address:
            self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)

    @property
    def enabled(self) -> bool:
        return self._sock is not None

    def send(self, message: str) -> None:
        """Send one datagram; a lost message must never stop the station."""
        if self._sock is None:
            return
        try:
            self._sock.sendto(message.encode(), self._address)
        except OSError as exc:  # systemd gone or socket full: counted, shown in status
            self.send_errors += 1
            self.last_error = str(exc)

    def ready(self, status: str) -> None:
        self.send(f"READY=1\nSTATUS={status}")

    def status(self, status: str) -> None:
        self.send(f"STATUS={status}")

    def watchdog(self, now_s: float) -> None:
        """Ping the watchdog if half its interval has passed since the last ping."""
        if self.watchdog_interval_s and now_s - self._last_ping_s >= self.watchdog_interval_s:
            self._last_ping_s = now_s
            self.send("WATCHDOG=1")

    def stopping(self) -> None:
        self.send("STOPPING=1")

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None
