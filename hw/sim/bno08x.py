"""Emulated BNO08x IMU speaking SHTP over I²C byte for byte, so the unmodified adafruit_bno08x
driver runs against it.

Modelled: power-on and soft reset (a write of payload ``01`` on channel 1) queue the channel 0
advertisement (276 bytes), the channel 2 unsolicited Initialize response (``F1 .. 84``) and the
channel 1 reset-complete ``01``. Every read starts with a 4-byte header (length including the
header, channel, per-channel sequence number) and carries the next bytes of the oldest pending
packet; a read that stops early leaves the rest for the next read, whose header then counts only
the rest and has bit 15 (continuation) set, so a header-only read consumes nothing. Nothing
pending reads as length 0; bytes past a packet's end read as 0. Channel 2 answers the Product ID
request ``F9`` with two ``F8`` records and Set Feature ``FD`` with a Get Feature Response ``FC``
giving the interval granted (raised to the sensor's fastest; 0 for sensors not modelled). The
game rotation vector (quaternion, Q14) and accelerometer (m/s², Q8) then report on channel 3 at
``start + k * interval`` on the injected ``clock``. Reports due while the host does not read are
batched into one packet behind a ``FB`` base timestamp, with per-report delays, as the chip does;
of a long backlog only the newest ``MAX_BATCH`` per sensor are kept (a stand-in for the chip's
finite buffer, whose real depth is not modelled). The chip's own clock sets the report times:
``rate_error`` 0.002 makes every interval 0.2% shorter. Faults: see ``inject``, ``inject_once``,
``unplug``, ``plug`` and ``brownout``. With ``accel_noise_m_s2=0`` and a still orientation every
report repeats the last one's values: a noise-free chip, alive all the same.

Not modelled: reset and boot delays, other sensors, Get Feature requests, commands (``F2``,
calibration, DCD), FRS records, timestamp rebase ``FA``, batch intervals, change sensitivity,
sleep and wake, the interrupt and reset pins, sensor fusion errors and heading drift.
"""

import errno
import math
import random
import struct
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from hw.sim.person import G_M_S2

HEADER_LEN = 4
CONTINUATION = 0x8000  # bit 15 of the header's length: this read continues a packet

CHANNEL_COMMAND = 0  # SHTP command channel: advertisement
CHANNEL_EXECUTABLE = 1  # reset, reset complete
CHANNEL_CONTROL = 2  # sensor hub control: product ID, features
CHANNEL_REPORTS = 3  # input sensor reports
CHANNELS = 6

EXECUTABLE_RESET = 0x01  # host to chip: reset; chip to host: reset complete
REPORT_PRODUCT_ID_REQUEST = 0xF9
REPORT_PRODUCT_ID_RESPONSE = 0xF8
REPORT_SET_FEATURE = 0xFD
REPORT_GET_FEATURE_RESPONSE = 0xFC
REPORT_BASE_TIMESTAMP = 0xFB
REPORT_COMMAND_RESPONSE = 0xF1
COMMAND_INITIALIZE_UNSOLICITED = 0x84  # Initialize (0x04) with bit 7: sent after every reset
FEATURE_REPORT_LEN = 17

SENSOR_ACCELEROMETER = 0x01
SENSOR_GAME_ROTATION_VECTOR = 0x08
SENSOR_NAMES = {
    SENSOR_ACCELEROMETER: "accelerometer",
    SENSOR_GAME_ROTATION_VECTOR: "game_rotation_vector",
}
MIN_INTERVAL_US = {SENSOR_ACCELEROMETER: 2000, SENSOR_GAME_ROTATION_VECTOR: 2500}  # 500, 400 Hz
Q_POINT = {SENSOR_ACCELEROMETER: 8, SENSOR_GAME_ROTATION_VECTOR: 14}
ACCURACY_HIGH = 3  # status bits 1:0
TICK_S = 100e-6  # SH-2 timestamps count 100 µs ticks
MAX_DELAY_TICKS = 0x3FFF  # 14-bit report delay: status bits 7:2, then byte 3
MAX_BATCH = 8  # newest reports of one sensor kept in a backlog

