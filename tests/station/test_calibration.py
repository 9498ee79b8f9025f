"""The technician's calibration on emulated hardware: the wizard, the quick check, the list,
and the errors that say what to check."""

import argparse
import re

import numpy as np
import pytest

from hw.sim.platform import factory_calibration, true_calibration
from sensing.calibration_fit import STANDARD_GRAVITY_M_S2, CountsSummary, TareFit
from sensing.cop import PlatformGeometry
from station.calibration.platform import (
    CalibrationInputError,
    CalibrationSession,
    CalibrationStepError,
    check_response,
    describe_position,
    stored_calibration,
)
from station.cli.calibrate import add_calibrate_parser, parse_masses, run_calibrate
from station.clock import VirtualClock
from station.runtime.core_config import parse_config
from station.runtime.hardware import build_hardware
from station.storage.database import Storage

G = STANDARD_GRAVITY_M_S2


@pytest.fixture
def config_path(tmp_path):
    path = tmp_path / "station.toml"
    # ideal cells (the amplifier's noise only): the checks below are exact to that noise
    path.write_text(
        f'[station]\ndata_dir = "{tmp_path / "data"}"\n[imu]\nenabled = false\n'
        '[sim]\ncell_errors = "none"\n'
    )
    return path


class Technician:
    """Answers every prompt with Enter, and the save question with ``save``; keeps the prompts."""

    def __init__(self, save="y", quit_at=None):
        self.prompts, self.save, self.quit_at = [], save, quit_at

    def __call__(self, prompt):
        self.prompts.append(prompt)
        if self.quit_at is not None and len(self.prompts) > self.quit_at:
            return "q"
        return self.save if "active calibration?" in prompt else ""


def calibrate(config_path, *argv, ask=None):
    parser = argparse.ArgumentParser()
    add_calibrate_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["calibrate", "--config", str(config_path), *argv])
    return run_calibrate(args, ask=ask or Technician())


def stored(config_path):
    storage = Storage(config_path.parent / "data" / "station.db")
    try:
        return storage.list_calibrations()
    finally:
        storage.close()


def test_wizard_recovers_the_cells_true_calibration_and_stores_it(config_path, capsys):
    ask = Technician()
    code = calibrate(
        config_path, "--technician", "Ann", "--cop-positions", "--seconds", "1", ask=ask
    )
    out = capsys.readouterr().out
    assert code == 0, out
    assert ask.prompts[0] == "Clear the platform and press Enter (simulation: the wizard does it): "
    assert ask.prompts[2] == (
        "Place 10 kg over the front-left cell (the corner marked FL) and press Enter "
        "(simulation: the wizard does it): "
    )
    assert len(ask.prompts) == 1 + 12 + 5 + 1
    assert "saved calibration #1 by Ann as the active one" in out
    [record] = stored(config_path)
    assert record["active"] and record["technician"] == "Ann"
    # Emulated noise is the NAU7802's at 320 SPS, 195 counts per conversion; 1 s averages 320
    # conversions, so the tare's standard error is 10.9 counts (0.0025 N) and a gain's 2e-5 of
    # itself (the tare's error shared by all loads, 1.7e-5, and each loaded mean's, 1.1e-5, on
    # ~4430 counts/N at 49-196 N). Tolerances of about 5 standard errors:
    true = true_calibration(pga_gain=128)
    np.testing.assert_allclose(record["tare_counts"], true["tare_counts"], rtol=0, atol=55)
    np.testing.assert_allclose(record["gain_n_per_count"], true["gain_n_per_count"], rtol=1e-4)
    # ...where the factory's own calibration is off by a few tenths of a percent
    factory = factory_calibration(pga_gain=128)["gain_n_per_count"]
    assert (
        max(abs(f / t - 1) for f, t in zip(factory, true["gain_n_per_count"], strict=True)) > 0.004
    )
    corners = record["residuals"]["corners"]
    assert set(corners) == {"front-left", "front-right", "back-left", "back-right"}
    for fit in corners.values():
        # each point of the fit carries a loaded mean's 0.0025 N of noise: 5 standard errors
        assert fit["linear"] and fit["max_residual_n"] < 0.0125
        # a cell's off-cell share: 0.0025 N of noise on 49 N is 0.005% a standard error
        assert max(abs(v) for v in fit["off_cell_pct"]) < 0.03
    assert record["residuals"]["conditions"]["pga_gain"] == 128
    cop = record["cop_correction"]
    assert cop["positions"] == 5 and cop["rmse_before_mm"] < 0.01 and cop["rmse_after_mm"] < 0.01
    matrix = np.asarray(cop["matrix"])
    np.testing.assert_allclose(matrix[:, :2], np.eye(2), atol=1e-3)
    # The translation's standard error is about 4 µm with the NAU7802's noise at 320 SPS (0.8
    # µm with a fifth of it, the spread over simulation seeds): 5 standard errors
    np.testing.assert_allclose(matrix[:, 2], [0, 0], atol=2e-2)


