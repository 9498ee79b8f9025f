"""The simulated platform's corner forces, sent ahead from the core to the load-cell process,
or taken on the same grid in one process.

In real time the load cells are read in a process of their own (``station.runtime.acquisition``);
in simulation its emulated chips must convert what the simulated person, who lives in the core
beside the cues they follow, puts on the platform. Once per control-loop tick the core's
``ForceFeed`` writes each corner's force on a grid of ``STEP_S`` up to ``LEAD_S`` ahead of its
clock, and again from the time of any change since the last tick (a command to the person, a
test mass placed or removed); the load-cell process's ``FedForces`` takes the points as they come
and interpolates between them, as the person's own sway is interpolated between its integration
steps. A conversion later than the newest point holds it and is counted in ``underruns``: the
core's loop was held up for longer than ``LEAD_S``.

The points travel through a pipe as fixed-size records (grid index, four forces in N), in
writes of at most PIPE_BUF (atomic: a point is never split), never blocking the writer: a full
pipe (a load-cell process that stopped reading) keeps them to send on the next tick.

Chips in the platform's own process (a virtual clock, ``run --single-process``) take the forces
from ``GridForces``: the same grid and interpolation, without the pipe, so the two paths convert
the same forces and the person's load is worked out once per grid point for all four corners.
"""

import math
import os
import select
import struct

from hw.record_pipe import RecordReader

STEP_S = 0.005  # the grid: the person's sway is integrated at this step too (hw.sim.sway.STEP_S)
LEAD_S = 0.1  # how far ahead of the core's clock the forces are sent
KEPT_S = 2.0  # points older than this behind the newest are forgotten by the reader
POINT = struct.Struct("<q4d")  # grid index (t = index * STEP_S), then FL, FR, BL, BR force N
CHUNK_POINTS = select.PIPE_BUF // POINT.size  # a write this size is atomic: never half a point


class ForceFeed:
    """Writes ``platform``'s corner forces ahead to a pipe (``attach`` its write end)."""

    def __init__(self, platform):
        self._platform = platform
        self._fd: int | None = None
        self._attached: int | None = None  # a new pipe, taken up at the next step
        self._next_k: int | None = None  # the first grid point not yet written
        self.points = 0

    def attach(self, fd: int) -> None:
        """Write to ``fd`` (non-blocking) from the next ``step`` on, from its time."""
        os.set_blocking(fd, False)
        self._attached = fd

    def step(self, t_s: float, lead_s: float = LEAD_S) -> None:
        """Write the points from the first unsent one (or from a change since the last step)
        to ``lead_s`` ahead of ``t_s`` (the clock's time)."""
        if self._attached is not None:
            self._fd, self._attached, self._next_k = self._attached, None, None
        changed_s = self._platform.take_change_s(t_s)
        if self._fd is None:
            return
        first = self._next_k
        if first is None:  # from a little before: a conversion read now was done then
            first = math.floor((t_s - LEAD_S) / STEP_S)
        if changed_s is not None:
            first = min(first, math.floor(changed_s / STEP_S))
        last = math.floor((t_s + lead_s) / STEP_S)
        corner_force_n = self._platform.corner_force_n
        for start in range(first, last + 1, CHUNK_POINTS):
            end = min(start + CHUNK_POINTS, last + 1)
            data = b"".join(
                POINT.pack(k, *(corner_force_n(i, k * STEP_S) for i in range(4)))
                for k in range(start, end)
            )
            try:
                os.write(self._fd, data)  # at most PIPE_BUF: written whole or not at all
            except BlockingIOError:
                self._next_k = start
                return
            except OSError:  # the reader is gone: a new pipe comes with the next process
                self._fd = None
                return
            self.points += end - start
        self._next_k = max(last + 1, first)


class GridForces:
    """The platform's corner forces on the feed's grid, interpolated between its points, for
    emulated chips in the platform's own process (a virtual clock, ``run --single-process``):
    what the load-cell process's chips see through the feed, without the pipe. A grid point is
    worked out once for the four corners, so the person's load is computed once per ``STEP_S``
    rather than at every conversion of every corner (1,280 a second at 320 SPS); a change of
    the forces (a command to the person, a test mass) drops the points from its time on, as
    the feed sends them again."""

    def __init__(self, platform):
        self._platform = platform
        self._points: dict[int, tuple[float, ...]] = {}

    def corner_force_n(self, index: int, t_s: float) -> float:
        """Force on corner ``index`` at ``t_s``: linear between the grid points around it."""
        changed_s = self._platform.take_change_s(t_s)
        if changed_s is not None:
            first = math.floor(changed_s / STEP_S)
            self._points = {k: point for k, point in self._points.items() if k < first}
        x = t_s / STEP_S
        k = math.floor(x)
        points = self._points
        before, after = points.get(k), points.get(k + 1)
        if before is None:
            before = self._point(k)
        if after is None:
            after = self._point(k + 1)
        return before[index] + (after[index] - before[index]) * (x - k)

    def _point(self, k: int) -> tuple[float, ...]:
        corner_force_n, t_s = self._platform.corner_force_n, k * STEP_S
        point = self._points[k] = tuple(corner_force_n(i, t_s) for i in range(4))
        _forget_behind(self._points, k)
        return point


class FedForces:
    """The corner forces read from a ``ForceFeed``'s pipe at ``fd``; ``refresh()`` takes what
    came, ``corner_force_n(index, t_s)`` interpolates it."""

    def __init__(self, fd: int):
        self._pipe = RecordReader(fd, POINT.size)
        self._points: dict[int, tuple[float, ...]] = {}
        self._newest: int | None = None
        self.underruns = 0  # conversions later than the newest point

    def refresh(self) -> None:
        """Take every point written since the last call; a point written again replaces the
        one before (the forces changed from its time)."""
        for k, *forces in POINT.iter_unpack(self._pipe.read()):
            self._points[k] = tuple(forces)
            if self._newest is None or k > self._newest:
                self._newest = k
        if self._newest is not None:
            _forget_behind(self._points, self._newest)

    def corner_force_n(self, index: int, t_s: float) -> float:
        """Force on corner ``index`` at ``t_s``: linear between the grid points around it,
        the newest held beyond it (counted), 0 before any point came (a chip latching a
        conversion as it starts, before the station does: none of those is read)."""
        x = t_s / STEP_S
        k = math.floor(x)
        before, after = self._points.get(k), self._points.get(k + 1)
        if before is not None and after is not None:
            return before[index] + (after[index] - before[index]) * (x - k)
        if self._newest is None:
            return 0.0
        self.underruns += 1
        nearest = min(max(k, min(self._points)), self._newest)
        return self._points.get(nearest, self._points[self._newest])[index]


def _forget_behind(points: dict[int, tuple[float, ...]], newest: int) -> None:
    """Drop the grid points more than KEPT_S behind point ``newest``, once they are twice as
    many as that span holds (so the cost is spread over many points)."""
    if len(points) > 2 * KEPT_S / STEP_S:
        oldest = newest - round(KEPT_S / STEP_S)
        for k in [k for k in points if k < oldest]:
            del points[k]
