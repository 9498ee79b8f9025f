"""What a client can hold of the real daemon's panel without logging in (issue 15, findings 1
and 2): a slowloris (many connections, each sending a header line now and then) no longer
takes /health and STOP from everyone else, and a big or endless request body is refused before
it is read, held in memory only, never spooled to the disk the database lives on."""

import contextlib
import http.client
import json
import os
import socket
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from station.runtime.server import REQUEST_DEADLINE_S

pytestmark = [pytest.mark.security, pytest.mark.lean_station]

PASSWORD = "server limits password"
ATTACKER, CLINIC = "127.0.0.1", "127.0.0.2"
PER_ADDRESS = 16  # [panel] connections_per_address, the default
SIM = "[sim]\nstep_on_at_s = 0.5\nseed = 3\n"


def technician(panel_session, base, source=CLINIC):
    """The first account, made on the first-run page from the clinic's tablet."""
    tech = panel_session(base, source)
    tech.load("/setup")
    tech.submit("/setup", {"username": "tech", "password": PASSWORD, "confirm": PASSWORD})
    tech.load("/")
    return tech


def health_from(base: str, source: str) -> int:
    """The status of GET /api/v1/health sent from ``source``."""
    port = int(base.rsplit(":", 1)[1])
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5, source_address=(source, 0))
    try:
        conn.request("GET", "/api/v1/health")
        return conn.getresponse().status
    finally:
        conn.close()


def refused_or_open(conn: socket.socket) -> str:
    """ "refused" when the server answered 503 too_many_connections or closed the connection,
    "open" while it holds it."""
    conn.setblocking(False)
    try:
        data = conn.recv(4096)
    except BlockingIOError:
        return "open"
    except ConnectionError:
        return "refused"
    finally:
        conn.setblocking(True)
    if data == b"" or b"too_many_connections" in data:
        return "refused"
    raise AssertionError(f"unexpected answer to an unfinished request: {data[:200]!r}")


class Slowloris:
    """110 connections from one address, each sending one header line every ``every_s``,
    never finishing its request (the attack of finding 1, faster)."""

    def __init__(self, port: int, count: int = 110, every_s: float = 2.0):
        self.port, self.count, self.every_s = port, count, every_s
        self.refused_at_once = 0
        self.held: list[socket.socket] = []
        self.closed_by_server = 0
        self.done = threading.Event()

    def open(self) -> None:
        for _ in range(self.count):
            conn = socket.create_connection(("127.0.0.1", self.port), 5, (ATTACKER, 0))
            self.held.append(conn)
        time.sleep(0.5)  # the server answers what it refuses as it accepts it
        for conn in list(self.held):
            if refused_or_open(conn) == "refused":
                self.held.remove(conn)
                conn.close()
                self.refused_at_once += 1
        for conn in self.held:
            conn.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: station\r\n")

    def trickle(self, seconds: float) -> None:
        """A header line on every connection still open, every ``every_s``."""
        deadline = time.monotonic() + seconds
        while self.held and time.monotonic() < deadline:
            for conn in list(self.held):
                try:
                    conn.sendall(b"X-Still-Here: 1\r\n")
                    state = refused_or_open(conn)
                except ConnectionError:
                    state = "refused"
                if state == "refused":
                    self.held.remove(conn)
                    conn.close()
                    self.closed_by_server += 1
            time.sleep(self.every_s)
        self.done.set()


def test_a_slowloris_from_one_address_leaves_health_and_stop_to_everyone_else(
    start_daemon, panel_session
):
    _proc, base = start_daemon(SIM)
    tech = technician(panel_session, base)
    patient = tech.call("/api/v1/patients", {"name": "Slowloris"})
    body = {"patient_id": patient["id"], "drill": "quiet-stance", "params": {"duration_s": 60}}
    trial_id = tech.call("/api/v1/trials", body)["trial_id"]

    attack = Slowloris(int(base.rsplit(":", 1)[1]))
    attack.open()
    assert len(attack.held) <= PER_ADDRESS  # the rest refused as they came
    assert attack.refused_at_once >= attack.count - PER_ADDRESS
    trickling = threading.Thread(target=attack.trickle, args=(REQUEST_DEADLINE_S + 10,))
    trickling.start()
    polls = []
    while not attack.done.is_set():
        polls.append(health_from(base, CLINIC))
        time.sleep(0.5)
        if len(polls) == 4:  # the attack in full swing: the therapist presses STOP
            assert tech.call("/api/v1/stop", {})["stopped"] is True
    trickling.join()

    assert polls and all(status == 200 for status in polls), polls
    assert attack.held == []  # every connection it held was closed: none sent a whole request
    assert attack.closed_by_server >= 1
    trial = tech.call(f"/api/v1/trials/{trial_id}")
    assert (trial["state"], trial["reason"]) == ("aborted", "stopped by the therapist")
    assert health_from(base, ATTACKER) == 200  # the attacker's address is not banned either


