"""The emulated SMBus, TCA9548A and NAU7802 at the level of I²C messages and registers."""

import errno
import math

import pytest
from smbus2 import i2c_msg

from hw.sim.nau7802 import EmulatedNAU7802
from hw.sim.smbus import EmulatedSMBus
from hw.sim.tca9548a import EmulatedTCA9548A
from station.clock import VirtualClock


class Recorder:
    """A target that logs every message and answers reads with 0xA0, 0xA1, ..."""

    def __init__(self):
        self.log = []

    def write(self, data: bytes) -> None:
        self.log.append(("w", bytes(data)))

    def read(self, n: int) -> bytes:
        self.log.append(("r", n))
        return bytes(0xA0 + i for i in range(n))


@pytest.fixture
def bus():
    with EmulatedSMBus() as b:
        yield b


# --- smbus calls become the kernel's I²C messages -------------------------------------------------
def test_smbus_calls_become_kernel_messages(bus):
    chip = Recorder()
    bus.attach(0x40, chip)
    assert bus.read_byte_data(0x40, 0x05) == 0xA0
    bus.write_byte_data(0x40, 0x05, 0x07)
    assert bus.read_i2c_block_data(0x40, 0x12, 3) == [0xA0, 0xA1, 0xA2]
    bus.write_i2c_block_data(0x40, 0x10, [1, 2, 3])
    bus.write_byte(0x40, 0x33)
    assert bus.read_byte(0x40) == 0xA0
    assert bus.read_word_data(0x40, 0x02) == 0xA1A0  # SMBus words are little-endian
    bus.write_word_data(0x40, 0x02, 0x1234)
    assert chip.log == [
        ("w", b"\x05"),
        ("r", 1),
        ("w", b"\x05\x07"),
        ("w", b"\x12"),
        ("r", 3),
        ("w", b"\x10\x01\x02\x03"),
        ("w", b"\x33"),
        ("r", 1),
        ("w", b"\x02"),
        ("r", 2),
        ("w", b"\x02\x34\x12"),
    ]
    assert bus.messages == len(chip.log)


def test_i2c_rdwr_fills_real_smbus2_messages_in_place(bus):
    chip = Recorder()
    bus.attach(0x2A, chip)
    write, read = i2c_msg.write(0x2A, [0x12]), i2c_msg.read(0x2A, 3)
    bus.i2c_rdwr(write, read)
    assert list(read) == [0xA0, 0xA1, 0xA2]
    assert bytes(read) == b"\xa0\xa1\xa2"
    assert chip.log == [("w", b"\x12"), ("r", 3)]


def test_block_limits_and_byte_range_are_checked(bus):
    bus.attach(0x40, Recorder())
    with pytest.raises(ValueError, match="32"):
        bus.read_i2c_block_data(0x40, 0, 33)
    with pytest.raises(ValueError, match="32"):
        bus.write_i2c_block_data(0x40, 0, [0] * 33)
    with pytest.raises(ValueError):
        bus.write_byte_data(0x40, 0, 256)


def test_short_reads_are_padded_with_ones_like_idle_pull_ups(bus):
    class Short(Recorder):
        def read(self, n):
            return b"\x01"

    bus.attach(0x41, Short())
    assert bus.read_i2c_block_data(0x41, 0, 3) == [0x01, 0xFF, 0xFF]


def test_missing_chip_nacks_like_smbus2(bus):
    with pytest.raises(OSError) as info:
        bus.read_byte_data(0x2A, 0x1F)
    assert info.value.errno == errno.EREMOTEIO
    assert str(info.value) == "[Errno 121] Remote I/O error"
    with pytest.raises(OSError) as info:
        bus.i2c_rdwr(i2c_msg.write(0x2A, [0]))
    assert info.value.errno == errno.EREMOTEIO


def test_closed_bus_refuses_transfers_and_closes_twice(bus):
    bus.attach(0x40, Recorder())
    bus.close()
    bus.close()
    with pytest.raises(OSError) as info:
        bus.read_byte(0x40)
    assert info.value.errno == errno.EBADF


def test_attach_refuses_a_second_chip_at_one_address(bus):
    bus.attach(0x40, Recorder())
    with pytest.raises(ValueError, match="0x40"):
        bus.attach(0x40, Recorder())
    assert bus.scan() == [0x40]
    bus.detach(0x40)
    assert bus.scan() == []


