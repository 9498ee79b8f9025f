"""The platform's four HX711 load-cell amplifiers on one shared PD_SCK clock, polled without
blocking through gpiozero's pin API (lgpio on a Pi 5, MockFactory with emulated pins in
simulation).

All four DOUT lines are read on every clock pulse, so one 25-27 pulse train gives four samples
of the same instant. ``poll()`` clocks only when all four DOUT are low (conversions ready), so it
never waits for a conversion.

Timing. Each chip has its own oscillator, so each corner has its own ``ConversionClock``: a
poll that finds a DOUT low after one that found it high bounds that chip's conversion, and the
conversion read later (when all four are ready) is numbered and timed on it; one overwritten
while the array waited for a slower chip is counted as lost. Poll at least twice per period.

Spikes. A pulse held high for more than 60 µs (the reading thread preempted between the two
clock writes) powers every chip down mid-read: the bits from there on read as 1s and the chips
restart at A/128 after settling. The driver times every pulse on ``pulse_clock`` and drops the
whole read when one may have exceeded the datasheet's 50 µs maximum high time; that also
catches the spikes that do not look full-scale (a stall at bit 2 or later). Only a pulse longer
than the 60 µs power-down time is taken for a reset of the chips (their next conversion comes at
A/128 after settling); between 50 and 60 µs the read is dropped and the chips go on. Per corner it
rejects 0x7FFFFF and 0x800000 (saturated: the input is out of range, the number is no force)
and 0xFFFFFF, the code of a DOUT that stayed high through the read (a chip powered down or cut
off), at the price of the rare true reading of exactly -1 count, within noise of its
neighbours. A rejected corner keeps its previous value with ``fresh=False`` and is counted.
No median filter here: it would delay every sample by one period, and smoothing belongs in
``sensing``, where it serves both amplifiers and sees the ``fresh`` flags.

``begin()`` power-cycles the chips and waits (on the injected ``sleep``) for every DOUT to fall:
a chip that never converts (unplugged, unpowered) fails ``begin()`` naming its corner, so a dead
chip is never taken for a recovered one.

``close()`` leaves PD_SCK low and releases the pins. Holding it high powers the chips down, but
a released line cannot be held (lgpio makes it an input without pull), and chips that keep
converting stay warm, so a restarted daemon is not greeted by warm-up drift. ``begin()``
power-cycles the chips anyway, so whatever they did meanwhile does not matter.
"""

import time
from collections.abc import Callable, Sequence

from gpiozero import Device

from hw.conversion_clock import ConversionClock
from hw.errors import DeviceClosedError, DeviceTimeoutError
from hw.loadcells import CORNERS, LoadCellSample

SETTLING_S = {10: 0.4, 80: 0.05}  # first conversion after reset, power-up or gain change
GAIN_PULSES = {128: 25, 32: 26, 64: 27}  # pulses per read: 24 data + choice of the next input
DATA_BITS = 24
T3_MAX_HIGH_S = 50e-6  # PD_SCK high time, datasheet maximum
POWER_DOWN_S = 60e-6  # PD_SCK high longer than this powers the chips down (and resets them)
POWER_DOWN_HOLD_S = 100e-6  # begin(): PD_SCK high this long powers the chips down for sure
SATURATED = frozenset({0x7FFFFF, 0x800000})
ALL_ONES = 0xFFFFFF
STALL_PERIODS = 4  # default stall_after_s: settling plus this many conversion periods


