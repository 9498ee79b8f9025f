"""Our NAU7802 and TCA9548A drivers on the emulated bus, under a virtual clock."""

import errno
import itertools

import pytest

from hw.errors import (
    BadDataError,
    BusError,
    CalibrationError,
    DeviceClosedError,
    DeviceNotFoundError,
    DeviceResetError,
    DeviceTimeoutError,
    HardwareError,
)
from hw.nau7802 import NAU7802
from hw.sim.nau7802 import EmulatedNAU7802
from hw.sim.smbus import EmulatedSMBus
from hw.sim.tca9548a import EmulatedTCA9548A
from hw.tca9548a import TCA9548A
from station.clock import VirtualClock

OFFSET, CPN = 3120.0, 4380.0  # counts, counts per newton at gain 128


class Stub:
    """Something else at 0x2A: every register reads ``value``."""

    def __init__(self, value: int):
        self.value = value

    def write(self, data: bytes) -> None:
        pass

    def read(self, n: int) -> bytes:
        return bytes([self.value]) * n


@pytest.fixture
def clock():
    return VirtualClock(50.0)


@pytest.fixture
def bus():
    with EmulatedSMBus() as b:
        yield b


def emulated(clock, force_n=lambda t: 100.0, **kw):
    kw = {"offset_counts": OFFSET, "counts_per_newton": CPN, "seed": 5, **kw}
    return EmulatedNAU7802(force_n, clock.now, **kw)


def driver(bus, clock, **kw):
    return NAU7802(bus, clock=clock.now, sleep=clock.sleep, **kw)


def test_begin_leaves_the_datasheet_configuration(bus, clock):
    bus.attach(0x2A, emulated(clock))
    cell = driver(bus, clock)
    t0 = clock.now()
    cell.begin()
    assert 0.344 <= clock.now() - t0 < 0.36  # the calibration wait dominates
    assert bus.read_byte_data(0x2A, 0x00) & ~0x20 == 0b1001_1110  # AVDDS CS PUR PUA PUD
    assert bus.read_byte_data(0x2A, 0x01) == 0b0010_0111  # VLDO 3.3 V, gain 128
    assert bus.read_byte_data(0x2A, 0x02) == 0b0111_0000  # 320 SPS, CALS clear, no CAL_ERR
    assert bus.read_byte_data(0x2A, 0x15) == 0x30
    assert bus.read_byte_data(0x2A, 0x1C) == 0x80  # PGA cap
    assert cell.revision == 0x0F
    assert cell.status()["state"] == "ready"


def test_counts_are_the_force_conversion_within_noise(bus, clock):
    bus.attach(0x2A, emulated(clock, force_n=lambda t: 100.0))
    with driver(bus, clock) as cell:
        values = []
        for _ in range(200):
            clock.sleep(0.004)
            assert cell.data_ready()
            values.append(cell.read_counts())
    expected = OFFSET + CPN * 100.0  # 441120
    assert all(abs(v - expected) < 5 * 40 for v in values)
    assert sum(values) / len(values) == pytest.approx(expected, abs=12)
    assert len(set(values)) > 50  # noise is there


def test_gain_scales_the_force_term_not_the_offset(bus, clock):
    bus.attach(0x2A, emulated(clock, force_n=lambda t: 100.0, noise_counts=0.0))
    with driver(bus, clock, gain=32) as cell:
        assert bus.read_byte_data(0x2A, 0x01) == 0b0010_0101
        clock.sleep(0.004)
        assert cell.read_counts() == round(OFFSET + CPN * 100.0 / 4)


def test_negative_counts_are_sign_extended(bus, clock):
    bus.attach(0x2A, emulated(clock, force_n=lambda t: -20.0, noise_counts=0.0))
    with driver(bus, clock) as cell:
        clock.sleep(0.004)
        assert cell.read_counts() == round(OFFSET - CPN * 20.0)  # -84480


@pytest.mark.parametrize(("force_n", "counts"), [(5000.0, 0x7FFFFF), (-5000.0, -0x800000)])
def test_full_scale_saturates(bus, clock, force_n, counts):
    bus.attach(0x2A, emulated(clock, force_n=lambda t: force_n))
    with driver(bus, clock) as cell:
        clock.sleep(0.004)
        assert cell.read_counts() == counts