# --- the mux --------------------------------------------------------------------------------------
def test_mux_routes_only_to_enabled_channels(bus):
    mux = EmulatedTCA9548A()
    bus.attach(0x70, mux)
    left, right = Recorder(), Recorder()
    mux.attach(0, 0x2A, left)
    mux.attach(3, 0x2A, right)
    assert bus.scan() == [0x70]  # power-on: every channel off
    with pytest.raises(OSError) as info:
        bus.read_byte(0x2A)
    assert info.value.errno == errno.EREMOTEIO
    bus.write_byte(0x70, 1 << 3)
    assert bus.read_byte(0x70) == 0b1000
    assert bus.scan() == [0x2A, 0x70]
    bus.read_byte_data(0x2A, 0x00)
    assert left.log == []
    assert right.log == [("w", b"\x00"), ("r", 1)]
    bus.write_byte(0x70, 1 << 0)
    bus.read_byte(0x2A)
    assert left.log == [("r", 1)]
    assert len(right.log) == 2


def test_two_enabled_channels_with_one_address_are_a_bus_conflict(bus):
    mux = EmulatedTCA9548A()
    bus.attach(0x70, mux)
    mux.attach(1, 0x2A, Recorder())
    mux.attach(2, 0x2A, Recorder())
    mux.attach(2, 0x48, Recorder())
    bus.write_byte(0x70, 0b110)
    with pytest.raises(OSError) as info:
        bus.read_byte_data(0x2A, 0x00)
    assert info.value.errno == errno.EIO
    assert bus.read_byte(0x48) == 0xA0  # the other address on channel 2 is unaffected


def test_mux_keeps_the_last_byte_of_a_write_and_resets_to_off(bus):
    mux = EmulatedTCA9548A()
    bus.attach(0x70, mux)
    bus.write_i2c_block_data(0x70, 0x01, [0x02, 0x04])
    assert bus.read_byte(0x70) == 0x04
    mux.reset()
    assert bus.read_byte(0x70) == 0x00
    with pytest.raises(ValueError, match="0-7"):
        mux.attach(8, 0x2A, Recorder())


# --- the NAU7802 register map ---------------------------------------------------------------------
@pytest.fixture
def clock():
    return VirtualClock(100.0)


def make_chip(bus, clock, force_n=lambda t: 0.0, **kw):
    kw = {"offset_counts": 1000.0, "counts_per_newton": 4000.0, "noise_counts": 0.0, **kw}
    chip = EmulatedNAU7802(force_n, clock.now, **kw)
    bus.attach(0x2A, chip)
    return chip


def power_up(bus, clock, ctrl2=0x70):
    """PUD+PUA, wait for PUR, gain 128, rate code in ctrl2, CS; returns the time CS was set."""
    bus.write_byte_data(0x2A, 0x00, 0x06)
    bus.write_byte_data(0x2A, 0x01, 0x27)
    clock.sleep(0.001)
    bus.write_byte_data(0x2A, 0x02, ctrl2)
    bus.write_byte_data(0x2A, 0x00, 0x16)
    return clock.now()


def test_power_on_defaults_and_register_pointer_auto_increment(bus, clock):
    make_chip(bus, clock)
    assert bus.read_byte_data(0x2A, 0x1F) == 0x0F  # DEVICE_REV
    assert bus.read_i2c_block_data(0x2A, 0x00, 3) == [0, 0, 0]
    assert bus.read_i2c_block_data(0x2A, 0x06, 4) == [0x00, 0x80, 0x00, 0x00]  # GCAL1 = 1.0
    bus.write_i2c_block_data(0x2A, 0x03, [0x11, 0x22, 0x33])  # OCAL1, auto-increment
    assert bus.read_i2c_block_data(0x2A, 0x03, 3) == [0x11, 0x22, 0x33]
    bus.write_byte(0x2A, 0x04)  # a bare pointer write, then a bare read
    assert bus.read_byte(0x2A) == 0x22
    assert bus.read_byte(0x2A) == 0x33  # the pointer moved on
    bus.write_byte_data(0x2A, 0x1F, 0x00)
    assert bus.read_byte_data(0x2A, 0x1F) == 0x0F  # read only


