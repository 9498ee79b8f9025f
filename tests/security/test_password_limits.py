"""How many passwords the real daemon checks for anyone (issue 15, finding 3). Each Argon2
hash costs about 0.1 s of a core and 64 MiB, and the per-address limit on failed logins was
dodged by rotating source addresses (30 failures from 30 addresses: all hashed), never counted
successful logins, did not apply to /password (12 guesses in 1.6 s, nothing recorded), and let
12 of 40 parallel failures past its limit of 5. Now every password form sent counts as it
begins: 5 a minute per address and 30 a minute from every address together (the defaults),
exactly, whatever arrives at once."""

import threading
import time
import urllib.error
import urllib.parse

import pytest

pytestmark = [pytest.mark.security, pytest.mark.lean_station]

PASSWORD = "password limits password"


def attempt(panel_session, base, source, username, password) -> int:
    """A browser at ``source`` loads the login page and sends the form; the answer's status
    (303 for a login that went through). Sent while the address holds all the connections it
    may (503 too_many_connections), it tries again a moment later, as an attacker would."""
    for _ in range(100):
        browser = panel_session(base, source)
        try:
            browser.load("/login")
            form = {"username": username, "password": password, "csrf_token": browser.token}
            data = urllib.parse.urlencode(form).encode()
            with browser.open("/login", data) as response:
                return 303 if response.url.rstrip("/") == base else response.status
        except urllib.error.HTTPError as error:
            if b"too_many_connections" not in error.read():
                return error.code
        except ConnectionError:  # refused as it connected, its request unread
            pass
        except urllib.error.URLError as error:  # ... noticed while still sending the form
            if not isinstance(error.reason, ConnectionError):
                raise
        time.sleep(0.05)
    raise AssertionError(f"{source} never got a connection")


def change_password(session, current: str) -> int:
    form = {"current": current, "password": "brand new one!", "confirm": "brand new one!"}
    data = urllib.parse.urlencode({**form, "csrf_token": session.token}).encode()
    try:
        with session.open("/password", data) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_password_checks_are_limited_per_address_and_in_all_successes_included(
    start_daemon, panel_session
):
    _, base = start_daemon()
    tech = panel_session(base, "127.0.0.2")  # checks 1 (setup)
    tech.load("/setup")
    tech.submit("/setup", {"username": "tech", "password": PASSWORD, "confirm": PASSWORD})
    tech.load("/password")

    # the right password, again and again from one device: counted too (checks 2-6)
    logins = [attempt(panel_session, base, "127.0.0.4", "tech", PASSWORD) for _ in range(6)]
    assert logins == [303] * 5 + [429]

    # guessing one's current password on /password: limited, and each wrong one recorded
    # (the setup counted for this address: 4 more, checks 7-10)
    guesses = [change_password(tech, f"guess {n}") for n in range(5)]
    assert guesses == [400] * 4 + [429]
    trail = tech.call("/api/v1/technician/audit?action=password-change-failed")["entries"]
    assert [(e["detail"], e["address"]) for e in trail] == [
        ("wrong current password", "127.0.0.2")
    ] * 4

    # 40 wrong passwords at once from one address (16 connections at a time, the others
    # retried): exactly 5 are checked (checks 11-15)
    statuses = []
    threads = [
        threading.Thread(
            target=lambda: statuses.append(
                attempt(panel_session, base, "127.0.0.1", "tech", "not the password")
            )
        )
        for _ in range(40)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [401] * 5 + [429] * 35

    # one guess each from 40 addresses: the station checks 30 a minute in all (checks 16-30)
    rotating = [
        attempt(panel_session, base, f"127.0.1.{n}", "tech", "not the password")
        for n in range(1, 41)
    ]
    assert rotating == [401] * 15 + [429] * 25
    assert attempt(panel_session, base, "127.0.0.5", "tech", PASSWORD) == 429
    failed = tech.call("/api/v1/technician/audit?action=login-failed")["entries"]
    assert len(failed) == 5 + 15  # the refused ones cost no hash and no line
