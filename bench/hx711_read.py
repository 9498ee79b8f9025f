"""CPU time of HX711Array.poll() on gpiozero's MockFactory: per poll that reads a sample (25
clock pulses, 100 DOUT reads), per poll that finds no conversion, and the driver's share on
inert mock pins without the emulator.

Pulses are timed in real time (perf_counter), as on the Pi; conversions follow a virtual clock.
On a Pi the lgpio factory's per-call cost (a C call and an ioctl per pin operation) differs from
the mock pins' pure-Python cost, so take these figures as the Python overhead of the driver and
the emulator, not as the Pi's read time. Usage: ``python bench/hx711_read.py [--reads 2000]``.
"""

import argparse
import time

from gpiozero.pins.mock import MockFactory, MockPWMPin

from hw.hx711 import HX711Array
from hw.sim.hx711 import EmulatedHX711, attach_hx711s
from hw.sim.platform import COUNTS_PER_NEWTON, OFFSET_COUNTS
from station.clock import VirtualClock

CLOCK_PIN, DATA_PINS = 17, (27, 22, 23, 24)


def cpu_us(fn, n: int) -> float:
    """Process CPU time per call of ``fn``, in µs, over ``n`` calls."""
    start = time.process_time()
    for _ in range(n):
        fn()
    return (time.process_time() - start) / n * 1e6


def emulated(reads: int) -> None:
    clock = VirtualClock()
    factory = MockFactory(pin_class=MockPWMPin)
    chips = [
        EmulatedHX711(
            lambda t: 200.0,
            clock.now,
            offset_counts=OFFSET_COUNTS[i],
            counts_per_newton=COUNTS_PER_NEWTON[i],
            seed=i,
        )
        for i in range(4)
    ]
    attach_hx711s(factory, CLOCK_PIN, DATA_PINS, chips)
    with HX711Array(factory, clock_pin=CLOCK_PIN, data_pins=DATA_PINS, clock=clock.now) as array:
        clock.sleep(0.05)
        array.poll()

        def read():
            clock.sleep(1 / 80)
            array.poll()

        per_read = cpu_us(read, reads)
        per_idle = cpu_us(array.poll, reads)
        status = array.status()
    factory.close()
    print(f"reads                     {status['reads']}")
    print(f"poll() that reads         {per_read:.1f} µs CPU (driver + emulated chips)")
    print(f"poll() with no conversion {per_idle:.1f} µs CPU")
    print(f"reads dropped (pulse > 50 µs)  {status['clock_overruns']}")
    print(f"spikes rejected           {sum(status['rejected_spikes'].values())}")


def inert(reads: int) -> None:
    """The driver alone: plain mock pins, DOUT pulled low, so every poll reads zeros."""
    factory = MockFactory(pin_class=MockPWMPin)
    with HX711Array(factory, clock_pin=CLOCK_PIN, data_pins=DATA_PINS) as array:
        for pin in DATA_PINS:
            factory.pin(pin).pull = "down"
        per_read = cpu_us(array.poll, reads)
    factory.close()
    print(f"poll() that reads         {per_read:.1f} µs CPU (driver on inert mock pins)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reads", type=int, default=2000)
    args = parser.parse_args()
    emulated(args.reads)
    inert(args.reads)


if __name__ == "__main__":
    main()
