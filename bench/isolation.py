"""The station under everything a busy clinic and a careless network throw at it at once, the
core and the panel in two processes beside the old one-process daemon, in one table.

For each daemon (``run``, then ``run --single-process``), on simulated hardware, all at once:

- two CPU-bound processes beside the station (``python -c "while True: pass"``);
- 50 live clients streaming /api/v1/live (seven accounts: at most 8 streams each);
- an 8-way unauthenticated login flood: each attempt fetches the login page (cookie, CSRF
  token) and posts a wrong password for an unknown user from its own loopback address
  (127.0.x.y), so the per-address limit of 5 a minute never stops it; the station's limit of
  30 password checks a minute in all does (issue 15), the rest are refused 429 unhashed;
- a 10,000-patient list searched as someone types (GET /api/v1/patients?q=..., a page of
  patients now and then);
- quiet-stance trials back to back for ``--seconds`` (60; 10 s each with a 3 s countdown),
  then 20 STOPs (a trial started, recording, stopped), the load still on.

It prints: the core's loop lateness p50/p99/max (the loop's own 10 s statistics from
/api/v1/health, polled every 2 s: median p50, worst window's p99, largest max) and late ticks;
the recorded sample spacing error p99 (|t[i+1] - t[i] - 1/rate| over the stored recordings
of the trials); conversions lost (the load cells' ``lost_conversions``, the IMU's
``lost_reports`` and the readers' ``queue_overflows`` in /api/v1/health, "n/a" where the
station does not report them); STOP latency from the request to cues off (the client's
``time.monotonic()`` before POST /api/v1/stop, to the ``cues_off_at_s`` the core reports in
/api/v1/status: its ``time.monotonic()`` when the control loop turned every cue off; one
clock for all processes on a machine); the core's and the panel's CPU (utime + stime from
/proc over the loaded period, % of one core); the trials' quality verdicts; and what the
load did (streams served and refused, logins hashed, refused, busy; searches). The load runs
in a process of its own; the therapist's tablet that runs the trials and presses STOP is the
benchmark's main process, so its own timing is not delayed by the load's threads. The
``--single-process`` daemon is the station as it was (one process, normal priority) with
today's panel (its limits and STOP's own thread).

Below the two runs, the core's own CPU per tick without the emulated chips and the simulated
person, and its estimate for a Raspberry Pi 4 (``bench/core_tick.py``, which shows the parts
and how the estimate is derived).

Usage: ``python bench/isolation.py [--seconds 60] [--only two-process|one-process]``.
"""

import argparse
import contextlib
import http.client
import itertools
import multiprocessing
import os
import random
import re
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
from collections import Counter
from dataclasses import dataclass, field

import core_tick
import numpy as np
from daemon import Daemon, PanelSession

PASSWORD = "isolation bench password"
LIVE_CLIENTS = 50
ACCOUNTS = 7  # 50 streams at 8 per account
FLOODERS = 8
PATIENTS = 10_000
STOPS = 20
POLL_S = 2.0
TRIAL = {"drill": "quiet-stance", "params": {"duration_s": 10, "countdown_s": 3}}
STOP_TRIAL = {"drill": "quiet-stance", "params": {"duration_s": 30, "countdown_s": 0}}
TOKEN = re.compile(rb'<meta name="csrf-token" content="([^"]+)">')


@dataclass
class Run:
    """What one daemon did under the load."""

    mode: str
    seconds: float = 0.0
    ticks: int = 0
    late_ticks: int = 0
    lateness_ms: list = field(default_factory=list)  # the loop's 10 s windows
    spacing_error_ms: list = field(default_factory=list)
    lost: int | None = None
    stop_ms: list = field(default_factory=list)
    stop_http_ms: list = field(default_factory=list)
    core_cpu_pct: float = 0.0
    panel_cpu_pct: float | None = None
    loadcells_cpu_pct: float | None = None
    poller: dict = field(default_factory=dict)  # the load-cell poller's wake-up figures
    probe: dict = field(default_factory=dict)  # a bare real-time thread's, beside it
    verdicts: list = field(default_factory=list)  # (trial id, ok, failed flags)
    streams: int = 0
    refused_streams: int = 0
    logins: dict = field(default_factory=dict)  # status -> count
    searches_ms: list = field(default_factory=list)


