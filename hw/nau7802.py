"""NAU7802 24-bit load-cell ADC on smbus2 calls, optionally behind a TCA9548A mux.

Our own small driver (the PyPI cedargrove_nau7802 leaves CS unwritten and sleeps for long): the
power-up and calibration waits poll the chip on an injected clock, so they take microseconds
under a virtual clock. Register names follow the Nuvoton datasheet.

Bytes the chip cannot produce are refused, not decoded: PU_CTRL or CTRL2 reading 0xFF (nobody
drives SDA: the chip lost power or its data line) is ``BadDataError``, at start-up as well as
while converting, and so is a conversion read as 0xFFFFFF, never decoded as -1 (the register
holds it until the next conversion, so ``NAU7802Array`` reads it again). While
converting, PU_CTRL must keep the configuration written at start-up: without PUD, PUA, CS or
PUR the chip reset itself without any bus error (a brown-out) and ``DeviceResetError`` says so;
without only AVDDS, bit 7 was read as 0 (the Pi's clock-stretching bug) and it is bad data.
"""

import errno
import logging
import time
from collections.abc import Callable

from hw.errors import (
    BadDataError,
    BusError,
    CalibrationError,
    DeviceClosedError,
    DeviceNotFoundError,
    DeviceResetError,
    DeviceTimeoutError,
)

log = logging.getLogger(__name__)

DEFAULT_ADDRESS = 0x2A

PU_CTRL = 0x00  # power-up control
PU_CTRL_RR = 1 << 0  # register reset
PU_CTRL_PUD = 1 << 1  # power up digital
PU_CTRL_PUA = 1 << 2  # power up analog
PU_CTRL_PUR = 1 << 3  # power-up ready (read only)
PU_CTRL_CS = 1 << 4  # cycle start
PU_CTRL_CR = 1 << 5  # cycle ready: a new conversion is waiting (read only)
PU_CTRL_OSCS = 1 << 6  # system clock source
PU_CTRL_AVDDS = 1 << 7  # AVDD from the internal LDO

CTRL1 = 0x01
CTRL1_GAINS_MASK = 0b111  # PGA gain bits 2:0, x1..x128
CTRL1_VLDO_SHIFT = 3  # LDO voltage bits 5:3
CTRL1_VLDO_MASK = 0b111 << CTRL1_VLDO_SHIFT
VLDO_3V3 = 0b100

CTRL2 = 0x02
CTRL2_CALMOD_MASK = 0b11  # 00 = internal offset calibration
CTRL2_CALS = 1 << 2  # start calibration; self-clears when done
CTRL2_CAL_ERR = 1 << 3  # calibration failed (read only)
CTRL2_CRS_SHIFT = 4  # conversion rate bits 6:4
CTRL2_CRS_MASK = 0b111 << CTRL2_CRS_SHIFT
CTRL2_CHS = 1 << 7  # analog input channel 2

ADCO_B2 = 0x12  # conversion result, MSB; B1 0x13, B0 0x14 follow by auto-increment
ADCO_B1 = 0x13
ADCO_B0 = 0x14
ADC = 0x15
ADC_CHOPPER_OFF = 0x30  # REG_CHPS = 0b11: turn the clock chopper off, as SparkFun's init does
PGA_PWR = 0x1C
PGA_PWR_PGA_CAP_EN = 1 << 7  # decoupling capacitor on channel 2 inputs
DEVICE_REV = 0x1F
REVISION_ID = 0x0F  # low nibble of DEVICE_REV

GAIN_CODES = {1 << code: code for code in range(8)}  # 1, 2, 4, ..., 128
RATE_CODES = {10: 0b000, 20: 0b001, 40: 0b010, 80: 0b011, 320: 0b111}  # samples per second

