"""HX711Array against four emulated HX711s on a MockFactory, under a virtual clock."""

import itertools

import pytest
from gpiozero.exc import GPIOPinInUse

from hw.errors import DeviceClosedError, DeviceTimeoutError
from hw.hx711 import HX711Array
from hw.loadcells import CORNERS, LoadCellSample
from hw.sim.hx711 import EmulatedHX711, HX711ClockPin, TickingClock, attach_hx711s
from station.clock import VirtualClock

CLOCK_PIN = 17
DATA_PINS = (27, 22, 23, 24)  # FL, FR, BL, BR
OFFSETS = (3120.0, -1845.0, 2470.0, -4215.0)
CPN = 100.0
START_S = 10.0


@pytest.fixture
def clock():
    return VirtualClock(START_S)


@pytest.fixture
def forces():
    """Newtons on each corner, changeable during a test."""
    return [100.0, 200.0, 300.0, -50.0]


def make_chips(clock, pulse, forces, *, offsets=OFFSETS, cpn=CPN, rate_sps=80, errors=(0,) * 4):
    return [
        EmulatedHX711(
            lambda t, i=i: forces[i],
            clock.now,
            offset_counts=offsets[i],
            counts_per_newton=cpn,
            noise_counts=0.0,
            seed=i,
            rate_sps=rate_sps,
            pulse_clock=pulse,
            rate_error=errors[i],
        )
        for i in range(4)
    ]


@pytest.fixture
def chips(factory, clock, pulse, forces):
    chips = make_chips(clock, pulse, forces)
    attach_hx711s(factory, CLOCK_PIN, DATA_PINS, chips)
    return chips


def make_array(factory, clock, pulse, **kw):
    return HX711Array(
        factory,
        clock_pin=CLOCK_PIN,
        data_pins=DATA_PINS,
        clock=clock.now,
        pulse_clock=pulse,
        sleep=clock.sleep,
        **kw,
    )


@pytest.fixture
def array(factory, clock, pulse, chips):
    with make_array(factory, clock, pulse) as a:
        yield a


def expected(i: int, forces, gain: int = 128) -> int:
    return round(OFFSETS[i] + CPN * forces[i] * gain / 128)


def next_sample(array, clock, step_s=0.001, limit_s=1.0) -> LoadCellSample:
    """Poll every ``step_s`` of virtual time until a sample comes."""
    start = clock.now()
    while (sample := array.poll()) is None:
        assert clock.now() - start < limit_s, "no sample"
        clock.sleep(step_s)
    return sample


def test_counts_decode_exactly_in_corner_order(array, clock, forces):
    sample = next_sample(array, clock)
    assert sample.counts == tuple(expected(i, forces) for i in range(4))
    assert sample.counts[3] == -9215
    assert sample.fresh == (True, True, True, True)
    assert sample.t_s == clock.now()


@pytest.mark.parametrize("counts", [0, 1, -2, 0x7FFFFE, -0x7FFFFF])
def test_every_24_bit_code_but_the_spikes_decodes(factory, clock, pulse, counts):
    levels = [float(counts), 5.0, -5.0, 0.0]  # counts = force with no offset, 1 count per N
    chips = make_chips(clock, pulse, levels, offsets=(0.0,) * 4, cpn=1.0)
    attach_hx711s(factory, CLOCK_PIN, DATA_PINS, chips)
    with make_array(factory, clock, pulse) as array:
        assert next_sample(array, clock).counts == (counts, 5, -5, 0)


def test_four_corners_come_from_one_clock_train(factory, clock, pulse):
    ramp = [lambda t: 1000.0 * (t - START_S)] * 4  # the same force on every corner at any t
    chips = [
        EmulatedHX711(
            ramp[i],
            clock.now,
            offset_counts=OFFSETS[i],
            counts_per_newton=CPN,
            noise_counts=0.0,
            pulse_clock=pulse,  # the driver's clock: no real preemption on a busy machine
        )
        for i in range(4)
    ]
    attach_hx711s(factory, CLOCK_PIN, DATA_PINS, chips)
    with make_array(factory, clock, pulse) as array:
        for _ in range(5):
            sample = next_sample(array, clock, step_s=0.003)
            loads = {c - o for c, o in zip(sample.counts, OFFSETS, strict=True)}
            assert len(loads) == 1 and loads.pop() > 0  # one conversion instant for all four
    assert [chip.status()["conversions_read"] for chip in chips] == [5, 5, 5, 5]


