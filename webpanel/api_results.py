"""JSON API routes of the result pages, on the shared ``api`` blueprint: visits and their
CPT 97112 units, a patient's progress series and metrics CSV, a trial's chart data and its
comparison with published bands. The bodies are described for the OpenAPI document in
``webpanel.api_schemas.BODIES`` (extended here with these endpoints)."""

from flask import jsonify, request
from flask_babel import gettext

from station.records.billing import MinutesError, billing_summary
from station.records.visits import MAX_HEP_DAYS, MAX_MINUTES, NOTE_LIMIT, THERAPIST_LIMIT
from station.results.charts import trial_charts
from station.results.measures import drill_title, headline
from station.results.norms import compare_with_norms
from station.results.progress import patient_progress
from webpanel.api import ApiError, api, json_body, station
from webpanel.api_schemas import ANY_OBJECT, BODIES, INTEGER, TEXT, list_of, nullable, obj
from webpanel.audit_trail import viewed
from webpanel.language import page_words
from webpanel.progress import (
    audit_visit_changed,
    audit_visit_created,
    metrics_download,
    visits,
)

VISIT_FIELDS = {
    "visit_date": {**TEXT, "format": "date", "description": "the visit's day, not in the future"},
    "therapist": nullable({**TEXT, "maxLength": THERAPIST_LIMIT}),
    "nmr_minutes": nullable(
        {
            **INTEGER,
            "minimum": 0,
            "maximum": MAX_MINUTES,
            "description": "timed minutes of neuromuscular reeducation billed",
        }
    ),
    **{
        field: nullable(
            {**INTEGER, "minimum": 0, "maximum": 10, "description": f"pain (0-10) {when}"}
        )
        for field, when in (
            ("pain_before", "at the start of the visit"),
            ("pain_after", "at the end of the visit"),
        )
    },
    "psfs": nullable(
        {
            "type": "array",
            "minItems": 3,
            "maxItems": 5,
            "description": "Patient-Specific Functional Scale: activities rated 0-10",
            "items": obj(
                {"activity": TEXT, "score": {**INTEGER, "minimum": 0, "maximum": 10}},
                ("activity", "score"),
            ),
        }
    ),
    "hep_days": nullable(
        {
            **INTEGER,
            "minimum": 0,
            "maximum": MAX_HEP_DAYS,
            "description": "days the home exercises were done since the previous visit",
        }
    ),
    "note": nullable({**TEXT, "maxLength": NOTE_LIMIT}),
}
BILLING = obj(
    {
        "code": TEXT,
        "name": TEXT,
        "minutes": INTEGER,
        "units": INTEGER,
        "range_min": {"type": "array", "items": INTEGER},
        "next_unit_in_min": INTEGER,
        "explanation": TEXT,
    },
    ("code", "minutes", "units"),
)
VISIT = obj(
    {
        "id": INTEGER,
        "patient_id": INTEGER,
        **VISIT_FIELDS,
        "billing": nullable(BILLING),
        "psfs_score": nullable({"type": "number"}),
        "pain": nullable(
            obj(
                {
                    "before": INTEGER,
                    "after": INTEGER,
                    "change": INTEGER,
                    "percent": nullable(INTEGER),
                    "important": {"type": "boolean"},
                    "words": TEXT,
                },
                ("before", "after", "change", "important", "words"),
            )
        ),
        "created_at": TEXT,
        "updated_at": TEXT,
    },
    ("id", "patient_id", "visit_date", "billing"),
)
VISIT_INPUT = obj(VISIT_FIELDS, ("visit_date",), additionalProperties=False)
BODIES.update(
    {
        "api.list_visits": {"response": list_of("visits", VISIT)},
        "api.create_visit": {"request": VISIT_INPUT, "status": 201, "response": VISIT},
        "api.get_visit": {
            "response": {
                **VISIT,
                "properties": {
                    **VISIT["properties"],
                    "trials": {"type": "array", "items": ANY_OBJECT},
                    "suggestion": ANY_OBJECT,
                },
            }
        },
        "api.update_visit": {"request": VISIT_INPUT, "response": VISIT},
        "api.billing_units": {
            "response": {
                **BILLING,
                "properties": {**BILLING["properties"], "warning": nullable(TEXT)},
            }
        },
        "api.progress_series": {"response": list_of("charts", ANY_OBJECT)},
        "api.metrics_csv_export": {"media": "text/csv", "response": TEXT},
        "api.trial_chart_data": {"response": list_of("segments", ANY_OBJECT)},
        "api.trial_norm_comparison": {"response": ANY_OBJECT},
    }
)


