"""The OpenAPI description: valid OpenAPI 3, and every API route in it, read from the app's
routes (so a route another module adds to the API is checked without being listed here)."""

import inspect
import re

import pytest
from openapi_spec_validator import validate

from webpanel.app import PUBLIC_ENDPOINTS


@pytest.fixture
def document(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.get_json()


def api_rules(app):
    return [r for r in app.url_map.iter_rules() if r.endpoint.startswith("api.")]


def test_the_document_is_valid_openapi_3(document):
    validate(document)
    assert document["openapi"].startswith("3.")
    assert document["servers"] == [{"url": "/api/v1"}]


def test_every_api_route_is_described_with_the_summary_from_its_docstring(app, document):
    rules = api_rules(app)
    assert len(rules) > 20
    for rule in rules:
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule).removeprefix("/api/v1")
        doc = inspect.getdoc(app.view_functions[rule.endpoint])
        assert doc, f"{rule.endpoint} has no docstring: its first line is the API summary"
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            operation = document["paths"][path][method.lower()]
            assert operation["summary"] == doc.splitlines()[0], rule.endpoint


def test_path_parameters_are_typed_from_the_url_converters(document):
    patient = document["paths"]["/patients/{patient_id}"]
    assert patient["get"]["parameters"] == [
        {"name": "patient_id", "in": "path", "required": True, "schema": {"type": "integer"}}
    ]
    step = document["paths"]["/programs/{program_id}/steps/{step}/start"]["post"]
    assert [p["schema"]["type"] for p in step["parameters"]] == ["integer", "integer"]
    trial = document["paths"]["/trials/{trial_id}"]["get"]
    assert trial["parameters"][0]["schema"] == {"type": "string"}


def test_bodies_and_the_shared_error_are_declared(document):
    create = document["paths"]["/patients"]["post"]
    assert create["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/PatientInput"
    }
    assert "201" in create["responses"]
    patient_input = document["components"]["schemas"]["PatientInput"]["properties"]
    assert patient_input["affected_side"]["anyOf"][0]["enum"] == ["left", "right", "both", "none"]
    assert patient_input["note"]["anyOf"][0]["maxLength"] == 500
    start = document["paths"]["/trials"]["post"]
    assert start["requestBody"]["content"]["application/json"]["schema"]["required"] == [
        "patient_id",
        "drill",
    ]
    error = document["components"]["schemas"]["Error"]
    assert error["properties"]["error"]["required"] == ["code", "message"]
    for path in document["paths"].values():
        for operation in path.values():
            assert operation["responses"]["default"] == {"$ref": "#/components/responses/Error"}
    export = document["paths"]["/trials/{trial_id}/export.csv"]["get"]
    assert "text/csv" in export["responses"]["200"]["content"]


def test_login_and_technician_rules_are_stated(app, document):
    assert document["security"] == [{"session": []}]
    operations = {
        op["operationId"]: op for path in document["paths"].values() for op in path.values()
    }
    public = {e.removeprefix("api.") for e in PUBLIC_ENDPOINTS if e.startswith("api.")}
    assert public == {"health"}
    assert operations["health"]["security"] == []
    assert "security" not in operations["list_patients"]
    for endpoint, view in app.view_functions.items():
        if endpoint.startswith("api.") and getattr(view, "technician_only", False):
            name = endpoint.removeprefix("api.")
            assert "Technicians only" in operations[name]["description"], name


def test_the_description_needs_a_login_like_every_api_route(anon_client):
    response = anon_client.get("/api/v1/openapi.json")
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "login_required"
