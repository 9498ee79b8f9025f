"""The audit log as CSV for the clinic's records: one row per entry, oldest first, every text
cell made safe for spreadsheets as in the metrics export (a cell that could start a formula is
prefixed with ')."""

import csv
import io
from collections.abc import Iterable, Iterator
from datetime import date

from station.results.metrics_export import csv_text_cell

AUDIT_COLUMNS = ("id", "at", "username", "action", "target", "detail", "address")


def audit_file_name(day: date | None = None) -> str:
    """E.g. ``audit-log_2025-03-01.csv``."""
    return f"audit-log_{(day or date.today()).isoformat()}.csv"


def audit_csv_lines(entries: Iterable[dict]) -> Iterator[str]:
    """The header, then one CSV line per audit entry (``Accounts.recent_audit`` rows)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(AUDIT_COLUMNS)
    yield out.getvalue()
    for entry in entries:
        out.seek(0)
        out.truncate()
        writer.writerow(
            [entry["id"], *(csv_text_cell(entry[column]) for column in AUDIT_COLUMNS[1:])]
        )
        yield out.getvalue()