RESET_POWER_ON, RESET_INTERNAL = 1, 2  # reset cause in the product ID record
FAULTS = ("nack", "all-ff", "bit7-drop")

# (part number, version major, minor, patch, build) of each software component: example values
PRODUCT_IDS = ((10003608, 3, 7, 2, 370), (10003606, 1, 2, 4, 230))
# report ID, reset cause, major, minor, part number, build, patch, 2 reserved bytes
_PRODUCT_ID = struct.Struct("<BBBBIIH2x")

# Report lengths (report ID: bytes) as a real chip's advertisement lists them.
REPORT_LENGTHS = {
    0xF8: 16, 0xF5: 4, 0xF3: 16, 0xF1: 16, 0xFB: 5, 0xFA: 5, 0xFC: 17, 0xEF: 2,
    0x01: 10, 0x02: 10, 0x03: 10, 0x04: 10, 0x05: 14, 0x06: 10, 0x07: 16, 0x08: 12,
    0x09: 14, 0x0A: 8, 0x0B: 8, 0x0C: 6, 0x0D: 6, 0x0E: 6, 0x0F: 16, 0x10: 5,
    0x11: 12, 0x12: 6, 0x13: 6, 0x14: 16, 0x15: 16, 0x16: 16, 0x17: 0, 0x18: 8,
    0x19: 6, 0x1A: 0, 0x1B: 0, 0x1C: 6, 0x1D: 0, 0x1E: 16, 0x1F: 0, 0x20: 0,
    0x21: 0, 0x22: 0, 0x23: 0, 0x24: 0, 0x25: 0, 0x26: 0, 0x27: 0, 0x28: 14,
    0x29: 12, 0x2A: 14,
}  # fmt: skip


def _tlv(tag: int, value: bytes) -> bytes:
    return bytes([tag, len(value)]) + value


def _advertisement() -> bytes:
    """The SHTP advertisement: response ID 0, then tag-length-value records naming the
    applications (SHTP, executable, sensor hub) and their channels, and the report lengths."""
    u16, u32 = struct.Struct("<H").pack, struct.Struct("<I").pack
    normal, wake = 0x06, 0x07  # channel tags
    hub = [(normal, 2, "control"), (normal, 3, "inputNormal"), (wake, 4, "inputWake")]
    channels = [
        (0, "SHTP", [(normal, 0, "control")]),
        (1, "executable", [(normal, 1, "device")]),
        (2, "sensorhub", [*hub, (normal, 5, "inputGyroRv")]),
    ]
    out = [b"\x00", _tlv(0x01, u32(0)), _tlv(0x80, b"1.0.0\x00")]  # GUID 0, SHTP version
    out += [_tlv(0x02, u16(256)), _tlv(0x03, u16(0x7FFF))]  # max cargo + header: write, read
    out += [_tlv(0x04, u16(256)), _tlv(0x05, u16(0x7FFF))]  # max transfer: write, read
    for guid, app, chans in channels:
        if guid:
            out.append(_tlv(0x01, u32(guid)))
        out.append(_tlv(0x08, app.encode() + b"\x00"))
        for tag, channel, name in chans:
            out += [_tlv(tag, bytes([channel])), _tlv(0x09, name.encode() + b"\x00")]
    out.append(_tlv(0x80, b"1.1.0\x00"))  # SH-2 version
    out.append(_tlv(0x81, bytes(b for item in REPORT_LENGTHS.items() for b in item)))
    return b"".join(out)


ADVERTISEMENT = _advertisement()


@dataclass
class _Packet:
    """One cargo waiting to be read: ``sent`` payload bytes have gone out already."""

    channel: int
    seq: int
    payload: bytes
    reports: int = 0
    sent: int = 0
    started: bool = False


