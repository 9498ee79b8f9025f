"""The lights and the buzzer that cue the patient, through gpiozero.

Five direction LEDs (front, back, left, right, centre) point the patient where to lean; an RGB
status LED tells the phase at a glance; the buzzer plays short tone patterns that differ in pitch
and rhythm so a patient who cannot see the lights still knows what happens. Patterns are timed by
the control loop (``update(now_s)`` every tick) rather than by gpiozero's background threads, so
the same cues run in real time on the Pi and under the virtual clock of a simulation.
"""

from dataclasses import dataclass

from gpiozero import LED, RGBLED, Buzzer, TonalBuzzer
from gpiozero.tones import Tone

DIRECTIONS = ("front", "back", "left", "right", "centre")

# Status colours as (red, green, blue) duty cycles, and what each tells the patient.
COLOURS = {
    "off": (0.0, 0.0, 0.0),  # idle
    "blue": (0.0, 0.0, 1.0),  # step on and stand still
    "amber": (1.0, 0.35, 0.0),  # get ready: countdown or rest
    "green": (0.0, 1.0, 0.0),  # recording: hold or move as cued
    "red": (1.0, 0.0, 0.0),  # stopped: step off carefully
}

# Each pattern: (frequency in Hz or None for silence, duration in s), played in order. A
# passive piezo (TonalBuzzer) plays the pitches, an active buzzer only the rhythm.
PATTERNS = {
    "countdown": ((880.0, 0.10),),  # one short mid beep per second before a trial
    "start": ((660.0, 0.15), (None, 0.05), (880.0, 0.30)),  # rising: go
    "stop": ((880.0, 0.15), (None, 0.05), (660.0, 0.15), (None, 0.05), (440.0, 0.30)),  # falling
    "success": ((523.3, 0.12), (659.3, 0.12), (784.0, 0.12), (1046.5, 0.30)),  # arpeggio: done
    "warning": ((1568.0, 0.08), (None, 0.06)) * 2 + ((1568.0, 0.08),),  # three high, fast
    "metronome": ((1174.7, 0.04),),  # a short click on every beat
}
TONE_RANGE_HZ = (440.0, 1760.0)  # TonalBuzzer with mid tone A5 and one octave either side


@dataclass(frozen=True)
class CuePins:
    """BCM pin numbers of every cue output; ``buzzer_kind`` is 'tonal' (passive piezo driven
    with PWM) or 'active' (a buzzer with its own oscillator: on or off)."""

    direction_leds: dict  # direction name -> pin
    status_rgb: tuple[int, int, int]
    buzzer: int
    buzzer_kind: str = "tonal"

    def all_pins(self) -> dict[str, int]:
        """Every pin by the name of its use, for clash checks and the wiring table."""
        pins = {f"{name} LED": pin for name, pin in self.direction_leds.items()}
        pins.update(
            zip(("status red", "status green", "status blue"), self.status_rgb, strict=True)
        )
        pins["buzzer"] = self.buzzer
        return pins


class CueBoard:
    """Direction LEDs, RGB status LED and buzzer; owns their pins and releases them in
    ``close()``. The pin factory needs PWM pins (MockPWMPin in simulation) for the RGB LED and
    a tonal buzzer."""

    def __init__(self, pins: CuePins, pin_factory=None):
        unknown = set(pins.direction_leds) - set(DIRECTIONS)
        if unknown:
            raise ValueError(f"unknown direction LEDs {sorted(unknown)}; known: {DIRECTIONS}")
        self.pins = pins
        self._devices = []
        try:
            self._lights = {
                name: self._own(LED(pin, pin_factory=pin_factory))
                for name, pin in pins.direction_leds.items()
            }
            self._status = self._own(RGBLED(*pins.status_rgb, pin_factory=pin_factory))
            if pins.buzzer_kind == "tonal":
                self._buzzer = self._own(
                    TonalBuzzer(
                        pins.buzzer,
                        mid_tone=Tone.from_frequency(880.0),
                        octaves=1,
                        pin_factory=pin_factory,
                    )
                )
            else:
                self._buzzer = self._own(Buzzer(pins.buzzer, pin_factory=pin_factory))
        except Exception:
            self._release()
            raise
        self._colour = "off"
        self._segments: list[tuple[float, float | None]] = []  # (end time s, Hz or None)
        self._sounding: float | None = None
        self._pattern: str | None = None
        self._closed = False

    def _own(self, device):
        self._devices.append(device)
        return device

    def _release(self) -> None:
        for device in reversed(self._devices):
            device.close()
        self._devices = []

    def set_light(self, name: str, on: bool) -> None:
        """Turn the direction LED ``name`` on or off; unknown names raise KeyError."""
        led = self._lights[name]
        if on:
            led.on()
        else:
            led.off()

    def set_status(self, colour: str) -> None:
        """Show ``colour`` (a key of COLOURS) on the status LED."""
        self._status.color = COLOURS[colour]
        self._colour = colour

    def play(self, pattern: str, now_s: float) -> None:
        """Start buzzer ``pattern`` at ``now_s``, replacing any pattern still playing."""
        t = now_s
        self._segments = []
        for frequency_hz, duration_s in PATTERNS[pattern]:
            t += duration_s
            self._segments.append((t, frequency_hz))
        self._pattern = pattern
        self.update(now_s)

    def update(self, now_s: float) -> None:
        """Drive the buzzer for time ``now_s``; call once per loop tick."""
        while self._segments and self._segments[0][0] <= now_s + 1e-9:  # float sums of s
            self._segments.pop(0)
        if not self._segments:
            self._pattern = None
        self._sound(self._segments[0][1] if self._segments else None)

    def _sound(self, frequency_hz: float | None) -> None:
        if frequency_hz == self._sounding:
            return
        self._sounding = frequency_hz
        if isinstance(self._buzzer, Buzzer):
            self._buzzer.value = frequency_hz is not None
        elif frequency_hz is None:
            self._buzzer.stop()
        else:
            self._buzzer.play(Tone.from_frequency(frequency_hz))

    def all_off(self) -> None:
        """Every light and the buzzer off, any pattern cancelled."""
        self._segments = []
        self._pattern = None
        self._sound(None)
        for led in self._lights.values():
            led.off()
        self.set_status("off")

    def status(self) -> dict:
        """Plain-dict state: each direction light, the status colour, the buzzer's pitch (Hz,
        None when silent) and the pattern playing."""
        if self._closed:
            return {"state": "closed"}
        return {
            "state": "ready",
            "lights": {name: bool(led.value) for name, led in self._lights.items()},
            "status_colour": self._colour,
            "buzzer_hz": self._sounding,
            "pattern": self._pattern,
        }

    def close(self) -> None:
        """Cues off and pins released; safe to call twice."""
        if self._closed:
            return
        self.all_off()
        self._release()
        self._closed = True

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
