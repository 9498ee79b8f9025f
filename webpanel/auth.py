"""Logins and accounts: first-run setup, login, logout, changing one's password, and the
technicians' account page; plus the ``technician_required`` and ``password_form``
decorators.

The login gate itself (every route but the public ones needs a login, idle sessions end) is
in ``webpanel.app``, in one place for the whole panel.
"""

import time
from functools import wraps
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    render_template_string,
    request,
    session,
    url_for,
)
from flask_babel import format_decimal, gettext, refresh
from flask_babel import lazy_gettext as _l
from flask_login import UserMixin, current_user, login_user, logout_user
from werkzeug.exceptions import NotFound

from station.errors import error_words
from station.i18n.catalog import DEFAULT_LANGUAGE, LANGUAGES, N_
from station.records.accounts import (
    PASSWORD_MAX_CHARS,
    PASSWORD_MIN_CHARS,
    ROLES,
    USERNAME_CHARACTERS,
    USERNAME_MAX_CHARS,
    USERNAME_MIN_CHARS,
    AccountError,
    LoginError,
)
from webpanel.audit_trail import address, audit
from webpanel.language import page_words

auth = Blueprint("auth", __name__)

LAST_SEEN = "last_seen_s"  # session key: time.monotonic() of the user's last request
AUDIT_SHOWN = 50

ACCOUNT_LIMITS = {
    "username_min_chars": USERNAME_MIN_CHARS,
    "username_max_chars": USERNAME_MAX_CHARS,
    "username_characters": USERNAME_CHARACTERS,
    "password_min_chars": PASSWORD_MIN_CHARS,
    "password_max_chars": PASSWORD_MAX_CHARS,
}
"""The account rules the forms state (``account_limits`` in every template), from the checks
in ``station.records.accounts``, so a page never gives other numbers than the station uses."""

ROLE_WORDS = {"therapist": _l("therapist"), "technician": _l("technician")}
"""Each role in the page's language (the same words as base.html and accounts.html)."""

ERROR_PAGE = """{% extends "base.html" %}
{% block title %}{{ title }} · {{ _("Balance station") }}{% endblock %}
{% block main %}
<section class="card" role="alert">
  <h1>{{ title }}</h1>
  <p>{{ message }}</p>
  <p><a href="{{ back }}">{{ back_text }}</a></p>
</section>
{% endblock %}"""


class User(UserMixin):
    """A logged-in panel user: ``username``, ``role``, the panel's ``language`` for them and
    the ``token`` of their session on the server (``station.records.sessions``)."""

    def __init__(self, account: dict, token: str):
        self.id = account["id"]
        self.username = account["username"]
        self.role = account["role"]
        self.active = account["active"]
        self.language = account.get("language") or DEFAULT_LANGUAGE
        self.token = token

    def get_id(self) -> str:
        """The cookie holds the session's token: the session is open while the server says so
        (a logout, a deactivation or a new password closes it)."""
        return self.token

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_technician(self) -> bool:
        return self.role == "technician"


def load_user(token: str) -> User | None:
    """Flask-Login's user loader: the active account of the open session ``token``."""
    account = accounts().sessions.account(token)
    return None if account is None else User(account, token)


def accounts():
    return current_app.extensions["accounts"]


def wants_json() -> bool:
    """API requests get JSON errors; pages get readable ones."""
    return request.path.startswith("/api/")


def error_response(status: int, code: str, title: str, message: str):
    """``{"error": {"code", "message"}}`` under /api, else a page saying what happened."""
    if wants_json():
        return jsonify(error={"code": code, "message": message}), status
    back, back_text = url_for("pages.patients"), gettext("Back to the patients")
    if not current_user.is_authenticated:
        back, back_text = url_for("auth.login"), gettext("Go to the login page")
    page = render_template_string(
        ERROR_PAGE, title=title, message=message, back=back, back_text=back_text
    )
    return page, status


def technician_required(view):
    """Only technicians may use ``view``; therapists get 403. Put it below the route
    decorator. (The login itself is already required by the panel's gate.)"""

    @wraps(view)
    def guarded(*args, **kwargs):
        if not getattr(current_user, "is_technician", False):
            return technicians_only()
        return view(*args, **kwargs)

    guarded.technician_only = True
    return guarded


def technicians_only():
    """The 403 a therapist gets from what only a technician may do."""
    return error_response(
        403,
        "forbidden",
        gettext("Technicians only"),
        gettext("Only a technician account may do this. Ask a technician for help."),
    )


