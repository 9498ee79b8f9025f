"""Patients in the panel and the API: create with every detail, edit, validation that names the
field (and shows the error beside it on the pages), and search by name or code."""

import re
from datetime import date

import pytest

from station.records.patients import PatientFieldError, age_years, validate_patient

ADA = {
    "name": "Ada Lovelace",
    "code": "P-0042",
    "birth_date": "1952-12-10",
    "sex": "female",
    "affected_side": "left",
    "height_cm": 168,
    "weight_kg": 61.5,
    "note": "Walks with a cane.\nRight hip replaced 2024.",
}


def create(client, **fields):
    response = client.post("/api/v1/patients", json={**ADA, **fields})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_a_patient_is_created_with_every_detail_and_shown_with_the_age(client):
    patient = create(client)
    assert {k: patient[k] for k in ADA} == {**ADA, "height_cm": 168.0}
    assert client.get(f"/api/v1/patients/{patient['id']}").get_json() == patient
    page = client.get(f"/patients/{patient['id']}").get_data(as_text=True)
    age = age_years("1952-12-10")
    assert (
        f"{age} years (born 1952-12-10) · Female · affected side: left · 168 cm · 61.5 kg" in page
    )
    assert "Walks with a cane." in page
    listing = client.get("/").get_data(as_text=True)
    assert f"· {age} years" in listing and "affected side: left" in listing


def test_optional_details_may_be_left_empty(client):
    patient = create(client, code="", birth_date="", sex="", affected_side="", note="  ")
    assert [patient[k] for k in ("code", "birth_date", "sex", "affected_side", "note")] == [
        None
    ] * 5
    page = client.get(f"/patients/{patient['id']}").get_data(as_text=True)
    assert "years (born" not in page


@pytest.mark.parametrize(
    "change, field, message",
    [
        ({"name": "  "}, "name", "a name (or pseudonym) is required"),
        ({"birth_date": "10/12/1952"}, "birth_date", "expected a date as YYYY-MM-DD"),
        ({"birth_date": "2090-01-01"}, "birth_date", "2090-01-01 is in the future"),
        ({"birth_date": "1890-01-01"}, "birth_date", "an age over 120 years"),
        ({"sex": "f"}, "sex", "choose one of female, male, other, unspecified"),
        ({"affected_side": "up"}, "affected_side", "choose one of left, right, both, none"),
        ({"note": "x" * 501}, "note", "at most 500 characters, got 501"),
        ({"height_cm": 20}, "height_cm", "must be between 50 and 250"),
        ({"weight_kg": "heavy"}, "weight_kg", "expected a number"),
        ({"age": 70}, "age", "unknown field"),
        ({"code": 42}, "code", "must be text"),
    ],
)
def test_invalid_details_are_refused_naming_the_field(client, change, field, message):
    response = client.post("/api/v1/patients", json={**ADA, **change})
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "invalid" and error["field"] == field
    assert message in error["message"]
    assert client.get("/api/v1/patients").get_json()["patients"] == []


def test_the_age_limits_count_whole_years_on_the_day():
    today = date(2026, 3, 1)
    assert age_years("1950-03-01", today) == 76  # birthday today
    assert age_years("1950-03-02", today) == 75  # tomorrow
    assert validate_patient({"name": "A", "birth_date": "1905-03-02"}, today)["birth_date"]  # 120
    with pytest.raises(PatientFieldError, match="over 120 years"):
        validate_patient({"name": "A", "birth_date": "1905-03-01"}, today)  # 121 today
    assert validate_patient({"name": "A", "birth_date": "2026-03-01"}, today)["birth_date"]


def test_a_patient_is_edited_through_the_api(client):
    patient = create(client)
    edited = {**ADA, "name": "Ada King", "affected_side": "both", "weight_kg": 63}
    del edited["note"]  # the body is the whole record: a field left out is cleared
    response = client.put(f"/api/v1/patients/{patient['id']}", json=edited)
    assert response.status_code == 200
    body = response.get_json()
    assert (body["name"], body["affected_side"], body["weight_kg"]) == ("Ada King", "both", 63.0)
    assert body["note"] is None and body["created_at"] == patient["created_at"]
    assert client.get(f"/api/v1/patients/{patient['id']}").get_json() == body


def test_a_bad_edit_changes_nothing_and_names_the_field(client):
    patient = create(client)
    response = client.put(f"/api/v1/patients/{patient['id']}", json={**ADA, "height_cm": 999})
    assert response.status_code == 400 and response.get_json()["error"]["field"] == "height_cm"
    assert client.get(f"/api/v1/patients/{patient['id']}").get_json() == patient
    missing = client.put("/api/v1/patients/999", json=ADA)
    assert missing.status_code == 404
    assert missing.get_json()["error"]["message"] == "no patient with id 999"


