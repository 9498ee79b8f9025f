"""Words for people, marked for the gettext catalog. ``N_`` marks a message where it is written
(``pybabel extract -k N_``) and returns it as is: it is translated where it is said or shown, in
the listener's language. ``ENGLISH`` is the catalog of the language the code is written in.
The lowest layer with words for people (the quality gate's verdicts) defines both, so every
layer marks and composes its words the same way."""

from gettext import NullTranslations

ENGLISH = NullTranslations()
"""The messages as the code writes them."""


def N_(message: str) -> str:
    """Mark ``message`` for the gettext catalog; returns it unchanged."""
    return message
