"""Logins as a clinic uses them: first-run setup, login and logout, refused logins, idle logout,
rate limits, the session cookie, CSRF, and the technicians' account page."""

import re
import stat
import time
from pathlib import Path

import pytest

import webpanel
from station.clock import VirtualClock
from station.errors import StorageError
from station.runtime.core_config import parse_config
from station.runtime.station import Station
from webpanel.app import SECRET_KEY_FILE, panel_secret_key
from webpanel.auth import ACCOUNT_LIMITS, LAST_SEEN

THERAPIST, TECHNICIAN = "thea", "tom"  # the accounts of the app fixture


ACCOUNT_ACTIONS = ("login", "logout", "login-failed", "account-created", "account-changed")


def audit_actions(app, limit=20):
    """(action, target) of the newest ``limit`` audit entries about logins and accounts (the
    panel also records every record it shows)."""
    entries = app.extensions["accounts"].recent_audit(200)
    return [(e["action"], e["target"]) for e in entries if e["action"] in ACCOUNT_ACTIONS][:limit]


def page_token(response) -> str:
    """The CSRF token a page carries in its meta tag (as panel.js reads it)."""
    match = re.search(
        r'<meta name="csrf-token" content="([^"]+)">', response.get_data(as_text=True)
    )
    assert match, "the page has no csrf-token meta tag"
    return match.group(1)


# --- first run ---------------------------------------------------------------------------------
def test_first_start_asks_for_the_first_account_then_never_again(station, password, make_app):
    app = make_app(station)
    browser = app.test_client()
    assert browser.get("/").headers["Location"] == "/setup"
    assert browser.get("/login").headers["Location"] == "/setup"
    api = browser.get("/api/v1/patients")
    assert api.status_code == 401 and api.get_json()["error"]["code"] == "login_required"
    page = browser.get("/setup").get_data(as_text=True)
    assert "create the first account" in page and "There is no default password" in page

    refused = browser.post(
        "/setup", data={"username": "Tech.One", "password": "short", "confirm": "short"}
    )
    assert refused.status_code == 400
    assert "password: use at least 10 characters" in refused.get_data(as_text=True)
    assert not app.extensions["accounts"].has_any()
    differ = browser.post(
        "/setup", data={"username": "tech.one", "password": password, "confirm": password + "x"}
    )
    assert "confirm: the two passwords differ" in differ.get_data(as_text=True)

    done = browser.post(
        "/setup", data={"username": "Tech.One", "password": password, "confirm": password}
    )
    assert done.status_code == 303 and done.headers["Location"] == "/"
    home = browser.get("/").get_data(as_text=True)
    assert "tech.one" in home and "technician" in home and "Accounts" in home
    [account] = app.extensions["accounts"].list_accounts()
    assert (account["username"], account["role"]) == ("tech.one", "technician")
    assert audit_actions(app)[:2] == [("login", "tech.one"), ("account-created", "tech.one")]

    # setup is over, for this browser and every other
    assert browser.get("/setup").headers["Location"] == "/login"
    other = app.test_client()
    assert other.get("/setup").headers["Location"] == "/login"
    again = other.post(
        "/setup", data={"username": "intruder", "password": password, "confirm": password}
    )
    assert again.headers["Location"] == "/login"
    assert [a["username"] for a in app.extensions["accounts"].list_accounts()] == ["tech.one"]


# --- login and logout --------------------------------------------------------------------------
def test_login_returns_to_the_page_asked_for_and_logout_ends_the_session(
    app, anon_client, password
):
    asked = anon_client.get("/trials/abc?x=1")
    assert asked.status_code == 302
    assert asked.headers["Location"] == "/login?next=/trials/abc?x%3D1"
    form = anon_client.get(asked.headers["Location"]).get_data(as_text=True)
    assert 'name="next" value="/trials/abc?x=1"' in form
    response = anon_client.post(
        "/login", data={"username": "THEA", "password": password, "next": "/trials/abc?x=1"}
    )
    assert response.status_code == 303 and response.headers["Location"] == "/trials/abc?x=1"
    home = anon_client.get("/").get_data(as_text=True)
    assert "thea" in home and "therapist" in home and "Log out" in home
    assert 'href="/accounts"' not in home  # not a technician
    # already logged in: the login page sends you on
    assert anon_client.get("/login").headers["Location"] == "/"

    out = anon_client.post("/logout")
    assert out.status_code == 303 and out.headers["Location"] == "/login"
    assert "You are logged out." in anon_client.get("/login").get_data(as_text=True)
    assert anon_client.get("/").headers["Location"] == "/login?next=/"
    assert anon_client.get("/api/v1/patients").status_code == 401
    assert audit_actions(app)[:2] == [("logout", THERAPIST), ("login", THERAPIST)]