def test_register_reset_restores_defaults(bus, clock):
    make_chip(bus, clock)
    power_up(bus, clock)
    bus.write_byte_data(0x2A, 0x1C, 0x80)
    bus.write_byte_data(0x2A, 0x00, 0x01)  # RR
    assert bus.read_byte_data(0x2A, 0x00) == 0x01
    assert bus.read_byte_data(0x2A, 0x1C) == 0x00
    assert bus.read_byte_data(0x2A, 0x02) == 0x00
    bus.write_byte_data(0x2A, 0x00, 0x00)
    assert bus.read_byte_data(0x2A, 0x00) == 0x00


def test_power_up_ready_follows_pud_and_pua_after_200_us(bus, clock):
    make_chip(bus, clock)
    bus.write_byte_data(0x2A, 0x00, 0x02)  # PUD only
    clock.sleep(0.01)
    assert bus.read_byte_data(0x2A, 0x00) & 0x08 == 0
    bus.write_byte_data(0x2A, 0x00, 0x06)
    clock.sleep(0.00015)
    assert bus.read_byte_data(0x2A, 0x00) == 0x06
    clock.sleep(0.0001)
    assert bus.read_byte_data(0x2A, 0x00) == 0x0E  # PUR
    bus.write_byte_data(0x2A, 0x00, 0x08 | 0x20 | 0x02)  # PUR and CR are read only
    assert bus.read_byte_data(0x2A, 0x00) == 0x02


def test_calibration_self_clears_after_344_ms(bus, clock):
    chip = make_chip(bus, clock)
    power_up(bus, clock)
    bus.write_byte_data(0x2A, 0x02, 0x74)  # 320 SPS + CALS
    clock.sleep(0.343)
    assert bus.read_byte_data(0x2A, 0x02) == 0x74
    assert bus.read_byte_data(0x2A, 0x00) & 0x20 == 0  # no conversions while calibrating
    clock.sleep(0.002)
    assert bus.read_byte_data(0x2A, 0x02) == 0x70
    chip.calibration_fails = True
    bus.write_byte_data(0x2A, 0x02, 0x74)
    clock.sleep(0.35)
    assert bus.read_byte_data(0x2A, 0x02) == 0x78  # CAL_ERR


def test_conversions_need_pud_pua_and_cs_and_follow_the_rate(bus, clock):
    make_chip(bus, clock)
    bus.write_byte_data(0x2A, 0x00, 0x06)
    bus.write_byte_data(0x2A, 0x02, 0x30)  # 80 SPS, no CS yet
    clock.sleep(0.5)
    assert bus.read_byte_data(0x2A, 0x00) & 0x20 == 0
    bus.write_byte_data(0x2A, 0x00, 0x16)  # CS
    clock.sleep(0.0124)
    assert bus.read_byte_data(0x2A, 0x00) & 0x20 == 0  # first conversion at 12.5 ms
    clock.sleep(0.0002)
    assert bus.read_byte_data(0x2A, 0x00) & 0x20 == 0x20


def test_cr_clears_when_adco_b2_is_read_and_value_is_big_endian(bus, clock):
    make_chip(bus, clock, force_n=lambda t: 10.0)  # 1000 + 40000 counts = 0x00A028
    power_up(bus, clock)
    clock.sleep(0.004)
    assert bus.read_byte_data(0x2A, 0x00) & 0x20
    assert bus.read_byte_data(0x2A, 0x13) == 0xA0  # B1 alone leaves CR set
    assert bus.read_byte_data(0x2A, 0x00) & 0x20
    assert bus.read_i2c_block_data(0x2A, 0x12, 3) == [0x00, 0xA0, 0x28]
    assert bus.read_byte_data(0x2A, 0x00) & 0x20 == 0


def test_negative_counts_are_twos_complement_and_saturate(bus, clock):
    force = {"n": -1.0}
    make_chip(bus, clock, force_n=lambda t: force["n"], offset_counts=0.0)
    power_up(bus, clock)
    clock.sleep(0.004)
    assert bus.read_i2c_block_data(0x2A, 0x12, 3) == [0xFF, 0xF0, 0x60]  # -4000
    force["n"] = -1e6
    clock.sleep(0.004)
    assert bus.read_i2c_block_data(0x2A, 0x12, 3) == [0x80, 0x00, 0x00]
    force["n"] = 1e6
    clock.sleep(0.004)
    assert bus.read_i2c_block_data(0x2A, 0x12, 3) == [0x7F, 0xFF, 0xFF]


