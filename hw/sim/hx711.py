"""Emulated HX711s on gpiozero's MockFactory: a shared PD_SCK pin that reports its edges to the
chips, and one DOUT pin per chip that reads whatever its chip drives.

Modelled, per the datasheet: DOUT high while converting and low once a conversion is ready
(conversions every ``1 / rate_sps`` on the injected sim ``clock``, the first one after the
settling time: 400 ms at 10 SPS, 50 ms at 80 SPS, counted from reset or input change); each
rising edge shifts out the next bit, MSB first, of the newest conversion; the 25th, 26th and
27th pulses choose the next input (A/128, B/32, A/64; a change restarts settling); DOUT goes
high after the 25th pulse until the next conversion; PD_SCK high for more than 60 µs (timed on
``pulse_clock``, real time by default because bit-banging runs in real time even under a
virtual sim clock) powers the chip down, DOUT high, and the next falling edge resets it to A/128.
The chip's own oscillator sets the rate: ``rate_error`` -0.004 makes an 80 SPS chip convert at
79.68 SPS (its settling time stretches with it). Faults: ``inject_stall`` (a preempted pulse
mid-read) and ``unplug`` / ``plug``.

Not modelled: DOUT edges (reads are lazy, so ``when_changed`` never fires), pulses while
converting (ignored), a read left unfinished when the next conversion completes, supply and
temperature effects, the RATE pin (``rate_sps`` is fixed per chip), and the pins' edge history
(``MockPin.states`` is not kept for the clock: a simulation runs for hours at ~4000 edges/s).
"""

import math
import time
from collections.abc import Callable, Sequence

from gpiozero.pins.mock import MockPWMPin

from hw.sim.noise import gauss

SETTLING_S = {10: 0.4, 80: 0.05}  # after reset, power-up or input change
POWER_DOWN_S = 60e-6  # PD_SCK high for longer powers the chip down
DATA_BITS = 24
INPUTS = {25: ("A", 128), 26: ("B", 32), 27: ("A", 64)}  # pulses per read -> next input, gain
MAX_COUNTS, MIN_COUNTS = 0x7FFFFF, -0x800000


class TickingClock:
    """A pulse clock for deterministic runs: every reading advances it by ``step_s``, as if each
    pin operation took that long; ``advance()`` adds a pause (a preempted thread)."""

    def __init__(self, step_s: float = 1e-6):
        self.step_s = step_s
        self._t = 0.0

    def __call__(self) -> float:
        self._t += self.step_s
        return self._t

    def advance(self, seconds: float) -> None:
        """Let ``seconds`` pass at once."""
        self._t += seconds


