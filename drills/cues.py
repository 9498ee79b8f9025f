"""Cue intents a drill emits; the station turns them into LED and buzzer actions.

Lights: five direction LEDs (``front``, ``back``, ``left``, ``right``, ``centre``) and one RGB
status LED whose colour tells the phase (``blue`` step on and stand still, ``amber`` get ready,
``green`` recording, ``red`` stopped, ``off`` idle). Tone patterns: ``countdown`` (short beep, one
per second before a trial), ``start`` (rising: recording begins), ``stop`` (falling: stopped by
the therapist or the stop button), ``success`` (arpeggio: trial complete), ``warning`` (three
fast high beeps: stopped early by a step-off or a fault), ``metronome`` (a click on each beat).
``Instruct`` carries what the therapist tells the patient (close your eyes, stand on the foam,
lift a foot): shown on the panel, spoken by the station in the patient's language, followed by
the virtual patient in simulation. Every sentence here is English marked with ``N_`` for the
gettext catalog (``station.i18n``), which holds its translations.
"""

from dataclasses import dataclass

from sensing.words import N_

TONES = ("countdown", "start", "stop", "success", "warning", "metronome")
LIGHTS = ("front", "back", "left", "right", "centre")
STATUS_COLOURS = ("off", "blue", "amber", "green", "red")


@dataclass(frozen=True, slots=True)
class Light:
    """Turn a direction light on or off."""

    name: str
    on: bool

    def label(self) -> str:
        return f"light:{self.name}:{'on' if self.on else 'off'}"


@dataclass(frozen=True, slots=True)
class Status:
    """Show a colour on the status light."""

    colour: str

    def label(self) -> str:
        return f"status:{self.colour}"


@dataclass(frozen=True, slots=True)
class Tone:
    """Play a named buzzer pattern once."""

    pattern: str

    def label(self) -> str:
        return f"tone:{self.pattern}"


INSTRUCTIONS = {
    "eyes-open": N_("Keep your eyes open, looking at a point ahead."),
    "eyes-closed": N_("Close your eyes."),
    "firm-surface": N_("Stand on the platform itself (remove the foam pad or the balance disc)."),
    "foam-surface": N_("Stand on the foam pad, centred on the platform's foot markings."),
    "disc-surface": N_(
        "Stand with both feet on the balance disc, placed at the centre of the platform."
    ),
    "feet-together": N_("Stand with your feet side by side, touching."),
    "semi-tandem": N_("Put the instep of one foot against the big toe of the other."),
    "tandem": N_("Put one foot in front of the other, heel touching toe."),
    "return-to-position": N_(
        "If you lose your balance, get back into the position as quickly as you can."
    ),
    "step-forward-left": N_("Walk forward off the platform, starting with your left foot."),
    "step-forward-right": N_("Walk forward off the platform, starting with your right foot."),
    "step-back-on": N_("Step back onto the platform, feet on the markings."),
    "stand-on-left": N_("Lift the right foot and stand on the left leg, hands on hips."),
    "stand-on-right": N_("Lift the left foot and stand on the right leg, hands on hips."),
    "both-feet": N_("Stand on both feet, arms by the side."),
    "hold-level": N_("Keep the board level."),
    "stand-upright": N_("Stand upright and hold that posture."),
    "offload": N_(
        "If a light comes on, shift your weight toward it a little at a time until it goes off, "
        "then stay there."
    ),
    "find-targets": N_(
        "Lean toward the lit side until the middle light comes on, then hold; a light on the "
        "other side means you went past: ease back."
    ),
}


TONE_WORDS = {
    "start": N_("Begin."),
    "success": N_("Well done."),
    "stop": N_("Stop. Step off carefully."),
    "warning": N_("Stop. Stay where you are, and hold on if you need to."),
}
"""What is said with a tone pattern (the tone keeps the timing; the words say what it means)."""

COUNT_WORDS = {3: N_("Three"), 2: N_("Two"), 1: N_("One")}
"""The last seconds of a countdown, said with their beeps."""


@dataclass(frozen=True, slots=True)
class Instruct:
    """Something the therapist says to the patient (shown on the panel); in simulation the
    virtual patient follows it. ``code`` is a key of INSTRUCTIONS."""

    code: str

    def label(self) -> str:
        return f"say:{self.code}"


@dataclass(frozen=True, slots=True)
class AllOff:
    """Every light and the buzzer off at once (safe stop)."""

    def label(self) -> str:
        return "all-off"


Cue = Light | Status | Tone | Instruct | AllOff
