"""What the station says to the patient, in the patient's language: each instruction a drill
gives (``drills.cues.INSTRUCTIONS``), the last three seconds of a countdown, and the meaning of
the start, success, stop and warning tones (``TONE_WORDS``), translated through the station's
gettext catalog and handed to the ``hw.speech.Voice``, which speaks them off the control loop.
"""

from drills.cues import COUNT_WORDS, INSTRUCTIONS, TONE_WORDS
from station.i18n.catalog import DEFAULT_LANGUAGE, LANGUAGES, check_language, gettext


def phrases(language: str) -> list[str]:
    """Every phrase the station can say, in ``language`` (for rendering ahead and tests)."""
    english = [*INSTRUCTIONS.values(), *COUNT_WORDS.values(), *TONE_WORDS.values()]
    return [gettext(language, text) for text in english]


def all_phrases() -> list[tuple[str, str]]:
    """(phrase, language) for every phrase in every language the station speaks."""
    return [(text, code) for code in LANGUAGES for text in phrases(code)]


class Speaker:
    """Turns the cues the control loop applies into phrases for ``voice`` in the language of
    the patient on the platform (``language``, set when a drill starts). Called on the loop
    thread: every method only queues."""

    def __init__(self, voice):
        self.voice = voice
        self.language = DEFAULT_LANGUAGE

    def set_language(self, code: str) -> None:
        """Speak ``code`` from the next phrase on (the patient's language)."""
        self.language = check_language(code)

    def instruction(self, code: str) -> str:
        """The instruction ``code`` in the patient's language: said, and shown to them."""
        text = gettext(self.language, INSTRUCTIONS[code])
        self.voice.say(text, self.language)
        return text

    def tone(self, pattern: str, countdown_left_s: int | None = None) -> None:
        """The words of a tone: the seconds left for a countdown beep (the last three), what
        the start, success, stop and warning tones mean; nothing for a metronome click."""
        words = COUNT_WORDS.get(countdown_left_s) if pattern == "countdown" else None
        words = words or TONE_WORDS.get(pattern)
        if words:
            self.voice.say(gettext(self.language, words), self.language)

    def hush(self) -> None:
        """Every cue off (a stop): cut what is being said."""
        self.voice.interrupt()

    def status(self) -> dict:
        return {**self.voice.status(), "language": self.language}

    def close(self) -> None:
        self.voice.close()
