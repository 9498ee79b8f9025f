"""Keeps one device running through faults: catches its errors, counts them by kind, and
re-initialises it with back-off until it answers again.

Drivers raise whatever their bus and chip produce (OSError errno 121 for a NACK, the adafruit
BNO08x driver's KeyError or IndexError on garbled bytes, our DeviceTimeoutError for a chip gone
silent); ``classify_fault`` names each kind, and ``SupervisedDevice.poll()`` never raises for
them: it returns None while the device is down and the station keeps running on the rest.
"""

import errno
import logging
import time
from collections.abc import Callable

from hw.errors import BadDataError, CalibrationError, DeviceNotFoundError

log = logging.getLogger(__name__)

FIRST_RETRY_S = 0.1
MAX_RETRY_S = 0.5  # with a re-initialisation under 1.5 s, recovery stays within 2 s

FAULT_KINDS = (
    "nack",  # the chip did not acknowledge (errno 121): unplugged, unpowered, wrong address
    "bus-error",  # any other I/O error on the bus
    "bad-data",  # impossible bytes: all 0xFF, a dropped bit (clock stretching), bad lengths
    "timeout",  # the chip stopped converting or reporting
    "not-found",  # no chip, or the wrong chip, at start-up or re-initialisation
    "calibration",  # the chip's own calibration failed
    "driver-error",  # the driver gave up (RuntimeError)
    "other",  # anything else: a bug, logged with its traceback
)


def classify_fault(exc: BaseException) -> str:
    """The fault kind of ``exc`` (one of FAULT_KINDS)."""
    if isinstance(exc, DeviceNotFoundError):
        return "not-found"
    if isinstance(exc, CalibrationError):
        return "calibration"
    if isinstance(exc, BadDataError | KeyError | IndexError):
        return "bad-data"
    if isinstance(exc, TimeoutError):
        return "timeout"
    if isinstance(exc, OSError):
        return "nack" if exc.errno == errno.EREMOTEIO else "bus-error"
    if isinstance(exc, RuntimeError):
        return "driver-error"
    return "other"


class SupervisedDevice:
    """Wraps a device with ``begin()``, ``poll()``, ``status()`` and ``close()``.

    States: 'starting' (not yet up), 'ready', 'recovering' (down, retrying with back-off
    from ``FIRST_RETRY_S`` doubling to ``MAX_RETRY_S``) and 'closed'. Faults are counted per kind;
    the first fault of an outage and the recovery are logged, not every retry.
    """

    def __init__(self, device, name: str, clock: Callable[[], float] = time.monotonic):
        self.device = device
        self.name = name
        self._clock = clock
        self.state = "starting"
        self.faults = dict.fromkeys(FAULT_KINDS, 0)
        self.recoveries = 0
        self.last_error: str | None = None
        self._retry_at = 0.0
        self._retry_s = FIRST_RETRY_S
        self._down_since: float | None = None

    def start(self) -> bool:
        """Bring the device up now; on failure log why and retry from ``poll()``. True if up."""
        return self._begin(self._clock())

    def poll(self):
        """The device's ``poll()`` result, or None while it is down (faults handled here)."""
        if self.state == "closed":
            return None
        now = self._clock()
        if self.state != "ready" and (now < self._retry_at or not self._begin(now)):
            return None
        try:
            return self.device.poll()
        except Exception as exc:
            self._fault(exc, self._clock(), "poll")
            return None

    def _begin(self, now: float) -> bool:
        try:
            self.device.begin()
        except Exception as exc:
            self._fault(exc, now, "start")
            return False
        if self._down_since is not None:
            self.recoveries += 1
            log.info(
                "%s recovered after %.2f s (%s)",
                self.name,
                self._clock() - self._down_since,
                self._count_text(),
            )
        self.state = "ready"
        self._down_since = None
        self._retry_s = FIRST_RETRY_S
        return True

    def _fault(self, exc: Exception, now: float, during: str) -> None:
        kind = classify_fault(exc)
        self.faults[kind] += 1
        self.last_error = f"{kind}: {exc}"
        if self._down_since is None:
            self._down_since = now
            log.log(
                logging.ERROR if kind == "other" else logging.WARNING,
                "%s fault during %s (%s): %s; retrying",
                self.name,
                during,
                kind,
                exc,
                exc_info=kind == "other",
            )
        if self.state == "recovering":
            self._retry_s = min(self._retry_s * 2, MAX_RETRY_S)
        else:
            self._retry_s = FIRST_RETRY_S
        self.state = "recovering"
        self._retry_at = now + self._retry_s

    def _count_text(self) -> str:
        return ", ".join(f"{n} {kind}" for kind, n in self.faults.items() if n) or "no faults"

    def status(self) -> dict:
        """The device's own status plus supervision: state, fault counts, last error."""
        return {
            **self.device.status(),
            "state": self.state,
            "faults": {kind: n for kind, n in self.faults.items() if n},
            "faults_total": sum(self.faults.values()),
            "recoveries": self.recoveries,
            "last_error": self.last_error,
        }

    def close(self) -> None:
        """Close the device; safe to call twice."""
        if self.state == "closed":
            return
        self.state = "closed"
        self.device.close()
