"""A patient's metrics as CSV: one row per scored part of each trial (an mCTSIB trial gives a
row per condition and one for its totals; a trial that scored nothing gives one row), with the
date, drill, condition, state, quality and every measure key as a column.

The file is for spreadsheets, so text cells that a spreadsheet would run as a formula (starting
with = + - @, a tab or a carriage return) are prefixed with ' (CSV injection). File names hold
only [A-Za-z0-9._-]: the patient's code (or id), never the name, and the date.
"""

import csv
import io
import re
from datetime import date, datetime

from station.results.measures import quality_label, scored_parts

FIXED_COLUMNS = (
    "trial_id",
    "date",
    "started_at",
    "drill",
    "condition",
    "state",
    "reason",
    "quality",
    "quality_problems",
)
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_text_cell(text: str | None) -> str:
    """A text cell made safe for spreadsheets: prefixed with ' when it could start a formula."""
    text = "" if text is None else str(text)
    return "'" + text if text.startswith(FORMULA_START) else text


def _number_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return f"{value:.9g}"


def safe_name(text: str) -> str:
    """``text`` with every character outside [A-Za-z0-9._-] replaced by '-'."""
    return re.sub(r"[^A-Za-z0-9._-]", "-", text)


def metrics_file_name(patient: dict, day: date | None = None) -> str:
    """E.g. ``metrics_AB-12_2025-03-01.csv``: the patient's code, else ``patient-<id>``."""
    who = patient.get("code") or f"patient-{patient['id']}"
    return safe_name(f"metrics_{who}_{(day or date.today()).isoformat()}") + ".csv"


def metrics_rows(trials: list[dict]) -> tuple[list[str], list[dict]]:
    """(measure keys in first-seen order, rows) of ``trials``; a row maps the fixed columns
    and its measures to raw values."""
    keys: dict[str, None] = {}
    rows = []
    for trial in trials:
        base = {
            "trial_id": trial["id"],
            "date": datetime.fromisoformat(trial["started_at"]).astimezone().date().isoformat(),
            "started_at": trial["started_at"],
            "drill": trial["drill"],
            "state": trial["state"],
            "reason": trial.get("reason"),
        }
        parts = scored_parts(trial) or [{"condition": "", "measures": {}, "quality": None}]
        for part in parts:
            quality = part["quality"] or {}
            problems = [f["message"] for f in quality.get("flags") or [] if f["severity"] == "fail"]
            keys.update(dict.fromkeys(part["measures"]))
            rows.append(
                {
                    **base,
                    "condition": part["condition"],
                    "quality": quality_label(part["quality"]),
                    "quality_problems": "; ".join(problems),
                    "measures": part["measures"],
                }
            )
    return list(keys), rows


def metrics_csv(patient: dict, trials: list[dict], day: date | None = None) -> tuple[str, str]:
    """(file name, CSV text) of ``patient``'s ``trials`` (oldest first)."""
    keys, rows = metrics_rows(trials)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*FIXED_COLUMNS, *keys])
    for row in rows:
        writer.writerow(
            [csv_text_cell(row[c]) for c in FIXED_COLUMNS]
            + [_number_cell(row["measures"].get(k)) for k in keys]
        )
    return metrics_file_name(patient, day), out.getvalue()
