"""Flask app factory: ``create_app(station, config=None)``, with the panel's security in one
place: logins (Flask-Login), idle logout, CSRF (Flask-WTF), the limits on password forms and
hashing (``webpanel.limits``), the session key and cookie flags.
"""

import logging
import os
import secrets
import time
from pathlib import Path

from argon2 import PasswordHasher
from flask import Flask, current_app, flash, g, redirect, render_template, request, session, url_for
from flask.sessions import SecureCookieSessionInterface
from flask_babel import gettext
from flask_login import LoginManager, current_user
from flask_wtf.csrf import CSRFError, CSRFProtect
from itsdangerous import BadSignature

import webpanel.api_results  # noqa: F401  (adds the result routes to the api)
from station.errors import StorageError
from station.runtime.server import MAX_BODY_BYTES
from webpanel import (
    api_fhir,  # noqa: F401  (adds the FHIR export routes to the api)
    audit_pages,  # noqa: F401  (adds the audit trail to the technician pages)
    openapi,  # noqa: F401  (adds GET /api/v1/openapi.json to the api)
)
from webpanel.api import api, http_error
from webpanel.auth import (
    LAST_SEEN,
    auth,
    end_session,
    error_response,
    idle_notice,
    load_user,
    wants_json,
)
from webpanel.home_program import homeprogram
from webpanel.language import init_language
from webpanel.limits import (
    PASSWORD_CHECK_WAIT_S,
    BoundedHasher,
    LiveStreams,
    NestingLimitedJSON,
    PasswordAttempts,
    PasswordChecksBusy,
    TooManyPasswordAttempts,
)
from webpanel.pages import pages
from webpanel.progress import results
from webpanel.script_messages import init_script_messages
from webpanel.technician import technician

log = logging.getLogger(__name__)

# Reachable without a login: monitoring, the login and first-run pages, scripts and styles.
PUBLIC_ENDPOINTS = frozenset({"api.health", "auth.login", "auth.setup", "static"})
SECRET_KEY_FILE = "panel-secret.key"
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'none'",  # nothing unless named below
        "script-src 'self'",  # the station's own files: no inline script, no eval
        "style-src 'self'",  # its style sheets; scripts set styles through the DOM only
        "img-src 'self'",
        "connect-src 'self'",  # fetch and the live view's EventSource
        "form-action 'self'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    )
)
"""Every page's scripts are files under /static (the JSON data some pages carry sits in
``<script type="application/json">``, which is data a script reads, not a script run); an
injected script or handler, inline or from elsewhere, does not run."""


class MonotonicSessionInterface(SecureCookieSessionInterface):
    """Signed cookie sessions whose age is not judged by the wall clock: Flask's own refuses a
    cookie signed "in the future", so a wall clock stepped back (NTP on a Pi without a real-time
    clock) would log every user out. How long a session lasts is the idle logout's business,
    on the monotonic clock (``require_login``)."""

    def open_session(self, app, request):
        serializer = self.get_signing_serializer(app)
        if serializer is None:
            return None
        cookie = request.cookies.get(self.get_cookie_name(app))
        if not cookie:
            return self.session_class()
        try:
            return self.session_class(serializer.loads(cookie))
        except BadSignature:
            return self.session_class()


def create_app(station, config: dict | None = None) -> Flask:
    """The panel for ``station`` (anything with the Station service API).

    ``config`` overrides Flask settings; besides Flask's own: ``IDLE_LOGOUT_S`` (default from
    ``[panel] idle_logout_min``), ``PASSWORD_HASHER`` (an argon2 ``PasswordHasher``),
    ``LIVE_STREAMS``, ``LIVE_STREAMS_PER_ACCOUNT``, ``PASSWORD_CHECKS``,
    ``PASSWORD_ATTEMPTS`` and ``PASSWORD_ATTEMPTS_PER_ADDRESS`` (defaults from the ``[panel]``
    options of the same names), ``PASSWORD_CHECK_WAIT_S`` (how long a login waits for a
    password-check slot, default 5 s): ``webpanel.limits``.
    """
    app = Flask(__name__)
    app.json = NestingLimitedJSON(app)
    app.session_interface = MonotonicSessionInterface()
    app.config.update(
        JSON_SORT_KEYS=False,
        MAX_CONTENT_LENGTH=MAX_BODY_BYTES,  # the server's own limit (station.runtime.server)
        SESSION_COOKIE_HTTPONLY=True,
        # Strict: the panel is never entered from a link on another site, and same-site
        # redirects (login -> page) carry Strict cookies.
        SESSION_COOKIE_SAMESITE="Strict",
        # Off: the clinic tablet reaches the station over plain http on the clinic's network.
        SESSION_COOKIE_SECURE=False,
        IDLE_LOGOUT_S=station.config.panel.idle_logout_min * 60,
        LIVE_STREAMS=station.config.panel.live_streams,
        LIVE_STREAMS_PER_ACCOUNT=station.config.panel.live_streams_per_account,
        PASSWORD_CHECKS=station.config.panel.password_checks,
        PASSWORD_CHECK_WAIT_S=PASSWORD_CHECK_WAIT_S,
        PASSWORD_ATTEMPTS=station.config.panel.password_attempts,
        PASSWORD_ATTEMPTS_PER_ADDRESS=station.config.panel.password_attempts_per_address,
        # A form's token lasts as long as the session, which itself ends after idle_logout_min.
        WTF_CSRF_TIME_LIMIT=None,
    )
    app.config.update(config or {})
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = panel_secret_key(station.database_path)
    app.extensions["station"] = station
    hasher = BoundedHasher(
        app.config.get("PASSWORD_HASHER") or PasswordHasher(),
        app.config["PASSWORD_CHECKS"],
        app.config["PASSWORD_CHECK_WAIT_S"],
    )
    app.extensions["accounts"] = station.records.accounts(hasher)
    app.extensions["live_streams"] = LiveStreams(
        app.config["LIVE_STREAMS"], app.config["LIVE_STREAMS_PER_ACCOUNT"]
    )
    app.extensions["password_attempts"] = PasswordAttempts(
        app.config["PASSWORD_ATTEMPTS"], app.config["PASSWORD_ATTEMPTS_PER_ADDRESS"]
    )

    logins = LoginManager(app)
    logins.session_protection = "strong"
    logins.user_loader(load_user)
    app.before_request(require_login)  # before the CSRF check: anonymous requests get 401
    CSRFProtect(app)
    init_language(app)
    init_script_messages(app)

    app.register_blueprint(api)
    app.register_blueprint(pages)
    app.register_blueprint(auth)
    app.register_blueprint(results)
    app.register_blueprint(homeprogram)
    app.register_blueprint(technician)
    app.register_error_handler(404, http_error)
    app.register_error_handler(405, http_error)
    app.register_error_handler(CSRFError, csrf_failed)
    app.register_error_handler(TooManyPasswordAttempts, too_many_attempts)
    app.register_error_handler(PasswordChecksBusy, password_checks_busy)
    app.after_request(security_headers)
    return app


