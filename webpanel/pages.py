"""HTML pages: patients (list, search, create, edit), a patient's drills, programs and live
view, the patient display, a trial result. Each create, change and view of a record is
audited (``webpanel.audit_trail``)."""

from datetime import date, timedelta

from flask import Blueprint, current_app, g, redirect, render_template, request, url_for
from flask_babel import gettext
from werkzeug.exceptions import NotFound

from station.errors import NotFoundError, StationError, error_words
from station.i18n.catalog import LANGUAGES
from station.records.patients import CHOICES, FIELDS, MAX_AGE_YEARS, PatientFieldError, age_years
from station.records.units import (
    US_FIELDS,
    WEIGHT_LB_RANGE,
    form_values,
    height_text,
    si_body_fields,
    weight_text,
)
from station.results.measures import choice_label, setting_label
from station.results.service import PAIN_SITE_LIMIT, PAIN_SITES
from webpanel.api import audit_listed, audit_patient_changed, audit_patient_created
from webpanel.audit_trail import viewed
from webpanel.language import page_words
from webpanel.progress import patient_goals

pages = Blueprint("pages", __name__)


def station():
    return current_app.extensions["station"]


@pages.app_template_filter("param_label")
def param_label(name: str) -> str:
    """A drill parameter or patient field in the page's language, without its unit:
    ``target_radius_mm`` -> "Target radius" (the unit is shown beside the value)."""
    return setting_label(name, page_words())


@pages.app_template_filter("choice_label")
def choice_words(value):
    """A parameter's value in the page's language ("open" -> "abiertos"); numbers as they
    are."""
    return choice_label(value, page_words())


@pages.app_template_filter("sentence")
def sentence(words: str | None) -> str:
    """``words`` starting a sentence: the first letter upper case, the rest as written (Jinja's
    ``capitalize`` lowers the rest: "PSFS" would read "Psfs", "Romberg" "romberg"); nothing
    for None."""
    words = words or ""
    return words[:1].upper() + words[1:]


def units() -> str:
    """The clinic's units for height and weight ('metric' or 'us', ``[panel] units``)."""
    return station().config.panel.units


@pages.app_template_filter("height")
def height(height_cm: float | None) -> str:
    """A stored height in the clinic's units: 170 cm or 5 ft 7 in."""
    return height_text(height_cm, units())


@pages.app_template_filter("weight")
def weight(weight_kg: float | None) -> str:
    """A stored weight in the clinic's units: 70 kg or 154 lb."""
    return weight_text(weight_kg, units())


@pages.app_context_processor
def _units_and_languages() -> dict:
    """The clinic's units (and the pound range) for the forms that take a height and a
    weight, and the languages a patient may hear and read."""
    return {"units": units(), "weight_lb_range": WEIGHT_LB_RANGE, "languages": LANGUAGES}


@pages.context_processor
def _date_limits() -> dict:
    """Today and the oldest birth date accepted (an age of 120 years, not yet 121), as the date
    inputs' max and min."""
    today = date.today()
    day = 28 if (today.month, today.day) == (2, 29) else today.day
    oldest = today.replace(year=today.year - MAX_AGE_YEARS - 1, day=day) + timedelta(days=1)
    return {"today": today.isoformat(), "oldest": oldest.isoformat()}


@pages.errorhandler(NotFoundError)
def _not_found(exc):
    """An unknown patient or trial id in a page URL is a 404 saying which."""
    return NotFound(str(exc))


def _patient_form() -> dict:
    """The patient fields as entered (feet, inches and pounds in a US clinic)."""
    fields = FIELDS if units() == "metric" else (*FIELDS, *US_FIELDS)
    return {field: request.form.get(field, "") for field in fields}


def _beside_field(exc: PatientFieldError) -> dict:
    """The error to show beside its field (which names the field already), in the page's
    language."""
    return {exc.field: error_words(exc, page_words(), with_field=False)}


def _with_age(patient: dict) -> dict:
    return {**patient, "age_years": age_years(patient.get("birth_date"))}


@pages.get("/")
def patients():
    """The patient list, a page at a time (``?after=``), searched by name or code (``?q=``),
    and the new-patient form."""
    query = request.args.get("q", "")
    after = request.args.get("after", type=int)
    return _patients_page(query, errors={}, form={}, after=after)


