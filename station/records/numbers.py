"""Whole numbers as a person types them into a form or a client sends them as JSON, read one
way for every record (visits, home programs): empty is None, and a true/false value, words
or a fraction are refused in words the record's own error then names its field with."""

from typing import NamedTuple

from sensing.words import N_
from station.errors import WordedError


class NumberError(WordedError, ValueError):
    """Not a whole number; the message says what was expected and what came."""


class Expected(NamedTuple):
    """The whole number a field takes, as the two sentences that refuse another: one for a
    true/false value, one for anything else (its ``%(value)r``)."""

    true_false: str
    other: str


A_WHOLE_NUMBER = Expected(
    N_("expected a whole number, got a true/false value"),
    N_("expected a whole number, got %(value)r"),
)


def whole_number(value, expected: Expected = A_WHOLE_NUMBER, **params) -> int | None:
    """``value`` as an int; None when left empty; NumberError in the words of ``expected``
    (``params`` fill any other placeholder they have: a range)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise NumberError(expected.true_false, **params)
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise NumberError(expected.other, value=value, **params) from None
    if not number.is_integer():
        raise NumberError(expected.other, value=value, **params)
    return int(number)
