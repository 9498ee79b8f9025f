"""The station's languages and their gettext catalogs, for the core (spoken instructions) and
the panel (Flask-Babel reads the same folder).

English is the source language: a message's English text is its id, so English needs no
catalog. Other languages have ``translations/<code>/LC_MESSAGES/messages.po`` (edited by
people) and ``messages.mo`` (compiled with ``pybabel compile``; a test checks it is up to
date). ``pybabel extract -F babel.cfg`` finds the messages in the code and templates.
"""

import functools
from pathlib import Path

from babel.support import NullTranslations, Translations

from sensing.words import (  # noqa: F401  (the panel marks and composes its words with these)
    ENGLISH,
    N_,
    InContext,
    InLocale,
    Plural,
    ngettext,
    pgettext,
)

LANGUAGES = {"en": "English", "es": "Español"}
"""Language code -> its own name, as a person choosing it reads it."""

DEFAULT_LANGUAGE = "en"
TRANSLATIONS_DIR = Path(__file__).parent / "translations"
DOMAIN = "messages"


class LanguageError(ValueError):
    """A language code the station has no catalog for."""


def check_language(code) -> str:
    """``code`` when the station speaks it; LanguageError naming the choices otherwise."""
    if code not in LANGUAGES:
        choices = ", ".join(f"{c} ({name})" for c, name in LANGUAGES.items())
        raise LanguageError(f"language {code!r} is not one the station speaks: choose {choices}")
    return code


@functools.cache
def translations(code: str) -> NullTranslations:
    """The gettext catalog of ``code`` (English: the messages as written)."""
    check_language(code)
    if code == DEFAULT_LANGUAGE:
        return NullTranslations()
    return Translations.load(str(TRANSLATIONS_DIR), [code], DOMAIN)


def gettext(code: str, message: str) -> str:
    """``message`` (its English text) in language ``code``."""
    return translations(code).ugettext(message)
