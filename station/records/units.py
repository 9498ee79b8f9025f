"""Height and weight in the units a clinic works in: stored in SI (cm, kg) whatever the clinic
enters, entered and shown as centimetres and kilograms ("metric") or as feet and inches and
pounds ("us"). Every derived figure (the limits of stability, body-weight percentages) comes
from the stored SI value, so it does not depend on the setting.

The factors are exact by definition (international yard and pound, 1959): 1 in = 2.54 cm,
1 lb = 0.45359237 kg. Stored values keep three decimals, enough that a value entered in one
system reads back unchanged in it.
"""

import math

from sensing.words import N_
from station.records.patients import NUMBER_RANGES, PatientFieldError
from station.records.refusals import BETWEEN, NOT_A_NUMBER

SYSTEMS = ("metric", "us")
CM_PER_INCH = 2.54
KG_PER_POUND = 0.45359237
INCHES_PER_FOOT = 12
STORED_DECIMALS = 3

US_FIELDS = ("height_ft", "height_in", "weight_lb")
"""The form fields of a clinic working in US units, in place of height_cm and weight_kg."""

WEIGHT_LB_RANGE = (
    math.ceil(NUMBER_RANGES["weight_kg"][0] / KG_PER_POUND),
    math.floor(NUMBER_RANGES["weight_kg"][1] / KG_PER_POUND),
)
"""The whole pounds within the records' weight range (23-771 lb for 10-350 kg)."""


def _number(form: dict, field: str) -> float | None:
    value = str(form.get(field, "")).strip()
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        raise PatientFieldError(field, NOT_A_NUMBER, value=value) from None


def si_body_fields(form: dict, system: str) -> dict:
    """``form`` with height_cm and weight_kg as the records take them: as entered in a metric
    clinic; from height_ft + height_in and weight_lb in a US one (PatientFieldError naming the
    US field and its range in feet, inches or pounds when out of range)."""
    if system == "metric":
        return form
    out = {k: v for k, v in form.items() if k not in US_FIELDS}
    feet, inches = _number(form, "height_ft"), _number(form, "height_in")
    if inches is not None and not 0 <= inches < INCHES_PER_FOOT:
        raise PatientFieldError("height_in", N_("must be 0 to 11.9 inches (the feet go beside it)"))
    if feet is None and inches is None:
        out["height_cm"] = ""
    else:
        total_in = (feet or 0.0) * INCHES_PER_FOOT + (inches or 0.0)
        low, high = (cm / CM_PER_INCH for cm in NUMBER_RANGES["height_cm"])
        if not low <= total_in <= high:
            raise PatientFieldError(
                "height_ft",
                N_("must be between %(low)s and %(high)s"),
                low=feet_inches(low),
                high=feet_inches(high),
            )
        out["height_cm"] = round(total_in * CM_PER_INCH, STORED_DECIMALS)
    pounds = _number(form, "weight_lb")
    if pounds is None:
        out["weight_kg"] = ""
    else:
        low, high = WEIGHT_LB_RANGE
        if not low <= pounds <= high:
            raise PatientFieldError("weight_lb", BETWEEN, low=low, high=high, unit="lb")
        out["weight_kg"] = round(pounds * KG_PER_POUND, STORED_DECIMALS)
    return out


def form_values(record: dict, system: str) -> dict:
    """The height and weight fields of the edit form for a stored record."""
    height_cm, weight_kg = record.get("height_cm"), record.get("weight_kg")
    if system == "metric":
        return {
            "height_cm": "" if height_cm is None else round(height_cm, 1),
            "weight_kg": "" if weight_kg is None else round(weight_kg, 1),
        }
    out = {"height_ft": "", "height_in": "", "weight_lb": ""}
    if height_cm is not None:
        feet, inches = _split(height_cm / CM_PER_INCH)
        out.update(height_ft=feet, height_in=inches)
    if weight_kg is not None:
        out["weight_lb"] = round(weight_kg / KG_PER_POUND, 1)
    return out


def _split(total_in: float) -> tuple[int, float]:
    """Whole feet and the inches beyond them (to 0.1 in, never 12)."""
    total_in = round(total_in, 1)
    feet = int(total_in // INCHES_PER_FOOT)
    return feet, round(total_in - feet * INCHES_PER_FOOT, 1)


def feet_inches(total_in: float) -> str:
    """A height in inches as people say it: 5 ft 7 in (inches to 0.1, shown only when
    needed)."""
    feet, inches = _split(total_in)
    return f"{feet} ft {inches:g} in"


def height_text(height_cm: float | None, system: str) -> str:
    """A stored height as the clinic reads it ('' when not recorded)."""
    if height_cm is None:
        return ""
    if system == "us":
        return feet_inches(height_cm / CM_PER_INCH)
    return f"{round(height_cm, 1):g} cm"


def weight_text(weight_kg: float | None, system: str) -> str:
    """A stored weight as the clinic reads it ('' when not recorded)."""
    if weight_kg is None:
        return ""
    if system == "us":
        return f"{round(weight_kg / KG_PER_POUND, 1):g} lb"
    return f"{round(weight_kg, 1):g} kg"
