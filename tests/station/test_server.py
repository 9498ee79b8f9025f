"""The panel's server: STOP has a thread of its own, so it answers while every worker thread is
taken and other requests queue behind them."""

import threading
import urllib.request

from station.server import PanelServer


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