@pytest.mark.parametrize(
    ("gain", "pulses", "selected"), [(128, 25, "A/128"), (64, 27, "A/64"), (32, 26, "B/32")]
)
def test_gain_sets_the_pulses_and_the_next_conversion(
    factory, clock, pulse, chips, forces, gain, pulses, selected
):
    with make_array(factory, clock, pulse, gain=gain) as array:
        sample = next_sample(array, clock)
        # the first conversion after reset is at A/128; another gain needs its own settling
        assert sample.t_s - START_S == pytest.approx(0.05 if gain == 128 else 0.1)
        assert sample.counts == tuple(expected(i, forces, gain) for i in range(4))
        assert array.status()["wrong_gain_discards"] == (0 if gain == 128 else 4)
    for chip in chips:
        assert chip.status()["last_read_pulses"] == pulses
        assert chip.status()["input"] == selected


@pytest.mark.parametrize(("rate_sps", "settling_s"), [(80, 0.05), (10, 0.4)])
def test_begin_waits_out_the_settling_time(factory, clock, pulse, forces, rate_sps, settling_s):
    chips = make_chips(clock, pulse, forces, rate_sps=rate_sps)
    attach_hx711s(factory, CLOCK_PIN, DATA_PINS, chips)
    started = clock.now()
    with make_array(factory, clock, pulse, rate_sps=rate_sps) as array:
        waited = clock.now() - started
        assert settling_s - 1e-9 <= waited < settling_s + 0.5 / rate_sps + 1e-9
        assert array.status()["reads"] == 0
        sample = array.poll()  # the first conversions are waiting
    assert sample.fresh == (True, True, True, True)
    assert sample.lost == (0, 0, 0, 0)


@pytest.mark.parametrize("rate_sps", [10, 80])
def test_measured_rate_over_two_seconds(factory, clock, pulse, forces, rate_sps):
    attach_hx711s(
        factory, CLOCK_PIN, DATA_PINS, make_chips(clock, pulse, forces, rate_sps=rate_sps)
    )
    with make_array(factory, clock, pulse, rate_sps=rate_sps) as array:
        samples = 0
        for _ in range(2000):
            clock.sleep(0.001)
            samples += array.poll() is not None
        assert array.measured_rate_sps() == pytest.approx(rate_sps, rel=0.01)
        assert samples == pytest.approx(2.0 * rate_sps, abs=1)  # begin() waited the settling
        assert array.status()["corner_samples"]["back-right"] == samples


@pytest.mark.parametrize(("at_bit", "spike"), [(0, 0xFFFFFF), (1, 0x7FFFFF)])
def test_stalled_read_is_rejected_counted_and_recovers(array, clock, chips, forces, at_bit, spike):
    before = next_sample(array, clock)
    chips[2].inject_stall(at_bit)  # back-left: a positive code, so bit 1 on gives 0x7FFFFF
    forces[2] = 310.0
    sample = next_sample(array, clock)
    assert sample.fresh == (True, True, False, True)
    assert sample.counts[2] == before.counts[2]
    assert array.status()["rejected_spikes"] == {
        "front-left": 0,
        "front-right": 0,
        "back-left": 1,
        "back-right": 0,
    }
    assert chips[2].status()["power_downs"] == 2  # begin()'s power cycle, then the stall
    # the chip restarts with its settling time; the others wait for it
    recovered = next_sample(array, clock)
    assert recovered.t_s - sample.t_s == pytest.approx(0.05, abs=0.0011)
    assert recovered.fresh == (True, True, True, True)
    assert recovered.counts[2] == expected(2, forces) != spike


def test_a_chip_reset_by_a_spike_is_not_read_at_the_wrong_gain(
    factory, clock, pulse, chips, forces
):
    with make_array(factory, clock, pulse, gain=64) as array:
        next_sample(array, clock)
        chips[1].inject_stall(0)
        assert next_sample(array, clock).fresh == (True, False, True, True)  # the spike
        at_128 = next_sample(array, clock)  # the reset chip's first conversion is at A/128
        assert at_128.fresh == (True, False, True, True)
        assert array.status()["wrong_gain_discards"] == 4 + 1  # 4 after begin(), then this
        recovered = next_sample(array, clock)
        assert recovered.fresh == (True, True, True, True)
        assert recovered.counts[1] == expected(1, forces, 64)