@dataclass
class _Feature:
    """An enabled sensor: reports fall due at ``start_s + k * interval_s`` for k >= next_k;
    ``interval_s`` is on the chip's own clock (``interval_us`` stretched by its error)."""

    interval_us: int
    start_s: float
    interval_s: float
    next_k: int = 1


class EmulatedBNO08x:
    """An I2CTarget (0x4A or 0x4B) reporting ``orientation(t) -> (x, y, z, w)``, the sensor's
    unit quaternion at time t in seconds, and ``acceleration(t) -> (x, y, z)`` in m/s² in the
    sensor frame (default: gravity seen by a sensor at rest, R(q)^T (0, 0, g)). Seeded gaussian
    noise of ``accel_noise_m_s2`` is added to the acceleration; it depends only on ``seed`` and
    the report time, so runs are repeatable. ``rate_error`` is the fractional error of the chip's
    clock (reports at 1 + error times the rate asked for). Thread-safe: faults may be injected
    from any thread.
    """

    def __init__(
        self,
        orientation: Callable[[float], tuple[float, float, float, float]],
        clock: Callable[[], float],
        *,
        acceleration: Callable[[float], tuple[float, float, float]] | None = None,
        seed: int = 0,
        accel_noise_m_s2: float = 0.02,
        rate_error: float = 0.0,
    ):
        if not -0.1 < rate_error < 0.1:
            raise ValueError(f"rate_error is a fraction (0.002 = 0.2%), got {rate_error!r}")
        self._orientation = orientation
        self._acceleration = acceleration or self._gravity_m_s2
        self._clock = clock
        self.seed = seed
        self.accel_noise_m_s2 = accel_noise_m_s2
        self.rate_error = rate_error
        self._lock = threading.Lock()
        self._fault: str | None = None
        self._fault_once: str | None = None
        self._plugged = True
        self.reports_sent = 0  # reports whose packet the host has read to the end
        self.reports_dropped = 0  # reports lost from a backlog longer than MAX_BATCH
        self.resets = 0
        self._reset(RESET_POWER_ON)

    # --- fault injection ----------------------------------------------------------------------
    def inject(self, fault: str | None) -> None:
        """Start a bus fault, or clear it with None: 'nack' (every transfer raises OSError
        EREMOTEIO), 'all-ff' (reads return 0xFF, writes are lost) or 'bit7-drop' (the Pi's
        clock-stretching bug: bit 7 of each read's first payload byte reads as 0)."""
        if fault is not None and fault not in FAULTS:
            raise ValueError(f"unknown BNO08x fault {fault!r}: expected one of {FAULTS} or None")
        with self._lock:
            self._fault = fault

    def inject_once(self, fault: str) -> None:
        """One bus glitch: 'nack' on the next transfer, 'all-ff' or 'bit7-drop' on the next
        read (a header-only read keeps its bit 7: the drop hits the first payload byte)."""
        if fault not in FAULTS:
            raise ValueError(f"unknown BNO08x fault {fault!r}: expected one of {FAULTS}")
        with self._lock:
            self._fault_once = fault

    def brownout(self) -> None:
        """A silent power-on reset (the supply dipped): features off, the startup packets
        queued, no NACK; the host must enable the reports again."""
        with self._lock:
            self._reset(RESET_POWER_ON)

    def unplug(self) -> None:
        """Pull the cable: every transfer is NACKed until ``plug()``."""
        with self._lock:
            self._plugged = False

    def plug(self) -> None:
        """Connect (again) and power on: features off, startup packets queued."""
        with self._lock:
            self._plugged = True
            self._reset(RESET_POWER_ON)

    def status(self) -> dict:
        """Plain-dict state: connection, fault, enabled features (interval in µs), counters."""
        with self._lock:
            return {
                "plugged": self._plugged,
                "fault": self._fault,
                "fault_once": self._fault_once,
                "features_us": {SENSOR_NAMES[s]: f.interval_us for s, f in self._features.items()},
                "reports_sent": self.reports_sent,
                "reports_dropped": self.reports_dropped,
                "resets": self.resets,
                "pending_packets": len(self._queue),
            }

    # --- I2CTarget ----------------------------------------------------------------------------
    def write(self, data: bytes) -> None:
        """A write message: one SHTP packet from the host (shorter than a header is a probe)."""
        with self._lock:
            if self._acknowledge(reading=False) == "all-ff" or len(data) < HEADER_LEN:
                return
            length = (data[0] | data[1] << 8) & ~CONTINUATION
            channel, payload = data[2], bytes(data[HEADER_LEN:length])
            if not payload:
                return
            if channel == CHANNEL_EXECUTABLE and payload[0] == EXECUTABLE_RESET:
                self._reset(RESET_INTERNAL)
            elif channel == CHANNEL_CONTROL:
                self._control(payload)

    def read(self, n: int) -> bytes:
        """A read message: a header, then the next bytes of the oldest pending packet."""
        with self._lock:
            fault = self._acknowledge(reading=True, payload=n > HEADER_LEN)
            if fault == "all-ff":
                return b"\xff" * n
            self._batch_reports(self._clock())
            out = self._transfer(n)
            if fault == "bit7-drop" and n > HEADER_LEN:
                out[HEADER_LEN] &= 0x7F
            return bytes(out)

    # --- SHTP ---------------------------------------------------------------------------------
    def _acknowledge(self, reading: bool, payload: bool = False) -> str | None:
        """The fault of this transfer, using up a one-off one where it applies; raises the
        NACK."""
        fault, once = self._fault, self._fault_once
        if once == "nack" or (reading and once == "all-ff") or (payload and once == "bit7-drop"):
            fault, self._fault_once = once, None
        if not self._plugged or fault == "nack":
            raise OSError(errno.EREMOTEIO, "Remote I/O error")
        return fault

    def _reset(self, cause: int) -> None:
        """Power-on or soft reset: features off, queue cleared, startup packets queued."""
        self.resets += 1
        self._reset_cause = cause
        self._features: dict[int, _Feature] = {}
        self._queue: deque[_Packet] = deque()
        self._seq = [0] * CHANNELS
        self._report_seq = dict.fromkeys(SENSOR_NAMES, 0)
        initialized = bytearray(16)
        initialized[0], initialized[2] = REPORT_COMMAND_RESPONSE, COMMAND_INITIALIZE_UNSOLICITED
        self._queue_packet(CHANNEL_COMMAND, ADVERTISEMENT)
        self._queue_packet(CHANNEL_CONTROL, bytes(initialized))  # status R0 = 0: success
        self._queue_packet(CHANNEL_EXECUTABLE, bytes([EXECUTABLE_RESET]))

    def _queue_packet(self, channel: int, payload: bytes, reports: int = 0) -> None:
        self._queue.append(_Packet(channel, self._seq[channel], payload, reports))
        self._seq[channel] = (self._seq[channel] + 1) % 256

    def _transfer(self, n: int) -> bytearray:
        out = bytearray(max(n, HEADER_LEN))  # all zeros: "nothing pending", then padding
        if self._queue:
            packet = self._queue[0]
            chunk = packet.payload[packet.sent : packet.sent + max(0, n - HEADER_LEN)]
            length = HEADER_LEN + len(packet.payload) - packet.sent
            if packet.started:
                length |= CONTINUATION
            struct.pack_into("<HBB", out, 0, length, packet.channel, packet.seq)
            out[HEADER_LEN : HEADER_LEN + len(chunk)] = chunk
            packet.started = True
            packet.sent += len(chunk)
            if packet.sent == len(packet.payload):
                self._queue.popleft()
                self.reports_sent += packet.reports
        return out[:n]

    def _control(self, payload: bytes) -> None:
        if payload[0] == REPORT_PRODUCT_ID_REQUEST:
            cause = self._reset_cause
            records = [
                _PRODUCT_ID.pack(
                    REPORT_PRODUCT_ID_RESPONSE, cause, major, minor, part, build, patch
                )
                for part, major, minor, patch, build in PRODUCT_IDS
            ]
            self._queue_packet(CHANNEL_CONTROL, b"".join(records))
        elif payload[0] == REPORT_SET_FEATURE and len(payload) >= FEATURE_REPORT_LEN:
            self._set_feature(bytearray(payload[:FEATURE_REPORT_LEN]))

    def _set_feature(self, report: bytearray) -> None:
        """Enable (or with interval 0 disable) a sensor and answer with the granted interval."""
        now = self._clock()
        self._batch_reports(now)  # reports due under the old setting go out first
        sensor = report[1]
        (interval_us,) = struct.unpack_from("<I", report, 5)
        if sensor not in MIN_INTERVAL_US:
            interval_us = 0
        elif interval_us:
            interval_us = max(interval_us, MIN_INTERVAL_US[sensor])
        if interval_us:
            interval_s = interval_us * 1e-6 / (1 + self.rate_error)
            self._features[sensor] = _Feature(interval_us, now, interval_s)
        else:
            self._features.pop(sensor, None)
        report[0] = REPORT_GET_FEATURE_RESPONSE
        struct.pack_into("<I", report, 5, interval_us)
        self._queue_packet(CHANNEL_CONTROL, bytes(report))

    def _batch_reports(self, now: float) -> None:
        """Put every report due by ``now`` into one channel 3 packet, unless one is still
        waiting to be read (new reports then wait for the next packet, as on the chip)."""
        if not self._features or any(p.channel == CHANNEL_REPORTS for p in self._queue):
            return
        due = []
        for sensor, feature in self._features.items():
            last = math.floor((now - feature.start_s) / feature.interval_s + 1e-9)
            if last < feature.next_k:
                continue
            first = max(feature.next_k, last - MAX_BATCH + 1)
            self.reports_dropped += first - feature.next_k
            due += [
                (feature.start_s + k * feature.interval_s, sensor) for k in range(first, last + 1)
            ]
            feature.next_k = last + 1
        if not due:
            return
        due.sort()
        t0 = due[0][0]
        body = [struct.pack("<Bi", REPORT_BASE_TIMESTAMP, round((now - t0) / TICK_S))]
        body += [self._report(sensor, t, round((t - t0) / TICK_S)) for t, sensor in due]
        self._queue_packet(CHANNEL_REPORTS, b"".join(body), reports=len(due))

    def _report(self, sensor: int, t_s: float, delay_ticks: int) -> bytes:
        """One input report: ID, sequence, status (accuracy, delay bits 13:8), delay bits 7:0,
        then int16 values in the sensor's Q format."""
        seq = self._report_seq[sensor]
        self._report_seq[sensor] = (seq + 1) % 256
        delay = min(delay_ticks, MAX_DELAY_TICKS)
        head = bytes([sensor, seq, ACCURACY_HIGH | (delay >> 8) << 2, delay & 0xFF])
        if sensor == SENSOR_GAME_ROTATION_VECTOR:
            values = self._orientation(t_s)
        else:
            noise = random.Random(f"{self.seed}:{t_s:.9f}")
            sigma = self.accel_noise_m_s2
            values = [a + noise.gauss(0.0, sigma) for a in self._acceleration(t_s)]
        scale = 1 << Q_POINT[sensor]
        return head + b"".join(struct.pack("<h", _int16(v * scale)) for v in values)

    def _gravity_m_s2(self, t_s: float) -> tuple[float, float, float]:
        """What an accelerometer at rest reads: the world's up axis, times g, in sensor axes."""
        x, y, z, w = self._orientation(t_s)
        n = x * x + y * y + z * z + w * w
        return (
            2 * (x * z - w * y) / n * G_M_S2,
            2 * (y * z + w * x) / n * G_M_S2,
            (1 - 2 * (x * x + y * y) / n) * G_M_S2,
        )


def _int16(value: float) -> int:
    return min(0x7FFF, max(-0x8000, round(value)))
