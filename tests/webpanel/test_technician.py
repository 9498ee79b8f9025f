"""The technician's pages and their API: diagnostics, the calibration wizard end to end in
simulation, recent log lines by level, and the effective configuration; therapists get 403."""

import logging
from pathlib import Path

import pytest

from hw.sim.platform import true_calibration
from station.runtime.logs import RecentLines
from station.storage.migrations import MIGRATIONS
from webpanel.technician import shown_value

PAGES = {
    "/technician": "Diagnostics",
    "/technician/calibration": "Calibration wizard",
    "/technician/logs": "Recent log lines",
    "/technician/config": "Effective configuration",
}
API = "/api/v1/technician"


@pytest.fixture
def recent_lines():
    """A RecentLines handler on the root logger, as the daemon's logging set-up installs."""
    handler = RecentLines()
    root = logging.getLogger()
    root.addHandler(handler)
    yield handler
    root.removeHandler(handler)


def test_technicians_see_the_pages_and_the_nav_link(tech_client):
    for url, heading in PAGES.items():
        response = tech_client.get(url)
        assert response.status_code == 200, url
        page = response.get_data(as_text=True)
        assert heading in page and 'href="/technician"' in page, url
        assert 'aria-current="page"' in page  # the page's own tab in the technician menu


def test_therapists_are_refused_and_see_no_link(client):
    for url in [*PAGES, f"{API}/diagnostics", f"{API}/calibration", f"{API}/logs"]:
        assert client.get(url).status_code == 403, url
    assert client.post(f"{API}/calibration", json={}).status_code == 403
    assert 'href="/technician"' not in client.get("/").get_data(as_text=True)


def test_diagnostics_have_what_a_technician_checks(tech_client, station):
    station.run_virtual(2, until_trial_ends=False)
    d = tech_client.get(f"{API}/diagnostics").get_json()
    assert d["version"] and d["hardware"] == "sim" and d["simulated"] is True
    assert d["schema_version"] == {"current": len(MIGRATIONS), "latest": len(MIGRATIONS)}
    loop = d["loop"]
    assert loop["rate_hz"] == 100.0 and loop["measured_rate_hz"] == pytest.approx(100.0)
    assert loop["ticks"] == 200 and loop["late_ticks"] == 0 and loop["resyncs"] == 0
    # (the lateness percentiles, the loop's jitter, come from real-time scheduling only)
    cells = d["devices"]["loadcells"]
    assert cells["state"] == "ready" and cells["measured_rate_sps"] > 0
    assert cells["faults_total"] == 0 and cells["last_error"] is None
    assert d["devices"]["imu"]["measured_rate_hz"] > 0
    assert "cpu_temperature_c" in d  # null where the machine reports none
    assert d["disk"] is None or d["disk"]["free_bytes"] > 0
    assert d["calibration"] == "factory values" and d["active_calibration"] is None
    assert d["drill"] is None and d["platform_holder"] is None


def test_diagnostics_show_a_fault(tech_client, station):
    tech_client.post("/api/v1/sim/fault", json={"device": "front-left", "fault": "unplug"})
    station.run_virtual(1, until_trial_ends=False)
    cells = tech_client.get(f"{API}/diagnostics").get_json()["devices"]["loadcells"]
    assert cells["state"] == "recovering" and cells["faults_total"] > 0
    assert cells["last_error"]


def run_steps(client, phase):
    """Place (simulation) and measure each step of ``phase`` through the API."""
    state = client.get(f"{API}/calibration").get_json()
    while state["phase"] == phase:
        assert client.post(f"{API}/calibration/place").status_code == 200
        response = client.post(f"{API}/calibration/measure")
        assert response.status_code == 200, response.get_json()
        state = response.get_json()
    return state


def test_the_wizard_recovers_the_cells_true_calibration_and_the_check_passes(tech_client, station):
    station.run_virtual(3, until_trial_ends=False)  # the simulated patient stands on it
    response = tech_client.post(f"{API}/calibration", json={"seconds": 1.0})
    assert response.status_code == 201
    state = response.get_json()
    assert state["open"] and state["simulated"] and state["opened_by"] == "tom"
    assert state["steps"][0]["instruction"].startswith("Clear the platform")
    assert state["live"]["total_kg"] > 50  # the live reading: the patient, before the wizard

    state = run_steps(tech_client, "calibrate")
    assert state["phase"] == "review" and state["fit"]["problems"] == []
    tare = state["steps"][0]["result"]
    assert tare["conversions"] >= 300 and abs(tare["reads_n"]) < 0.1  # 1 s at 320 SPS, empty

    state = tech_client.post(f"{API}/calibration/save", json={"note": "panel"}).get_json()
    assert state["phase"] == "check" and state["saved"]["technician"] == "tom"
    # Tolerances of the command-line wizard's test (tests/station/test_calibration.py): about
    # five standard errors of 1 s of conversions.
    [stored] = tech_client.get(f"{API}/calibrations").get_json()["calibrations"]
    assert stored["active"] and stored["technician"] == "tom" and stored["note"] == "panel"
    [saved] = tech_client.get(f"{API}/audit?action=calibration-saved").get_json()["entries"]
    assert (saved["username"], saved["target"]) == ("tom", f"calibration {stored['id']}")
    assert stored["max_residual_pct"] < 0.01
    record = station.storage.active_calibration()
    # realistic cells: their zero drifts by a few hundredths of a newton (0.03 N is about 130
    # counts) and their hum and noise average over 1 s; the gains come out within a tenth of a
    # percent of the cells' own, better than the factory's few tenths
    true = true_calibration(pga_gain=128)
    assert record["tare_counts"] == pytest.approx(true["tare_counts"], abs=650)  # 0.15 N
    assert record["gain_n_per_count"] == pytest.approx(true["gain_n_per_count"], rel=1e-3)
    assert record["residuals"]["conditions"]["amplifier"] == "nau7802"
    diagnostics = tech_client.get(f"{API}/diagnostics").get_json()
    assert diagnostics["calibration"].startswith(f"calibration #{record['id']} by tom")

    state = run_steps(tech_client, "check")
    check = state["check"]
    assert state["phase"] == "done" and check["passed"] is True
    assert check["mass_kg"] == 20 and abs(check["error_kg"]) < 0.01
    assert {"error_n", "error_pct", "tolerance_pct"} <= set(check)
    closed = tech_client.delete(f"{API}/calibration").get_json()
    assert closed["open"] is False