class PreemptedClockPin(HX711ClockPin):
    """PD_SCK whose writer is preempted for ``pause_s`` after the rising edge of pulse
    ``preempt_at`` (counted from arming), as a busy Pi does now and then."""

    pulse_clock: TickingClock
    preempt_at: int | None = None
    pause_s = 200e-6

    def _change_state(self, value) -> bool:
        changed = super()._change_state(value)
        if changed and value and self.preempt_at is not None:
            if self.preempt_at == 0:
                self.pulse_clock.advance(self.pause_s)
                self.preempt_at = None
            else:
                self.preempt_at -= 1
        return changed


def test_preempted_pulse_drops_the_read_and_all_chips_restart(factory, clock, pulse, forces):
    clk = factory.pin(CLOCK_PIN, pin_class=PreemptedClockPin)
    clk.pulse_clock = pulse
    chips = make_chips(clock, pulse, forces)
    attach_hx711s(factory, CLOCK_PIN, DATA_PINS, chips)
    with make_array(factory, clock, pulse) as array:
        next_sample(array, clock)
        clk.preempt_at = 9  # the pulse of bit 9 (an ordinary code from there on: ones)
        clock.sleep(1 / 80)
        assert array.poll() is None
        status = array.status()
        assert status["clock_overruns"] == 1
        assert status["reads"] == 2
        assert [chip.status()["power_downs"] for chip in chips] == [2, 2, 2, 2]
        t_drop = clock.now()
        sample = next_sample(array, clock)
        assert sample.t_s - t_drop == pytest.approx(0.05, abs=0.0011)
        assert sample.counts == tuple(expected(i, forces) for i in range(4))
        assert sum(array.status()["rejected_spikes"].values()) == 0


def test_unplugged_corner_times_out_naming_it_and_recovers(array, clock, chips, forces):
    next_sample(array, clock)
    chips[2].unplug()
    t_last = clock.now()
    with pytest.raises(DeviceTimeoutError, match=r"back-left \(DOUT GPIO 23\)") as caught:
        for _ in range(1000):
            clock.sleep(0.005)
            array.poll()
    assert isinstance(caught.value, TimeoutError)
    assert "check its wiring and power" in str(caught.value)
    assert "front-left" not in str(caught.value)
    assert array.stall_after_s < clock.now() - t_last <= array.stall_after_s + 0.005
    assert array.status()["state"] == "stalled"
    chips[2].plug()
    array.begin()
    sample = next_sample(array, clock)
    assert sample.fresh == (True, True, True, True)
    assert sample.counts == tuple(expected(i, forces) for i in range(4))
    assert array.status()["state"] == "ready"


def test_all_corners_silent_points_at_the_shared_clock(array, clock, chips):
    for chip in chips:
        chip.unplug()
    clock.sleep(1.0)
    with pytest.raises(DeviceTimeoutError, match=r"PD_SCK \(GPIO 17\)"):
        array.poll()


def test_close_releases_the_pins_for_the_next_owner(factory, clock, pulse, chips, forces):
    first = make_array(factory, clock, pulse)
    first.begin()
    second = make_array(factory, clock, pulse)
    with pytest.raises(GPIOPinInUse):
        second.begin()
    first.close()
    first.close()
    with pytest.raises(DeviceClosedError):
        first.poll()
    second.begin()
    assert next_sample(second, clock).counts == tuple(expected(i, forces) for i in range(4))
    second.close()
    assert factory.pin(CLOCK_PIN).function == "input"


def test_a_pin_clash_names_the_owner_and_a_retry_works_once_freed(
    factory, clock, pulse, chips, forces
):
    first = make_array(factory, clock, pulse)
    first.begin()
    clashing = HX711Array(  # shares only back-left's DOUT, the third pin it reserves
        factory,
        clock_pin=5,
        data_pins=(6, 12, 23, 16),
        clock=clock.now,
        pulse_clock=pulse,
        sleep=clock.sleep,
    )
    with pytest.raises(GPIOPinInUse, match="HX711Array PD_SCK GPIO17"):
        clashing.begin()
    assert clashing.status()["state"] == "failed"
    first.close()
    # its own earlier reservations do not block it: it gets the pins, and then finds no chips
    # on its other three lines (only back-left's DOUT carries one, clocked on GPIO 17)
    with pytest.raises(DeviceTimeoutError, match=r"front-left \(DOUT GPIO 6\)"):
        clashing.begin()
    assert factory.pin(6).function == "input"  # claimed
    clashing.close()


