"""Cue board on gpiozero's MockFactory: pins read back, patterns timed by the caller's clock."""

import pytest
from gpiozero.exc import GPIOPinInUse

from hw.cues import COLOURS, PATTERNS, TONE_RANGE_HZ, CueBoard, CuePins

PINS = CuePins(
    direction_leds={"front": 5, "back": 6, "left": 13, "right": 19, "centre": 26},
    status_rgb=(16, 20, 21),
    buzzer=18,
)


@pytest.fixture
def board(factory):
    with CueBoard(PINS, pin_factory=factory) as b:
        yield b


def test_each_direction_light_drives_its_own_pin(board, factory):
    for name, pin in PINS.direction_leds.items():
        board.set_light(name, True)
        assert factory.pin(pin).state == 1
        others = [p for n, p in PINS.direction_leds.items() if n != name]
        assert all(factory.pin(p).state == 0 for p in others)
        board.set_light(name, False)
        assert factory.pin(pin).state == 0
    with pytest.raises(KeyError):
        board.set_light("up", True)


def test_status_colours_drive_the_rgb_pins(board, factory):
    board.set_status("green")
    assert [factory.pin(p).state for p in PINS.status_rgb] == [0, 1, 0]
    board.set_status("amber")
    red, green, blue = (factory.pin(p).state for p in PINS.status_rgb)
    assert red == 1 and 0 < green < 1 and blue == 0  # PWM mixes amber
    assert board.status()["status_colour"] == "amber"
    with pytest.raises(KeyError):
        board.set_status("purple")


def buzzer_trace(board, factory, pattern, start_s=10.0, ticks=100):
    """The buzzer's frequency (Hz, or None when silent) at 10 ms ticks after ``play``."""
    board.play(pattern, now_s=start_s)
    trace = []
    for k in range(ticks):
        board.update(start_s + k * 0.01)
        pin = factory.pin(PINS.buzzer)
        trace.append(round(pin.frequency) if pin.frequency and pin.state else None)
    return trace


def test_start_rises_and_stop_falls_in_pitch(board, factory):
    start = [f for f in buzzer_trace(board, factory, "start") if f]
    stop = [f for f in buzzer_trace(board, factory, "stop") if f]
    assert start[0] < start[-1]
    assert stop[0] > stop[-1]
    assert sorted(set(stop), reverse=True) == [880, 660, 440]


def test_warning_is_three_high_beeps_on_schedule(board, factory):
    trace = buzzer_trace(board, factory, "warning", ticks=50)
    on_ticks = [k for k, f in enumerate(trace) if f]
    # on 0-80 ms, off 80-140, on 140-220, off 220-280, on 280-360
    assert on_ticks == [*range(0, 8), *range(14, 22), *range(28, 36)]
    assert {trace[k] for k in on_ticks} == {1568}
    assert board.status()["pattern"] is None  # finished


def test_patterns_are_distinct_audible_and_in_the_buzzer_range():
    assert len(set(PATTERNS.values())) == len(PATTERNS)
    for name, segments in PATTERNS.items():
        assert segments[0][0] is not None, f"{name} must start with sound"
        for frequency_hz, duration_s in segments:
            assert duration_s > 0
            if frequency_hz is not None:
                assert TONE_RANGE_HZ[0] <= frequency_hz <= TONE_RANGE_HZ[1]


def test_active_buzzer_plays_the_rhythm(factory):
    pins = CuePins(PINS.direction_leds, PINS.status_rgb, PINS.buzzer, buzzer_kind="active")
    with CueBoard(pins, pin_factory=factory) as board:
        board.play("countdown", 0.0)
        assert factory.pin(PINS.buzzer).state == 1
        board.update(0.1)
        assert factory.pin(PINS.buzzer).state == 0


def test_a_new_pattern_replaces_the_old_and_all_off_silences_everything(board, factory):
    board.play("start", 0.0)
    board.update(0.05)
    board.play("warning", 0.06)
    assert board.status()["pattern"] == "warning"
    board.set_light("left", True)
    board.set_status("red")
    board.all_off()
    assert all(factory.pin(p).state == 0 for p in PINS.all_pins().values())
    assert board.status() == {
        "state": "ready",
        "lights": dict.fromkeys(PINS.direction_leds, False),
        "status_colour": "off",
        "buzzer_hz": None,
        "pattern": None,
    }
    assert set(COLOURS) >= {"off", "blue", "amber", "green", "red"}


def test_close_releases_pins_and_is_idempotent(factory):
    board = CueBoard(PINS, pin_factory=factory)
    board.set_light("front", True)
    board.close()
    board.close()
    assert board.status() == {"state": "closed"}
    CueBoard(PINS, pin_factory=factory).close()  # pins free again


def test_pin_clash_is_refused_and_nothing_leaks(factory):
    clash = CuePins({**PINS.direction_leds, "centre": 18}, PINS.status_rgb, PINS.buzzer)
    with pytest.raises(GPIOPinInUse):
        CueBoard(clash, pin_factory=factory)
    CueBoard(PINS, pin_factory=factory).close()  # the failed board released what it claimed