def test_data_ready_clears_when_read_and_returns_one_period_later(bus, clock):
    bus.attach(0x2A, emulated(clock))
    with driver(bus, clock) as cell:
        clock.sleep(0.004)
        assert cell.data_ready()
        cell.read_counts()
        assert not cell.data_ready()
        clock.sleep(1 / 320)
        assert cell.data_ready()


def test_read_counts_is_one_block_read(bus, clock):
    mux = EmulatedTCA9548A()
    bus.attach(0x70, mux)
    mux.attach(5, 0x2A, emulated(clock))
    with driver(bus, clock, mux=TCA9548A(bus), channel=5) as cell:
        clock.sleep(0.004)
        before = bus.messages
        cell.read_counts()
        assert bus.messages - before == 2  # write [0x12], read 3; the mux is already on 5


@pytest.mark.parametrize("rate_sps", [10, 80, 320])
def test_rate_is_respected_over_one_second(bus, clock, rate_sps):
    bus.attach(0x2A, emulated(clock))
    with driver(bus, clock, rate_sps=rate_sps) as cell:
        end = clock.now() + 1.0
        seen = 0
        while clock.now() < end:
            clock.sleep(0.0005)
            if cell.data_ready():
                cell.read_counts()
                seen += 1
    assert abs(seen - rate_sps) <= 1


def test_value_is_the_newest_conversion_under_10_ms_ticks(bus, clock):
    # a 1000 N/s ramp: each value tells when its conversion happened
    bus.attach(0x2A, emulated(clock, force_n=lambda t: 1000.0 * (t - 50.0), noise_counts=0.0))
    with driver(bus, clock) as cell:
        times = []
        for _ in range(20):
            clock.sleep(0.01)
            t_conv = (cell.read_counts() - OFFSET) / (CPN * 1000.0) + 50.0
            assert clock.now() - 1 / 320 - 1e-6 < t_conv <= clock.now() + 1e-6
            times.append(t_conv)
    steps = [(b - a) * 320 for a, b in itertools.pairwise(times)]
    assert all(abs(s - round(s)) < 0.01 and round(s) in (3, 4) for s in steps)


def test_missing_chip_names_address_channel_and_corner(bus, clock):
    mux = EmulatedTCA9548A()
    bus.attach(0x70, mux)
    mux.attach(1, 0x2A, emulated(clock))  # on channel 1, not 2
    cell = driver(bus, clock, mux=TCA9548A(bus), channel=2, name="front-right")
    with pytest.raises(DeviceNotFoundError) as info:
        cell.begin()
    assert isinstance(info.value, HardwareError) and isinstance(info.value, LookupError)
    assert str(info.value) == (
        "No NAU7802 at 0x2a on mux channel 2 of /dev/i2c-1: check the wiring of the "
        "front-right load cell amplifier"
    )


def test_missing_mux_is_a_bus_error_naming_the_mux(bus, clock):
    cell = driver(bus, clock, mux=TCA9548A(bus), channel=0)
    with pytest.raises(BusError, match="TCA9548A I²C mux at 0x70 on /dev/i2c-1") as info:
        cell.begin()
    assert info.value.errno == errno.EREMOTEIO


def test_chip_lost_after_begin_raises_bus_error_and_mux_forgets(bus, clock):
    mux = EmulatedTCA9548A()
    bus.attach(0x70, mux)
    mux.attach(3, 0x2A, emulated(clock))
    tca = TCA9548A(bus)
    with driver(bus, clock, mux=tca, channel=3, name="back-right") as cell:
        mux.detach(3, 0x2A)
        with pytest.raises(BusError) as info:
            cell.data_ready()
        assert isinstance(info.value, OSError) and info.value.errno == errno.EREMOTEIO
        assert "back-right" in str(info.value) and "mux channel 3" in str(info.value)
        assert tca.selected is None


def test_other_chip_at_the_address_is_rejected_by_revision(bus, clock):
    bus.attach(0x2A, Stub(0x08))  # PUR reads set, revision nibble 0x8
    with pytest.raises(DeviceNotFoundError, match="revision 0x8"):
        driver(bus, clock).begin()


