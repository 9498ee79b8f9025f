"""Four NAU7802s behind a TCA9548A on the emulated bus, polled under a virtual clock."""

import dataclasses
import errno
import itertools

import pytest

from hw.errors import (
    BadDataError,
    BusError,
    DeviceNotFoundError,
    DeviceResetError,
    DeviceTimeoutError,
)
from hw.loadcells import CORNERS, LoadCellSample, NAU7802Array
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
        "clock_rate_sps": dict.fromkeys(CORNERS, 320.0),
        "lost_conversions": dict.fromkeys(CORNERS, 0),
        "rejected_codes": dict.fromkeys(CORNERS, 0),
        "polls": 1,
    }


# --- each chip on its own clock, and the faults real chips show --------------------------------
RATE_ERRORS = (0.005, -0.003, 0.002, -0.006)  # each chip's oscillator is off in its own way


@pytest.fixture
def chips(clock):
    """(bus, chips in corner order) with oscillators off by ``RATE_ERRORS``, no noise."""
    bus = EmulatedSMBus()
    mux = EmulatedTCA9548A()
    bus.attach(0x70, mux)
    made = []
    for i, channel in enumerate(CHANNELS):
        chip = EmulatedNAU7802(
            lambda t, i=i: FORCES_N[i],
            clock.now,
            offset_counts=OFFSETS[i],
            counts_per_newton=CPN,
            noise_counts=0.0,
            rate_error=RATE_ERRORS[i],
        )
        mux.attach(channel, 0x2A, chip)
        made.append(chip)
    yield bus, made
    bus.close()


def poll_for(array, clock, seconds, step_s=1 / 640):
    """Poll every ``step_s`` (a reader at twice the chips' rate) for ``seconds``."""
    samples = []
    end = clock.now() + seconds
    while clock.now() < end - 1e-9:
        clock.sleep(step_s)
        sample = array.poll()
        if sample is not None:
            samples.append(sample)
    return samples


def test_each_corner_is_numbered_and_timed_on_its_own_chips_clock(chips, clock):
    bus, _ = chips
    with make_array(bus, clock) as array:
        samples = poll_for(array, clock, 3.0)
        status = array.status()
    for i, error in enumerate(RATE_ERRORS):
        rate = 320 * (1 + error)
        seqs = [s.seq[i] for s in samples if s.fresh[i]]
        times = [s.times_s[i] for s in samples if s.fresh[i]]
        assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))  # every conversion, in order
        assert len(seqs) == pytest.approx(3.0 * rate, abs=2)
        assert status["clock_rate_sps"][CORNERS[i]] == pytest.approx(rate, abs=0.05)
        # the times follow the chip's own period, not the polls
        steps = [b - a for a, b in itertools.pairwise(times[100:])]
        assert max(abs(step * rate - 1) for step in steps) < 0.05
        assert all(s.lost[i] == 0 for s in samples)
    assert status["lost_conversions"] == dict.fromkeys(CORNERS, 0)


def test_a_late_poll_counts_the_overwritten_conversions_as_lost(chips, clock):
    bus, _ = chips
    with make_array(bus, clock) as array:
        samples = poll_for(array, clock, 1.0)
        clock.sleep(0.02)  # the reader is held up for 20 ms: six or so conversions each
        late = array.poll()
        after = poll_for(array, clock, 0.5)
        status = array.status()
    for i in range(4):
        newest = max(s.seq[i] for s in samples)
        rate = 320 * (1 + RATE_ERRORS[i])
        assert late.fresh[i]
        assert late.seq[i] == newest + late.lost[i] + 1  # the numbers skip the lost ones
        # a loss within a tenth of a period of the late look shows at the next one instead
        later = [s.lost[i] for s in after if s.fresh[i]]
        assert later[1:] == [0] * (len(later) - 1)
        total = late.lost[i] + later[0]
        assert total == pytest.approx(0.02 * rate - 1, abs=1)  # all but the newest, read late
        assert status["lost_conversions"][CORNERS[i]] == total


def test_a_conversion_read_as_all_ones_twice_is_bad_data(chips, clock):
    bus, made = chips
    with make_array(bus, clock) as array:
        poll_for(array, clock, 0.1)
        clock.sleep(0.005)
        made[2].inject("all-ff")
        with pytest.raises(BadDataError, match=r"back-left .* all 0xFF"):
            array.poll()


