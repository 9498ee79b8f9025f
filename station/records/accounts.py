"""Panel accounts (therapists and technicians) and the audit log, in the ``users`` and
``audit_log`` tables, and their open sessions (``station.records.sessions``).

Passwords are hashed with Argon2id (argon2-cffi's ``PasswordHasher``) and re-hashed at login when
the hasher's parameters have changed. Deactivating an account or giving it a new password ends
its sessions. Every login, failed login, logout and account change is written to the audit
log; other modules add their own entries (exports, deletions) with ``audit``.
"""

import re
import sqlite3
from functools import cached_property

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from sensing.words import N_
from station.errors import FieldError, NotFoundError, WordedError
from station.i18n.catalog import LanguageError, check_language
from station.records.sessions import Sessions
from station.storage.database import now_iso

ROLES = ("therapist", "technician")
USERNAME_MIN_CHARS = 3
USERNAME_MAX_CHARS = 40
USERNAME_CHARACTERS = N_("letters, digits, dots, underscores or hyphens")
"""What a username may hold, in words for forms and help (``USERNAME`` checks it)."""
USERNAME = re.compile(rf"[a-z0-9._-]{{{USERNAME_MIN_CHARS},{USERNAME_MAX_CHARS}}}")
PASSWORD_MIN_CHARS = 10
PASSWORD_MAX_CHARS = 1024
PUBLIC_COLUMNS = "id, username, role, active, language, created_at, last_login_at"
WRONG_LOGIN = N_("wrong username or password")
"""Whichever was wrong: a refused login never says which."""


class AccountError(FieldError, ValueError):
    """An account field is invalid (username, password, role, active); ``field`` names it."""


class LoginError(WordedError, PermissionError):
    """A login was refused; the message is safe to show (it never says which part was wrong)."""


def normalise_username(username) -> str:
    """Usernames are not case-sensitive: stored and looked up in lower case, without spaces."""
    return username.strip().lower() if isinstance(username, str) else ""


def check_username(username) -> str:
    """The normalised username, or AccountError naming the rule it breaks."""
    name = normalise_username(username)
    if not USERNAME.fullmatch(name):
        raise AccountError(
            "username",
            N_("use %(least)d to %(most)d characters: letters, digits, dot, underscore or hyphen"),
            least=USERNAME_MIN_CHARS,
            most=USERNAME_MAX_CHARS,
        )
    return name


def check_password(password, username: str) -> str:
    """The password, or AccountError: at least 10 characters and not the username."""
    if not isinstance(password, str) or len(password) < PASSWORD_MIN_CHARS:
        raise AccountError(
            "password", N_("use at least %(least)d characters"), least=PASSWORD_MIN_CHARS
        )
    if len(password) > PASSWORD_MAX_CHARS:
        raise AccountError(
            "password", N_("use at most %(most)d characters"), most=PASSWORD_MAX_CHARS
        )
    if password.strip().lower() == username:
        raise AccountError("password", N_("must not be the username"))
    return password


def check_role(role) -> str:
    if role not in ROLES:
        raise AccountError("role", N_("choose %(roles)s"), roles=" or ".join(ROLES))
    return role