def read_kg(out, verdict):
    """The mass the check printed with ``verdict`` (PASS or FAIL), in kg."""
    found = re.search(rf"{verdict}: 20 kg reads ([0-9.]+) kg", out)
    assert found, out
    return float(found.group(1))


def test_quick_check_passes_with_the_new_calibration_and_fails_with_a_wrong_one(
    config_path, capsys
):
    assert calibrate(config_path, "--technician", "Ann", "--seconds", "0.5") == 0
    capsys.readouterr()
    ask = Technician()
    assert calibrate(config_path, "--check", "--mass-kg", "20", "--seconds", "0.5", ask=ask) == 0
    out = capsys.readouterr().out
    # 0.5 s of noise in the check (0.0007 kg) and in the calibration's gains (0.0006 kg at 20
    # kg): about 0.001 kg a standard error, so within 5 of them
    assert "checking calibration #1 by Ann" in out
    assert abs(read_kg(out, "PASS") - 20) < 0.005
    assert "empty platform reads +0.00" in out or "empty platform reads -0.00" in out
    assert ask.prompts[1].startswith("Place 20 kg anywhere on the platform")

    good = stored(config_path)[0]
    wrong = {key: good[key] for key in ("technician", "tare_counts", "residuals")}
    wrong["gain_n_per_count"] = [g * 1.03 for g in good["gain_n_per_count"]]
    storage = Storage(config_path.parent / "data" / "station.db")
    storage.save_calibration(wrong)
    storage.close()
    assert calibrate(config_path, "--check", "--mass-kg", "20", "--seconds", "0.5") == 1
    out = capsys.readouterr().out
    assert "checking calibration #2" in out
    assert abs(read_kg(out, "FAIL") - 20.6) < 0.005
    assert abs(float(re.search(r"= ([+-][0-9.]+)%", out).group(1)) - 3) < 0.03


def test_quick_check_without_a_stored_calibration_uses_factory_values_in_simulation(
    config_path, capsys
):
    assert calibrate(config_path, "--check", "--mass-kg", "5", "--seconds", "0.5") == 0
    assert "checking factory values" in capsys.readouterr().out  # simulation, none stored


def test_list_shows_date_technician_active_and_residuals(config_path, capsys):
    assert calibrate(config_path, "--list") == 0
    assert "no calibrations stored" in capsys.readouterr().out
    calibrate(config_path, "--technician", "Ann", "--seconds", "0.5")
    calibrate(config_path, "--technician", "Bo", "--seconds", "0.5", "--note", "new plate")
    capsys.readouterr()
    assert calibrate(config_path, "--list") == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("#2") and "Bo" in lines[0] and "active" in lines[0]
    assert "linearity max 0.00" in lines[0] and lines[0].endswith("new plate")
    assert lines[1].startswith("#1") and "Ann" in lines[1] and "active" not in lines[1]


