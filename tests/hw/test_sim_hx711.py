"""The emulated HX711 at pin level: PD_SCK driven by hand, DOUT read back, per the datasheet."""

import pytest
from gpiozero.pins.mock import MockFactory, MockPWMPin

from hw.sim.hx711 import EmulatedHX711, HX711ClockPin, attach_hx711s
from station.clock import VirtualClock

CLOCK_PIN, DATA_PIN = 17, 27


@pytest.fixture
def clock():
    return VirtualClock(10.0)


def make_chip(clock, pulse, counts=1234.0, **kw):
    """A chip whose conversions are exactly ``counts`` at gain 128 (force 1 N, no offset)."""
    return EmulatedHX711(
        lambda t: 1.0,
        clock.now,
        offset_counts=0.0,
        counts_per_newton=counts,
        noise_counts=0.0,
        pulse_clock=pulse,
        **kw,
    )


@pytest.fixture
def pins(factory, clock, pulse):
    """(clock pin as output low, DOUT pin with pull-up, chip)."""
    chip = make_chip(clock, pulse)
    attach_hx711s(factory, CLOCK_PIN, [DATA_PIN], [chip])
    clk, dout = factory.pin(CLOCK_PIN), factory.pin(DATA_PIN)
    clk.output_with_state(False)
    dout.input_with_pull("up")
    return clk, dout, chip


def read(clk, dout, pulses=25) -> int:
    """Clock one read out by hand: 24 bits MSB first, then the pulses choosing the next input."""
    code = 0
    for _ in range(24):
        clk.state = True
        clk.state = False
        code = code << 1 | dout.state
    for _ in range(pulses - 24):
        clk.state = True
        clk.state = False
    return code


def ready_after(clock, dout, step_s=0.001, limit_s=1.0) -> float:
    """Virtual seconds until DOUT goes low."""
    start = clock.now()
    while dout.state:
        assert clock.now() - start < limit_s, "DOUT never went low"
        clock.sleep(step_s)
    return clock.now() - start


def test_dout_signals_ready_after_settling_then_shifts_msb_first(pins, clock):
    clk, dout, chip = pins
    chip.counts_per_newton = -2.0
    assert ready_after(clock, dout) == pytest.approx(0.05)
    assert read(clk, dout) == 0xFFFFFE  # -2, two's complement
    assert dout.state  # high after the 25th pulse until the next conversion
    assert ready_after(clock, dout) == pytest.approx(1 / 80, abs=0.0011)
    assert chip.status()["conversions_read"] == 1


def test_slow_rate_settles_for_400_ms(factory, clock, pulse):
    chip = make_chip(clock, pulse, rate_sps=10)
    attach_hx711s(factory, CLOCK_PIN, [DATA_PIN], [chip])
    clk, dout = factory.pin(CLOCK_PIN), factory.pin(DATA_PIN)
    clk.output_with_state(False)
    dout.input_with_pull("up")
    assert ready_after(clock, dout) == pytest.approx(0.4)
    assert read(clk, dout) == 1234
    assert ready_after(clock, dout) == pytest.approx(0.1, abs=0.0011)


@pytest.mark.parametrize(
    ("pulses", "selected", "gain"), [(25, "A/128", 128), (26, "B/32", 32), (27, "A/64", 64)]
)
def test_pulses_25_to_27_choose_the_next_input_and_gain(pins, clock, pulses, selected, gain):
    clk, dout, chip = pins
    ready_after(clock, dout)
    read(clk, dout, pulses)
    assert chip.status()["last_read_pulses"] == pulses
    assert chip.status()["input"] == selected
    waited = ready_after(clock, dout)
    assert waited == pytest.approx(0.05 if gain != 128 else 1 / 80, abs=0.0011)
    assert read(clk, dout, pulses) == round(1234 * gain / 128)


def test_choosing_the_same_input_again_does_not_restart_settling(pins, clock):
    clk, dout, chip = pins
    ready_after(clock, dout)
    read(clk, dout, 27)  # A/128 -> A/64: settles
    ready_after(clock, dout)
    read(clk, dout, 27)  # A/64 -> A/64: the 25th and 26th pulses pass through A/128 and B/32
    assert chip.status()["input"] == "A/64"
    assert ready_after(clock, dout) == pytest.approx(1 / 80, abs=0.0011)


@pytest.mark.parametrize(("high_s", "powers_down"), [(55e-6, False), (65e-6, True)])
def test_clock_high_over_60_us_powers_down_and_resets(pins, clock, pulse, high_s, powers_down):
    clk, dout, chip = pins
    ready_after(clock, dout)
    read(clk, dout, 27)  # A/64, so a reset shows as a return to A/128
    ready_after(clock, dout)
    read(clk, dout, 27)
    assert dout.state  # converting: a pulse now only counts for its length
    clk.state = True
    pulse.advance(high_s)
    assert dout.state
    clk.state = False
    status = chip.status()
    assert status["input"] == ("A/128" if powers_down else "A/64")
    assert status["power_downs"] == int(powers_down)
    settle_or_period = 0.05 if powers_down else 1 / 80
    assert ready_after(clock, dout) == pytest.approx(settle_or_period, abs=0.0011)


