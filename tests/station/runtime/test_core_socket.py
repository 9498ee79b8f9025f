"""The core's socket between a Station (virtual clock, database in memory) and the panel's side
of it: commands and their errors, STOP on its own lane, the live relay, and the core going
away and coming back as the panel sees it."""

import json
import threading
import time

import pytest

from station.errors import (
    BusyError,
    ConflictError,
    CoreUnavailableError,
    NotFoundError,
    StationError,
)
from station.runtime.core_client import CoreClient
from station.runtime.core_server import CoreServer
from station.runtime.live import LiveFeed
from station.runtime.protocol import Connection


@pytest.fixture
def sock(tmp_path):
    return tmp_path / "core.sock"


@pytest.fixture
def core(station, sock):
    server = CoreServer(station, sock)
    server.start()
    yield server
    server.close()


@pytest.fixture
def client(core, sock):
    client = CoreClient(sock)
    yield client
    client.close()


def wait_for(predicate, timeout_s=5.0):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if value := predicate():
            return value
        time.sleep(0.02)
    raise AssertionError("timed out")


def test_commands_answer_and_errors_keep_their_kind_and_field(station, client):
    patient = station.records.create_patient({"name": "Socket Test"})
    assert client.call("status")["loop"]["rate_hz"] == 100.0
    assert client.state()["state"] == "connected"
    with pytest.raises(NotFoundError, match="no patient with id 999"):
        client.call("start_drill", {"patient_id": 999, "drill": "quiet-stance"})
    with pytest.raises(StationError, match=r"no drill called .juggling.") as bad:
        client.call("start_drill", {"patient_id": patient["id"], "drill": "juggling"})
    assert bad.value.field == "drill"  # the API answers 400 naming the field, as in-process
    started = client.call("start_drill", {"patient_id": patient["id"], "drill": "quiet-stance"})
    assert station.drill_status()["trial_id"] == started["trial_id"]
    with pytest.raises(BusyError, match="quiet-stance is running"):
        client.call("start_drill", {"patient_id": patient["id"], "drill": "quiet-stance"})
    with pytest.raises(ConflictError, match="no calibration wizard is open"):
        client.call("wizard.measure")  # 409 conflict in the API, as in-process
    with pytest.raises(BusyError, match="no attempt to mark as failed: quiet-stance has none"):
        client.call("mark_failed")  # the live view's "failed attempt" reaches the loop


def test_stop_has_its_own_lane_and_never_waits_behind_a_command(station, client):
    patient = station.records.create_patient({"name": "Stop Lane"})
    started = client.call("start_drill", {"patient_id": patient["id"], "drill": "quiet-stance"})
    release = threading.Event()
    station.zero_tilt = lambda: release.wait(10) and {}  # a command that hangs in the core
    busy = threading.Thread(target=client.call, args=("zero_tilt", None, 15.0))
    busy.start()
    try:
        stopped = client.stop("stopped by the therapist")
        assert stopped == {"stopped": True, "trial_id": started["trial_id"]}  # for the audit
        assert station.drill_status() is None  # while the other command still waits
        assert busy.is_alive()
    finally:
        release.set()
        busy.join()
    station.storage.flush()
    trials = station.results.list_trials(patient["id"])
    assert (trials[0]["state"], trials[0]["reason"]) == ("aborted", "stopped by the therapist")
    assert station.status()["cues_off_at_s"] is not None  # when the stop took effect


def test_the_live_relay_shows_the_core_going_and_coming_back(station, sock, core):
    client = CoreClient(sock)
    feed = LiveFeed()
    subscription = feed.subscribe()
    client.start_relay(feed)
    try:
        message = json.loads(wait_for(lambda: subscription.wait(0.5))[0])
        assert {"frames", "drill", "cues", "on_platform"} <= set(message)
        first = client.state()
        assert first["state"] == "connected" and first["restarts"] == 0

        core.close()  # the core stops (or crashes)
        gone = wait_for(lambda: [m for m in map(json.loads, subscription.wait(0.5)) if "core" in m])
        assert gone[0]["core"]["state"] == "unreachable" and gone[0]["frames"] == []
        with pytest.raises(CoreUnavailableError, match="not answering"):
            client.call("status")
        with pytest.raises(CoreUnavailableError):
            client.stop("stopped by the therapist")

        again = CoreServer(station, sock)  # a new core on the same socket
        again.start()
        try:
            wait_for(lambda: client.state()["state"] == "connected")
            state = client.state()
            assert state["restarts"] == 1 and state["restarted_at"] is not None
            assert state["id"] == again.identity["id"] != first["id"]
            assert client.call("status")["loop"]["rate_hz"] == 100.0  # no stale connection
            assert client.stop("stopped by the therapist") == {"stopped": True, "trial_id": None}
        finally:
            again.close()
    finally:
        client.close()


def test_a_lane_is_named_and_capped(core, sock):
    wrong = Connection.open(sock, 1.0)
    wrong.send({"lane": "gossip"})
    assert "unknown lane" in wrong.receive(2.0)["error"]["message"]
    wrong.close()
    stops = [Connection.open(sock, 1.0) for _ in range(3)]
    answers = []
    for connection in stops:
        connection.send({"lane": "stop"})
        answers.append(connection.receive(2.0))
        assert stops  # connections stay open: each counts
    assert [a["ok"] for a in answers] == [True, True, False]
    assert "2 stop connections open" in answers[2]["error"]["message"]
    for connection in stops:
        connection.close()