class EmulatedHX711:
    """One HX711 converting ``force_n(t)`` (newtons on this corner at time t in seconds):
    counts = offset + counts_per_newton * force * gain / 128 + gaussian noise, clipped to
    24 bits (channel B has gain 32). Noise depends only on ``seed`` and the conversion time;
    ``rate_error`` is the oscillator's fractional error."""

    def __init__(
        self,
        force_n: Callable[[float], float],
        clock: Callable[[], float],
        *,
        offset_counts: float,
        counts_per_newton: float,
        noise_counts: float = 40.0,
        seed: int = 0,
        rate_sps: int = 80,
        pulse_clock: Callable[[], float] = time.perf_counter,
        rate_error: float = 0.0,
    ):
        if rate_sps not in SETTLING_S:
            raise ValueError(f"HX711 rate_sps must be 10 or 80, got {rate_sps!r}")
        if not -0.1 < rate_error < 0.1:
            raise ValueError(f"rate_error is a fraction (0.004 = 0.4%), got {rate_error!r}")
        self._force_n = force_n
        self._clock = clock
        self._pulse_clock = pulse_clock
        self.offset_counts = offset_counts
        self.counts_per_newton = counts_per_newton
        self.noise_counts = noise_counts
        self.seed = seed
        self.rate_sps = rate_sps
        self.rate_error = rate_error
        self._rate = rate_sps * (1 + rate_error)  # conversions per second on the chip's clock
        self._settling_s = SETTLING_S[rate_sps] / (1 + rate_error)
        self.plugged = True
        self.conversions_read = 0  # reads that reached the 25th pulse
        self.power_downs = 0
        self.last_read_pulses: int | None = None
        self._stall_at_bit: int | None = None
        self._high = False
        self._rise_t = 0.0
        self._code = 0  # the code being shifted out
        self._converted: tuple = (None, None, 0)  # (time, gain, code) of the newest conversion
        self._origin: tuple = ()
        self._reset(clock())

    def _reset(self, now: float) -> None:
        """Power-on state: input A/128, settling from ``now``, no read in progress."""
        self._input = INPUTS[25]
        self._start_s = now  # conversion k completes at start + settling + k / rate
        self._consumed = -1  # index of the newest conversion already latched for a read
        self._pulses = 0  # rising edges of the current read (0: none in progress)
        self._powered_down = False

    # --- fault injection --------------------------------------------------------------------
    def inject_stall(self, at_bit: int) -> None:
        """Make the pulse that shifts out bit ``at_bit`` (0 = MSB) of the next read look
        preempted: the chip powers down there, so that bit and the rest read as 1s, and the
        falling edge resets it."""
        if not 0 <= at_bit < DATA_BITS:
            raise ValueError(f"at_bit must be 0-23, got {at_bit!r}")
        self._stall_at_bit = at_bit

    def unplug(self) -> None:
        """Disconnect the chip: it ignores the clock and DOUT floats to the Pi's pull."""
        self.plugged = False

    def plug(self) -> None:
        """Reconnect the chip: power-on reset, then settling before the first conversion."""
        self.plugged = True
        self._high = False
        self._reset(self._clock())

    # --- pins ---------------------------------------------------------------------------------
    def dout(self) -> bool | None:
        """The level the chip drives on DOUT, or None when it drives nothing (unplugged)."""
        if not self.plugged:
            return None
        if self._powered_down:
            return True
        if self._high and self._pulse_clock() - self._rise_t > POWER_DOWN_S:
            self._powered_down = True
            return True
        if 0 < self._pulses <= DATA_BITS:
            return bool(self._code >> (DATA_BITS - self._pulses) & 1)
        now = self._clock()
        if not self._ready(now):
            return True
        self._convert(self._newest(now))
        return False

    def clock_edge(self, high: bool) -> None:
        """PD_SCK changed to ``high``."""
        if not self.plugged:
            return
        t = self._pulse_clock()
        self._high = high
        if high:
            self._rise_t = t
            self._rise()
        elif self._powered_down or t - self._rise_t > POWER_DOWN_S:
            self.power_downs += 1
            self._reset(self._clock())

    def _rise(self) -> None:
        p = self._pulses
        if 0 < p < DATA_BITS:
            self._pulses = p + 1
        else:
            now = self._clock()
            if DATA_BITS <= p < 27 and (p == DATA_BITS or not self._ready(now)):
                self._choose_input(p + 1, now)
                return
            if not self._ready(now):
                return  # a pulse while converting, or a 28th: ignored
            self._latch(now)
        if self._stall_at_bit == self._pulses - 1:
            self._stall_at_bit = None
            self._powered_down = True

    def _choose_input(self, pulses: int, now: float) -> None:
        """The 25th-27th pulse: pick the next input; a change restarts settling from now."""
        self._pulses = self.last_read_pulses = pulses
        if pulses == DATA_BITS + 1:
            self.conversions_read += 1
        chosen = INPUTS[pulses]
        if chosen == self._origin[0]:
            self._input, self._start_s, self._consumed = self._origin
        else:
            self._input, self._start_s, self._consumed = chosen, now, -1

    # --- conversions --------------------------------------------------------------------------
    def _newest(self, now: float) -> int:
        """Index of the newest completed conversion since the last restart (-1: none yet)."""
        done = (now - self._start_s - self._settling_s) * self._rate
        return max(-1, math.floor(done + 1e-9))

    def _ready(self, now: float) -> bool:
        return self._newest(now) > self._consumed

    def _latch(self, now: float) -> None:
        """Start a read: take the newest conversion and present its MSB."""
        k = self._newest(now)
        self._origin = (self._input, self._start_s, k)
        self._consumed = k
        self._code = self._convert(k)
        self._pulses = 1

    def _convert(self, k: int) -> int:
        """The 24-bit code of conversion ``k``, computed once. ``dout()`` asks as soon as the
        conversion is ready, so the work (the force model) is not done inside a clock pulse,
        where it would count as pulse length."""
        gain = self._input[1]
        t = self._start_s + self._settling_s + k / self._rate
        if self._converted[:2] != (t, gain):
            counts = (
                self.offset_counts
                + self.counts_per_newton * self._force_n(t) * gain / 128
                + self.noise_counts * gauss(self.seed, t)
            )
            code = min(MAX_COUNTS, max(MIN_COUNTS, round(counts))) & 0xFFFFFF
            self._converted = (t, gain, code)
        return self._converted[2]

    def status(self) -> dict:
        """Plain-dict state: plugged, powered down, the input and gain of the next conversion,
        reads completed, pulses of the last read, power-downs and any stall still armed."""
        channel, gain = self._input
        return {
            "plugged": self.plugged,
            "powered_down": self._powered_down,
            "input": f"{channel}/{gain}",
            "rate_sps": self.rate_sps,
            "conversions_read": self.conversions_read,
            "last_read_pulses": self.last_read_pulses,
            "power_downs": self.power_downs,
            "stall_at_bit": self._stall_at_bit,
        }


