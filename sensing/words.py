"""Words for people, marked for the gettext catalog. ``N_`` marks a message where it is written
(``pybabel extract -k N_``) and returns it as is: it is translated where it is said or shown, in
the listener's language. ``ENGLISH`` is the catalog of the language the code is written in.
``ngettext`` marks a message with plural forms, ``pgettext`` one whose English alone is
ambiguous ("Rest" the setting, not "Rest" the instruction). The lowest layer with words for
people (the quality gate's verdicts) defines them, so every layer marks and composes its words
the same way."""

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
