"""Issue 19, item 6: the technician sees the fleet and the conflicts on the panel, and marks
a conflict resolved with what was done; the hub keeps who resolved it and from which station,
and the station's audit trail has it."""

import re

import pytest
from argon2 import PasswordHasher
from argon2.profiles import CHEAPEST

from webpanel.app import create_app

pytestmark = pytest.mark.hub

PASSWORD = "fleet page password"
MARTA = {"name": "Marta Fleet", "code": "MF-1", "height_cm": 162, "weight_kg": 61}


def technician_client(room):
    """A logged-in technician's test client of ``room``'s panel, its agent attached."""
    room.station.sync_agent = room.agent
    hasher = PasswordHasher.from_parameters(CHEAPEST)
    app = create_app(room.station, {"TESTING": True, "PASSWORD_HASHER": hasher})
    app.config["WTF_CSRF_ENABLED"] = False
    app.extensions["accounts"].create("tess", PASSWORD, "technician")
    client = app.test_client()
    client.post("/login", data={"username": "tess", "password": PASSWORD})
    return app, client


def test_a_technician_sees_the_conflict_and_marks_it_resolved(hub, stations):
    room1, room2 = stations(2)
    created = room1.records.create_patient(MARTA)
    room1.sync()
    room2.sync()
    room1.records.update_patient(created["id"], {**MARTA, "weight_kg": 63})
    there = room2.patient_by_code("MF-1")["id"]
    room2.records.update_patient(there, {**MARTA, "weight_kg": 59})
    room1.sync()
    room2.sync()  # a conflict: room 1's edit reached the hub first
    app, client = technician_client(room2)

    page = client.get("/technician/hub").get_data(as_text=True)
    assert "in step with the hub" in page and "<code>room-1</code>" in page
    conflict_id = int(re.search(r"/technician/hub/conflicts/(\d+)/resolved", page).group(1))
    assert "the hub&#39;s version was kept" in page

    empty = client.post(f"/technician/hub/conflicts/{conflict_id}/resolved", data={"note": " "})
    assert empty.status_code == 303
    assert "Say in up to 200 characters" in client.get("/technician/hub").get_data(as_text=True)

    note = "weighed her again: 63 kg is right"
    done = client.post(f"/technician/hub/conflicts/{conflict_id}/resolved", data={"note": note})
    assert done.status_code == 303
    page = client.get("/technician/hub").get_data(as_text=True)
    assert f"Conflict {conflict_id} marked resolved." in page and "No open conflicts." in page
    with hub.admin() as conn:
        row = conn.execute(
            "SELECT resolved_by, resolution, resolved_at FROM conflicts WHERE id = %s",
            [conflict_id],
        ).fetchone()
    assert row[0] == "room-2" and row[1] == f"tess: {note}" and row[2] is not None
    audited = app.extensions["accounts"].recent_audit(5, username="tess")
    assert any(
        e["action"] == "hub-conflict-resolved" and e["target"] == f"conflict {conflict_id}"
        for e in audited
    )

    again = client.post(f"/technician/hub/conflicts/{conflict_id}/resolved", data={"note": note})
    assert again.status_code == 303
    assert "is not open: resolved already" in client.get("/technician/hub").get_data(as_text=True)
