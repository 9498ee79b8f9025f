"""An emulated I²C bus with smbus2.SMBus's methods, carrying emulated chips.

Each smbus call becomes the I²C messages the Linux kernel sends for it on an adapter without
native SMBus support (the Pi's): ``read_byte_data`` is a write of the register number then a
one-byte read after a repeated start, ``read_i2c_block_data`` the same with n bytes, and so on.
Chips see only those messages, through ``I2CTarget.write`` and ``I2CTarget.read``, so a driver
that works here sends the same bytes on a real bus. Errors are the ``OSError``s smbus2 raises:
EREMOTEIO when no chip acknowledges, EIO when two chips answer at one address. Unlike the
kernel, byte values outside 0-255 raise ValueError instead of being truncated.
"""

import ctypes
import errno
from typing import Protocol

I2C_M_RD = 0x0001  # linux/i2c.h: this message reads from the target
BLOCK_MAX = 32  # I2C_SMBUS_BLOCK_MAX


class I2CTarget(Protocol):
    """A chip on the bus: receives the bytes of each write message and answers each read."""

    def write(self, data: bytes) -> None: ...

    def read(self, n: int) -> bytes: ...


class EmulatedSMBus:
    """Drop-in for ``smbus2.SMBus`` over emulated chips; ``attach`` puts a chip on the bus.

    A target that also has ``connected``, a mapping of address to the chips at that address on
    its enabled channels (an I²C switch such as ``EmulatedTCA9548A``), makes them reachable too.
    """

    def __init__(self, bus_name: str = "/dev/i2c-1"):
        self.bus_name = bus_name
        self._targets: dict[int, I2CTarget] = {}
        self._switches: list = []
        self._open = True
        self.messages = 0  # I²C messages delivered, for tests and benchmarks

    def attach(self, address: int, target: I2CTarget) -> None:
        """Connect ``target`` at 7-bit ``address``."""
        if not 0x00 <= address <= 0x7F:
            raise ValueError(f"I²C address must be 7-bit (0x00-0x7f), got {address:#x}")
        if address in self._targets:
            raise ValueError(f"{self.bus_name} already has a chip attached at {address:#04x}")
        self._targets[address] = target
        if hasattr(target, "connected"):
            self._switches.append(target)

    def detach(self, address: int) -> I2CTarget:
        """Disconnect and return the chip at ``address`` (e.g. to emulate a pulled cable)."""
        target = self._targets.pop(address)
        if target in self._switches:
            self._switches.remove(target)
        return target

    def scan(self) -> list[int]:
        """Addresses 0x03-0x77 where at least one chip would acknowledge, like i2cdetect."""
        return [a for a in range(0x03, 0x78) if self._candidates(a)]

    # --- the smbus2.SMBus subset ----------------------------------------------------------------
    # Each call routes its messages itself (``_route(...).write``): the driver's poll sends
    # millions of them in a simulated session, so no helper call sits in between. A call's
    # messages after a repeated start go to the chip its first one reached (nothing can switch a
    # mux in between), so it is routed once and each further message counted.
    def read_byte(self, i2c_addr: int, force=None) -> int:
        """One-byte read without a register number."""
        return self._read(i2c_addr, 1)[0]

    def write_byte(self, i2c_addr: int, value: int, force=None) -> None:
        """One-byte write without a register number."""
        self._route(i2c_addr).write(bytes((value,)))

    def read_byte_data(self, i2c_addr: int, register: int, force=None) -> int:
        """Write ``register``, then read one byte after a repeated start."""
        target = self._route(i2c_addr)
        target.write(bytes((register,)))
        self.messages += 1
        data = target.read(1)
        return data[0] if data else 0xFF  # _read(i2c_addr, 1)[0], inline: the driver's usual read

    def write_byte_data(self, i2c_addr: int, register: int, value: int, force=None) -> None:
        """Write ``register`` and ``value`` in one message."""
        self._route(i2c_addr).write(bytes((register, value)))

    def read_word_data(self, i2c_addr: int, register: int, force=None) -> int:
        """Write ``register``, then read two bytes, low byte first (SMBus word order)."""
        self._route(i2c_addr).write(bytes((register,)))
        low, high = self._read(i2c_addr, 2)
        return low | high << 8

    def write_word_data(self, i2c_addr: int, register: int, value: int, force=None) -> None:
        """Write ``register`` then the 16-bit ``value`` low byte first."""
        if not 0 <= value <= 0xFFFF:
            raise ValueError(f"word value must be 0-65535, got {value}")
        self._route(i2c_addr).write(bytes((register, value & 0xFF, value >> 8)))

    def read_i2c_block_data(self, i2c_addr: int, register: int, length: int, force=None):
        """Write ``register``, then read ``length`` (at most 32) bytes; returns a list."""
        if length > BLOCK_MAX:
            raise ValueError(f"Desired block length over {BLOCK_MAX} bytes")
        target = self._route(i2c_addr)
        target.write(bytes((register,)))
        self.messages += 1
        return list(self._data(target.read(length), length))

    def write_i2c_block_data(self, i2c_addr: int, register: int, data, force=None) -> None:
        """Write ``register`` followed by ``data`` (at most 32 bytes) in one message."""
        if len(data) > BLOCK_MAX:
            raise ValueError(f"Data length cannot exceed {BLOCK_MAX} bytes")
        self._route(i2c_addr).write(bytes([register, *data]))

    def i2c_rdwr(self, *i2c_msgs) -> None:
        """Run smbus2 ``i2c_msg`` messages in order with repeated starts; read messages are
        filled in place, so ``list(msg)`` gives the bytes read, as on Linux."""
        for msg in i2c_msgs:
            if msg.flags & I2C_M_RD:
                data = self._read(msg.addr, msg.len)
                ctypes.memmove(msg.buf, data, msg.len)
            else:
                self._route(msg.addr).write(ctypes.string_at(msg.buf, msg.len))

    def close(self) -> None:
        """Close the bus; later calls raise OSError(EBADF). Safe to call twice."""
        self._open = False

    def __enter__(self):
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    # --- messages -------------------------------------------------------------------------------
    def _candidates(self, address: int) -> list:
        """Every chip that would acknowledge ``address``: attached here or behind a switch."""
        found = [self._targets[address]] if address in self._targets else []
        for switch in self._switches:
            found.extend(switch.connected.get(address, ()))
        return found

    def _route(self, address: int) -> I2CTarget:
        """The one chip acknowledging ``address``, counting the message; the smbus2 OSError
        when none or several do. It runs for every message, so it builds no list: a direct
        look-up, then each switch's chips."""
        if not self._open:
            raise OSError(errno.EBADF, "Bad file descriptor")
        target = self._targets.get(address)
        for switch in self._switches:
            below = switch.connected.get(address)
            if below:
                if target is not None or len(below) > 1:
                    raise self._conflict(address)
                target = below[0]
        if target is None:
            raise OSError(errno.EREMOTEIO, "Remote I/O error")
        self.messages += 1
        return target

    def _conflict(self, address: int) -> OSError:
        """The error of several chips acknowledging ``address`` at once."""
        found = len(self._candidates(address))
        return OSError(errno.EIO, f"Input/output error ({found} chips at {address:#04x})")

    def _read(self, address: int, n: int) -> bytes:
        """A read message of ``n`` bytes from the chip at ``address``."""
        return self._data(self._route(address).read(n), n)

    @staticmethod
    def _data(read: bytes, n: int) -> bytes:
        """The ``n`` bytes a read message returns, from what its chip drove."""
        data = bytes(read)
        if len(data) != n:  # the target stopped driving SDA: the pull-ups read as 1s
            data = (data + b"\xff" * n)[:n]
        return data
