"""The real daemon (``python -m station run``: the core and the panel process it starts; or
``run --single-process``, the old one-process daemon) in a subprocess on simulated hardware,
and panel sessions with it over HTTP, for the benchmarks that measure the station as a clinic
runs it.

``Daemon`` writes a config of its own (data in a temporary directory, a free port on
127.0.0.1, optionally a database filled with patients first), starts the daemon, waits for
/api/v1/health and reads each process's CPU time and peak memory from /proc. ``PanelSession``
is one browser's session: its cookie, the CSRF token of the last page it loaded, JSON calls
and the live stream.
"""

import http.cookiejar
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

CLOCK_TICKS_PER_S = os.sysconf("SC_CLK_TCK")
TOKEN = re.compile(r'<meta name="csrf-token" content="([^"]+)">')


class Daemon:
    """The station daemon with ``loop_rate_hz``, from ``start()`` (or ``with``) to ``stop()``:
    ``single_process`` runs the old one-process daemon; ``patients`` fills the database with
    that many patients before it starts; ``panel_toml`` adds options to ``[panel]``."""

    def __init__(
        self,
        loop_rate_hz: float = 100.0,
        start_timeout_s: float = 60.0,
        *,
        single_process: bool = False,
        patients: int = 0,
        panel_toml: str = "",
    ):
        self.loop_rate_hz = loop_rate_hz
        self.start_timeout_s = start_timeout_s
        self.single_process = single_process
        self.patients = patients
        self.panel_toml = panel_toml
        self.proc: subprocess.Popen | None = None
        self.base = ""
        self._tmp = tempfile.TemporaryDirectory(prefix="bench-daemon-")
        self.log_path = Path(self._tmp.name) / "daemon.log"

    def __enter__(self) -> "Daemon":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self) -> None:
        """Start the daemon and wait until its health check answers ok."""
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        tmp = Path(self._tmp.name)
        config = tmp / "station.toml"
        config.write_text(
            f'[station]\ndata_dir = "{tmp / "data"}"\nloop_rate_hz = {self.loop_rate_hz}\n'
            f"[panel]\nport = {port}\n{self.panel_toml}\n[sim]\nstep_on_at_s = 0.5\n"
        )
        if self.patients:
            fill_patients(tmp / "data" / "station.db", self.patients)
        command = [sys.executable, "-m", "station", "run", "--config", str(config)]
        with self.log_path.open("w") as log:
            self.proc = subprocess.Popen(
                command + ["--single-process"] * self.single_process,
                stdout=subprocess.DEVNULL,
                stderr=log,
            )
        self.base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + self.start_timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the daemon exited: {self.log_path.read_text()}")
            try:
                if self.health()["status"] == "ok":
                    return
            except OSError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"the daemon did not answer within {self.start_timeout_s} s")

    def health(self) -> dict:
        """GET /api/v1/health (no login needed)."""
        with urllib.request.urlopen(self.base + "/api/v1/health", timeout=5) as response:
            return json.loads(response.read())

    def pids(self) -> dict[str, int]:
        """``{"core": pid, "panel": pid, "loadcells": pid}`` as /api/v1/health reports them
        (the same pid for core and panel in the one-process daemon; the load-cell process's
        when it has one)."""
        health = self.health()
        pids = {"core": self.proc.pid, "panel": self.proc.pid}
        if "panel" in health:
            pids = {"core": health["core"]["pid"], "panel": health["panel"]["pid"]}
        loadcells = health["devices"]["loadcells"].get("pid")
        if loadcells is not None:
            pids["loadcells"] = loadcells
        return pids

    def cpu_s(self, pid: int | None = None) -> float:
        """User plus system CPU seconds so far (all threads) of process ``pid``, or of the
        whole daemon (core, panel and load-cell process) when None."""
        if pid is None:
            return sum(self.cpu_s(p) for p in set(self.pids().values()))
        return process_cpu_s(pid)

    def peak_memory_mib(self, pid: int | None = None) -> float:
        """Peak resident memory (VmHWM) in MiB of process ``pid``, or of the whole daemon (the
        sum of its processes' peaks) when None."""
        if pid is None:
            return sum(self.peak_memory_mib(p) for p in set(self.pids().values()))
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        raise RuntimeError(f"no VmHWM in /proc/{pid}/status")

    def stop(self) -> None:
        """SIGTERM, as systemd stops it; killed if it has not stopped within 15 s."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._tmp.cleanup()


def process_cpu_s(pid: int) -> float:
    """User plus system CPU seconds so far (all threads) of any process ``pid``."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()  # after "pid (comm) "; comm may hold spaces
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS_PER_S  # utime, stime


def fill_patients(db_path: Path, count: int) -> None:
    """A new station database with ``count`` patients (names and codes to search), written
    directly, as years of a clinic's records would be, before the daemon starts."""
    from station.storage.database import migrate, now_iso, open_database

    db_path.parent.mkdir(parents=True, exist_ok=True)
    db = open_database(db_path)
    try:
        migrate(db)
        rows = [
            (f"{SURNAMES[i % len(SURNAMES)]} {i:05d}", f"P{i:05d}", now_iso()) for i in range(count)
        ]
        with db.conn:
            db.conn.executemany(
                "INSERT INTO patients (name, code, created_at) VALUES (?, ?, ?)", rows
            )
    finally:
        db.close()


SURNAMES = ("Smith", "Garcia", "Nguyen", "Okafor", "Larsen", "Rossi", "Kowalski", "Haddad")


class PanelSession:
    """One browser's session with the panel: its cookie and the CSRF token of the last page."""

    def __init__(self, base: str):
        self.base = base
        cookies = urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        self.opener = urllib.request.build_opener(cookies)
        self.token = ""

    def open(self, path: str, data: bytes | None = None, headers: dict | None = None, timeout=10):
        request = urllib.request.Request(self.base + path, data=data, headers=headers or {})
        return self.opener.open(request, timeout=timeout)

    def load(self, path: str) -> str:
        """Load a page and keep its CSRF token."""
        with self.open(path) as response:
            page = response.read().decode()
        self.token = TOKEN.search(page).group(1)
        return page

    def submit(self, path: str, fields: dict) -> str:
        """Post a form with the token of the page loaded last; the URL it ends on."""
        data = urllib.parse.urlencode({**fields, "csrf_token": self.token}).encode()
        with self.open(path, data) as response:
            return response.url

    def set_up_first_account(self, username: str, password: str) -> None:
        """The first-run page: create the first account (a technician), logged in."""
        self.load("/setup")
        self.submit("/setup", {"username": username, "password": password, "confirm": password})
        self.load("/")

    def log_in(self, username: str, password: str) -> None:
        self.load("/login")
        self.submit("/login", {"username": username, "password": password})
        self.load("/")

    def call(self, path: str, body: dict | None = None) -> dict:
        """A JSON API call: GET, or POST with ``body`` (and the CSRF header)."""
        data = None if body is None else json.dumps(body).encode()
        headers = {"Content-Type": "application/json", "X-CSRFToken": self.token}
        with self.open(path, data, headers) as response:
            return json.loads(response.read())

    def live_messages(self, timeout_s: float = 10.0):
        """Yield (time.monotonic() at arrival, message) for each event of /api/v1/live."""
        with self.open("/api/v1/live", timeout=timeout_s) as stream:
            for raw in stream:
                arrived = time.monotonic()
                line = raw.decode()
                if line.startswith("data: "):
                    yield arrived, json.loads(line[6:])