def test_dout_reads_high_while_the_clock_is_held_past_60_us(pins, clock, pulse):
    clk, dout, chip = pins
    ready_after(clock, dout)
    clk.state = True  # starts a read: DOUT shows the MSB of 1234, a 0
    assert not dout.state
    pulse.advance(61e-6)
    assert dout.state  # powered down
    assert chip.status()["powered_down"]
    clk.state = False
    assert not chip.status()["powered_down"]  # the falling edge reset it
    assert ready_after(clock, dout) == pytest.approx(0.05)


def test_injected_stall_reads_ones_from_that_bit_and_resets(pins, clock):
    clk, dout, chip = pins
    ready_after(clock, dout)
    chip.inject_stall(12)
    assert read(clk, dout) == (1234 >> 12 << 12) | 0xFFF
    assert chip.status()["power_downs"] == 1
    assert chip.status()["stall_at_bit"] is None
    assert ready_after(clock, dout) == pytest.approx(0.05, abs=0.0011)
    assert read(clk, dout) == 1234
    with pytest.raises(ValueError):
        chip.inject_stall(24)


def test_unplugged_dout_follows_the_pull_and_plug_restarts(pins, clock):
    clk, dout, chip = pins
    chip.unplug()
    clock.sleep(1.0)
    assert dout.state  # the pull-up: never ready
    dout.pull = "down"
    assert not dout.state
    dout.pull = "up"
    read(clk, dout)  # the clock is ignored
    assert chip.status()["conversions_read"] == 0
    chip.plug()
    assert ready_after(clock, dout) == pytest.approx(0.05)
    assert read(clk, dout) == 1234


def test_oscillator_error_sets_the_rate_and_the_settling(factory, clock, pulse):
    chip = make_chip(clock, pulse, rate_error=-0.004)  # 79.68 SPS
    attach_hx711s(factory, CLOCK_PIN, [DATA_PIN], [chip])
    clk, dout = factory.pin(CLOCK_PIN), factory.pin(DATA_PIN)
    clk.output_with_state(False)
    dout.input_with_pull("up")
    first = ready_after(clock, dout, step_s=0.0001)
    assert first == pytest.approx(0.05 / 0.996, abs=0.00011)
    start, reads = clock.now(), 0
    while reads < 797:
        ready_after(clock, dout, step_s=0.0001)
        read(clk, dout)
        reads += 1
    assert (reads - 1) / (clock.now() - start) == pytest.approx(79.68, abs=0.02)
    with pytest.raises(ValueError, match="fraction"):
        make_chip(clock, pulse, rate_error=1.0)


def test_noise_is_repeatable_per_seed(pulse):
    def codes(seed):
        f, sim_clock = MockFactory(pin_class=MockPWMPin), VirtualClock(10.0)
        chip = EmulatedHX711(
            lambda t: 0.0,
            sim_clock.now,
            offset_counts=500.0,
            counts_per_newton=1.0,
            noise_counts=40.0,
            seed=seed,
            pulse_clock=pulse,
        )
        attach_hx711s(f, CLOCK_PIN, [DATA_PIN], [chip])
        clk, dout = f.pin(CLOCK_PIN), f.pin(DATA_PIN)
        clk.output_with_state(False)
        dout.input_with_pull("up")
        out = []
        for _ in range(20):
            ready_after(sim_clock, dout)
            out.append(read(clk, dout))
        f.close()
        f.reset()
        return out

    first = codes(1)
    assert first == codes(1)
    assert first != codes(2)
    assert len(set(first)) > 10
    assert all(300 < c < 700 for c in first)


def test_attach_needs_a_pwm_mock_factory_and_free_pins(clock, pulse):
    plain = MockFactory()
    with pytest.raises(ValueError, match="MockPWMPin"):
        attach_hx711s(plain, CLOCK_PIN, [DATA_PIN], [make_chip(clock, pulse)])
    plain.reset()
    f = MockFactory(pin_class=MockPWMPin)
    f.pin(CLOCK_PIN)  # asked for before the chips were attached: a plain mock pin
    with pytest.raises(ValueError, match="GPIO17"):
        attach_hx711s(f, CLOCK_PIN, [DATA_PIN], [make_chip(clock, pulse)])
    f.reset()
    first, second = make_chip(clock, pulse), make_chip(clock, pulse)
    clk = attach_hx711s(f, CLOCK_PIN, [DATA_PIN], [first])
    assert isinstance(clk, HX711ClockPin)
    with pytest.raises(ValueError, match="GPIO27"):
        attach_hx711s(f, CLOCK_PIN, [DATA_PIN], [second])
    f.reset()