def test_the_edit_form_saves_and_shows_errors_beside_the_field(client):
    patient = create(client)
    url = f"/patients/{patient['id']}"
    form = {**ADA, "height_cm": "170", "weight_kg": "", "sex": "unspecified"}
    saved = client.post(url, data=form)
    assert saved.status_code == 303 and saved.headers["Location"] == url
    record = client.get(f"/api/v1/patients/{patient['id']}").get_json()
    assert (record["height_cm"], record["weight_kg"], record["sex"]) == (170.0, None, "unspecified")

    refused = client.post(url, data={**form, "birth_date": "2999-01-01"})
    assert refused.status_code == 400
    page = refused.get_data(as_text=True)
    assert '<details id="edit-patient" open>' in page  # the form stays open
    field = re.search(r'<label for="edit-birth_date">.*?</label>', page, re.S).group(0)
    assert 'value="2999-01-01"' in field and 'aria-invalid="true"' in field
    assert "2999-01-01 is in the future</small>" in field  # beside the field, in plain words
    assert client.get(f"/api/v1/patients/{patient['id']}").get_json() == record


def test_the_new_patient_form_shows_errors_beside_the_field(client):
    response = client.post("/patients", data={"name": "Cleo", "affected_side": "up"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    field = re.search(r'<label for="new-affected_side">.*?</label>', page, re.S).group(0)
    assert "choose one of left, right, both, none" in field and 'aria-invalid="true"' in field
    assert 'value="Cleo"' in page  # what was typed is kept


def test_search_by_name_or_code_in_any_case(client):
    create(client)
    create(client, name="Bruno Keller", code="P-0043")
    create(client, name="Chen Li", code="X-7")

    def names(q):
        return [p["name"] for p in client.get(f"/api/v1/patients?q={q}").get_json()["patients"]]

    assert names("") == ["Ada Lovelace", "Bruno Keller", "Chen Li"]
    assert names("KELL") == ["Bruno Keller"]
    assert names("p-00") == ["Ada Lovelace", "Bruno Keller"]
    assert names("x-7") == ["Chen Li"]
    assert names("nobody") == []
    page = client.get("/?q=bruno").get_data(as_text=True)
    assert "Bruno Keller" in page and "Ada Lovelace" not in page
    assert "No patient matches" in client.get("/?q=nobody").get_data(as_text=True)
    # the list page searches as you type through the API (no reload), and keeps a plain form
    assert "/static/patients.js" in page and 'role="search"' in page


def test_the_list_comes_fifty_at_a_time_with_a_way_to_the_next(client):
    for n in range(120):
        client.post("/api/v1/patients", json={"name": f"Patient {n:03d}"})
    first = client.get("/api/v1/patients").get_json()
    assert len(first["patients"]) == 50 and first["next"] == first["patients"][-1]["id"]
    second = client.get(f"/api/v1/patients?after={first['next']}").get_json()
    last = client.get(f"/api/v1/patients?after={second['next']}&limit=200").get_json()
    names = [p["name"] for page in (first, second, last) for p in page["patients"]]
    assert names == [f"Patient {n:03d}" for n in range(120)] and last["next"] is None
    assert len(client.get("/api/v1/patients?q=patient 01&limit=3").get_json()["patients"]) == 3
    for bad, field in (("limit=0", "limit"), ("limit=201", "limit"), ("after=x", "after")):
        response = client.get(f"/api/v1/patients?{bad}")
        assert response.status_code == 400 and response.get_json()["error"]["field"] == field
    page = client.get("/").get_data(as_text=True)
    assert page.count('<li><a href="/patients/') == 50
    assert f'href="/?q=&amp;after={first["next"]}"' in page and "More patients" in page
    rest = client.get(f"/?after={second['next']}").get_data(as_text=True)
    assert rest.count('<li><a href="/patients/') == 20 and 'id="more-patients" hidden' in rest


def test_a_clinic_code_is_one_patients_only(client):
    first = create(client, code="AB-12")
    twin = client.post("/api/v1/patients", json={**ADA, "code": "ab-12"})
    assert twin.status_code == 400
    error = twin.get_json()["error"]
    assert (
        error["field"] == "code"
        and f"already the code of patient {first['id']}" in error["message"]
    )
    wide = client.post("/api/v1/patients", json={**ADA, "code": "ＡＢ-12"})  # noqa: RUF001
    assert wide.status_code == 400  # full-width letters and digits are the same code
    form = client.post("/patients", data={"name": "Ada Again", "code": "AB-12"})
    assert form.status_code == 400 and "already the code of patient" in form.get_data(as_text=True)


def test_names_keep_no_invisible_characters(client):
    zero_width = create(client, name="Ada\u200b Love\u200dlace\x00", code="Z-1", note="a\x07b")
    assert zero_width["name"] == "Ada Lovelace" and zero_width["note"] == "ab"
    rtl = create(client, name="Bruno \u202eKeller\u202c", code="Z-2")
    assert rtl["name"] == "Bruno Keller"
    blank = client.post("/api/v1/patients", json={"name": "\u200b\u3164\x00 "})
    assert blank.status_code == 400 and blank.get_json()["error"]["field"] == "name"
