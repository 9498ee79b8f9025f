"""The panel's limits: live streams per account and in all (each holds a server thread), and
password checks at once (each Argon2 hash takes a core's tenth of a second and 64 MiB)."""

import threading
import time

import pytest

from webpanel.limits import BoundedHasher, PasswordChecksBusy


@pytest.fixture
def capped(station, make_app, password):
    """Three accounts on a panel that serves 3 live views, 2 per account."""
    app = make_app(station, LIVE_STREAMS=3, LIVE_STREAMS_PER_ACCOUNT=2)
    accounts = app.extensions["accounts"]
    accounts.create("tom", password, "technician")
    for name in ("thea", "theo"):
        accounts.create(name, password, "therapist", by="tom")
    return app


def test_live_streams_are_capped_per_account_and_in_all(capped, log_in):
    thea, theo, tom = (log_in(capped, name) for name in ("thea", "theo", "tom"))
    open_ = [thea.get("/api/v1/live"), thea.get("/api/v1/live")]
    assert [r.status_code for r in open_] == [200, 200]
    third = thea.get("/api/v1/live")
    assert third.status_code == 503
    error = third.get_json()["error"]
    assert error["code"] == "too_many_streams" and "this account already has 2" in error["message"]
    open_.append(theo.get("/api/v1/live"))
    assert open_[-1].status_code == 200
    full = tom.get("/api/v1/live")
    assert (
        full.status_code == 503
        and "already serves 3 live views" in full.get_json()["error"]["message"]
    )
    assert tom.post("/api/v1/stop").get_json()["stopped"] is True  # commands still answer
    open_.pop(0).close()  # a tablet closes its live view: its place is free again
    assert tom.get("/api/v1/live").status_code == 200
    for response in open_:
        response.close()


class SlowHasher:
    """A stand-in for argon2's PasswordHasher that takes ``seconds`` and counts how many run
    at once."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.running = self.most = 0
        self._lock = threading.Lock()

    def _work(self):
        with self._lock:
            self.running += 1
            self.most = max(self.most, self.running)
        time.sleep(self.seconds)
        with self._lock:
            self.running -= 1

    def hash(self, password):
        self._work()
        return "hash"

    def verify(self, password_hash, password):
        self._work()
        return True

    def check_needs_rehash(self, password_hash):
        return False


def test_password_checks_run_one_at_a_time_and_a_flood_waits_or_is_refused():
    slow = SlowHasher(0.05)
    hasher = BoundedHasher(slow, slots=1, wait_s=0.12)
    outcomes = []

    def attempt():
        try:
            outcomes.append(hasher.verify("hash", "guess"))
        except PasswordChecksBusy as exc:
            outcomes.append(exc.status)

    flood = [threading.Thread(target=attempt) for _ in range(8)]
    for thread in flood:
        thread.start()
    for thread in flood:
        thread.join()
    assert slow.most == 1  # never two hashes at once: one core and 64 MiB at most
    assert outcomes.count(True) >= 2 and 503 in outcomes  # some waited, the rest refused


def test_a_login_without_a_free_password_check_says_to_wait(station, make_app, password):
    slow = SlowHasher(0.5)
    app = make_app(station, PASSWORD_HASHER=slow, PASSWORD_CHECK_WAIT_S=0.1)
    app.extensions["accounts"].create("thea", password, "therapist")
    first = threading.Thread(
        target=app.test_client().post,
        args=("/login",),
        kwargs={"data": {"username": "thea", "password": "wrong one, slowly"}},
    )
    first.start()
    time.sleep(0.1)
    response = app.test_client().post("/login", data={"username": "thea", "password": password})
    first.join()
    assert response.status_code == 503
    assert "checking too many passwords at once" in response.get_data(as_text=True)
