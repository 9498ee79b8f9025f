"""The panel's server: STOP has a thread of its own, so it answers while every worker thread is
taken and other requests queue behind them, and the workers run at a lower priority."""

import os
import threading
import urllib.request

from station.server import WORKER_NICE, PanelServer


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

    server = PanelServer(app, host="127.0.0.1", port=0, threads=1, stop_path="/api/v1/stop")
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


def test_workers_yield_the_cpu_to_the_request_reader_and_the_stop_lane():
    seen = {}

    def app(environ, start_response):
        seen[environ["PATH_INFO"]] = os.getpriority(os.PRIO_PROCESS, 0)
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]

    server = PanelServer(app, host="127.0.0.1", port=0, threads=2, stop_path="/api/v1/stop")
    server.start()
    try:
        urllib.request.urlopen(f"{server.url}/page").read()
        stop = urllib.request.Request(f"{server.url}/api/v1/stop", data=b"", method="POST")
        urllib.request.urlopen(stop).read()
    finally:
        server.close()
    base = os.getpriority(os.PRIO_PROCESS, 0)
    assert seen == {"/page": min(19, base + WORKER_NICE), "/api/v1/stop": base}
