"""Exports, ``analyze`` with its convention options, and re-analysis of a stored trial."""

import json

import pytest

from station.cli.main import main

pytestmark = pytest.mark.lean_station  # what is stored and shown of drills (tests/conftest.py)


@pytest.fixture
def finished_trial(station):
    patient = station.records.create_patient({"name": "Export Test"})
    trial_id = station.start_drill(patient["id"], "quiet-stance", {"duration_s": 10})["trial_id"]
    station.run_virtual(max_s=60)
    station.storage.flush()
    return station.results.get_trial(trial_id)


def test_export_round_trips_through_analyze_to_the_stored_metrics(
    station, finished_trial, tmp_path, capsys
):
    name, text = station.results.export_trial(finished_trial["id"])
    assert name.startswith("quiet-stance_") and name.endswith(".csv")
    assert "Export Test" not in text and "Export Test" not in name  # no patient name
    path = tmp_path / name
    path.write_text(text)
    assert main(["analyze", "--json", str(path)]) == 0
    [result] = json.loads(capsys.readouterr().out)
    stored = finished_trial["result"]["metrics"]
    assert result["metrics"]["n_samples"] == stored["n_samples"] == 1000  # the window only
    for key in ("area_ellipse95_cm2", "velocity_mean_cm_s", "frequency_mean_hz"):
        assert result["metrics"][key] == pytest.approx(stored[key], rel=1e-6)
    # a station export is analysed under the published processing, as the trial was scored
    assert result["conventions"]["options"] == stored_conventions(finished_trial)
    assert result["conventions"]["options"]["filter"]["cutoff_hz"] == 10.0
    assert main(["analyze", "--json", "--no-filter", str(path)]) == 0
    [raw] = json.loads(capsys.readouterr().out)
    assert raw["conventions"]["options"]["filter"] is None
    assert raw["metrics"]["velocity_mean_cm_s"] > result["metrics"]["velocity_mean_cm_s"]


def stored_conventions(trial):
    return trial["result"]["conventions"]["options"]


def test_analyze_options_change_the_conventions_and_are_recorded(bds_dir, capsys):
    path = str(sorted(bds_dir.glob("BDS*.txt"))[0])
    assert main(["analyze", "--json", path]) == 0
    raw = json.loads(capsys.readouterr().out)[0]
    args = ["--filter-hz", "10", "--resample-hz", "25", "--ellipse", "chi2"]
    assert main(["analyze", "--json", *args, path]) == 0
    filtered = json.loads(capsys.readouterr().out)[0]
    assert filtered["conventions"]["options"] == {
        "filter": {"kind": "butterworth_lowpass_zero_lag", "order": 4, "cutoff_hz": 10.0},
        "resample_hz": 25.0,
        "ellipse": "chi2",
    }
    m = filtered["metrics"]
    assert m["area_ellipse95_cm2"] == m["area_ellipse95_chi2_cm2"]
    assert m["velocity_mean_cm_s"] < raw["metrics"]["velocity_mean_cm_s"]  # smoothed path
    assert main(["analyze", "--filter-hz", "80", path]) == 2
    assert "filter_hz: a cutoff between 0 and 50 Hz" in capsys.readouterr().err


def test_reanalysis_is_stored_beside_the_untouched_original(station, finished_trial, panel_client):
    client = panel_client
    url = f"/api/v1/trials/{finished_trial['id']}/analyses"
    response = client.post(url, json={"filter_hz": 5, "ellipse": "confidence"})
    assert response.status_code == 201
    analysis = response.get_json()
    assert analysis["conventions"]["options"]["ellipse"] == "confidence"
    assert analysis["quality"]["ok"] is True
    assert analysis["metrics"]["n_samples"] == 1000
    original = station.results.get_trial(finished_trial["id"])["result"]
    assert original == finished_trial["result"]  # never replaced
    assert analysis["metrics"]["velocity_mean_cm_s"] < original["metrics"]["velocity_mean_cm_s"]
    assert [a["id"] for a in client.get(url).get_json()["analyses"]] == [analysis["id"]]
    bad = client.post(url, json={"ellipse": "oval"})
    assert bad.status_code == 400 and bad.get_json()["error"]["field"] == "ellipse"
    assert client.post(url, json={"smooth": 1}).get_json()["error"]["field"] == "smooth"
    csv_response = client.get(f"/api/v1/trials/{finished_trial['id']}/export.csv")
    assert csv_response.mimetype == "text/csv"
    assert 'attachment; filename="quiet-stance_' in csv_response.headers["Content-Disposition"]


def test_export_command_reads_the_daemon_database(tmp_path, capsys):
    from station.clock import VirtualClock
    from station.runtime.core_config import parse_config
    from station.runtime.station import Station

    config_path = tmp_path / "station.toml"
    config_path.write_text(f'[station]\ndata_dir = "{tmp_path}"\n[sim]\nstep_on_at_s = 1.0\n')
    config = parse_config({"station": {"data_dir": str(tmp_path)}, "sim": {"step_on_at_s": 1.0}})
    station = Station(config, clock=VirtualClock())
    patient = station.records.create_patient({"name": "On Disk"})
    trial_id = station.start_drill(patient["id"], "quiet-stance", {"duration_s": 5})["trial_id"]
    station.run_virtual(max_s=60)
    station.close()
    out = tmp_path / "t.csv"
    assert main(["export", trial_id, "--config", str(config_path), "--out", str(out)]) == 0
    assert out.read_text().startswith("# balance-station trial export\n")
    assert main(["export", "nope", "--config", str(config_path)]) == 2
    assert "no trial with id nope" in capsys.readouterr().err
