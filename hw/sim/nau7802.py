"""Emulated NAU7802: the register map of the datasheet, converting a load cell's force.

Attach it to an ``EmulatedSMBus`` (directly or behind an ``EmulatedTCA9548A``) at 0x2A. A
write's first byte sets the register pointer, further bytes are stored with auto-increment, and
reads auto-increment too. Time comes only from the injected ``clock``: conversions complete at
``start + k / rate`` from the moment PUD, PUA and CS are all set (restarting after a calibration
or a gain or rate change), and a read of ADCO returns the newest completed one, computed lazily
from the force at its conversion time. The chip's own oscillator sets the rate: ``rate_error``
0.005 makes a 320 SPS chip convert at 321.6 SPS (and calibrate 0.5% faster), as real chips are
off by a fraction of a percent. Not modelled: OCAL/GCAL, CHS, the LDO voltage, settling.

Faults, injected on demand, each as real chips and buses fail:

- ``inject(kind)`` until ``inject(None)``: ``"nack"`` (no acknowledge, errno 121), ``"all-ff"``
  (reads return 0xFF as when the chip stops driving SDA, writes are lost) or ``"bit7-drop"`` (bit
  7 of each read's first byte reads as 0, the Pi's clock-stretching bug);
- ``inject_once(kind)``: the same kind on the next transfer only (for a NACK) or the next read
  (all-0xFF, dropped bit 7), a one-off glitch;
- ``unplug()`` (NACK) and ``plug()`` (power returns: every register back to its power-on value);
- ``brownout()``: a silent power-on reset, as when the supply dips: every register back to its
  power-on value, conversions stop, and the bus never NACKs.

A chip with ``noise_counts=0`` converts without noise (a still input then reads the same code
every time).
"""

import errno
import math
from collections.abc import Callable

from hw.nau7802 import (
    ADCO_B0,
    ADCO_B1,
    ADCO_B2,
    CTRL1,
    CTRL1_GAINS_MASK,
    CTRL2,
    CTRL2_CAL_ERR,
    CTRL2_CALS,
    CTRL2_CRS_MASK,
    CTRL2_CRS_SHIFT,
    DEVICE_REV,
    PU_CTRL,
    PU_CTRL_CR,
    PU_CTRL_CS,
    PU_CTRL_PUA,
    PU_CTRL_PUD,
    PU_CTRL_PUR,
    PU_CTRL_RR,
    RATE_CODES,
    REVISION_ID,
)
from hw.sim.noise import gauss

PUR_DELAY_S = 200e-6  # PUD and PUA set -> PUR
CALIBRATION_S = 0.344  # CALS set -> CALS clear
RATES_SPS = {code: sps for sps, code in RATE_CODES.items()}  # reserved codes run at 320 SPS
MAX_COUNTS, MIN_COUNTS = 0x7FFFFF, -0x800000
_REGISTERS = 0x20
_DEFAULTS = bytearray(_REGISTERS)
_DEFAULTS[0x07] = _DEFAULTS[0x0E] = 0x80  # GCAL1 and GCAL2 reset to 0x00800000 (gain 1.0)
_DEFAULTS[DEVICE_REV] = REVISION_ID
_ADCO = frozenset({ADCO_B2, ADCO_B1, ADCO_B0})
_READ_ONLY = _ADCO | {DEVICE_REV}
_POWER = PU_CTRL_PUD | PU_CTRL_PUA
FAULTS = (None, "nack", "all-ff", "bit7-drop")