# --- the load --------------------------------------------------------------------------------
class Load:
    """Threads and processes that load the daemon at ``base`` (logged in as the bench's
    accounts) until ``done``; run in a process of its own (``run_load``), so that the load's
    own threads never delay the measuring client's requests."""

    def __init__(self, base: str, done):
        self.base = base
        self.sessions = []
        for k in range(ACCOUNTS):
            session = PanelSession(base)
            session.log_in(f"bench{k}", PASSWORD)
            self.sessions.append(session)
        self.done = done
        self.threads: list[threading.Thread] = []
        self.hogs: list[subprocess.Popen] = []
        self.streaming: set[int] = set()
        self.refused = 0
        self.logins: dict = {}
        self.searches_ms: list[float] = []
        self._lock = threading.Lock()
        self._addresses = itertools.count(256)

    def start(self) -> None:
        for _ in range(2):
            self.hogs.append(subprocess.Popen([sys.executable, "-c", "while True: pass"]))
        for k in range(LIVE_CLIENTS):
            self._spawn(self._live, k, self.sessions[k % ACCOUNTS])
        for _ in range(FLOODERS):
            self._spawn(self._flood)
        self._spawn(self._search, self.sessions[1])

    def _spawn(self, target, *args) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)
        thread.start()
        self.threads.append(thread)

    def _live(self, k: int, session: PanelSession) -> None:
        """A live view: reads its stream, and like a browser's EventSource tries again a
        second after a refusal or an error."""
        while not self.done.is_set():
            try:
                for _ in session.live_messages(timeout_s=10.0):
                    with self._lock:
                        self.streaming.add(k)
                    if self.done.is_set():
                        return
            except urllib.error.HTTPError as error:
                if error.code == 503:
                    with self._lock:
                        self.refused += 1
            except OSError:
                pass
            self.done.wait(1.0)

    def _flood(self) -> None:
        """Unauthenticated logins with wrong passwords, each from a loopback address of its
        own (so the per-address limit never applies and each costs a password hash)."""
        host, port = "127.0.0.1", int(self.base.rsplit(":", 1)[1])
        while not self.done.is_set():
            n = next(self._addresses)
            source = (f"127.0.{n // 254 % 254 + 1}.{n % 254 + 1}", 0)
            try:
                status = _login_attempt(host, port, source, f"nobody{n}")
            except OSError as exc:
                status = type(exc).__name__
            with self._lock:
                self.logins[status] = self.logins.get(status, 0) + 1

    def _search(self, session: PanelSession) -> None:
        """Someone searching the 10,000-patient list as they type, and opening the list."""
        queries = ["", "S", "Sm", "Smi", "Ga", "Ng", "0", "12", "123", "P0", "Ro", "Ha"]
        while not self.done.is_set():
            for query in queries:
                started = time.monotonic()
                try:
                    session.call("/api/v1/patients?" + urllib.parse.urlencode({"q": query}))
                    if query == "":
                        session.load("/")
                except OSError:
                    continue
                self.searches_ms.append((time.monotonic() - started) * 1e3)
                if self.done.is_set():
                    return

    def stop(self) -> dict:
        """Stop the CPU hogs and wait for the threads (``done`` is set); what the load did."""
        for hog in self.hogs:
            hog.kill()
            hog.wait()
        for thread in self.threads:
            thread.join(12)
        return {
            "streaming": len(self.streaming),
            "refused": self.refused,
            "logins": self.logins,
            "searches_ms": self.searches_ms,
        }


