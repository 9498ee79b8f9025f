"""systemd notify protocol: READY, STATUS, WATCHDOG and STOPPING datagrams to $NOTIFY_SOCKET."""

import os
import socket


class SystemdNotifier:
    """Sends sd_notify messages when run by systemd; does nothing otherwise.

    The watchdog is pinged from the control loop itself, at half of ``WATCHDOG_USEC``, so a hung
    loop stops the pings and systemd restarts the service. ``WATCHDOG_PID``, when set, must be
    this process (as sd_watchdog_enabled(3) checks), else the watchdog stays off.
    """

    def __init__(self, environ=None):
        environ = os.environ if environ is None else environ
        address = environ.get("NOTIFY_SOCKET", "")
        self._address = "\0" + address[1:] if address.startswith("@") else address
        usec = environ.get("WATCHDOG_USEC", "")
        pid = environ.get("WATCHDOG_PID", "")
        ours = not pid or pid == str(os.getpid())
        self.watchdog_interval_s = (
            int(usec) / 2e6 if ours and usec.isdigit() and int(usec) > 0 else None
        )
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

    def stopping(self, status: str = "stopping") -> None:
        self.send(f"STOPPING=1\nSTATUS={status}")

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None


def status_line(status: dict) -> str:
    """The one line ``systemctl status`` shows for a running station, from ``Station.status()``:
    the sampling rate (measured, rounded to 1 Hz; the target until measured), what runs, and
    any device that is not ready, e.g. "sampling at 100 Hz, running mctsib (recording); imu
    recovering". It changes only when one of those does."""
    loop = status["loop"]
    rate_hz = round(loop["measured_rate_hz"] or loop["rate_hz"])
    drill = status.get("drill")
    doing = "idle" if drill is None else f"running {drill['drill']} ({drill['phase']})"
    line = f"sampling at {rate_hz} Hz, {doing}"
    unready = [
        f"{name} {device['state']}"
        for name, device in status["devices"].items()
        if isinstance(device, dict) and device.get("state", "ready") != "ready"
    ]
    return line + ("; " + ", ".join(unready) if unready else "")
