"""The stop button: one press is seen once, however short, and the pin is released on close."""

from hw.controls import StopButton


def test_a_short_press_between_ticks_is_still_seen_once(factory):
    button = StopButton(25, factory)
    assert button.take_press() is False
    factory.pin(25).drive_low()  # pressed (to ground)...
    factory.pin(25).drive_high()  # ...and released before the next tick
    assert button.take_press() is True
    assert button.take_press() is False
    assert button.status() == {"state": "ready", "pin": 25, "held": False, "presses": 1}
    button.close()


def test_holding_the_button_counts_as_one_press(factory):
    button = StopButton(25, factory)
    factory.pin(25).drive_low()
    assert [button.take_press() for _ in range(5)] == [True, False, False, False, False]
    assert button.held
    factory.pin(25).drive_high()
    factory.pin(25).drive_low()
    assert button.take_press() is True
    button.close()


def test_close_releases_the_pin(factory):
    button = StopButton(25, factory)
    button.close()
    button.close()
    assert button.status()["state"] == "closed"
    StopButton(25, factory).close()