def test_a_cookie_saved_before_logout_opens_nothing_afterwards(app, client):
    saved = client.get_cookie("session").value
    assert client.post("/logout").status_code == 303
    replay = app.test_client()
    replay.set_cookie("session", saved)
    assert replay.get("/api/v1/patients").status_code == 401
    assert replay.post("/api/v1/patients", json={"name": "After logout"}).status_code == 401
    assert app.extensions["station"].records.list_patients()["patients"] == []


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/\\evil"])
def test_login_never_sends_you_to_another_site(app, anon_client, target, password):
    response = anon_client.post(
        "/login", data={"username": THERAPIST, "password": password, "next": target}
    )
    assert response.headers["Location"] == "/"


def test_wrong_password_and_unknown_user_get_the_same_answer(app, anon_client, password):
    wrong = anon_client.post("/login", data={"username": THERAPIST, "password": "not it at all"})
    unknown = anon_client.post("/login", data={"username": "nobody", "password": password})
    for response in (wrong, unknown):
        assert response.status_code == 401
        page = response.get_data(as_text=True)
        assert "Wrong username or password" in page
        assert 'value="' in page  # the username is kept in the form
    assert anon_client.get("/").status_code == 302  # still not logged in
    log = app.extensions["accounts"].recent_audit(2)
    assert [(e["action"], e["target"], e["detail"], e["address"]) for e in log] == [
        (
            "login-failed",
            None,  # not the name typed: it may be a password typed in the wrong field
            "unknown username (not recorded: it may be a password typed there)",
            "127.0.0.1",
        ),
        ("login-failed", THERAPIST, "wrong password", "127.0.0.1"),
    ]


def test_a_deactivated_account_is_logged_out_and_cannot_log_in(
    app, client, tech_client, password, log_in
):
    thea = app.extensions["accounts"].find(THERAPIST)
    assert client.get("/").status_code == 200
    response = tech_client.post(f"/accounts/{thea['id']}/active", data={"active": "0"})
    assert response.status_code == 303
    assert "Account thea deactivated." in tech_client.get("/accounts").get_data(as_text=True)
    assert client.get("/").headers["Location"] == "/login?next=/"  # her session is over
    refused = client.post("/login", data={"username": THERAPIST, "password": password})
    assert refused.status_code == 401
    assert "This account is deactivated: ask a technician" in refused.get_data(as_text=True)
    tech_client.post(f"/accounts/{thea['id']}/active", data={"active": "1"})
    assert log_in(app, THERAPIST).get("/").status_code == 200


@pytest.fixture
def limited_app(station, make_app, password):
    """The panel with the default limits on password forms: 5 a minute per address, 30 in
    all (``[panel] password_attempts_per_address``, ``password_attempts``)."""
    defaults = parse_config({}).panel
    app = make_app(
        station,
        PASSWORD_ATTEMPTS=defaults.password_attempts,
        PASSWORD_ATTEMPTS_PER_ADDRESS=defaults.password_attempts_per_address,
    )
    app.extensions["accounts"].create(TECHNICIAN, password, "technician")
    app.extensions["accounts"].create(THERAPIST, password, "therapist", by=TECHNICIAN)
    return app


