"""Visits: one per patient and day, with the therapist, the timed minutes of neuromuscular
reeducation billed for it and a note; the visit's trials and its CPT 97112 units.

Which trials belong to a visit: those pinned to it (``trials.visit_id``), plus the patient's
unpinned trials that started on the visit's day (the clinic's local calendar day; trials are
time-stamped in UTC). Saving a visit pins that day's unpinned trials to it, so a visit that was
billed keeps its trials even if the station's time zone changes later; trials run after the
last save still show with their day's visit until it is saved again. A patient has at most one
visit a day, so a trial never has two candidate visits.
"""

import json
from datetime import UTC, date, datetime, time, timedelta

from sensing.words import ENGLISH, N_, ngettext
from station.errors import FieldError, NotFoundError
from station.records.billing import billing_summary, record_check, suggested_minutes
from station.records.numbers import Expected, NumberError, whole_number
from station.records.pain import MAX_PAIN, MIN_PAIN, pain_change
from station.records.psfs import PsfsError, psfs_score, validate_psfs
from station.records.refusals import (
    AT_MOST_CHARACTERS,
    IN_THE_FUTURE,
    MUST_BE_TEXT,
    NOT_A_DATE,
    TOO_LONG,
    UNKNOWN_FIELD,
)
from station.records.text import clean_line, clean_lines
from station.storage.database import Storage, now_iso

MAX_MINUTES = 480
"""Longest loggable visit (8 hours of timed minutes): anything longer is a typing error."""
OLDEST_VISIT = date(2000, 1, 1)
"""No visit is dated earlier: such a date is a typing error (and 0001-01-01 has no UTC day)."""
MAX_HEP_DAYS = 90
"""Most days of home exercise one visit can report (a quarter): more is a typing error."""
THERAPIST_LIMIT = 100
NOTE_LIMIT = 500
SOAP = ("subjective", "assessment", "plan")
"""The daily note's parts the therapist writes (the objective part is the station's record)."""
SOAP_LIMIT = 1000
FIELDS = (
    "visit_date",
    "therapist",
    "nmr_minutes",
    "pain_before",
    "pain_after",
    "psfs",
    "hep_days",
    *SOAP,
    "note",
)
TRIAL_COLUMNS = "id, patient_id, drill, state, reason, started_at, duration_s, result, visit_id"


class VisitFieldError(FieldError, ValueError):
    """A visit field is missing, malformed or out of range; ``field`` names it."""


WHOLE_MINUTES = Expected(
    N_("expected whole minutes, got a true/false value"),
    N_("expected whole minutes, got %(value)r"),
)
PAIN_RATING = Expected(
    N_("expected a whole number from %(low)d to %(high)d, got a true/false value"),
    N_("expected a whole number from %(low)d to %(high)d, got %(value)r"),
)
WHOLE_DAYS = Expected(
    N_("expected a whole number of days, got a true/false value"),
    N_("expected a whole number of days, got %(value)r"),
)


