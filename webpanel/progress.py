"""Result pages beyond one trial: a patient's progress, their visits with the timed minutes
and CPT 97112 units, the printable visit report and the metrics CSV; plus what the trial page
shows of a result (its scored parts and the comparison with published bands), as template
helpers, so the trial page's route passes only the trial."""

from datetime import date
from decimal import Decimal

from babel.lists import format_list
from flask import Blueprint, Response, current_app, redirect, render_template, request, url_for
from flask_babel import format_decimal, get_locale, gettext
from flask_babel import lazy_gettext as _l
from flask_babel import pgettext as flask_pgettext
from flask_login import current_user
from werkzeug.exceptions import NotFound

from station.errors import NotFoundError, error_words
from station.i18n.catalog import pgettext
from station.records.billing import billing_summary
from station.records.goals import PATIENT_REPORTED, GoalFieldError, goal_progress, latest_values
from station.records.home_program import adherence
from station.records.pain import pain_course
from station.records.patients import age_years
from station.records.psfs import MAX_ACTIVITIES, psfs_course
from station.records.visits import FIELDS, SOAP_LIMIT, VisitFieldError, Visits, local_day
from station.results.evaluation import evaluation_report
from station.results.fall_risk import SCREEN_DRILLS, fall_risk_screens
from station.results.measures import (
    SWAY_FIRST,
    drill_title,
    headline,
    measure_doc,
    quality_label,
    scored_parts,
    tracked,
)
from station.results.metrics_export import metrics_csv, safe_name
from station.results.norms import compare_with_norms
from station.results.plan_of_care import suggest_plan
from station.results.progress import patient_progress
from station.results.quality import flag_message
from station.results.service import END_REASONS, STOPPED_FOR_PAIN
from webpanel.audit_trail import audit, changes, viewed
from webpanel.language import page_words, written_day

results = Blueprint("results", __name__)

HISTORY_PAGE_TRIALS = 100
"""Trials per page of the progress page (history and trends): bench/history_pages.py times it
with 10,000 stored trials."""
GOAL_LOOKBACK_TRIALS = 100
"""A goal's latest result is looked for among this many newest trials of its drill."""
RESULT_WORDS = {
    "completed": pgettext("result", "completed"),
    "aborted": pgettext("result", "aborted"),
    "better": pgettext("result", "better"),
    "worse": pgettext("result", "worse"),
    "same": pgettext("result", "same"),
    "lower": pgettext("result", "lower"),
    "higher": pgettext("result", "higher"),
    "below": pgettext("result", "below"),
    "within": pgettext("result", "within"),
    "above": pgettext("result", "above"),
}
"""The words of a result's stored values: a trial's state, a change's direction, which way is
better, where a value lies against its published band."""
SOAP_PARTS = (
    (
        "subjective",
        _l("S: subjective"),
        _l(
            "What the patient reports: how balance has been, falls, "
            "near-falls, the home exercises, what hurts"
        ),
    ),
    (
        "assessment",
        _l("A: assessment"),
        _l(
            "Your judgement: progress toward the goals, what limits "
            "the patient, why the treatment is needed"
        ),
    ),
    (
        "plan",
        _l("P: plan"),
        _l(
            "What comes next: drills and their settings, home exercises, how "
            "often, when to re-evaluate"
        ),
    ),
)
"""The daily note's parts the therapist writes, with their titles and what goes in them."""
VISIT_VALUES_LOGGED = ("visit_date", "therapist", "nmr_minutes", "pain_before", "pain_after")
"""Visit fields whose values the audit trail gives (what is billed, when and by whom)."""


def station():
    return current_app.extensions["station"]


def visits() -> Visits:
    """The visit records of the station's database."""
    return station().records.visits


def audit_visit_created(visit: dict) -> None:
    """Audit a new visit with its date, therapist and billed minutes."""
    shown = {f: visit[f] for f in VISIT_VALUES_LOGGED if visit[f] is not None}
    detail = ", ".join([f"patient {visit['patient_id']}"] + [f"{k} {v}" for k, v in shown.items()])
    audit("visit-created", f"visit {visit['id']}", detail)


