"""Fixtures shared by the hardware tests: a mock GPIO factory, an emulated I²C bus, a pulse
clock for the HX711 emulator."""

import pytest
from gpiozero.pins.mock import MockFactory, MockPWMPin

from hw.sim.hx711 import TickingClock
from hw.sim.smbus import EmulatedSMBus


@pytest.fixture
def factory():
    """A gpiozero mock pin factory with PWM pins (RGB LED, tonal buzzer, emulated HX711s)."""
    f = MockFactory(pin_class=MockPWMPin)
    yield f
    f.close()
    f.reset()


@pytest.fixture
def bus():
    """An empty emulated I²C bus."""
    with EmulatedSMBus() as b:
        yield b


@pytest.fixture
def pulse():
    """A deterministic pulse clock for the HX711 emulator and driver."""
    return TickingClock()
