"""A patient's measurable goals: a measure, its baseline, a target and a date, and how far
the patient has come toward each.

A goal's measure is a headline measure of a drill (``drill``, ``metric`` and, for drills
with parts such as mCTSIB, the ``condition``) or a patient-reported one (``metric`` ``pain``,
pain on arrival at a visit, or ``psfs``, the PSFS score; ``drill`` None). The baseline is the
patient's latest result of that measure when the goal is set (after an evaluation, the
evaluation's), kept with its day (``baseline_date``), unless the therapist gives one.
Progress is measured from the latest result: the share of the way from baseline to target,
and the goal is met once a result reaches the target (the goal is kept, marked met).
"""

from datetime import date

from drills.catalog import DRILLS
from sensing.words import ENGLISH, N_
from station.errors import FieldError, NotFoundError
from station.records.refusals import NOT_A_DATE, NOT_A_NUMBER, UNKNOWN_FIELD
from station.records.text import short_note
from station.results.measures import drill_title, lower_is_better, measure_doc, tracked
from station.storage.database import Storage, now_iso

PATIENT_REPORTED = {
    "pain": (N_("Pain on arrival"), "/10", "lower"),
    "psfs": (N_("Patient-Specific Functional Scale"), "/10", "higher"),
}
"""Patient-reported measures a goal can take: (label, unit, which way is better)."""
NOTE_LIMIT = 200
GOAL_WORDS = {
    True: N_(
        "%(measure)s%(condition)s: from %(baseline).3g (%(since)s) to %(target).3g%(unit)s by "
        "%(due)s; %(now)s: %(state)s"
    ),
    False: N_(
        "%(measure)s%(condition)s: from %(baseline).3g to %(target).3g%(unit)s by %(due)s; "
        "%(now)s: %(state)s"
    ),
}
"""A goal's progress in words, by whether its baseline has the day it was measured."""
NOT_BETTER = {
    "higher": N_("%(target)g is not better than the baseline %(baseline)g (higher is better)"),
    "lower": N_("%(target)g is not better than the baseline %(baseline)g (lower is better)"),
}
"""A target on the wrong side of its baseline, by which way the measure is better."""


class GoalFieldError(FieldError, ValueError):
    """A goal field is missing or wrong; ``field`` names it."""


def describe(drill: str | None, metric: str, translations=ENGLISH) -> dict:
    """``{"label", "unit", "better"}`` of a goal's measure, its label in the language of
    ``translations``; GoalFieldError when unknown."""
    if drill is None:
        if metric not in PATIENT_REPORTED:
            known = ", ".join(PATIENT_REPORTED)
            raise GoalFieldError(
                "metric",
                N_("%(metric)r is no patient-reported measure (%(known)s)"),
                metric=metric,
                known=known,
            )
        label, unit, better = PATIENT_REPORTED[metric]
        return {"label": translations.gettext(label), "unit": unit, "better": better}
    if drill not in DRILLS:
        raise GoalFieldError("drill", N_("no drill called %(drill)r"), drill=drill)
    if metric not in tracked(drill):
        raise GoalFieldError(
            "metric",
            N_("%(drill)s gives no headline measure %(metric)r"),
            drill=lambda words: drill_title(drill, words),
            metric=metric,
        )
    label, unit, _ = measure_doc(metric, translations)
    return {
        "label": f"{drill_title(drill, translations)}: {label[0].lower()}{label[1:]}",
        "unit": unit,
        "better": "lower" if lower_is_better(drill, metric) else "higher",
    }


def latest_values(charts: list[dict], visits: list[dict]) -> dict:
    """``(drill, metric, condition) -> (value, date)``: the newest good result of every
    measure a goal can follow, from ``patient_progress`` charts and the patient's visits."""
    out = {}
    for chart in charts:
        for line in chart["lines"]:
            good = [p for p in line["points"] if p["good"]]
            if good:
                key = (chart["drill"], chart["metric"], line["condition"])
                out[key] = (good[-1]["value"], good[-1]["date"])
    dated = sorted(visits, key=lambda v: (v["visit_date"], v["id"]))
    for metric, field in (("pain", "pain_before"), ("psfs", "psfs_score")):
        rated = [v for v in dated if v[field] is not None]
        if rated:
            out[None, metric, None] = (float(rated[-1][field]), rated[-1]["visit_date"])
    return out