def audit_visit_changed(before: dict, after: dict) -> None:
    """Audit a visit's edit: old and new date, therapist and minutes; the note by name."""
    audit(
        "visit-changed", f"visit {after['id']}", changes(before, after, FIELDS, VISIT_VALUES_LOGGED)
    )


@results.errorhandler(NotFoundError)
def _not_found(exc):
    """An unknown patient or visit id in a page URL is a 404 saying which."""
    return NotFound(str(exc))


@results.app_template_filter("measure")
def measure(value, key: str) -> str:
    """A measure as a person reads it: 3 significant digits and the unit; yes/no; a dash."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return gettext("yes") if value else gettext("no")
    unit = measure_doc(key)[1]  # units are symbols, the same in every language
    shown = number(value, "%.3g") if isinstance(value, float) else value
    return f"{shown} {unit}".strip()


@results.app_template_filter("number")
def number(value, spec: str = "%g") -> str:
    """``value`` printed as ``spec`` (``%.3g``, ``%+.3g``, ``%.1f``...) says, in the page's
    locale (a decimal comma in Spanish); never grouped, never in exponent form."""
    exact = Decimal(spec % value)
    if not exact.is_finite():
        return spec % value
    decimals = len(format(exact, "f").partition(".")[2])
    pattern = "#0" + ("." + "0" * decimals if decimals else "")
    if "+" in spec:
        pattern = f"+{pattern};-{pattern}"
    return format_decimal(exact, pattern)


@results.app_template_filter("and_list")
def and_list(items) -> str:
    """Words joined as the page's language lists them ("height and weight", "altura y peso")."""
    return format_list(list(items), locale=get_locale())


@results.app_template_filter("day")
def day(iso: str | None) -> str:
    """An ISO day (``2026-01-05``) as the page's language writes it; empty without one."""
    return written_day(date.fromisoformat(iso[:10])) if iso else ""


@results.app_template_global()
def trial_parts(trial: dict) -> list[dict]:
    """The trial's scored parts (``station.results.measures.scored_parts``) for the trial page,
    with their quality in words, the measure keys shown ``first`` (for a standing-still
    recording the main sway measures, else all) and the ``more`` shown on request."""
    words = page_words()
    out = []
    for part in scored_parts(trial, words):
        keys = list(part["measures"])
        first = keys
        if "area_ellipse95_cm2" in part["measures"]:
            first = [k for k in SWAY_FIRST if k in part["measures"]]
        more = [k for k in keys if k not in first]
        out.append(
            {
                **part,
                "quality_words": quality_label(part["quality"], words),
                "first": first,
                "more": more,
            }
        )
    return out


@results.app_template_filter("said")
def said(value: str) -> str:
    """A stored value of a result (``RESULT_WORDS``) in the page's language; others as they
    are."""
    return flask_pgettext(*RESULT_WORDS[value]) if value in RESULT_WORDS else value


@results.app_template_global()
def end_reasons() -> dict:
    """The station's own reasons for a trial's end, each in the page's language: the live
    view's script says the running trial's in the reader's words."""
    return {reason: gettext(reason) for reason in END_REASONS}


@results.app_template_filter("reason_words")
def reason_words(reason: str) -> str:
    """Why a trial ended, in the page's language: the station's own reasons are catalog
    messages; where it hurt follows a stop for pain as the therapist gave it; a reason with
    details of its own (a sensor's error) as stored."""
    stopped, colon, where = reason.partition(": ")
    if stopped == STOPPED_FOR_PAIN and colon:
        return gettext("stopped for pain: %(where)s", where=where)
    return gettext(reason)


@results.app_template_filter("billing_words")
def billing_words(billing: dict) -> str:
    """A visit's billing explained in the page's language."""
    return billing_summary(billing["minutes"], page_words())["explanation"]


