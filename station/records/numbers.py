"""Whole numbers as a person types them into a form or a client sends them as JSON, read one
way for every record (visits, home programs): empty is None, and a true/false value, words
or a fraction are refused in words the record's own error then names its field with."""

from station.errors import StationError


class NumberError(StationError, ValueError):
    """Not a whole number; the message says what was expected and what came."""


def whole_number(value, what: str = "a whole number") -> int | None:
    """``value`` as an int; None when left empty; NumberError ("expected ``what``, got ...")."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise NumberError(f"expected {what}, got a true/false value")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise NumberError(f"expected {what}, got {value!r}") from None
    if not number.is_integer():
        raise NumberError(f"expected {what}, got {value!r}")
    return int(number)
