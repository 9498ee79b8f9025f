"""Issue 19 with the real daemons: two stations (``balance-station run`` on simulated hardware,
each with its own database and panel) and the hub. A patient added on the tablet of room 1 is
trained in room 2 and the trial shows in room 1's history; /health says how the sync stands;
a station killed with SIGKILL and started again sends nothing twice; the hub killed with
SIGKILL leaves the rooms working, and what they did meanwhile arrives once it is back. Room 2
needs no first-run set-up: the technician set up on room 1 logs in there with the same
password."""

import signal
import socket

import pytest

from tests.faults.conftest import PASSWORD, wait_for
from tests.faults.test_processes import health

pytestmark = [pytest.mark.hub, pytest.mark.lean_station]


@pytest.fixture
def two_rooms(hub, spawn, until_healthy, panel_session, tmp_path):
    """Two running stations on ``hub``: {"room-1": Room, "room-2": Room}."""
    rooms = {}
    for n in (1, 2):
        name = f"room-{n}"
        settings = hub.add_station(name)
        folder = tmp_path / name
        folder.mkdir()
        rooms[name] = Room(settings, folder, spawn, until_healthy, panel_session)
    rooms["room-1"].set_up("tech")  # a new clinic: room 1 is set up first
    rooms["room-2"].log_in("tech")  # room 2 has the clinic's accounts: no set-up there
    return rooms


class Room:
    """A station daemon with a hub, and a technician's session on its panel."""

    def __init__(self, settings, folder, spawn, until_healthy, panel_session):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        self.config = folder / "station.toml"
        self.config.write_text(
            f'[station]\ndata_dir = "{folder / "data"}"\n[panel]\nport = {port}\n'
            "[sim]\nstep_on_at_s = 0.5\n"
            f'[hub]\nhost = "127.0.0.1"\nport = {settings.port}\n'
            f'database = "{settings.database}"\nstation_id = "{settings.station_id}"\n'
            f'password_file = "{settings.password_file}"\ninterval_s = 1.0\n'
        )
        self.base = f"http://127.0.0.1:{port}"
        self._spawn, self._until_healthy = spawn, until_healthy
        self.panel = panel_session(self.base)
        self.start()

    def set_up(self, username: str) -> None:
        """The first-run page: the clinic's first account, a technician's."""
        self.panel.load("/setup")
        form = {"username": username, "password": PASSWORD, "confirm": PASSWORD}
        assert self.panel.submit("/setup", form) == self.base + "/"
        self.panel.load("/")  # the page's CSRF token for the API calls

    def log_in(self, username: str) -> None:
        """Log in as ``username``, an account that comes from the hub: once this station has
        pulled something (/health needs no login; failed logins would be rate-limited)."""
        wait_for(lambda: health(self.base)["sync"]["pulled"] > 0, 30, f"{self.base} to pull")
        self.panel.load("/login")
        form = {"username": username, "password": PASSWORD}
        assert self.panel.submit("/login", form) == self.base + "/"
        self.panel.load("/")

    def start(self) -> None:
        self.proc = self._spawn("run", "--config", self.config)
        self._until_healthy(self.base, [self.proc], 60)

    def call(self, path: str, body: dict | None = None):
        return self.panel.call(path, body)

    def synced(self) -> dict:
        """/health's sync once nothing is waiting for the hub."""
        return wait_for(
            lambda: (s := self.call("/api/v1/health")["sync"])["state"] == "synced" and s,
            30,
            f"{self.base} to be synced",
        )


def patient_named(room: Room, name: str) -> dict | None:
    found = room.call(f"/api/v1/patients?search={name.split()[0]}")["patients"]
    return next((p for p in found if p["name"] == name), None)


def test_a_patient_added_in_room_1_is_trained_in_room_2_and_seen_in_both(two_rooms, hub):
    room1, room2 = two_rooms["room-1"], two_rooms["room-2"]
    added = room1.call("/api/v1/patients", {"name": "Rosa Fleet", "code": "RF-7"})
    there = wait_for(lambda: patient_named(room2, "Rosa Fleet"), 30, "room 2 to see the patient")
    assert there["code"] == "RF-7"

    body = {"patient_id": there["id"], "drill": "quiet-stance"}
    body["params"] = {"countdown_s": 0, "duration_s": 5}
    trial_id = room2.call("/api/v1/trials", body)["trial_id"]
    wait_for(
        lambda: room2.call(f"/api/v1/trials/{trial_id}")["state"] != "running", 40, "the trial"
    )
    seen = wait_for(
        lambda: [
            t
            for t in room1.call(f"/api/v1/patients/{added['id']}/trials")["trials"]
            if t["id"] == trial_id
        ],
        30,
        "room 1 to see room 2's trial",
    )
    assert seen[0]["state"] == "completed"
    result = room1.call(f"/api/v1/trials/{trial_id}")["result"]
    assert result["metrics"]["n_samples"] == 500
    page = room1.panel.load(f"/trials/{trial_id}")  # its page says where its samples are
    assert "Recorded on station room-2: its raw samples and charts are on that station" in page
    assert 'id="charts"' not in page
    assert 'id="metrics"' in page and 'id="norms"' in page  # its results, here

    for room in (room1, room2):
        state = room.synced()
        assert state["pending"] == 0 and state["last_error"] is None
        assert state["station_id"] in ("room-1", "room-2") and state["conflicts"] == 0

    page = room1.panel.load("/technician/hub")  # the technician's view of the fleet
    assert "in step with the hub" in page and "No open conflicts." in page
    assert "<code>room-1</code>" in page and "<code>room-2</code>" in page

    room2.proc.send_signal(signal.SIGKILL)  # a power cut in room 2, then it comes back
    room2.proc.wait(timeout=10)
    room2.start()
    room2.synced()
    assert hub.count("recorded", "trials") == 1 and hub.count("shared", "patients") == 1

    hub.cluster.stop(kill=True)  # the hub's machine loses power; the rooms go on
    try:
        later = room1.call("/api/v1/patients", {"name": "Luis Offline", "code": "LO-2"})
        down = wait_for(
            lambda: (s := health(room1.base)["sync"])["state"] == "offline" and s,
            30,
            "room 1 to see the hub gone",
        )
        assert down["pending"] >= 1 and "cannot reach the clinic hub" in down["last_error"]
        assert room1.call(f"/api/v1/patients/{later['id']}")["name"] == "Luis Offline"
    finally:
        hub.cluster.start()
    wait_for(lambda: patient_named(room2, "Luis Offline"), 90, "room 2 to get the new patient")
    room1.synced()
    for room in (room1, room2):
        room.proc.send_signal(signal.SIGTERM)
        assert room.proc.wait(timeout=30) == 0
        assert "Traceback" not in room.proc.stderr.read()
