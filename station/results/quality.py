"""The data-quality gate of a finished trial whose drill does not gate its own recordings
(quiet stance and the mCTSIB conditions do): ``sensing.quality.assess_recording`` over the
trial's frames from the start of recording to its end, with the checks the drill declares
(``Drill.quality_checks``); and the words of a gate's flags in a reader's language
(``flag_message``)."""

import math

import numpy as np

from sensing.quality import assess_recording, flag_message  # noqa: F401  (for the panel)
from station.storage.samples import COLUMNS

_COL = {name: i for i, name in enumerate(COLUMNS)}
_FORCES = slice(_COL["force_front_left_n"], _COL["force_back_right_n"] + 1)


def recording_quality(drill, rows: np.ndarray, events: list[dict], rate_hz: float) -> dict | None:
    """The gate of ``rows`` (the trial's frames, times since its start) over its recording,
    ``events`` with times since the start too; None when the drill declares no checks or never
    recorded."""
    checks = tuple(drill.quality_checks)
    start = next((e["t_s"] for e in events if e["phase"] == "recording"), None)
    if not checks or start is None or not len(rows):
        return None
    end = events[-1]["t_s"] if events[-1]["phase"] in ("completed", "aborted") else math.inf
    t = rows[:, _COL["t_s"]]
    rec = rows[(t >= start - 1e-9) & (t <= end + 1e-9)]
    fresh = rec[:, _COL["fresh"]]
    return assess_recording(
        rec[:, _COL["t_s"]],
        rec[:, _FORCES],
        checks=checks,
        nominal_rate_hz=rate_hz,
        sensor_rate_hz=drill.sensor_rate_hz,
        fresh=None if np.isnan(fresh).any() else fresh.astype(bool),
        tilt_deg=rec[:, [_COL["pitch_deg"], _COL["roll_deg"]]],
    )