def from_address(app, address: str):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def test_logins_are_limited_per_client_address(limited_app, password):
    browser = limited_app.test_client()
    for _ in range(5):
        assert (
            browser.post("/login", data={"username": THERAPIST, "password": "x"}).status_code == 401
        )
    limited = browser.post("/login", data={"username": THERAPIST, "password": password})
    assert limited.status_code == 429
    page = limited.get_data(as_text=True)
    assert "Too many password attempts from this device (5 a minute): wait a minute" in page
    assert '<form method="post" action="/login"' in page  # still the login page
    assert browser.get("/").status_code == 302  # the right password did not get through
    # another device on the clinic network is not blocked
    ok = from_address(limited_app, "10.0.0.7").post(
        "/login", data={"username": THERAPIST, "password": password}
    )
    assert ok.status_code == 303


def test_successful_logins_count_too(limited_app, password):
    """Issue 15, finding 3: successful logins were never counted, so a known password could
    be sent again and again, each costing a hash. (They used not to count: changed.)"""
    tablet = from_address(limited_app, "10.0.0.8")
    for _ in range(5):
        done = tablet.post("/login", data={"username": THERAPIST, "password": password})
        assert done.status_code == 303
        tablet.post("/logout")
    again = tablet.post("/login", data={"username": THERAPIST, "password": password})
    assert again.status_code == 429


def test_the_limit_holds_across_addresses(limited_app, password):
    """Rotating source addresses got around the per-address limit (finding 3): the station
    checks at most 30 passwords a minute from every address together."""
    statuses = [
        from_address(limited_app, f"10.1.0.{n}")
        .post("/login", data={"username": "nobody", "password": "guess"})
        .status_code
        for n in range(1, 41)
    ]
    assert statuses == [401] * 30 + [429] * 10
    refused = from_address(limited_app, "10.1.1.1").post(
        "/login", data={"username": THERAPIST, "password": password}
    )
    assert "has checked 30 passwords in the last minute" in refused.get_data(as_text=True)


def test_setup_attempts_are_rate_limited_too(station, password, make_app):
    app = make_app(station, PASSWORD_ATTEMPTS=30, PASSWORD_ATTEMPTS_PER_ADDRESS=5)
    browser = app.test_client()
    for _ in range(5):
        bad = {"username": "x", "password": password, "confirm": password}
        assert browser.post("/setup", data=bad).status_code == 400
    limited = browser.post("/setup", data={"username": "tech", "password": password})
    assert limited.status_code == 429
    assert "Too many password attempts from this device" in limited.get_data(as_text=True)


def test_changing_ones_password_is_limited_and_a_wrong_one_audited(limited_app, password):
    """/password checked the current password with no limit and no trace (finding 3)."""
    tablet = from_address(limited_app, "10.0.0.9")
    tablet.post("/login", data={"username": THERAPIST, "password": password})
    guess = {"current": "a guess", "password": "new password!", "confirm": "new password!"}
    statuses = [tablet.post("/password", data=guess).status_code for _ in range(5)]
    assert statuses == [400] * 4 + [429]  # the login counted too: 5 a minute in all
    failed = limited_app.extensions["accounts"].recent_audit(4)
    assert [(e["action"], e["target"]) for e in failed] == [
        ("password-change-failed", THERAPIST)
    ] * 4
    assert all(e["address"] == "10.0.0.9" for e in failed)


# --- idle logout -------------------------------------------------------------------------------
def set_last_seen(client, seconds_ago: float) -> None:
    with client.session_transaction() as session:
        session[LAST_SEEN] = time.monotonic() - seconds_ago


def test_an_idle_session_ends_on_the_server(app, client):
    idle_s = app.config["IDLE_LOGOUT_S"]
    assert idle_s == 15 * 60  # [panel] idle_logout_min default
    set_last_seen(client, idle_s - 30)
    assert client.get("/").status_code == 200  # still fresh, and refreshed now
    with client.session_transaction() as session:
        assert time.monotonic() - session[LAST_SEEN] < 5
    set_last_seen(client, idle_s + 1)
    response = client.get("/patients/1")
    assert response.headers["Location"] == "/login?next=/patients/1"
    page = client.get("/login").get_data(as_text=True)
    assert "You were logged out after 15 min without activity." in page
    assert client.get("/").status_code == 302
    assert audit_actions(app, 1) == [("logout", THERAPIST)]
    assert app.extensions["accounts"].recent_audit(1)[0]["detail"] == "idle"


