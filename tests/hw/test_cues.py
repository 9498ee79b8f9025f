"""Cue board on gpiozero's MockFactory: pins read back, patterns timed by the caller's clock."""

import pytest
from gpiozero.pins.mock import MockFactory

from hw.cues import PATTERNS_S, CueBoard


@pytest.fixture
def factory():
    f = MockFactory()
    yield f
    f.reset()


@pytest.fixture
def board(factory):
    with CueBoard(status_led_pin=23, buzzer_pin=18, pin_factory=factory) as b:
        yield b


def test_light_drives_its_pin(board, factory):
    board.set_light("status", True)
    assert factory.pin(23).state == 1
    board.set_light("status", False)
    assert factory.pin(23).state == 0
    with pytest.raises(KeyError):
        board.set_light("left", True)


def test_end_pattern_beeps_twice_on_schedule(board, factory):
    buzzer = factory.pin(18)
    board.play("end", now_s=10.0)
    states = []
    for k in range(50):  # 10 ms ticks over 0.5 s
        board.update(10.0 + k * 0.01)
        states.append(buzzer.state)
    on_ticks = [k for k, s in enumerate(states) if s]
    # on 0-0.15 s, off 0.15-0.25 s, on 0.25-0.40 s
    assert on_ticks == list(range(0, 15)) + list(range(25, 40))
    assert board.status()["pattern"] is None


def test_a_new_pattern_replaces_the_old_and_all_off_silences(board, factory):
    board.play("start", 0.0)
    board.update(0.05)
    board.play("warning", 0.06)
    assert board.status()["pattern"] == "warning"
    board.set_light("status", True)
    board.all_off()
    assert factory.pin(18).state == 0 and factory.pin(23).state == 0
    assert board.status() == {
        "state": "ready",
        "lights": {"status": False},
        "buzzer": False,
        "pattern": None,
    }


def test_every_pattern_starts_with_sound():
    assert all(durations and all(d > 0 for d in durations) for durations in PATTERNS_S.values())


def test_close_releases_pins_and_is_idempotent(factory):
    board = CueBoard(status_led_pin=23, buzzer_pin=18, pin_factory=factory)
    board.set_light("status", True)
    board.close()
    board.close()
    assert board.status() == {"state": "closed"}
    again = CueBoard(status_led_pin=23, buzzer_pin=18, pin_factory=factory)  # pins free again
    again.close()


def test_pin_clash_is_refused_and_nothing_leaks(factory):
    from gpiozero.exc import GPIOPinInUse

    with pytest.raises(GPIOPinInUse):
        CueBoard(status_led_pin=18, buzzer_pin=18, pin_factory=factory)
    CueBoard(status_led_pin=18, buzzer_pin=19, pin_factory=factory).close()