def test_declining_or_quitting_saves_nothing(config_path, capsys):
    assert (
        calibrate(config_path, "--technician", "Ann", "--seconds", "0.5", ask=Technician("")) == 1
    )
    assert "not saved" in capsys.readouterr().out
    assert calibrate(config_path, "--technician", "Ann", ask=Technician(quit_at=3)) == 1
    assert "calibration cancelled (quit at the prompt): nothing saved" in capsys.readouterr().out
    assert not (config_path.parent / "data" / "station.db").exists()


def test_an_unplugged_corner_is_named_and_the_step_can_be_repeated(config_path, capsys):
    config_path.write_text(
        config_path.read_text().replace("[sim]\n", '[sim]\nunplugged = "front-left"\n')
    )
    ask = Technician(quit_at=1)
    assert calibrate(config_path, "--technician", "Ann", "--seconds", "0.5", ask=ask) == 1
    out = capsys.readouterr().out
    assert "problem: the load cells sent nothing in 0.5 s" in out and "front-left" in out
    assert ask.prompts[1] == "Fix it and press Enter to measure again (q to quit): "


@pytest.mark.parametrize(
    ("argv", "match"),
    [
        ((), "needs --technician NAME"),
        (("--technician", "Ann", "--masses-kg", "5,10"), "at least 3 different"),
        (("--technician", "Ann", "--masses-kg", "5,x,10"), "separated by commas"),
        (("--technician", "Ann", "--seconds", "0.1"), "choose 0.5 to 60 s"),
        (("--check", "--mass-kg", "0"), "give the known mass"),
    ],
)
def test_bad_options_say_what_to_give(config_path, argv, match):
    with pytest.raises(CalibrationInputError, match=match):
        calibrate(config_path, *argv)


def test_parse_masses():
    assert parse_masses("5,10,20") == (5.0, 10.0, 20.0)
    assert parse_masses("2.5, 5, 7.5, 10") == (2.5, 5.0, 7.5, 10.0)


def window(means, noise=40.0):
    return CountsSummary(tuple(means), (noise,) * 4, (320,) * 4)


TARE = TareFit((1000.0, 2000.0, 3000.0, 4000.0), (40.0,) * 4, (320,) * 4)


@pytest.mark.parametrize(
    ("means", "match"),
    [
        ((1000, 2000, 3000, 4000), "front-left did not respond to 10 kg: check that the mass is "
         "over the FL cell and the cell's wiring"),
        ((1000, 300000, 3000, 4000), "front-left did not respond to 10 kg but front-right did: "
         "check that the mass is over the FL cell and that the FL and FR cables are not swapped"),
        ((-300000, 2000, 3000, 4000), "front-left read less with 10 kg on it: its signal wires"),
    ],
)  # fmt: skip
def test_a_corner_that_does_not_respond_is_named_with_what_to_check(means, match):
    with pytest.raises(CalibrationStepError) as info:
        check_response(0, 10.0, window(means), TARE)
    assert str(info.value).startswith(match)
    check_response(0, 10.0, window((300000, 2100, 3000, 4000)), TARE)


