"""The BNO08x IMU (BNO085/BNO086) through the unmodified adafruit_bno08x driver.

``begin()`` builds the driver (soft reset twice with 0.5 s sleeps inside the driver, product
ID) and enables the game rotation vector and the accelerometer; ``poll()`` never waits: it
decodes whatever reports the chip has queued. The driver hides the chip's report timestamps
and keeps only the oldest of several reports of one kind in a packet, so a small subclass of it
(``ReportCountingBNO08X``) takes every report as the driver decodes it: a report is fresh
because it arrived, never because its values changed (a still, noise-free chip is alive). The
reports are numbered and timed on the chip's clock by a ``ConversionClock`` (the poll that found
them and the one before bound the newest), so reports the chip dropped are counted as lost.

The driver's own errors (KeyError, IndexError on garbled bytes, RuntimeError, OSError) pass
through ``poll()`` for the caller's supervisor to classify; a read that came back all 0xFF (the
driver prints a warning and carries on as if nothing were pending) is a BadDataError too, so
that glitch is counted like the others. ``recover()`` enables the reports again on the running
driver (what a chip that reset itself needs: the startup packets it queued, which the driver
cannot parse as reports, are dropped first), without the driver's 1 s of resets. Not
thread-safe: one thread owns the device.
"""

import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from adafruit_bno08x import BNO_REPORT_ACCELEROMETER, BNO_REPORT_GAME_ROTATION_VECTOR
from adafruit_bno08x.i2c import BNO08X_I2C

from hw.conversion_clock import ConversionClock
from hw.errors import BadDataError, DeviceClosedError, DeviceNotFoundError, DeviceTimeoutError

DEFAULT_ADDRESS = 0x4A  # 0x4B with the address pin (SA0/DI) high
MAX_RATE_HZ = 400.0  # fastest game rotation vector
STALE_PERIODS = 10  # no report for this many report intervals: the chip has stopped
STARTUP_PACKETS = 3  # a reset chip queues an advertisement, "initialised", "reset complete"
_NOT_FOUND = "No I2C device at address"  # adafruit_bus_device's ValueError when the probe fails
NO_ACCEL = (math.nan, math.nan, math.nan)


@dataclass(frozen=True)
class ImuSample:
    """One game rotation vector report: ``quaternion`` (x, y, z, w) of the sensor relative to
    the game frame (z up, arbitrary heading) and the newest accelerometer report
    ``accel_m_s2`` (x, y, z) in sensor axes, gravity included (NaN before the first one).
    ``t_s`` is the report's time on the monotonic clock, disciplined from the chip's report
    count; ``seq`` numbers it on the chip's clock, ``lost`` counts the reports lost just before
    it and ``reports`` the rotation reports this poll took (this one the newest)."""

    t_s: float
    quaternion: tuple[float, float, float, float]
    accel_m_s2: tuple[float, float, float] = NO_ACCEL
    seq: int = 0
    lost: int = 0
    reports: int = 1


class ReportCountingBNO08X(BNO08X_I2C):
    """The adafruit driver, unchanged, keeping every game rotation vector report it decodes
    and the newest accelerometer report, for ``take_reports()``. The driver decodes a packet's
    reports newest first (hence "the oldest wins"); they are kept oldest first."""

    def __init__(self, *args, **kwargs):
        self.rotations: list[tuple[float, float, float, float]] = []
        self.accel_m_s2: tuple[float, float, float] = NO_ACCEL
        self._packet: list[tuple[int, tuple]] = []  # the reports of the packet being decoded
        super().__init__(*args, **kwargs)

    def _handle_packet(self, packet) -> None:
        """The driver's own handling of one packet, then its reports in time order."""
        self._packet = []
        super()._handle_packet(packet)
        for report_id, values in reversed(self._packet):
            if report_id == BNO_REPORT_GAME_ROTATION_VECTOR:
                self.rotations.append(values)
            else:
                self.accel_m_s2 = values

    def _process_report(self, report_id: int, report_bytes: bytearray) -> None:
        """The driver's own decoding (its one hook per report), then note what it decoded."""
        super()._process_report(report_id, report_bytes)
        if report_id in (BNO_REPORT_GAME_ROTATION_VECTOR, BNO_REPORT_ACCELEROMETER):
            self._packet.append((report_id, self._readings[report_id]))

    def take_reports(self) -> list[tuple[float, float, float, float]]:
        """Decode the packets waiting and return the rotation reports that arrived since the
        last call, oldest first."""
        self._process_available_packets()
        taken, self.rotations = self.rotations, []
        return taken


