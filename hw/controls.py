"""The patient's safety stop: a push button the control loop checks on every tick.

A press is latched by gpiozero's edge callback and taken by the loop, so even a press shorter
than one tick stops the drill at the next tick. The button connects its GPIO to ground; the
pin's internal pull-up holds it high when released.
"""

import threading

from gpiozero import Button


class StopButton:
    """A normally-open button between ``pin`` and ground; owns the pin."""

    def __init__(self, pin: int, pin_factory=None):
        self.pin = pin
        self._pressed = threading.Event()
        self._was_held = False
        self.presses = 0
        self._button = Button(pin, pull_up=True, pin_factory=pin_factory)
        self._button.when_pressed = self._latch

    def _latch(self) -> None:
        self.presses += 1
        self._pressed.set()

    def take_press(self) -> bool:
        """True once per press: the button went down since the last call (caught by the edge
        callback, or seen here if the callback has not run yet)."""
        latched = self._pressed.is_set()
        self._pressed.clear()
        held = self._button.is_pressed
        new_press = latched or (held and not self._was_held)
        self._was_held = held
        return new_press

    @property
    def held(self) -> bool:
        """True while the button is down."""
        return self._button.is_pressed

    def status(self) -> dict:
        """Plain-dict state: held now, presses since start."""
        if self._button.closed:
            return {"state": "closed", "pin": self.pin}
        return {
            "state": "ready",
            "pin": self.pin,
            "held": self.held,
            "presses": self.presses,
        }

    def close(self) -> None:
        """Release the pin; safe to call twice."""
        self._button.close()
