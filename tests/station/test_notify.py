"""sd_notify against a socket standing in for systemd: the notifier alone, the control loop's
watchdog pings (and their end when the loop hangs), and the real daemon from start to stop."""

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request

import pytest

from sensing.calibration import CornerCalibration
from sensing.cop import PlatformGeometry
from sensing.framing import FrameBuilder
from station.clock import MonotonicClock, VirtualClock
from station.runtime.live import LiveFeed
from station.runtime.loop import ControlLoop
from station.runtime.notify import SystemdNotifier, status_line


@pytest.fixture
def systemd_socket(tmp_path):
    path = tmp_path / "notify.sock"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(path))
    sock.settimeout(2.0)
    yield path, sock
    sock.close()


def test_ready_status_watchdog_and_stopping(systemd_socket):
    path, sock = systemd_socket
    notifier = SystemdNotifier({"NOTIFY_SOCKET": str(path), "WATCHDOG_USEC": "4000000"})
    assert notifier.enabled and notifier.watchdog_interval_s == 2.0
    notifier.ready("sampling at 100 Hz")
    assert sock.recv(256) == b"READY=1\nSTATUS=sampling at 100 Hz"
    notifier.watchdog(10.0)
    notifier.watchdog(11.0)  # within half the interval: no ping
    notifier.watchdog(12.0)
    assert sock.recv(64) == b"WATCHDOG=1"
    assert sock.recv(64) == b"WATCHDOG=1"
    notifier.stopping("stopping: flushing")
    assert sock.recv(64) == b"STOPPING=1\nSTATUS=stopping: flushing"
    notifier.close()


def test_without_systemd_nothing_is_sent_and_nothing_fails():
    notifier = SystemdNotifier({})
    assert not notifier.enabled and notifier.watchdog_interval_s is None
    notifier.ready("x")
    notifier.watchdog(1.0)
    notifier.close()


def test_a_vanished_socket_is_counted_not_raised(tmp_path):
    notifier = SystemdNotifier({"NOTIFY_SOCKET": str(tmp_path / "gone.sock")})
    notifier.status("hello")
    assert notifier.send_errors == 1 and notifier.last_error


def test_the_watchdog_is_meant_for_the_pid_systemd_names():
    usec = {"NOTIFY_SOCKET": "@x", "WATCHDOG_USEC": "1000000"}
    assert SystemdNotifier({**usec, "WATCHDOG_PID": str(os.getpid())}).watchdog_interval_s == 0.5
    assert SystemdNotifier({**usec, "WATCHDOG_PID": "1"}).watchdog_interval_s is None


def test_status_line_says_rate_activity_and_devices_not_ready():
    status = {
        "loop": {"rate_hz": 100.0, "measured_rate_hz": 99.96},
        "drill": None,
        "devices": {"loadcells": {"state": "ready"}, "imu": {"state": "ready"}, "cues": {}},
    }
    assert status_line(status) == "sampling at 100 Hz, idle"
    status["loop"]["measured_rate_hz"] = 0.0  # before two ticks: the target
    status["drill"] = {"drill": "mctsib", "phase": "recording"}
    status["devices"]["imu"]["state"] = "recovering"
    assert status_line(status) == "sampling at 100 Hz, running mctsib (recording); imu recovering"


def test_status_line_of_a_station_running_a_drill(station):
    assert status_line(station.status()) == "sampling at 100 Hz, idle"
    patient = station.records.create_patient({"name": "Status Line"})
    station.start_drill(patient["id"], "quiet-stance")
    assert status_line(station.status()) == "sampling at 100 Hz, running quiet-stance (waiting)"


class NullCues:
    def update(self, now):
        pass

    def all_off(self):
        pass


class HangingLoadCells:
    """A load-cell reader whose drain blocks, as a wedged bus transfer would, once ``hang`` is
    set."""

    rate_hz = 320
    stale_limit_s = 0.5

    def __init__(self):
        self.hang, self.entered, self.release = (
            threading.Event(),
            threading.Event(),
            threading.Event(),
        )

    def drain(self):
        if self.hang.is_set():
            self.entered.set()
            self.release.wait(10.0)
        return []


def make_loop(clock, loadcells, notifier):
    frames = FrameBuilder(CornerCalibration((0,) * 4, (1,) * 4), PlatformGeometry(400, 300), 20)
    return ControlLoop(
        clock=clock,
        rate_hz=100.0,
        loadcells=loadcells,
        cues=NullCues(),
        frames=frames,
        feed=LiveFeed(),
        on_begin=None,
        on_end=None,
        watchdog=notifier.watchdog,
    )


def drain(sock) -> list[bytes]:
    sock.setblocking(False)
    messages = []
    try:
        while True:
            messages.append(sock.recv(256))
    except BlockingIOError:
        return messages
    finally:
        sock.settimeout(2.0)