@results.app_template_filter("flag_words")
def flag_words(flag: dict) -> str:
    """A data-quality flag's message in the page's language (the stored English for a record
    older than its words)."""
    return flag_message(flag, page_words())


@results.app_template_global()
def trial_norms(trial: dict, patient: dict) -> dict:
    """The trial against the published bands (``station.results.norms``), for the trial page."""
    return compare_with_norms(trial, patient, translations=page_words())


@results.app_template_global("drill_title")
def drill_name(drill: str) -> str:
    """The drill's name in the page's language."""
    return drill_title(drill, page_words())


def titled(trial: dict) -> dict:
    """A trial with its drill's name and headline measures in the page's language."""
    words = page_words()
    return {
        **trial,
        "title": drill_title(trial["drill"], words),
        "headline": headline(trial, words),
    }


@results.app_template_global()
def summary_keys(trial: dict, parts: list[dict]) -> list[str]:
    """The columns of the summary table of a trial with several parts (mCTSIB conditions):
    whether each was passed, its time held and the drill's headline measures that any has."""
    keys = ("passed", "attempts", "time_held_s", *tracked(trial["drill"]))
    return [k for k in keys if any(k in p["measures"] for p in parts)]


@results.app_template_global()
def metric_doc(key: str) -> tuple[str, str, str]:
    """(label, unit, meaning) of a measure key, in the page's language."""
    return measure_doc(key, page_words())


def goal_trials(patient_id: int, drills: tuple[str, ...]) -> list[dict]:
    """The trials goals on ``drills`` are measured on: their newest ``GOAL_LOOKBACK_TRIALS``
    (bounded, whatever the history's length)."""
    if not drills:
        return []
    return station().results.trial_history(patient_id, limit=GOAL_LOOKBACK_TRIALS, drills=drills)


def patient_goals(patient_id: int, visit_list: list[dict]) -> list[dict]:
    """The patient's goals with their progress (``goal_progress``) in the page's language."""
    goals = station().records.goals.for_patient(patient_id)
    trials = goal_trials(patient_id, tuple(sorted({g["drill"] for g in goals if g["drill"]})))
    return goals_in_words(goals, trials, visit_list, date.today())


def goals_in_words(goals: list[dict], trials: list[dict], visit_list: list[dict], on: date):
    """``goal_progress`` of ``goals`` on the day ``on``, measured on ``trials`` and
    ``visit_list``, in the page's language: goals are stored in the conditions' English
    words, shown in the reader's."""
    charts = patient_progress(trials)
    words = page_words()
    shown = patient_progress(trials, translations=words)
    conditions = {
        line["condition"]: said["condition"]
        for chart, chart_said in zip(charts, shown, strict=True)
        for line, said in zip(chart["lines"], chart_said["lines"], strict=True)
    }
    latest = latest_values(charts, visit_list)
    return goal_progress(goals, latest, on, translations=words, conditions=conditions)


@results.post("/patients/<int:patient_id>/goals")
def create_goal(patient_id: int):
    """Set a goal from the progress page's form; a bad field re-shows the page saying why."""
    drill, metric, condition = (request.form.get("measure", "") + "||").split("|")[:3]
    data = {
        "drill": drill or None,
        "metric": metric,
        "condition": condition or None,
        "baseline": request.form.get("baseline", ""),
        "target": request.form.get("target", ""),
        "due_date": request.form.get("due_date", ""),
        "note": request.form.get("note", ""),
    }
    store = station().records
    visit_list = visits().for_patient(patient_id)
    latest = latest_values(
        patient_progress(goal_trials(patient_id, (drill,) if drill else ())), visit_list
    )
    try:
        goal = store.goals.create(patient_id, data, latest)
    except GoalFieldError as exc:
        return _progress_page(
            patient_id, goal_form=request.form, goal_error=error_words(exc, page_words())
        ), 400
    audit("goal-set", f"patient {patient_id}", f"goal {goal['id']}: {goal['metric']}")
    return redirect(url_for("results.progress", patient_id=patient_id) + "#goals", code=303)


