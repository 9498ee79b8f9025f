"""Emulated TCA9548A I²C switch: one control byte, bit n connects downstream channel n.

Attach it to an ``EmulatedSMBus`` at 0x70 and chips to its channels; the bus reaches a chip
only while the mux has its channel enabled. As on the chip, a write of several bytes keeps the
last one, a read returns the control byte, and power-on (or ``reset()``) disables all channels.
The driver switches channels before nearly every transfer, so the chips each control value
connects are worked out once, until a chip is attached or detached.
"""

from hw.sim.smbus import I2CTarget

CHANNELS = 8


class EmulatedTCA9548A:
    """An I2CTarget whose control byte routes the bus to up to eight downstream channels."""

    def __init__(self):
        self._chips: list[dict[int, I2CTarget]] = [{} for _ in range(CHANNELS)]
        self.control = 0
        # the chips on the enabled channels by address, read (never changed) by the bus for
        # every message: two or more at one address are a bus conflict
        self.connected: dict[int, tuple[I2CTarget, ...]] = {}
        self._views: dict[int, dict[int, tuple[I2CTarget, ...]]] = {}  # connected, by control

    def attach(self, channel: int, address: int, target: I2CTarget) -> None:
        """Connect ``target`` at ``address`` on downstream ``channel`` (0-7)."""
        if not 0 <= channel < CHANNELS:
            raise ValueError(f"TCA9548A channel must be 0-7, got {channel}")
        if address in self._chips[channel]:
            raise ValueError(f"mux channel {channel} already has a chip at {address:#04x}")
        self._chips[channel][address] = target
        self._views.clear()
        self._route()

    def detach(self, channel: int, address: int) -> I2CTarget:
        """Disconnect and return the chip at ``address`` on ``channel`` (a pulled cable)."""
        target = self._chips[channel].pop(address)
        self._views.clear()
        self._route()
        return target

    def reset(self) -> None:
        """The RESET pin or a power cycle: every channel off."""
        self.control = 0
        self._route()

    def write(self, data: bytes) -> None:
        """A write message: the last byte received becomes the control register."""
        if data:
            self.control = data[-1]
            self._route()

    def read(self, n: int) -> bytes:
        """A read message: the control register, repeated for every byte asked for."""
        return bytes([self.control]) * n

    def _route(self) -> None:
        """Connect the chips of the channels the control byte enables."""
        visible = self._views.get(self.control)
        if visible is None:
            visible = {}
            for channel, chips in enumerate(self._chips):
                if self.control >> channel & 1:
                    for address, target in chips.items():
                        visible[address] = (*visible.get(address, ()), target)
            self._views[self.control] = visible
        self.connected = visible
