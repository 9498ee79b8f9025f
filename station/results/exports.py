"""A trial's raw samples as CSV: the station's own export format, which ``analyze`` reads back.

Comment lines (``# key: value``) carry what analysis needs (rate, the recording window) and
what identifies the trial without naming the patient (trial id, drill, patient id); then one
header line of ``station.storage.samples.COLUMNS`` and one row per control-loop tick, times in
seconds since the trial began.
"""

import csv
import io
import math

from station.storage.samples import COLUMNS

MAGIC = "# balance-station trial export"


def trial_csv(trial: dict, rows, window: tuple[float, float]) -> str:
    """The CSV text of ``trial`` (a stored trial dict) with its sample ``rows``."""
    out = io.StringIO()
    end = "" if math.isinf(window[1]) else f"{window[1]:.4f}"
    for line in (
        MAGIC,
        f"# trial_id: {trial['id']}",
        f"# patient_id: {trial['patient_id']}",
        f"# drill: {trial['drill']}",
        f"# state: {trial['state']}",
        f"# started_at: {trial['started_at']}",
        f"# rate_hz: {trial['rate_hz']}",
        f"# recording_s: {window[0]:.4f} {end}".rstrip(),
        f"# software_version: {trial['software_version']}",
    ):
        out.write(line + "\n")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow("" if math.isnan(v) else f"{v:.9g}" for v in row)
    return out.getvalue()


def safe_file_name(trial: dict) -> str:
    """A file name for the export made only of the drill, the date and the trial id (never
    the patient's name), in characters every file system accepts."""
    day = trial["started_at"][:10]
    stem = f"{trial['drill']}_{day}_{trial['id'][:8]}"
    return "".join(c if c.isalnum() or c in "-_" else "-" for c in stem) + ".csv"
