"""LEDs and buzzer that cue the patient, through gpiozero.

Buzzer patterns are timed by the control loop (``update(now_s)`` every tick) rather than by
gpiozero's background blink threads, so the same cues run in real time on the Pi and under the
virtual clock of a simulation, and their timing is tied to the loop that decided them.
"""

from gpiozero import LED, Buzzer

# Alternating on/off durations in seconds, starting with "on".
PATTERNS_S = {
    "countdown": (0.10,),
    "start": (0.40,),
    "end": (0.15, 0.10, 0.15),
    "warning": (0.08, 0.06, 0.08, 0.06, 0.08),
}


class CueBoard:
    """The status LED and the buzzer; owns their pins and releases them in ``close()``."""

    def __init__(self, *, status_led_pin: int, buzzer_pin: int, pin_factory=None):
        self._lights = {"status": LED(status_led_pin, pin_factory=pin_factory)}
        try:
            self._buzzer = Buzzer(buzzer_pin, pin_factory=pin_factory)
        except Exception:
            self._lights["status"].close()
            raise
        self._segments: list[tuple[float, bool]] = []  # (end time s, buzzer on) in order
        self._pattern: str | None = None
        self._closed = False

    def set_light(self, name: str, on: bool) -> None:
        """Turn the light called ``name`` on or off; unknown names raise KeyError."""
        led = self._lights[name]
        if on:
            led.on()
        else:
            led.off()

    def play(self, pattern: str, now_s: float) -> None:
        """Start buzzer ``pattern`` at ``now_s``, replacing any pattern still playing."""
        t = now_s
        self._segments = []
        for i, duration_s in enumerate(PATTERNS_S[pattern]):
            t += duration_s
            self._segments.append((t, i % 2 == 0))
        self._pattern = pattern
        self.update(now_s)

    def update(self, now_s: float) -> None:
        """Drive the buzzer for time ``now_s``; call once per loop tick."""
        while self._segments and self._segments[0][0] <= now_s:
            self._segments.pop(0)
        want_on = bool(self._segments) and self._segments[0][1]
        if not self._segments:
            self._pattern = None
        if want_on != bool(self._buzzer.value):
            self._buzzer.value = want_on

    def all_off(self) -> None:
        """Every light and the buzzer off, any pattern cancelled."""
        self._segments = []
        self._pattern = None
        self._buzzer.off()
        for led in self._lights.values():
            led.off()

    def status(self) -> dict:
        """Plain-dict state: each light on or off, buzzer on or off, pattern playing."""
        if self._closed:
            return {"state": "closed"}
        return {
            "state": "ready",
            "lights": {name: bool(led.value) for name, led in self._lights.items()},
            "buzzer": bool(self._buzzer.value),
            "pattern": self._pattern,
        }

    def close(self) -> None:
        """Cues off and pins released; safe to call twice."""
        if self._closed:
            return
        self.all_off()
        self._buzzer.close()
        for led in self._lights.values():
            led.close()
        self._closed = True

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
