"""Four NAU7802s behind a TCA9548A on the emulated bus, polled under a virtual clock."""

import dataclasses
import errno

import pytest

from hw.errors import BusError, DeviceNotFoundError
from hw.loadcells import LoadCellSample, NAU7802Array
from hw.sim.nau7802 import EmulatedNAU7802
from hw.sim.smbus import EmulatedSMBus
from hw.sim.tca9548a import EmulatedTCA9548A
from station.clock import VirtualClock

FORCES_N = (100.0, 200.0, 300.0, -50.0)  # FL, FR, BL, BR
OFFSETS = (3120.0, -1845.0, 2470.0, -4215.0)
CPN = 4380.0
CHANNELS = (3, 1, 0, 2)  # corner i sits on mux channel CHANNELS[i]


@pytest.fixture
def clock():
    return VirtualClock(10.0)


@pytest.fixture
def rig(clock):
    """The emulated bus and mux with one chip per corner on its channel."""
    bus = EmulatedSMBus()
    mux = EmulatedTCA9548A()
    bus.attach(0x70, mux)
    for i, channel in enumerate(CHANNELS):
        chip = EmulatedNAU7802(
            lambda t, i=i: FORCES_N[i],
            clock.now,
            offset_counts=OFFSETS[i],
            counts_per_newton=CPN,
            seed=i,
        )
        mux.attach(channel, 0x2A, chip)
    yield bus, mux
    bus.close()


def make_array(bus, clock, **kw):
    return NAU7802Array(bus, channels=CHANNELS, clock=clock.now, sleep=clock.sleep, **kw)


def expected_counts(i: int) -> float:
    return OFFSETS[i] + CPN * FORCES_N[i]


def test_begin_calibrates_all_corners_at_once(rig, clock):
    bus, _ = rig
    array = make_array(bus, clock)
    assert array.status()["state"] == "not-started"
    array.begin()
    assert array.status()["state"] == "ready"
    assert 0.344 <= clock.now() - 10.0 < 0.36  # one calibration time, not four
    for channel in CHANNELS:
        bus.write_byte(0x70, 1 << channel)
        assert bus.read_byte_data(0x2A, 0x00) & 0x1E == 0x1E  # PUD PUA PUR CS
        assert bus.read_byte_data(0x2A, 0x02) == 0x70
    array.close()


def test_no_sample_until_every_corner_has_converted(rig, clock):
    bus, _ = rig
    with make_array(bus, clock, rate_sps=10) as array:
        # calibration ended at most 10 ms ago: the first conversions are 100 ms away
        assert array.poll() is None
        assert list(array.status()["corner_samples"].values()) == [0, 0, 0, 0]
        clock.sleep(0.1)
        sample = array.poll()
    assert isinstance(sample, LoadCellSample)
    assert sample.t_s == clock.now()
    assert sample.fresh == (True, True, True, True)
    assert abs(sample.counts[3] - expected_counts(3)) < 200


def test_counts_map_to_corners_through_their_channels(rig, clock):
    bus, _ = rig
    with make_array(bus, clock) as array:
        clock.sleep(0.01)
        sample = array.poll()
        assert sample.fresh == (True, True, True, True)
        for i in range(4):
            assert abs(sample.counts[i] - expected_counts(i)) < 200
        assert sample.counts[3] < 0  # back-right carries -50 N: negative counts
        assert array.poll() is None  # nothing new at the same instant


def test_polls_at_1_khz_see_320_conversions_per_corner_per_second(rig, clock):
    bus, _ = rig
    with make_array(bus, clock) as array:
        clock.sleep(0.0013)
        array.cells[2].calibrate()  # back-left now converts out of phase with the others
        clock.sleep(0.01)
        array.poll()
        start = dict(array.status()["corner_samples"])
        partial = 0
        end = clock.now() + 1.0
        while clock.now() < end - 1e-9:
            clock.sleep(0.001)
            sample = array.poll()
            if sample is not None:
                assert any(sample.fresh)
                partial += not all(sample.fresh)
        status = array.status()
    for name, n in status["corner_samples"].items():
        assert abs(n - start[name] - 320) <= 1, name
    assert partial > 0  # the chips convert out of phase: some samples are partly fresh
    assert status["measured_rate_sps"] == pytest.approx(320, abs=2)


def test_control_loop_ticks_of_10_ms_get_a_fresh_sample_each(rig, clock):
    bus, _ = rig
    with make_array(bus, clock) as array:
        samples = []
        for _ in range(100):
            clock.sleep(0.01)
            samples.append(array.poll())
    assert all(s is not None and all(s.fresh) for s in samples)
    assert [s.t_s for s in samples] == sorted({s.t_s for s in samples})


def test_sample_is_frozen(rig, clock):
    sample = LoadCellSample(1.0, (1, 2, 3, 4), (True, True, True, True))
    with pytest.raises(dataclasses.FrozenInstanceError):
        sample.t_s = 2.0


def test_missing_corner_at_begin_names_it(rig, clock):
    bus, mux = rig
    mux.detach(0, 0x2A)  # back-left sits on channel 0
    array = make_array(bus, clock)
    with pytest.raises(DeviceNotFoundError, match=r"channel 0 of /dev/i2c-1: .* back-left"):
        array.begin()
    assert array.status()["state"] == "failed"
    array.close()
    assert array.status()["state"] == "closed"
    bus.write_byte(0x70, 1 << 3)  # front-left had started: close() powered it down again
    assert bus.read_byte_data(0x2A, 0x00) & 0x06 == 0


def test_missing_mux_at_begin(clock):
    bus = EmulatedSMBus()
    array = make_array(bus, clock)
    with pytest.raises(DeviceNotFoundError, match="No TCA9548A I²C mux at 0x70"):
        array.begin()


def test_corner_lost_while_polling_raises_bus_error_naming_it(rig, clock):
    bus, mux = rig
    with make_array(bus, clock, bus_name="/dev/i2c-3") as array:
        clock.sleep(0.01)
        array.poll()
        mux.detach(1, 0x2A)  # front-right
        clock.sleep(0.01)
        with pytest.raises(BusError) as info:
            array.poll()
    assert info.value.errno == errno.EREMOTEIO
    assert "front-right" in str(info.value)
    assert "mux channel 1 of /dev/i2c-3" in str(info.value)


def test_close_powers_down_every_chip_and_is_safe_twice(rig, clock):
    bus, mux = rig
    array = make_array(bus, clock)
    array.begin()
    array.close()
    array.close()
    assert array.status()["state"] == "closed"
    assert mux.control == 0  # every channel disconnected
    for channel in CHANNELS:
        bus.write_byte(0x70, 1 << channel)
        assert bus.read_byte_data(0x2A, 0x00) & 0x06 == 0  # PUD and PUA clear


def test_channels_must_be_four_different_ones(rig, clock):
    bus, _ = rig
    with pytest.raises(ValueError, match=r"\(0, 1, 1, 2\)"):
        NAU7802Array(bus, channels=(0, 1, 1, 2))


def test_status_is_a_plain_dict(rig, clock):
    bus, _ = rig
    with make_array(bus, clock) as array:
        clock.sleep(0.01)
        array.poll()
        status = array.status()
    assert status == {
        "state": "ready",
        "bus": "/dev/i2c-1",
        "mux_address": 0x70,
        "channels": [3, 1, 0, 2],
        "rate_sps": 320,
        "gain": 128,
        "corner_samples": {"front-left": 1, "front-right": 1, "back-left": 1, "back-right": 1},
        "measured_rate_sps": None,
        "polls": 1,
    }
