"""Panel sessions on the server (the ``sessions`` table): a session is open while its row
exists. The browser's cookie holds a random token; the table holds only the token's SHA-256,
so a copy of the database (a backup) opens no session. Logging out, an idle logout,
deactivating the account and a new password delete rows, and with them every request and live
view of those sessions: a cookie saved before the logout reads nothing afterwards.
"""

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from station.storage.database import Storage, now_iso

SESSION_MAX_DAYS = 7
"""Rows older than this are deleted when someone logs in: sessions idle out long before (the
longest idle logout is 4 hours), so only rows of sessions never ended remain that long."""
ACCOUNT_COLUMNS = "u.id, u.username, u.role, u.active, u.language, u.created_at, u.last_login_at"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Sessions:
    """Open panel sessions on ``storage``."""

    def __init__(self, storage: Storage):
        self.storage = storage

    def open(self, user_id: int, address: str = "") -> str:
        """Open a session for account ``user_id`` from ``address``; its token (for the cookie,
        never stored)."""
        token = secrets.token_urlsafe(32)
        row = {
            "id": _digest(token),
            "user_id": user_id,
            "created_at": now_iso(),
            "address": address or None,
        }
        stale = (datetime.now(UTC) - timedelta(days=SESSION_MAX_DAYS)).isoformat(timespec="seconds")

        def insert(db):
            db.execute("DELETE FROM sessions WHERE created_at < ?", [stale])
            db["sessions"].insert(row)

        self.storage.submit(insert).result()
        return token

    def account(self, token: str) -> dict | None:
        """The active account whose open session ``token`` is, or None (no such session, or
        the account is deactivated)."""
        rows = self.storage.query(
            f"SELECT {ACCOUNT_COLUMNS} FROM sessions s JOIN users u ON u.id = s.user_id "
            "WHERE s.id = ? AND u.active = 1",
            [_digest(token)],
        )
        return {**rows[0], "active": True} if rows else None

    def is_open(self, token: str) -> bool:
        """True while ``token``'s session is open and its account active."""
        return self.account(token) is not None

    def close(self, token: str) -> None:
        """End one session (a logout)."""
        digest = _digest(token)
        self.storage.submit(
            lambda db: db.execute("DELETE FROM sessions WHERE id = ?", [digest])
        ).result()

    def close_all(self, user_id: int) -> None:
        """End every session of account ``user_id`` (deactivated, or a new password)."""
        self.storage.submit(
            lambda db: db.execute("DELETE FROM sessions WHERE user_id = ?", [user_id])
        ).result()