def run_load(base: str, done, ready, results) -> None:
    """The load process: start everything, say when every live client streams (or after a
    minute), and at ``done`` put what the load did on ``results``."""
    load = Load(base, done)
    load.start()
    settled = time.monotonic() + 60
    while len(load.streaming) < LIVE_CLIENTS and time.monotonic() < settled:
        time.sleep(0.2)
    ready.set()
    done.wait()
    results.put(load.stop())


def _login_attempt(host: str, port: int, source, username: str):
    """One login attempt from ``source``: the login page for its cookie and token, then a wrong
    password; the HTTP status of the post (401 hashed and refused, 429, 503 busy)."""
    conn = http.client.HTTPConnection(host, port, timeout=30, source_address=source)
    try:
        conn.request("GET", "/login")
        page = conn.getresponse()
        body = page.read()
        cookie = (page.getheader("Set-Cookie") or "").split(";", 1)[0]
        token = TOKEN.search(body)
        form = urllib.parse.urlencode(
            {"username": username, "password": "not the password", "csrf_token": token[1]}
        )
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie}
        conn.request("POST", "/login", form, headers)
        answer = conn.getresponse()
        answer.read()
        return answer.status
    finally:
        conn.close()


# --- a bare probe: what the machine itself does to a real-time thread's wake-ups ------------
PROBE_PERIOD_S = 1 / 640  # the load-cell poller's period at 320 SPS
PROBE_PRIORITY = 11  # the poller's SCHED_FIFO priority (the loop's 10, plus one)


def run_probe(done, results) -> None:
    """Sleep ``PROBE_PERIOD_S`` at a time on SCHED_FIFO ``PROBE_PRIORITY`` (if allowed) and
    doing nothing else, until ``done``: its wake-ups more than 1 ms and 1.5 ms late and the
    latest, the control for the poller's own (the same load, no Python of ours in between)."""
    with contextlib.suppress(PermissionError):
        os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(PROBE_PRIORITY))
    late_1 = late_15 = wakes = 0
    latest = 0.0
    deadline = time.monotonic()
    while not done.is_set():
        deadline += PROBE_PERIOD_S
        time.sleep(max(0.0, deadline - time.monotonic()))
        late = time.monotonic() - deadline
        wakes += 1
        late_1 += late > 0.001
        late_15 += late > 0.0015
        latest = max(latest, late)
        deadline = max(deadline, time.monotonic() - PROBE_PERIOD_S)
    results.put(
        {"wakes": wakes, "late_1ms": late_1, "late_1_5ms": late_15, "latest_ms": 1000 * latest}
    )


# --- one daemon under the load ---------------------------------------------------------------
def measure(mode: str, seconds: float) -> Run:
    """Start the daemon of ``mode`` and run trials and STOPs under the full load."""
    run = Run(mode)
    # the load's 50 live clients and their accounts come from one address, where a clinic has
    # a device each: the per-address caps on connections and password forms are raised to let
    # them all in
    per_address = (
        f"connections_per_address = {LIVE_CLIENTS + 32}\npassword_attempts_per_address = 30\n"
    )
    with Daemon(
        single_process=mode == "one process", patients=PATIENTS, panel_toml=per_address
    ) as daemon:
        tablet = _accounts(daemon)
        patient_id = tablet.call("/api/v1/patients", {"name": "Bench Patient"})["id"]
        done, ready, results = (
            multiprocessing.Event(),
            multiprocessing.Event(),
            multiprocessing.Queue(),
        )
        load = multiprocessing.Process(target=run_load, args=(daemon.base, done, ready, results))
        load.start()
        ready.wait(120)
        probed = multiprocessing.Queue()
        probe = multiprocessing.Process(target=run_probe, args=(done, probed))
        probe.start()
        pids = daemon.pids()
        cpu0 = {name: daemon.cpu_s(pid) for name, pid in pids.items()}
        wall0, loop0 = time.monotonic(), daemon.health()["loop"]
        polled = threading.Event()
        poller = threading.Thread(target=_poll_health, args=(daemon, run, polled), daemon=True)
        poller.start()
        try:
            trials = _trials_back_to_back(tablet, patient_id, seconds)
            _stops(tablet, patient_id, run)
        finally:
            wall = time.monotonic() - wall0
            cpu = {name: daemon.cpu_s(pid) - cpu0[name] for name, pid in pids.items()}
            loop = daemon.health()["loop"]
            polled.set()
            done.set()
            did = results.get(timeout=60)
            load.join(30)
            run.probe = probed.get(timeout=30)
            probe.join(10)
            poller.join(POLL_S + 5)
        run.seconds, run.ticks = wall, loop["ticks"] - loop0["ticks"]
        run.late_ticks = loop["late_ticks"] - loop0["late_ticks"]
        run.core_cpu_pct = 100 * cpu["core"] / wall
        if pids["panel"] != pids["core"]:
            run.panel_cpu_pct = 100 * cpu["panel"] / wall
        if "loadcells" in pids:
            run.loadcells_cpu_pct = 100 * cpu["loadcells"] / wall
        devices = daemon.health()["devices"]
        run.lost = _lost(devices)
        run.poller = devices["loadcells"]
        _recordings(tablet, trials, run)
        run.streams, run.refused_streams = did["streaming"], did["refused"]
        run.logins, run.searches_ms = did["logins"], did["searches_ms"]
    return run