def test_value_is_the_newest_conversion_sampled_at_its_own_time(bus, clock):
    # 1 N per second of ramp and 4000 counts/N: counts - 1000 = 4000 * t
    make_chip(bus, clock, force_n=lambda t: t - 100.0)
    cs_at = power_up(bus, clock, ctrl2=0x00)  # 10 SPS
    clock.sleep(0.25)  # conversions done at +0.1 s and +0.2 s
    b2, b1, b0 = bus.read_i2c_block_data(0x2A, 0x12, 3)
    t_conv = ((b2 << 16 | b1 << 8 | b0) - 1000) / 4000 + 100.0
    assert t_conv == pytest.approx(cs_at + 0.2, abs=1e-3)


def test_noise_is_deterministic_per_seed_and_has_the_stated_spread(bus, clock):
    def run(seed):
        b = EmulatedSMBus()
        c = VirtualClock(100.0)
        chip = EmulatedNAU7802(
            lambda t: 0.0, c.now, offset_counts=0.0, counts_per_newton=1.0, seed=seed
        )
        b.attach(0x2A, chip)
        power_up(b, c)
        out = []
        for _ in range(400):
            c.sleep(0.004)
            b2, b1, b0 = b.read_i2c_block_data(0x2A, 0x12, 3)
            raw = b2 << 16 | b1 << 8 | b0
            out.append(raw - (1 << 24) if raw & 0x800000 else raw)
        return out

    first, again, other = run(1), run(1), run(2)
    assert first == again
    assert first != other
    mean = sum(first) / len(first)
    sd = (sum((x - mean) ** 2 for x in first) / (len(first) - 1)) ** 0.5
    assert abs(mean) < 8  # 40 / sqrt(400) = 2 counts standard error
    assert 34 < sd < 46


def test_oscillator_error_sets_the_conversion_rate(bus, clock):
    make_chip(bus, clock, rate_error=0.005)
    cs_at = power_up(bus, clock)  # 320 SPS
    conversions, end = 0, cs_at + 2.0
    while clock.now() < end:
        clock.sleep(0.001)
        if bus.read_byte_data(0x2A, 0x00) & 0x20:
            bus.read_i2c_block_data(0x2A, 0x12, 3)
            conversions += 1
    assert conversions == math.floor(2.0 * 320 * 1.005)  # 643, not 640
    with pytest.raises(ValueError, match="fraction"):
        make_chip(EmulatedSMBus(), clock, rate_error=0.5)


@pytest.mark.parametrize(
    "fault, effect",
    [("nack", "oserror"), ("all-ff", [0xFF, 0xFF, 0xFF]), ("bit7-drop", [0x7F, 0xF0, 0x60])],
)
def test_a_one_off_fault_hits_one_transfer_only(bus, clock, fault, effect):
    chip = make_chip(bus, clock, force_n=lambda t: -1.0, offset_counts=0.0)  # 0xFFF060
    power_up(bus, clock)
    clock.sleep(0.004)
    chip.inject_once(fault)
    if effect == "oserror":
        with pytest.raises(OSError) as error:
            bus.read_i2c_block_data(0x2A, 0x12, 3)
        assert error.value.errno == errno.EREMOTEIO
    else:
        assert bus.read_i2c_block_data(0x2A, 0x12, 3) == effect
    clock.sleep(0.004)
    assert bus.read_i2c_block_data(0x2A, 0x12, 3) == [0xFF, 0xF0, 0x60]  # the next one is fine
    assert chip.fault_once is None
    with pytest.raises(ValueError, match="unknown fault"):
        chip.inject_once("gremlins")


def test_a_brownout_resets_every_register_without_a_nack(bus, clock):
    chip = make_chip(bus, clock)
    power_up(bus, clock)
    clock.sleep(0.01)
    assert bus.read_byte_data(0x2A, 0x00) & 0x20  # converting
    chip.brownout()
    assert bus.read_byte_data(0x2A, 0x00) == 0x00  # PUD, PUA, CS gone: no more conversions
    assert bus.read_byte_data(0x2A, 0x02) == 0x00
    clock.sleep(0.1)
    assert bus.read_byte_data(0x2A, 0x00) & 0x20 == 0


def test_a_noise_free_chip_repeats_its_code_for_a_still_input(bus, clock):
    make_chip(bus, clock, force_n=lambda t: 10.0)  # noise_counts 0
    power_up(bus, clock)
    codes = set()
    for _ in range(20):
        clock.sleep(0.004)
        codes.add(tuple(bus.read_i2c_block_data(0x2A, 0x12, 3)))
    assert codes == {(0x00, 0xA0, 0x28)}