class EmulatedNAU7802:
    """An I2CTarget converting ``force_n(t)`` (newtons on this corner at time t in seconds):
    counts = offset + counts_per_newton * force * gain / 128 + gaussian noise, clipped to
    24 bits. Noise depends only on ``seed`` and the conversion time, so runs are repeatable;
    ``rate_error`` is the oscillator's fractional error (conversions at rate x (1 + error))."""

    def __init__(
        self,
        force_n: Callable[[float], float],
        clock: Callable[[], float],
        *,
        offset_counts: float,
        counts_per_newton: float,
        noise_counts: float = 40.0,
        seed: int = 0,
        rate_error: float = 0.0,
    ):
        if not -0.1 < rate_error < 0.1:
            raise ValueError(f"rate_error is a fraction (0.005 = 0.5%), got {rate_error!r}")
        self._force_n = force_n
        self._clock = clock
        self.offset_counts = offset_counts
        self.counts_per_newton = counts_per_newton
        self.noise_counts = noise_counts
        self.seed = seed
        self.rate_error = rate_error
        # conversions per second for each CTRL2 value, on this chip's oscillator: looked up on
        # every register read, so worked out once
        self._rates = tuple(
            RATES_SPS.get((ctrl2 & CTRL2_CRS_MASK) >> CTRL2_CRS_SHIFT, 320) * (1 + rate_error)
            for ctrl2 in range(0x100)
        )
        self.calibration_fails = False  # fault injection: calibrations end with CAL_ERR set
        self.fault: str | None = None
        self.fault_once: str | None = None
        self.plugged = True
        self._faultless = True  # no fault of any kind pending: read and write skip _fault_of
        self._ptr = 0
        self._reset()

    # --- faults -----------------------------------------------------------------------------
    def inject(self, fault: str | None) -> None:
        """Start ``fault`` ('nack', 'all-ff' or 'bit7-drop') on every transfer, or stop faults
        with None."""
        if fault not in FAULTS:
            raise ValueError(f"unknown fault {fault!r}; known: {FAULTS}")
        self.fault = fault
        self._faults_changed()

    def inject_once(self, fault: str) -> None:
        """``fault`` ('nack', 'all-ff' or 'bit7-drop') on the next transfer it applies to only:
        a one-off glitch."""
        if fault not in FAULTS[1:]:
            raise ValueError(f"unknown fault {fault!r}; known: {FAULTS[1:]}")
        self.fault_once = fault
        self._faults_changed()

    def brownout(self) -> None:
        """A silent power-on reset: every register back to its power-on value (conversions
        stop), without a NACK."""
        self._ptr = 0
        self._reset()

    def unplug(self) -> None:
        """The cable is pulled: nothing acknowledges until ``plug()``."""
        self.plugged = False
        self._faults_changed()

    def plug(self) -> None:
        """The cable is back: the chip powers up with every register at its reset value."""
        self.plugged = True
        self._faults_changed()
        self._ptr = 0
        self._reset()

    def _faults_changed(self) -> None:
        """Refresh ``_faultless`` after ``fault``, ``fault_once`` or ``plugged`` changed."""
        self._faultless = self.plugged and self.fault is None and self.fault_once is None

    def _fault_of(self, reading: bool) -> str | None:
        """The fault of this transfer (a one-off one is used up); raises the NACK."""
        fault = self.fault
        once = self.fault_once
        if once is not None and (reading or once == "nack"):
            fault, self.fault_once = once, None
            self._faults_changed()
        if not self.plugged or fault == "nack":
            raise OSError(errno.EREMOTEIO, "Remote I/O error")
        return fault

    def _reset(self) -> None:
        """Power-on state of every register and of the conversion timing."""
        self._regs = bytearray(_DEFAULTS)
        self._powered_t: float | None = None  # when PUD and PUA were both set
        self._run_from = -math.inf  # conversions (re)start no earlier than this
        self._cal_end: float | None = None
        self._cal_error = False
        self._adco = 0  # 24-bit two's complement code held in ADCO_B2..B0
        self._adco_t: float | None = None  # conversion time of that code
        self._consumed_t = -math.inf  # conversion time whose CR a read of ADCO_B2 cleared

    # --- I2CTarget --------------------------------------------------------------------------
    def write(self, data: bytes) -> None:
        """A write message: register pointer, then values stored with auto-increment."""
        fault = None if self._faultless else self._fault_of(reading=False)
        if fault == "all-ff" or not data:
            return
        if len(data) == 1 and self._cal_end is None:  # a pointer write before a read: the
            self._ptr = data[0] % _REGISTERS  # common case, needing no time
            return
        now = self._clock()
        if self._cal_end is not None:  # calibrating
            self._settle(now)
        self._ptr = data[0] % _REGISTERS
        for value in data[1:]:
            self._store(self._ptr, value, now)
            self._ptr = (self._ptr + 1) % _REGISTERS

    def read(self, n: int) -> bytes:
        """A read message: ``n`` registers from the pointer on, with auto-increment."""
        fault = None if self._faultless else self._fault_of(reading=True)
        if fault == "all-ff":
            return b"\xff" * n
        now = self._clock()
        if self._cal_end is not None:  # calibrating (checked here: this runs per message)
            self._settle(now)
        newest = self._newest_t(now)  # nothing a read does moves it: found once per message
        ptr = self._ptr
        if n == 1:  # a status or configuration register: the driver's most frequent read
            value = self._load(ptr, now, newest)
            self._ptr = (ptr + 1) % _REGISTERS
            return bytes((value & 0x7F if fault == "bit7-drop" else value,))
        if n == 3 and ptr == ADCO_B2:  # a whole conversion: the other frequent read
            high = self._load(ADCO_B2, now, newest)  # converts a new one, clears CR
            adco = self._adco
            out = bytearray((high, adco >> 8 & 0xFF, adco & 0xFF))  # B1, B0 as _load gives them
            self._ptr = ADCO_B0 + 1
        else:
            out = bytearray(n)
            for i in range(n):
                out[i] = self._load(ptr, now, newest)
                ptr = (ptr + 1) % _REGISTERS
            self._ptr = ptr
        if fault == "bit7-drop" and n:
            out[0] &= 0x7F
        return bytes(out)

    # --- registers --------------------------------------------------------------------------
    def _load(self, reg: int, now: float, newest: float | None) -> int:
        """Register ``reg`` as read at ``now``; ``newest`` is ``_newest_t(now)``."""
        if reg == PU_CTRL:
            value = self._regs[PU_CTRL]
            if self._powered_t is not None and now >= self._powered_t + PUR_DELAY_S:
                value |= PU_CTRL_PUR
            if newest is not None and newest > self._consumed_t:
                value |= PU_CTRL_CR
            return value
        if reg in _ADCO:
            if newest is not None and newest != self._adco_t:
                self._convert(newest)
            if reg == ADCO_B2:
                if self._adco_t is not None:
                    self._consumed_t = self._adco_t
                return self._adco >> 16
            if reg == ADCO_B1:
                return self._adco >> 8 & 0xFF
            return self._adco & 0xFF
        return self._regs[reg]

    def _store(self, reg: int, value: int, now: float) -> None:
        old = self._regs[reg]
        if reg == PU_CTRL:
            self._store_pu_ctrl(old, value, now)
        elif reg == CTRL1:
            if (old ^ value) & CTRL1_GAINS_MASK:
                self._restart(now)
            self._regs[CTRL1] = value
        elif reg == CTRL2:
            self._store_ctrl2(old, value, now)
        elif reg not in _READ_ONLY:
            self._regs[reg] = value

    def _store_pu_ctrl(self, old: int, value: int, now: float) -> None:
        if value & PU_CTRL_RR:
            self._reset()
            self._regs[PU_CTRL] = PU_CTRL_RR
            return
        if (old ^ value) & (_POWER | PU_CTRL_CS):
            self._latch(now)
        if value & _POWER == _POWER and old & _POWER != _POWER:
            self._powered_t = now
        elif value & _POWER != _POWER:
            self._powered_t = None
            self._cal_end = None
            self._regs[CTRL2] &= ~CTRL2_CALS
        if value & PU_CTRL_CS and not old & PU_CTRL_CS:
            self._run_from = now
        self._regs[PU_CTRL] = value & ~(PU_CTRL_PUR | PU_CTRL_CR)

    def _store_ctrl2(self, old: int, value: int, now: float) -> None:
        if (old ^ value) & CTRL2_CRS_MASK:
            self._restart(now)
        value = (value & ~CTRL2_CAL_ERR) | (old & CTRL2_CAL_ERR)
        if self._cal_end is not None:
            value |= CTRL2_CALS  # a running calibration cannot be stopped
        elif value & CTRL2_CALS:
            self._latch(now)
            self._cal_end = now + CALIBRATION_S / (1 + self.rate_error)
            ready = self._powered_t is not None and now >= self._powered_t + PUR_DELAY_S
            self._cal_error = self.calibration_fails or not ready
            value &= ~CTRL2_CAL_ERR
        self._regs[CTRL2] = value

    # --- conversions ------------------------------------------------------------------------
    def _settle(self, now: float) -> None:
        """Finish the running calibration if its time is up."""
        if now >= self._cal_end:
            ctrl2 = self._regs[CTRL2] & ~CTRL2_CALS
            self._regs[CTRL2] = ctrl2 | CTRL2_CAL_ERR if self._cal_error else ctrl2
            self._run_from = max(self._run_from, self._cal_end)
            self._cal_end = None

    def _restart(self, now: float) -> None:
        """Keep the newest conversion, then restart the sequence (new gain or rate)."""
        self._latch(now)
        self._run_from = now

    def _newest_t(self, now: float) -> float | None:
        """Conversion time of the newest completed conversion (None before the first)."""
        powered_t = self._powered_t
        if powered_t is None or self._cal_end is not None or not self._regs[PU_CTRL] & PU_CTRL_CS:
            return self._adco_t
        start = powered_t + PUR_DELAY_S
        if self._run_from > start:
            start = self._run_from
        rate = self._rates[self._regs[CTRL2]]
        done = math.floor((now - start) * rate + 1e-9)
        return start + done / rate if done >= 1 else self._adco_t

    def _latch(self, now: float) -> None:
        """Put the newest completed conversion into ADCO, converting it if it is new."""
        t = self._newest_t(now)
        if t is not None and t != self._adco_t:
            self._convert(t)

    def _convert(self, t: float) -> None:
        """Convert the force at conversion time ``t`` into ADCO."""
        gain = 1 << (self._regs[CTRL1] & CTRL1_GAINS_MASK)
        counts = (
            self.offset_counts
            + self.counts_per_newton * self._force_n(t) * gain / 128
            + self.noise_counts * gauss(self.seed, t)
        )
        code = round(counts)
        if not MIN_COUNTS <= code <= MAX_COUNTS:  # clipped to 24 bits
            code = MAX_COUNTS if code > MAX_COUNTS else MIN_COUNTS
        self._adco, self._adco_t = code & 0xFFFFFF, t