def test_a_mass_off_its_cell_is_reported_as_a_problem():
    config = parse_config(
        {"sim": {"step_on_at_s": 1e6, "cell_errors": "none"}, "imu": {"enabled": False}}
    )
    clock = VirtualClock()
    hardware = build_hardware(config, clock)
    platform = hardware.emulated["platform"]
    geometry = PlatformGeometry(400.0, 300.0)
    session = CalibrationSession(
        hardware.sensors["loadcells"], clock, geometry, poll_s=1 / 640, seconds=0.5
    )
    try:
        session.measure_tare()
        for index, (ml, ap) in enumerate(geometry.cell_positions_mm.tolist()):
            for mass_kg in (5.0, 10.0, 20.0):
                platform.remove_masses()
                # the back-right masses sit 20 mm inside the cell: 5% of them loads the others
                platform.place_mass(mass_kg, ml - 20 * (index == 3), ap)
                session.measure_corner(index, mass_kg)
    finally:
        hardware.close()
    result = session.fit()
    assert result.cop is None
    [problem] = result.problems()
    share = re.match(
        r"back-right: up to ([0-9.]+)% of its masses showed on the other corners", problem
    )
    assert share and float(share.group(1)) == pytest.approx(5.0, abs=0.3)  # 20 of 400 mm
    assert "centre each mass over the BR cell" in problem
    assert result.gains[3].gain_n_per_count == pytest.approx(
        true_calibration()["gain_n_per_count"][3] / 0.95, rel=3e-4
    )


def test_a_stored_calibration_made_at_another_gain_is_refused():
    config = parse_config({"loadcells": {"gain": 64}})
    record = {
        "id": 7,
        "tare_counts": [1.0] * 4,
        "gain_n_per_count": [2e-4] * 4,
        "residuals": {"conditions": {"amplifier": "nau7802", "pga_gain": 128}},
    }
    with pytest.raises(CalibrationInputError, match=r"#7 was made with pga_gain = 128 .* 64"):
        stored_calibration(record, config)
    record["residuals"]["conditions"]["pga_gain"] = 64
    assert stored_calibration(record, config).gain_n_per_count == (2e-4,) * 4


def test_positions_are_described_from_the_centre():
    assert describe_position(0, 0) == "at the centre of the platform"
    assert describe_position(-100, 75) == "at ML -100 mm (left), AP +75 mm (front) from the centre"


def test_real_hardware_without_any_calibration_says_how_to_calibrate():
    from station.calibration.platform import NoCalibrationError, calibration_in_use

    with pytest.raises(NoCalibrationError, match="balance-station calibrate --technician NAME"):
        calibration_in_use(parse_config({"station": {"hardware": "pi"}}), None)
    config = parse_config(
        {
            "station": {"hardware": "pi"},
            "loadcells": {"tare_counts": [1, 2, 3, 4], "gain_n_per_count": [0.5] * 4},
        }
    )
    calibration, correction, where = calibration_in_use(config, None)
    assert calibration.tare_counts == (1, 2, 3, 4) and correction is None and where == "the config"


def test_the_station_uses_the_active_stored_calibration_and_its_cop_correction(tmp_path):
    from station.runtime.station import Station

    factory = factory_calibration()
    config = parse_config(
        {
            "station": {"data_dir": str(tmp_path)},
            "sim": {"step_on_at_s": 0.5},
            "imu": {"enabled": False},
        }
    )
    storage = Storage(tmp_path / "station.db")
    shift = {"matrix": [[1.0, 0.0, 5.0], [0.0, 1.0, -3.0]]}  # moves every COP by (+5, -3) mm
    record = storage.save_calibration(
        {
            "technician": "Tess",
            "tare_counts": list(factory["tare_counts"]),
            "gain_n_per_count": list(factory["gain_n_per_count"]),
            "cop_correction": shift,
        }
    )
    storage.close()
    plain = Station(parse_config({"sim": {"step_on_at_s": 0.5}, "imu": {"enabled": False}}),
                    clock=VirtualClock(), db_path=":memory:")  # fmt: skip
    station = Station(config, clock=VirtualClock())
    try:
        assert station.status()["calibration"].startswith(f"calibration #{record['id']} by Tess")
        for st in (plain, station):
            st.run_virtual(max_s=3.0, until_trial_ends=False)
        a, b = plain.loop.last_frame, station.loop.last_frame
        assert b.total_n == pytest.approx(a.total_n)
        assert (b.cop_ml_mm - a.cop_ml_mm, b.cop_ap_mm - a.cop_ap_mm) == pytest.approx((5, -3))
    finally:
        station.close()
        plain.close()
