"""The home exercise program pages: the therapist picks exercises from the library and doses
them, stops them, and prints the patient's one-page, large-print handout."""

from flask import Blueprint, current_app, g, redirect, render_template, request, url_for
from werkzeug.exceptions import NotFound

from station.errors import NotFoundError, error_words
from station.records.exercise_library import EXERCISES, GENERAL_SAFETY, UNITS
from station.records.home_program import (
    FIELDS,
    MAX_EXERCISES,
    HomeProgramError,
    HomePrograms,
    in_language,
)
from webpanel.audit_trail import audit, viewed
from webpanel.language import page_words

homeprogram = Blueprint("homeprogram", __name__)


@homeprogram.app_template_filter("in_language")
def in_page_language(prescription: dict) -> dict:
    """A prescription's words (name, how, level, safety, dose) in the page's language: the
    handout's is the patient's."""
    return in_language(prescription, page_words())


@homeprogram.errorhandler(NotFoundError)
def _not_found(exc):
    """An unknown patient or prescription id in a page URL is a 404 saying which."""
    return NotFound(str(exc))


def programs() -> HomePrograms:
    """The home programs of the station's database."""
    return current_app.extensions["station"].records.home_programs


@homeprogram.get("/patients/<int:patient_id>/home-program")
def home_program(patient_id: int):
    """The patient's home exercises and the library to add from."""
    return _page(patient_id, form={}, error="", status=200)


def _page(patient_id: int, form: dict, error: str, status: int):
    patient = current_app.extensions["station"].records.get_patient(patient_id)
    viewed("patient", patient_id, "home program")
    page = render_template(
        "home_program.html",
        patient=patient,
        current=programs().current(patient_id),
        library=EXERCISES,
        units=UNITS,
        most=MAX_EXERCISES,
        form=form,
        error=error,
    )
    return page, status


@homeprogram.post("/patients/<int:patient_id>/home-program")
def prescribe(patient_id: int):
    """Add an exercise at a level and dose, or re-dose one the patient does; a bad field
    re-shows the page saying why."""
    form = {field: request.form.get(field, "") for field in FIELDS}
    try:
        item = programs().prescribe(patient_id, form)
    except HomeProgramError as exc:
        return _page(patient_id, form=form, error=error_words(exc, page_words()), status=400)
    audit(
        "home-exercise-prescribed",
        f"patient {patient_id}",
        f"{item['exercise']} level {item['level']}: {item['dose_words']}",
    )
    return redirect(url_for("homeprogram.home_program", patient_id=patient_id), code=303)


@homeprogram.post("/home-exercises/<int:prescription_id>/stop")
def stop(prescription_id: int):
    """Take an exercise out of the program (kept in the record)."""
    item = programs().stop(prescription_id)
    audit("home-exercise-stopped", f"patient {item['patient_id']}", item["exercise"])
    return redirect(url_for("homeprogram.home_program", patient_id=item["patient_id"]), code=303)


@homeprogram.get("/patients/<int:patient_id>/home-program/handout")
def handout(patient_id: int):
    """The patient's handout: one large-print page with each exercise's drawing, what to
    do, the dose and level, and when to stop; in the patient's language
    (``webpanel.language``)."""
    patient = current_app.extensions["station"].records.get_patient(patient_id)
    g.patient_language = patient.get("language")
    viewed("patient", patient_id, "home program handout")
    return render_template(
        "home_handout.html",
        patient=patient,
        current=programs().current(patient_id),
        safety=GENERAL_SAFETY,
    )
