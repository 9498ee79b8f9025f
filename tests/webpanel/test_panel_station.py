"""The panel as the panel process builds it: ``create_app(PanelStation)`` with its own handle
to the database and the core (a virtual-clock Station) behind its socket. The API answers as it
does in one process, and says so when the core does not answer."""

import json

import pytest

from station.clock import VirtualClock
from station.runtime.core_client import CoreClient
from station.runtime.core_server import CoreServer
from station.runtime.panel_station import PanelStation
from station.runtime.station import Station
from station.storage.database import Storage


@pytest.fixture
def core(sim_config, tmp_path):
    station = Station(sim_config, clock=VirtualClock(), db_path=tmp_path / "station.db")
    server = CoreServer(station, tmp_path / "core.sock")
    server.start()
    yield station, server
    server.close()
    station.close()


@pytest.fixture
def panel(core, sim_config, tmp_path):
    station = PanelStation(
        sim_config,
        Storage(tmp_path / "station.db", owner=False),
        CoreClient(tmp_path / "core.sock"),
    )
    station.start()
    yield station
    station.close()


@pytest.fixture
def therapist(panel, make_app, log_in, password):
    app = make_app(panel)
    app.extensions["accounts"].create("thea", password, "therapist")
    return log_in(app, "thea")


def test_the_panel_process_serves_what_one_process_did(therapist, core, panel):
    station, _ = core
    health = therapist.get("/api/v1/health").get_json()
    assert health["status"] == "ok" and health["loop"]["rate_hz"] == 100.0
    assert health["core"]["state"] == "connected" and health["panel"]["pid"] > 0
    patient = therapist.post("/api/v1/patients", json={"name": "Two Processes"}).get_json()
    body = {"patient_id": patient["id"], "drill": "weight-bearing", "params": {"limit_pct": 3}}
    refused = therapist.post("/api/v1/trials", json=body)
    assert refused.status_code == 400 and refused.get_json()["error"]["field"] == "params.limit_pct"
    started = therapist.post(
        "/api/v1/trials", json={"patient_id": patient["id"], "drill": "quiet-stance"}
    ).get_json()  # the core reads the patient the panel has just written
    assert therapist.get("/api/v1/status").get_json()["drill"]["trial_id"] == started["trial_id"]
    busy = therapist.post(
        "/api/v1/trials", json={"patient_id": patient["id"], "drill": "weight-shift"}
    )
    assert busy.status_code == 409 and busy.get_json()["error"]["code"] == "busy"
    stopped = therapist.post("/api/v1/stop").get_json()
    assert stopped == {"stopped": True, "trial_id": started["trial_id"], "for_pain": False}
    station.storage.flush()
    trial = therapist.get(f"/api/v1/trials/{started['trial_id']}").get_json()
    assert (trial["state"], trial["reason"]) == ("aborted", "stopped by the therapist")


def test_live_views_get_the_cores_messages(therapist):
    response = therapist.get("/api/v1/live")
    data = next(chunk for chunk in response.response if chunk.startswith(b"data: "))
    response.close()
    message = json.loads(data[len(b"data: ") :])
    assert {"frames", "drill", "cues", "instruction", "on_platform", "settled"} <= set(message)


def test_a_core_that_does_not_answer_is_said_so(therapist, core):
    _, server = core
    server.close()
    health = therapist.get("/api/v1/health")
    assert health.status_code == 503
    body = health.get_json()
    assert body["status"] == "unreachable" and body["core"]["state"] == "unreachable"
    assert "systemctl status balance-station" in body["message"]
    for response in (therapist.post("/api/v1/stop"), therapist.get("/api/v1/status")):
        assert response.status_code == 503
        assert response.get_json()["error"]["code"] == "core_unreachable"
    assert therapist.get("/api/v1/patients").status_code == 200  # records need no core
