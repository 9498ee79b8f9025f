"""CPT 97112 (neuromuscular reeducation) units of a visit under the CMS 8-minute rule.

The rule (docs/clinical.md): units come from the visit's total timed minutes; 8-22 minutes are
1 unit, 23-37 are 2, 38-52 are 3, 53-67 are 4, then one more unit per further 15 minutes;
under 8 minutes nothing is billed. The station runs only this timed code, so the visit's
neuromuscular reeducation minutes are its total timed minutes. Minutes are whole minutes, as
the therapist logs them.
"""

import math

from sensing.words import ENGLISH, N_
from station.errors import WordedError

CPT_CODE = "97112"
CPT_NAME = "Neuromuscular reeducation"
UNIT_MIN = 15
FIRST_UNIT_FROM_MIN = 8
SETUP_MIN_PER_TRIAL = 2.0
"""Minutes of set-up and instruction the suggestion adds per trial run (placing the foam pad,
explaining the drill): an estimate for the therapist to correct, never billed by itself."""


class MinutesError(WordedError, ValueError):
    """Timed minutes that are not a whole number of 0 or more."""


def units_97112(minutes: int) -> int:
    """CPT 97112 units for ``minutes`` total timed minutes (whole, 0 or more)."""
    if isinstance(minutes, bool) or not isinstance(minutes, int) or minutes < 0:
        raise MinutesError(
            N_("timed minutes must be a whole number of 0 or more, got %(value)r"), value=minutes
        )
    if minutes < FIRST_UNIT_FROM_MIN:
        return 0
    return (minutes - FIRST_UNIT_FROM_MIN) // UNIT_MIN + 1


def minutes_for_units(units: int) -> tuple[int, int]:
    """The first and last whole minute that give ``units`` (1 or more) units."""
    first = FIRST_UNIT_FROM_MIN + (units - 1) * UNIT_MIN
    return first, first + UNIT_MIN - 1


def billing_summary(minutes: int, translations=ENGLISH) -> dict:
    """What the visit page and report show: code, minutes, units, the minute range that gives
    those units and how many more minutes would reach the next unit, in plain words (in the
    language of ``translations``)."""
    units = units_97112(minutes)
    if units == 0:
        low, high = 0, FIRST_UNIT_FROM_MIN - 1
        words = translations.gettext(
            "%(minutes)d min is under %(first)d min: no unit can be billed"
        ) % {"minutes": minutes, "first": FIRST_UNIT_FROM_MIN}
    else:
        low, high = minutes_for_units(units)
        words = translations.ngettext(
            "%(minutes)d min gives %(num)d unit (%(low)d-%(high)d min under the 8-minute rule)",
            "%(minutes)d min gives %(num)d units (%(low)d-%(high)d min under the 8-minute rule)",
            units,
        ) % {"minutes": minutes, "num": units, "low": low, "high": high}
    return {
        "code": CPT_CODE,
        "name": CPT_NAME,
        "minutes": minutes,
        "units": units,
        "range_min": [low, high],
        "next_unit_in_min": high + 1 - minutes,
        "explanation": words,
    }


def suggested_minutes(trial_durations_s: list[float]) -> dict:
    """A suggestion of the visit's timed minutes: the trials' time on the station plus
    ``SETUP_MIN_PER_TRIAL`` per trial, rounded up to whole minutes."""
    on_station_min = sum(d for d in trial_durations_s if d) / 60.0
    setup_min = SETUP_MIN_PER_TRIAL * len(trial_durations_s)
    return {
        "minutes": math.ceil(on_station_min + setup_min - 1e-9),
        "on_station_min": round(on_station_min, 1),
        "setup_min": setup_min,
        "trials": len(trial_durations_s),
    }


def record_check(minutes: int, suggestion: dict, translations=ENGLISH) -> str | None:
    """In words (in the language of ``translations``), when ``minutes`` bill more units than
    the visit's record supports (its ``suggested_minutes``); None when they do not. Timed
    minutes may include neuromuscular reeducation away from the station, so this warns the
    therapist and never refuses."""
    billed, supported = units_97112(minutes), units_97112(suggestion["minutes"])
    if billed <= supported:
        return None
    _, ngettext = translations.gettext, translations.ngettext
    trials = suggestion["trials"]
    said = {
        "on_station": suggestion["on_station_min"],
        "setup": suggestion["setup_min"],
        "count": trials,
    }
    recorded = (
        ngettext(
            "%(on_station)g min on the station in %(count)d trial + %(setup)g min of set-up",
            "%(on_station)g min on the station in %(count)d trials + %(setup)g min of set-up",
            trials,
        )
        % said
        if trials
        else _("no trial on the station")
    )
    bill = ngettext(
        "%(minutes)d min bill %(num)d unit", "%(minutes)d min bill %(num)d units", billed
    )
    give = ngettext(
        "%(minutes)d min (%(recorded)s) give %(num)d unit",
        "%(minutes)d min (%(recorded)s) give %(num)d units",
        supported,
    )
    return _(
        "%(billed)s, more than this visit's record supports: %(supported)s. Bill only minutes "
        "of one-on-one neuromuscular reeducation: if some were spent away from the station, "
        "say what in the note; otherwise correct the minutes"
    ) % {
        "billed": bill % {"minutes": minutes, "num": billed},
        "supported": give
        % {"minutes": suggestion["minutes"], "recorded": recorded, "num": supported},
    }