class BNO08xIMU:
    """A BNO08x at ``address`` on ``i2c`` (a busio.I2C-like object such as ``SMBusI2C``),
    reporting at ``rate_hz``; ``clock`` times samples and the stale watchdog, which raises when
    no report came for ``stale_after_s`` (default ``STALE_PERIODS`` report intervals)."""

    def __init__(
        self,
        i2c,
        *,
        address: int = DEFAULT_ADDRESS,
        rate_hz: float = 100.0,
        clock: Callable[[], float] = time.monotonic,
        bus_name: str = "/dev/i2c-1",
        stale_after_s: float | None = None,
    ):
        if not 0 < rate_hz <= MAX_RATE_HZ:
            raise ValueError(f"BNO08x rate_hz must be in (0, {MAX_RATE_HZ:g}] Hz, got {rate_hz!r}")
        if stale_after_s is None:
            stale_after_s = STALE_PERIODS / rate_hz
        if not stale_after_s > 0:
            raise ValueError(f"BNO08x stale_after_s must be positive, got {stale_after_s!r}")
        self._i2c = i2c
        self.address = address
        self.rate_hz = rate_hz
        self._clock = clock
        self.bus_name = bus_name
        self.stale_after_s = stale_after_s
        self.samples = 0  # reports taken since construction
        self.reports = ConversionClock(rate_hz)
        self._driver: ReportCountingBNO08X | None = None
        self._state = "not-started"
        self._last_report_t = 0.0  # when a poll last found a report (or the start)
        self._looked: float | None = None  # the previous poll
        self._report_times: deque[float] = deque(maxlen=max(2, round(rate_hz)) + 1)  # ~1 s

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
            driver = ReportCountingBNO08X(self._i2c, address=self.address)
        except ValueError as exc:
            if not str(exc).startswith(_NOT_FOUND):
                raise
            raise DeviceNotFoundError(
                f"No IMU at {self.where}: check the wiring and that I²C is enabled"
            ) from exc
        self._enable(driver)
        self._driver = driver

    def recover(self) -> None:
        """Enable the reports again on the running driver: enough after a glitch or a chip
        that reset itself (its reports stop), without the driver's two 0.5 s resets. Raises
        what the driver raises when the chip does not answer properly: then ``begin()``."""
        driver = self._driver
        if driver is None:
            raise DeviceClosedError(f"IMU at {self.where} has no driver yet: call begin()")
        self._state = "failed"
        glitches = self._i2c.all_ff_reads
        for _ in range(STARTUP_PACKETS):  # what a chip sends after a reset is no report
            try:
                driver.take_reports()
                break
            except (KeyError, RuntimeError):  # the advertisement (KeyError 0), reset complete
                continue
        if self._i2c.all_ff_reads != glitches:  # else the driver would wait 2 s for an answer
            raise BadDataError(
                f"IMU at {self.where} still reads as all 0xFF: check its cable and connectors"
            )
        self._enable(driver)

    def _enable(self, driver: ReportCountingBNO08X) -> None:
        interval_us = round(1e6 / self.rate_hz)
        driver.enable_feature(BNO_REPORT_GAME_ROTATION_VECTOR, interval_us)
        driver.enable_feature(BNO_REPORT_ACCELEROMETER, interval_us)
        driver.take_reports()  # anything decoded while enabling came before the restart
        self.reports.restart()
        self._last_report_t = self._clock()  # the stale watchdog also covers "no first report"
        self._looked = None
        self._report_times.clear()
        self._state = "ready"

    def recovery_budget_s(self) -> float:
        """Seconds from the last report to the first after one light restart: the silence
        that makes it a fault (``stale_after_s``), enabling the reports again, the first
        report and two intervals of slack. The driver's full re-initialisation (1 s of resets)
        is left out on purpose: no tilt drill should ride through that gap."""
        return self.stale_after_s + 3 / self.rate_hz

    def poll(self) -> ImuSample | None:
        """The newest report since the last poll, or None when none came. Raises
        DeviceTimeoutError when no report came for ``stale_after_s``, BadDataError when a read
        came back all 0xFF."""
        driver = self._driver
        if driver is None:
            raise DeviceClosedError(
                f"IMU at {self.where} is not running ({self._state}): call begin()"
            )
        glitches = self._i2c.all_ff_reads
        asked = self._clock()  # a report due by now is in what the read brings
        rotations = driver.take_reports()
        now = self._clock()
        if self._i2c.all_ff_reads != glitches:
            raise BadDataError(
                f"IMU at {self.where} read as all 0xFF: it lost power or its data line for a "
                "moment; check its cable and connectors"
            )
        looked, self._looked = self._looked, now
        if not rotations:  # silent until ``asked``: a reader held up after the read is no fault
            if asked - self._last_report_t > self.stale_after_s:
                raise DeviceTimeoutError(
                    f"IMU at {self.where} sent no report for {self.stale_after_s:g} s: "
                    "check its cable and connectors"
                )
            return None
        self._last_report_t = now
        lost = self.reports.observe(looked, now, count=len(rotations))
        self.samples += len(rotations)
        self._report_times.extend(
            self.reports.time_of(self.reports.seq - i) for i in reversed(range(len(rotations)))
        )
        return ImuSample(
            self.reports.t_s,
            rotations[-1],
            driver.accel_m_s2,
            self.reports.seq,
            lost,
            len(rotations),
        )

    def measured_rate_hz(self) -> float | None:
        """Reports per second over about the last second (None with fewer than two)."""
        times = self._report_times
        if len(times) < 2 or times[-1] <= times[0]:
            return None
        return (len(times) - 1) / (times[-1] - times[0])

    def status(self) -> dict:
        """Plain-dict state of the IMU: rate rounded to 0.1 Hz, the chip's report rate as its
        clock measures it, reports taken and reports lost since construction."""
        rate_hz = self.measured_rate_hz()
        return {
            "state": self._state,
            "address": self.address,
            "bus": self.bus_name,
            "rate_hz": self.rate_hz,
            "measured_rate_hz": None if rate_hz is None else round(rate_hz, 1),
            "clock_rate_hz": round(self.reports.rate_hz, 2),
            "samples": self.samples,
            "lost_reports": self.reports.lost,
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
