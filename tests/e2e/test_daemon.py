"""End to end: the real daemon in a subprocess, driven over HTTP like the panel does."""

import http.cookiejar
import itertools
import json
import re
import signal
import sqlite3
import stat
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest

pytestmark = pytest.mark.e2e


class Panel:
    """A browser's session with the daemon's panel: it keeps the session cookie and sends the
    CSRF token of the page it last loaded, as the panel's pages do."""

    def __init__(self, base: str):
        self.base = base
        jar = urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        self.opener = urllib.request.build_opener(jar)
        self.token = ""

    def open(self, path, data=None, headers=None, timeout=10):
        request = urllib.request.Request(self.base + path, data=data, headers=headers or {})
        return self.opener.open(request, timeout=timeout)

    def load(self, path) -> str:
        """Load a page and keep its CSRF token (from its meta tag)."""
        with self.open(path) as response:
            page = response.read().decode()
        self.token = re.search(r'<meta name="csrf-token" content="([^"]+)">', page).group(1)
        return page

    def submit(self, path, fields: dict) -> str:
        """Post a form of the last page loaded; the URL the browser ends on."""
        data = urllib.parse.urlencode({**fields, "csrf_token": self.token}).encode()
        with self.open(path, data) as response:
            return response.url


def first_run_setup(panel, username, password):
    """Create the first account (a technician) as a browser does on the first start."""
    assert "create the first account" in panel.load("/setup")
    form = {"username": username, "password": password, "confirm": password}
    assert panel.submit("/setup", form) == panel.base + "/"
    panel.load("/")


def call(panel, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    headers = {"Content-Type": "application/json", "X-CSRFToken": panel.token}
    with panel.open(path, data, headers) as response:
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
def daemon(start_daemon, tmp_path):
    proc, base = start_daemon("[sim]\nstep_on_at_s = 0.5\nseed = 7\n")
    panel = Panel(base)
    first_run_setup(panel, "tech", "e2e station password")
    return proc, panel, tmp_path / "data" / "station.db"


def read_live_events(panel, count):
    events = []
    with panel.open("/api/v1/live") as stream:
        for raw in stream:
            line = raw.decode().strip()
            if line.startswith("data: "):
                events.append(json.loads(line[6:]))
                if len(events) == count:
                    return events
    return events


def test_quiet_stance_end_to_end_then_sigterm(daemon):
    proc, panel, db_path = daemon
    with pytest.raises(urllib.error.HTTPError) as refused:  # another browser, not logged in
        call(Panel(panel.base), "/api/v1/patients")
    assert refused.value.code == 401
    secret_key = db_path.parent / "panel-secret.key"
    assert stat.S_IMODE(secret_key.stat().st_mode) == 0o600
    patient = call(panel, "/api/v1/patients", {"name": "E2E Patient"})
    trial_id = call(
        panel,
        "/api/v1/trials",
        {"patient_id": patient["id"], "drill": "quiet-stance", "params": {"duration_s": 5}},
    )["trial_id"]
    events = read_live_events(panel, 5)
    frames = [f for e in events for f in e["frames"]]
    assert len(frames) > 10
    assert all(f[1] is not None for f in frames)  # the simulated patient is on: COP in mm
    assert events[-1]["drill"]["trial_id"] == trial_id

    trial = wait_for(
        lambda: (t := call(panel, f"/api/v1/trials/{trial_id}"))["state"] != "running" and t,
        40,
        "the trial to finish",
    )
    assert trial["state"] == "completed"
    assert trial["result"]["metrics"]["n_samples"] == 500
    cues = trial["cues"]
    assert [c["cue"] for c in cues] == [
        "status:blue",
        "status:amber",
        "say:eyes-open",
        "say:firm-surface",
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

    health = call(panel, "/api/v1/health")
    assert health["loop"]["rate_hz"] == 100.0 and health["loop"]["ticks"] > 500
    assert health["sync"] == {  # no [hub]: the station keeps its records to itself
        "state": "off",
        "message": "no clinic hub configured ([hub] host is empty)",
    }

    with panel.open("/api/v1/live") as stream:
        stream.readline()  # a panel is watching live while the station is stopped
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 0
        assert stream.read()  # the stream ended with the daemon instead of hanging it
    stderr = proc.stderr.read()
    assert "stopped cleanly" in stderr and "Traceback" not in stderr
    assert "did not stop" not in stderr and "still running" not in stderr
    # the panel starts beside the core, before the core listens: waiting for it is no fault
    assert "unreachable" not in stderr

    db = sqlite3.connect(db_path)
    state, samples, cue_json = db.execute(
        "SELECT state, length(samples), cues FROM trials WHERE id = ?", [trial_id]
    ).fetchone()
    assert state == "completed" and samples > 1000
    assert json.loads(cue_json) == cues


def test_step_off_mid_trial_aborts_and_keeps_data(daemon):
    proc, panel, _ = daemon
    patient = call(panel, "/api/v1/patients", {"name": "Steps Off"})
    trial_id = call(
        panel, "/api/v1/trials", {"patient_id": patient["id"], "drill": "quiet-stance"}
    )["trial_id"]
    wait_for(
        lambda: (call(panel, "/api/v1/status")["drill"] or {}).get("phase") == "recording",
        20,
        "recording to start",
    )
    time.sleep(1.0)
    call(panel, "/api/v1/sim/person", {"on_platform": False})
    trial = wait_for(
        lambda: (t := call(panel, f"/api/v1/trials/{trial_id}"))["state"] != "running" and t,
        10,
        "the trial to end",
    )
    assert trial["state"] == "aborted"
    assert trial["reason"] == "lost balance: stepped off the platform"
    assert trial["has_samples"] and trial["result"]["recorded_s"] >= 0.9
    assert [c["cue"] for c in trial["cues"]][-2:] == ["all-off", "tone:warning"]
    cue_state = call(panel, "/api/v1/health")["devices"]["cues"]
    assert not any(cue_state["lights"].values()) and cue_state["status_colour"] == "off"
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=15) == 0


def test_sensor_unplugged_mid_trial_aborts_it_and_the_daemon_recovers(daemon):
    proc, panel, _ = daemon
    patient = call(panel, "/api/v1/patients", {"name": "Pulled Cable"})
    trial_id = call(
        panel, "/api/v1/trials", {"patient_id": patient["id"], "drill": "quiet-stance"}
    )["trial_id"]
    wait_for(
        lambda: (call(panel, "/api/v1/status")["drill"] or {}).get("phase") == "recording",
        20,
        "recording to start",
    )
    call(panel, "/api/v1/sim/fault", {"device": "back-right", "fault": "unplug"})
    call(panel, "/api/v1/sim/fault", {"device": "imu", "fault": "bit7-drop"})
    trial = wait_for(
        lambda: (t := call(panel, f"/api/v1/trials/{trial_id}"))["state"] != "running" and t,
        10,
        "the trial to end",
    )
    assert trial["state"] == "aborted"
    assert trial["reason"].startswith("load cells stopped sending samples (sensor fault: ")
    assert "back-right" in trial["reason"]
    assert trial["has_samples"] and trial["result"]["recorded_s"] > 0
    health = wait_for(
        lambda: (h := call(panel, "/api/v1/health"))["devices"]["imu"]["faults"] and h,
        5,
        "the IMU fault to be counted",
    )
    assert health["status"] == "degraded"
    assert health["devices"]["loadcells"]["state"] == "recovering"
    assert health["devices"]["imu"]["faults"]["bad-data"] >= 1
    # the chips answer again: both are back within 2 s
    call(panel, "/api/v1/sim/fault", {"device": "back-right", "fault": "plug"})
    call(panel, "/api/v1/sim/fault", {"device": "imu", "fault": "clear"})
    answered = time.monotonic()
    while call(panel, "/api/v1/health")["status"] != "ok":
        assert time.monotonic() - answered < 2.0, call(panel, "/api/v1/health")["devices"]
        time.sleep(0.05)
    assert call(panel, "/api/v1/health")["loop"]["late_ticks"] < 10
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=15) == 0
    stderr = proc.stderr.read()
    assert "load cells recovered after" in stderr and "IMU recovered after" in stderr
    assert "Traceback" not in stderr


