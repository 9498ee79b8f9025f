"""The systemd units pass ``systemd-analyze verify`` and keep their hardening."""

import re
import subprocess
from pathlib import Path

REPO = Path(__file__).parents[2]
UNITS = (
    "balance-station.service",
    "balance-station-backup.service",
    "balance-station-backup.timer",
)
EXEC = "/opt/balance-station/venv/bin/balance-station"


def units_with_an_existing_program(tmp_path) -> Path:
    """The unit files with ExecStart pointing at a program that exists here (verify checks it)."""
    program = tmp_path / "bin" / "balance-station"
    program.parent.mkdir()
    program.write_text("#!/bin/sh\n")
    program.chmod(0o755)
    folder = tmp_path / "units"
    folder.mkdir()
    for unit in UNITS:
        text = (REPO / "systemd" / unit).read_text()
        (folder / unit).write_text(text.replace(EXEC, str(program)))
    return folder


def test_units_pass_systemd_analyze_verify_without_a_warning(tmp_path):
    folder = units_with_an_existing_program(tmp_path)
    result = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", *(str(folder / u) for u in UNITS)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""  # unknown keys and bad values are only warnings: none allowed


def test_verify_catches_a_broken_unit(tmp_path):
    folder = units_with_an_existing_program(tmp_path)
    unit = folder / "balance-station.service"
    unit.write_text(unit.read_text().replace("WatchdogSec=10", "WatchdogSec=ten"))
    result = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", str(unit)], capture_output=True, text=True
    )
    assert "Failed to parse sec value, ignoring: ten" in result.stderr


def exposure(unit: Path) -> float:
    result = subprocess.run(
        ["systemd-analyze", "security", "--offline=true", str(unit)],
        capture_output=True,
        text=True,
        check=True,
    )
    return float(re.search(r"Overall exposure level for \S+: ([\d.]+)", result.stdout)[1])


def test_hardening_keeps_i2c_and_gpio_and_the_exposure_low(tmp_path):
    folder = units_with_an_existing_program(tmp_path)
    daemon = (REPO / "systemd" / "balance-station.service").read_text()
    for line in (
        "DevicePolicy=closed",
        "DeviceAllow=char-i2c rw",
        "DeviceAllow=char-gpiochip rw",
        "SupplementaryGroups=i2c gpio systemd-journal",
        "ProtectSystem=strict",
        "StateDirectory=balance-station",
        "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6",
        "SystemCallFilter=@system-service",
        "Type=notify",
        "WatchdogSec=10",
        "Restart=on-failure",
    ):
        assert line in daemon.splitlines(), line
    assert not re.search(
        r"^PrivateDevices", daemon, re.M
    )  # it would hide /dev/i2c-* and /dev/gpiochip*
    # the figures the README quotes (systemd 252): 1.5 and 0.2 on its scale of 0 (safe) to 10
    assert exposure(folder / "balance-station.service") <= 1.5
    assert exposure(folder / "balance-station-backup.service") <= 0.2
