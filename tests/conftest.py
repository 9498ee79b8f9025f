"""Shared fixtures: the reference data folder and stations on emulated hardware."""

import http.client
import http.cookiejar
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import types
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import adafruit_bno08x
import pytest

from station.clock import VirtualClock
from station.results.validation import SEEDS, ValidationRuns, WrittenRuns
from station.runtime.core_config import parse_config
from station.runtime.station import Station

DATA = Path(__file__).parent / "data"
CLINICAL_RUNS = pytest.StashKey[ValidationRuns | WrittenRuns]()
CLINICAL_DIR = pytest.StashKey[Path]()


SLOW_SUITES = ("e2e", "browser", "faults", "security", "clinical", "deploy", "hub")


@pytest.hookimpl(tryfirst=True)  # before -m deselects
def pytest_itemcollected(item):
    """The suites that start daemons, a browser or minutes of simulation are slow too: the
    fast loop is ``-m "not slow" -n 2``."""
    if any(item.get_closest_marker(name) for name in SLOW_SUITES):
        item.add_marker(pytest.mark.slow)


def pytest_configure(config):
    """Under pytest-xdist the session's controller computes the clinical validation (the
    workers' collections say whether it is wanted) and writes each run to a folder the workers
    read: the workers and two validation processes then share the two cores."""
    if _xdist_controller(config):
        config.stash[CLINICAL_DIR] = Path(tempfile.mkdtemp(prefix="clinical-runs-"))


def _xdist_controller(config) -> bool:
    return bool(getattr(config.option, "numprocesses", None)) and not hasattr(config, "workerinput")


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node):
    """Tell each xdist worker where the validation's runs are written."""
    node.workerinput["clinical_dir"] = str(node.config.stash[CLINICAL_DIR])


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_node_collection_finished(node, ids):
    """Start the validation in the controller, once, when a worker collected clinical tests."""
    config = node.config
    if CLINICAL_RUNS in config.stash or not any(i.startswith("tests/clinical/") for i in ids):
        return
    config.stash[CLINICAL_RUNS] = ValidationRuns(
        SEEDS, background=True, results_dir=config.stash[CLINICAL_DIR]
    )


REAL_TIME_FIRST = ("browser", "faults", "e2e", "hub", "deploy", "security")
"""The suites that mostly wait for real seconds (daemons, a browser), in this order: started
before the in-process tests, so a worker waiting on one leaves the cores to the others and the
session does not end on a long one begun late (the browser's episode of care: 7 minutes)."""


def _run_order(item) -> int:
    """Where ``item`` runs: the real-time suites first, the in-process tests, the clinical
    validation's checks last (they wait for its table)."""
    if item.get_closest_marker("clinical"):
        return len(REAL_TIME_FIRST) + 1
    for rank, name in enumerate(REAL_TIME_FIRST):
        if item.get_closest_marker(name):
            return rank
    return len(REAL_TIME_FIRST)


@pytest.hookimpl(trylast=True)  # after -m and -k deselected what they do
def pytest_collection_modifyitems(config, items):
    """Tests run in ``_run_order`` (a stable sort: files keep their order within a suite).
    The clinical validation (minutes of CPU) is computed from now on in two background
    processes at the lowest priority while the other tests run (an xdist worker reads the runs
    its controller writes)."""
    items.sort(key=_run_order)
    if not any(item.get_closest_marker("clinical") for item in items):
        return
    if hasattr(config, "workerinput"):
        config.stash[CLINICAL_RUNS] = WrittenRuns(Path(config.workerinput["clinical_dir"]), SEEDS)
    else:
        config.stash[CLINICAL_RUNS] = ValidationRuns(SEEDS, background=True)


def pytest_unconfigure(config):
    """A session that ends early (-x, Ctrl-C) stops the validation's workers."""
    runs = config.stash.get(CLINICAL_RUNS, None)
    if runs is not None:
        runs.close()
    folder = config.stash.get(CLINICAL_DIR, None)
    if folder is not None:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def clinical_runs(pytestconfig) -> ValidationRuns | WrittenRuns:
    """The validation runs started at collection (``pytest_collection_modifyitems``)."""
    return pytestconfig.stash[CLINICAL_RUNS]


@pytest.fixture(autouse=True)
def instant_bno08x_resets(monkeypatch):
    """The adafruit BNO08x driver sleeps 1 s in every soft reset, which the emulated chip does
    not need; its timeouts keep the real monotonic clock. (The e2e daemon keeps real sleeps.)"""
    fake_time = types.SimpleNamespace(sleep=lambda seconds: None, monotonic=time.monotonic)
    monkeypatch.setattr(adafruit_bno08x, "time", fake_time)


