"""Keeps one device running through faults, in grades: a failed transfer is retried at once,
a persistent failure gets a light recovery where the device has one, and only then a full
re-initialisation, with back-off.

Drivers raise whatever their bus and chip produce (OSError errno 121 for a NACK, the adafruit
BNO08x driver's KeyError or IndexError on garbled bytes, our DeviceTimeoutError for a chip gone
silent, DeviceResetError for one that reset itself); ``classify_fault`` names each kind, and
``SupervisedDevice.poll()`` never raises for them: it returns None while the device is down
and the station keeps running on the rest.

1. A poll that fails with a transfer fault (a NACK, a bus error, garbled bytes, a driver
   error) is repeated at once, up to ``IMMEDIATE_RETRIES`` times: a one-off glitch costs at
   most the sample it hit, never a re-initialisation. Drivers keep what they read before the
   failure (``NAU7802Array.poll``), so a retry loses nothing else.
2. When the retries fail too, the device is down: after ``FIRST_RETRY_S`` its ``recover()``
   (when it has one, and the fault leaves the chip's configuration in place: not a reset, not
   a missing chip) tries the cheap way back: the NAU7802s checking their registers instead of
   calibrating again, the BNO08x enabling its reports without the driver's two 0.5 s resets.
   It is tried until it succeeds once in the outage; a device that fails again before any data
   flowed gets ``begin()`` from then on.
3. ``begin()`` re-initialises the device, retried with back-off from ``FIRST_RETRY_S`` doubling
   to ``MAX_RETRY_S``.

A device counts as recovered when data flows again (not when ``begin()`` returns), so a chip
that initialises but never converts is one outage, not a string of recoveries. Faults are
counted per kind, glitches retried in ``retries``, re-initialisations in ``reinits``; the
first fault of an outage and the recovery are logged, not every retry, and retried glitches
at most once a minute.
"""

import errno
import logging
import math
import time
from collections.abc import Callable

from hw.errors import BadDataError, CalibrationError, DeviceNotFoundError, DeviceResetError

log = logging.getLogger(__name__)

IMMEDIATE_RETRIES = 2
FIRST_RETRY_S = 0.1
MAX_RETRY_S = 0.5  # with a re-initialisation under 1.5 s, recovery stays within 2 s
GLITCH_LOG_S = 60.0  # retried glitches are logged at most this often
STALE_STEP_S = 0.05  # stale limits are rounded up to this

FAULT_KINDS = (
    "nack",  # the chip did not acknowledge (errno 121): unplugged, unpowered, wrong address
    "bus-error",  # any other I/O error on the bus
    "bad-data",  # impossible bytes: all 0xFF, a dropped bit (clock stretching), bad lengths
    "timeout",  # the chip stopped converting or reporting
    "reset",  # the chip reset itself (brown-out) and lost its configuration
    "not-found",  # no chip, or the wrong chip, at start-up or re-initialisation
    "calibration",  # the chip's own calibration failed
    "driver-error",  # the driver gave up (RuntimeError)
    "other",  # anything else: a bug, logged with its traceback
)
RETRIED = frozenset({"nack", "bus-error", "bad-data", "driver-error"})  # transfer faults
LIGHT = RETRIED | {"timeout"}  # faults after which the chip may still hold its configuration


