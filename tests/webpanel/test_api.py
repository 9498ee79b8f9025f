"""The panel's JSON API and pages on a full emulated station under a virtual clock."""

import json
import logging

import pytest


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
    assert trial["params"] == {
        "duration_s": 10.0,
        "eyes": "open",
        "surface": "firm",
        "countdown_s": 3,
    }
    metrics = trial["result"]["metrics"]
    assert metrics["n_samples"] == 1000
    assert 0.2 < metrics["area_ellipse95_cm2"] < 10
    samples = client.get(f"/api/v1/trials/{trial_id}/samples").get_json()
    assert samples["n"] == len(samples["columns"]["cop_ml_mm"]) > 1000
    listed = client.get(f"/api/v1/patients/{patient['id']}/trials").get_json()["trials"]
    assert [t["id"] for t in listed] == [trial_id]
    page = client.get(f"/trials/{trial_id}").get_data(as_text=True)
    assert "Sway area (ellipse, 95%)" in page and "completed" in page
    phases = {e["phase"]: e["t_s"] for e in trial["events"]}
    assert phases["completed"] - phases["recording"] == pytest.approx(10.0, abs=0.011)
    page = client.get(f"/patients/{patient['id']}").get_data(as_text=True)
    assert f"/trials/{trial_id}" in page


def test_stop_ends_the_drill_as_aborted(client, station):
    patient = make_patient(client)
    trial_id = client.post(
        "/api/v1/trials", json={"patient_id": patient["id"], "drill": "quiet-stance"}
    ).get_json()["trial_id"]
    station.run_virtual(max_s=8)  # into recording
    stopped = client.post("/api/v1/stop").get_json()
    assert stopped == {"stopped": True, "trial_id": trial_id, "for_pain": False}
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


def test_a_stop_for_pain_ends_the_drill_keeps_its_data_and_records_where_it_hurts(client, station):
    """Issue 17: a stop for pain was logged as "stopped by the therapist". It is a STOP (same
    lane, never refused for its body); where it hurts is asked after and added to the reason."""
    patient = make_patient(client)
    trial_id = client.post(
        "/api/v1/trials", json={"patient_id": patient["id"], "drill": "quiet-stance"}
    ).get_json()["trial_id"]
    station.run_virtual(max_s=8)  # into recording
    stopped = client.post("/api/v1/stop", json={"for": "pain"}).get_json()
    assert stopped == {"stopped": True, "trial_id": trial_id, "for_pain": True}
    station.storage.flush()
    trial = client.get(f"/api/v1/trials/{trial_id}").get_json()
    assert (trial["state"], trial["reason"]) == ("aborted", "stopped for pain")
    assert trial["has_samples"] and trial["cues"][-1]["cue"] == "tone:stop"

    for where, text in ((" ", "say where it hurts"), ("x" * 81, "at most 80 characters")):
        refused = client.post(f"/api/v1/trials/{trial_id}/pain", json={"where": where})
        error = refused.get_json()["error"]
        assert refused.status_code == 400 and error["field"] == "where" and text in error["message"]
    noted = client.post(f"/api/v1/trials/{trial_id}/pain", json={"where": " Left\u00a0knee "})
    assert noted.status_code == 200 and noted.get_json()["reason"] == "stopped for pain: Left knee"
    page = client.get(f"/patients/{patient['id']}").get_data(as_text=True)
    assert "aborted \u2013 stopped for pain: Left knee" in page  # state \u2013 reason
    assert 'id="stop-pain"' in page and "Lower back" in page  # the one-tap places

    # a trial that was not stopped for pain takes no pain site; a plain STOP with any body
    # (malformed, or for something else) is a plain stop
    other = client.post(
        "/api/v1/trials", json={"patient_id": patient["id"], "drill": "quiet-stance"}
    ).get_json()["trial_id"]
    station.run_virtual(max_s=8)
    garbled = client.post("/api/v1/stop", data="{not json", content_type="application/json")
    assert garbled.get_json() == {"stopped": True, "trial_id": other, "for_pain": False}
    station.storage.flush()
    refused = client.post(f"/api/v1/trials/{other}/pain", json={"where": "knee"})
    assert refused.status_code == 400
    assert (
        "was not stopped for pain (stopped by the therapist)"
        in refused.get_json()["error"]["message"]
    )
    assert client.post("/api/v1/trials/nope/pain", json={"where": "knee"}).status_code == 404


def test_the_therapist_fails_an_mctsib_attempt_the_platform_cannot_judge(client, station):
    patient = make_patient(client)
    assert client.post("/api/v1/drill/failed-attempt").status_code == 409  # nothing running
    trial_id = client.post(
        "/api/v1/trials",
        json={"patient_id": patient["id"], "drill": "mctsib", "params": {"trial_s": 10}},
    ).get_json()["trial_id"]
    station.run_virtual(max_s=6)  # announce, settle, countdown: not yet recording
    live = client.get("/api/v1/status").get_json()["drill"]
    assert live["phase"] != "recording" and live["attempt_failable"] is False
    assert client.post("/api/v1/drill/failed-attempt").get_json() == {"marked": False}
    station.run_virtual(max_s=6)  # into the first attempt's recording
    assert client.get("/api/v1/status").get_json()["drill"]["attempt_failable"] is True
    assert client.post("/api/v1/drill/failed-attempt").get_json() == {"marked": True}
    live = client.get("/api/v1/status").get_json()["drill"]
    assert (live["condition"], live["attempt"]) == (1, 2)  # the attempt is repeated
    client.post("/api/v1/stop")
    station.storage.flush()
    log = client.get(f"/api/v1/trials/{trial_id}").get_json()["result"]["attempt_log"]
    assert log[0]["outcome"] == "marked failed by the therapist"