@results.post("/goals/<int:goal_id>/withdraw")
def withdraw_goal(goal_id: int):
    """Set a goal aside (kept in the record, no longer shown)."""
    goal = station().records.goals.withdraw(goal_id)
    audit("goal-withdrawn", f"patient {goal['patient_id']}", f"goal {goal_id}: {goal['metric']}")
    return redirect(url_for("results.progress", patient_id=goal["patient_id"]) + "#goals", 303)


@results.get("/patients/<int:patient_id>/progress")
def progress(patient_id: int):
    """History across visits and trend charts, with each change against its MDC, and the
    patient's goals.

    A long history comes ``HISTORY_PAGE_TRIALS`` trials a page (``?page=``, 1 the newest), the
    trends of the same trials, so the page takes the same time with 100 or 10,000 trials."""
    chosen = request.args.get("measure")  # "Set a goal" from a result: the measure picked
    return _progress_page(
        patient_id, goal_form={"measure": chosen} if chosen else {}, goal_error=""
    )


def _progress_page(patient_id: int, goal_form, goal_error: str) -> str:
    svc = station()
    patient = svc.records.get_patient(patient_id)
    pages = max(1, -(-svc.results.count_trials(patient_id) // HISTORY_PAGE_TRIALS))
    page = min(max(request.args.get("page", 1, type=int), 1), pages)
    viewed("patient", patient_id, f"progress, page {page}")
    # the page's trials, and on later pages the oldest of the page before: its day ends this one
    newer = int(page > 1)
    trials = svc.results.trial_history(
        patient_id,
        limit=HISTORY_PAGE_TRIALS + newer,
        skip=(page - 1) * HISTORY_PAGE_TRIALS - newer,
    )
    until = local_day(trials.pop()["started_at"]) if newer else None
    since = local_day(trials[0]["started_at"]) if trials and page < pages else None
    visit_list = visits().for_patient(patient_id)
    by_visit = {v["id"]: [] for v in visit_list}
    by_day = {v["visit_date"]: v["id"] for v in visit_list}
    unvisited = []
    for trial in reversed(trials):
        entry = titled(trial)
        visit_id = trial["visit_id"] or by_day.get(local_day(trial["started_at"]))
        by_visit.get(visit_id, unvisited).append(entry)
    shown = [
        v
        for v in visit_list
        if by_visit[v["id"]]
        or (
            (since is None or v["visit_date"] >= since)
            and (until is None or v["visit_date"] < until)
        )
    ]
    charts = patient_progress(trials, patient=patient, translations=page_words())
    screened = svc.results.trial_history(
        patient_id, limit=GOAL_LOOKBACK_TRIALS, drills=SCREEN_DRILLS
    )
    return render_template(
        "progress.html",
        patient=patient,
        screens=fall_risk_screens(screened, patient, translations=page_words()),
        age=age_years(patient.get("birth_date")),
        charts=charts,
        goals=patient_goals(patient_id, visit_list),
        goal_options=_goal_options(patient_progress(trials, patient=patient), charts),
        goal_form=goal_form,
        goal_error=goal_error,
        today=date.today().isoformat(),
        visits=visit_list,
        pain=pain_course(visit_list),
        psfs=psfs_course(visit_list),
        home_exercises=svc.records.home_programs.current(patient_id),
        adherence=adherence(visit_list, svc.records.home_programs.began_on(patient_id)),
        shown_visits=shown,
        by_visit=by_visit,
        unvisited=unvisited,
        page=page,
        pages=pages,
    )


def _goal_options(charts: list[dict], shown: list[dict]) -> list[tuple[str, str]]:
    """(value, label) of each measure a goal can follow: the patient-reported ones, then
    every drill measure and condition the patient has results for. ``charts`` are the
    patient's progress in the words goals are stored under (English, whatever the reader's
    language), ``shown`` the same charts in the page's language, for the labels."""
    options = [(f"|{key}|", gettext(label)) for key, (label, _, _) in PATIENT_REPORTED.items()]
    for chart, said in zip(charts, shown, strict=True):
        for line, said_line in zip(chart["lines"], said["lines"], strict=True):
            condition = line["condition"] or ""
            label = f"{said['drill_title']}: {said['label'].lower()}"
            if condition:
                label += f" ({said_line['condition']})"
            options.append((f"{chart['drill']}|{chart['metric']}|{condition}", label))
    return options


@results.get("/patients/<int:patient_id>/visits")
def patient_visits(patient_id: int):
    """A patient's visits with their minutes and units, and the form for a new visit."""
    form = {"visit_date": date.today().isoformat(), "therapist": current_user.username}
    page = _visits_page(patient_id, form, errors={})
    viewed("patient", patient_id, "visits")
    return page


def _visits_page(patient_id: int, form: dict, errors: dict, status: int = 200):
    page = render_template(
        "visits.html",
        patient=station().records.get_patient(patient_id),
        visits=visits().for_patient(patient_id),
        form=form,
        errors=errors,
        today=date.today().isoformat(),
    )
    return page, status


def _visit_form() -> dict:
    """The visit form's fields; the PSFS from its rows (``psfs_activity_N``,
    ``psfs_score_N``), those left empty dropped. Activities offered again from an earlier
    visit but not rated at all mean the scale was not asked this time (most visits)."""
    form = {field: request.form.get(field, "") for field in FIELDS if field != "psfs"}
    rows = (
        {"activity": request.form.get(f"psfs_activity_{n}", ""), "score": score}
        for n in range(1, MAX_ACTIVITIES + 1)
        for score in [request.form.get(f"psfs_score_{n}", "")]
    )
    kept = [r for r in rows if r["activity"].strip() or r["score"].strip()]
    form["psfs"] = kept if any(r["score"].strip() for r in kept) else []
    return form


@results.post("/patients/<int:patient_id>/visits")
def create_visit(patient_id: int):
    """Open a visit from the form; a bad field re-shows the form with the error beside it."""
    form = _visit_form()
    try:
        visit = visits().create(patient_id, form)
    except VisitFieldError as exc:
        return _visits_page(patient_id, form, {exc.field: error_words(exc, page_words())}, 400)
    audit_visit_created(visit)
    return redirect(url_for("results.visit", visit_id=visit["id"]), code=303)


@results.get("/visits/<int:visit_id>")
def visit(visit_id: int):
    """One visit: its details, trials, suggested and billed minutes and the units."""
    record = visits().get(visit_id)
    form = {f: "" if record[f] is None else str(record[f]) for f in FIELDS if f != "psfs"}
    # the activities named before are offered again, to be rated anew (re-evaluation)
    form["psfs"] = record["psfs"] or [
        {"activity": a, "score": ""} for a in visits().activities_asked_before(record)
    ]
    viewed("visit", visit_id, f"patient {record['patient_id']}")
    return _visit_page(record, form, errors={})


def _visit_page(record: dict, form: dict, errors: dict, status: int = 200):
    store = visits()
    trials = [titled(t) for t in store.trials(record["id"])]
    page = render_template(
        "visit.html",
        visit=record,
        patient=station().records.get_patient(record["patient_id"]),
        trials=trials,
        suggestion=store.suggestion(record["id"], translations=page_words()),
        form=form,
        errors=errors,
        psfs_rows=MAX_ACTIVITIES,
        soap_parts=SOAP_PARTS,
        soap_limit=SOAP_LIMIT,
        psfs_error=" ".join(v for k, v in errors.items() if k.startswith("psfs")),
        today=date.today().isoformat(),
    )
    return page, status


@results.post("/visits/<int:visit_id>")
def update_visit(visit_id: int):
    """Save the visit's date, therapist, billed minutes and note."""
    record = visits().get(visit_id)
    form = _visit_form()
    try:
        changed = visits().update(visit_id, form)
    except VisitFieldError as exc:
        return _visit_page(record, form, {exc.field: error_words(exc, page_words())}, 400)
    audit_visit_changed(record, changed)
    return redirect(url_for("results.visit", visit_id=visit_id), code=303)


@results.get("/visits/<int:visit_id>/report")
def visit_report(visit_id: int):
    """The printable visit report (the browser's print saves it as PDF)."""
    note = daily_note(visit_id)
    viewed("visit", visit_id, f"printable report, patient {note['patient']['id']}")
    return render_template("report.html", **note)


@results.get("/visits/<int:visit_id>/note.txt")
def visit_note_text(visit_id: int):
    """The daily note as plain text, to paste into the clinic's record system; audited as an
    export. The file is named for the patient's code (or id) and the day, never the name."""
    note = daily_note(visit_id)
    patient = note["patient"]
    who = patient.get("code") or f"patient-{patient['id']}"
    name = safe_name(f"daily-note_{who}_{note['visit']['visit_date']}") + ".txt"
    audit("export", f"visit {visit_id}", f"patient {patient['id']}, daily note {name}")
    return Response(
        render_template("daily_note.txt", **note),
        mimetype="text/plain",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def daily_note(visit_id: int) -> dict:
    """What the daily note of a visit shows, printed or as text: the visit, the patient, the
    trials with their headline measures, goals, pain and PSFS so far, the trends up to the
    visit, the home program and its adherence."""
    store = visits()
    record = store.get(visit_id)
    patient = station().records.get_patient(record["patient_id"])
    trials = [titled(t) for t in store.trials(visit_id)]
    history = station().results.trial_history(patient["id"])
    until = [t for t in history if local_day(t["started_at"]) <= record["visit_date"]]
    so_far = [
        v for v in store.for_patient(patient["id"]) if v["visit_date"] <= record["visit_date"]
    ]
    goals = station().records.goals.for_patient(patient["id"])
    on_the_day = date.fromisoformat(record["visit_date"])
    homes = station().records.home_programs
    kept = adherence(so_far, homes.began_on(patient["id"]))
    return {
        "visit": record,
        "goals": goals_in_words(goals, until, so_far, on_the_day),
        "pain": pain_course(so_far),
        "psfs": psfs_course(so_far),
        "patient": patient,
        "age": age_years(patient.get("birth_date"), on_the_day),
        "trials": trials,
        "charts": patient_progress(until, patient=patient, translations=page_words()),
        "home_exercises": homes.current(patient["id"]),
        "adherence": next((r for r in kept if r["visit_id"] == visit_id), None),
        "printed": date.today().isoformat(),
    }


@results.get("/patients/<int:patient_id>/metrics.csv")
def patient_metrics_csv(patient_id: int):
    """The patient's metrics as CSV, one row per scored recording (see ``metrics_download``)."""
    return metrics_download(patient_id)


def metrics_download(patient_id: int) -> Response:
    """The metrics CSV of ``patient_id`` as a download with a safe file name, audited."""
    patient = station().records.get_patient(patient_id)
    name, text = metrics_csv(patient, station().results.trial_history(patient_id))
    audit("export", f"patient {patient_id}", f"metrics CSV {name}")
    return Response(
        text,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@results.post("/patients/<int:patient_id>/evaluations")
def create_evaluation(patient_id: int):
    """Start a new evaluation: the default battery as a program of its own, run from the
    patient's page step by step; its report is ``evaluation``."""
    evaluation = station().records.create_evaluation(patient_id, date.today().isoformat())
    audit(
        "program-created",
        f"program {evaluation['id']}",
        f"patient {patient_id}, evaluation of {len(evaluation['steps'])} tests",
    )
    return redirect(url_for("pages.patient", patient_id=patient_id) + "#programs", code=303)


@results.get("/evaluations/<int:evaluation_id>")
def evaluation(evaluation_id: int):
    """One evaluation's report, printable: each test against its published values, the
    deficits, the fall-risk screens, and the previous evaluation's results beside them."""
    record, patient = _evaluation_of(evaluation_id)
    viewed("program", evaluation_id, f"evaluation report, patient {patient['id']}")
    svc = station()
    earlier = [
        p
        for p in svc.records.list_programs(patient["id"])
        if p["kind"] == "evaluation" and p["id"] < evaluation_id
    ]
    before = None
    if earlier:
        previous = earlier[-1]
        before = (previous, svc.results.trial_history(patient["id"], program_id=previous["id"]))
    report = _report(record, patient, before)
    return render_template(
        "evaluation.html",
        evaluation=record,
        previous=before[0] if before else None,
        report=report,
        plan=suggest_plan(report, record["name"], translations=page_words()),
        patient=patient,
        age=age_years(patient.get("birth_date")),
    )


@results.post("/evaluations/<int:evaluation_id>/plan")
def accept_plan(evaluation_id: int):
    """Save the evaluation's suggested plan of care as a program of the patient's, which the
    therapist then edits and runs (nothing is applied before this)."""
    record, patient = _evaluation_of(evaluation_id)
    patient_id = patient["id"]
    viewed("program", evaluation_id, f"plan of care suggested, patient {patient_id}")
    words = page_words()
    plan = suggest_plan(_report(record, patient), record["name"], translations=words)
    if plan["program"] is None:
        return redirect(url_for("results.evaluation", evaluation_id=evaluation_id), code=303)
    program = station().records.create_program(patient_id, plan["program"])
    audit(
        "program-created",
        f"program {program['id']}",
        f"patient {patient_id}, plan of care from evaluation {evaluation_id}",
    )
    return redirect(url_for("pages.patient", patient_id=patient_id) + "#programs", code=303)


def _evaluation_of(evaluation_id: int) -> tuple[dict, dict]:
    """The evaluation and its patient; a training program's id is not found."""
    record = station().records.get_program(evaluation_id)
    if record["kind"] != "evaluation":
        raise NotFound(f"program {evaluation_id} is a training program, not an evaluation")
    return record, station().records.get_patient(record["patient_id"])


def _report(record: dict, patient: dict, before: tuple | None = None) -> dict:
    """``evaluation_report`` of the evaluation's own trials (and ``before``'s, to compare)."""
    trials = station().results.trial_history(patient["id"], program_id=record["id"])
    return evaluation_report(record, trials, patient, before, translations=page_words())


@results.get("/patients/<int:patient_id>/discharge")
def discharge(patient_id: int):
    """The printable discharge summary: the episode's visits, the goals met and not met, the
    final measures against the first with their MDC, pain and function from the first visit
    to the last, the fall-risk screens at discharge and the evaluations."""
    svc = station()
    patient = svc.records.get_patient(patient_id)
    viewed("patient", patient_id, "discharge summary")
    history = svc.results.trial_history(patient_id)
    visit_list = visits().for_patient(patient_id)
    days = sorted(
        [v["visit_date"] for v in visit_list] + [local_day(t["started_at"]) for t in history]
    )
    return render_template(
        "discharge.html",
        patient=patient,
        age=age_years(patient.get("birth_date")),
        first_day=days[0] if days else None,
        last_day=days[-1] if days else None,
        visits=visit_list,
        goals=patient_goals(patient_id, visit_list),
        charts=patient_progress(history, patient=patient, translations=page_words()),
        pain=pain_course(visit_list),
        psfs=psfs_course(visit_list),
        screens=fall_risk_screens(history, patient, translations=page_words()),
        evaluations=[p for p in svc.records.list_programs(patient_id) if p["kind"] == "evaluation"],
        printed=date.today().isoformat(),
    )