class HX711ClockPin(MockPWMPin):
    """The shared PD_SCK line: every level change is reported to the attached ``chips``."""

    def __init__(self, factory, info):
        super().__init__(factory, info)
        self.chips: list[EmulatedHX711] = []

    def _change_state(self, value) -> bool:
        value = bool(value)
        if value == self._state:
            return False
        self._state = value
        for chip in self.chips:
            chip.clock_edge(value)
        return True


class HX711DataPin(MockPWMPin):
    """One chip's DOUT line: reads return the chip's level, or the Pi's pull when the chip
    drives nothing (high with a pull-up, low otherwise)."""

    def __init__(self, factory, info, chip: EmulatedHX711):
        super().__init__(factory, info)
        self.chip = chip

    def _get_state(self) -> bool:
        level = self.chip.dout()
        return self._pull == "up" if level is None else level


def attach_hx711s(
    factory, clock_pin: int, data_pins: Sequence[int], chips: Sequence[EmulatedHX711]
) -> HX711ClockPin:
    """Create the emulating pins on ``factory`` (a MockFactory) before any driver asks for
    them: ``clock_pin`` shared by ``chips``, ``data_pins[i]`` driven by ``chips[i]``.

    The pins derive from MockPWMPin, so the factory's default ``pin_class`` must be
    MockPWMPin too (as the station's is, for PWMLED and TonalBuzzer): MockFactory.pin refuses
    a plain caller a PWM pin otherwise. Returns the clock pin.
    """
    if not issubclass(factory.pin_class, MockPWMPin):
        raise ValueError(
            "emulated HX711 pins need MockFactory(pin_class=MockPWMPin), "
            f"this factory makes {factory.pin_class.__name__}"
        )
    if len(data_pins) != len(chips):
        raise ValueError(f"{len(data_pins)} data pins for {len(chips)} chips")
    clock = factory.pin(clock_pin, pin_class=HX711ClockPin)
    if not isinstance(clock, HX711ClockPin):
        raise ValueError(f"GPIO{clock_pin} already exists as a {type(clock).__name__}")
    for pin, chip in zip(data_pins, chips, strict=True):
        data = factory.pin(pin, pin_class=HX711DataPin, chip=chip)
        if not isinstance(data, HX711DataPin) or data.chip is not chip:
            raise ValueError(f"GPIO{pin} is already in use as another pin or chip's DOUT")
        if chip not in clock.chips:
            clock.chips.append(chip)
    return clock
