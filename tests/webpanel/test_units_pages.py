"""A US clinic (``[panel] units = "us"``) enters and reads heights in feet and inches and
weights in pounds; the station stores SI and derives everything from it."""

import pytest

from station.clock import VirtualClock
from station.runtime.core_config import parse_config
from station.runtime.station import Station


@pytest.fixture
def us_client(make_app, log_in, password):
    """A therapist logged in at a clinic that works in feet, inches and pounds."""
    config = parse_config({"sim": {"step_on_at_s": 1.0, "seed": 3}, "panel": {"units": "us"}})
    station = Station(config, clock=VirtualClock(), db_path=":memory:")
    app = make_app(station)
    app.extensions["accounts"].create("thea", password, "therapist")
    yield log_in(app, "thea"), station
    station.close()


def test_a_us_clinic_enters_feet_inches_and_pounds_and_reads_them_back(us_client):
    client, station = us_client
    form = {"name": "Rosa", "height_ft": "5", "height_in": "7", "weight_lb": "154"}
    created = client.post("/patients", data={**form, "language": "es"})
    assert created.status_code == 303
    patient_id = int(created.headers["Location"].rsplit("/", 1)[1])
    stored = station.records.get_patient(patient_id)
    assert stored["height_cm"] == pytest.approx(170.18) and stored["weight_kg"] == 69.853
    assert stored["language"] == "es"
    page = client.get(f"/patients/{patient_id}").get_data(as_text=True)
    assert "5 ft 7 in · 154 lb" in page
    assert 'name="height_ft"' in page and 'value="5"' in page and 'value="154"' in page
    assert 'name="height_cm"' not in page and 'name="weight_kg"' not in page
    assert '<option value="es" lang="es" selected>Español</option>' in page
    # the edit form saved as it is shown changes nothing
    again = client.post(
        f"/patients/{patient_id}",
        data={"name": "Rosa", "height_ft": "5", "height_in": "7", "weight_lb": "154"},
    )
    assert again.status_code == 303
    after = station.records.get_patient(patient_id)
    assert (after["height_cm"], after["weight_kg"]) == (stored["height_cm"], stored["weight_kg"])


def test_a_us_clinic_is_told_its_own_range_beside_the_field(us_client):
    client, _ = us_client
    page = client.post("/patients", data={"name": "Rosa", "weight_lb": "900"})
    assert page.status_code == 400
    assert "must be between 23 and 771 lb" in page.get_data(as_text=True)


def test_a_metric_clinic_reads_the_same_patient_in_centimetres_and_kilograms(client, station):
    patient = station.records.create_patient(
        {"name": "Rosa", "height_cm": 170.18, "weight_kg": 69.853}
    )
    page = client.get(f"/patients/{patient['id']}").get_data(as_text=True)
    assert "170.2 cm · 69.9 kg" in page
    assert 'name="height_cm"' in page and 'value="170.2"' in page


def test_a_patient_language_the_station_does_not_speak_is_refused_naming_the_field(client):
    page = client.post("/patients", data={"name": "Rosa", "language": "fr"})
    assert page.status_code == 400
    assert "choose one of en (English), es (Español), got &#39;fr&#39;" in page.get_data(
        as_text=True
    )
