"""The sentences several records refuse a field with, marked once for the catalog: each
record raises its own error (``station.errors.FieldError``) with one of these and its params,
so a refusal reads the same, and is translated once, whichever record gives it."""

from sensing.words import N_

UNKNOWN_FIELD = N_("unknown field (known: %(known)s)")
MUST_BE_TEXT = N_("must be text")
AT_MOST_CHARACTERS = N_("at most %(limit)d characters")
TOO_LONG = N_("at most %(limit)d characters, got %(length)d")
NOT_A_NUMBER = N_("expected a number, got %(value)r")
NOT_A_DATE = N_("expected a date as YYYY-MM-DD, got %(value)r")
IN_THE_FUTURE = N_("%(day)s is in the future")
BETWEEN = N_("must be between %(low)g and %(high)g %(unit)s")
"""A measurement out of its range, ``unit`` its symbol (cm, kg, lb)."""