@pytest.fixture
def bds_dir() -> Path:
    """The six Santos & Duarte (2016) recordings (CC BY 4.0) and their published values."""
    return DATA / "bds"


LEAN_STATION = {"imu": {"enabled": False}, "loadcells": {"rate_sps": 80}}
"""The configuration of a station marked ``lean_station`` (a daemon's, unless its own config
has the section; the ``station`` fixture's): no IMU and the load cells at 80 SPS, both
configurations clinics run. An idle simulated daemon's core and load-cell process spend about
half their CPU emulating and reading those chips (0.25 CPU-s a second with the defaults here),
and a simulated drill about half its CPU (320 SPS conversions), for nothing a test of the
server, its security, its database or what the panel shows of a result reads."""


@pytest.fixture
def sim_config(request):
    """Default config on emulated hardware; the simulated patient steps on at 1 s. Tests marked
    ``platform_only`` (load-cell drills and their faults) get a station without the IMU
    (``[imu] enabled = false``, as clinics without one run it), as the clinical validation runs
    those drills: the emulated IMU's reports and their decoding are a third of a simulated
    drill's CPU (a 60 s quiet stance: 7.3 CPU-s with, 4.8 without) for nothing they read.
    Tests marked ``lean_station`` (what the panel shows of drills, their records and exports)
    get ``LEAN_STATION``."""
    options = {"sim": {"step_on_at_s": 1.0, "seed": 3}}
    if request.node.get_closest_marker("lean_station"):
        options.update(LEAN_STATION)
    elif request.node.get_closest_marker("platform_only"):
        options["imu"] = {"enabled": False}
    return parse_config(options)


@pytest.fixture
def station(sim_config):
    """A full station on emulated hardware under a virtual clock, database in memory."""
    st = Station(sim_config, clock=VirtualClock(), db_path=":memory:")
    yield st
    st.close()


# --- panel logins (tests/webpanel/conftest.py builds its app and clients on these) -------------
PANEL_PASSWORD = "correct horse battery"


@pytest.fixture
def password() -> str:
    """The password of the panel accounts the fixtures create."""
    return PANEL_PASSWORD


@pytest.fixture
def make_app():
    """``make_app(station, **flask_config)``: the panel with no account yet, CSRF off (unless
    ``WTF_CSRF_ENABLED=True``), argon2-cffi's cheapest hash parameters (a fast suite) and
    password attempts a minute as many as a test logs in (the tests of those limits set
    ``PASSWORD_ATTEMPTS`` and ``PASSWORD_ATTEMPTS_PER_ADDRESS``)."""
    from argon2 import PasswordHasher
    from argon2.profiles import CHEAPEST

    from webpanel.app import create_app

    def make(station, **config):
        settings = {
            "TESTING": True,
            "WTF_CSRF_ENABLED": False,
            "PASSWORD_HASHER": PasswordHasher.from_parameters(CHEAPEST),
            "PASSWORD_ATTEMPTS": 10_000,
            "PASSWORD_ATTEMPTS_PER_ADDRESS": 10_000,
        }
        return create_app(station, {**settings, **config})

    return make


@pytest.fixture
def log_in():
    """``log_in(app, username, password=...)``: a test client logged in through the form."""

    def log_in(app, username, password=PANEL_PASSWORD):
        client = app.test_client()
        response = client.post("/login", data={"username": username, "password": password})
        assert response.status_code == 303, response.get_data(as_text=True)
        return client

    return log_in


@pytest.fixture
def panel_client(station, make_app, log_in, password):
    """The panel on ``station``, logged in as a therapist (for tests outside tests/webpanel
    that check what the panel shows)."""
    app = make_app(station)
    app.extensions["accounts"].create("thea", password, "therapist")
    return log_in(app, "thea")


class FromAddress(urllib.request.HTTPHandler):
    """urllib's HTTP handler connecting from ``source`` (a loopback address such as
    127.0.0.7: another device, as the panel sees it)."""

    def __init__(self, source: str):
        super().__init__()
        self.source = source

    def http_open(self, req):
        def connection(host, **kwargs):
            return http.client.HTTPConnection(host, source_address=(self.source, 0), **kwargs)

        return self.do_open(connection, req)


