"""The core and the panel are separate processes. The panel killed mid-trial (SIGKILL: no
shutdown code runs) never touches the trial, and ``run`` starts it again; a core that dies and
comes back is shown on the panel, which reconnects by itself; a station stopped with tablets
connected stops at once."""

import http.client
import json
import os
import signal
import urllib.error
import urllib.request

import pytest

pytestmark = [pytest.mark.faults, pytest.mark.lean_station]


def health(base: str) -> dict | None:
    """/api/v1/health's body (also a 503's); None while nothing answers."""
    try:
        with urllib.request.urlopen(base + "/api/v1/health", timeout=2) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as error:
        return json.loads(error.read())
    except OSError:
        return None


def test_the_panel_killed_mid_trial_never_touches_the_trial(daemon):
    before = daemon.pids()
    trial_id = daemon.start_trial("quiet-stance", duration_s=5)

    os.kill(before["panel"], signal.SIGKILL)
    after = daemon.wait_for(
        lambda: (h := health(daemon.panel.base)) and h["status"] == "ok" and h,
        30,
        "run to start the panel again",
    )
    assert after["panel"]["pid"] != before["panel"]
    assert after["core"]["pid"] == before["core"] and after["core"]["restarts"] == 0

    trial = daemon.ended(trial_id)  # the same session: the new panel reads the same key
    assert trial["state"] == "completed" and trial["reason"] is None
    assert trial["result"]["metrics"]["n_samples"] == 500  # 5 s at 100 Hz, nothing missing
    assert trial["result"]["quality"]["ok"], trial["result"]["quality"]["flags"]

    daemon.proc.send_signal(signal.SIGTERM)
    assert daemon.proc.wait(timeout=20) == 0
    log = daemon.proc.stderr.read()
    killed = f"the panel process (pid {before['panel']}) ended unexpectedly (killed by SIGKILL)"
    assert killed in log and "the core and any running trial go on" in log
    assert "stopped cleanly" in log and "Traceback" not in log


def test_a_core_restart_is_shown_on_the_panel_which_reconnects(split_daemon):
    daemon = split_daemon
    first = daemon.call("/api/v1/health")["core"]
    assert first["state"] == "connected" and first["restarts"] == 0

    daemon.proc.send_signal(signal.SIGKILL)
    daemon.proc.wait(timeout=10)
    down = daemon.wait_for(
        lambda: (h := health(daemon.panel.base)) and h["status"] == "unreachable" and h,
        10,
        "the panel to see the core gone",
    )
    assert down["core"]["state"] == "unreachable" and down["core"]["since"]
    assert "not answering (since" in down["message"]
    status, error = daemon.error("/api/v1/stop", {})
    assert status == 503 and error["code"] == "core_unreachable"
    with daemon.panel.open("/api/v1/live") as stream:  # the live view says so too
        told = next(
            json.loads(line[6:])
            for line in map(bytes.decode, stream)
            if line.startswith("data: ") and "core" in json.loads(line[6:])
        )
    assert told["core"]["state"] == "unreachable" and told["frames"] == []
    assert daemon.call("/api/v1/patients")["patients"]  # records need no core

    daemon.restart()  # a new core; the panel was never restarted
    up = daemon.call("/api/v1/health")["core"]
    assert up["state"] == "connected" and up["restarts"] == 1 and up["restarted_at"]
    assert up["pid"] == daemon.proc.pid != first["pid"]
    assert daemon.call("/api/v1/health")["panel"]["pid"] == daemon.panel_proc.pid
    again = daemon.ended(daemon.start_trial("quiet-stance", duration_s=5))
    assert again["state"] == "completed"

    for proc in (daemon.panel_proc, daemon.proc):
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0
    panel_log = daemon.panel_proc.stderr.read()
    assert "the station's core is unreachable" in panel_log
    assert "the station's core restarted" in panel_log and "Traceback" not in panel_log


def test_a_station_stopped_with_connections_open_stops_without_waiting_for_them(daemon):
    """Issue 15, finding 11: every shutdown waited 5 s for the panel's server thread, which
    kept serving the tablets' keep-alive connections after its listener had closed."""
    port = int(daemon.panel.base.rsplit(":", 1)[1])
    tablets = [http.client.HTTPConnection("127.0.0.1", port, timeout=5) for _ in range(3)]
    for tablet in tablets:
        tablet.request("GET", "/api/v1/health")
        tablet.getresponse().read()  # answered; the connection stays open, as a browser's does
    daemon.proc.send_signal(signal.SIGTERM)
    assert daemon.proc.wait(timeout=20) == 0
    log = daemon.proc.stderr.read()
    assert "stopped cleanly" in log and "panel stopped" in log
    assert "did not stop" not in log and "still running" not in log
    for tablet in tablets:
        tablet.close()
