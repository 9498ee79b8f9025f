"""What the station says to the patient, in the patient's language: each instruction a drill
gives (``drills.cues.INSTRUCTIONS``), the last three seconds of a countdown, and the meaning of
the start, success, stop and warning tones (``TONE_WORDS``), translated through the station's
gettext catalog and handed to the ``hw.speech.Voice``, which speaks them off the control loop.
The English sentences are the catalog's ids, marked with ``N_`` where they are written
(``drills/cues.py``) so that ``pybabel extract -k N_`` finds them.
"""

from drills.cues import COUNT_WORDS, INSTRUCTIONS, TONE_WORDS, Instruct, Tone
from station.i18n.catalog import (
    DEFAULT_LANGUAGE,
    LANGUAGES,
    check_language,
    gettext,
    translations,
)


def phrase(
    cue, language: str, countdown_left_s: int | None = None, stopping: bool = False
) -> str | None:
    """What is said with ``cue`` in ``language``: an instruction's sentence, the seconds left
    (3, 2, 1) with a countdown beep ``countdown_left_s`` whole seconds before the start, what
    the start, success and stop tones mean, and the warning's words when it ends the drill
    (``stopping``, with every cue off); None for a silent cue (a light, a metronome click, a
    countdown beep before its last three seconds, a warning that only flags, such as weight
    bearing over its limit each second or a failed attempt that is repeated)."""
    if isinstance(cue, Instruct):
        return gettext(language, INSTRUCTIONS[cue.code])
    if not isinstance(cue, Tone) or (cue.pattern == "warning" and not stopping):
        return None
    if cue.pattern == "countdown":
        words = COUNT_WORDS.get(countdown_left_s)
    else:
        words = TONE_WORDS.get(cue.pattern)
    return None if words is None else gettext(language, words)


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
        """Speak ``code`` from the next phrase on (the patient's language); its catalog is
        loaded here, on the caller's thread, not on the control loop's."""
        translations(check_language(code))
        self.language = code

    def instruction(self, code: str) -> str:
        """The instruction ``code`` in the patient's language: said, and shown to them."""
        text = phrase(Instruct(code), self.language)
        self.voice.say(text, self.language)
        return text

    def tone(
        self, pattern: str, countdown_left_s: int | None = None, stopping: bool = False
    ) -> None:
        """The words of a tone: the seconds left for a countdown beep (the last three), what
        the start, success and stop tones mean, a warning's when it ends the drill
        (``stopping``); nothing for a metronome click."""
        text = phrase(Tone(pattern), self.language, countdown_left_s, stopping)
        if text is not None:
            self.voice.say(text, self.language)

    def hush(self) -> None:
        """Every cue off (a stop, ``AllOff``): cut what is being said and what is queued."""
        self.voice.interrupt()

    def prerender(self) -> None:
        """Render every phrase of every language into the voice's cache on a thread of its own
        (at start-up: the first drill's words are then ready)."""
        self.voice.prerender(all_phrases(), wait=False)

    def status(self) -> dict:
        """The voice's plain-dict state and the language spoken now."""
        return {**self.voice.status(), "language": self.language}

    def close(self) -> None:
        """Close the voice (its threads and player)."""
        self.voice.close()