@pytest.mark.parametrize(
    "body, status, field, text",
    [
        ({"patient_id": 1, "drill": "moonwalk"}, 400, "drill", "no drill called 'moonwalk'"),
        (
            {"patient_id": 1, "drill": "quiet-stance", "params": {"duration_s": 1}},
            400,
            "params.duration_s",  # the panel shows it beside that field
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
    assert "expected a number, got &#39;abc&#39;" in response.get_data(as_text=True)
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


def test_simulated_faults_are_validated_and_show_in_health(tech_client, station):
    client = tech_client  # a technician tool
    bad = client.post("/api/v1/sim/fault", json={"device": "imu", "fault": "stall"})
    assert bad.status_code == 400
    assert bad.get_json()["error"]["message"] == (
        "the emulated IMU has no fault 'stall'; known: nack, all-ff, bit7-drop, nack-once, "
        "all-ff-once, bit7-drop-once, brownout, unplug, plug, clear"
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


def test_imu_zero_makes_the_current_tilt_the_reference(tech_client, station):
    client = tech_client  # a technician tool
    station.run_virtual(max_s=4.0, until_trial_ends=False)  # on the wobble board, tilted
    before = station.loop.last_frame
    assert abs(before.pitch_deg) + abs(before.roll_deg) > 0.05
    zero = client.post("/api/v1/imu/zero").get_json()
    assert zero["pitch_zero_deg"] == pytest.approx(before.pitch_deg, abs=0.5)
    station.run_virtual(max_s=0.05, until_trial_ends=False)  # the frames that follow
    frame = station.loop.last_frame
    assert abs(frame.pitch_deg) < 0.5 and abs(frame.roll_deg) < 0.5
    row = station.loop.last_frame
    assert 0 < row.load_left_pct < 100 and row.cop_ml_live_mm == row.cop_ml_live_mm


def test_the_patient_page_offers_every_drill_with_its_own_parameters(client):
    patient = make_patient(client)
    page = client.get(f"/patients/{patient['id']}").get_data(as_text=True)
    for name in ("quiet-stance", "mctsib", "limits-of-stability", "weight-bearing"):
        assert f'data-drill="{name}"' in page
    assert '<select id="single-leg-stance-leg" name="leg"' in page  # a choice is a menu
    css = client.get("/static/panel.css").get_data(as_text=True)
    assert "fieldset[hidden] { display: none; }" in css  # the others stay out of sight


def test_errors_answer_the_error_shape_also_when_too_large_or_unexpected(
    client, anon_client, station, monkeypatch, caplog
):
    big = client.post("/api/v1/patients", data="x" * (2 << 20), content_type="application/json")
    assert big.status_code == 413
    assert big.get_json() == {
        "error": {
            "code": "too_large",
            "message": "the request body is over the station's limit of 64 KiB",
        }
    }

    def broken(*args):
        raise RuntimeError("database on fire")

    monkeypatch.setattr(station.records, "list_patients", broken)
    with caplog.at_level(logging.ERROR, logger="webpanel.api"):
        crash = client.get("/api/v1/patients")
    assert crash.status_code == 500
    assert crash.get_json() == {
        "error": {
            "code": "internal",
            "message": "unexpected error in the station: see its log for details",
        }
    }
    assert "RuntimeError: database on fire" in caplog.text  # the traceback is in the log only
    others = [
        (anon_client.get("/api/v1/patients"), 401),
        (client.post("/api/v1/sim/fault", json={}), 403),  # technicians only
        (client.get("/api/v1/patients/77"), 404),
        (client.patch("/api/v1/patients"), 405),
        (client.post("/api/v1/patients", json={"name": ""}), 400),
    ]
    for response, status in others:
        assert response.status_code == status
        assert set(response.get_json()) == {"error"}
        assert {"code", "message"} <= set(response.get_json()["error"])


def test_the_live_stream_carries_the_drill_its_target_and_the_lights(client, station):
    patient = make_patient(client)
    started = client.post(
        "/api/v1/trials",
        json={"patient_id": patient["id"], "drill": "weight-shift", "params": {"countdown_s": 1}},
    ).get_json()
    for _ in range(100):  # until the first target is lit
        station.run_virtual(max_s=0.1, until_trial_ends=False)
        if station.drill_status()["phase"] == "recording":
            break
    response = client.get("/api/v1/live")
    data = next(chunk for chunk in response.response if chunk.startswith(b"data: "))
    response.close()
    message = json.loads(data[len(b"data: ") :])
    drill = message["drill"]
    assert drill["trial_id"] == started["trial_id"] and drill["phase"] == "recording"
    assert drill["direction"] == "left" and drill["elapsed_s"] > 2
    assert (drill["program_id"], drill["program_step"]) == (None, None)
    target = drill["target_zone"]  # 60 mm left of where the patient stood, 20 mm radius
    assert target["radius_mm"] == 20.0 and -75 < target["ml_mm"] < -45
    assert message["cues"]["lights"]["left"] is True  # the lit LED, as the patient sees it
    assert message["cues"]["status_colour"] == "green"