def validate_visit(data: dict, today: date | None = None) -> dict:
    """Cleaned fields: ``visit_date`` (YYYY-MM-DD, not after ``today``) required; ``therapist``
    (up to 100 characters), ``nmr_minutes`` (whole minutes, 0-480; None until logged),
    ``pain_before`` and ``pain_after`` (0-10; None until asked), ``psfs`` (3-5 activities rated
    0-10, ``psfs.validate_psfs``; None until asked), ``hep_days`` (days the home exercises were done
    since the previous visit, 0-90; None until asked), the daily note's ``subjective``,
    ``assessment`` and ``plan`` (up to 1000 characters each) and ``note`` (up to 500 characters)
    optional."""
    if not isinstance(data, dict):
        raise VisitFieldError("body", N_("expected an object with a visit_date"))
    unknown = sorted(set(data) - set(FIELDS))
    if unknown:
        raise VisitFieldError(unknown[0], UNKNOWN_FIELD, known=", ".join(FIELDS))
    day = _text(data, "visit_date").strip()
    if not day:
        raise VisitFieldError("visit_date", N_("the date of the visit is required (YYYY-MM-DD)"))
    try:
        visit_day = date.fromisoformat(day)
    except ValueError:
        raise VisitFieldError("visit_date", NOT_A_DATE, value=day) from None
    if visit_day > (today or date.today()):
        raise VisitFieldError("visit_date", IN_THE_FUTURE, day=visit_day.isoformat())
    if visit_day < OLDEST_VISIT:
        raise VisitFieldError(
            "visit_date",
            N_("%(day)s is before %(year)d: check the year"),
            day=visit_day.isoformat(),
            year=OLDEST_VISIT.year,
        )
    therapist = clean_line(_text(data, "therapist"))
    if len(therapist) > THERAPIST_LIMIT:
        raise VisitFieldError("therapist", AT_MOST_CHARACTERS, limit=THERAPIST_LIMIT)
    note = clean_lines(_text(data, "note"))
    if len(note) > NOTE_LIMIT:
        raise VisitFieldError("note", TOO_LONG, limit=NOTE_LIMIT, length=len(note))
    try:
        psfs = validate_psfs(data.get("psfs"))
    except PsfsError as exc:
        raise VisitFieldError(exc.field, exc.template, **exc.params) from None
    soap = {part: clean_lines(_text(data, part)) or None for part in SOAP}
    for part, text in soap.items():
        if text and len(text) > SOAP_LIMIT:
            raise VisitFieldError(part, TOO_LONG, limit=SOAP_LIMIT, length=len(text))
    return {
        "visit_date": visit_day.isoformat(),
        "therapist": therapist or None,
        "nmr_minutes": _minutes(data.get("nmr_minutes")),
        "pain_before": _pain(data.get("pain_before"), "pain_before"),
        "pain_after": _pain(data.get("pain_after"), "pain_after"),
        "psfs": psfs,
        "hep_days": _hep_days(data.get("hep_days")),
        **soap,
        "note": note or None,
    }


def _text(data: dict, field: str) -> str:
    value = data.get(field)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise VisitFieldError(field, MUST_BE_TEXT)
    return value


def _whole(value, field: str, expected: Expected, **params) -> int | None:
    """A whole number from a form string or a JSON number; None when left empty."""
    try:
        return whole_number(value, expected, **params)
    except NumberError as exc:
        raise VisitFieldError(field, exc.template, **exc.params) from None


def _minutes(value) -> int | None:
    """Whole minutes from a form string or a JSON number; None when left empty."""
    number = _whole(value, "nmr_minutes", WHOLE_MINUTES)
    if number is not None and not 0 <= number <= MAX_MINUTES:
        raise VisitFieldError(
            "nmr_minutes", N_("must be between 0 and %(most)d minutes"), most=MAX_MINUTES
        )
    return number


def _pain(value, field: str) -> int | None:
    """A 0-10 pain rating from a form string or a JSON number; None when left empty."""
    number = _whole(value, field, PAIN_RATING, low=MIN_PAIN, high=MAX_PAIN)
    if number is not None and not MIN_PAIN <= number <= MAX_PAIN:
        raise VisitFieldError(
            field,
            N_("rate pain from %(low)d (none) to %(high)d (worst imaginable)"),
            low=MIN_PAIN,
            high=MAX_PAIN,
        )
    return number


def _hep_days(value) -> int | None:
    """Days of home exercise from a form string or a JSON number; None when left empty."""
    number = _whole(value, "hep_days", WHOLE_DAYS)
    if number is not None and not 0 <= number <= MAX_HEP_DAYS:
        raise VisitFieldError(
            "hep_days", N_("must be between 0 and %(most)d days"), most=MAX_HEP_DAYS
        )
    return number


def day_bounds_utc(day: str) -> tuple[str, str]:
    """The local calendar day ``day`` as [start, end) in the trials' UTC time-stamp format."""
    first = date.fromisoformat(day)
    start, end = (
        datetime.combine(d, time.min).astimezone().astimezone(UTC).isoformat(timespec="seconds")
        for d in (first, first + timedelta(days=1))
    )
    return start, end


