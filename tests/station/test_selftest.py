"""``selftest`` and ``i2c-scan`` on emulated hardware, as a technician runs them."""

import json

import pytest

from station.cli.main import main

pytestmark = pytest.mark.slow


def write_config(tmp_path, text: str):
    path = tmp_path / "station.toml"
    path.write_text(text)
    return str(path)


def selftest(capsys, *args):
    code = main(["selftest", "--seconds", "1", "--json", *args])
    report = json.loads(capsys.readouterr().out)
    return code, {check["device"]: check for check in report["checks"]}, report


def test_selftest_passes_and_measures_configured_rates(capsys):
    code, checks, report = selftest(capsys)
    assert code == 0 and report["ok"]
    cells = checks["load cells"]
    assert cells["configured_rate_sps"] == 320
    for corner, rate in cells["measured_rate_sps"].items():
        assert rate == pytest.approx(320, rel=0.05), corner
    # the emulated cells' noise: the NAU7802's 300 nV at 320 SPS (195 counts at 4380 counts/N,
    # 0.045 N) with the 60 Hz hum on their wires (0.04 N rms): about 0.06 N
    assert all(0.04 < n < 0.08 for n in cells["noise_n"].values())
    assert checks["imu"]["measured_rate_hz"] >= 100 * 0.95
    assert checks["stop button"]["ok"] and checks["cues"]["ok"]


def test_selftest_of_hx711_at_10_sps_and_imu_at_200_hz(capsys, tmp_path):
    config = write_config(
        tmp_path, '[loadcells]\namplifier = "hx711"\nrate_sps = 10\n[imu]\nrate_hz = 200.0\n'
    )
    code, checks, _ = selftest(capsys, "--config", config)
    assert code == 0
    # measured between conversions: the 400 ms settling after the chips' reset is not counted
    for rate in checks["load cells"]["measured_rate_sps"].values():
        assert rate == pytest.approx(10, rel=0.05)
    assert checks["imu"]["measured_rate_hz"] >= 190


def test_selftest_names_the_missing_imu_and_what_to_check(capsys, tmp_path):
    config = write_config(tmp_path, '[sim]\nunplugged = "imu"\n')
    code, checks, report = selftest(capsys, "--config", config)
    assert code == 1 and not report["ok"]
    assert checks["imu"]["summary"] == (
        "No IMU at 0x4A on emulated /dev/i2c-1: check the wiring and that I²C is enabled"
    )
    assert checks["load cells"]["ok"]


def test_selftest_text_report_fails_on_a_missing_corner(capsys, tmp_path):
    config = write_config(tmp_path, '[sim]\nunplugged = "front-right"\n')
    assert main(["selftest", "--seconds", "1", "--config", config]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("FAIL load cells   No NAU7802 at 0x2a on mux channel 1")
    assert "front-right load cell amplifier" in out[0]
    assert out[-1] == "selftest FAILED: see the lines above"


def test_i2c_scan_lists_chips_behind_the_mux_and_names_the_missing_one(capsys, tmp_path):
    assert main(["i2c-scan", "--json"]) == 0
    scan = json.loads(capsys.readouterr().out)
    found = {(r["address"], r["channel"]) for r in scan["found"]}
    assert found == {(0x4A, None), (0x70, None), *((0x2A, ch) for ch in range(4))}
    assert scan["missing"] == []
    config = write_config(tmp_path, '[sim]\nunplugged = "back-left"\n')
    assert main(["i2c-scan", "--config", config]) == 1
    assert (
        "MISSING 0x2a on mux channel 2: the back-left load cell does not answer"
        in capsys.readouterr().out
    )


def test_a_rate_is_counted_on_the_chips_conversion_numbers():
    """A conversion the host missed (its number skipped) does not lower the chip's rate, and
    without numbers the order of the samples is used."""
    from station.technician.selftest import _rate

    times = [0.0, 0.1, 0.2, 0.4, 0.5]  # the conversion at 0.3 s was never read
    assert _rate(times, [7, 8, 9, 11, 12]) == pytest.approx(10.0)
    assert _rate(times) < 9.0  # counted by order, the gap reads as a slow chip
    assert _rate(times, [-1] * 5) == _rate(times)  # no numbers known: by order