def classify_fault(exc: BaseException) -> str:
    """The fault kind of ``exc`` (one of FAULT_KINDS)."""
    if isinstance(exc, DeviceNotFoundError):
        return "not-found"
    if isinstance(exc, CalibrationError):
        return "calibration"
    if isinstance(exc, DeviceResetError):
        return "reset"
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
    """Wraps a device with ``begin()``, ``poll()``, ``status()``, ``close()``, optionally
    ``recover()``, and ``recovery_budget_s()`` (seconds from its last sample to its first
    after one restart, short of the back-off: the silence that makes it a fault, the restart,
    a few periods).

    States: 'starting' (not yet up), 'ready', 'recovering' (down, restarting with back-off
    from ``FIRST_RETRY_S`` doubling to ``MAX_RETRY_S``) and 'closed'. ``status()`` says
    'recovering' until data flows again after a fault, even once the device restarted.
    """

    def __init__(self, device, name: str, clock: Callable[[], float] = time.monotonic):
        self.device = device
        self.name = name
        self._clock = clock
        self.state = "starting"
        self.faults = dict.fromkeys(FAULT_KINDS, 0)
        self.retries = 0
        self.reinits = 0
        self.recoveries = 0
        self.last_error: str | None = None
        self._retry_at = 0.0
        self._retry_s = FIRST_RETRY_S
        self._down_since: float | None = None
        self._light = False  # a light recovery may still help in this outage
        self._glitches = 0  # retried glitches not yet logged
        self._glitch_log_at = -math.inf

    def stale_limit_s(self) -> float:
        """How long the device may go without a sample before what depends on it gives up:
        its recovery budget plus the first back-off, rounded up to ``STALE_STEP_S``."""
        budget = self.device.recovery_budget_s() + FIRST_RETRY_S
        return round(math.ceil(budget / STALE_STEP_S - 1e-9) * STALE_STEP_S, 3)

    def start(self) -> bool:
        """Bring the device up now; on failure log why and retry from ``poll()``. True if up."""
        now = self._clock()
        try:
            self.device.begin()
        except Exception as exc:
            self._fault(exc, now, "start")
            return False
        self.state = "ready"
        return True

    def poll(self):
        """The device's ``poll()`` result, or None while it is down (faults handled here)."""
        if self.state == "closed":
            return None
        now = self._clock()
        if self.state != "ready" and (now < self._retry_at or not self._restart(now)):
            return None
        sample = self._poll_retrying()
        if sample is not None and self._down_since is not None:
            self._recovered()
        return sample

    def _poll_retrying(self):
        glitch = None
        for attempt in range(IMMEDIATE_RETRIES + 1):
            try:
                sample = self.device.poll()
            except Exception as exc:
                kind = classify_fault(exc)
                if attempt < IMMEDIATE_RETRIES and kind in RETRIED:
                    self.faults[kind] += 1
                    self.last_error = f"{kind}: {exc}"
                    self.retries += 1
                    glitch = (kind, exc)
                    continue
                self._fault(exc, self._clock(), "poll")
                return None
            if glitch is not None:
                self._log_glitch(*glitch)
            return sample
        raise AssertionError("unreachable: the last attempt returns or faults")

    def _restart(self, now: float) -> bool:
        """One restart attempt: ``recover()`` while a light recovery may help, else (or when
        it fails) ``begin()``. True when the device is up again."""
        steps = [("begin", self.device.begin)]
        if self._light and hasattr(self.device, "recover"):
            steps.insert(0, ("recover", self.device.recover))
        for step, call in steps:
            try:
                call()
            except Exception as exc:
                error = exc
                if step == "recover" and classify_fault(exc) not in LIGHT:
                    self._light = False  # e.g. the chip lost its configuration
                continue
            if step == "recover":
                self._light = False  # once per outage: if it fails again, re-initialise
            else:
                self.reinits += 1
            self.state = "ready"
            return True
        self._fault(error, now, "restart")
        return False

    def _recovered(self) -> None:
        self.recoveries += 1
        log.info(
            "%s recovered after %.2f s (%s)",
            self.name,
            self._clock() - self._down_since,
            self._count_text(),
        )
        self._down_since = None
        self._retry_s = FIRST_RETRY_S

    def _fault(self, exc: Exception, now: float, during: str) -> None:
        kind = classify_fault(exc)
        self.faults[kind] += 1
        self.last_error = f"{kind}: {exc}"
        if self._down_since is None:
            self._down_since = now
            self._light = kind in LIGHT
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

    def _log_glitch(self, kind: str, exc: Exception) -> None:
        self._glitches += 1
        now = self._clock()
        if now < self._glitch_log_at:
            return
        log.warning(
            "%s: %d transfer glitch(es) retried without a re-initialisation (last: %s: %s)",
            self.name,
            self._glitches,
            kind,
            exc,
        )
        self._glitches = 0
        self._glitch_log_at = now + GLITCH_LOG_S

    def _count_text(self) -> str:
        return ", ".join(f"{n} {kind}" for kind, n in self.faults.items() if n) or "no faults"

    def status(self) -> dict:
        """The device's own status plus supervision: state, fault counts by kind, glitches
        retried, re-initialisations, recoveries and the last error."""
        outage = self._down_since is not None and self.state != "closed"
        return {
            **self.device.status(),
            "state": "recovering" if outage else self.state,
            "faults": {kind: n for kind, n in self.faults.items() if n},
            "faults_total": sum(self.faults.values()),
            "retries": self.retries,
            "reinits": self.reinits,
            "recoveries": self.recoveries,
            "last_error": self.last_error,
        }

    def close(self) -> None:
        """Close the device; safe to call twice."""
        if self.state == "closed":
            return
        self.state = "closed"
        self.device.close()