def spooled(pid: int, folder: Path) -> list[str]:
    """The files of process ``pid`` open under ``folder`` (a temporary file made with
    O_TMPFILE has no name in the folder but shows as an open file in it)."""
    found = []
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith(str(folder)):
            found.append(target)
    return found


def post_until_answered(port: int, head: bytes, chunks) -> tuple[str, int]:
    """Send ``head``, then the body from ``chunks`` until the server answers or closes; (its
    answer, "" when it closed without one it could deliver, body bytes sent until then).

    A server that refuses a body before reading it all closes with the rest unread, and the
    kernel may then reset the connection, losing the answer on the way: the bytes sent tell
    that it stopped reading."""
    conn = socket.create_connection(("127.0.0.1", port), 10, (ATTACKER, 0))
    conn.sendall(head)
    sent = 0
    answer = b""
    conn.setblocking(False)
    try:
        for chunk in chunks:
            with contextlib.suppress(BlockingIOError):
                answer += conn.recv(4096)
            if answer:
                break
            try:
                sent += conn.send(chunk)
            except BlockingIOError:
                time.sleep(0.01)
        conn.setblocking(True)
        conn.settimeout(10)
        while more := conn.recv(4096):
            answer += more
    except ConnectionError:
        pass
    finally:
        conn.close()
    return answer.decode(errors="replace"), sent


def too_large(answer: str) -> bool:
    head, _, body = answer.partition("\r\n\r\n")
    return head.startswith("HTTP/1.1 413") and json.loads(body)["error"]["code"] == "too_large"


def test_big_and_endless_bodies_are_refused_before_login_and_never_touch_the_disk(
    start_daemon, panel_session, tmp_path, monkeypatch
):
    spool = tmp_path / "spool"
    spool.mkdir()
    monkeypatch.setenv("TMPDIR", str(spool))  # where the panel's temporary files would go
    proc, base = start_daemon()
    port = int(base.rsplit(":", 1)[1])
    technician(panel_session, base)
    panel_pid = json.loads(urllib.request.urlopen(base + "/api/v1/health").read())["panel"]["pid"]

    # 300 MB announced: refused from its Content-Length, before a byte of it is read
    head = (
        b"POST /login HTTP/1.1\r\nHost: station\r\nContent-Type: "
        b"application/x-www-form-urlencoded\r\nContent-Length: 300000000\r\n\r\n"
    )
    conn = socket.create_connection(("127.0.0.1", port), 10, (ATTACKER, 0))
    conn.sendall(head)  # the headers alone: the answer comes before any of the body
    answer = b""
    while more := conn.recv(4096):
        answer += more
    conn.close()
    assert too_large(answer.decode()), answer

    # endless chunked bodies, to the login and to an API route: 413, not 401 after reading
    for path in (b"/login", b"/api/v1/patients"):
        head = b"POST " + path + b" HTTP/1.1\r\nHost: station\r\nTransfer-Encoding: chunked\r\n\r\n"
        chunk = b"10000\r\n" + b"a" * 0x10000 + b"\r\n"
        answer, sent = post_until_answered(port, head, [chunk] * 3000)  # up to 196 MB
        # refused (the answer, or a reset that lost it) long before the body ended: never the
        # 401 that came after the whole body had been read and spooled
        assert too_large(answer) or (answer == "" and sent < 16 << 20), (path, answer, sent)

    # four unfinished uploads held open at once: each refused, nothing kept
    held = []
    for _ in range(4):
        conn = socket.create_connection(("127.0.0.1", port), 10, (ATTACKER, 0))
        conn.sendall(head.replace(b"Transfer-Encoding: chunked", b"Content-Length: 250000000"))
        held.append(conn)
    for conn in held:
        conn.settimeout(10)
        assert conn.recv(100).startswith(b"HTTP/1.1 413")
    assert spooled(panel_pid, spool) == [] and list(spool.iterdir()) == []
    for conn in held:
        conn.close()
    assert proc.poll() is None
