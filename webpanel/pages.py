"""HTML pages: patients (list, search, create), a patient's drill and live view, a trial result."""

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from werkzeug.exceptions import NotFound

from station.errors import NotFoundError
from station.patients import PatientFieldError
from station.trial import recording_window

pages = Blueprint("pages", __name__)

HEADLINE_METRICS = (
    "area_ellipse95_cm2",
    "velocity_mean_cm_s",
    "path_length_cm",
    "distance_mean_cm",
    "rms_ap_cm",
    "rms_ml_cm",
    "range_ap_cm",
    "range_ml_cm",
    "frequency_mean_hz",
    "duration_s",
)


def station():
    return current_app.extensions["station"]


@pages.errorhandler(NotFoundError)
def _not_found(exc):
    """An unknown patient or trial id in a page URL is a 404 saying which."""
    return NotFound(str(exc))


@pages.get("/")
def patients():
    query = request.args.get("q", "")
    return render_template(
        "patients.html", patients=station().list_patients(query), q=query, errors={}, form={}
    )


@pages.post("/patients")
def create_patient():
    form = {k: request.form.get(k, "") for k in ("name", "code", "height_cm", "weight_kg")}
    try:
        patient = station().create_patient(form)
    except PatientFieldError as exc:
        return render_template(
            "patients.html",
            patients=station().list_patients(),
            q="",
            errors={exc.field: str(exc)},
            form=form,
        ), 400
    return redirect(url_for("pages.patient", patient_id=patient["id"]), code=303)


@pages.get("/patients/<int:patient_id>")
def patient(patient_id: int):
    svc = station()
    record = svc.get_patient(patient_id)
    return render_template(
        "patient.html",
        patient=record,
        trials=svc.list_trials(patient_id),
        drills=svc.drills(),
        simulated=svc.simulated,
    )


@pages.get("/trials/<trial_id>")
def trial(trial_id: str):
    svc = station()
    record = svc.get_trial(trial_id)
    return render_template(
        "trial.html",
        trial=record,
        patient=svc.get_patient(record["patient_id"]),
        docs=svc.metric_docs(),
        headline=HEADLINE_METRICS,
        window=recording_window(record["events"] or []),
    )
