"""A busio.I2C look-alike over an smbus2.SMBus, for Adafruit drivers such as adafruit_bno08x.

Why not Blinka's busio: on Linux it ignores the I²C frequency, needs board detection (and on a
Pi checks platform packages at import), and opens its own /dev/i2c handle. This adapter shares
the station's one bus handle with our own smbus2 drivers, and in simulation it runs over an
``EmulatedSMBus``, so one emulated bus carries every chip. Every transfer is an ``i2c_rdwr``
whose messages carry the address, so it never races with the I2C_SLAVE address that smbus2
caches for its other calls on another thread. Untested on a real Pi: confirm on hardware.
"""

import errno
import threading

from smbus2 import i2c_msg

SCAN_FIRST, SCAN_LAST = 0x08, 0x77  # busio scans the non-reserved 7-bit addresses
_ABSENT = (errno.EREMOTEIO, errno.ENXIO)  # how Linux adapters report a NACK of the address


class SMBusI2C:
    """The busio.I2C methods Adafruit drivers use, on ``bus`` (an smbus2.SMBus or compatible).

    The adapter does not own ``bus``: whoever opened it closes it. OSErrors from the bus pass
    through unchanged (errno 121, EREMOTEIO, is a NACK), so callers can classify them.
    ``all_ff_reads`` counts reads that came back as nothing but 0xFF (no device drove SDA),
    which Adafruit drivers may take for "nothing to read": the caller can tell.
    """

    def __init__(self, bus):
        self._bus = bus
        self._lock = threading.Lock()
        self.all_ff_reads = 0

    def try_lock(self) -> bool:
        """Take the bus for one driver transaction without blocking; True if taken."""
        return self._lock.acquire(blocking=False)

    def unlock(self) -> None:
        """Release the bus taken with ``try_lock()``."""
        self._lock.release()

    def writeto(self, address: int, buffer, *, start: int = 0, end: int | None = None) -> None:
        """Write ``buffer[start:end]`` to ``address`` in one message (zero bytes is a probe)."""
        data = bytes(memoryview(buffer)[start:end])
        self._bus.i2c_rdwr(i2c_msg.write(address, data))

    def readfrom_into(self, address: int, buffer, *, start: int = 0, end: int | None = None):
        """Fill ``buffer[start:end]`` with one read message from ``address``."""
        end = len(buffer) if end is None else end
        msg = i2c_msg.read(address, end - start)
        self._bus.i2c_rdwr(msg)
        data = bytes(msg)
        if data and data.count(0xFF) == len(data):
            self.all_ff_reads += 1
        buffer[start:end] = data

    def scan(self) -> list[int]:
        """Addresses 0x08-0x77 that acknowledge a zero-length write, like busio's scan."""
        found = []
        for address in range(SCAN_FIRST, SCAN_LAST + 1):
            try:
                self.writeto(address, b"")
            except OSError as exc:
                if exc.errno not in _ABSENT:
                    raise
            else:
                found.append(address)
        return found
