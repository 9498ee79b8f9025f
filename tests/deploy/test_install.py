"""install.sh and uninstall.sh into a temporary root: the tree they leave, idempotence, and
what uninstall keeps."""

import os
import sqlite3
import stat
from pathlib import Path

import pytest

pytestmark = pytest.mark.deploy

BOOT_LINES = (
    "\n[all]\n# balance-station: I2C on, at 400 kHz (deploy/install.sh)\n"
    "dtparam=i2c_arm=on\ndtparam=i2c_arm_baudrate=400000\n"
)


def load_config(deploy, root):
    """(data_dir, hardware, keep) as the installed venv reads the installed config."""
    code = (
        "import sys; from station.runtime.core_config import load_config; "
        "c = load_config(sys.argv[1]); "
        "print(c.station.data_dir, c.station.hardware, c.backup.keep)"
    )
    venv_python = root / "opt/balance-station/venv/bin/python"
    config = root / "etc/balance-station/station.toml"
    return deploy.run([venv_python, "-c", code, config]).stdout.split()


def test_install_builds_the_tree_and_a_second_run_changes_nothing(root, versions, deploy):
    version, wheel = versions["current"]
    boot = (root / "boot/firmware/config.txt").read_text()
    first = deploy.install(wheel, "--no-start").stdout

    prefix = root / "opt/balance-station"
    venv = prefix / "venv"
    assert venv.is_symlink() and os.readlink(venv).startswith("venvs/")
    # the venv's own script runs the version from the wheel, installed in the venv itself
    assert "balance-station" in deploy.run([venv / "bin/balance-station", "--help"]).stdout
    where = deploy.run(
        [
            venv / "bin/python",
            "-c",
            "import importlib.metadata as m, station; print(m.version('balance-station'), "
            "station.__file__)",
        ]
    ).stdout.split()
    assert where[0] == version
    assert Path(where[1]).resolve().is_relative_to(prefix / "venvs")

    config = root / "etc/balance-station/station.toml"
    assert stat.S_IMODE(config.stat().st_mode) == 0o640
    data_dir = root / "var/lib/balance-station"
    assert stat.S_IMODE(data_dir.stat().st_mode) == 0o750
    assert load_config(deploy, root) == [str(data_dir), "sim", "14"]

    units = root / "etc/systemd/system"
    services = ("balance-station.service", "balance-station-panel.service")
    for unit in (*services, "balance-station-backup.service"):
        assert (units / unit).read_text() == (deploy.dir.parent / "systemd" / unit).read_text()
    for unit in services:  # the core and the panel both start at boot
        assert os.readlink(units / "multi-user.target.wants" / unit) == (
            f"/etc/systemd/system/{unit}"
        )
    assert (units / "timers.target.wants/balance-station-backup.timer").is_symlink()

    assert (root / "boot/firmware/config.txt").read_text() == boot + BOOT_LINES
    assert (root / "etc/modules-load.d/balance-station.conf").read_text() == "i2c-dev\n"
    passwd = (root / "etc/passwd").read_text().splitlines()
    assert any(
        line.startswith("balance-station:")
        and line.endswith(":/var/lib/balance-station:/usr/sbin/nologin")
        for line in passwd
    )
    groups = {line.split(":")[0]: line for line in (root / "etc/group").read_text().splitlines()}
    assert groups["i2c"].endswith(":balance-station")
    assert groups["gpio"].endswith(":balance-station")
    wrapper = root / "usr/local/bin/balance-station"
    assert os.access(wrapper, os.X_OK)
    assert f"runuser -u balance-station -- {venv}/bin/balance-station" in wrapper.read_text()
    assert "skipped (root dir): apt-get install python3-venv i2c-tools sqlite3" in first
    assert "enabled; not started (--no-start)" in first

    with open(config, "a") as f:
        f.write("# the technician's own note\n")
    before = deploy.snapshot(root)
    second = deploy.install(wheel, "--no-start").stdout
    assert deploy.snapshot(root) == before  # nothing changed, the edited config included
    assert f"version {version} already installed" in second
    assert "kept as it is" in second
    assert config.read_text().endswith("# the technician's own note\n")


def test_uninstall_keeps_the_data_and_purge_removes_it(root, versions, deploy):
    _, wheel = versions["current"]
    deploy.install(wheel, "--no-start")
    config = root / "etc/balance-station/station.toml"
    venv_cli = root / "opt/balance-station/venv/bin/balance-station"
    deploy.run([venv_cli, "migrate", "--config", config])  # the database the station would make
    database = root / "var/lib/balance-station/station.db"
    conn = sqlite3.connect(database)
    conn.execute("INSERT INTO patients (name, created_at) VALUES ('kept', 'x')")
    conn.commit()
    conn.close()

    out = deploy.run([deploy.dir / "uninstall.sh", "--root", root]).stdout
    assert "kept" in out
    assert not (root / "opt/balance-station").exists()
    assert not (root / "usr/local/bin/balance-station").exists()
    units = root / "etc/systemd/system"
    assert not list(units.glob("balance-station*"))
    assert not list(units.glob("*.wants/balance-station*"))
    assert config.exists()
    conn = sqlite3.connect(database)
    assert conn.execute("SELECT name FROM patients").fetchall() == [("kept",)]
    conn.close()

    deploy.run([deploy.dir / "uninstall.sh", "--root", root, "--purge"])
    assert not (root / "var/lib/balance-station").exists()
    assert not (root / "etc/balance-station").exists()
    assert not (root / "etc/sysusers.d/balance-station.conf").exists()
    assert "balance-station:" not in (root / "etc/passwd").read_text()