def test_a_silent_reset_is_caught_at_the_next_look_not_frozen(chips, clock):
    bus, made = chips
    with make_array(bus, clock) as array:
        poll_for(array, clock, 0.1)
        made[1].brownout()  # front-right: registers back to power-on values, no NACK
        with pytest.raises(DeviceResetError, match=r"front-right .* reset itself"):
            poll_for(array, clock, 0.01)
        with pytest.raises(DeviceResetError):
            array.recover()  # its configuration is gone: only begin() brings it back
        array.begin()
        assert poll_for(array, clock, 0.05)


def test_a_chip_that_stops_converting_is_a_timeout_naming_its_corner(chips, clock):
    bus, _ = chips
    with make_array(bus, clock) as array:
        poll_for(array, clock, 0.1)
        array.cells[3].start_calibration()  # behind the array's back: no conversions for 0.34 s
        with pytest.raises(DeviceTimeoutError, match=r"back-right .* converted nothing"):
            poll_for(array, clock, 0.1)


def test_a_dropped_bit_7_in_pu_ctrl_is_bad_data(chips, clock):
    bus, made = chips
    with make_array(bus, clock) as array:
        poll_for(array, clock, 0.1)
        made[0].inject("bit7-drop")
        with pytest.raises(BadDataError, match="bit 7"):
            poll_for(array, clock, 0.01)


class AllOnesData:
    """An I2CTarget in front of a chip: its next ``times`` 3-byte reads (conversions) come back
    all ones, as when the chip lets go of SDA just then."""

    def __init__(self, chip):
        self.chip, self.times = chip, 0

    def write(self, data: bytes) -> None:
        self.chip.write(data)

    def read(self, n: int) -> bytes:
        data = self.chip.read(n)
        if n == 3 and self.times:
            self.times -= 1
            return b"\xff" * n
        return data


@pytest.mark.parametrize("times", [1, 2])
def test_an_all_ones_conversion_is_read_again_at_the_retry_and_refused_if_it_repeats(clock, times):
    bus, mux = EmulatedSMBus(), EmulatedTCA9548A()
    bus.attach(0x70, mux)
    flaky = None
    for i, channel in enumerate(CHANNELS):
        chip = EmulatedNAU7802(
            lambda t, i=i: FORCES_N[i], clock.now, offset_counts=OFFSETS[i], counts_per_newton=CPN
        )
        if i == 1:
            chip = flaky = AllOnesData(chip)
        mux.attach(channel, 0x2A, chip)
    with make_array(bus, clock) as array:
        poll_for(array, clock, 0.1)
        flaky.times = times
        with pytest.raises(BadDataError, match=r"front-right .* read 0xFFFFFF"):
            poll_for(array, clock, 0.01)
        retry = array.poll()  # the retry reads the held conversion again
        status = array.status()
    if times == 1:  # a one-off glitch: it cost nothing
        assert retry.fresh[1] and abs(retry.counts[1] - expected_counts(1)) < 200
        assert status["rejected_codes"]["front-right"] == 0
    else:  # all ones again: refused (a true -1 count is refused too), never decoded as -1
        assert retry is None or not retry.fresh[1]
        assert status["rejected_codes"]["front-right"] == 1
    assert status["lost_conversions"] == dict.fromkeys(CORNERS, 0)


def test_a_failed_poll_keeps_what_it_read_for_the_retry(chips, clock):
    bus, made = chips
    with make_array(bus, clock) as array:
        poll_for(array, clock, 0.1)
        clock.sleep(0.0032)  # every corner has a conversion waiting
        made[2].inject_once("nack")  # back-left fails after front-left and front-right
        with pytest.raises(BusError):
            array.poll()
        retry = array.poll()
    assert retry.fresh == (True, True, True, True)  # the two read before the failure too
    for i in range(4):
        assert abs(retry.counts[i] - expected_counts(i)) < 1


def test_recover_after_a_nack_skips_the_calibration(chips, clock):
    bus, made = chips
    with make_array(bus, clock) as array:
        poll_for(array, clock, 0.1)
        made[3].inject("nack")
        with pytest.raises(BusError):
            poll_for(array, clock, 0.01)
        made[3].inject(None)
        started = clock.now()
        array.recover()
        assert clock.now() == started  # no 0.35 s calibration
        samples = poll_for(array, clock, 0.05)
    assert samples and all(s.lost == (0, 0, 0, 0) for s in samples)  # the outage is no loss


def test_an_all_ff_chip_is_not_answering_at_begin_not_a_calibration_timeout(chips, clock):
    bus, made = chips
    made[1].inject("all-ff")
    array = make_array(bus, clock)
    with pytest.raises(BadDataError, match=r"front-right .* all 0xFF \(not answering\)"):
        array.begin()
    array.close()