class Accounts:
    """The station's panel accounts on ``storage`` (a ``station.storage.database.Storage``).

    ``hasher`` defaults to argon2-cffi's RFC 9106 low-memory profile (64 MiB, 3 passes); tests
    pass a cheaper one.
    """

    def __init__(self, storage, hasher: PasswordHasher | None = None):
        self.storage = storage
        self.hasher = hasher or PasswordHasher()
        self.sessions = Sessions(storage)

    @cached_property
    def _dummy_hash(self) -> str:
        """Verified for unknown usernames, so a wrong name costs as long as a wrong password."""
        return self.hasher.hash("not a password of any account")

    # --- reading -----------------------------------------------------------------------------
    def has_any(self) -> bool:
        """True once any account exists (first-run setup is then over)."""
        return bool(self.storage.query("SELECT 1 FROM users LIMIT 1"))

    def get(self, user_id: int) -> dict | None:
        """The account with ``user_id``, or None."""
        rows = self.storage.query(f"SELECT {PUBLIC_COLUMNS} FROM users WHERE id = ?", [user_id])
        return _public(rows[0]) if rows else None

    def find(self, username: str) -> dict | None:
        """The account called ``username`` (any case), or None."""
        row = self._row(normalise_username(username))
        return _public(row) if row else None

    def list_accounts(self) -> list[dict]:
        """Every account by username, without password hashes."""
        rows = self.storage.query(f"SELECT {PUBLIC_COLUMNS} FROM users ORDER BY username")
        return [_public(row) for row in rows]

    def _row(self, username: str) -> dict | None:
        rows = self.storage.query("SELECT * FROM users WHERE username = ?", [username])
        return rows[0] if rows else None

    # --- changing ----------------------------------------------------------------------------
    def create(self, username, password, role, by: str | None = None, address: str = "") -> dict:
        """Add an active account; ``by`` is the technician who added it from ``address`` (for
        the audit log)."""
        return self._insert(username, password, role, by, address, first=False)

    def create_first(self, username, password, address: str = "") -> dict:
        """First-run setup: add the first account, a technician; refused once any exists."""
        return self._insert(username, password, "technician", None, address, first=True)

    def _insert(self, username, password, role, by, address: str, first: bool) -> dict:
        name = check_username(username)
        row = {
            "username": name,
            "password_hash": self.hasher.hash(check_password(password, name)),
            "role": check_role(role),
            "active": 1,
            "created_at": now_iso(),
            "last_login_at": now_iso() if first else None,  # setup logs the technician in
        }

        def insert(db):
            if first and db.execute("SELECT 1 FROM users LIMIT 1").fetchone():
                raise AccountError("username", N_("setup is done: an account already exists"))
            return db["users"].insert(row).last_pk

        try:
            self.storage.submit(insert).result()
        except sqlite3.IntegrityError:
            raise AccountError(
                "username", N_("%(name)s is taken: choose another"), name=name
            ) from None
        detail = "first account (setup)" if first else f"role {role}"
        self.audit(by or name, "account-created", name, detail, address)
        return self.find(name)

    def set_active(self, username: str, active: bool, by: str, address: str = "") -> dict:
        """Deactivate (refusing the last active technician) or reactivate an account."""
        account = self._existing(username)
        if not active and account["role"] == "technician" and account["active"]:
            technicians = self.storage.query(
                "SELECT count(*) AS n FROM users WHERE role = 'technician' AND active = 1"
            )[0]["n"]
            if technicians <= 1:
                raise AccountError(
                    "active",
                    N_("this is the last active technician: nobody could manage accounts"),
                )
        self._update(account["id"], {"active": int(bool(active))})
        if not active:
            self.sessions.close_all(account["id"])
        change = "reactivated" if active else "deactivated"
        self.audit(by, "account-changed", account["username"], change, address)
        return self.get(account["id"])

    def set_language(self, username: str, code, by: str, address: str = "") -> dict:
        """The language the panel speaks to ``username`` (a code of
        ``station.i18n.catalog.LANGUAGES``; AccountError naming ``language`` otherwise)."""
        account = self._existing(username)
        try:
            language = check_language(code)
        except LanguageError as exc:
            raise AccountError("language", str(exc)) from None
        self._update(account["id"], {"language": language})
        self.audit(by, "account-changed", account["username"], f"language {language}", address)
        return self.get(account["id"])

    def set_password(self, username: str, password, by: str, address: str = "") -> dict:
        """Set a new password (by its owner, or reset by a technician); every session of the
        account ends (its owner's own device logs in again with the new one)."""
        account = self._existing(username)
        new_hash = self.hasher.hash(check_password(password, account["username"]))
        self._update(account["id"], {"password_hash": new_hash})
        self.sessions.close_all(account["id"])
        change = "password changed" if by == account["username"] else "password reset"
        self.audit(by, "account-changed", account["username"], change, address)
        return self.get(account["id"])

    def change_own_password(self, username: str, current, password, address: str = "") -> dict:
        """A user's own change of password; ``current`` must be their password now (a wrong
        one is audited with ``address``, where it came from, as a failed login is)."""
        row = self._row(normalise_username(username))
        if row is None:
            raise NotFoundError(f"no account called {normalise_username(username)!r}")
        if not self._verify(row["password_hash"], current if isinstance(current, str) else ""):
            self.audit(
                row["username"],
                "password-change-failed",
                row["username"],
                "wrong current password",
                address,
            )
            raise AccountError("current", N_("this is not your current password"))
        return self.set_password(row["username"], password, by=row["username"], address=address)

    def _existing(self, username: str) -> dict:
        account = self.find(username)
        if account is None:
            raise NotFoundError(f"no account called {normalise_username(username)!r}")
        return account

    def _update(self, user_id: int, fields: dict) -> None:
        self.storage.submit(lambda db: db["users"].update(user_id, fields)).result()

    # --- logging in --------------------------------------------------------------------------
    def authenticate(self, username, password, address: str = "") -> dict:
        """The account if ``password`` is right and the account active, else LoginError.

        Unknown usernames cost one hash verification too, so timing does not tell which
        usernames exist. Each attempt is audited with ``address`` (where it came from);
        a username that matches no account is not written down: it is often a password typed
        into the wrong field.
        """
        name = normalise_username(username)
        row = self._row(name)
        given = password if isinstance(password, str) else ""
        if row is None:
            self._verify(self._dummy_hash, given)
            detail = "unknown username (not recorded: it may be a password typed there)"
            self.audit(None, "login-failed", "", detail, address)
            raise LoginError(WRONG_LOGIN)
        if not self._verify(row["password_hash"], given):
            self.audit(None, "login-failed", name, "wrong password", address)
            raise LoginError(WRONG_LOGIN)
        if not row["active"]:
            self.audit(None, "login-failed", name, "account deactivated", address)
            raise LoginError(N_("this account is deactivated: ask a technician to reactivate it"))
        fields = {"last_login_at": now_iso()}
        if self.hasher.check_needs_rehash(row["password_hash"]):
            fields["password_hash"] = self.hasher.hash(given)
        self._update(row["id"], fields)
        self.audit(name, "login", name, "", address)
        return self.get(row["id"])

    def _verify(self, password_hash: str, password: str) -> bool:
        try:
            return self.hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    # --- audit log ---------------------------------------------------------------------------
    def audit(
        self,
        username: str | None,
        action: str,
        target: str = "",
        detail: str = "",
        address: str = "",
    ) -> None:
        """Record that ``username`` (None: nobody logged in) did ``action`` to ``target``
        (``patient 12``, ``visit 3``, a username) from ``address``; the actions are listed
        in the README (*The audit trail*). ``detail`` never holds a password."""
        row = {
            "at": now_iso(),
            "username": username,
            "action": action,
            "target": target or None,
            "detail": detail or None,
            "address": address or None,
        }
        self.storage.submit(lambda db: db["audit_log"].insert(row)).result()

    def recent_audit(
        self,
        limit: int = 100,
        before: int | None = None,
        username: str = "",
        action: str = "",
        target: str = "",
    ) -> list[dict]:
        """The newest ``limit`` audit entries, newest first: older than entry ``before`` when
        given, and only those of ``username``, ``action`` or ``target`` (exactly) when given."""
        where, args = [], []
        for column, value in (("username", username), ("action", action), ("target", target)):
            if value:
                where.append(f"{column} = ?")
                args.append(value)
        if before is not None:
            where.append("id < ?")
            args.append(before)
        clause = f"WHERE {' AND '.join(where)} " if where else ""
        return self.storage.query(
            "SELECT id, at, username, action, target, detail, address FROM audit_log "
            f"{clause}ORDER BY id DESC LIMIT ?",
            [*args, limit],
        )


def _public(row: dict) -> dict:
    """An account as the panel sees it: never its password hash."""
    account = {k: v for k, v in row.items() if k != "password_hash"}
    account["active"] = bool(account["active"])
    return account
