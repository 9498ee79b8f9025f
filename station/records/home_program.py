"""A patient's home exercise program: the exercises the therapist picked from the library
(``exercise_library.EXERCISES``), each at a level and a dose, and how well the patient kept
to it between visits.

A new dose of an exercise the patient already does stops the old prescription and adds a new
one, so the record shows what was asked when. At most ``MAX_EXERCISES`` at a time: the
handout is one large-print page, and a short program is done better.
Adherence is the share of the days since the previous visit (or since the program began, if
later) on which the patient says they did the exercises, recorded at each visit.
"""

from datetime import date
from gettext import NullTranslations

from sensing.words import ENGLISH, N_
from station.errors import FieldError, NotFoundError
from station.records.exercise_library import EXERCISES, UNITS
from station.records.numbers import NumberError, whole_number
from station.records.refusals import UNKNOWN_FIELD
from station.records.text import short_note
from station.storage.database import Storage, now_iso

MAX_EXERCISES = 5
"""Exercises in a home program at once: what one large-print page holds, and few enough to do
well (Henry et al. 1999: 2 exercises were done better than 8; docs/clinical.md)."""
NOTE_LIMIT = 120
DOSE_LIMITS = {"sets": (1, 5), "times_per_day": (1, 3), "days_per_week": (1, 7)}
"""Allowed sets, times a day and days a week (the amount's limits depend on the unit)."""
FIELDS = ("exercise", "level", "sets", "amount", "times_per_day", "days_per_week", "note")
OUTSIDE = {
    "sets": N_("%(value)d is outside %(low)d-%(high)d (sets)"),
    "times_per_day": N_("%(value)d is outside %(low)d-%(high)d (times per day)"),
    "days_per_week": N_("%(value)d is outside %(low)d-%(high)d (days per week)"),
    "reps": N_("%(value)d is outside %(low)d-%(high)d (times)"),
    "hold_s": N_("%(value)d is outside %(low)d-%(high)d (seconds)"),
    "steps": N_("%(value)d is outside %(low)d-%(high)d (steps)"),
    "laps": N_("%(value)d is outside %(low)d-%(high)d (laps)"),
}
"""A dose out of its limits, by field, and for the amount by its unit (a key of UNITS)."""


class HomeProgramError(FieldError, ValueError):
    """A home exercise field is missing or wrong; ``field`` names it."""


def validate_prescription(data: dict) -> dict:
    """Cleaned fields of one prescribed exercise: ``exercise`` (a library key), ``level``
    (1 to the exercise's levels), ``sets``, ``amount`` (in the exercise's unit),
    ``times_per_day`` and ``days_per_week`` (a field left empty takes the exercise's usual
    dose) and a short ``note``."""
    if not isinstance(data, dict):
        raise HomeProgramError("body", N_("expected an object with an exercise and its dose"))
    unknown = sorted(set(data) - set(FIELDS))
    if unknown:
        raise HomeProgramError(unknown[0], UNKNOWN_FIELD, known=", ".join(FIELDS))
    key = data.get("exercise")
    if key not in EXERCISES:
        raise HomeProgramError("exercise", N_("no home exercise called %(key)r"), key=key)
    exercise = EXERCISES[key]
    _, least, most = UNITS[exercise.unit]
    usual = dict(
        zip(("sets", "amount", "times_per_day", "days_per_week"), exercise.dose, strict=True)
    )
    limits = {**DOSE_LIMITS, "amount": (least, most)}
    dose = {}
    for field, (low, high) in limits.items():
        value = _whole(data.get(field), field)
        value = usual[field] if value is None else value
        if not low <= value <= high:
            outside = OUTSIDE[exercise.unit if field == "amount" else field]
            raise HomeProgramError(field, outside, value=value, low=low, high=high)
        dose[field] = value
    level = _whole(data.get("level"), "level") or 1
    if not 1 <= level <= len(exercise.levels):
        raise HomeProgramError(
            "level",
            N_("%(exercise)s has levels 1 to %(most)d, not %(level)d"),
            exercise=lambda words: words.gettext(exercise.name),
            most=len(exercise.levels),
            level=level,
        )
    note = short_note(data.get("note"), NOTE_LIMIT, HomeProgramError)
    return {"exercise": key, "level": level, **dose, "note": note}


def _whole(value, field: str) -> int | None:
    """A whole number from a form string or a JSON number; None when left empty."""
    try:
        return whole_number(value)
    except NumberError as exc:
        raise HomeProgramError(field, exc.template, **exc.params) from None


def described(row: dict) -> dict:
    """A prescription row with its exercise's words, in English: ``name``, ``how``,
    ``level_words``, ``safety``, ``dose_words`` ("hold 10 seconds, 2 times; twice a day, 3 days
    a week") and the ``drawing`` file name (``in_language`` gives them in another)."""
    exercise = EXERCISES[row["exercise"]]
    return {
        **row,
        "name": exercise.name,
        "how": exercise.how,
        "levels": exercise.levels,
        "level_words": exercise.levels[row["level"] - 1],
        "safety": exercise.safety,
        "dose_words": dose_words(row),
        "drawing": f"exercises/{row['exercise']}.svg",
    }


def in_language(prescription: dict, translations: NullTranslations) -> dict:
    """A ``described`` prescription with its words from ``translations`` (a gettext catalog)."""
    say = translations.gettext
    return {
        **prescription,
        "name": say(prescription["name"]),
        "how": say(prescription["how"]),
        "levels": tuple(say(level) for level in prescription["levels"]),
        "level_words": say(prescription["level_words"]),
        "safety": say(prescription["safety"]),
        "dose_words": dose_words(prescription, translations),
    }


