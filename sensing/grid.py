"""Conversions on each chip's own clock, brought to points on a fixed time grid for Frames.

Every load-cell conversion arrives with its time on the monotonic clock, disciplined from the
chip's own count (four NAU7802s are four oscillators), and the IMU's reports likewise. The
control loop wants one Frame per ``1 / rate_hz`` at exactly ``k / rate_hz``, whatever the
loop's own jitter: ``FrameGrid`` builds the points ``k / rate_hz`` once the conversions around
them have arrived, so the time axis of what is recorded and scored comes from the sensors, and
a late tick builds every point it missed, in order.

Each corner is resampled to the grid time on its own (``Resampler``):

- faster than the grid (NAU7802, 320 SPS to 100 Hz): an anti-alias low-pass below the grid's
  Nyquist frequency, then the value at the grid time, in one FIR step: the conversions within
  ``HALF_WIDTH_PERIODS`` grid periods (±20 ms at 100 Hz) weighted by a Hann-windowed sinc with
  cutoff ``CUTOFF_FRACTION`` of the grid rate (40 Hz at 100 Hz), weights summing to 1, so a
  missing conversion does not bias the value. At 320 SPS: flat within 0.1 dB to 5 Hz, -0.3 dB
  at 10 Hz, -3 dB near 30 Hz, -10 dB at 50 Hz and at least -43 dB from 80 Hz up (the band that
  would fold onto 0-20 Hz at 100 Hz). Symmetric: no phase shift, 20 ms of latency.
- as fast or slower (HX711, 80 or 10 SPS to 100 Hz): linear interpolation between the two
  conversions around the grid time (the chip's own sinc filter is the anti-alias filter);
  latency up to one conversion period.

A point waits for every corner to have a conversion past its time plus the filter's reach. A
corner (or the whole array) that sends nothing is not waited for beyond ``late_after_s``: the
point is built with what there is (the silent corner holding its newest value) and marked not
fresh, so the loop still steps a drill, which then aborts on its stale limit. A point whose
conversions arrive after a silence (the corner came back) is not fresh either: less than half
of its filter window was there, or its two conversions are more than ``GAP_PERIODS`` periods
apart; the conversions either side, interpolated, stand in. A lost conversion or two is no
gap.
"""

import math
from collections import deque
from dataclasses import dataclass

CUTOFF_FRACTION = 0.4
HALF_WIDTH_PERIODS = 2.0
MIN_WAIT_S = 0.1  # a point waits at least this long for a late corner (a busy reader thread)
MAX_CATCH_UP_S = 1.0  # points further behind than this are skipped (a suspended process)
GAP_PERIODS = 2.5  # conversions further apart than this are a gap, not a lost conversion or two


class Resampler:
    """One corner's conversions (time s, value), resampled to grid times (see the module)."""

    def __init__(self, rate_hz: float, grid_rate_hz: float):
        self.max_gap_s = GAP_PERIODS / rate_hz
        self.decimates = rate_hz > grid_rate_hz
        self.cutoff_hz = CUTOFF_FRACTION * grid_rate_hz
        self.half_width_s = HALF_WIDTH_PERIODS / grid_rate_hz
        self.reach_s = self.half_width_s if self.decimates else 0.0
        self._t: deque[float] = deque()
        self._v: deque[float] = deque()

    @property
    def newest_t(self) -> float:
        """Time of the newest conversion (-inf before the first)."""
        return self._t[-1] if self._t else -math.inf

    def push(self, t_s: float, value: float) -> None:
        """Add a conversion; one not newer than the last is ignored."""
        if t_s > self.newest_t:
            self._t.append(t_s)
            self._v.append(value)

    def covers(self, t_s: float) -> bool:
        """True once every conversion the value at ``t_s`` depends on has arrived."""
        return self.newest_t >= t_s + self.reach_s

    def value_at(self, t_s: float) -> tuple[float | None, bool]:
        """The corner's value at ``t_s`` (None before any conversion) and whether it came from
        conversions around ``t_s``: False when it is held (after the newest conversion, or
        before the oldest) or bridges a gap (the corner was silent there: the conversions
        either side, interpolated, stand in)."""
        if not self._t:
            return None, False
        self._forget_before(t_s - self.half_width_s)
        if self.decimates:
            value = self._filtered(t_s)
            if value is not None:
                return value, True
        return self._interpolated(t_s)

    def _filtered(self, t_s: float) -> float | None:
        fc, w = self.cutoff_hz, self.half_width_s
        total = weights = 0.0
        for t, v in zip(self._t, self._v, strict=True):
            tau = t - t_s
            if tau <= -w:
                continue
            if tau >= w:
                break
            x = 2.0 * fc * tau
            sinc = math.sin(math.pi * x) / (math.pi * x) if x else 1.0
            weight = sinc * (0.5 + 0.5 * math.cos(math.pi * tau / w))
            total += weight * v
            weights += weight
        return total / weights if weights > 0.5 else None  # too little of the window: a gap

    def _interpolated(self, t_s: float) -> tuple[float, bool]:
        times, values = self._t, self._v
        if t_s >= times[-1]:
            return values[-1], False
        if t_s <= times[0]:
            return values[0], False
        later = next(i for i, t in enumerate(times) if t >= t_s)
        t0, t1 = times[later - 1], times[later]
        v0, v1 = values[later - 1], values[later]
        value = v0 + (v1 - v0) * (t_s - t0) / (t1 - t0)
        return value, t1 - t0 <= self.max_gap_s and not self.decimates

    def _forget_before(self, t_s: float) -> None:
        times, values = self._t, self._v
        while len(times) > 2 and times[1] < t_s:
            times.popleft()
            values.popleft()


