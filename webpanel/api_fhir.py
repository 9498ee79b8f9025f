"""FHIR export routes, on the shared ``api`` blueprint: a visit's or a patient's records as a
FHIR R4 Bundle (``station.results.fhir``) for the clinic's health record, served as
``application/fhir+json`` and audited as an export, like the CSV downloads. The Bundle holds
the patient's name (README, *FHIR export*); its file name does not."""

from flask import Response

from station.results.fhir_delivery import MEDIA_TYPE
from webpanel.api import api, station
from webpanel.api_schemas import BODIES
from webpanel.audit_trail import audit

BUNDLE = {
    "type": "object",
    "description": "a FHIR R4 Bundle of type transaction (built with fhir.resources' R4B "
    "models): Patient, and per visit an Encounter, Observations, a DiagnosticReport and a "
    "ChargeItem of the CPT 97112 units",
}
BODIES.update(
    {
        "api.visit_fhir_bundle": {"media": MEDIA_TYPE, "response": BUNDLE},
        "api.patient_fhir_bundle": {"media": MEDIA_TYPE, "response": BUNDLE},
    }
)


@api.get("/visits/<int:visit_id>/fhir")
def visit_fhir_bundle(visit_id: int):
    """The visit as a FHIR R4 Bundle: patient, encounter, measures, report, CPT 97112 units.

    A transaction Bundle for the clinic's FHIR server, as a download; audited as an export."""
    from station.results.fhir import for_visit  # its models: 0.13 s the panel's start skips

    bundle = for_visit(station().records, visit_id)
    return _download(bundle, f"visit {visit_id}", f"visit-{visit_id}.fhir.json")


@api.get("/patients/<int:patient_id>/fhir")
def patient_fhir_bundle(patient_id: int):
    """The patient and every visit of theirs as a FHIR R4 Bundle.

    As the visit's Bundle, with each visit (oldest first); trials run on a day without a
    visit are not in it. A download, audited as an export."""
    from station.results.fhir import for_patient

    bundle = for_patient(station().records, patient_id)
    return _download(bundle, f"patient {patient_id}", f"patient-{patient_id}.fhir.json")


def _download(bundle, target: str, name: str) -> Response:
    """``bundle`` as a ``name`` download, audited as an export of ``target``."""
    audit("export", target, f"FHIR Bundle {name}")
    return Response(
        bundle.model_dump_json(),
        mimetype=MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