def test_status_is_plain_and_reports_the_wiring(array, clock):
    assert array.status()["measured_rate_sps"] is None
    next_sample(array, clock)
    status = array.status()
    assert status["state"] == "ready"
    assert status["data_pins"] == dict(
        zip(("front-left", "front-right", "back-left", "back-right"), DATA_PINS, strict=True)
    )
    assert status["clock_pin"] == CLOCK_PIN
    assert status["stall_after_s"] == pytest.approx(0.05 + 4 / 80)


@pytest.mark.parametrize(
    "kw",
    [
        {"rate_sps": 20},
        {"gain": 16},
        {"data_pins": (27, 22, 23)},
        {"data_pins": (27, 22, 23, 17)},
    ],
)
def test_bad_settings_are_refused(factory, kw):
    settings = {"clock_pin": CLOCK_PIN, "data_pins": DATA_PINS, **kw}
    with pytest.raises(ValueError):
        HX711Array(factory, **settings)


# --- timing on each chip's clock, and what a long pulse really did ---------------------------


def test_each_chip_is_numbered_and_timed_on_its_own_clock(factory, clock, pulse, forces):
    chips = make_chips(clock, pulse, forces, errors=(-0.004,) * 4)  # 79.68 SPS, all alike
    attach_hx711s(factory, CLOCK_PIN, DATA_PINS, chips)
    with make_array(factory, clock, pulse) as array:
        samples = []
        for _ in range(4000):  # 4 s at twice the rate
            clock.sleep(1 / 160)
            if (sample := array.poll()) is not None:
                samples.append(sample)
        status = array.status()
    assert status["clock_rate_sps"] == dict.fromkeys(CORNERS, pytest.approx(79.68, abs=0.02))
    assert status["lost_conversions"] == dict.fromkeys(CORNERS, 0)
    seq = [s.seq[0] for s in samples]
    assert seq == list(range(seq[0], seq[0] + len(samples)))
    steps = [b.times_s[0] - a.times_s[0] for a, b in itertools.pairwise(samples[50:])]
    assert max(abs(step * 79.68 - 1) for step in steps) < 0.05


def test_a_chip_faster_than_the_others_loses_conversions_to_the_shared_read(
    factory, clock, pulse, forces
):
    # front-right's oscillator runs 2% fast: the array reads at the others' pace
    chips = make_chips(clock, pulse, forces, errors=(0, 0.02, 0, 0))
    attach_hx711s(factory, CLOCK_PIN, DATA_PINS, chips)
    with make_array(factory, clock, pulse) as array:
        for _ in range(3200):  # 10 s
            clock.sleep(1 / 320)
            array.poll()
        lost = array.status()["lost_conversions"]
    assert lost["front-right"] == pytest.approx(10 * 80 * 0.02, abs=3)  # never silent
    assert lost["front-left"] == lost["back-left"] == lost["back-right"] == 0


def test_a_pulse_flagged_long_but_under_the_power_down_time_drops_the_read_only(
    factory, clock, pulse, forces
):
    clk = factory.pin(CLOCK_PIN, pin_class=PreemptedClockPin)
    clk.pulse_clock = pulse
    clk.pause_s = 45e-6  # with the pin calls: over the 50 µs allowed, under the 60 µs power-down
    chips = make_chips(clock, pulse, forces)
    attach_hx711s(factory, CLOCK_PIN, DATA_PINS, chips)
    with make_array(factory, clock, pulse, gain=64) as array:
        next_sample(array, clock)
        next_sample(array, clock)  # past the first conversions at A/128
        clk.preempt_at = 5
        clock.sleep(1 / 80)
        assert array.poll() is None  # dropped: the bits may be garbled
        discards = array.status()["wrong_gain_discards"]
        sample = next_sample(array, clock)
        status = array.status()
    assert [chip.status()["power_downs"] for chip in chips] == [1, 1, 1, 1]  # begin()'s only
    assert sample.fresh == (True, True, True, True)  # not discarded as a reset's A/128
    assert sample.counts == tuple(expected(i, forces, 64) for i in range(4))
    assert status["wrong_gain_discards"] == discards
    assert status["clock_overruns"] == 1
    assert status["measured_rate_sps"] < 80  # the dropped read is not counted as a sample


def test_begin_tells_a_dead_chip(factory, clock, pulse, chips):
    chips[3].unplug()
    array = make_array(factory, clock, pulse)
    with pytest.raises(DeviceTimeoutError, match=r"back-right \(DOUT GPIO 24\) never .* power-up"):
        array.begin()
    assert array.status()["state"] == "failed"
    chips[3].plug()
    array.begin()
    assert array.status()["state"] == "ready"
    array.close()
