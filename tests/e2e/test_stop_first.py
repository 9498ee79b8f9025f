"""STOP first, on the real daemon: with as many live views open as the panel allows (one more is
refused with 503, per account and in all), STOP answers and the running drill ends as stopped
by the therapist; the live views go on and show it."""

import json
import signal
import time

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.lean_station]

PASSWORD = "stop first password"
SIM = "[sim]\nstep_on_at_s = 0.5\nseed = 7\n"
CAPS = "threads = 2\nlive_streams = 4\nlive_streams_per_account = 2\n"


def logged_in(panel_session, base, username):
    session = panel_session(base)
    session.load("/login")
    session.submit("/login", {"username": username, "password": PASSWORD})
    session.load("/")
    return session


def open_stream(session):
    """A live view: the stream once its first line has come (its server thread is taken)."""
    stream = session.open("/api/v1/live")
    assert stream.readline().startswith(b"retry:")
    return stream


def next_event(stream) -> dict:
    for raw in stream:
        if raw.startswith(b"data: "):
            return json.loads(raw[6:])
    raise AssertionError("the stream ended")


def wait_for(predicate, timeout_s, what):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if value := predicate():
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")


def test_stop_answers_with_every_live_stream_the_panel_allows_open(start_daemon, panel_session):
    proc, base = start_daemon(SIM, panel_toml=CAPS)
    tech = panel_session(base)
    tech.load("/setup")
    tech.submit("/setup", {"username": "tech", "password": PASSWORD, "confirm": PASSWORD})
    tech.load("/accounts")
    tech.submit("/accounts", {"username": "thea", "password": PASSWORD, "role": "therapist"})
    thea = logged_in(panel_session, base, "thea")
    patient = thea.call("/api/v1/patients", {"name": "Stop First"})
    body = {"patient_id": patient["id"], "drill": "quiet-stance", "params": {"duration_s": 30}}
    trial_id = thea.call("/api/v1/trials", body)["trial_id"]
    wait_for(
        lambda: (thea.call("/api/v1/status")["drill"] or {}).get("phase") == "recording",
        20,
        "the drill to record",
    )

    streams = [open_stream(thea), open_stream(thea)]  # a tablet and the patient display
    status, error = thea.error("/api/v1/live")
    assert (status, error["code"]) == (503, "too_many_streams")
    assert "this account already has 2 live views open" in error["message"]
    streams += [open_stream(tech), open_stream(tech)]
    status, error = logged_in(panel_session, base, "tech").error("/api/v1/live")
    assert (status, error["code"]) == (503, "too_many_streams")
    assert "already serves 4 live views" in error["message"]

    stopped = thea.call("/api/v1/stop", {})
    assert stopped == {"stopped": True, "trial_id": trial_id, "for_pain": False}
    trial = wait_for(
        lambda: (t := thea.call(f"/api/v1/trials/{trial_id}"))["state"] != "running" and t,
        10,
        "the trial to end",
    )
    assert (trial["state"], trial["reason"]) == ("aborted", "stopped by the therapist")
    assert [c["cue"] for c in trial["cues"]][-2:] == ["all-off", "tone:stop"]
    assert trial["has_samples"]
    # The stream's backlog since it opened comes first (~20 messages a second): read on, with
    # no pause, until a message shows no drill running any more.
    deadline = time.monotonic() + 10
    while next_event(streams[0])["drill"] is not None:
        assert time.monotonic() < deadline, "the live view still shows the drill after 10 s"

    for stream in streams:
        stream.close()
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=20) == 0
    log = proc.stderr.read()
    assert "stopped by the therapist" in log and "Traceback" not in log