def _number(data: dict, field: str, required: bool) -> float | None:
    value = data.get(field)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise GoalFieldError(field, N_("a number is required"))
        return None
    if isinstance(value, bool):
        raise GoalFieldError(field, N_("expected a number, got a true/false value"))
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise GoalFieldError(field, NOT_A_NUMBER, value=value) from None
    if number != number or number in (float("inf"), float("-inf")):
        raise GoalFieldError(field, N_("expected a finite number, got %(value)r"), value=value)
    return number


class Goals:
    """The ``goals`` table of a station's storage."""

    def __init__(self, storage: Storage):
        self.storage = storage

    def create(self, patient_id: int, data: dict, latest: dict, today: date | None = None) -> dict:
        """Validate and store a goal of ``patient_id``; ``latest`` is ``latest_values`` of
        the patient, which gives the baseline when ``data`` has none."""
        self.storage.get_patient(patient_id)
        if not isinstance(data, dict):
            raise GoalFieldError("body", N_("expected an object with metric, target and due_date"))
        known = {"drill", "metric", "condition", "baseline", "target", "due_date", "note"}
        unknown = sorted(set(data) - known)
        if unknown:
            raise GoalFieldError(unknown[0], UNKNOWN_FIELD, known=", ".join(sorted(known)))
        drill = data.get("drill") or None
        metric = data.get("metric")
        condition = data.get("condition") or None
        if not isinstance(metric, str) or not metric:
            raise GoalFieldError("metric", N_("choose the measure the goal is about"))
        if (drill is not None and not isinstance(drill, str)) or (
            condition is not None and not isinstance(condition, str)
        ):
            raise GoalFieldError("drill", N_("drill and condition must be text"))
        about = describe(drill, metric)
        if drill is None:
            condition = None  # a patient-reported measure has no drill condition
        target = _number(data, "target", required=True)
        baseline = _number(data, "baseline", required=False)
        baseline_date = None
        if baseline is None:
            found = latest.get((drill, metric, condition))
            if found is None:
                raise GoalFieldError(
                    "baseline",
                    N_("no result of %(measure)s yet: run it first or enter a baseline"),
                    measure=lambda words: describe(drill, metric, words)["label"].lower(),
                )
            baseline, baseline_date = round(found[0], 3), found[1]
        if (target < baseline) if about["better"] == "higher" else (target > baseline):
            raise GoalFieldError(
                "target",
                NOT_BETTER[about["better"]],
                target=target,
                baseline=baseline,
            )
        due = data.get("due_date")
        try:
            due_day = date.fromisoformat(due) if isinstance(due, str) else None
        except ValueError:
            due_day = None
        if due_day is None:
            raise GoalFieldError("due_date", NOT_A_DATE, value=due)
        if due_day < (today or date.today()):
            raise GoalFieldError("due_date", N_("%(day)s is in the past"), day=due_day.isoformat())
        note = short_note(data.get("note"), NOTE_LIMIT, GoalFieldError)
        row = {
            "patient_id": patient_id,
            "drill": drill,
            "metric": metric,
            "condition": condition,
            "baseline": baseline,
            "baseline_date": baseline_date,
            "target": target,
            "due_date": due_day.isoformat(),
            "note": note,
            "created_at": now_iso(),
        }
        goal_id = self.storage.submit(lambda db: db["goals"].insert(row).last_pk).result()
        return self.get(goal_id)

    def get(self, goal_id: int) -> dict:
        rows = self.storage.query("SELECT * FROM goals WHERE id = ?", [goal_id])
        if not rows:
            raise NotFoundError(f"no goal with id {goal_id}")
        return rows[0]

    def for_patient(self, patient_id: int) -> list[dict]:
        """The patient's goals not withdrawn, soonest due first."""
        return self.storage.query(
            "SELECT * FROM goals WHERE patient_id = ? AND withdrawn_at IS NULL "
            "ORDER BY due_date, id",
            [patient_id],
        )

    def withdraw(self, goal_id: int) -> dict:
        """Set a goal aside (set by mistake, or no longer pursued): kept in the record, no
        longer shown; returns it as it now is."""
        self.get(goal_id)
        self.storage.submit(
            lambda db: db["goals"].update(goal_id, {"withdrawn_at": now_iso()})
        ).result()
        return self.get(goal_id)


