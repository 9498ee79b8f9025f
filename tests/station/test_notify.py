"""sd_notify against a socket standing in for systemd."""

import socket

import pytest

from station.notify import SystemdNotifier


@pytest.fixture
def systemd_socket(tmp_path):
    path = tmp_path / "notify.sock"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(path))
    sock.settimeout(1.0)
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
    notifier.stopping()
    assert sock.recv(64) == b"STOPPING=1"
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
