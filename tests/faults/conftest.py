"""The fault suite's daemon and panel: the real daemon (``start_daemon`` from tests/conftest.py:
the core, and the panel process it starts) with the simulated patient on the platform, driven
over HTTP by a technician's session (``panel_session``, tests/conftest.py), as the panel's pages
do (tests/e2e/test_daemon.py does the same for the everyday paths)."""

import sqlite3
import time

import pytest

PASSWORD = "fault suite password"
DAEMON_TOML = "[sim]\nstep_on_at_s = 0.5\nseed = 11\n"


def wait_for(predicate, timeout_s: float, what: str):
    """Poll ``predicate`` every 0.1 s until it returns something true; fail after
    ``timeout_s`` (a bound on waiting, not a speed requirement)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")


class Daemon:
    """The daemon on simulated hardware, a technician's panel session with it and a patient;
    ``restart()`` starts it again on the same data (after a crash or a clean stop)."""

    def __init__(self, start_daemon, data_dir, panel_session):
        self._start = start_daemon
        self._session = panel_session
        self.db_path = data_dir / "station.db"
        self.proc, base = start_daemon(DAEMON_TOML)
        self.panel = self._log_in(base, first_run=True)
        self.patient_id = self.call("/api/v1/patients", {"name": "Fault Suite"})["id"]

    def _log_in(self, base: str, first_run: bool):
        panel = self._session(base)
        if first_run:  # the first-run page creates the technician's account
            panel.load("/setup")
            form = {"username": "tech", "password": PASSWORD, "confirm": PASSWORD}
            panel.submit("/setup", form)
        else:
            panel.load("/login")
            panel.submit("/login", {"username": "tech", "password": PASSWORD})
        panel.load("/")
        return panel

    def restart(self) -> None:
        self.proc, base = self._start(DAEMON_TOML)
        self.panel = self._log_in(base, first_run=False)

    def call(self, path: str, body: dict | None = None) -> dict:
        return self.panel.call(path, body)

    def error(self, path: str, body: dict | None = None) -> tuple[int, dict]:
        return self.panel.error(path, body)

    def start_trial(self, drill: str, **params) -> str:
        """Start ``drill`` for the patient (no countdown) and wait until it records."""
        body = {
            "patient_id": self.patient_id,
            "drill": drill,
            "params": {"countdown_s": 0, **params},
        }
        trial_id = self.call("/api/v1/trials", body)["trial_id"]
        wait_for(
            lambda: (self.call("/api/v1/status")["drill"] or {}).get("phase") == "recording",
            20,
            f"{drill} to record",
        )
        return trial_id

    def ended(self, trial_id: str, timeout_s: float = 30) -> dict:
        """The trial's record once it no longer runs."""
        return wait_for(
            lambda: (t := self.call(f"/api/v1/trials/{trial_id}"))["state"] != "running" and t,
            timeout_s,
            f"trial {trial_id} to end",
        )

    wait_for = staticmethod(wait_for)

    def integrity(self) -> str:
        """SQLite's PRAGMA integrity_check of the database file ("ok" when sound)."""
        db = sqlite3.connect(self.db_path)
        try:
            return db.execute("PRAGMA integrity_check").fetchone()[0]
        finally:
            db.close()

    def pids(self) -> dict[str, int]:
        """The daemon's processes: ``{"core": pid, "panel": pid}`` (``run`` is the core, the
        panel its child), as /api/v1/health reports them."""
        health = self.call("/api/v1/health")
        return {"core": health["core"]["pid"], "panel": health["panel"]["pid"]}

    def fault(self, device: str, fault: str) -> None:
        """Inject ``fault`` into the emulated ``device`` (a technician's tool)."""
        self.call("/api/v1/sim/fault", {"device": device, "fault": fault})


@pytest.fixture
def daemon(start_daemon, tmp_path, panel_session) -> Daemon:
    """The daemon, logged in as a technician, with a patient (see ``Daemon``)."""
    return Daemon(start_daemon, tmp_path / "data", panel_session)


class SplitDaemon(Daemon):
    """The core and the panel started apart, as systemd runs them (``balance-station core``
    and ``balance-station panel``): ``proc`` is the core, ``panel_proc`` the panel;
    ``restart()`` starts the core again (the panel goes on)."""

    def __init__(self, daemon_config, spawn, until_healthy, data_dir, panel_session):
        self._spawn, self._until_healthy = spawn, until_healthy
        self._session = panel_session
        self.config, base = daemon_config(DAEMON_TOML)
        self.proc = spawn("core", "--config", self.config)
        self.panel_proc = spawn("panel", "--config", self.config)
        until_healthy(base, [self.proc, self.panel_proc])
        self.db_path = data_dir / "station.db"
        self.panel = self._log_in(base, first_run=True)
        self.patient_id = self.call("/api/v1/patients", {"name": "Split Daemon"})["id"]

    def restart(self) -> None:
        self.proc = self._spawn("core", "--config", self.config)
        self._until_healthy(self.panel.base, [self.proc, self.panel_proc])


@pytest.fixture
def split_daemon(daemon_config, spawn, until_healthy, tmp_path, panel_session) -> SplitDaemon:
    """The core and the panel as two processes started apart (see ``SplitDaemon``)."""
    return SplitDaemon(daemon_config, spawn, until_healthy, tmp_path / "data", panel_session)
