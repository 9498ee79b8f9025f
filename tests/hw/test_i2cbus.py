"""SMBusI2C: the busio.I2C methods Adafruit drivers need, on an smbus2-style bus."""

import errno

import pytest
from adafruit_bus_device.i2c_device import I2CDevice

from hw.i2cbus import SMBusI2C
from hw.sim.smbus import I2C_M_RD, EmulatedSMBus


class Recorder:
    """A chip that records the bytes written to it and answers reads with 1, 2, 3, ..."""

    def __init__(self):
        self.writes: list[bytes] = []

    def write(self, data: bytes) -> None:
        self.writes.append(bytes(data))

    def read(self, n: int) -> bytes:
        return bytes(range(1, n + 1))


class RdwrOnlyBus:
    """A bus with nothing but ``i2c_rdwr``: shows the adapter never uses smbus2's calls that
    cache an I2C_SLAVE address; records (address, is_read, length) of each message."""

    def __init__(self):
        self.messages: list[tuple[int, bool, int]] = []

    def i2c_rdwr(self, *msgs) -> None:
        self.messages += [(m.addr, bool(m.flags & I2C_M_RD), m.len) for m in msgs]


@pytest.fixture
def bus():
    with EmulatedSMBus() as b:
        yield b


def test_writeto_sends_the_slice_as_one_message(bus):
    chip = Recorder()
    bus.attach(0x4A, chip)
    SMBusI2C(bus).writeto(0x4A, bytearray(b"\x05\x00\x01\x00\x01\xaa\xbb"), start=1, end=5)
    assert chip.writes == [b"\x00\x01\x00\x01"]


def test_zero_length_write_reaches_the_chip(bus):
    chip = Recorder()
    bus.attach(0x4A, chip)
    SMBusI2C(bus).writeto(0x4A, b"")
    assert chip.writes == [b""]


def test_readfrom_into_fills_only_the_slice(bus):
    bus.attach(0x4A, Recorder())
    buffer = bytearray(b"\xee" * 8)
    SMBusI2C(bus).readfrom_into(0x4A, buffer, start=2, end=6)
    assert buffer == bytearray(b"\xee\xee\x01\x02\x03\x04\xee\xee")


def test_every_transfer_is_an_i2c_rdwr_message_carrying_the_address():
    fake = RdwrOnlyBus()
    i2c = SMBusI2C(fake)
    i2c.writeto(0x4A, b"\x01\x02")
    i2c.readfrom_into(0x2A, bytearray(3))
    assert fake.messages == [(0x4A, False, 2), (0x2A, True, 3)]


def test_nack_propagates_as_the_buses_oserror(bus):
    i2c = SMBusI2C(bus)
    with pytest.raises(OSError) as write_error:
        i2c.writeto(0x4A, b"\x00")
    with pytest.raises(OSError) as read_error:
        i2c.readfrom_into(0x4A, bytearray(4))
    assert write_error.type is OSError and write_error.value.errno == errno.EREMOTEIO
    assert read_error.type is OSError and read_error.value.errno == errno.EREMOTEIO


def test_scan_lists_the_chips_in_the_busio_range(bus):
    for address in (0x03, 0x2A, 0x4A, 0x70):
        bus.attach(address, Recorder())
    assert SMBusI2C(bus).scan() == [0x2A, 0x4A, 0x70]


def test_scan_raises_errors_other_than_a_nack(bus):
    bus.close()
    with pytest.raises(OSError) as error:
        SMBusI2C(bus).scan()
    assert error.value.errno == errno.EBADF


def test_lock_is_exclusive_and_non_blocking(bus):
    i2c = SMBusI2C(bus)
    assert i2c.try_lock()
    assert not i2c.try_lock()
    i2c.unlock()
    assert i2c.try_lock()


def test_adafruit_bus_device_probes_through_the_adapter(bus):
    i2c = SMBusI2C(bus)
    with pytest.raises(ValueError, match="No I2C device at address: 0x4a"):
        I2CDevice(i2c, 0x4A)
    chip = Recorder()
    bus.attach(0x4A, chip)
    device = I2CDevice(i2c, 0x4A)
    with device:
        device.write(b"\x01\x02\x03", end=2)
    assert chip.writes == [b"", b"\x01\x02"]  # the probe, then the write
    assert i2c.try_lock()  # the device released the bus
