"""The FHIR export routes (issue 19, item 5): a visit's and a patient's Bundle served as
``application/fhir+json`` downloads that parse back with fhir.resources, audited as exports;
the login they need, and 404 naming a record that does not exist."""

from datetime import date

import pytest
from fhir.resources.R4B.bundle import Bundle

from station.records.billing import units_97112

pytestmark = pytest.mark.lean_station  # what is stored and shown of drills (tests/conftest.py)


@pytest.fixture
def visit(station, client):
    """A patient's quiet stance on today's visit, opened through the API with 30 minutes."""
    patient = station.records.create_patient({"name": "Grace Hopper", "code": "GH-7"})
    station.start_drill(patient["id"], "quiet-stance", {"duration_s": 10})
    station.run_virtual(max_s=120)
    station.storage.flush()
    body = {"visit_date": date.today().isoformat(), "nmr_minutes": 30}
    opened = client.post(f"/api/v1/patients/{patient['id']}/visits", json=body)
    assert opened.status_code == 201
    return opened.get_json()


def exports(app) -> list[tuple]:
    """(username, target, detail) of the export entries of the audit log, oldest first."""
    rows = app.extensions["accounts"].recent_audit(100, action="export")
    return [(r["username"], r["target"], r["detail"]) for r in reversed(rows)]


def resource_types(response) -> list[str]:
    bundle = Bundle.model_validate_json(response.get_data())
    return [entry.resource.get_resource_type() for entry in bundle.entry]


def test_a_visits_bundle_is_served_as_fhir_json_and_audited(app, client, visit):
    response = client.get(f"/api/v1/visits/{visit['id']}/fhir")
    assert response.status_code == 200
    assert response.mimetype == "application/fhir+json"
    name = f"visit-{visit['id']}.fhir.json"
    assert response.headers["Content-Disposition"] == f'attachment; filename="{name}"'
    assert resource_types(response) == [
        "Patient",
        "Encounter",
        "Observation",
        "Observation",
        "DiagnosticReport",
        "ChargeItem",
    ]
    bundle = Bundle.model_validate_json(response.get_data())
    assert bundle.entry[-1].resource.quantity.value == units_97112(30)
    assert exports(app) == [("thea", f"visit {visit['id']}", f"FHIR Bundle {name}")]


def test_a_patients_bundle_is_served_and_audited(app, client, visit):
    patient_id = visit["patient_id"]
    response = client.get(f"/api/v1/patients/{patient_id}/fhir")
    assert response.status_code == 200 and response.mimetype == "application/fhir+json"
    assert resource_types(response).count("Encounter") == 1
    name = f"patient-{patient_id}.fhir.json"
    assert exports(app) == [("thea", f"patient {patient_id}", f"FHIR Bundle {name}")]


def test_the_routes_need_a_login_as_every_record_route(anon_client, tech_client, visit):
    for url in (
        f"/api/v1/visits/{visit['id']}/fhir",
        f"/api/v1/patients/{visit['patient_id']}/fhir",
    ):
        refused = anon_client.get(url)
        assert refused.status_code == 401
        assert refused.get_json()["error"]["code"] == "login_required"
        # technicians may use every route (tests/webpanel/test_authorisation.py)
        assert tech_client.get(url).status_code == 200


def test_a_missing_record_is_a_404_naming_it_and_no_export(app, client):
    missing = client.get("/api/v1/visits/999/fhir")
    assert missing.status_code == 404
    assert missing.get_json()["error"] == {"code": "not_found", "message": "no visit with id 999"}
    missing = client.get("/api/v1/patients/999/fhir")
    assert missing.status_code == 404
    assert missing.get_json()["error"]["message"] == "no patient with id 999"
    assert exports(app) == []


def test_the_openapi_document_describes_the_routes(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    for path in ("/visits/{visit_id}/fhir", "/patients/{patient_id}/fhir"):
        answer = paths[path]["get"]["responses"]["200"]
        assert list(answer["content"]) == ["application/fhir+json"]