def test_an_idle_api_session_answers_401_saying_why(app, client):
    set_last_seen(client, app.config["IDLE_LOGOUT_S"] + 60)
    response = client.get("/api/v1/patients")
    assert response.status_code == 401
    assert response.get_json()["error"] == {
        "code": "login_required",
        "message": "You were logged out after 15 min without activity. Log in again.",
    }


def test_a_session_from_before_a_reboot_is_over(app, client):
    """time.monotonic() restarts at boot: a last-seen time in the future is stale too."""
    set_last_seen(client, -3600)
    assert client.get("/").status_code == 302


def test_polling_health_does_not_keep_a_session_alive(app, client):
    set_last_seen(client, 100)
    client.get("/api/v1/health")
    client.get("/static/panel.css")
    with client.session_transaction() as session:
        assert time.monotonic() - session[LAST_SEEN] >= 100


def test_a_health_poll_that_finds_the_session_idle_still_leaves_the_reason(app, client):
    """The page's health badge may be the first request after the idle time, just before the
    page's own timer posts the logout: the login page still says why."""
    set_last_seen(client, app.config["IDLE_LOGOUT_S"] + 1)
    assert client.get("/api/v1/health").status_code == 200
    assert client.post("/logout", data={"reason": "idle"}).headers["Location"] == "/login"
    page = client.get("/login").get_data(as_text=True)
    assert page.count("logged out after 15 min without activity") == 1


def test_the_idle_time_comes_from_the_config_and_drives_the_page_timer(password, log_in, make_app):
    config = parse_config({"panel": {"idle_logout_min": 2}})
    station = Station(config, clock=VirtualClock(), db_path=":memory:")
    try:
        app = make_app(station)
        assert app.config["IDLE_LOGOUT_S"] == 120
        app.extensions["accounts"].create(THERAPIST, password, "therapist")
        response = log_in(app, THERAPIST).get("/")
        page = response.get_data(as_text=True)
        assert 'data-idle-logout-s="120"' in page and "/static/panel.js" in page
        assert response.headers["X-Idle-Logout-S"] == "120"
    finally:
        station.close()


def test_the_idle_timer_logs_out_with_a_reason(app, client):
    response = client.post("/logout", data={"reason": "idle"})
    assert response.headers["Location"] == "/login"
    assert "logged out after 15 min without activity" in client.get("/login").get_data(as_text=True)
    assert app.extensions["accounts"].recent_audit(1)[0]["detail"] == "idle"


# --- cookies, headers, secret key --------------------------------------------------------------
def test_session_cookie_is_http_only_and_strict_but_not_https_only(app, password):
    browser = app.test_client()
    response = browser.post("/login", data={"username": THERAPIST, "password": password})
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("session=")
    flags = [part.strip().lower() for part in cookie.split(";")]
    assert "httponly" in flags and "samesite=strict" in flags
    assert "secure" not in flags  # the clinic tablet uses plain http on the LAN
    assert "expires" not in cookie.lower()  # gone when the browser closes


def test_a_session_cookie_used_from_another_address_is_refused(client):
    assert client.get("/").status_code == 200
    client.environ_base["REMOTE_ADDR"] = "10.0.0.66"
    assert client.get("/").headers["Location"] == "/login?next=/"


def test_logged_in_pages_are_not_cached_and_cannot_be_framed(client):
    response = client.get("/")
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_secret_key_is_made_once_and_kept_private(tmp_path):
    db_path = tmp_path / "station.db"
    key = panel_secret_key(db_path)
    path = tmp_path / SECRET_KEY_FILE
    assert path.read_text().strip() == key and len(key) == 64
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert panel_secret_key(db_path) == key  # logins survive a restart
    assert panel_secret_key(":memory:") != panel_secret_key(":memory:")
    path.write_text("")
    with pytest.raises(StorageError, match=r"panel-secret\.key is empty or damaged: delete it"):
        panel_secret_key(db_path)


