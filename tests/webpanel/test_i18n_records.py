"""The record pages in the reader's language (issue 18): a Spanish account reads the patient,
progress, trial, visit and technician pages in Spanish, with its dates and decimals as Spanish
writes them, while an English account on its own device keeps English; and the patient's own
language (what they hear and read) is stored, validated naming the field, and shown."""

import re
from datetime import date

import pytest
from babel.dates import format_date

from station.records.patients import PatientFieldError, validate_patient

pytestmark = pytest.mark.lean_station  # what is stored and shown of drills (tests/conftest.py)

TODAY = date.today()


@pytest.fixture
def record(station, client):
    """A Spanish-speaking patient with a completed 10 s quiet stance and today's visit."""
    made = client.post(
        "/api/v1/patients",
        json={"name": "Rosa Ruiz", "birth_date": "1950-02-03", "sex": "female", "language": "es"},
    )
    assert made.status_code == 201, made.get_json()
    patient = made.get_json()
    trial_id = station.start_drill(patient["id"], "quiet-stance", {"duration_s": 10})["trial_id"]
    station.run_virtual(max_s=120)
    station.storage.flush()
    visit = client.post(
        f"/api/v1/patients/{patient['id']}/visits",
        json={"visit_date": TODAY.isoformat(), "therapist": "thea", "nmr_minutes": 30},
    )
    assert visit.status_code == 201, visit.get_json()
    return {"patient": patient, "trial_id": trial_id, "visit": visit.get_json()}


def urls_of(record) -> dict[str, str]:
    patient_id = record["patient"]["id"]
    return {
        "patient": f"/patients/{patient_id}",
        "progress": f"/patients/{patient_id}/progress",
        "trial": f"/trials/{record['trial_id']}",
        "visits": f"/patients/{patient_id}/visits",
        "visit": f"/visits/{record['visit']['id']}",
        "report": f"/visits/{record['visit']['id']}/report",
    }


def test_a_spanish_account_reads_the_record_pages_in_spanish(in_spanish, record, read_pages):
    shown = read_pages(in_spanish("thea"), urls_of(record))
    patient = shown["patient"]
    assert "Iniciar un ejercicio" in patient and "Programas y evaluaciones" in patient
    assert 'aria-label="Detener el ejercicio">DETENER</button>' in patient
    assert 'Escucha y lee: <span lang="es">Español</span>' in patient
    progress = shown["progress"]
    assert "Progreso de Rosa Ruiz" in progress and "Tamizajes de riesgo de caídas" in progress
    assert "Escala Funcional Específica del Paciente (PSFS, 0-10)" in progress
    trial = shown["trial"]
    assert (
        "Gráficas del centro de presión" in trial and "Comparación con valores publicados" in trial
    )
    assert re.search(r"\d+,\d s en la estación", trial)  # a decimal comma
    visit = shown["visit"]
    assert "Facturación: CPT 97112, reeducación neuromuscular" in visit
    assert "2 unidades" in visit and "Nota diaria, S: subjetivo" in visit
    spanish_day = format_date(TODAY, "d MMM y", locale="es")
    assert f"Visita del {spanish_day}" in visit  # the day as Spanish writes it
    assert "Abrir una visita" in shown["visits"] and f">{spanish_day}</a>" in shown["visits"]
    assert "Nota diaria: visita de entrenamiento del equilibrio" in shown["report"]
    for name, page in shown.items():
        assert '<html lang="es">' in page, name
        assert "%(" not in page and "&lt;span" not in page, name  # every message filled in


def test_an_english_account_keeps_the_record_pages_in_english(
    in_spanish, english, record, read_pages
):
    in_spanish("thea")  # another account's choice changes nothing here
    shown = read_pages(english, urls_of(record))
    assert "Start a drill" in shown["patient"] and "Hears and reads:" in shown["patient"]
    assert "Progress of Rosa Ruiz" in shown["progress"]
    assert "Centre-of-pressure charts" in shown["trial"] and "Duration 10.0" in shown["trial"]
    assert f"Visit on {TODAY.isoformat()}" in shown["visit"] and "2 units" in shown["visit"]
    assert "Daily note: balance training visit" in shown["report"]
    for name, page in shown.items():
        assert '<html lang="en">' in page and "Iniciar" not in page, name


TECHNICIAN_PAGES = {
    "/technician": ("Diagnóstico", "Ciclo de control", "Dispositivos"),
    "/technician/calibration": ("Asistente de calibración", "Calibraciones guardadas"),
    "/technician/logs": ("Líneas recientes del registro", "Actualizar"),
    "/technician/config": ("Configuración vigente", "Opción"),
    "/technician/audit": ("Registro de auditoría", "Descargar como CSV"),
}


def test_the_technician_pages_speak_the_technicians_language(in_spanish, tech_client):
    english = {url: tech_client.get(url).get_data(as_text=True) for url in TECHNICIAN_PAGES}
    assert "<h1>Diagnostics</h1>" in english["/technician"]
    assert "<h1>Effective configuration</h1>" in english["/technician/config"]
    client = in_spanish("tom")
    for url, words in TECHNICIAN_PAGES.items():
        page = client.get(url).get_data(as_text=True)
        assert all(w in page for w in words), (url, [w for w in words if w not in page])


def test_the_patients_language_is_stored_and_shown(client):
    made = client.post("/api/v1/patients", json={"name": "Rosa", "language": "es"}).get_json()
    assert made["language"] == "es"
    assert client.get(f"/api/v1/patients/{made['id']}").get_json()["language"] == "es"
    page = client.get(f"/patients/{made['id']}").get_data(as_text=True)
    assert 'Hears and reads: <span lang="es">Español</span>' in page
    assert '<option value="es" lang="es" selected>Español</option>' in page
    # left out: English, the station's default
    plain = client.post("/api/v1/patients", json={"name": "Ann"}).get_json()
    assert plain["language"] == "en"
    # changed on the form
    edited = client.post(
        f"/patients/{plain['id']}", data={"name": "Ann", "language": "es"}, follow_redirects=True
    )
    assert edited.status_code == 200
    assert client.get(f"/api/v1/patients/{plain['id']}").get_json()["language"] == "es"


def test_a_language_the_station_does_not_speak_is_refused_naming_the_field(client):
    refused = client.post("/api/v1/patients", json={"name": "Rosa", "language": "fr"})
    assert refused.status_code == 400
    error = refused.get_json()["error"]
    assert (
        error["field"] == "language"
        and "choose one of en (English), es (Español)" in (error["message"])
    )
    with pytest.raises(PatientFieldError) as raised:
        validate_patient({"name": "Rosa", "language": "klingon"})
    assert raised.value.field == "language" and "'klingon'" in str(raised.value)
    form = client.post("/patients", data={"name": "Rosa", "language": "fr"})
    assert form.status_code == 400
    page = form.get_data(as_text=True)
    assert 'id="new-language-error"' in page and "got &#39;fr&#39;" in page
    assert client.get("/api/v1/patients").get_json()["patients"] == []
