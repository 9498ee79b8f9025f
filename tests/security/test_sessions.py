"""Sessions end on the server (issue 15, finding 5). The session lived only in the signed
cookie: a cookie saved before a logout still read (200) and wrote (201, a new patient)
afterwards, and a live view went on after its account was deactivated. On the real daemon:
a saved cookie opens nothing after its logout, and a deactivation or a new password ends the
account's live views and requests at once."""

import re
import threading
import time
import urllib.error

import pytest

pytestmark = [pytest.mark.security, pytest.mark.lean_station]

PASSWORD = "sessions password"


def log_in(panel_session, base, username, password=PASSWORD, source=None):
    browser = panel_session(base, source)
    browser.load("/login")
    browser.submit("/login", {"username": username, "password": password})
    browser.load("/")
    return browser


def copy_of(browser, panel_session, source):
    """Another browser at ``source`` holding a copy of ``browser``'s cookie and CSRF token as
    they are now (an attacker's copy, or the same tablet's cookie saved before a logout)."""
    thief = panel_session(browser.base, source)
    for cookie in browser.cookies:
        thief.cookies.set_cookie(cookie)
    thief.token = browser.token
    return thief


def status(browser, path, body=None) -> int:
    try:
        browser.call(path, body)
        return 200
    except urllib.error.HTTPError as error:
        return error.code


class LiveView:
    """A live view read on a thread of its own; ``ended`` is set when the server ends it."""

    def __init__(self, browser):
        self.stream = browser.open("/api/v1/live")
        assert self.stream.readline().startswith(b"retry:")
        self.ended = threading.Event()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        try:
            while self.stream.readline():
                pass
        except OSError:
            pass
        self.ended.set()


@pytest.fixture
def clinic(start_daemon, panel_session):
    """The daemon with a technician (logged in) and a therapist, thea."""
    _, base = start_daemon()
    tech = panel_session(base)
    tech.load("/setup")
    tech.submit("/setup", {"username": "tech", "password": PASSWORD, "confirm": PASSWORD})
    tech.load("/accounts")
    tech.submit("/accounts", {"username": "thea", "password": PASSWORD, "role": "therapist"})
    return base, tech


def test_a_cookie_saved_before_logout_neither_reads_nor_writes_afterwards(clinic, panel_session):
    base, _ = clinic
    thea = log_in(panel_session, base, "thea", source="127.0.0.3")
    assert status(thea, "/api/v1/patients") == 200
    thief = copy_of(thea, panel_session, "127.0.0.3")  # the same address and browser
    thea.submit("/logout", {})
    assert status(thief, "/api/v1/patients") == 401
    assert status(thief, "/api/v1/patients", {"name": "Written after logout"}) == 401
    page = thief.open("/").url
    assert "/login" in page


def test_a_deactivated_account_loses_its_live_views_and_its_requests(clinic, panel_session):
    base, tech = clinic
    thea = log_in(panel_session, base, "thea")
    views = [LiveView(thea), LiveView(thea)]  # a tablet and the patient display
    time.sleep(1.5)
    assert not any(view.ended.is_set() for view in views)
    accounts = tech.load("/accounts")
    thea_id = re.search(r'data-username="thea">.*?/accounts/(\d+)/active', accounts, re.S)[1]
    tech.submit(f"/accounts/{thea_id}/active", {"active": "0"})
    for view in views:
        assert view.ended.wait(10), "the live view went on after the deactivation"
    assert status(thea, "/api/v1/patients") == 401


def test_a_new_password_ends_the_other_devices_live_views(clinic, panel_session):
    base, _ = clinic
    tablet = log_in(panel_session, base, "thea", source="127.0.0.4")
    display = log_in(panel_session, base, "thea", source="127.0.0.5")
    view = LiveView(display)
    tablet.load("/password")
    new = "another sessions password"
    tablet.submit("/password", {"current": PASSWORD, "password": new, "confirm": new})
    assert view.ended.wait(10), "the live view went on after the password changed"
    assert status(display, "/api/v1/patients") == 401
    assert status(tablet, "/api/v1/patients") == 200  # the device that changed it stays in