def test_drills_and_the_wizard_exclude_each_other(tech_client, client, station):
    patient = client.post("/api/v1/patients", json={"name": "Ann Lee"}).get_json()
    trial = {"patient_id": patient["id"], "drill": "quiet-stance", "params": {"duration_s": 5}}
    assert client.post("/api/v1/trials", json=trial).status_code == 201
    refused = tech_client.post(f"{API}/calibration", json={})
    assert refused.status_code == 409
    assert refused.get_json()["error"]["message"].startswith("quiet-stance is running")
    assert tech_client.post(f"{API}/calibration/measure").status_code == 409  # none open

    client.post("/api/v1/stop")
    assert tech_client.post(f"{API}/calibration", json={}).status_code == 201
    refused = client.post("/api/v1/trials", json=trial)
    assert refused.status_code == 409
    assert (
        "calibration wizard (tom) is using the platform" in refused.get_json()["error"]["message"]
    )
    tech_client.delete(f"{API}/calibration")
    assert client.post("/api/v1/trials", json=trial).status_code == 201


def test_wizard_errors_say_what_is_wrong(tech_client):
    bad = tech_client.post(f"{API}/calibration", json={"masses_kg": [5, 10]})
    assert bad.status_code == 400 and bad.get_json()["error"]["field"] == "masses_kg"
    bad = tech_client.post(f"{API}/calibration", json={"mode": "weigh"})
    assert bad.get_json()["error"]["field"] == "mode"
    assert tech_client.post(f"{API}/calibration", json={"seconds": 0.5}).status_code == 201
    twice = tech_client.post(f"{API}/calibration", json={})
    assert twice.status_code == 409 and "tom's calibration wizard is open" in twice.get_data(
        as_text=True
    )
    early = tech_client.post(f"{API}/calibration/save", json={})
    assert early.status_code == 409
    assert early.get_json()["error"]["message"] == "there is no finished calibration to save"


def test_log_lines_are_filtered_by_level(tech_client, recent_lines, caplog):
    caplog.set_level(logging.INFO, logger="station.test")
    log = logging.getLogger("station.test")
    log.info("trial abc quiet-stance started")
    log.warning("load cells fault during poll (nack): retrying")
    everything = tech_client.get(f"{API}/logs").get_json()
    assert everything["source"] == "memory"
    messages = [line["message"] for line in everything["lines"]]
    assert messages[-2:] == [
        "trial abc quiet-stance started",
        "load cells fault during poll (nack): retrying",
    ]
    warnings = tech_client.get(f"{API}/logs?level=WARNING").get_json()["lines"]
    assert warnings and all(line["priority"] <= 4 for line in warnings)
    assert "trial abc quiet-stance started" not in [line["message"] for line in warnings]
    page = tech_client.get("/technician/logs?level=WARNING").get_data(as_text=True)
    assert "fault during poll (nack)" in page and "quiet-stance started" not in page
    assert tech_client.get(f"{API}/logs?level=LOUD").get_json()["error"]["field"] == "level"


def test_the_configuration_shows_every_option_and_which_are_set(tech_client, station):
    body = tech_client.get(f"{API}/config").get_json()
    options = {(s["section"], o["name"]): o for s in body["sections"] for o in s["options"]}
    assert len(options) == sum(len(v) for v in station.config.as_dict().values())
    assert options[("sim", "seed")] == {
        "name": "seed",
        "value": 3,
        "default": False,
        "hidden": False,
    }
    assert options[("station", "loop_rate_hz")]["default"] is True
    rate = options[("loadcells", "rate_sps")]  # derived from the amplifier: still the default
    assert rate["value"] == 320 and rate["default"] is True
    assert options[("loadcells", "channels")]["value"] == [0, 1, 2, 3]
    page = tech_client.get("/technician/config").get_data(as_text=True)
    assert "[loadcells]" in page and "step_on_at_s" in page and "<strong>set</strong>" in page


def test_a_secret_in_the_configuration_is_never_shown():
    assert shown_value("smtp_password", "s3cret") is None
    assert shown_value("api_token", "s3cret") is None
    assert shown_value("data_dir", Path("/var/lib/balance-station")) == "/var/lib/balance-station"
    assert shown_value("channels", (0, 1, 2, 3)) == [0, 1, 2, 3]