def goal_progress(
    goals: list[dict],
    latest: dict,
    today: date | None = None,
    translations=ENGLISH,
    conditions: dict | None = None,
) -> list[dict]:
    """Each goal with its measure described, the ``current`` value and its ``current_date``
    (None before any result), ``progress_pct`` from baseline to target (0-100, None before
    any result), ``met``, ``overdue`` (not met by its date) and a sentence in ``words``, in
    the language of ``translations``. A goal's condition is stored in English words;
    ``conditions`` maps those to the reader's language (one not in it is shown as stored)."""
    _ = translations.gettext
    today = today or date.today()
    conditions = conditions or {}
    out = []
    for goal in goals:
        about = _described(goal, translations)
        found = latest.get((goal["drill"], goal["metric"], goal["condition"]))
        current, current_date = found if found else (None, None)
        baseline, target = goal["baseline"], goal["target"]
        span = target - baseline
        pct = None
        met = False
        if current is not None:
            met = current <= target if about["better"] == "lower" else current >= target
            pct = 100.0 if span == 0 else max(0.0, min(100.0, 100 * (current - baseline) / span))
        overdue = not met and date.fromisoformat(goal["due_date"]) < today
        unit = f" {about['unit']}" if about["unit"] and about["unit"] != "/10" else about["unit"]
        condition = goal["condition"]
        condition = f" ({conditions.get(condition, condition)})" if condition else ""
        now = (
            _("no result yet")
            if current is None
            else _("now %(value).3g%(unit)s (%(day)s)")
            % {"value": current, "unit": unit, "day": date.fromisoformat(current_date)}
        )
        if met:
            state = _("met")
        elif overdue:
            state = _("not met by its date")
        elif pct is None:
            state = _("to be measured")
        else:
            state = _("%(percent).0f%% of the way") % {"percent": pct}
        out.append(
            {
                **goal,
                **about,
                "current": current,
                "current_date": current_date,
                "progress_pct": None if pct is None else round(pct),
                "met": met,
                "overdue": overdue,
                "words": _(GOAL_WORDS[bool(goal.get("baseline_date"))])
                % {
                    "measure": about["label"],
                    "condition": condition,
                    "baseline": baseline,
                    "since": _day(goal.get("baseline_date")),
                    "target": target,
                    "unit": unit,
                    "due": date.fromisoformat(goal["due_date"]),
                    "now": now,
                    "state": state,
                },
            }
        )
    return out


def _described(goal: dict, translations) -> dict:
    """``describe`` of a stored goal; for a measure this version does not follow (set on a
    newer station and brought by the clinic hub, or a measure a drill no longer follows), its
    key under the drill's name, and the way the goal itself says is better (its target lies
    past its baseline), so the list still shows every goal."""
    try:
        return describe(goal["drill"], goal["metric"], translations)
    except GoalFieldError:
        title = drill_title(goal["drill"], translations) if goal["drill"] else ""
        return {
            "label": f"{title}: {goal['metric']}" if title else goal["metric"],
            "unit": "",
            "better": "lower" if goal["target"] < goal["baseline"] else "higher",
        }


def _day(iso: str | None) -> date | None:
    """An ISO day as a ``date`` (the catalog writes it the reader's way); None without one."""
    return date.fromisoformat(iso[:10]) if iso else None