def _accounts(daemon: Daemon) -> PanelSession:
    """The first account (a technician, logged in: the therapist's tablet that runs the
    trials and presses STOP) and six therapists for the live clients."""
    tech = PanelSession(daemon.base)
    tech.set_up_first_account("bench0", PASSWORD)
    for k in range(1, ACCOUNTS):
        tech.load("/accounts")
        fields = {"username": f"bench{k}", "password": PASSWORD, "role": "therapist"}
        tech.submit("/accounts", fields)
    return tech


def _poll_health(daemon: Daemon, run: Run, done: threading.Event) -> None:
    """The loop's lateness over its last 10 s, every 2 s (about as often as tablets ask)."""
    while not done.wait(POLL_S):
        try:
            run.lateness_ms.append(daemon.health()["loop"]["lateness_ms"])
        except OSError:
            continue


def _trials_back_to_back(session: PanelSession, patient_id: int, seconds: float) -> list[str]:
    """Quiet-stance trials one after the other for ``seconds``; their ids."""
    trials, deadline = [], time.monotonic() + seconds
    while time.monotonic() < deadline:
        trial_id = session.call("/api/v1/trials", {"patient_id": patient_id, **TRIAL})["trial_id"]
        trials.append(trial_id)
        _until(lambda: session.call("/api/v1/status")["drill"] is None, 60)
    return trials


def _stops(session: PanelSession, patient_id: int, run: Run) -> None:
    """``STOPS`` times: start a trial, let it record, stop it; the latency to cues off."""
    for _ in range(STOPS):
        session.call("/api/v1/trials", {"patient_id": patient_id, **STOP_TRIAL})
        _until(lambda: _phase(session) == "recording", 30)
        time.sleep(random.uniform(0.2, 0.6))  # anywhere between two ticks
        asked = time.monotonic()
        session.call("/api/v1/stop", {})
        answered = time.monotonic()
        off = session.call("/api/v1/status")["cues_off_at_s"]
        run.stop_ms.append((off - asked) * 1e3)
        run.stop_http_ms.append((answered - asked) * 1e3)
        _until(lambda: session.call("/api/v1/status")["drill"] is None, 10)


def _phase(session: PanelSession) -> str | None:
    return (session.call("/api/v1/status")["drill"] or {}).get("phase")


