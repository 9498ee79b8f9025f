"""The systemd units pass ``systemd-analyze verify`` and keep their hardening."""

import re
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.deploy

REPO = Path(__file__).parents[2]
UNITS = (
    "balance-station.service",
    "balance-station-panel.service",
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


def settings(unit: str) -> list[str]:
    return (REPO / "systemd" / unit).read_text().splitlines()


def test_the_core_keeps_i2c_and_gpio_its_priority_and_no_network(tmp_path):
    folder = units_with_an_existing_program(tmp_path)
    core = settings("balance-station.service")
    for line in (
        f"ExecStart={EXEC} core --config /etc/balance-station/station.toml",
        "DevicePolicy=closed",
        "DeviceAllow=char-i2c rw",
        "DeviceAllow=char-gpiochip rw",
        "SupplementaryGroups=i2c gpio",
        "Nice=-10",
        "LimitRTPRIO=49",  # SCHED_FIFO for the control loop without any capability
        "SystemCallFilter=sched_setscheduler",
        "PrivateNetwork=yes",
        "RestrictAddressFamilies=AF_UNIX",
        "CapabilityBoundingSet=",
        "ProtectSystem=strict",
        "StateDirectory=balance-station",
        "RuntimeDirectory=balance-station",
        "RuntimeDirectoryPreserve=yes",  # the panel's unit shares it: the socket lives there
        "SystemCallFilter=@system-service",
        "Type=notify",
        "WatchdogSec=10",
        "Restart=on-failure",
        "Wants=balance-station-panel.service",
    ):
        assert line in core, line
    assert not any(line.startswith(("PrivateDevices", "RestrictRealtime")) for line in core)
    # the figures the README quotes (systemd 252): on its scale of 0 (safe) to 10
    assert exposure(folder / "balance-station.service") <= 0.8
    assert exposure(folder / "balance-station-backup.service") <= 0.2


def test_the_panel_has_no_device_no_device_group_and_no_priority(tmp_path):
    folder = units_with_an_existing_program(tmp_path)
    panel = settings("balance-station-panel.service")
    for line in (
        f"ExecStart={EXEC} panel --config /etc/balance-station/station.toml",
        "PrivateDevices=yes",
        "DevicePolicy=closed",
        "SupplementaryGroups=systemd-journal",
        "CapabilityBoundingSet=",
        "RestrictRealtime=yes",
        "SystemCallFilter=~@privileged @resources",
        "RuntimeDirectory=balance-station",
        "RuntimeDirectoryPreserve=yes",
        "StateDirectory=balance-station",
        "After=network.target balance-station.service",
        "MemoryMax=512M",
        "Type=notify",
        "Restart=always",
    ):
        assert line in panel, line
    assert not any(line.startswith(("DeviceAllow", "Nice", "LimitRTPRIO")) for line in panel)
    assert not any("i2c" in line or "gpio" in line for line in panel if "Groups" in line)
    assert exposure(folder / "balance-station-panel.service") <= 1.3
