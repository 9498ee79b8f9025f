"""The command line: analyze against published values, simulate, drills."""

import csv
import json

import pytest

from station.cli.main import main


def run_cli(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_analyze_matches_published_values(capsys, bds_dir):
    files = sorted(bds_dir.glob("BDS*.txt"))
    code, out, _ = run_cli(capsys, "analyze", *map(str, files), "--json")
    assert code == 0
    results = json.loads(out)
    with (bds_dir / "BDS_samples_reference_values.tsv").open() as handle:
        published = {r["Trial"]: r for r in csv.DictReader(handle, delimiter="\t")}
    assert [r["file"] for r in results] == [str(f) for f in files]
    for result, path in zip(results, files, strict=True):
        row = published[path.stem]
        m = result["metrics"]
        assert result["fs_hz"] == 100.0
        assert m["area_ellipse95_cm2"] == pytest.approx(float(row["COParea"]), rel=1e-6)
        assert m["velocity_mean_cm_s"] == pytest.approx(float(row["COPvelo"]), rel=1e-6)
        assert m["frequency_mean_hz"] == pytest.approx(float(row["COPmfreq"]), rel=1e-6)


def test_analyze_names_the_bad_file_and_exits_non_zero(capsys, tmp_path, bds_dir):
    wrong_header = tmp_path / "notes.txt"
    wrong_header.write_text("hello\n1\t2\n")
    garbage = tmp_path / "garbage.txt"
    header = (bds_dir / "BDS00001.txt").read_text().splitlines()[0]
    garbage.write_text(header + "\n" + "0.01\tx\t1\t1\t1\t1\t1\t1\t1\n" * 20)
    missing = tmp_path / "missing.txt"
    good = bds_dir / "BDS00001.txt"
    code, out, err = run_cli(
        capsys, "analyze", str(wrong_header), str(garbage), str(missing), str(good), "--json"
    )
    assert code == 1
    assert f"{wrong_header}: not a BDS recording" in err
    assert f"{garbage}: bad number in the data" in err
    assert f"{missing}: cannot read the file (No such file or directory)" in err
    assert [r["file"] for r in json.loads(out)] == [str(good)]  # the good file is not lost


def test_analyze_text_output(capsys, bds_dir):
    code, out, _ = run_cli(capsys, "analyze", str(bds_dir / "BDS00037.txt"))
    assert code == 0 and "area 2.5846 cm2, velocity 0.9226 cm/s" in out


@pytest.mark.slow
def test_simulate_quiet_stance_as_in_the_issue(capsys):
    code, out, _ = run_cli(
        capsys, "simulate", "quiet-stance", "--profile", "healthy-young", "--seed", "1", "--json"
    )
    assert code == 0
    result = json.loads(out)
    assert result["state"] == "completed" and result["reason"] is None
    assert result["params"] == {
        "duration_s": 60.0,
        "eyes": "open",
        "surface": "firm",
        "countdown_s": 3,
    }
    metrics = result["metrics"]
    assert metrics["n_samples"] == 6000  # 60 s at 100 Hz
    # eyes-open, firm: inside the published 10-90% band of young adults
    assert 0.8 <= metrics["area_ellipse95_cm2"] <= 4.4
    assert 0.56 <= metrics["velocity_mean_cm_s"] <= 1.32
    assert [c["cue"] for c in result["cues"]] == [
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
    again = json.loads(
        run_cli(
            capsys,
            "simulate",
            "quiet-stance",
            "--profile",
            "healthy-young",
            "--seed",
            "1",
            "--json",
        )[1]
    )
    assert again["metrics"] == metrics  # deterministic for a seed
    other = json.loads(
        run_cli(
            capsys, "simulate", "quiet-stance", "--seed", "2", "--json", "--param", "duration_s=10"
        )[1]
    )
    assert other["metrics"]["n_samples"] == 1000
    assert other["metrics"]["area_ellipse95_cm2"] != metrics["area_ellipse95_cm2"]


def test_simulate_rejects_bad_input_with_a_message(capsys):
    code, _, err = run_cli(capsys, "simulate", "quiet-stance", "--param", "duration_s=2")
    assert code == 2 and "duration_s: 2 s is outside 5-120 s" in err
    code, _, err = run_cli(capsys, "simulate", "quiet-stance", "--param", "oops")
    assert code == 2 and "expected NAME=VALUE" in err
    code, _, err = run_cli(capsys, "simulate", "quiet-stance", "--profile", "astronaut")
    assert code == 2 and "[sim] profile = 'astronaut' is not one of" in err


def test_simulate_episode_rejects_bad_input_with_a_message(capsys, tmp_path):
    code, _, err = run_cli(capsys, "simulate-episode", "--weeks", "0")
    assert code == 2 and "--weeks 0: an episode lasts 1 to 26 weeks" in err
    code, _, err = run_cli(capsys, "simulate-episode", "--profile", "astronaut")
    assert code == 2 and "[sim] profile = 'astronaut' is not one of" in err
    config = tmp_path / "station.toml"  # the stations' settings are checked as the daemon's
    config.write_text("[loadcells]\nrate_sps = 81\n")
    code, _, err = run_cli(capsys, "simulate-episode", "--config", str(config))
    assert code == 2 and "[loadcells] rate_sps = 81 is not one of 10, 20, 40, 80, 320" in err


def test_drills_lists_the_catalog(capsys):
    code, out, _ = run_cli(capsys, "drills", "--json")
    catalog = json.loads(out)
    names = [d["name"] for d in catalog]
    assert code == 0 and names[0] == "quiet-stance" and "limits-of-stability" in names
    assert catalog[0]["params"][0]["unit"] == "s"
    for drill in catalog:
        assert drill["title"] and drill["summary"] and drill["needs"]
        for param in drill["params"]:
            assert param["help"], (drill["name"], param["name"])
            assert "choices" in param or param["minimum"] <= param["default"] <= param["maximum"]
    code, out, _ = run_cli(capsys, "drills")
    assert code == 0 and "limits-of-stability:" in out and "order (one of" in out
