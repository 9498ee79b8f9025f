"""Validation of patient records coming from the panel or the API."""

from station.errors import StationError


class PatientFieldError(StationError, ValueError):
    """A patient field is missing or out of range; ``field`` names it."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field


NUMBER_RANGES = {"height_cm": (50.0, 250.0), "weight_kg": (10.0, 350.0)}
TEXT_LIMITS = {"name": 100, "code": 40}


def validate_patient(data: dict) -> dict:
    """Cleaned fields (name required; code, height in cm and weight in kg optional)."""
    if not isinstance(data, dict):
        raise PatientFieldError("body", "expected an object with a name")
    unknown = sorted(set(data) - set(NUMBER_RANGES) - set(TEXT_LIMITS))
    if unknown:
        raise PatientFieldError(unknown[0], "unknown field")
    clean = {}
    for field, limit in TEXT_LIMITS.items():
        value = data.get(field)
        value = "" if value is None else value
        if not isinstance(value, str):
            raise PatientFieldError(field, "must be text")
        value = " ".join(value.split())
        if len(value) > limit:
            raise PatientFieldError(field, f"at most {limit} characters")
        clean[field] = value or None
    if not clean["name"]:
        raise PatientFieldError("name", "a name (or pseudonym) is required")
    for field, (low, high) in NUMBER_RANGES.items():
        value = data.get(field)
        if value in (None, ""):
            clean[field] = None
            continue
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise PatientFieldError(field, f"expected a number, got {value!r}") from None
        if isinstance(value, bool) or not low <= number <= high:
            raise PatientFieldError(field, f"must be between {low:g} and {high:g}")
        clean[field] = number
    return clean
