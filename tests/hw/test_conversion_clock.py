"""ConversionClock: a chip's conversions numbered and timed from the polls that saw them."""

import math
import random

import pytest

from hw.conversion_clock import ConversionClock


class Chip:
    """A chip converting every ``period_s`` from ``first_s``, polled by a reader every
    ``poll_s`` plus up to ``jitter_s`` (seeded), held up by ``late_s`` every ``late_every``
    polls. ``run`` feeds what a driver sees to a ConversionClock."""

    def __init__(self, rate_hz, error, poll_s, jitter_s=0.0, late_every=0, late_s=0.0):
        self.period_s = 1 / (rate_hz * (1 + error))
        self.first_s = 0.000731
        self.poll_s, self.jitter_s = poll_s, jitter_s
        self.late_every, self.late_s = late_every, late_s
        self.rng = random.Random(4)

    def run(self, clock, seconds):
        """(conversions really lost, [(true time, clock time) of each conversion read])."""
        t, looked, read, lost, times, polls = 0.0, None, -1, 0, [], 0
        while t < seconds:
            polls += 1
            t += self.poll_s + self.rng.uniform(0, self.jitter_s)
            if self.late_every and polls % self.late_every == 0:
                t += self.late_s
            newest = math.floor((t - self.first_s) / self.period_s)
            if newest > read:
                lost += newest - read - 1 if read >= 0 else 0
                clock.observe(looked, t)
                times.append((self.first_s + newest * self.period_s, clock.t_s))
                read = newest
            looked = t
        return lost, times


@pytest.mark.parametrize("error", [0.005, -0.005])
@pytest.mark.parametrize("jitter_s", [0.0, 0.0005])
def test_a_chip_off_by_half_a_percent_is_followed_without_false_losses(error, jitter_s):
    chip = Chip(320, error, 1 / 640, jitter_s)
    clock = ConversionClock(320)
    lost, times = chip.run(clock, 20.0)
    assert lost == clock.lost == 0
    assert clock.seq == len(times) - 1
    assert clock.period_s == pytest.approx(chip.period_s, rel=1e-4)
    errors = sorted(abs(t_clock - t_true) for t_true, t_clock in times[300:])
    assert errors[int(0.99 * len(errors))] < 0.1 * chip.period_s


@pytest.mark.parametrize("rate_hz, late_s", [(320, 0.01), (100, 0.03)])
def test_conversions_overwritten_before_a_late_poll_are_counted(rate_hz, late_s):
    chip = Chip(rate_hz, 0.003, 0.5 / rate_hz, 0.1 / rate_hz, late_every=300, late_s=late_s)
    clock = ConversionClock(rate_hz)
    lost, times = chip.run(clock, 20.0)
    assert lost > 20
    assert clock.lost == lost
    assert clock.seq == len(times) - 1 + lost  # the numbers skip exactly the lost ones


def test_a_batch_of_reports_takes_consecutive_numbers():
    clock = ConversionClock(100)
    for k in range(1, 51):
        clock.observe(k * 0.01 - 0.004, k * 0.01 + 0.001)
    assert clock.observe(0.505, 0.531, count=3) == 0  # three reports in one packet, none lost
    assert clock.seq == 52
    assert clock.time_of(50) == pytest.approx(0.51, abs=0.002)
    assert clock.observe(0.531, 0.571, count=1) == 3  # 0.54, 0.55, 0.56 never came


def test_restart_forgets_the_fit_and_continues_the_numbers_without_a_loss():
    clock = ConversionClock(80)
    for k in range(1, 101):
        clock.observe(k / 80 - 0.005, k / 80 + 0.001)
    clock.restart()  # the chip was re-initialised: an outage, not lost conversions
    clock.observe(None, 5.0)
    clock.observe(5.009, 5.0135)
    assert (clock.seq, clock.lost) == (101, 0)
    assert clock.rate_hz == pytest.approx(80.0)
    with pytest.raises(ValueError, match="positive"):
        ConversionClock(0)
