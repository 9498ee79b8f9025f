"""The audit trail the panel writes: who (the logged-in user), when, which record, from where
(the device's address) for every create, change and view of clinical data, and for logins,
account changes and exports. The rows go to the station's ``audit_log``
(``station.records.accounts.Accounts.audit``); what each action means is in the README (*The audit
trail*). Details name fields and values of records, never a password or anything typed into a
password's place.
"""

from flask import current_app, request
from flask_login import current_user


def address() -> str:
    """The address the request came from (the device, as the panel sees it)."""
    return request.remote_addr or ""


def audit(action: str, target: str = "", detail: str = "") -> None:
    """Audit ``action`` on ``target`` (``patient 12``) by the logged-in user, from the
    request's address."""
    username = current_user.username if current_user.is_authenticated else None
    current_app.extensions["accounts"].audit(username, action, target, detail, address())


def viewed(kind: str, record_id, detail: str = "") -> None:
    """Audit that the user looked at ``kind`` ``record_id`` (``detail``: which part of it)."""
    audit(f"{kind}-viewed", f"{kind} {record_id}", detail)


def changes(before: dict, after: dict, fields, values: tuple = ()) -> str:
    """The ``fields`` that differ between two versions of a record, in words: a field of
    ``values`` with its old and new value (``nmr_minutes 30 -> 480``), other fields by name
    only (free text such as a name or a note stays in the record, not in the log)."""
    changed = []
    for field in fields:
        old, new = before.get(field), after.get(field)
        if old == new:
            continue
        changed.append(f"{field} {_shown(old)} -> {_shown(new)}" if field in values else field)
    return "changed " + ", ".join(changed) if changed else "saved unchanged"


def _shown(value) -> str:
    return "(none)" if value in (None, "") else str(value)