class HX711Array:
    """Four HX711s (corner order FL, FR, BL, BR) sharing PD_SCK ``clock_pin``, DOUT on
    ``data_pins`` (BCM numbers), on gpiozero ``pin_factory`` (None: gpiozero's default).

    ``rate_sps`` is what the boards' RATE pin selects (10 or 80); ``gain`` is 128 or 64 on
    channel A, 32 on channel B. ``clock`` stamps samples and times stalls; ``pulse_clock``
    times the clock pulses and must advance on its own (real time, or a TickingClock in tests:
    under a virtual clock the power-cycle's 100 µs wait in ``begin()`` would never end);
    ``sleep`` waits on ``clock`` while ``begin()`` waits for the first conversions.
    """

    def __init__(
        self,
        pin_factory,
        *,
        clock_pin: int,
        data_pins: Sequence[int],
        rate_sps: int = 80,
        gain: int = 128,
        names: Sequence[str] = CORNERS,
        clock: Callable[[], float] = time.monotonic,
        pulse_clock: Callable[[], float] = time.perf_counter,
        sleep: Callable[[float], None] = time.sleep,
        stall_after_s: float | None = None,
    ):
        if rate_sps not in SETTLING_S:
            raise ValueError(f"HX711 rate_sps must be 10 or 80 (the RATE pin), got {rate_sps!r}")
        if gain not in GAIN_PULSES:
            raise ValueError(f"HX711 gain must be 128, 64 (channel A) or 32 (B), got {gain!r}")
        if len(data_pins) != 4 or len(names) != 4:
            raise ValueError(f"need 4 data pins and 4 names, one per corner, got {data_pins}")
        if len({clock_pin, *data_pins}) != 5:
            raise ValueError(f"clock pin {clock_pin} and data pins {data_pins} must differ")
        self.clock_pin = clock_pin
        self.data_pins = tuple(data_pins)
        self.names = tuple(names)
        self.rate_sps = rate_sps
        self.gain = gain
        self.stall_after_s = (
            SETTLING_S[rate_sps] + STALL_PERIODS / rate_sps
            if stall_after_s is None
            else stall_after_s
        )
        self._factory = pin_factory
        self._clock = clock
        self._pulse_clock = pulse_clock
        self._sleep = sleep
        self.clocks = tuple(ConversionClock(rate_sps) for _ in range(4))
        self._clk = None
        self._data: tuple = ()
        self._state = "not-started"
        self._reset_counters()

    def _reset_counters(self) -> None:
        self._latest: list[int | None] = [None] * 4
        self._next_gain = [128] * 4  # gain of each chip's coming conversion (128 after reset)
        self._samples = [0] * 4  # conversions accepted per corner
        self._rejected = [0] * 4  # spikes per corner
        self._wrong_gain = 0  # first conversions after a reset, still at A/128
        self._overruns = 0  # reads dropped for a pulse held high too long
        self._reads = 0  # reads clocked out, dropped ones included
        self._accepted = 0  # reads that gave at least one corner a new value
        self._first_t: float | None = None
        self._last_t: float | None = None
        self._quiet_since = 0.0  # clock time of the last read, or of begin()
        self.polls = 0
        for conversion_clock in self.clocks:
            conversion_clock.restart()
        self._looked_high: list[float | None] = [None] * 4  # last poll that saw DOUT high
        self._seen_low: list[float | None] = [None] * 4  # first poll that saw it low since

    def __repr__(self) -> str:
        data = "/".join(str(n) for n in self.data_pins)
        return f"<HX711Array PD_SCK GPIO{self.clock_pin}, DOUT GPIO{data}>"

    # --- life cycle ---------------------------------------------------------------------------
    def _conflicts_with(self, other) -> bool:
        """gpiozero's reservation protocol: nothing else may use these pins."""
        return True

    def begin(self) -> None:
        """Claim the pins (PD_SCK output, DOUT inputs with pull-up), power-cycle the chips
        (PD_SCK high for 100 µs, then low) and wait for their first conversions: the settling
        time (50 ms at 80 SPS, 400 ms at 10) at most ``stall_after_s``. DeviceTimeoutError names
        the chips that never converted. Call again to re-initialise after a fault."""
        self._state = "starting"
        self._reset_counters()
        try:
            if self._clk is None:
                self._claim()
            self._power_cycle()
            self._wait_first_conversions()
        except Exception:
            self._state = "failed"
            raise
        self._quiet_since = self._clock()
        self._state = "ready"

    def _wait_first_conversions(self) -> None:
        start = self._clock()
        while True:
            now = self._clock()
            levels = [pin.state for pin in self._data]
            for i, high in enumerate(levels):
                if high:
                    self._looked_high[i] = now
                elif self._seen_low[i] is None:
                    self._seen_low[i] = now
            if not any(levels):
                return
            if now - start > self.stall_after_s:
                raise self._silent_error(levels, f"within {now - start:.2f} s of power-up")
            self._sleep(0.5 / self.rate_sps)

    def _claim(self) -> None:
        if self._factory is None:
            Device.ensure_pin_factory()
            self._factory = Device.pin_factory
        pins = (self.clock_pin, *self.data_pins)
        got = []
        try:
            self._factory.reserve_pins(self, *pins)  # a clash leaves the earlier pins reserved
            for n in pins:
                got.append(self._factory.pin(n))
            got[0].output_with_state(False)
            for pin in got[1:]:
                pin.input_with_pull("up")  # an unplugged chip reads "converting", not "ready"
        except Exception:
            for pin in got:
                pin.close()
            self._factory.release_pins(self, *pins)
            raise
        self._clk, self._data = got[0], tuple(got[1:])

    def _power_cycle(self) -> None:
        now = self._pulse_clock
        self._clk.state = True
        start = now()
        while now() - start < POWER_DOWN_HOLD_S:
            pass
        self._clk.state = False

    def close(self) -> None:
        """Release the pins, leaving PD_SCK low (see the module docstring); safe to call
        twice. ``begin()`` claims them again."""
        if self._state == "closed":
            return
        self._state = "closed"
        if self._clk is None:
            return
        for pin in (*self._data, self._clk):
            pin.close()
        self._factory.release_pins(self, self.clock_pin, *self.data_pins)
        self._clk, self._data = None, ()

    def __enter__(self):
        self.begin()
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    # --- sampling -----------------------------------------------------------------------------
    def recovery_budget_s(self) -> float:
        """Seconds from the last conversion to the first after one restart: the silence that
        makes it a fault (``stall_after_s``), the settling after the power cycle, the first
        conversion and two periods of slack."""
        return self.stall_after_s + SETTLING_S[self.rate_sps] + 3 / self.rate_sps

    def poll(self) -> LoadCellSample | None:
        """Read the four chips when all have a conversion ready; a sample once every corner
        has a valid value, else None. Never waits. Raises DeviceTimeoutError when no read
        completed for ``stall_after_s``, naming the corners whose DOUT stayed high."""
        if self._state not in ("ready", "stalled"):
            raise DeviceClosedError(f"HX711 array is {self._state}: call begin() first")
        self.polls += 1
        now = self._clock()
        levels = [pin.state for pin in self._data]
        for i, high in enumerate(levels):
            if high:
                self._looked_high[i] = now
            elif self._seen_low[i] is None:
                self._seen_low[i] = now
        if any(levels):
            self._check_stall(levels)
            return None
        raws, high_s = self._shift_in()
        t_s = self._clock()
        self._state = "ready"
        self._quiet_since = t_s
        self._reads += 1
        lost = [self._observe(i, t_s) for i in range(4)]
        if high_s > T3_MAX_HIGH_S:  # the bits may be garbled: drop the whole read
            self._overruns += 1
            if high_s > POWER_DOWN_S:  # every chip powered down and restarts at A/128
                self._next_gain = [128] * 4
            return None
        fresh = [False] * 4
        for i, raw in enumerate(raws):
            at_gain = self._next_gain[i]
            self._next_gain[i] = 128 if raw == ALL_ONES else self.gain
            if raw == ALL_ONES or raw in SATURATED:
                self._rejected[i] += 1
            elif at_gain != self.gain:
                self._wrong_gain += 1
            else:
                self._latest[i] = raw - 0x1000000 if raw & 0x800000 else raw
                self._samples[i] += 1
                fresh[i] = True
        if not any(fresh):
            return None
        self._accepted += 1
        self._last_t = t_s
        if self._first_t is None:
            self._first_t = t_s
        if None in self._latest:
            return None
        clocks = self.clocks
        return LoadCellSample(
            t_s,
            tuple(self._latest),
            tuple(fresh),
            tuple(c.seq for c in clocks),
            tuple(c.t_s for c in clocks),
            tuple(lost),
        )

    def _observe(self, i: int, read_s: float) -> int:
        """Number and time chip ``i``'s conversion read at ``read_s``: the one its DOUT showed
        first, or a newer one that overwrote it while the others were not ready (then lost)."""
        clock = self.clocks[i]
        lost = clock.observe(self._looked_high[i], self._seen_low[i])
        self._looked_high[i], self._seen_low[i] = read_s, None  # nothing newer at the read
        return lost + clock.catch_up(read_s)

    def _shift_in(self) -> tuple[tuple[int, int, int, int], float]:
        """Clock 24 bits out of the four chips at once, MSB first, then the pulses that pick
        the next input. DOUT is read after each falling edge (it holds the bit until the next
        rising edge), so the clock is high only between two writes. Returns the raw 24-bit
        codes and the longest time (s) a pulse may have been high."""
        clk = self._clk
        d0, d1, d2, d3 = self._data
        now = self._pulse_clock
        c0 = c1 = c2 = c3 = 0
        high_s = 0.0
        for _ in range(DATA_BITS):
            t = now()
            clk.state = True
            clk.state = False
            high_s = max(high_s, now() - t)
            c0 = c0 << 1 | d0.state
            c1 = c1 << 1 | d1.state
            c2 = c2 << 1 | d2.state
            c3 = c3 << 1 | d3.state
        for _ in range(GAIN_PULSES[self.gain] - DATA_BITS):
            t = now()
            clk.state = True
            clk.state = False
            high_s = max(high_s, now() - t)
        return (c0, c1, c2, c3), high_s

    def _check_stall(self, levels: list) -> None:
        quiet_s = self._clock() - self._quiet_since
        if quiet_s <= self.stall_after_s:
            return
        self._state = "stalled"
        raise self._silent_error(levels, f"for {quiet_s:.2f} s")

    def _silent_error(self, levels: list, when: str) -> DeviceTimeoutError:
        high = [
            f"{name} (DOUT GPIO {pin})"
            for name, pin, level in zip(self.names, self.data_pins, levels, strict=True)
            if level
        ]
        if len(high) == 4:
            check = f"check the shared PD_SCK (GPIO {self.clock_pin}) and the boards' supply"
        else:
            check = "check " + ("its" if len(high) == 1 else "their") + " wiring and power"
        return DeviceTimeoutError(
            f"HX711 {', '.join(high)} never signalled a conversion {when}: {check}"
        )

    # --- state ----------------------------------------------------------------------------------
    def measured_rate_sps(self) -> float | None:
        """Reads that gave new values, per second since ``begin()`` (None before two); reads
        dropped for a long clock pulse or a spike on every corner do not count."""
        if self._accepted < 2 or self._last_t == self._first_t:
            return None
        return (self._accepted - 1) / (self._last_t - self._first_t)

    def status(self) -> dict:
        """Plain-dict state ('not-started', 'starting', 'ready', 'stalled', 'failed' after a
        failed ``begin()``, or 'closed'), pins, conversions and spikes per corner since
        ``begin()``, reads dropped for long clock pulses, the measured rate, each chip's rate
        as its conversion clock measures it, and the conversions lost per corner since the array
        was made."""
        rate = self.measured_rate_sps()
        names, clocks = self.names, self.clocks
        return {
            "state": self._state,
            "clock_pin": self.clock_pin,
            "data_pins": dict(zip(self.names, self.data_pins, strict=True)),
            "rate_sps": self.rate_sps,
            "gain": self.gain,
            "corner_samples": dict(zip(self.names, self._samples, strict=True)),
            "rejected_spikes": dict(zip(self.names, self._rejected, strict=True)),
            "clock_overruns": self._overruns,
            "wrong_gain_discards": self._wrong_gain,
            "measured_rate_sps": None if rate is None else round(rate, 1),
            "clock_rate_sps": dict(zip(names, (round(c.rate_hz, 2) for c in clocks), strict=True)),
            "lost_conversions": dict(zip(names, (c.lost for c in clocks), strict=True)),
            "stall_after_s": self.stall_after_s,
            "reads": self._reads,
            "polls": self.polls,
        }
