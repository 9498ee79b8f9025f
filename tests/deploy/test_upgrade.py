"""upgrade.sh into a temporary root, with the core and the panel really started from the tree by
a stand-in for systemd: data and config survive, and a version that fails to start is rolled
back to the previous one with the database as it was before the upgrade."""

import json
import os
import socket
import sqlite3
import sys
import urllib.request

import pytest

pytestmark = pytest.mark.deploy


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def health(port) -> dict:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/health", timeout=10) as r:
        return json.loads(r.read())


def rows(database, sql) -> list:
    conn = sqlite3.connect(database)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


@pytest.fixture
def systemctl(tmp_path, root):
    """A ``systemctl`` that runs the installed unit's ExecStart from the root (stopped after)."""
    state = tmp_path / "systemd"
    wrapper = tmp_path / "bin" / "systemctl"
    wrapper.parent.mkdir()
    fake = os.path.join(os.path.dirname(__file__), "fake_systemctl.py")
    wrapper.write_text(
        f'#!/bin/sh\nexec {sys.executable} {fake} --root {root} --state {state} "$@"\n'
    )
    wrapper.chmod(0o755)
    yield wrapper, state
    os.system(f"{wrapper} stop balance-station.service balance-station-panel.service")


def test_upgrade_keeps_data_and_config_and_rolls_back_a_version_that_fails_to_start(
    root, versions, deploy, deps, script_env, systemctl
):
    wrapper, state = systemctl
    env = {**script_env, "SYSTEMCTL": str(wrapper)}
    base, wheel = versions["current"]
    deploy.install(wheel, "--no-start")
    config = root / "etc/balance-station/station.toml"
    port = free_port()
    config.write_text(config.read_text().replace("port = 8080", f"port = {port}", 1))
    config_bytes = config.read_bytes()
    prefix = root / "opt/balance-station"
    database = root / "var/lib/balance-station/station.db"
    log = state / "balance-station.service.log"
    panel_log = state / "balance-station-panel.service.log"

    deploy.run([wrapper, "start", "balance-station.service", "balance-station-panel.service"])
    assert health(port)["version"] == base
    conn = sqlite3.connect(database)  # a patient recorded by the running station
    conn.execute("INSERT INTO patients (name, created_at) VALUES ('Before Upgrade', 'x')")
    conn.commit()
    conn.close()
    old_venv = os.readlink(prefix / "venv")

    # a good upgrade, from a source tree
    nxt, source = versions["next"]
    upgrade = [deploy.dir / "upgrade.sh", "--root", root, "--deps-from", deps]
    out = deploy.run([*upgrade, "--source", source, "--health-timeout", "60"], env=env).stdout
    assert f"upgraded from {base} to {nxt}" in out, log.read_text() + panel_log.read_text()
    assert health(port)["version"] == nxt
    assert os.readlink(prefix / "venv.prev") == old_venv
    good_venv = os.readlink(prefix / "venv")
    assert good_venv != old_venv
    calls = (state / "calls.log").read_text().splitlines()
    both = "balance-station.service balance-station-panel.service"
    upgrade_calls = calls[calls.index(f"start {both}") + 1 :]
    stopped = upgrade_calls.index(f"stop {both}")
    assert upgrade_calls.index(f"start {both}") > stopped  # backup in between
    (backup,) = (root / "var/lib/balance-station/backups").glob("station-*.db")
    assert rows(backup, "SELECT name FROM patients") == [("Before Upgrade",)]
    assert rows(database, "SELECT name FROM patients") == [("Before Upgrade",)]
    assert config.read_bytes() == config_bytes
    schema = rows(database, "SELECT max(version) FROM schema_migrations")

    # a broken one: its migration runs, then the daemon fails at start
    broken, broken_wheel = versions["broken"]
    result = deploy.run(
        [*upgrade, "--wheel", broken_wheel, "--health-timeout", "60"], env=env, check=False
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"upgrade to {broken} failed: the service did not start" in result.stdout
    assert f"version {nxt} runs again" in result.stdout
    assert health(port)["version"] == nxt
    assert os.readlink(prefix / "venv") == good_venv
    assert os.readlink(prefix / "venv.prev") == old_venv
    assert sorted(p.name for p in (prefix / "venvs").iterdir()) == sorted(
        [good_venv.removeprefix("venvs/"), old_venv.removeprefix("venvs/")]
    )
    assert "this build is broken on purpose" in panel_log.read_text()  # its panel
    # the database is back as it was before the upgrade; the migrated one is kept aside
    assert rows(database, "SELECT max(version) FROM schema_migrations") == schema
    assert not rows(database, "SELECT name FROM sqlite_master WHERE name = 'upgrade_probe'")
    assert rows(database, "SELECT name FROM patients") == [("Before Upgrade",)]
    aside = database.with_name("station.db.before-restore")
    assert rows(aside, "SELECT name FROM sqlite_master WHERE name = 'upgrade_probe'")
    assert config.read_bytes() == config_bytes
