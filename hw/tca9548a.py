"""TCA9548A 1-to-8 I²C switch (mux) on smbus2 calls.

The chip has one control register and no register pointer: a one-byte write sets it (bit n
enables downstream channel n) and a one-byte read returns it. Several NAU7802s share the fixed
address 0x2A, so exactly one of their channels is enabled at a time.
"""

import errno

from hw.errors import BusError, DeviceNotFoundError

CHANNELS = 8
DEFAULT_ADDRESS = 0x70


class TCA9548A:
    """Driver for one TCA9548A on an smbus2-style ``bus``; remembers the selected channel so
    that repeated selects of the same channel cost no bus traffic."""

    def __init__(self, bus, address: int = DEFAULT_ADDRESS, bus_name: str = "/dev/i2c-1"):
        if not 0x70 <= address <= 0x77:
            raise ValueError(f"TCA9548A address must be 0x70-0x77, got {address:#04x}")
        self._bus = bus
        self.address = address
        self.bus_name = bus_name
        self._selected: int | None = None
        self.selects = 0  # control-register writes actually sent
        self.errors = 0

    @property
    def selected(self) -> int | None:
        """The channel this driver last enabled, or None when unknown or none."""
        return self._selected

    def probe(self) -> int:
        """Read the control register to check that the mux answers; returns its value.

        Raises DeviceNotFoundError when nothing acknowledges the address.
        """
        try:
            value = self._bus.read_byte(self.address)
        except OSError as exc:
            self._failed()
            if exc.errno == errno.EREMOTEIO:
                raise DeviceNotFoundError(
                    f"No TCA9548A I²C mux at {self.address:#04x} on {self.bus_name}: check its "
                    "wiring and power, its A0-A2 address pins, and that I²C is enabled"
                ) from exc
            raise self._bus_error(exc, "reading the control register") from exc
        self._selected = _single_channel(value)
        return value

    def select(self, channel: int) -> None:
        """Enable only downstream ``channel`` (0-7); no bus traffic when already selected."""
        if not 0 <= channel < CHANNELS:
            raise ValueError(f"TCA9548A channel must be 0-7, got {channel}")
        if channel == self._selected:
            return
        self._write(1 << channel)
        self._selected = channel

    def disable(self) -> None:
        """Disconnect every downstream channel (control register 0)."""
        self._write(0)
        self._selected = None

    def forget(self) -> None:
        """Drop the remembered channel so the next ``select`` writes again, e.g. after a
        downstream transfer failed and the mux may have been reset."""
        self._selected = None

    def status(self) -> dict:
        """Plain-dict state: address, bus, selected channel and counters."""
        return {
            "address": self.address,
            "bus": self.bus_name,
            "selected_channel": self._selected,
            "selects": self.selects,
            "errors": self.errors,
        }

    def _write(self, value: int) -> None:
        """Write the control register; the words of a failure are made only when one happens
        (a select runs before nearly every transfer)."""
        try:
            self._bus.write_byte(self.address, value)
        except OSError as exc:
            self._failed()
            channel = value.bit_length() - 1  # the one bit a select sets
            what = f"selecting channel {channel}" if value else "disabling all channels"
            raise self._bus_error(exc, what) from exc
        self.selects += 1

    def _failed(self) -> None:
        self.errors += 1
        self._selected = None

    def _bus_error(self, exc: OSError, what: str) -> BusError:
        cause = "no answer (NACK)" if exc.errno == errno.EREMOTEIO else exc.strerror or str(exc)
        return BusError(
            exc.errno,
            f"TCA9548A I²C mux at {self.address:#04x} on {self.bus_name} failed while {what}: "
            f"{cause}; check the mux's wiring and power",
        )


def _single_channel(value: int) -> int | None:
    """The channel enabled by control byte ``value`` if exactly one is, else None."""
    if value and value & (value - 1) == 0:
        return value.bit_length() - 1
    return None