def password_form(view):
    """``view`` takes a password and checks or hashes it: each POST counts against the
    panel's password attempts (``webpanel.limits.PasswordAttempts``: per address and in all,
    successes too) before the view runs, so a refused attempt costs no hash (429)."""

    @wraps(view)
    def counted(*args, **kwargs):
        if request.method == "POST":
            current_app.extensions["password_attempts"].take(address())
        return view(*args, **kwargs)

    return counted


def start_session(account: dict) -> None:
    """Log ``account`` in with a fresh session, opened on the server (nothing carried over
    from the last user)."""
    session.clear()
    token = accounts().sessions.open(account["id"], address())
    login_user(User(account, token))
    session[LAST_SEEN] = time.monotonic()


def end_session(reason: str = "") -> None:
    """Log out: the session is closed on the server (its cookie opens nothing any more) and
    forgotten; audited as a logout with ``reason``."""
    if current_user.is_authenticated:
        audit("logout", current_user.username, reason)
        accounts().sessions.close(current_user.token)
    logout_user()
    session.clear()


def idle_notice() -> str:
    """What the login page says after an idle logout."""
    minutes = format_decimal(current_app.config["IDLE_LOGOUT_S"] / 60, "#0.##")
    return gettext("You were logged out after %(minutes)s min without activity.", minutes=minutes)


def safe_next(target: str | None) -> str:
    """Where to go after logging in: a path on this panel, never another site."""
    parts = urlsplit(target or "")
    if not target or parts.scheme or parts.netloc or not target.startswith("/") or "\\" in target:
        return url_for("pages.patients")
    return target


@auth.app_context_processor
def _account_limits() -> dict:
    return {"account_limits": ACCOUNT_LIMITS}


def _refusal(exc: AccountError) -> str:
    """An account change the station refused, as its form shows it: in the page's language,
    led by the field it names."""
    return error_words(exc, page_words())


# --- first run, login, logout ----------------------------------------------------------------
@auth.route("/setup", methods=["GET", "POST"])
@password_form
def setup():
    """First start: create the first account (a technician); gone once any account exists."""
    if accounts().has_any():
        return redirect(url_for("auth.login"), code=303)
    form = {"username": request.form.get("username", "")}
    if request.method == "GET":
        return render_template("setup.html", form=form, errors={})
    password = request.form.get("password", "")
    try:
        if password != request.form.get("confirm", ""):
            raise AccountError("confirm", N_("the two passwords differ"))
        account = accounts().create_first(form["username"], password, address())
    except AccountError as exc:
        return render_template("setup.html", form=form, errors={exc.field: _refusal(exc)}), 400
    start_session(account)
    audit("login", account["username"], "first-run setup")
    flash(
        gettext(
            "Welcome, %(username)s. Add the therapists' accounts under Accounts.",
            username=account["username"],
        )
    )
    return redirect(url_for("pages.patients"), code=303)


@auth.route("/login", methods=["GET", "POST"])
@password_form
def login():
    """The login form; on success, back to the page that asked for it."""
    if not accounts().has_any():
        return redirect(url_for("auth.setup"), code=303)
    next_url = request.values.get("next", "")
    if current_user.is_authenticated:
        return redirect(safe_next(next_url), code=303)
    username = request.form.get("username", "")
    if request.method == "GET":
        return render_template("login.html", next=next_url, username=username, error=None)
    try:
        account = accounts().authenticate(username, request.form.get("password", ""), address())
    except LoginError as exc:
        page = render_template(
            "login.html", next=next_url, username=username, error=error_words(exc, page_words())
        )
        return page, 401
    start_session(account)
    return redirect(safe_next(next_url), code=303)


@auth.post("/logout")
def logout():
    """Log out (the idle timer posts ``reason=idle``) and go to the login page."""
    idle = request.form.get("reason") == "idle"
    end_session("idle" if idle else "")
    flash(idle_notice() if idle else gettext("You are logged out."))
    return redirect(url_for("auth.login"), code=303)


@auth.route("/password", methods=["GET", "POST"])
@password_form
def password():
    """Any user changes their own password (the current one is asked again)."""
    if request.method == "GET":
        return render_template("password.html", errors={})
    try:
        if request.form.get("password", "") != request.form.get("confirm", ""):
            raise AccountError("confirm", N_("the two new passwords differ"))
        account = accounts().change_own_password(
            current_user.username,
            request.form.get("current", ""),
            request.form.get("password", ""),
            address(),
        )
    except AccountError as exc:
        return render_template("password.html", errors={exc.field: _refusal(exc)}), 400
    start_session(account)
    flash(gettext("Your password is changed. Other devices logged in as you are logged out."))
    return redirect(url_for("pages.patients"), code=303)


