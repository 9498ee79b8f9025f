"""The records' refusals in the reader's language (issue 18): a Spanish account reads why a
patient form or an API request was refused in Spanish, beside the field or in the error's
``message`` (the JSON shape and ``field`` unchanged), with what was typed as typed; an English
account reads them as before."""

import re

from tests.webpanel.conftest import TECHNICIAN


def beside(page: str, field: str) -> str:
    """The words shown beside the new-patient form's ``field``."""
    label = re.search(rf'<label for="new-{field}">.*?</label>', page, re.S).group(0)
    return re.search(r'<small class="error"[^>]*>(.*?)</small>', label, re.S).group(1)


def test_a_spanish_account_reads_a_refused_patient_form_in_spanish(in_spanish):
    client = in_spanish()
    refused = client.post("/patients", data={"name": " "})
    assert refused.status_code == 400
    assert beside(refused.get_data(as_text=True), "name") == "se requiere un nombre (o seudónimo)"
    typed = client.post("/patients", data={"name": "Rosa", "birth_date": "3/2/1950"})
    assert (
        beside(typed.get_data(as_text=True), "birth_date")
        == "se esperaba una fecha como AAAA-MM-DD; se recibió &#39;3/2/1950&#39;"
    )


def test_a_spanish_account_reads_a_refused_api_request_in_spanish(in_spanish):
    client = in_spanish()
    refused = client.post("/api/v1/patients", json={"name": "Rosa", "note": "x" * 501})
    assert refused.status_code == 400
    assert refused.get_json() == {
        "error": {
            "code": "invalid",
            "message": "note: como máximo 500 caracteres; tiene 501",
            "field": "note",
        }
    }
    unknown = client.post("/api/v1/patients", json={"name": "Rosa", "age": 70})
    message = unknown.get_json()["error"]["message"]
    assert message.startswith("age: campo desconocido (conocidos: name, code, birth_date")


def test_an_english_account_reads_them_as_before(client):
    refused = client.post("/api/v1/patients", json={"name": "Rosa", "note": "x" * 501})
    assert refused.get_json()["error"] == {
        "code": "invalid",
        "message": "note: at most 500 characters, got 501",
        "field": "note",
    }
    page = client.post("/patients", data={"name": " "}).get_data(as_text=True)
    assert beside(page, "name") == "a name (or pseudonym) is required"


def test_a_spanish_technician_reads_a_refused_account_in_spanish(in_spanish):
    client = in_spanish(TECHNICIAN)
    refused = client.post(
        "/accounts", data={"username": "rosa", "password": "short", "role": "therapist"}
    )
    assert refused.status_code == 400
    assert "password: use al menos 10 caracteres" in refused.get_data(as_text=True)