@dataclass(frozen=True)
class GridPoint:
    """What one Frame is built from. ``counts``: each corner's value at ``t_s`` (raw counts,
    resampled; None until every corner has converted once); ``fresh``: every corner's value
    came from conversions around ``t_s`` (none held); ``imu``: the newest IMU sample at or
    before ``t_s`` if no older than the IMU's limit, else None; ``conversions`` and ``lost``:
    the load-cell conversions done in (previous point, ``t_s``] and those lost there, over all
    corners; ``seq``: each corner's newest conversion at or before ``t_s`` (-1 before any)."""

    t_s: float
    counts: tuple[float, float, float, float] | None
    fresh: bool
    imu: object | None
    conversions: int
    lost: int
    seq: tuple[int, int, int, int]


class FrameGrid:
    """Builds ``GridPoint``s every ``1 / rate_hz`` s from load cells converting at
    ``sensor_rate_hz`` and IMU samples no older than ``imu_max_age_s``."""

    def __init__(self, rate_hz: float, sensor_rate_hz: float, *, imu_max_age_s: float = 0.0):
        self.rate_hz = rate_hz
        self._corners = tuple(Resampler(sensor_rate_hz, rate_hz) for _ in range(4))
        reach_s = self._corners[0].reach_s
        self.late_after_s = reach_s + max(MIN_WAIT_S, 4.0 / sensor_rate_hz)
        self.imu_max_age_s = imu_max_age_s
        self._next_k: int | None = None
        self._pending: list[deque] = [deque() for _ in range(4)]  # (t, lost, seq) per corner
        self._seq = [-1] * 4
        self._imu: deque = deque()
        self._newest_imu_t = -math.inf
        self.skipped = 0  # points skipped after a stall longer than MAX_CATCH_UP_S

    def add_loadcells(self, samples) -> None:
        """Take load-cell samples (``hw.loadcells.LoadCellSample``-like: per corner ``fresh``,
        ``counts``, ``times_s``, ``seq``, ``lost``), oldest first."""
        for sample in samples:
            for i in range(4):
                if sample.fresh[i]:
                    t = sample.times_s[i]
                    self._corners[i].push(t, sample.counts[i])
                    self._pending[i].append((t, sample.lost[i], sample.seq[i]))

    def add_imu(self, samples) -> None:
        """Take IMU samples (with ``t_s``), oldest first."""
        for sample in samples:
            if sample.t_s > self._newest_imu_t:
                self._imu.append(sample)
                self._newest_imu_t = sample.t_s

    def newest_t(self, sensor: str) -> float | None:
        """Time of the newest conversion of ``sensor`` ('loadcells': of its slowest corner,
        'imu'), None before any."""
        if sensor == "imu":
            return None if math.isinf(self._newest_imu_t) else self._newest_imu_t
        newest = min(corner.newest_t for corner in self._corners)
        return None if math.isinf(newest) else newest

    def next_t_s(self, now: float) -> float:
        """The time of the next point to be built (from ``now`` on, before the first)."""
        k = self._next_k if self._next_k is not None else math.ceil(now * self.rate_hz - 1e-9)
        return k / self.rate_hz

    def due(self, now: float) -> list[GridPoint]:
        """Every point not built yet whose conversions have arrived, or that waited longer
        than ``late_after_s`` for them, in time order; none later than ``now``."""
        if self._next_k is None:
            self._next_k = math.ceil(now * self.rate_hz - 1e-9)
        oldest = math.ceil((now - MAX_CATCH_UP_S) * self.rate_hz)
        if self._next_k < oldest:
            self.skipped += oldest - self._next_k
            self._next_k = oldest
        points = []
        while True:
            t = self._next_k / self.rate_hz
            if t > now:
                break
            covered = all(corner.covers(t) for corner in self._corners)
            if not covered and now - t <= self.late_after_s:
                break
            points.append(self._point(t, covered))
            self._next_k += 1
        return points

    def _point(self, t: float, covered: bool) -> GridPoint:
        values, fresh = zip(*(corner.value_at(t) for corner in self._corners), strict=True)
        counts = None if None in values else values
        fresh = covered and all(fresh)
        conversions = lost = 0
        for i, pending in enumerate(self._pending):
            while pending and pending[0][0] <= t:
                _, corner_lost, self._seq[i] = pending.popleft()
                conversions += 1
                lost += corner_lost
        return GridPoint(t, counts, fresh, self._imu_at(t), conversions, lost, tuple(self._seq))

    def _imu_at(self, t: float):
        imu = self._imu
        while len(imu) > 1 and imu[1].t_s <= t:
            imu.popleft()
        if not imu or imu[0].t_s > t or t - imu[0].t_s > self.imu_max_age_s:
            return None
        return imu[0]
