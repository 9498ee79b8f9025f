"""The platform's four load-cell amplifiers: NAU7802s behind one TCA9548A, polled without blocking.

All four chips answer at 0x2A, so each sits on its own mux channel. ``poll()`` asks each chip
whether a conversion is waiting (CR) and reads only those, so it never waits for a conversion
and can be called from the control loop or a reader thread at any rate; a reader should call it
at least twice per conversion period. Each chip has its own oscillator, so each corner has its
own ``ConversionClock``: its conversions are numbered and timed on that chip's clock (from the
look that found CR set and the look before it), and a conversion overwritten before it was read
is counted as lost. A corner with no conversion for ``STALE_PERIODS`` periods is a
DeviceTimeoutError naming it: a chip that stops converting never freezes its corner unnoticed.

``poll()`` keeps the conversions it read until it returns them: when a transfer fails midway and
the caller polls again (a retry), the corners read before the failure are not lost, and a
conversion whose read failed is read again (the chip holds it until the next one). A conversion
that reads 0xFFFFFF again is refused (``rejected_codes``): a true -1 count or a chip that let go
of SDA, which its PU_CTRL shows at the next look.
"""

import logging
import math
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass

from hw.conversion_clock import ConversionClock
from hw.errors import BadDataError, DeviceTimeoutError
from hw.nau7802 import CALIBRATION_S, CALIBRATION_TIMEOUT_S, NAU7802
from hw.tca9548a import TCA9548A

log = logging.getLogger(__name__)

CORNERS = ("front-left", "front-right", "back-left", "back-right")
STALE_PERIODS = 8  # a corner with no conversion for this many periods has stopped
NO_SEQ = (-1, -1, -1, -1)
NO_TIMES = (math.nan, math.nan, math.nan, math.nan)


@dataclass(frozen=True)
class LoadCellSample:
    """Raw counts of the four corners (front-left, front-right, back-left, back-right) read at
    ``t_s`` seconds on the array's clock; ``fresh[i]`` tells whether corner i converted anew
    since the previous sample (otherwise ``counts[i]`` repeats its newest value). Per corner,
    ``seq`` numbers the conversion in ``counts`` on that chip's clock, ``times_s`` is when it
    was done (s, monotonic clock, disciplined from the chip's count) and ``lost`` how many of
    that chip's conversions before it were never read (0 for a corner that is not fresh)."""

    t_s: float
    counts: tuple[int, int, int, int]
    fresh: tuple[bool, bool, bool, bool]
    seq: tuple[int, int, int, int] = NO_SEQ
    times_s: tuple[float, float, float, float] = NO_TIMES
    lost: tuple[int, int, int, int] = (0, 0, 0, 0)


_RECORD = struct.Struct("<d4iB4q4d4i")  # t, counts, fresh bits, seq, times, lost


def pack_sample(sample: LoadCellSample) -> bytes:
    """``sample`` as one fixed-size record (105 bytes), to pass between processes."""
    fresh = sum(1 << i for i, f in enumerate(sample.fresh) if f)
    return _RECORD.pack(
        sample.t_s, *sample.counts, fresh, *sample.seq, *sample.times_s, *sample.lost
    )


SAMPLE_RECORD_BYTES = _RECORD.size


def unpack_samples(data: bytes) -> list[LoadCellSample]:
    """The samples of whole records in ``data`` (a multiple of ``SAMPLE_RECORD_BYTES``)."""
    out = []
    for (
        t,
        c0,
        c1,
        c2,
        c3,
        bits,
        q0,
        q1,
        q2,
        q3,
        d0,
        d1,
        d2,
        d3,
        l0,
        l1,
        l2,
        l3,
    ) in _RECORD.iter_unpack(data):
        fresh = (bool(bits & 1), bool(bits & 2), bool(bits & 4), bool(bits & 8))
        out.append(
            LoadCellSample(
                t, (c0, c1, c2, c3), fresh, (q0, q1, q2, q3), (d0, d1, d2, d3), (l0, l1, l2, l3)
            )
        )
    return out