def dose_words(row: dict, translations: NullTranslations = ENGLISH) -> str:
    """The dose as a patient reads it: "hold 10 seconds, 2 times; twice a day, 3 days a week",
    "2 rounds of 10 times; once a day, every day", in the language of ``translations``."""
    _, ngettext = translations.gettext, translations.ngettext
    amount, sets = row["amount"], row["sets"]
    unit = EXERCISES[row["exercise"]].unit
    if unit == "hold_s":
        what = ngettext("hold %(num)d second", "hold %(num)d seconds", amount) % {"num": amount}
        if sets > 1:
            what = _("%(hold)s, %(sets)d times") % {"hold": what, "sets": sets}
    else:
        if unit == "steps":
            what = ngettext("%(num)d step", "%(num)d steps", amount)
        elif unit == "laps":
            what = ngettext("%(num)d lap", "%(num)d laps", amount)
        else:
            what = ngettext("%(num)d time", "%(num)d times", amount)
        what = what % {"num": amount}
        if sets > 1:
            what = _("%(sets)d rounds of %(what)s") % {"sets": sets, "what": what}
    times = row["times_per_day"]
    if times == 1:
        daily = _("once a day")
    elif times == 2:
        daily = _("twice a day")
    else:
        daily = ngettext("%(num)d time a day", "%(num)d times a day", times) % {"num": times}
    days = row["days_per_week"]
    if days == 7:
        weekly = _("every day")
    else:
        weekly = ngettext("%(num)d day a week", "%(num)d days a week", days) % {"num": days}
    return _("%(sets)s; %(daily)s, %(weekly)s") % {"sets": what, "daily": daily, "weekly": weekly}


class HomePrograms:
    """The ``home_exercises`` table of a station's storage."""

    def __init__(self, storage: Storage):
        self.storage = storage

    def prescribe(self, patient_id: int, data: dict, today: date | None = None) -> dict:
        """Add an exercise to the patient's program, or give one already in it a new level
        or dose (the old prescription is stopped, kept in the record)."""
        self.storage.get_patient(patient_id)
        fields = validate_prescription(data)
        day = (today or date.today()).isoformat()

        def insert(db):
            active = {
                row[1]: row[0]
                for row in db.execute(
                    "SELECT id, exercise FROM home_exercises WHERE patient_id = ? "
                    "AND stopped_at IS NULL",
                    [patient_id],
                )
            }
            replaced = active.get(fields["exercise"])
            if replaced is None and len(active) >= MAX_EXERCISES:
                raise HomeProgramError(
                    "exercise",
                    N_(
                        "the program already has %(most)d exercises, what one page holds: "
                        "stop one first"
                    ),
                    most=MAX_EXERCISES,
                )
            now = now_iso()
            if replaced is not None:
                db["home_exercises"].update(replaced, {"stopped_at": now})
            row = {**fields, "patient_id": patient_id, "prescribed_on": day, "created_at": now}
            return db["home_exercises"].insert(row).last_pk

        return self.get(self.storage.submit(insert).result())

    def get(self, item_id: int) -> dict:
        rows = self.storage.query("SELECT * FROM home_exercises WHERE id = ?", [item_id])
        if not rows:
            raise NotFoundError(f"no home exercise prescription with id {item_id}")
        return described(rows[0])

    def stop(self, item_id: int) -> dict:
        """Take an exercise out of the patient's program (kept in the record)."""
        item = self.get(item_id)
        if item["stopped_at"] is None:
            self.storage.submit(
                lambda db: db["home_exercises"].update(item_id, {"stopped_at": now_iso()})
            ).result()
        return self.get(item_id)

    def current(self, patient_id: int) -> list[dict]:
        """The exercises the patient does now, in the order they were prescribed."""
        rows = self.storage.query(
            "SELECT * FROM home_exercises WHERE patient_id = ? AND stopped_at IS NULL ORDER BY id",
            [patient_id],
        )
        return [described(row) for row in rows]

    def began_on(self, patient_id: int) -> str | None:
        """The day the patient's first home exercise was prescribed (YYYY-MM-DD), or None."""
        rows = self.storage.query(
            "SELECT min(prescribed_on) AS day FROM home_exercises WHERE patient_id = ?",
            [patient_id],
        )
        return rows[0]["day"]


def adherence(visits: list[dict], began_on: str | None) -> list[dict]:
    """Per visit with days done recorded, oldest first: ``visit_id``, ``visit_date``,
    ``days_done``, ``days`` (days since the previous visit, or since the program began if
    later) and ``percent`` of them; [] before any home program."""
    if began_on is None:
        return []
    dated = sorted(visits, key=lambda v: (v["visit_date"], v["id"]))
    rows, previous = [], None
    for visit in dated:
        start = max(d for d in (previous, began_on) if d is not None)
        days = (date.fromisoformat(visit["visit_date"]) - date.fromisoformat(start)).days
        previous = visit["visit_date"]
        if visit.get("hep_days") is None or days <= 0:
            continue
        done = visit["hep_days"]
        rows.append(
            {
                "visit_id": visit["id"],
                "visit_date": visit["visit_date"],
                "days_done": done,
                "days": days,
                "percent": round(100 * min(done, days) / days),
            }
        )
    return rows