@api.get("/patients/<int:patient_id>/visits")
def list_visits(patient_id: int):
    """A patient's visits, newest first, each with its CPT 97112 billing."""
    found = visits().for_patient(patient_id)
    viewed("patient", patient_id, "visits")
    return jsonify(visits=found)


@api.post("/patients/<int:patient_id>/visits")
def create_visit(patient_id: int):
    """Open a visit: ``{"visit_date", "therapist"?, "nmr_minutes"?, "note"?}``.

    One visit per patient and day; the day's trials belong to it."""
    visit = visits().create(patient_id, json_body())
    audit_visit_created(visit)
    return jsonify(visit), 201


@api.get("/visits/<int:visit_id>")
def get_visit(visit_id: int):
    """A visit with its trials' headline measures, the suggested minutes and the units."""
    store = visits()
    trials = [
        {
            "id": t["id"],
            "drill": t["drill"],
            "title": drill_title(t["drill"], page_words()),
            "state": t["state"],
            "started_at": t["started_at"],
            "duration_s": t["duration_s"],
            "headline": headline(t, page_words()),
        }
        for t in store.trials(visit_id)
    ]
    visit = store.get(visit_id)
    viewed("visit", visit_id, f"patient {visit['patient_id']}")
    suggestion = store.suggestion(visit_id, translations=page_words())
    return jsonify(**visit, trials=trials, suggestion=suggestion)


@api.put("/visits/<int:visit_id>")
def update_visit(visit_id: int):
    """Replace a visit's fields, validated whole like a new visit."""
    before = visits().get(visit_id)
    after = visits().update(visit_id, json_body())
    audit_visit_changed(before, after)
    return jsonify(after)


@api.get("/billing/97112")
def billing_units():
    """CPT 97112 units of ``?minutes=`` total timed minutes under the 8-minute rule; with
    ``&visit_id=``, also a ``warning`` when they bill more units than that visit's record
    supports (None when they do not)."""
    raw = request.args.get("minutes", "")
    try:
        summary = billing_summary(int(raw), page_words())
    except (ValueError, MinutesError):
        raise ApiError(
            400,
            "invalid",
            gettext("minutes must be whole minutes of 0 or more, got %(raw)s", raw=repr(raw)),
            "minutes",
        ) from None
    visit_id = request.args.get("visit_id")
    if visit_id is None:
        return jsonify(summary)
    if not visit_id.isdigit():
        raise ApiError(
            400,
            "invalid",
            gettext("visit_id must be a visit's number, got %(raw)s", raw=repr(visit_id)),
            "visit_id",
        )
    words = page_words()
    warning = visits().suggestion(int(visit_id), summary["minutes"], words)["warning"]
    return jsonify(**summary, warning=warning)


@api.get("/patients/<int:patient_id>/progress")
def progress_series(patient_id: int):
    """Trend series per drill and headline measure, each change against its MDC."""
    svc = station()
    trials = svc.results.trial_history(patient_id)
    patient = svc.records.get_patient(patient_id)
    charts = patient_progress(trials, patient=patient, translations=page_words())
    viewed("patient", patient_id, "progress")
    return jsonify(charts=charts)


@api.get("/patients/<int:patient_id>/metrics.csv")
def metrics_csv_export(patient_id: int):
    """The patient's metrics as CSV, one row per scored recording, as a download."""
    return metrics_download(patient_id)


@api.get("/trials/<trial_id>/charts")
def trial_chart_data(trial_id: str):
    """Stabilogram and statokinesigram data of a trial (cm), with the 95% ellipse outline."""
    svc = station()
    trial = svc.results.get_trial(trial_id)
    charts = trial_charts(trial, svc.results.trial_samples(trial_id), page_words())
    viewed("trial", trial_id, "charts")
    return jsonify(charts)


@api.get("/trials/<trial_id>/norms")
def trial_norm_comparison(trial_id: str):
    """The trial's sway against the published 10-90% bands of the patient's age group."""
    svc = station()
    trial = svc.results.get_trial(trial_id)
    patient = svc.records.get_patient(trial["patient_id"])
    comparison = compare_with_norms(trial, patient, translations=page_words())
    viewed("trial", trial_id, "comparison with published values")
    return jsonify(comparison)