def test_power_up_timeout_runs_on_the_injected_clock(bus, clock):
    bus.attach(0x2A, Stub(0x00))  # PUR never rises
    t0 = clock.now()
    with pytest.raises(DeviceTimeoutError, match="power-up"):
        driver(bus, clock).begin()
    assert 0.1 <= clock.now() - t0 < 0.11


def test_failed_calibration_raises(bus, clock):
    chip = emulated(clock)
    chip.calibration_fails = True
    bus.attach(0x2A, chip)
    with pytest.raises(CalibrationError, match="calibration"):
        driver(bus, clock).begin()


@pytest.mark.parametrize(("kw", "bad"), [({"gain": 3}, "3"), ({"rate_sps": 100}, "100")])
def test_bad_gain_or_rate_names_the_value(bus, clock, kw, bad):
    with pytest.raises(ValueError, match=rf"got {bad}$"):
        driver(bus, clock, **kw)


def test_close_powers_down_once_and_is_safe_twice(bus, clock):
    bus.attach(0x2A, emulated(clock))
    cell = driver(bus, clock)
    cell.begin()
    cell.close()
    assert bus.read_byte_data(0x2A, 0x00) & 0b0001_0110 == 0  # PUD, PUA, CS clear
    before = bus.messages
    cell.close()
    assert bus.messages == before
    with pytest.raises(DeviceClosedError):
        cell.read_counts()
    driver(bus, clock).close()  # never started: no bus traffic, no error
    assert bus.messages == before


def test_mux_driver_skips_repeated_selects_and_disables(bus):
    mux = EmulatedTCA9548A()
    bus.attach(0x70, mux)
    tca = TCA9548A(bus)
    tca.select(4)
    tca.select(4)
    assert mux.control == 0b1_0000 and bus.messages == 1
    tca.select(6)
    assert mux.control == 0b100_0000
    tca.disable()
    assert mux.control == 0 and tca.selected is None
    assert tca.status() == {
        "address": 0x70,
        "bus": "/dev/i2c-1",
        "selected_channel": None,
        "selects": 3,
        "errors": 0,
    }
    with pytest.raises(ValueError, match="got 8"):
        tca.select(8)


def test_mux_probe_names_a_missing_mux(bus):
    with pytest.raises(DeviceNotFoundError, match="No TCA9548A I²C mux at 0x71 on /dev/i2c-1"):
        TCA9548A(bus, 0x71).probe()


def test_a_conversion_of_all_ones_is_bad_data_not_minus_one(bus, clock):
    chip = emulated(clock, force_n=lambda t: 100.0, noise_counts=0.0)
    bus.attach(0x2A, chip)
    with driver(bus, clock, name="back-left") as cell:
        clock.sleep(0.004)
        assert cell.data_ready()
        chip.inject_once("all-ff")  # the data read returns 0xFFFFFF once
        with pytest.raises(BadDataError, match=r"back-left .* read 0xFFFFFF"):
            cell.read_counts()
        assert cell.read_counts() == round(OFFSET + CPN * 100.0)  # ADCO still holds it


def test_an_all_ff_chip_fails_power_up_as_not_answering(bus, clock):
    chip = emulated(clock)
    chip.inject("all-ff")
    bus.attach(0x2A, chip)
    cell = driver(bus, clock, name="front-right")
    with pytest.raises(BadDataError, match=r"front-right .* all 0xFF \(not answering\)"):
        cell.begin()
    assert cell.status()["state"] == "failed"


def test_check_configured_tells_a_glitch_from_a_reset(bus, clock):
    chip = emulated(clock)
    bus.attach(0x2A, chip)
    with driver(bus, clock) as cell:
        chip.inject("nack")
        with pytest.raises(BusError):
            cell.check_configured()
        chip.inject(None)
        cell.check_configured()  # a NACK leaves the configuration in place
        chip.brownout()
        with pytest.raises(DeviceResetError, match="reset itself"):
            cell.check_configured()
        with pytest.raises(DeviceResetError, match=r"reset itself \(PU_CTRL reads 0x00\)"):
            cell.data_ready()