class PanelSession:
    """A browser's session with a daemon's panel: its cookie and the CSRF token of the last
    page it loaded, as the panel's pages send it; from ``source`` when given (a device of its
    own: the panel's limits per address count it apart)."""

    def __init__(self, base: str, source: str | None = None):
        self.base = base
        self.cookies = http.cookiejar.CookieJar()
        handlers = [urllib.request.HTTPCookieProcessor(self.cookies)]
        if source is not None:
            handlers.append(FromAddress(source))
        self.opener = urllib.request.build_opener(*handlers)
        self.token = ""

    def open(self, path: str, data: bytes | None = None, headers: dict | None = None):
        request = urllib.request.Request(self.base + path, data=data, headers=headers or {})
        return self.opener.open(request, timeout=10)

    def load(self, path: str) -> str:
        """Load a page and keep its CSRF token."""
        with self.open(path) as response:
            page = response.read().decode()
        self.token = re.search(r'<meta name="csrf-token" content="([^"]+)">', page).group(1)
        return page

    def submit(self, path: str, fields: dict) -> str:
        """Post a form with the last page's token; the URL the browser ends on."""
        data = urllib.parse.urlencode({**fields, "csrf_token": self.token}).encode()
        with self.open(path, data) as response:
            return response.url

    def call(self, path: str, body: dict | None = None, method: str | None = None) -> dict:
        """A JSON API call: GET, or POST ``body`` (or ``method``, e.g. PUT) with the CSRF
        header."""
        data = None if body is None else json.dumps(body).encode()
        headers = {"Content-Type": "application/json", "X-CSRFToken": self.token}
        request = urllib.request.Request(self.base + path, data, headers, method=method)
        with self.opener.open(request, timeout=10) as response:
            return json.loads(response.read())

    def error(self, path: str, body: dict | None = None) -> tuple[int, dict]:
        """(status, error body) of a call expected to fail."""
        with pytest.raises(urllib.error.HTTPError) as failed:
            self.call(path, body)
        return failed.value.code, json.loads(failed.value.read())["error"]


@pytest.fixture
def panel_session():
    """``panel_session(base)``: a new browser session (``PanelSession``) with a daemon's panel."""
    return PanelSession


@pytest.fixture
def daemon_config(tmp_path, request):
    """``daemon_config(extra_toml="", panel_toml="")``: a config for a daemon on simulated
    hardware (data under ``tmp_path``, a free port; ``panel_toml`` adds lines to ``[panel]``,
    ``extra_toml`` other sections; ``LEAN_STATION`` for tests marked ``lean_station``); returns
    (config path, base URL)."""
    lean = request.node.get_closest_marker("lean_station") is not None

    def write(extra_toml: str = "", panel_toml: str = ""):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if lean:
            extra_toml += "".join(
                f"\n[{section}]\n"
                + "".join(f"{key} = {json.dumps(value)}\n" for key, value in options.items())
                for section, options in LEAN_STATION.items()
                if f"[{section}]" not in extra_toml
            )
        config = tmp_path / "station.toml"
        config.write_text(
            f'[station]\ndata_dir = "{tmp_path / "data"}"\n'
            f"[panel]\nport = {port}\n{panel_toml}\n{extra_toml}"
        )
        return config, f"http://127.0.0.1:{port}"

    return write


@pytest.fixture
def spawn():
    """``spawn(*args, env=None)``: ``python -m station *args`` in a subprocess (text pipes for
    stdout and stderr; ``env`` adds variables to the test's own); killed at teardown if still
    running."""
    started = []

    def start(*args, env: dict | None = None):
        proc = subprocess.Popen(
            [sys.executable, "-m", "station", *map(str, args)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
        )
        started.append(proc)
        return proc

    yield start
    for proc in started:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def health(base: str, timeout_s: float = 2.0) -> dict:
    """GET /api/v1/health (no login needed); its body also when it answers an error."""
    try:
        with urllib.request.urlopen(base + "/api/v1/health", timeout=timeout_s) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as error:
        return json.loads(error.read())


def wait_until_healthy(base: str, procs, timeout_s: float = 30.0) -> dict:
    """Poll /api/v1/health until it answers ok; fail if any of ``procs`` exits first."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        for proc in procs:
            if proc.poll() is not None:
                raise AssertionError(f"{proc.args} exited: {proc.stderr.read()}")
        try:
            answer = health(base)
            if answer["status"] == "ok":
                return answer
        except OSError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{base} did not answer /api/v1/health ok within {timeout_s} s")


@pytest.fixture
def until_healthy():
    """``until_healthy(base, procs, timeout_s=30)``: wait until /api/v1/health answers ok."""
    return wait_until_healthy


@pytest.fixture
def start_daemon(daemon_config, spawn):
    """Start the real daemon (``python -m station run``: the core, which starts the panel) on
    simulated hardware with a config of its own (``daemon_config``) and wait until
    /api/v1/health answers ok; returns (process, base URL). ``env`` adds variables to its
    environment. Killed at teardown if running."""

    def start(
        extra_toml: str = "", timeout_s: float = 30.0, panel_toml: str = "", env: dict | None = None
    ):
        config, base = daemon_config(extra_toml, panel_toml)
        proc = spawn("run", "--config", config, env=env)
        wait_until_healthy(base, [proc], timeout_s)
        return proc, base

    return start
