"""Words for people, marked for the gettext catalog. ``N_`` marks a message where it is written
(``pybabel extract -k N_``) and returns it as is: it is translated where it is said or shown, in
the listener's language. ``ENGLISH`` is the catalog of the language the code is written in.
``ngettext`` marks a message with plural forms, ``pgettext`` one whose English alone is
ambiguous ("Rest" the setting, not "Rest" the instruction). The lowest layer with words for
people (the quality gate's verdicts) defines them, so every layer marks and composes its words
the same way. ``InLocale`` wraps a catalog so the numbers and days its messages are filled with are
written the reader's way (a decimal comma in Spanish)."""

import re
from collections.abc import Callable
from datetime import date
from gettext import NullTranslations
from typing import NamedTuple

ENGLISH = NullTranslations()
"""The messages as the code writes them."""


def N_(message: str) -> str:
    """Mark ``message`` for the gettext catalog; returns it unchanged."""
    return message


class Plural(NamedTuple):
    """A message whose grammar follows a count ("1 sample", "2 samples")."""

    singular: str
    plural: str


def ngettext(singular: str, plural: str) -> Plural:
    """Mark a message with plural forms for the catalog (``pybabel extract`` reads
    ``ngettext(singular, plural)`` as one entry); translated where it is shown, by its count."""
    return Plural(singular, plural)


class InContext(NamedTuple):
    """A message with the context that tells it from the same English said otherwise."""

    context: str
    message: str


def pgettext(context: str, message: str) -> InContext:
    """Mark ``message`` with a context for the catalog (``pybabel extract`` reads
    ``pgettext(context, message)``); translated where it is shown, in its context."""
    return InContext(context, message)


PLACEHOLDER = re.compile(r"%(?:\((\w+)\))?([-+ #0]*\d*(?:\.\d+)?)([diouxXeEfFgGcrs%])")
"""A Python-format placeholder: its name, its flags, width and precision, its conversion."""


class Said(str):
    """A translated message whose ``%`` fills its named placeholders as the reader writes
    numbers and days: a real number's decimal point becomes ``decimal``, a ``date`` is
    written by ``day`` (ISO without it)."""

    def __new__(cls, text: str, decimal: str = ".", day: Callable[[date], str] | None = None):
        said = super().__new__(cls, text)
        said.decimal, said.day = decimal, day
        return said

    def __mod__(self, params):
        if not isinstance(params, dict):
            return str.__mod__(self, params)

        def fill(match: re.Match) -> str:
            name, spec, conversion = match.groups()
            if conversion == "%":
                return "%"
            value = params[name]
            if conversion == "s" and isinstance(value, date) and self.day is not None:
                return self.day(value)
            shown = f"%{spec}{conversion}" % value
            return shown.replace(".", self.decimal) if conversion in "eEfFgG" else shown

        return PLACEHOLDER.sub(fill, self)


class InLocale(NullTranslations):
    """``translations`` whose messages write numbers with ``decimal`` as the decimal mark and
    days as ``day`` writes them (the reader's locale: "0,738", "5 dic 2026" in Spanish), so a
    sentence the code composes writes them as the page around it does."""

    def __init__(
        self,
        translations: NullTranslations,
        decimal: str,
        day: Callable[[date], str] | None = None,
    ):
        super().__init__()
        self._translations = translations
        self._decimal, self._day = decimal, day

    def gettext(self, message: str) -> str:
        return Said(self._translations.gettext(message), self._decimal, self._day)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return Said(self._translations.ngettext(singular, plural, n), self._decimal, self._day)

    def pgettext(self, context: str, message: str) -> str:
        return Said(self._translations.pgettext(context, message), self._decimal, self._day)
