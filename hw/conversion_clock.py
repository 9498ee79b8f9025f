"""A chip's conversions numbered and timed on its own clock, disciplined to the monotonic clock.

The host never sees when a chip converted, only when a poll first found data-ready: an upper
bound. ``ConversionClock`` models conversion k as done at ``t0 + k * period`` and fits that line
by exponentially weighted least squares (memory ``MEMORY`` observations) to the middle of each
observation window, the interval between the previous look at the chip (nothing new then) and
the look that found the conversion. The windows are about one poll period wide and their phase
against the chip's sweeps as the two clocks drift, so the middle is an unbiased estimate of the
conversion time; the fitted period follows the chip's oscillator (a chip 0.5% fast gets a period
0.5% short). Until enough windows are fitted the nominal period holds (a prior worth
``PRIOR_WEIGHT`` index² units).

Each look that finds a conversion takes the next number, unless the line puts the conversion
three quarters of a period or more beyond the expected one: then the reader never saw the ones
in between (the next conversion overwrote each before a late poll), and they are counted as
lost, never silent. A window wider than one period may hold more than one conversion and is not
fitted; the newest conversion done by the look is placed on the line instead, with a tenth of a
period of doubt held against counting a loss (a loss missed there shows at the next look, so
the count stays right). Right after a (re)start, before the first narrow window, conversions
are simply counted.
"""

import math

MEMORY = 1024
PRIOR_WEIGHT = 1000.0
MAX_PERIOD_ERROR = 0.1  # the fitted period stays within 10% of the nominal one
_DECAY = 1.0 - 1.0 / MEMORY  # an observation's weight after the next one


class ConversionClock:
    """Numbers and times the conversions of one chip converting at about ``rate_hz``.

    ``seq`` is the sequence number of the newest conversion (-1 before the first; it continues
    across ``restart()``), ``t_s`` its time on the monotonic clock, ``lost`` the conversions
    lost so far and ``period_s`` the chip's period as measured.
    """

    def __init__(self, rate_hz: float):
        if not rate_hz > 0:
            raise ValueError(f"rate_hz must be positive, got {rate_hz!r}")
        self.nominal_period_s = nominal = 1.0 / rate_hz
        self._low, self._high = nominal * (1 - MAX_PERIOD_ERROR), nominal * (1 + MAX_PERIOD_ERROR)
        self.seq = -1
        self.lost = 0
        self.restart()

    def restart(self) -> None:
        """Forget the fit (the chip was re-initialised and counts afresh); numbering goes on
        from ``seq`` and the outage is not counted as lost conversions."""
        self.period_s = self.nominal_period_s
        self.t_s = math.nan
        self._k: int | None = None  # line index of the newest conversion
        self._origin = 0.0  # time the fit's y values are measured from
        self._w = self._x = self._y = self._sxx = self._sxy = 0.0

    @property
    def rate_hz(self) -> float:
        """Conversions per second of the chip as measured (nominal before any)."""
        return 1.0 / self.period_s

    def time_of(self, seq: int) -> float:
        """The time of conversion ``seq`` on the fitted line."""
        return self._line(self._k - (self.seq - seq))

    def observe(self, after_s: float | None, seen_s: float, count: int = 1) -> int:
        """Take ``count`` new conversions, the newest seen done at ``seen_s`` by a look that
        followed one at ``after_s`` finding nothing new (None when unknown). Returns how many
        conversions were lost just before them; ``seq`` and ``t_s`` then describe the newest."""
        p = self.period_s
        narrow = after_s is not None and seen_s - after_s <= p
        mid = (after_s + seen_s) / 2 if narrow else seen_s - p / 2
        k = count - 1 if self._k is None else self._k + count
        lost = 0
        if self._w > 0.0:  # a fitted line: a conversion beyond the expected one is a gap
            # narrow: the middle is within p/4 of the conversion, so a gap is 3/4 p or more;
            # wide: done by the look, with a tenth of a period of doubt against a loss
            ahead = (mid - self._line(k)) / p + 0.25 if narrow else None
            gap = (seen_s - self._line(k)) / p - 0.1 if ahead is None else ahead
            lost = max(0, math.floor(gap))
            k += lost
        else:  # until the first narrow window no line exists: count on from the first look
            self._origin = mid - k * p
        if narrow:
            self._fit(k, mid - self._origin)
        self._k = k
        self.seq += count + lost
        self.lost += lost
        self.t_s = self._line(k)
        return lost

    def catch_up(self, read_s: float) -> int:
        """The chip's value was read at ``read_s``, after the look that saw the newest
        conversion: if the line puts newer ones before the read (with the tenth of a period of
        doubt), the value is the newest of them and the ones between were lost. Returns how
        many were lost."""
        if self._k is None or self._w == 0.0:
            return 0
        lost = max(0, math.floor((read_s - self._line(self._k + 1)) / self.period_s - 0.1) + 1)
        if lost:
            self._k += lost
            self.seq += lost
            self.lost += lost
            self.t_s = self._line(self._k)
        return lost

    def _fit(self, x: float, y: float) -> None:
        """Add (index, time) to the exponentially weighted fit and refresh the period."""
        decay = _DECAY
        self._w = self._w * decay + 1.0
        dx = x - self._x
        self._x += dx / self._w
        dy = y - self._y
        self._y += dy / self._w
        self._sxx = self._sxx * decay + dx * (x - self._x)
        self._sxy = self._sxy * decay + dx * (y - self._y)
        nominal = self.nominal_period_s
        period = (self._sxy + PRIOR_WEIGHT * nominal) / (self._sxx + PRIOR_WEIGHT)
        low, high = self._low, self._high  # the period's bounds (a chip's 10%)
        self.period_s = min(high, max(low, period))

    def _line(self, k: float) -> float:
        return self._origin + self._y + self.period_s * (k - self._x)