# --- CSRF --------------------------------------------------------------------------------------
@pytest.fixture
def csrf_app(station, password, make_app):
    """The panel with CSRF protection on, as in production."""
    panel = make_app(station, WTF_CSRF_ENABLED=True)
    panel.extensions["accounts"].create(THERAPIST, password, "therapist")
    return panel


def test_login_form_without_its_token_is_refused(csrf_app, password):
    browser = csrf_app.test_client()
    browser.get("/login")
    refused = browser.post("/login", data={"username": THERAPIST, "password": password})
    assert refused.status_code == 400
    page = refused.get_data(as_text=True)
    assert "This form has expired" in page and "reload the page" in page
    token = page_token(browser.get("/login"))
    ok = browser.post(
        "/login", data={"username": THERAPIST, "password": password, "csrf_token": token}
    )
    assert ok.status_code == 303


def csrf_login(app, password):
    browser = app.test_client()
    token = page_token(browser.get("/login"))
    browser.post("/login", data={"username": THERAPIST, "password": password, "csrf_token": token})
    return browser


def test_api_post_without_the_header_is_refused_as_json(csrf_app, password):
    browser = csrf_login(csrf_app, password)
    refused = browser.post("/api/v1/patients", json={"name": "Ada"})
    assert refused.status_code == 400
    error = refused.get_json()["error"]
    assert error["code"] == "csrf_failed" and "security token" in error["message"]
    token = page_token(browser.get("/"))
    created = browser.post("/api/v1/patients", json={"name": "Ada"}, headers={"X-CSRFToken": token})
    assert created.status_code == 201
    assert browser.get("/api/v1/patients").status_code == 200  # reading needs no token


def test_page_form_and_logout_need_the_token(csrf_app, password):
    browser = csrf_login(csrf_app, password)
    assert browser.post("/patients", data={"name": "Ada"}).status_code == 400
    assert browser.post("/logout").status_code == 400
    assert browser.get("/").status_code == 200  # the forged logout did nothing
    token = page_token(browser.get("/"))
    assert browser.post("/logout", data={"csrf_token": token}).status_code == 303


def test_anonymous_state_changes_are_refused_before_the_token_check(csrf_app):
    response = csrf_app.test_client().post("/api/v1/patients", json={"name": "Ada"})
    assert response.status_code == 401


def test_every_page_loads_panel_js_before_its_own_scripts(client):
    page = client.get("/").get_data(as_text=True)
    assert page.index("/static/panel.js") < page.index("/static/health.js")
    script = client.get("/static/panel.js").get_data(as_text=True)
    assert "X-CSRFToken" in script and 'meta[name="csrf-token"]' in script
    assert "X-Idle-Logout-S" in script  # the idle timer lives there too


def test_page_scripts_request_through_panel_js_and_leave_fetch_alone():
    """Issue 16, item 8: one place sends requests (CSRF token, idle timer, the station's error
    message); no script replaces window.fetch."""
    static = Path(webpanel.__file__).parent / "static"
    scripts = {path.name: path.read_text() for path in static.glob("*.js")}
    assert not [name for name, text in scripts.items() if re.search(r"window\.fetch\s*=", text)]
    assert [name for name, text in scripts.items() if re.search(r"\bfetch\(", text)] == ["panel.js"]


def test_the_account_forms_state_the_stations_own_limits(tech_client, monkeypatch):
    """Issue 16, item 8: the numbers on the forms come from station.records.accounts (through
    ``account_limits``), so they cannot drift from the check."""
    monkeypatch.setitem(ACCOUNT_LIMITS, "password_min_chars", 12)
    monkeypatch.setitem(ACCOUNT_LIMITS, "username_max_chars", 33)
    for path in ("/accounts", "/password"):
        page = tech_client.get(path).get_data(as_text=True)
        assert 'minlength="12"' in page and "At least 12 characters" in page
        assert 'minlength="10"' not in page and "10 characters" not in page
    page = tech_client.get("/accounts").get_data(as_text=True)
    assert 'maxlength="33"' in page and "3 to 33 letters, digits" in page