RUNNING = PU_CTRL_PUD | PU_CTRL_PUA | PU_CTRL_CS | PU_CTRL_PUR  # set while converting
CONFIGURED_PU_CTRL = PU_CTRL_PUD | PU_CTRL_PUA | PU_CTRL_AVDDS | PU_CTRL_CS
ALL_ONES = 0xFFFFFF  # ADCO of a chip not driving SDA

POWER_UP_TIMEOUT_S = 0.1  # PUR rises ~0.2 ms after PUD and PUA
CALIBRATION_S = 0.344  # the internal offset calibration, per the datasheet
CALIBRATION_TIMEOUT_S = 1.0


class NAU7802:
    """One NAU7802 on ``bus`` (an smbus2.SMBus or compatible), reached through ``mux`` channel
    ``channel`` when given. ``read_counts()`` returns raw signed 24-bit ADC counts."""

    def __init__(
        self,
        bus,
        *,
        mux=None,
        channel: int | None = None,
        address: int = DEFAULT_ADDRESS,
        gain: int = 128,
        rate_sps: int = 320,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        name: str = "cell",
        bus_name: str | None = None,
    ):
        if gain not in GAIN_CODES:
            raise ValueError(f"NAU7802 gain must be one of {sorted(GAIN_CODES)}, got {gain!r}")
        if rate_sps not in RATE_CODES:
            raise ValueError(
                f"NAU7802 rate_sps must be one of {sorted(RATE_CODES)} SPS, got {rate_sps!r}"
            )
        if (mux is None) != (channel is None):
            raise ValueError("NAU7802 behind a mux needs both mux and channel, got only one")
        self._bus = bus
        self._mux = mux
        self.channel = channel
        self.address = address
        self.gain = gain
        self.rate_sps = rate_sps
        self._clock = clock
        self._sleep = sleep
        self.name = name
        self.bus_name = bus_name or (mux.bus_name if mux is not None else "/dev/i2c-1")
        self.revision: int | None = None
        self._state = "not-started"

    @property
    def where(self) -> str:
        """Where the chip sits, for messages: address, mux channel and bus."""
        via = f"mux channel {self.channel} of " if self._mux is not None else ""
        return f"{self.address:#04x} on {via}{self.bus_name}"

    def begin(self) -> None:
        """Reset, power up, configure (3.3 V LDO, gain, rate, chopper off, PGA cap), start
        conversions and run the internal offset calibration (~0.35 s on the chip's clock)."""
        self.power_up()
        self.calibrate()

    def power_up(self) -> None:
        """Reset, power up, configure and start conversions; ``calibrate()`` comes next."""
        self._state = "starting"
        try:
            self._start()
        except Exception:
            self._state = "failed"
            raise

    def _start(self) -> None:
        self._select()  # a mux failure raises its own error, not "no NAU7802"
        try:
            self._write(PU_CTRL, PU_CTRL_RR)
        except BusError as exc:
            if exc.errno != errno.EREMOTEIO:
                raise
            raise DeviceNotFoundError(
                f"No NAU7802 at {self.where}: check the wiring of the {self.name} load cell "
                "amplifier"
            ) from exc
        self._write(PU_CTRL, 0)
        self._write(PU_CTRL, PU_CTRL_PUD | PU_CTRL_PUA)
        self._wait(lambda: self._read_status(PU_CTRL) & PU_CTRL_PUR, POWER_UP_TIMEOUT_S, "power-up")
        self.revision = self._read(DEVICE_REV) & 0x0F
        if self.revision != REVISION_ID:
            raise DeviceNotFoundError(
                f"The chip at {self.where} reports revision {self.revision:#x}, not a NAU7802's "
                f"{REVISION_ID:#x}: check what is wired as the {self.name} load cell amplifier"
            )
        self._write(CTRL1, self._ctrl1())
        self._write(PU_CTRL, PU_CTRL_PUD | PU_CTRL_PUA | PU_CTRL_AVDDS)
        self._write(CTRL2, self._ctrl2())
        self._write(ADC, ADC_CHOPPER_OFF)
        self._write(PGA_PWR, self._read(PGA_PWR) | PGA_PWR_PGA_CAP_EN)
        self._write(PU_CTRL, CONFIGURED_PU_CTRL)

    def _ctrl1(self) -> int:
        return (VLDO_3V3 << CTRL1_VLDO_SHIFT) | GAIN_CODES[self.gain]

    def _ctrl2(self) -> int:
        return RATE_CODES[self.rate_sps] << CTRL2_CRS_SHIFT

    def check_configured(self) -> None:
        """Raise DeviceResetError unless PU_CTRL, CTRL1 and CTRL2 still hold what ``begin()``
        wrote (a NACK or a garbled byte leaves them so; a brown-out does not)."""
        self._check_open()
        found = (self._read_status(PU_CTRL) & ~(PU_CTRL_PUR | PU_CTRL_CR), self._read(CTRL1))
        found += (self._read_status(CTRL2),)
        wanted = (CONFIGURED_PU_CTRL, self._ctrl1(), self._ctrl2())
        if found != wanted:
            raise self._reset_error(
                "PU_CTRL, CTRL1, CTRL2 read " + ", ".join(f"{v:#04x}" for v in found)
            )

    def calibrate(self) -> None:
        """Run the internal offset calibration (CALMOD 00) and wait for CALS to self-clear."""
        self.start_calibration()
        self._wait(self.calibration_done, CALIBRATION_TIMEOUT_S, "calibration", 0.01)

    def start_calibration(self) -> None:
        """Start the internal offset calibration; poll ``calibration_done()`` for its end, so
        several chips can calibrate at once."""
        self._state = "calibrating"
        ctrl2 = self._read(CTRL2) & ~CTRL2_CALMOD_MASK
        self._write(CTRL2, ctrl2 | CTRL2_CALS)

    def calibration_done(self) -> bool:
        """True once the calibration has ended (the chip is then ready); CalibrationError if the
        chip reports that it failed."""
        ctrl2 = self._read_status(CTRL2)
        if ctrl2 & CTRL2_CALS:
            return False
        if ctrl2 & CTRL2_CAL_ERR:
            self._state = "failed"
            raise CalibrationError(
                f"NAU7802 at {self.where} ({self.name}) reports a failed internal calibration: "
                "check the amplifier's supply and the load cell's connections"
            )
        self._state = "ready"
        return True

    def data_ready(self) -> bool:
        """True when a conversion not yet read is waiting (PU_CTRL CR bit). Raises
        DeviceResetError when the chip has reset itself, BadDataError for impossible bytes."""
        if self._state == "closed":  # _check_open(), inline: this runs at every look
            raise self._closed_error()
        value = self._read_status(PU_CTRL)
        if value & RUNNING != RUNNING:
            raise self._reset_error(f"PU_CTRL reads {value:#04x}")
        if not value & PU_CTRL_AVDDS:
            raise BadDataError(
                f"{self.name} load cell amplifier (NAU7802 at {self.where}): PU_CTRL read "
                f"{value:#04x}, bit 7 lost on the bus (I²C clock stretching); check that the "
                "bus runs at 400 kHz (dtparam=i2c_arm_baudrate=400000)"
            )
        return bool(value & PU_CTRL_CR)

    def read_counts(self) -> int:
        """The newest conversion as signed 24-bit counts (-8388608..8388607); reading clears CR.
        A read of 0xFFFFFF is BadDataError, not -1: ADCO holds the conversion until the next
        one, so the caller can read it again."""
        if self._state == "closed":  # _check_open() and _select(), inline: a hot path
            raise self._closed_error()
        if self._mux is not None:
            self._mux.select(self.channel)
        try:
            b2, b1, b0 = self._bus.read_i2c_block_data(self.address, ADCO_B2, 3)
        except OSError as exc:
            raise self._bus_error(exc, "reading a conversion") from exc
        raw = (b2 << 16) | (b1 << 8) | b0
        if raw == ALL_ONES:
            raise BadDataError(
                f"{self.name} load cell amplifier (NAU7802 at {self.where}) read 0xFFFFFF: "
                "nobody drove the data line; check its cable and connectors"
            )
        return raw - (1 << 24) if raw & 0x800000 else raw

    def status(self) -> dict:
        """Plain-dict state of this chip."""
        return {
            "name": self.name,
            "state": self._state,
            "address": self.address,
            "channel": self.channel,
            "gain": self.gain,
            "rate_sps": self.rate_sps,
            "revision": self.revision,
        }

    def close(self) -> None:
        """Power the chip down (clear PUD and PUA); safe to call twice."""
        if self._state in ("closed", "not-started"):
            self._state = "closed"
            return
        failed = self._state == "failed"
        self._state = "closed"
        try:
            self._write(PU_CTRL, self._read(PU_CTRL) & ~(PU_CTRL_PUD | PU_CTRL_PUA | PU_CTRL_CS))
        except BusError as exc:  # expected of a chip that already failed: not worth a warning
            log.log(
                logging.DEBUG if failed else logging.WARNING,
                "could not power down %s NAU7802 at %s: %s",
                self.name,
                self.where,
                exc,
            )

    def __enter__(self):
        self.begin()
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def _check_open(self) -> None:
        if self._state == "closed":
            raise self._closed_error()

    def _closed_error(self) -> DeviceClosedError:
        return DeviceClosedError(f"NAU7802 {self.name} at {self.where} is closed")

    def _select(self) -> None:
        if self._mux is not None:
            self._mux.select(self.channel)

    def _read(self, register: int) -> int:
        if self._mux is not None:  # _select(), inline: every status look comes here
            self._mux.select(self.channel)
        try:
            return self._bus.read_byte_data(self.address, register)
        except OSError as exc:
            raise self._bus_error(exc, f"reading register {register:#04x}") from exc

    def _read_status(self, register: int) -> int:
        """PU_CTRL or CTRL2, which can never read 0xFF (RR with PUR; CALS with CAL_ERR and a
        gain calibration mode we never set): 0xFF means nobody drives SDA."""
        value = self._read(register)
        if value == 0xFF:
            raise BadDataError(
                f"{self.name} load cell amplifier (NAU7802 at {self.where}) reads as all 0xFF "
                "(not answering): it lost power or its data line; check its cable and connectors"
            )
        return value

    def _reset_error(self, found: str) -> DeviceResetError:
        self._state = "failed"
        return DeviceResetError(
            f"{self.name} load cell amplifier (NAU7802 at {self.where}) reset itself ({found}): "
            "its supply dipped or a connector is loose; it is initialised again"
        )

    def _write(self, register: int, value: int) -> None:
        self._select()
        try:
            self._bus.write_byte_data(self.address, register, value & 0xFF)
        except OSError as exc:
            raise self._bus_error(exc, f"writing register {register:#04x}") from exc

    def _bus_error(self, exc: OSError, what: str) -> BusError:
        if self._mux is not None:
            self._mux.forget()  # the mux may have been reset along with the failure
        cause = "no answer (NACK)" if exc.errno == errno.EREMOTEIO else exc.strerror or str(exc)
        return BusError(
            exc.errno,
            f"{self.name} load cell amplifier (NAU7802 at {self.where}) failed while {what}: "
            f"{cause}; check its cable and connectors",
        )

    def _wait(self, ready: Callable[[], object], timeout_s: float, what: str, poll_s=0.001):
        deadline = self._clock() + timeout_s
        while not ready():
            if self._clock() >= deadline:
                raise DeviceTimeoutError(
                    f"NAU7802 at {self.where} ({self.name}) did not finish {what} within "
                    f"{timeout_s} s: check the amplifier's power supply"
                )
            self._sleep(poll_s)