def _until(predicate, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out after {timeout_s} s")
        time.sleep(0.1)


def _lost(devices: dict) -> int | None:
    """The conversions the sensors lost since the station started, if it counts them: the
    load cells' ``lost_conversions`` per corner, the IMU's ``lost_reports`` and samples a
    reader's queue dropped (``queue_overflows``)."""
    counts = []
    for device in devices.values():
        if not isinstance(device, dict):
            continue
        counts.extend((device.get("lost_conversions") or {}).values())
        counts.extend(device[k] for k in ("lost_reports", "queue_overflows") if k in device)
    return sum(counts) if counts else None


def _recordings(session: PanelSession, trials: list[str], run: Run) -> None:
    """Sample spacing error and quality verdict of each stored trial."""
    for trial_id in trials:
        trial = session.call(f"/api/v1/trials/{trial_id}")
        quality = (trial.get("result") or {}).get("quality") or {}
        failed = [f["code"] for f in quality.get("flags", []) if f["severity"] == "fail"]
        run.verdicts.append((trial["state"], bool(quality.get("ok")), failed))
        if trial["state"] != "completed":
            continue
        start = next(e["t_s"] for e in trial["events"] if e["phase"] == "recording")
        end = next(e["t_s"] for e in trial["events"] if e["phase"] == "completed")
        t = np.array(session.call(f"/api/v1/trials/{trial_id}/samples")["columns"]["t_s"])
        t = t[(t >= start) & (t < end)]
        run.spacing_error_ms += list(np.abs(np.diff(t) - 1.0 / trial["rate_hz"]) * 1e3)


# --- the table -----------------------------------------------------------------------------------
def rows(runs: list[Run]) -> list[tuple[str, list[str], str]]:
    """(figure, a value per run, target) for every line of the table."""

    def each(fn):
        return [fn(r) for r in runs]

    def pct(values, q):
        return float(np.percentile(values, q)) if values else float("nan")

    lines = [
        (
            "loop lateness p50 / p99 / max (ms)",
            each(
                lambda r: (
                    f"{statistics.median(w['p50'] for w in r.lateness_ms):.3f} / "
                    f"{max(w['p99'] for w in r.lateness_ms):.3f} / "
                    f"{max(w['max'] for w in r.lateness_ms):.1f}"
                )
            ),
            "p99 < 2",
        ),
        ("late ticks (of ticks)", each(lambda r: f"{r.late_ticks} of {r.ticks}"), ""),
        (
            "recorded sample spacing error p99 (ms)",
            each(lambda r: f"{pct(r.spacing_error_ms, 99):.3f}"),
            "< 0.1",
        ),
        (
            "conversions lost",
            each(lambda r: "n/a" if r.lost is None else str(r.lost)),
            "0",
        ),
        (
            f"STOP to cues off p50 / p99 ({STOPS} stops, ms)",
            each(lambda r: f"{pct(r.stop_ms, 50):.1f} / {pct(r.stop_ms, 99):.1f}"),
            "p99 < 100",
        ),
        (
            "STOP request to its answer p50 / p99 (ms)",
            each(lambda r: f"{pct(r.stop_http_ms, 50):.1f} / {pct(r.stop_http_ms, 99):.1f}"),
            "",
        ),
        ("core CPU (% of one core)", each(lambda r: f"{r.core_cpu_pct:.1f}"), ""),
        (
            "panel CPU (% of one core)",
            each(lambda r: "(the same)" if r.panel_cpu_pct is None else f"{r.panel_cpu_pct:.1f}"),
            "",
        ),
        (
            "load-cell process CPU (% of one core)",
            each(
                lambda r: (
                    "(in the core)" if r.loadcells_cpu_pct is None else f"{r.loadcells_cpu_pct:.1f}"
                )
            ),
            "",
        ),
        (
            "load-cell poller: wake-ups > 1 ms late / latest / slowest poll (ms)",
            each(
                lambda r: (
                    "n/a"
                    if "late_wakes" not in r.poller
                    else f"{r.poller['late_wakes']} / {r.poller['latest_wake_ms']}"
                    f" / {r.poller['slowest_poll_ms']}"
                )
            ),
            "",
        ),
        (
            "bare probe (same period, priority): wake-ups > 1 / > 1.5 ms late / latest (ms)",
            each(
                lambda r: (
                    f"{r.probe['late_1ms']} / {r.probe['late_1_5ms']} of {r.probe['wakes']}"
                    f" / {r.probe['latest_ms']:.2f}"
                )
            ),
            "",
        ),
        (
            "trials completed, quality ok",
            each(lambda r: _verdicts(r.verdicts)),
            "all",
        ),
        (
            "live clients streaming / refusals",
            each(lambda r: f"{r.streams} of {LIVE_CLIENTS} / {r.refused_streams}"),
            "",
        ),
        (
            "flood: logins 401 / 429 / 503",
            each(
                lambda r: (
                    " / ".join(str(r.logins.get(code, 0)) for code in (401, 429, 503))
                    + (f" (+{_other(r.logins)} failed)" if _other(r.logins) else "")
                )
            ),
            "",
        ),
        (
            "patient searches, p50 / p99 (ms)",
            each(
                lambda r: (
                    f"{len(r.searches_ms)}, {pct(r.searches_ms, 50):.0f} / "
                    f"{pct(r.searches_ms, 99):.0f}"
                )
            ),
            "",
        ),
    ]
    return lines


def _verdicts(verdicts: list) -> str:
    """ "5 of 5, 3 ok (failed: rate x2, stall x1)": trials completed, passed, the failed checks."""
    completed = [v for v in verdicts if v[0] == "completed"]
    ok = sum(1 for v in completed if v[1])
    text = f"{len(completed)} of {len(verdicts)}, {ok} ok"
    failed = Counter(code for v in completed if not v[1] for code in v[2])
    return text + (
        f" (failed: {', '.join(f'{c} x{n}' for c, n in sorted(failed.items()))})" if failed else ""
    )


def _other(logins: dict) -> int:
    return sum(n for code, n in logins.items() if code not in (401, 429, 503))


def tick_rows(runs: list[Run], tick: dict) -> list[tuple[str, list[str], str]]:
    """The core's CPU per tick (the part a Pi runs) and its Pi 4 estimate, in the first column."""
    us = sum(tick["parts"].values())
    pi4 = us * tick["pi4_factor"]
    blank = ["-"] * (len(runs) - 1)
    return [
        (
            "core CPU per tick, no emulation",
            [f"{us:.0f} µs ({us / 100:.1f} % at 100 Hz)", *blank],
            "",
        ),
        (
            f"... Raspberry Pi 4 estimate (x {tick['pi4_factor']:.1f})",
            [f"{pi4 / 1000:.2f} ms ({pi4 / 100:.0f} % at 100 Hz)", *blank],
            "",
        ),
    ]


def print_table(runs: list[Run], tick: dict) -> None:
    header = ("figure", *(r.mode for r in runs), "target")
    lines = rows(runs) + tick_rows(runs, tick)
    cells = [header] + [(figure, *values, target) for figure, values, target in lines]
    widths = [max(len(c[i]) for c in cells) for i in range(len(header))]
    for k, line in enumerate(cells):
        print("  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip())
        if k == 0:
            print("  ".join("-" * w for w in widths))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="of trials back to back")
    parser.add_argument("--only", choices=("two-process", "one-process"))
    args = parser.parse_args()
    modes = [m for m in ("two processes", "one process") if m[:3] == (args.only or m)[:3]]
    load_before = os.getloadavg()[0]
    runs = [measure(mode, args.seconds) for mode in modes]
    tick = core_tick.measure(3000, 2000)
    print()
    print_table(runs, tick)
    print()
    print(
        f"{os.cpu_count()} cores, Python {sys.version.split()[0]}; load average (1 min) "
        f"{load_before:.2f} before, {os.getloadavg()[0]:.2f} after. Each daemon ran "
        + ", ".join(f"{r.mode} {r.seconds:.0f} s" for r in runs)
        + " under the load (trials, then the STOPs)."
    )


if __name__ == "__main__":
    main()
