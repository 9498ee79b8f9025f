"""The audit trail for technicians: the page (``/technician/audit``, filtered by user, action
or record, 100 entries a page, newest first), its JSON (``GET /api/v1/technician/audit``) and
the whole filtered log as CSV (``/technician/audit.csv``, itself audited as an export)."""

from flask import Response, current_app, jsonify, render_template, request
from flask_babel import gettext

from station.records.audit_export import audit_csv_lines, audit_file_name
from webpanel.api import ApiError, api
from webpanel.audit_trail import audit
from webpanel.auth import technician_required
from webpanel.technician import technician

AUDIT_PAGE_ENTRIES = 100
EXPORT_BATCH = 5000  # entries read at a time while the CSV streams out


def _filters() -> dict:
    """``username``, ``action`` and ``target`` from the query string (empty: any)."""
    return {k: request.args.get(k, "").strip()[:100] for k in ("username", "action", "target")}


def _before():
    raw = request.args.get("before", "")
    if not raw:
        return None
    if not raw.isdigit():
        raise ApiError(400, "invalid", gettext("before must be an entry's id"), "before")
    return int(raw)


def _entries() -> tuple[list[dict], int | None]:
    """One page of the filtered log and the ``before`` of the next (None on the last)."""
    log = current_app.extensions["accounts"]
    rows = log.recent_audit(AUDIT_PAGE_ENTRIES + 1, _before(), **_filters())
    more = len(rows) > AUDIT_PAGE_ENTRIES
    rows = rows[:AUDIT_PAGE_ENTRIES]
    return rows, rows[-1]["id"] if more else None


@technician.get("/audit")
@technician_required
def audit_log():
    """Who did what to which record, when and from where: 100 entries a page."""
    entries, older = _entries()
    return render_template(
        "technician_audit.html",
        section="audit",
        entries=entries,
        older=older,
        filters=_filters(),
    )


@api.get("/technician/audit")
@technician_required
def audit_entries():
    """The audit log, newest first, 100 entries a call.

    ``?username=``, ``?action=``, ``?target=`` (e.g. ``patient 12``) keep the matching
    entries; ``?before=`` an entry's id continues after it (``next`` gives it, null on the
    last page)."""
    entries, older = _entries()
    return jsonify(entries=entries, next=older)


@technician.get("/audit.csv")
@technician_required
def audit_export():
    """The filtered audit log as CSV, oldest entries last (as the page), as a download."""
    filters, name = _filters(), audit_file_name()
    log = current_app.extensions["accounts"]
    audit("export", "audit log", f"CSV {name}")

    def every_entry():
        before = None
        while rows := log.recent_audit(EXPORT_BATCH, before, **filters):
            yield from rows
            before = rows[-1]["id"]

    return Response(
        audit_csv_lines(every_entry()),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
