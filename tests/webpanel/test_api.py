"""The panel's JSON API and pages on a full emulated station under a virtual clock."""

import pytest

from webpanel.app import create_app


@pytest.fixture
def client(station):
    return create_app(station, {"TESTING": True}).test_client()


def make_patient(client, name="Ada Test"):
    response = client.post("/api/v1/patients", json={"name": name, "height_cm": 170})
    assert response.status_code == 201
    return response.get_json()


def test_health_reports_loop_and_devices(client, station):
    station.run_virtual(max_s=0.5, until_trial_ends=False)
    body = client.get("/api/v1/health").get_json()
    assert body["status"] == "ok"
    assert body["hardware"] == "sim"
    assert body["calibration"] == "factory values"  # simulation, nothing stored or configured
    assert body["loop"]["rate_hz"] == 100.0
    assert body["loop"]["ticks"] == 50
    assert body["loop"]["late_ticks"] == 0
    for sensor in ("loadcells", "imu"):
        assert body["devices"][sensor]["state"] == "ready"
        assert body["devices"][sensor]["faults_total"] == 0
    assert body["devices"]["imu"]["measured_rate_hz"] == pytest.approx(100, abs=3)
    assert body["devices"]["cues"] == {
        "state": "ready",
        "lights": dict.fromkeys(("front", "back", "left", "right", "centre"), False),
        "status_colour": "off",
        "buzzer_hz": None,
        "pattern": None,
    }
    assert body["devices"]["stop_button"]["held"] is False


def test_quiet_stance_through_the_api(client, station):
    patient = make_patient(client)
    response = client.post(
        "/api/v1/trials",
        json={"patient_id": patient["id"], "drill": "quiet-stance", "params": {"duration_s": 10}},
    )
    assert response.status_code == 201
    trial_id = response.get_json()["trial_id"]
    assert client.get("/api/v1/status").get_json()["drill"]["trial_id"] == trial_id
    busy = client.post(
        "/api/v1/trials", json={"patient_id": patient["id"], "drill": "quiet-stance"}
    )
    assert busy.status_code == 409 and busy.get_json()["error"]["code"] == "busy"
    station.run_virtual(max_s=60)
    station.storage.flush()
    trial = client.get(f"/api/v1/trials/{trial_id}").get_json()
    assert trial["state"] == "completed"
    assert trial["params"] == {"duration_s": 10.0, "countdown_s": 3}
    metrics = trial["result"]["metrics"]
    assert metrics["n_samples"] == 1000
    assert 0.2 < metrics["area_ellipse95_cm2"] < 10
    samples = client.get(f"/api/v1/trials/{trial_id}/samples").get_json()
    assert samples["n"] == len(samples["columns"]["cop_ml_mm"]) > 1000
    listed = client.get(f"/api/v1/patients/{patient['id']}/trials").get_json()["trials"]
    assert [t["id"] for t in listed] == [trial_id]
    page = client.get(f"/trials/{trial_id}").get_data(as_text=True)
    assert "Sway area (95% ellipse)" in page and "completed" in page
    phases = {e["phase"]: e["t_s"] for e in trial["events"]}
    assert phases["completed"] - phases["recording"] == pytest.approx(10.0, abs=0.011)
    # the sway path plots only the recording, not the step-on and countdown
    assert f'data-start="{phases["recording"]}" data-end="{phases["completed"]}"' in page
    page = client.get(f"/patients/{patient['id']}").get_data(as_text=True)
    assert f"/trials/{trial_id}" in page


def test_stop_ends_the_drill_as_aborted(client, station):
    patient = make_patient(client)
    trial_id = client.post(
        "/api/v1/trials", json={"patient_id": patient["id"], "drill": "quiet-stance"}
    ).get_json()["trial_id"]
    station.run_virtual(max_s=8)  # into recording
    assert client.post("/api/v1/stop").get_json() == {"stopped": True}
    station.storage.flush()
    trial = client.get(f"/api/v1/trials/{trial_id}").get_json()
    assert trial["state"] == "aborted" and trial["reason"] == "stopped by the therapist"
    assert trial["cues"][-2:] == [
        {"t_s": trial["cues"][-1]["t_s"], "cue": "all-off"},
        {"t_s": trial["cues"][-1]["t_s"], "cue": "tone:stop"},
    ]
    assert trial["has_samples"]
    cues = client.get("/api/v1/health").get_json()["devices"]["cues"]
    assert not any(cues["lights"].values()) and cues["status_colour"] == "off"


@pytest.mark.parametrize(
    "body, status, field, text",
    [
        ({"patient_id": 1, "drill": "moonwalk"}, 400, None, "no drill called 'moonwalk'"),
        (
            {"patient_id": 1, "drill": "quiet-stance", "params": {"duration_s": 1}},
            400,
            None,
            "duration_s: 1 s is outside 5-120 s",
        ),
        ({"patient_id": "1", "drill": "quiet-stance"}, 400, "patient_id", "integer"),
        ({"patient_id": 999, "drill": "quiet-stance"}, 404, None, "no patient with id 999"),
        ({"patient_id": 1, "drill": "quiet-stance", "params": [1]}, 400, "params", "object"),
    ],
)
def test_bad_start_requests_are_explained(client, body, status, field, text):
    make_patient(client)
    response = client.post("/api/v1/trials", json=body)
    assert response.status_code == status
    error = response.get_json()["error"]
    assert text in error["message"]
    assert error.get("field") == field


