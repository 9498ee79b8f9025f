"""Validation of patient records coming from the panel or the API, and the age shown for them.

Text is cleaned as ``station.records.text`` says (no invisible characters: two names that differ
only by them look the same) and a clinic code is also reduced to its compatibility form (NFKC: a
full-width A1 is the ASCII A1); each code belongs to one patient, in any case
(``Storage.create_patient`` checks it when it writes)."""

import unicodedata
from datetime import date

from sensing.words import N_
from station.errors import FieldError
from station.i18n.catalog import DEFAULT_LANGUAGE, LANGUAGES, LanguageError, check_language
from station.records.refusals import (
    AT_MOST_CHARACTERS,
    BETWEEN,
    IN_THE_FUTURE,
    MUST_BE_TEXT,
    NOT_A_DATE,
    NOT_A_NUMBER,
    TOO_LONG,
    UNKNOWN_FIELD,
)
from station.records.text import clean_line, clean_lines

PATIENT_PAGE = 50  # patients a list shows at a time


class PatientFieldError(FieldError, ValueError):
    """A patient field is missing or out of range; ``field`` names it."""


NUMBER_RANGES = {"height_cm": (50.0, 250.0), "weight_kg": (10.0, 350.0)}
TEXT_LIMITS = {"name": 100, "code": 40}
NOTE_LIMIT = 500
CHOICES = {
    "sex": ("female", "male", "other", "unspecified"),
    "affected_side": ("left", "right", "both", "none"),
}
MAX_AGE_YEARS = 120
CHOOSE = N_("choose one of %(choices)s, got %(value)r")
FIELDS = (
    *TEXT_LIMITS,
    "birth_date",
    "sex",
    "affected_side",
    *NUMBER_RANGES,
    "language",
    "note",
)
"""Every field a patient record holds besides its id and creation time, in form order."""


def validate_patient(data: dict, today: date | None = None) -> dict:
    """Cleaned fields: name required; code, birth date (ISO, age 0-120 years on ``today``), sex,
    affected side, height in cm, weight in kg and a note of up to 500 characters optional (None
    when left empty); the language the patient hears and reads (English when not given). A
    record is validated whole, for a new patient and for an edit alike."""
    if not isinstance(data, dict):
        raise PatientFieldError("body", N_("expected an object with a name"))
    unknown = sorted(set(data) - set(FIELDS))
    if unknown:
        raise PatientFieldError(unknown[0], UNKNOWN_FIELD, known=", ".join(FIELDS))
    clean = {}
    for field, limit in TEXT_LIMITS.items():
        value = clean_line(_text(data, field))
        if field == "code":
            value = unicodedata.normalize("NFKC", value)
        if len(value) > limit:
            raise PatientFieldError(field, AT_MOST_CHARACTERS, limit=limit)
        clean[field] = value or None
    if not clean["name"]:
        raise PatientFieldError("name", N_("a name (or pseudonym) is required"))
    clean["birth_date"] = _birth_date(_text(data, "birth_date").strip(), today or date.today())
    for field, choices in CHOICES.items():
        value = _text(data, field).strip()
        if value and value not in choices:
            raise PatientFieldError(field, CHOOSE, choices=", ".join(choices), value=value)
        clean[field] = value or None
    for field, (low, high) in NUMBER_RANGES.items():
        clean[field] = _number(data.get(field), field, low, high)
    language = _text(data, "language").strip() or DEFAULT_LANGUAGE
    try:
        clean["language"] = check_language(language)
    except LanguageError:
        names = ", ".join(f"{code} ({name})" for code, name in LANGUAGES.items())
        raise PatientFieldError("language", CHOOSE, choices=names, value=language) from None
    note = clean_lines(_text(data, "note"))
    if len(note) > NOTE_LIMIT:
        raise PatientFieldError("note", TOO_LONG, limit=NOTE_LIMIT, length=len(note))
    clean["note"] = note or None
    return clean


def _text(data: dict, field: str) -> str:
    value = data.get(field)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise PatientFieldError(field, MUST_BE_TEXT)
    return value


def _number(value, field: str, low: float, high: float) -> float | None:
    if value in (None, ""):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise PatientFieldError(field, NOT_A_NUMBER, value=value) from None
    if isinstance(value, bool) or not low <= number <= high:
        unit = field.rsplit("_", 1)[1]  # height_cm, weight_kg
        raise PatientFieldError(field, BETWEEN, low=low, high=high, unit=unit)
    return number


def _birth_date(value: str, today: date) -> str | None:
    if not value:
        return None
    try:
        born = date.fromisoformat(value)
    except ValueError:
        raise PatientFieldError("birth_date", NOT_A_DATE, value=value) from None
    if born > today:
        raise PatientFieldError("birth_date", IN_THE_FUTURE, day=born.isoformat())
    if age_years(born.isoformat(), today) > MAX_AGE_YEARS:
        raise PatientFieldError(
            "birth_date",
            N_("%(day)s gives an age over %(most)d years"),
            day=born.isoformat(),
            most=MAX_AGE_YEARS,
        )
    return born.isoformat()


def age_years(birth_date: str | None, today: date | None = None) -> int | None:
    """Age in whole years on ``today`` (default: now) of an ISO ``birth_date``; None without
    one."""
    if not birth_date:
        return None
    born = date.fromisoformat(birth_date)
    today = today or date.today()
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))
