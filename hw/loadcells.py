"""The platform's four load-cell amplifiers: NAU7802s behind one TCA9548A, polled without blocking.

All four chips answer at 0x2A, so each sits on its own mux channel. ``poll()`` asks every chip
whether a conversion is waiting (CR) and reads only those, so it never waits for a conversion
and can be called from the control loop or a reader thread at any rate.
"""

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from hw.errors import DeviceTimeoutError
from hw.nau7802 import CALIBRATION_TIMEOUT_S, NAU7802
from hw.tca9548a import TCA9548A

log = logging.getLogger(__name__)

CORNERS = ("front-left", "front-right", "back-left", "back-right")


@dataclass(frozen=True)
class LoadCellSample:
    """Raw counts of the four corners (front-left, front-right, back-left, back-right) at
    ``t_s`` seconds on the array's clock; ``fresh[i]`` tells whether corner i converted anew
    since the previous sample (otherwise ``counts[i]`` repeats its newest value)."""

    t_s: float
    counts: tuple[int, int, int, int]
    fresh: tuple[bool, bool, bool, bool]


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
        self._reset_counters()

    def _reset_counters(self) -> None:
        self._latest: list[int | None] = [None] * 4
        self._counts = [0] * 4  # conversions read per corner
        self._first_t: list[float | None] = [None] * 4
        self._last_t: list[float | None] = [None] * 4
        self.polls = 0

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

    def poll(self) -> LoadCellSample | None:
        """Read the corners with a new conversion; a sample when at least one was new and
        every corner has converted at least once, else None. Never waits."""
        self.polls += 1
        fresh = [False] * 4
        for i, cell in enumerate(self.cells):
            if cell.data_ready():
                self._latest[i] = cell.read_counts()
                fresh[i] = True
        if not any(fresh):
            return None
        t_s = self._clock()
        for i in range(4):
            if fresh[i]:
                self._counts[i] += 1
                if self._first_t[i] is None:
                    self._first_t[i] = t_s
                self._last_t[i] = t_s
        if None in self._latest:
            return None
        return LoadCellSample(t_s, tuple(self._latest), tuple(fresh))

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
        ``begin()``, or 'closed'), per-corner conversions read and the measured rate."""
        rate = self.measured_rate_sps()
        return {
            "state": self._state,
            "bus": self.bus_name,
            "mux_address": self.mux.address,
            "channels": list(self.channels),
            "rate_sps": self.rate_sps,
            "gain": self.gain,
            "corner_samples": dict(zip(self.names, self._counts, strict=True)),
            "measured_rate_sps": None if rate is None else round(rate, 1),
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