# --- accounts page and own password -------------------------------------------------------------
def test_a_technician_adds_accounts_and_errors_name_the_field(app, tech_client, password, log_in):
    page = tech_client.get("/accounts").get_data(as_text=True)
    assert "thea" in page and "tom" in page and "Recent activity" in page
    bad = tech_client.post(
        "/accounts", data={"username": "al", "password": password, "role": "therapist"}
    )
    assert bad.status_code == 400
    assert "username: use 3 to 40 characters" in bad.get_data(as_text=True)
    same = tech_client.post(
        "/accounts", data={"username": "anna", "password": "anna", "role": "therapist"}
    )
    assert "password: use at least 10 characters" in same.get_data(as_text=True)
    taken = tech_client.post(
        "/accounts", data={"username": "Thea", "password": password, "role": "therapist"}
    )
    assert "username: thea is taken" in taken.get_data(as_text=True)
    added = tech_client.post(
        "/accounts", data={"username": "anna", "password": password, "role": "therapist"}
    )
    assert added.status_code == 303
    assert "Account anna (therapist) added." in tech_client.get("/accounts").get_data(as_text=True)
    assert log_in(app, "anna").get("/").status_code == 200
    assert ("account-created", "anna") in audit_actions(app)
    assert app.extensions["accounts"].recent_audit(50)[-1]["username"] == TECHNICIAN


def test_the_last_technician_cannot_be_deactivated(app, tech_client):
    tom = app.extensions["accounts"].find(TECHNICIAN)
    refused = tech_client.post(f"/accounts/{tom['id']}/active", data={"active": "0"})
    assert refused.status_code == 400
    assert "last active technician" in refused.get_data(as_text=True)
    assert tech_client.get("/accounts").status_code == 200


def test_a_password_reset_ends_the_users_sessions(app, client, tech_client, password, log_in):
    thea = app.extensions["accounts"].find(THERAPIST)
    short = tech_client.post(f"/accounts/{thea['id']}/password", data={"password": "short"})
    assert short.status_code == 400
    assert "password: use at least 10 characters" in short.get_data(as_text=True)
    assert client.get("/").status_code == 200
    reset = tech_client.post(
        f"/accounts/{thea['id']}/password", data={"password": "a brand new one"}
    )
    assert reset.status_code == 303
    assert client.get("/").status_code == 302  # logged in with the old password: over
    log_in(app, THERAPIST, "a brand new one")
    assert (
        tech_client.post("/accounts/999/password", data={"password": password}).status_code == 404
    )


def test_anyone_changes_their_own_password(app, client, password, log_in):
    wrong = client.post(
        "/password", data={"current": "not mine", "password": "new password!", "confirm": "x"}
    )
    assert wrong.status_code == 400
    assert "confirm: the two new passwords differ" in wrong.get_data(as_text=True)
    wrong = client.post(
        "/password",
        data={"current": "not mine", "password": "new password!", "confirm": "new password!"},
    )
    assert "current: this is not your current password" in wrong.get_data(as_text=True)
    other_device = log_in(app, THERAPIST)
    done = client.post(
        "/password",
        data={"current": password, "password": "new password!", "confirm": "new password!"},
    )
    assert done.status_code == 303
    assert client.get("/").status_code == 200  # this device stays logged in
    assert other_device.get("/").status_code == 302
    log_in(app, THERAPIST, "new password!")


def test_therapists_are_refused_technician_pages_with_a_readable_page(client):
    response = client.get("/accounts")
    assert response.status_code == 403
    assert "Only a technician account may do this" in response.get_data(as_text=True)
    api = client.post("/api/v1/sim/fault", json={"device": "imu", "fault": "nack"})
    assert api.status_code == 403 and api.get_json()["error"]["code"] == "forbidden"


def test_nav_shows_accounts_to_technicians(tech_client):
    page = tech_client.get("/").get_data(as_text=True)
    assert 'href="/accounts"' in page and "tom" in page and "technician" in page
    assert TECHNICIAN in page