def panel_secret_key(db_path) -> str:
    """The key that signs session cookies: random per run for an in-memory station; else made
    once with ``secrets`` and kept in ``panel-secret.key`` (mode 0600) beside the database in
    the data directory, so logins survive a restart. Deleting the file logs everyone out."""
    if str(db_path) == ":memory:":
        return secrets.token_hex(32)
    path = Path(db_path).parent / SECRET_KEY_FILE
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        key = path.read_text(encoding="ascii").strip()
        if len(key) < 64:
            raise StorageError(
                f"{path} is empty or damaged: delete it and restart the station "
                "(everyone will need to log in again)"
            ) from None
        if path.stat().st_mode & 0o077:
            log.warning("%s can be read by other users: run chmod 600 on it", path)
        return key
    key = secrets.token_hex(32)
    with os.fdopen(fd, "w", encoding="ascii") as out:
        out.write(key + "\n")
    log.info("created the panel's session key in %s", path)
    return key


def require_login():
    """The login gate for every request: ends idle sessions, lets the public endpoints through,
    sends pages to setup or login and answers API calls 401; refreshes the idle timer."""
    idle_s = current_app.config["IDLE_LOGOUT_S"]
    expired = False
    if "_user_id" in session:
        seen = session.get(LAST_SEEN)
        # monotonic: a wall clock that jumps (a Pi without RTC) cannot end or extend sessions
        expired = seen is None or not 0 <= time.monotonic() - seen <= idle_s
        if expired:  # even on a public route (the health poll): the login page will say why
            end_session("idle")
            flash(idle_notice())
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    if not current_user.is_authenticated:
        return login_required(expired)
    session[LAST_SEEN] = time.monotonic()
    g.idle_logout_s = idle_s
    return None


def login_required(expired: bool):
    """401 under /api; else to first-run setup, or to the login page and back afterwards."""
    if wants_json():
        if expired:
            message = " ".join((idle_notice(), gettext("Log in again.")))
        else:
            message = gettext("Log in first.")
        return error_response(401, "login_required", gettext("Log in"), message)
    if not current_app.extensions["accounts"].has_any():
        return redirect(url_for("auth.setup"))
    next_url = request.full_path.rstrip("?") if request.method == "GET" else None
    return redirect(url_for("auth.login", next=next_url))


def csrf_failed(exc: CSRFError):
    """A state-changing request without a valid CSRF token: refused, saying what to do."""
    return error_response(
        400,
        "csrf_failed",
        gettext("This form has expired"),
        gettext(
            "The panel refused the request because it did not carry this page's security "
            "token (%(reason)s). Go back, reload the page and try again.",
            reason=exc.description,
        ),
    )


def too_many_attempts(exc: TooManyPasswordAttempts):
    """A password form sent too often (``webpanel.limits.PasswordAttempts``): the login and
    setup forms come back saying to wait, other pages say it."""
    if request.endpoint == "auth.setup":
        page = render_template("setup.html", form={"username": ""}, errors={"form": exc.message})
    elif request.endpoint == "auth.login":
        page = render_template(
            "login.html", next=request.values.get("next", ""), username="", error=exc.message
        )
    else:
        return error_response(429, exc.code, gettext("Too many attempts"), exc.message)
    return page, 429


def password_checks_busy(exc: PasswordChecksBusy):
    """Every password-check slot is taken (a login flood): 503, try again in a moment."""
    return error_response(503, exc.code, gettext("The station is busy"), exc.message)


def security_headers(response):
    """A Content-Security-Policy that lets pages run and load only the station's own files
    (``CONTENT_SECURITY_POLICY``), no framing (clickjacking), no MIME sniffing, no referrer to
    other sites; logged-in responses are never cached (the back button after logout shows no
    patient data) and tell the page's idle timer that the session was refreshed."""
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    if "idle_logout_s" in g:
        response.headers.setdefault("Cache-Control", "no-store")
        response.headers["X-Idle-Logout-S"] = str(g.idle_logout_s)
    return response
