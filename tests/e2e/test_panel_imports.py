"""The panel process imports nothing of hw, checked on a running panel: a core runs apart, and a
panel built as ``balance-station panel`` builds it serves every page and API route a
technician can open (and a drill, a calibration wizard, a live view) before its modules are
listed. It starts without scipy too (``sensing.libraries``)."""

import json
import subprocess
import sys
import time

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.lean_station]

PANEL = r"""
import json, sys
from pathlib import Path
from argon2 import PasswordHasher
from argon2.profiles import CHEAPEST
from station.config import load_config
from station.runtime.core_client import CoreClient
from station.runtime.panel_station import PanelStation
from station.runtime.protocol import socket_path
from station.storage.database import Storage
from webpanel.app import create_app

config = load_config(Path(sys.argv[1]), amplifiers=None)  # as balance-station panel reads it
storage = Storage(config.station.data_dir / "station.db", owner=False)
station = PanelStation(config, storage, CoreClient(socket_path(config)))
station.start()
cheap = PasswordHasher.from_parameters(CHEAPEST)
app = create_app(station, {"WTF_CSRF_ENABLED": False, "PASSWORD_HASHER": cheap})
scipy_at_start = sorted(m for m in sys.modules if m.split(".")[0] == "scipy")
app.extensions["accounts"].create("tech", "a long password", "technician")
client = app.test_client()
client.post("/login", data={"username": "tech", "password": "a long password"})
patient = client.post("/api/v1/patients", json={"name": "Imports"}).get_json()
trial = client.post(
    "/api/v1/trials", json={"patient_id": patient["id"], "drill": "quiet-stance"}
).get_json()
assert "trial_id" in trial, trial
client.post("/api/v1/stop")
client.post(f"/patients/{patient['id']}/evaluations")  # program 1, an evaluation
client.post("/api/v1/technician/calibration", json={"mode": "check"})
client.delete("/api/v1/technician/calibration")
ids = {"patient_id": patient["id"], "trial_id": trial["trial_id"], "visit_id": 1,
       "program_id": 1, "evaluation_id": 1, "step": 0}
statuses = {}
for rule in app.url_map.iter_rules():
    if "GET" not in rule.methods or rule.endpoint in ("static", "api.live"):
        continue
    path = rule.rule
    for name in rule.arguments:
        path = path.replace(f"<int:{name}>", str(ids[name])).replace(f"<{name}>", str(ids[name]))
    statuses[path] = client.get(path).status_code
live = client.get("/api/v1/live")
next(chunk for chunk in live.response if chunk.startswith(b"data: "))
live.close()
station.close()
print(json.dumps({
    "hw": sorted(m for m in sys.modules if m.split(".")[0] == "hw"),
    "scipy_at_start": scipy_at_start,
    "statuses": statuses,
}))
"""


def test_a_panel_that_served_every_page_has_imported_nothing_of_hw(daemon_config, spawn, tmp_path):
    config, _ = daemon_config("[sim]\nstep_on_at_s = 0.5\n")
    core = spawn("core", "--config", config)
    socket, deadline = tmp_path / "data" / "core.sock", time.monotonic() + 30
    while not socket.exists():
        assert core.poll() is None and time.monotonic() < deadline, "the core did not start"
        time.sleep(0.1)
    panel = subprocess.run(
        [sys.executable, "-c", PANEL, str(config)], capture_output=True, text=True, timeout=120
    )
    assert panel.returncode == 0, panel.stderr
    report = json.loads(panel.stdout.splitlines()[-1])
    assert report["hw"] == []
    assert report["scipy_at_start"] == []  # loaded when a page first computes (sensing.libraries)
    served = report["statuses"]
    assert len(served) > 25 and all(status < 500 for status in served.values()), served