def _patients_page(query: str, errors: dict, form: dict, after: int | None = None) -> str:
    page = station().records.list_patients(query, after=after)
    found = [_with_age(p) for p in page["patients"]]
    audit_listed(query, found)
    return render_template(
        "patients.html",
        patients=found,
        next_after=page["next"],
        q=query,
        errors=errors,
        form=form,
        choices=CHOICES,
    )


@pages.post("/patients")
def create_patient():
    """Add a patient from the form; a bad field re-shows the form with the error beside it."""
    form = _patient_form()
    try:
        patient = station().records.create_patient(si_body_fields(form, units()))
    except PatientFieldError as exc:
        return _patients_page("", errors=_beside_field(exc), form=form), 400
    audit_patient_created(patient)
    return redirect(url_for("pages.patient", patient_id=patient["id"]), code=303)


@pages.get("/patients/<int:patient_id>")
def patient(patient_id: int):
    """A patient's details, drills, programs, live view and results."""
    return _patient_page(patient_id, errors={}, form=None)


@pages.post("/patients/<int:patient_id>")
def update_patient(patient_id: int):
    """Save the edited details; a bad field re-opens the form with the error beside it."""
    form = _patient_form()
    before = station().records.get_patient(patient_id)
    try:
        after = station().records.update_patient(patient_id, si_body_fields(form, units()))
    except PatientFieldError as exc:
        return _patient_page(patient_id, errors=_beside_field(exc), form=form), 400
    audit_patient_changed(before, after)
    return redirect(url_for("pages.patient", patient_id=patient_id), code=303)


def _patient_page(patient_id: int, errors: dict, form: dict | None) -> str:
    svc = station()
    record = _with_age(svc.records.get_patient(patient_id))
    viewed("patient", patient_id)
    drills = svc.results.drills(page_words())
    return render_template(
        "patient.html",
        patient=record,
        form=form if form is not None else _edit_form(record),
        errors=errors,
        choices=CHOICES,
        trials=svc.results.list_trials(patient_id),
        drills=drills,
        catalog={d["name"]: d for d in drills},
        recorded=[field for field in FIELDS if record[field]],
        programs=svc.records.list_programs(patient_id),
        metric_keys=sorted(svc.results.metric_docs()),
        simulated=svc.simulated,
        goals=patient_goals(patient_id, svc.records.visits.for_patient(patient_id)),
        pain_sites=PAIN_SITES,
        pain_site_limit=PAIN_SITE_LIMIT,
    )


def _edit_form(record: dict) -> dict:
    """The edit form's values for a stored patient, height and weight in the clinic's units."""
    return {**{k: record[k] or "" for k in FIELDS}, **form_values(record, units())}


@pages.get("/display")
def display():
    """The patient display: a full-screen view of the running drill for a monitor facing the
    patient (large dot, target, countdown), following the live stream; in the language of the
    patient whose trial runs: ``?lang=`` as the live stream says (display.js reloads with it),
    else the running trial's patient's, else the account's."""
    language = request.args.get("lang")
    if language not in LANGUAGES:
        try:
            drill = station().drill_status()
            if drill and drill.get("patient_id") is not None:
                language = station().records.get_patient(drill["patient_id"]).get("language")
        except StationError:  # the core not answering, the patient gone: the account's
            language = None
    if language in LANGUAGES:
        g.patient_language = language
    words = {
        d["name"]: {
            "patient": _translated(d["words"]["patient"]),
            "patient_stages": _translated(d["words"]["patient_stages"]),
        }
        for d in station().results.drills()
    }
    return render_template("display.html", drill_words=words)


def _translated(words: dict) -> dict:
    """A drill's words for the patient in the page's language."""
    return {key: gettext(text) for key, text in words.items()}


@pages.get("/trials/<trial_id>")
def trial(trial_id: str):
    svc = station()
    record = svc.results.get_trial(trial_id)
    viewed("trial", trial_id, f"patient {record['patient_id']}")
    return render_template(
        "trial.html",
        trial=record,
        patient=svc.records.get_patient(record["patient_id"]),
    )