def local_day(started_at: str) -> str:
    """The local calendar day (YYYY-MM-DD) of a UTC time stamp."""
    return datetime.fromisoformat(started_at).astimezone().date().isoformat()


class Visits:
    """The ``visits`` table of a station's storage and the trials of each visit."""

    def __init__(self, storage: Storage):
        self.storage = storage

    def create(self, patient_id: int, data: dict, today: date | None = None) -> dict:
        """Validate and store a visit of ``patient_id``; pins that day's trials to it."""
        self.storage.get_patient(patient_id)
        fields = _stored(validate_visit(data, today))
        now = now_iso()
        row = {**fields, "patient_id": patient_id, "created_at": now, "updated_at": now}

        def insert(db):
            self._check_one_a_day(db, patient_id, fields["visit_date"], None)
            self._check_hep_days(db, patient_id, fields, None)
            visit_id = db["visits"].insert(row).last_pk
            self._pin_trials(db, visit_id, patient_id, fields["visit_date"])
            return visit_id

        return self.get(self.storage.submit(insert).result())

    def update(self, visit_id: int, data: dict, today: date | None = None) -> dict:
        """Replace a visit's fields with ``data``, validated whole like a new visit; a changed
        date releases the trials pinned to the old day and pins the new day's."""
        visit = self.get(visit_id)
        fields = _stored(validate_visit(data, today))
        patient_id = visit["patient_id"]

        def replace(db):
            self._check_one_a_day(db, patient_id, fields["visit_date"], visit_id)
            self._check_hep_days(db, patient_id, fields, visit_id)
            db["visits"].update(visit_id, {**fields, "updated_at": now_iso()})
            if fields["visit_date"] != visit["visit_date"]:
                db.execute("UPDATE trials SET visit_id = NULL WHERE visit_id = ?", [visit_id])
            self._pin_trials(db, visit_id, patient_id, fields["visit_date"])

        self.storage.submit(replace).result()
        return self.get(visit_id)

    @staticmethod
    def _check_one_a_day(db, patient_id: int, day: str, visit_id: int | None) -> None:
        clash = db.execute(
            "SELECT id FROM visits WHERE patient_id = ? AND visit_date = ? AND id IS NOT ?",
            [patient_id, day, visit_id],
        ).fetchone()
        if clash:
            raise VisitFieldError(
                "visit_date",
                N_("this patient already has a visit on %(day)s (visit %(visit)d)"),
                day=day,
                visit=clash[0],
            )

    @staticmethod
    def _check_hep_days(db, patient_id: int, fields: dict, visit_id: int | None) -> None:
        """Days of home exercise only once a program was given, and no more than the days
        since the previous visit."""
        done = fields["hep_days"]
        if done is None:
            return
        began = db.execute(
            "SELECT min(prescribed_on) FROM home_exercises WHERE patient_id = ?", [patient_id]
        ).fetchone()[0]
        if began is None or began >= fields["visit_date"]:
            raise VisitFieldError(
                "hep_days", N_("no home exercise program was given before this visit")
            )
        previous = db.execute(
            "SELECT max(visit_date) FROM visits WHERE patient_id = ? AND visit_date < ? "
            "AND id IS NOT ?",
            [patient_id, fields["visit_date"], visit_id],
        ).fetchone()[0]
        if previous is not None:
            days = (date.fromisoformat(fields["visit_date"]) - date.fromisoformat(previous)).days
            if done > days:
                raise VisitFieldError(
                    "hep_days",
                    ngettext(
                        "%(done)d days, but the previous visit (%(day)s) was %(count)d day before",
                        "%(done)d days, but the previous visit (%(day)s) was %(count)d days before",
                    ),
                    done=done,
                    day=previous,
                    count=days,
                )

    @staticmethod
    def _pin_trials(db, visit_id: int, patient_id: int, day: str) -> None:
        start, end = day_bounds_utc(day)
        db.execute(
            "UPDATE trials SET visit_id = ? WHERE patient_id = ? AND visit_id IS NULL "
            "AND started_at >= ? AND started_at < ?",
            [visit_id, patient_id, start, end],
        )

    def get(self, visit_id: int) -> dict:
        """One visit with its billing summary (None until minutes are logged)."""
        rows = self.storage.query("SELECT * FROM visits WHERE id = ?", [visit_id])
        if not rows:
            raise NotFoundError(f"no visit with id {visit_id}")
        return _with_billing(rows[0])

    def for_patient(self, patient_id: int) -> list[dict]:
        """A patient's visits, newest first, each with its billing summary."""
        self.storage.get_patient(patient_id)
        rows = self.storage.query(
            "SELECT * FROM visits WHERE patient_id = ? ORDER BY visit_date DESC, id DESC",
            [patient_id],
        )
        return [_with_billing(row) for row in rows]

    def on_day(self, patient_id: int, day: str) -> dict | None:
        """The patient's visit on ``day`` (YYYY-MM-DD), or None."""
        rows = self.storage.query(
            "SELECT * FROM visits WHERE patient_id = ? AND visit_date = ?", [patient_id, day]
        )
        return _with_billing(rows[0]) if rows else None

    def activities_asked_before(self, visit: dict) -> list[str]:
        """The activities of the patient's latest PSFS before ``visit``'s day (rated again
        at re-evaluation); [] when none was asked."""
        rows = self.storage.query(
            "SELECT psfs FROM visits WHERE patient_id = ? AND visit_date < ? AND psfs IS NOT "
            "NULL ORDER BY visit_date DESC, id DESC LIMIT 1",
            [visit["patient_id"], visit["visit_date"]],
        )
        return [item["activity"] for item in json.loads(rows[0]["psfs"])] if rows else []

    def trials(self, visit_id: int) -> list[dict]:
        """The visit's trials, oldest first, with decoded results (samples excluded)."""
        visit = self.get(visit_id)
        start, end = day_bounds_utc(visit["visit_date"])
        rows = self.storage.query(
            f"SELECT {TRIAL_COLUMNS} FROM trials WHERE visit_id = ? OR (visit_id IS NULL "
            "AND patient_id = ? AND started_at >= ? AND started_at < ?) "
            "ORDER BY started_at, rowid",
            [visit_id, visit["patient_id"], start, end],
        )
        return [_decoded(row) for row in rows]

    def suggestion(self, visit_id: int, minutes: int | None = None, translations=ENGLISH) -> dict:
        """Suggested timed minutes from the visit's trials (see ``billing.suggested_minutes``)
        and a ``warning`` when ``minutes`` (by default those logged) bill more units than
        that record supports (``billing.record_check``, in the language of ``translations``;
        None when they do not)."""
        suggestion = suggested_minutes([t["duration_s"] or 0.0 for t in self.trials(visit_id)])
        if minutes is None:
            minutes = self.get(visit_id)["nmr_minutes"]
        warning = None if minutes is None else record_check(minutes, suggestion, translations)
        return {**suggestion, "warning": warning}


def _stored(fields: dict) -> dict:
    """Validated fields as the row holds them: the PSFS as JSON text."""
    psfs = fields["psfs"]
    return {**fields, "psfs": None if psfs is None else json.dumps(psfs)}


def _with_billing(row: dict) -> dict:
    """A visit row with its billing summary, the change in pain during it (None until the
    minutes, or both ratings, are in) and its PSFS decoded with its score."""
    minutes = row["nmr_minutes"]
    minutes = None if minutes is None else int(minutes)
    billing = None if minutes is None else billing_summary(minutes)
    pain = pain_change(row["pain_before"], row["pain_after"])
    psfs = json.loads(row["psfs"]) if row["psfs"] else None
    return {
        **row,
        "nmr_minutes": minutes,
        "billing": billing,
        "pain": pain,
        "psfs": psfs,
        "psfs_score": psfs_score(psfs),
    }


def _decoded(row: dict) -> dict:
    return {**row, "result": json.loads(row["result"]) if row["result"] else None}
