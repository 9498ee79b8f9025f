"""CPU time per sample of each sensor reader: NAU7802 x4 behind the mux, HX711 x4 on one clock,
and the BNO08x through the adafruit driver, each on its emulated chips.

Each figure is process CPU time per ``poll()`` that returns a new sample, and, separately, the
share spent inside the emulated chips (timed around their I²C or pin callbacks), so "driver"
is what a Pi would spend in Python for the same work; on a Pi the kernel's I²C transfers and
lgpio's pin calls add their own time on top. Usage: ``python bench/reader_cpu.py [--samples N]``.
"""

import argparse
import time

from gpiozero.pins.mock import MockFactory, MockPWMPin

from hw.hx711 import HX711Array
from hw.i2cbus import SMBusI2C
from hw.imu import BNO08xIMU
from hw.loadcells import LoadCellSample, NAU7802Array
from hw.sim.bno08x import EmulatedBNO08x
from hw.sim.hx711 import EmulatedHX711, TickingClock, attach_hx711s
from hw.sim.nau7802 import EmulatedNAU7802
from hw.sim.platform import COUNTS_PER_NEWTON, OFFSET_COUNTS
from hw.sim.smbus import EmulatedSMBus
from hw.sim.tca9548a import EmulatedTCA9548A
from station.clock import VirtualClock


class EmulatorTimer:
    """Accumulates the CPU time spent inside wrapped emulator methods."""

    def __init__(self):
        self.seconds = 0.0

    def wrap(self, obj, *names):
        for name in names:
            method = getattr(obj, name)

            def timed(*args, _method=method, **kwargs):
                start = time.process_time()
                try:
                    return _method(*args, **kwargs)
                finally:
                    self.seconds += time.process_time() - start

            setattr(obj, name, timed)


def measure(poll, advance, samples: int, timer: EmulatorTimer) -> tuple[float, float]:
    """(total, emulator) CPU µs per poll that returns a fresh sample."""
    timer.seconds = 0.0
    got = 0
    start = time.process_time()
    while got < samples:
        advance()
        sample = poll()
        # an IMU poll returns a sample only for a new report; a load-cell sample says per corner
        got += sample is not None and (not isinstance(sample, LoadCellSample) or any(sample.fresh))
    total = time.process_time() - start
    return total / samples * 1e6, timer.seconds / samples * 1e6


def nau7802(samples: int) -> tuple[float, float]:
    clock, timer = VirtualClock(), EmulatorTimer()
    bus, mux = EmulatedSMBus(), EmulatedTCA9548A()
    bus.attach(0x70, mux)
    timer.wrap(mux, "read", "write")
    for i in range(4):
        chip = EmulatedNAU7802(
            lambda t: 200.0,
            clock.now,
            offset_counts=OFFSET_COUNTS[i],
            counts_per_newton=COUNTS_PER_NEWTON[i],
            seed=i,
        )
        timer.wrap(chip, "read", "write")
        mux.attach(i, 0x2A, chip)
    with NAU7802Array(bus, clock=clock.now, sleep=clock.sleep) as array:
        return measure(array.poll, lambda: clock.sleep(1 / 320), samples, timer)


def hx711(samples: int) -> tuple[float, float]:
    clock, timer, pulse = VirtualClock(), EmulatorTimer(), TickingClock()
    factory = MockFactory(pin_class=MockPWMPin)
    chips = [
        EmulatedHX711(
            lambda t: 200.0,
            clock.now,
            offset_counts=OFFSET_COUNTS[i],
            counts_per_newton=COUNTS_PER_NEWTON[i],
            seed=i,
            pulse_clock=pulse,
        )
        for i in range(4)
    ]
    clock_pin = attach_hx711s(factory, 17, (27, 22, 23, 24), chips)
    timer.wrap(clock_pin, "_change_state")
    for pin in (27, 22, 23, 24):
        timer.wrap(factory.pin(pin), "_get_state")
    array = HX711Array(
        factory,
        clock_pin=17,
        data_pins=(27, 22, 23, 24),
        clock=clock.now,
        pulse_clock=pulse,
        sleep=clock.sleep,  # begin() waits out the settling on the virtual clock
    )
    with array:
        result = measure(array.poll, lambda: clock.sleep(1 / 80), samples, timer)
    factory.close()
    return result


def bno08x(samples: int) -> tuple[float, float]:
    clock, timer = VirtualClock(), EmulatorTimer()
    bus = EmulatedSMBus()
    chip = EmulatedBNO08x(lambda t: (0.0, 0.0, 0.0, 1.0), clock.now)
    timer.wrap(chip, "read", "write")
    bus.attach(0x4A, chip)
    with BNO08xIMU(SMBusI2C(bus), rate_hz=100.0, clock=clock.now) as imu:  # 1 s driver reset
        return measure(imu.poll, lambda: clock.sleep(1 / 100), samples, timer)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=2000)
    args = parser.parse_args()
    print(f"{'reader':28s} {'total µs':>9s} {'emulator µs':>12s} {'driver µs':>10s}")
    for name, run in (
        ("NAU7802 x4 + TCA9548A, 320 SPS", nau7802),
        ("HX711 x4, shared clock, 80 SPS", hx711),
        ("BNO08x (adafruit), 100 Hz", bno08x),
    ):
        total, emulator = run(args.samples)
        print(f"{name:28s} {total:9.1f} {emulator:12.1f} {total - emulator:10.1f}")


if __name__ == "__main__":
    main()