def test_a_spanish_speaking_patients_trial_is_spoken_in_spanish(daemon):
    """The daemon on simulated hardware renders each phrase with espeak-ng into the speech
    cache beside the database and logs it as said (no sound card): the files are measured
    with sox."""
    proc, panel, db_path = daemon
    patient = call(panel, "/api/v1/patients", {"name": "Rosa Díaz", "language": "es"})
    trial_id = call(
        panel,
        "/api/v1/trials",
        {"patient_id": patient["id"], "drill": "quiet-stance", "params": {"duration_s": 5}},
    )["trial_id"]
    trial = wait_for(
        lambda: (t := call(panel, f"/api/v1/trials/{trial_id}"))["state"] != "running" and t,
        40,
        "the trial to finish",
    )
    assert trial["state"] == "completed"
    speech = call(panel, "/api/v1/status")["speech"]
    assert speech["language"] == "es" and speech["errors"] == 0
    assert speech["last"] == {"text": "Muy bien.", "language": "es"}
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=15) == 0
    said = re.findall(r"said '([^']+)' \(es, ([\d.]+) s, (\w+\.wav)\)", proc.stderr.read())
    assert [text for text, _, _ in said] == [
        "Mantenga los ojos abiertos, mirando un punto al frente.",
        "Párese directamente sobre la plataforma (quite el cojín de espuma o el disco de "
        "equilibrio).",
        "Tres",
        "Dos",
        "Uno",
        "Comience.",
        "Muy bien.",
    ]
    for text, seconds, name in said:
        stat_out = subprocess.run(
            ["sox", str(db_path.parent / "speech" / name), "-n", "stat"],
            capture_output=True,
            text=True,
            check=True,
        ).stderr
        rms = float(re.search(r"RMS\s+amplitude:\s+([\d.]+)", stat_out)[1])
        length = float(re.search(r"Length \(seconds\):\s+([\d.]+)", stat_out)[1])
        assert rms > 0.03 and length == pytest.approx(float(seconds), abs=0.01), text