def test_patient_validation_and_search(client):
    bad = client.post("/api/v1/patients", json={"name": " ", "height_cm": 170})
    assert bad.status_code == 400
    assert bad.get_json()["error"] == {
        "code": "invalid",
        "field": "name",
        "message": "name: a name (or pseudonym) is required",
    }
    bad = client.post("/api/v1/patients", json={"name": "X", "weight_kg": 900})
    assert bad.get_json()["error"]["field"] == "weight_kg"
    bad = client.post("/api/v1/patients", data="not json")
    assert bad.status_code == 400 and "JSON object" in bad.get_json()["error"]["message"]
    make_patient(client, "Ada Test")
    make_patient(client, "Bob Other")
    found = client.get("/api/v1/patients?q=ada").get_json()["patients"]
    assert [p["name"] for p in found] == ["Ada Test"]
    assert client.get("/api/v1/patients/42").status_code == 404
    assert client.get("/api/v1/nothing").get_json()["error"]["code"] == "not_found"
    assert client.delete("/api/v1/patients").get_json()["error"]["code"] == "method_not_allowed"
    assert client.get("/no-such-page").status_code == 404


def test_patient_form_creates_and_redirects(client):
    response = client.post(
        "/patients", data={"name": "Cleo", "code": "C-1", "height_cm": "", "weight_kg": "70"}
    )
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Cleo" in page and "C-1" in page and "70 kg" in page
    response = client.post("/patients", data={"name": "Dan", "height_cm": "abc"})
    assert response.status_code == 400
    assert "height_cm: expected a number" in response.get_data(as_text=True)
    assert "Cleo" in client.get("/?q=cle").get_data(as_text=True)


def test_simulated_person_control(client, station):
    station.run_virtual(max_s=3, until_trial_ends=False)
    assert client.post("/api/v1/sim/person", json={"on_platform": False}).status_code == 200
    station.run_virtual(max_s=2, until_trial_ends=False)
    assert (
        client.get("/api/v1/status").get_json()["devices"]["simulated_person"]["on_platform"]
        is False
    )
    assert client.post("/api/v1/sim/person", json={"on_platform": "yes"}).status_code == 400


def test_unknown_patient_or_trial_page_is_a_404_naming_it(client):
    response = client.get("/patients/99")
    assert response.status_code == 404 and "no patient with id 99" in response.get_data(
        as_text=True
    )
    response = client.get("/trials/nope")
    assert response.status_code == 404 and "no trial with id nope" in response.get_data(
        as_text=True
    )


def test_simulated_faults_are_validated_and_show_in_health(client, station):
    bad = client.post("/api/v1/sim/fault", json={"device": "imu", "fault": "stall"})
    assert bad.status_code == 400
    assert bad.get_json()["error"]["message"] == (
        "the emulated IMU has no fault 'stall'; known: nack, all-ff, bit7-drop, unplug, plug, clear"
    )
    unknown = client.post("/api/v1/sim/fault", json={"device": "seat", "fault": "nack"})
    assert "unknown device 'seat'" in unknown.get_json()["error"]["message"]
    missing = client.post("/api/v1/sim/fault", json={"device": "imu"})
    assert missing.status_code == 400 and missing.get_json()["error"]["field"] == "fault"
    assert client.post(
        "/api/v1/sim/fault", json={"device": "front-left", "fault": "nack"}
    ).get_json() == {"device": "front-left", "fault": "nack"}
    station.run_virtual(max_s=0.5, until_trial_ends=False)
    health = client.get("/api/v1/health").get_json()
    assert health["status"] == "degraded"
    assert health["devices"]["loadcells"]["faults"]["nack"] >= 1


def test_imu_zero_makes_the_current_tilt_the_reference(client, station):
    station.run_virtual(max_s=4.0, until_trial_ends=False)  # on the wobble board, tilted
    before = station.loop.last_frame
    assert abs(before.pitch_deg) + abs(before.roll_deg) > 0.05
    zero = client.post("/api/v1/imu/zero").get_json()
    assert zero["pitch_zero_deg"] == pytest.approx(before.pitch_deg, abs=0.5)
    frame = station.loop.last_frame
    assert abs(frame.pitch_deg) < 0.5 and abs(frame.roll_deg) < 0.5
    row = station.loop.last_frame
    assert 0 < row.load_left_pct < 100 and row.cop_ml_live_mm == row.cop_ml_live_mm


def test_the_patient_page_offers_every_drill_with_its_own_parameters(client):
    patient = make_patient(client)
    page = client.get(f"/patients/{patient['id']}").get_data(as_text=True)
    for name in ("quiet-stance", "mctsib", "limits-of-stability", "weight-bearing"):
        assert f'data-drill="{name}"' in page
    assert '<select name="leg">' in page  # a choice parameter is a menu
    css = client.get("/static/panel.css").get_data(as_text=True)
    assert "fieldset[hidden] { display: none; }" in css  # the others stay out of sight
