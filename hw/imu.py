"""The BNO08x IMU (BNO085/BNO086) through the unmodified adafruit_bno08x driver.

``begin()`` builds the driver (soft reset twice with 0.5 s sleeps inside the driver, product
ID) and enables the game rotation vector and the accelerometer; ``poll()`` never waits: it
decodes whatever reports the chip has queued. The driver does not expose the chip's report
timestamps and keeps the oldest of several reports of one kind in a packet, so a sample is
timed by the poll that first saw it, and polling faster than ``rate_hz`` keeps the lag short.
The driver's own errors (KeyError, IndexError on garbled bytes, RuntimeError, OSError) pass
through ``poll()`` for the caller's supervisor to classify; the driver prints to stdout on
all-0xFF headers and on packets it cannot parse. Not thread-safe: one thread owns the device.
"""

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from adafruit_bno08x import BNO_REPORT_ACCELEROMETER, BNO_REPORT_GAME_ROTATION_VECTOR
from adafruit_bno08x.i2c import BNO08X_I2C

from hw.errors import DeviceClosedError, DeviceNotFoundError, DeviceTimeoutError

DEFAULT_ADDRESS = 0x4A  # 0x4B with the address pin (SA0/DI) high
MAX_RATE_HZ = 400.0  # fastest game rotation vector
_NOT_FOUND = "No I2C device at address"  # adafruit_bus_device's ValueError when the probe fails


@dataclass(frozen=True)
class ImuSample:
    """One reading: ``quaternion`` (x, y, z, w) of the sensor relative to the game frame (z up,
    arbitrary heading), ``accel_m_s2`` (x, y, z) in sensor axes, gravity included; ``t_s`` is
    when a poll first saw these values, ``fresh`` whether this poll saw them first."""

    t_s: float
    quaternion: tuple[float, float, float, float]
    accel_m_s2: tuple[float, float, float]
    fresh: bool


class BNO08xIMU:
    """A BNO08x at ``address`` on ``i2c`` (a busio.I2C-like object such as ``SMBusI2C``),
    reporting at ``rate_hz``; ``clock`` times samples and the ``stale_after_s`` watchdog."""

    def __init__(
        self,
        i2c,
        *,
        address: int = DEFAULT_ADDRESS,
        rate_hz: float = 100.0,
        clock: Callable[[], float] = time.monotonic,
        bus_name: str = "/dev/i2c-1",
        stale_after_s: float = 0.5,
    ):
        if not 0 < rate_hz <= MAX_RATE_HZ:
            raise ValueError(f"BNO08x rate_hz must be in (0, {MAX_RATE_HZ:g}] Hz, got {rate_hz!r}")
        if not stale_after_s > 0:
            raise ValueError(f"BNO08x stale_after_s must be positive, got {stale_after_s!r}")
        self._i2c = i2c
        self.address = address
        self.rate_hz = rate_hz
        self._clock = clock
        self.bus_name = bus_name
        self.stale_after_s = stale_after_s
        self.samples = 0  # fresh samples since construction
        self._driver: BNO08X_I2C | None = None
        self._state = "not-started"
        self._values: tuple | None = None  # (quaternion, accel) of the newest fresh sample
        self._values_t = 0.0
        self._fresh_times: deque[float] = deque(maxlen=max(2, round(rate_hz)) + 1)  # ~1 s

    @property
    def where(self) -> str:
        """Address and bus, for messages: '0x4A on /dev/i2c-1'."""
        return f"0x{self.address:02X} on {self.bus_name}"

    def begin(self) -> None:
        """(Re-)initialise the chip with a new driver object; takes about 1 s of the driver's
        sleeps. Raises DeviceNotFoundError when nothing answers at the address."""
        self._driver = None
        self._state = "failed"
        try:
            driver = BNO08X_I2C(self._i2c, address=self.address)
        except ValueError as exc:
            if not str(exc).startswith(_NOT_FOUND):
                raise
            raise DeviceNotFoundError(
                f"No IMU at {self.where}: check the wiring and that I²C is enabled"
            ) from exc
        interval_us = round(1e6 / self.rate_hz)
        driver.enable_feature(BNO_REPORT_GAME_ROTATION_VECTOR, interval_us)
        driver.enable_feature(BNO_REPORT_ACCELEROMETER, interval_us)
        self._driver = driver
        self._values = None
        self._values_t = self._clock()  # the stale watchdog also covers "no first report"
        self._fresh_times.clear()
        self._state = "ready"

    def poll(self) -> ImuSample | None:
        """The newest reading (None before the first report since ``begin()``). Raises
        DeviceTimeoutError when no fresh report came for ``stale_after_s``."""
        if self._driver is None:
            raise DeviceClosedError(
                f"IMU at {self.where} is not running ({self._state}): call begin()"
            )
        quaternion = tuple(self._driver.game_quaternion)
        accel = tuple(self._driver.acceleration)
        now = self._clock()
        values = (quaternion, accel)
        # the driver shows zeros until a sensor's first report; a quaternion is never zero
        fresh = any(quaternion) and any(accel) and values != self._values
        if fresh:
            self._values, self._values_t = values, now
            self._fresh_times.append(now)
            self.samples += 1
        elif now - self._values_t > self.stale_after_s:
            raise DeviceTimeoutError(
                f"IMU at {self.where} sent no report for {self.stale_after_s:g} s: "
                "check its cable and connectors"
            )
        if self._values is None:
            return None
        return ImuSample(self._values_t, *self._values, fresh=fresh)

    def measured_rate_hz(self) -> float | None:
        """Fresh samples per second over about the last second (None with fewer than two)."""
        times = self._fresh_times
        if len(times) < 2 or times[-1] <= times[0]:
            return None
        return (len(times) - 1) / (times[-1] - times[0])

    def status(self) -> dict:
        """Plain-dict state of the IMU (rate rounded to 0.1 Hz)."""
        rate_hz = self.measured_rate_hz()
        return {
            "state": self._state,
            "address": self.address,
            "bus": self.bus_name,
            "rate_hz": self.rate_hz,
            "measured_rate_hz": None if rate_hz is None else round(rate_hz, 1),
            "samples": self.samples,
        }

    def close(self) -> None:
        """Drop the driver (it has nothing to release); safe to call twice."""
        self._driver = None
        self._state = "closed"

    def __enter__(self):
        self.begin()
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()
