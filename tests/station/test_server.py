"""The panel's server: STOP has a thread of its own, so it answers while every worker thread is
taken and other requests queue behind them, and the workers run at a lower priority; one
address cannot hold every connection, a request must arrive whole in time, big bodies are
refused before they are read, a port in use is a config error, and closing is prompt."""

import json
import os
import socket
import threading
import urllib.request

import pytest

from station.errors import ConfigError
from station.runtime import server as server_module
from station.runtime.server import MAX_BODY_BYTES, WORKER_NICE, PanelServer


def ok_app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok"]


@pytest.fixture
def serve():
    """``serve(app, per_address=16)``: a started PanelServer on a free port; closed after."""
    servers = []

    def start(app=ok_app, per_address=16):
        server = PanelServer(
            app, host="127.0.0.1", port=0, threads=2, stop_path="/stop", per_address=per_address
        )
        server.start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()


def connect(server, source="127.0.0.1") -> socket.socket:
    return socket.create_connection(("127.0.0.1", server.port), 5, source_address=(source, 0))


def read_to_end(conn) -> str:
    """Everything the server sends until it closes the connection."""
    chunks = []
    while chunk := conn.recv(4096):
        chunks.append(chunk)
    return b"".join(chunks).decode()


def test_stop_answers_while_every_worker_is_taken():
    release = threading.Event()
    stopped = threading.Event()

    def app(environ, start_response):
        if environ["PATH_INFO"] == "/api/v1/stop":
            stopped.set()
            body = b"stopped"
        else:
            release.wait(10)  # a request that holds its worker (a live view, a slow page)
            body = b"slow"
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [body]

    server = PanelServer(
        app, host="127.0.0.1", port=0, threads=1, stop_path="/api/v1/stop", per_address=16
    )
    server.start()
    slow = [
        threading.Thread(target=urllib.request.urlopen, args=(f"{server.url}/page/{i}",))
        for i in range(3)
    ]  # one holds the only worker, two wait for it
    get = urllib.request.Request(f"{server.url}/api/v1/stop")  # only a POST has the lane
    slow.append(threading.Thread(target=urllib.request.urlopen, args=(get,)))
    try:
        for thread in slow[:3]:
            thread.start()
        request = urllib.request.Request(f"{server.url}/api/v1/stop", data=b"", method="POST")
        with urllib.request.urlopen(request, timeout=5) as response:
            assert response.read() == b"stopped"
        assert stopped.is_set() and all(thread.is_alive() for thread in slow[:3])
        slow[3].start()
        slow[3].join(0.5)
        assert slow[3].is_alive()  # a GET of the same path queues like any request
    finally:
        release.set()
        for thread in slow:
            if thread.ident is not None:
                thread.join()
        server.close()


def test_one_address_holds_at_most_its_connections_and_others_are_served(serve):
    server = serve(per_address=3)
    held = [connect(server) for _ in range(3)]
    for conn in held:
        conn.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")  # unfinished: each holds its place
    extra = connect(server)  # answered as soon as it is accepted, before it sends anything
    answer = read_to_end(extra)
    assert answer.startswith("HTTP/1.1 503")
    error = json.loads(answer.split("\r\n\r\n", 1)[1])["error"]
    assert (
        error["code"] == "too_many_connections" and "already has 3 connections" in error["message"]
    )
    other = connect(server, "127.0.0.2")  # another device
    other.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    assert other.recv(100).startswith(b"HTTP/1.1 200")
    for conn in [*held, extra, other]:
        conn.close()


def test_a_request_that_trickles_in_is_closed_at_its_deadline(serve, monkeypatch):
    monkeypatch.setattr(server_module, "REQUEST_DEADLINE_S", 0.5)
    server = serve()
    slow = connect(server)
    slow.sendall(b"GET / HTTP/1.1\r\n")
    slow.settimeout(0.2)
    closed = False
    for _ in range(40):  # a header line every 0.2 s keeps it busy, never idle
        try:
            slow.sendall(b"X-Slow: 1\r\n")
            closed = slow.recv(100) == b""
        except TimeoutError:
            continue
        except ConnectionError:
            closed = True
        if closed:
            break
    assert closed
    with urllib.request.urlopen(server.url, timeout=5) as response:  # a whole request is served
        assert response.read() == b"ok"


def test_a_body_over_the_limit_is_refused_before_it_is_read(serve):
    server = serve()
    conn = connect(server)
    conn.sendall(
        b"POST /login HTTP/1.1\r\nHost: x\r\nContent-Length: 300000000\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\n\r\n"
    )  # and not one byte of the body
    answer = read_to_end(conn)
    assert answer.startswith("HTTP/1.1 413")
    error = json.loads(answer.split("\r\n\r\n", 1)[1])["error"]
    assert error == {
        "code": "too_large",
        "message": f"the request body is over the station's limit of {MAX_BODY_BYTES // 1024} KiB",
    }
    conn.close()


def test_a_port_in_use_is_a_config_error_naming_the_option():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(ConfigError, match=rf"\[panel\] port = {port}: another program"):
            PanelServer(
                ok_app, host="127.0.0.1", port=port, threads=1, stop_path="/s", per_address=4
            )
    with pytest.raises(ConfigError, match=r"\[panel\] host = '192.0.2.7': the panel cannot"):
        PanelServer(ok_app, host="192.0.2.7", port=0, threads=1, stop_path="/s", per_address=4)


def test_close_ends_the_server_with_connections_still_open(caplog):
    server = PanelServer(
        ok_app, host="127.0.0.1", port=0, threads=2, stop_path="/stop", per_address=16
    )
    server.start()
    idle = connect(server)  # a browser's keep-alive connection, left open
    idle.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    answer = b""
    while not answer.endswith(b"ok"):
        answer += idle.recv(100)
    server.close(timeout_s=5.0)
    assert idle.recv(100) == b""  # closed by the server
    assert "did not stop" not in caplog.text  # its thread ended, not timed out


def test_workers_yield_the_cpu_to_the_request_reader_and_the_stop_lane():
    seen = {}

    def app(environ, start_response):
        seen[environ["PATH_INFO"]] = os.getpriority(os.PRIO_PROCESS, 0)
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]

    server = PanelServer(
        app, host="127.0.0.1", port=0, threads=2, stop_path="/api/v1/stop", per_address=16
    )
    server.start()
    try:
        urllib.request.urlopen(f"{server.url}/page").read()
        stop = urllib.request.Request(f"{server.url}/api/v1/stop", data=b"", method="POST")
        urllib.request.urlopen(stop).read()
    finally:
        server.close()
    base = os.getpriority(os.PRIO_PROCESS, 0)
    assert seen == {"/page": min(19, base + WORKER_NICE), "/api/v1/stop": base}