@auth.post("/account/language")
@auth.post("/accounts/<int:user_id>/language")
def language(user_id: int | None = None):
    """Any user chooses the language the panel speaks to them, on their account page (the page
    comes back in it); a technician chooses it for any account on the accounts page
    (``user_id``: a therapist may name only their own)."""
    if user_id is not None and user_id != current_user.id and not current_user.is_technician:
        return technicians_only()
    on_accounts_page = user_id is not None and current_user.is_technician
    account = _account(user_id) if user_id is not None else {"username": current_user.username}
    chosen = request.form.get("language", "")
    try:
        accounts().set_language(account["username"], chosen, current_user.username, address())
    except AccountError as exc:
        if on_accounts_page:
            return _accounts_page(
                {f"language-{user_id}": _refusal(exc)}, {"role": "therapist"}, 400
            )
        return render_template("password.html", errors={exc.field: _refusal(exc)}), 400
    if account["username"] == current_user.username:
        current_user.language = chosen
        refresh()  # this request's messages in the language just chosen
    if not on_accounts_page:
        flash(gettext("The panel is now in English."))
        return redirect(url_for("auth.password"), code=303)
    flash(
        gettext(
            "Account %(username)s now reads the panel in %(language)s.",
            username=account["username"],
            language=LANGUAGES[chosen],
        )
    )
    return redirect(url_for("auth.accounts_page"), code=303)


# --- the technicians' account page -----------------------------------------------------------
def _accounts_page(errors: dict, form: dict, status: int = 200):
    page = render_template(
        "accounts.html",
        accounts=accounts().list_accounts(),
        audit_log=accounts().recent_audit(AUDIT_SHOWN),
        roles=ROLES,
        errors=errors,
        form=form,
    )
    return page, status


@auth.route("/accounts", methods=["GET", "POST"])
@technician_required
@password_form
def accounts_page():
    """List accounts and the recent audit log; POST adds an account."""
    if request.method == "GET":
        return _accounts_page({}, {"role": "therapist"})
    form = {k: request.form.get(k, "") for k in ("username", "role")}
    try:
        account = accounts().create(
            form["username"],
            request.form.get("password", ""),
            form["role"],
            by=current_user.username,
            address=address(),
        )
    except AccountError as exc:
        return _accounts_page({exc.field: _refusal(exc)}, form, 400)
    flash(
        gettext(
            "Account %(username)s (%(role)s) added.",
            username=account["username"],
            role=str(ROLE_WORDS[account["role"]]),
        )
    )
    return redirect(url_for("auth.accounts_page"), code=303)


def _account(user_id: int) -> dict:
    account = accounts().get(user_id)
    if account is None:
        raise NotFound(gettext("no account with id %(id)d", id=user_id))
    return account


@auth.post("/accounts/<int:user_id>/active")
@technician_required
def set_active(user_id: int):
    """Deactivate (``active=0``) or reactivate (``active=1``) an account."""
    account = _account(user_id)
    active = request.form.get("active") == "1"
    try:
        accounts().set_active(
            account["username"], active, by=current_user.username, address=address()
        )
    except AccountError as exc:
        return _accounts_page({f"active-{user_id}": _refusal(exc)}, {"role": "therapist"}, 400)
    if active:
        flash(gettext("Account %(username)s reactivated.", username=account["username"]))
    else:
        flash(gettext("Account %(username)s deactivated.", username=account["username"]))
    return redirect(url_for("auth.accounts_page"), code=303)


@auth.post("/accounts/<int:user_id>/password")
@technician_required
@password_form
def reset_password(user_id: int):
    """Set a new password for an account (for a user who forgot theirs)."""
    account = _account(user_id)
    try:
        accounts().set_password(
            account["username"],
            request.form.get("password", ""),
            by=current_user.username,
            address=address(),
        )
    except AccountError as exc:
        return _accounts_page({f"password-{user_id}": _refusal(exc)}, {"role": "therapist"}, 400)
    flash(
        gettext(
            "New password set for %(username)s: tell them in person.", username=account["username"]
        )
    )
    return redirect(url_for("auth.accounts_page"), code=303)
