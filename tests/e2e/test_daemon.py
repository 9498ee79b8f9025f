"""End to end: the real daemon in a subprocess, driven over HTTP like the panel does."""

import itertools
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request

import pytest

pytestmark = pytest.mark.e2e


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(base, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        base + path, data=data, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def wait_for(predicate, timeout_s, what):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def daemon(tmp_path):
    port = free_port()
    config = tmp_path / "station.toml"
    config.write_text(
        f'[station]\ndata_dir = "{tmp_path / "data"}"\n[panel]\nport = {port}\n'
        "[sim]\nstep_on_at_s = 0.5\nseed = 7\n"
    )
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "station", "run", "--config", str(config)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    base = f"http://127.0.0.1:{port}"

    def healthy():
        if proc.poll() is not None:
            raise AssertionError(f"daemon exited: {proc.stderr.read()}")
        try:
            return call(base, "/api/v1/health")["status"] == "ok"
        except OSError:
            return False

    wait_for(healthy, 30, "the daemon to answer /api/v1/health")
    yield proc, base, tmp_path / "data" / "station.db"
    if proc.poll() is None:
        proc.kill()
        proc.wait()


def read_live_events(base, count):
    events = []
    with urllib.request.urlopen(base + "/api/v1/live", timeout=10) as stream:
        for raw in stream:
            line = raw.decode().strip()
            if line.startswith("data: "):
                events.append(json.loads(line[6:]))
                if len(events) == count:
                    return events
    return events


def test_quiet_stance_end_to_end_then_sigterm(daemon):
    proc, base, db_path = daemon
    patient = call(base, "/api/v1/patients", {"name": "E2E Patient"})
    trial_id = call(
        base,
        "/api/v1/trials",
        {"patient_id": patient["id"], "drill": "quiet-stance", "params": {"duration_s": 5}},
    )["trial_id"]
    events = read_live_events(base, 5)
    frames = [f for e in events for f in e["frames"]]
    assert len(frames) > 10
    assert all(f[1] is not None for f in frames)  # the simulated patient is on: COP in mm
    assert events[-1]["drill"]["trial_id"] == trial_id

    trial = wait_for(
        lambda: (t := call(base, f"/api/v1/trials/{trial_id}"))["state"] != "running" and t,
        40,
        "the trial to finish",
    )
    assert trial["state"] == "completed"
    assert trial["result"]["metrics"]["n_samples"] == 500
    cues = trial["cues"]
    assert [c["cue"] for c in cues] == [
        "status:blue",
        "status:amber",
        "tone:countdown",
        "tone:countdown",
        "tone:countdown",
        "tone:start",
        "status:green",
        "status:off",
        "tone:success",
    ]
    t = [c["t_s"] for c in cues if c["cue"].startswith("tone:")]
    # one beep a second, then recording for 5 s; in real time each cue lands on a 10 ms tick
    one_tick = 0.0101
    assert [b - a for a, b in itertools.pairwise(t[:4])] == [pytest.approx(1.0, abs=one_tick)] * 3
    assert t[4] - t[3] == pytest.approx(5.0, abs=one_tick)

    health = call(base, "/api/v1/health")
    assert health["loop"]["rate_hz"] == 100.0 and health["loop"]["ticks"] > 500

    with urllib.request.urlopen(base + "/api/v1/live", timeout=10) as stream:
        stream.readline()  # a panel is watching live while the station is stopped
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 0
        assert stream.read()  # the stream ended with the daemon instead of hanging it
    stderr = proc.stderr.read()
    assert "stopped cleanly" in stderr and "Traceback" not in stderr
    assert "did not stop" not in stderr and "still running" not in stderr

    db = sqlite3.connect(db_path)
    state, samples, cue_json = db.execute(
        "SELECT state, length(samples), cues FROM trials WHERE id = ?", [trial_id]
    ).fetchone()
    assert state == "completed" and samples > 1000
    assert json.loads(cue_json) == cues


def test_step_off_mid_trial_aborts_and_keeps_data(daemon):
    proc, base, _ = daemon
    patient = call(base, "/api/v1/patients", {"name": "Steps Off"})
    trial_id = call(base, "/api/v1/trials", {"patient_id": patient["id"], "drill": "quiet-stance"})[
        "trial_id"
    ]
    wait_for(
        lambda: (call(base, "/api/v1/status")["drill"] or {}).get("phase") == "recording",
        20,
        "recording to start",
    )
    time.sleep(1.0)
    call(base, "/api/v1/sim/person", {"on_platform": False})
    trial = wait_for(
        lambda: (t := call(base, f"/api/v1/trials/{trial_id}"))["state"] != "running" and t,
        10,
        "the trial to end",
    )
    assert trial["state"] == "aborted"
    assert trial["reason"] == "patient stepped off the platform"
    assert trial["has_samples"] and trial["result"]["recorded_s"] >= 0.9
    assert [c["cue"] for c in trial["cues"]][-2:] == ["all-off", "tone:warning"]
    cue_state = call(base, "/api/v1/health")["devices"]["cues"]
    assert not any(cue_state["lights"].values()) and cue_state["status_colour"] == "off"
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=15) == 0


def test_sensor_unplugged_mid_trial_aborts_it_and_the_daemon_recovers(daemon):
    proc, base, _ = daemon
    patient = call(base, "/api/v1/patients", {"name": "Pulled Cable"})
    trial_id = call(base, "/api/v1/trials", {"patient_id": patient["id"], "drill": "quiet-stance"})[
        "trial_id"
    ]
    wait_for(
        lambda: (call(base, "/api/v1/status")["drill"] or {}).get("phase") == "recording",
        20,
        "recording to start",
    )
    call(base, "/api/v1/sim/fault", {"device": "back-right", "fault": "unplug"})
    call(base, "/api/v1/sim/fault", {"device": "imu", "fault": "bit7-drop"})
    trial = wait_for(
        lambda: (t := call(base, f"/api/v1/trials/{trial_id}"))["state"] != "running" and t,
        10,
        "the trial to end",
    )
    assert trial["state"] == "aborted"
    assert trial["reason"].startswith("load cells stopped sending samples (sensor fault: ")
    assert "back-right" in trial["reason"]
    assert trial["has_samples"] and trial["result"]["recorded_s"] > 0
    health = wait_for(
        lambda: (h := call(base, "/api/v1/health"))["devices"]["imu"]["faults"] and h,
        5,
        "the IMU fault to be counted",
    )
    assert health["status"] == "degraded"
    assert health["devices"]["loadcells"]["state"] == "recovering"
    assert health["devices"]["imu"]["faults"]["bad-data"] >= 1
    # the chips answer again: both are back within 2 s
    call(base, "/api/v1/sim/fault", {"device": "back-right", "fault": "plug"})
    call(base, "/api/v1/sim/fault", {"device": "imu", "fault": "clear"})
    answered = time.monotonic()
    while call(base, "/api/v1/health")["status"] != "ok":
        assert time.monotonic() - answered < 2.0, call(base, "/api/v1/health")["devices"]
        time.sleep(0.05)
    assert call(base, "/api/v1/health")["loop"]["late_ticks"] < 10
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=15) == 0
    stderr = proc.stderr.read()
    assert "load cells recovered after" in stderr and "IMU recovered after" in stderr
    assert "Traceback" not in stderr
