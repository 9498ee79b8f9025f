"""Cue intents a drill emits; the station turns them into LED and buzzer actions.

Tone patterns: ``countdown`` (short beep, one per second before a trial), ``start`` (long beep:
recording begins), ``end`` (two beeps: trial complete), ``warning`` (three fast beeps: trial
stopped early).
"""

from dataclasses import dataclass

TONES = ("countdown", "start", "end", "warning")
LIGHTS = ("status",)


@dataclass(frozen=True, slots=True)
class Light:
    """Turn a named light on or off."""

    name: str
    on: bool

    def label(self) -> str:
        return f"light:{self.name}:{'on' if self.on else 'off'}"


@dataclass(frozen=True, slots=True)
class Tone:
    """Play a named buzzer pattern once."""

    pattern: str

    def label(self) -> str:
        return f"tone:{self.pattern}"


@dataclass(frozen=True, slots=True)
class AllOff:
    """Every light and the buzzer off at once (safe stop)."""

    def label(self) -> str:
        return "all-off"


Cue = Light | Tone | AllOff