class NAU7802Array:
    """One TCA9548A and four NAU7802s (corner order FL, FR, BL, BR) on a shared I²C ``bus``.

    The bus itself belongs to the caller, who closes it after ``close()``.
    """

    def __init__(
        self,
        bus,
        *,
        channels: tuple[int, ...] = (0, 1, 2, 3),
        mux_address: int = 0x70,
        names: tuple[str, ...] = CORNERS,
        rate_sps: int = 320,
        gain: int = 128,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        bus_name: str = "/dev/i2c-1",
    ):
        if len(channels) != 4 or len(set(channels)) != 4:
            raise ValueError(f"need 4 different mux channels, one per corner, got {channels}")
        if len(names) != 4:
            raise ValueError(f"need 4 corner names, got {names}")
        self.mux = TCA9548A(bus, mux_address, bus_name=bus_name)
        self.cells = tuple(
            NAU7802(
                bus,
                mux=self.mux,
                channel=ch,
                gain=gain,
                rate_sps=rate_sps,
                clock=clock,
                sleep=sleep,
                name=name,
                bus_name=bus_name,
            )
            for ch, name in zip(channels, names, strict=True)
        )
        self.channels = tuple(channels)
        self.names = tuple(names)
        self.rate_sps = rate_sps
        self.gain = gain
        self.bus_name = bus_name
        self._clock = clock
        self._sleep = sleep
        self._state = "not-started"
        self.clocks = tuple(ConversionClock(rate_sps) for _ in range(4))
        self._reset_counters()

    def _reset_counters(self) -> None:
        self._latest: list[int | None] = [None] * 4
        self._counts = [0] * 4  # conversions read per corner
        self._rejected = [0] * 4  # conversions refused: 0xFFFFFF twice
        self._first_t: list[float | None] = [None] * 4
        self._last_t: list[float | None] = [None] * 4
        self.polls = 0
        self._restart_clocks()

    def _restart_clocks(self) -> None:
        """Restart each corner's conversion clock and staleness timer from now (after a
        (re-)initialisation or an outage: the gap is a fault, not lost conversions)."""
        now = self._clock()
        for conversion_clock in self.clocks:
            conversion_clock.restart()
        self._looked: list[float | None] = [None] * 4  # last look at each chip
        self._converted_t = [now] * 4  # last conversion read (or the restart)
        self._fresh = [False] * 4  # read since the last sample returned
        self._lost = [0] * 4
        self._waiting: list[float | None] = [None] * 4  # CR seen then, its read not done yet
        self._all_ones = [False] * 4  # the waiting conversion read as 0xFFFFFF once

    def begin(self) -> None:
        """Check the mux answers, then reset and configure every chip and calibrate all four at
        once (about 0.35 s on the chips' clock). Also re-initialises the array after a fault."""
        self._state = "starting"
        self._reset_counters()
        try:
            self.mux.forget()
            self.mux.probe()
            self.mux.disable()
            for cell in self.cells:
                cell.power_up()
            for cell in self.cells:
                cell.start_calibration()
            self._wait_calibrated()
        except Exception:
            self._state = "failed"
            raise
        self._restart_clocks()
        self._state = "ready"

    def recover(self) -> None:
        """After a bus fault: check that every chip still holds its configuration (a NACK or a
        garbled byte leaves it converting, calibrated) and go on reading without the 0.35 s
        re-initialisation. Raises DeviceResetError (or the bus error) when one does not: then
        ``begin()`` is needed."""
        self._state = "starting"
        self.mux.forget()
        for cell in self.cells:
            cell.check_configured()
        self._restart_clocks()
        self._state = "ready"

    def _wait_calibrated(self) -> None:
        deadline = self._clock() + CALIBRATION_TIMEOUT_S
        pending = list(self.cells)
        while True:
            pending = [cell for cell in pending if not cell.calibration_done()]
            if not pending:
                return
            if self._clock() >= deadline:
                names = ", ".join(cell.name for cell in pending)
                raise DeviceTimeoutError(
                    f"NAU7802 calibration of {names} did not finish within "
                    f"{CALIBRATION_TIMEOUT_S} s: check those amplifiers' power supply"
                )
            self._sleep(0.01)

    def recovery_budget_s(self) -> float:
        """Seconds from a corner's last conversion to the first after one restart: the
        silence that makes it a fault (``STALE_PERIODS``), a full re-initialisation (the
        0.344 s calibration), the first conversion and two periods of slack."""
        return (STALE_PERIODS + 3) / self.rate_sps + CALIBRATION_S

    def poll(self) -> LoadCellSample | None:
        """Read the corners with a new conversion; a sample when at least one was new and
        every corner has converted at least once, else None. Never waits."""
        self.polls += 1
        for i in range(4):
            self._poll_corner(i)
        fresh = self._fresh
        if not any(fresh) or None in self._latest:
            return None
        c0, c1, c2, c3 = self.clocks
        sample = LoadCellSample(
            self._clock(),
            tuple(self._latest),
            tuple(fresh),
            (c0.seq, c1.seq, c2.seq, c3.seq),
            (c0.t_s, c1.t_s, c2.t_s, c3.t_s),
            tuple(self._lost),
        )
        self._fresh = [False] * 4
        self._lost = [0] * 4
        return sample

    def _poll_corner(self, i: int) -> None:
        """Read corner ``i`` if it has a conversion waiting; raise if it stopped converting."""
        if self._fresh[i]:
            return  # read for the coming sample already (a retry after a failed transfer)
        clock = self.clocks[i]
        looked = self._clock()
        cell = self.cells[i]
        if self._waiting[i] is None:  # else a conversion whose read failed is read again
            if not cell.data_ready():
                self._looked[i] = looked
                quiet_s = looked - self._converted_t[i]
                if quiet_s > STALE_PERIODS * clock.period_s:
                    raise DeviceTimeoutError(
                        f"{cell.name} load cell amplifier (NAU7802 at {cell.where}) converted "
                        f"nothing for {quiet_s:.3f} s: check its supply and connectors"
                    )
                return
            self._waiting[i] = looked
        seen = self._waiting[i]
        try:
            self._latest[i] = cell.read_counts()
        except BadDataError:  # 0xFFFFFF
            if not self._all_ones[i]:
                self._all_ones[i] = True
                raise  # the caller's retry reads it again
            self._rejected[i] += 1  # again: refused, a true -1 count included
            self._lost[i] += clock.observe(self._looked[i], seen)
            self._looked[i] = self._converted_t[i] = looked
            self._waiting[i], self._all_ones[i] = None, False
            return
        self._waiting[i], self._all_ones[i] = None, False
        self._lost[i] += clock.observe(self._looked[i], seen)
        self._looked[i] = self._converted_t[i] = looked
        self._fresh[i] = True
        self._counts[i] += 1
        if self._first_t[i] is None:
            self._first_t[i] = looked
        self._last_t[i] = looked

    def measured_rate_sps(self) -> float | None:
        """Conversions read per second, averaged over the corners (None before two each)."""
        rates = []
        for n, first, last in zip(self._counts, self._first_t, self._last_t, strict=True):
            if n < 2 or last == first:
                return None
            rates.append((n - 1) / (last - first))
        return sum(rates) / len(rates)

    def status(self) -> dict:
        """Plain-dict state ('not-started', 'starting', 'ready', 'failed' after a failed
        ``begin()``, or 'closed'), per-corner conversions read since ``begin()``, the measured
        rate, each chip's rate as its conversion clock measures it, the conversions lost
        per corner since the array was made, and those refused (0xFFFFFF twice) since
        ``begin()``."""
        rate = self.measured_rate_sps()
        names, clocks = self.names, self.clocks
        return {
            "state": self._state,
            "bus": self.bus_name,
            "mux_address": self.mux.address,
            "channels": list(self.channels),
            "rate_sps": self.rate_sps,
            "gain": self.gain,
            "corner_samples": dict(zip(names, self._counts, strict=True)),
            "measured_rate_sps": None if rate is None else round(rate, 1),
            "clock_rate_sps": dict(zip(names, (round(c.rate_hz, 2) for c in clocks), strict=True)),
            "lost_conversions": dict(zip(names, (c.lost for c in clocks), strict=True)),
            "rejected_codes": dict(zip(names, self._rejected, strict=True)),
            "polls": self.polls,
        }

    def close(self) -> None:
        """Power every chip down and disconnect the mux channels; safe to call twice."""
        if self._state == "closed":
            return
        started = self._state != "not-started"
        self._state = "closed"
        for cell in self.cells:
            cell.close()
        if started:
            try:
                self.mux.disable()
            except OSError as exc:
                log.warning("could not disconnect the mux channels on close: %s", exc)

    def __enter__(self):
        self.begin()
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()