def test_the_loop_pings_the_watchdog_at_half_its_interval(systemd_socket):
    path, sock = systemd_socket
    notifier = SystemdNotifier({"NOTIFY_SOCKET": str(path), "WATCHDOG_USEC": "2000000"})
    loop = make_loop(VirtualClock(), HangingLoadCells(), notifier)
    loop.run_virtual(lambda: False, max_s=10.0)  # 1000 ticks over 10 s of virtual time
    assert loop.ticks == 1000
    assert drain(sock) == [b"WATCHDOG=1"] * 10  # one a second: at t = 0, 1, ..., 9 s


def test_a_hung_loop_stops_the_pings_and_they_resume_when_it_moves(systemd_socket):
    path, sock = systemd_socket
    notifier = SystemdNotifier({"NOTIFY_SOCKET": str(path), "WATCHDOG_USEC": "100000"})
    loadcells = HangingLoadCells()
    loop = make_loop(MonotonicClock(), loadcells, notifier)
    stop = threading.Event()
    thread = threading.Thread(target=loop.run, args=(stop,), daemon=True)
    thread.start()
    try:
        assert [sock.recv(64) for _ in range(3)] == [b"WATCHDOG=1"] * 3
        loadcells.hang.set()
        assert loadcells.entered.wait(5.0)
        drain(sock)  # pings sent before the read blocked
        sock.settimeout(1.0)  # twenty ping intervals of 50 ms
        with pytest.raises(TimeoutError):
            sock.recv(64)
        loadcells.hang.clear()
        loadcells.release.set()
        sock.settimeout(5.0)
        assert sock.recv(64) == b"WATCHDOG=1"
    finally:
        loadcells.release.set()
        stop.set()
        thread.join(5.0)
    assert not thread.is_alive()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def receive_until(sock, wanted, timeout_s: float) -> list[bytes]:
    """Datagrams up to and including the first that starts with ``wanted``."""
    messages = []
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            messages.append(sock.recv(512))
        except TimeoutError:
            continue
        if messages[-1].startswith(wanted):
            return messages
    raise AssertionError(f"no {wanted!r} within {timeout_s} s; got {messages}")


@pytest.mark.e2e
def test_the_daemon_speaks_the_notify_protocol_and_logs_for_journald(systemd_socket, tmp_path):
    path, sock = systemd_socket
    port = free_port()
    config = tmp_path / "station.toml"
    config.write_text(f'[station]\ndata_dir = "{tmp_path / "data"}"\n[panel]\nport = {port}\n')
    stderr_path = tmp_path / "stderr.log"
    with open(stderr_path, "wb") as stderr:
        st = os.fstat(stderr.fileno())
        env = {
            **os.environ,
            "NOTIFY_SOCKET": str(path),
            "WATCHDOG_USEC": "1000000",
            "JOURNAL_STREAM": f"{st.st_dev}:{st.st_ino}",
        }
        proc = subprocess.Popen(
            [sys.executable, "-m", "station", "run", "--config", str(config)],
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            env=env,
        )
    try:
        started = receive_until(sock, b"READY=1", 60.0)
        assert started[0] == b"STATUS=starting: checking the database, opening the devices"
        # the control loop pinged before READY: sampling ran when systemd was told it is up
        assert b"WATCHDOG=1" in started[:-1]
        # the measured rate: a tick the machine's load made the loop skip shows as 99 Hz
        ready = re.fullmatch(
            rb"READY=1\nSTATUS=sampling at (\d+) Hz, idle; panel on http://127.0.0.1:(\d+)",
            started[-1],
        )
        assert ready, started[-1]
        assert 90 <= int(ready[1]) <= 100 and int(ready[2]) == port
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/health", timeout=10) as r:
            assert b'"ticks"' in r.read()
        after = receive_until(sock, b"STATUS=", 10.0)
        assert re.fullmatch(rb"STATUS=sampling at \d+ Hz, idle", after[-1])
        for _ in range(3):  # the watchdog keeps being pinged while the station runs
            receive_until(sock, b"WATCHDOG=1", 10.0)
        proc.send_signal(signal.SIGTERM)
        stopping = receive_until(sock, b"STOPPING=1", 20.0)
        assert (
            stopping[-1] == b"STOPPING=1\nSTATUS=stopping: ending any trial, flushing the database"
        )
        assert proc.wait(timeout=20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    lines = stderr_path.read_text().splitlines()
    assert lines and all(re.match(r"<[2-7]>[A-Z]+ \S+: ", line) for line in lines), lines
    assert any(line.startswith("<6>INFO balance-station: station running") for line in lines)
    assert lines[-1].startswith("<6>INFO balance-station: stopped cleanly")
