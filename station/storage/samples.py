"""A trial's raw frames as one compressed array blob, so any trial can be re-analysed later.

Columns are only ever appended; ``decode`` pads rows of older trials with NaN."""

import io
import zlib

import numpy as np

COLUMNS = (
    "t_s",
    "force_front_left_n",
    "force_front_right_n",
    "force_back_left_n",
    "force_back_right_n",
    "total_n",
    "cop_ml_mm",
    "cop_ap_mm",
    "pitch_deg",
    "roll_deg",
    "fresh",
    "conversions",
    "lost_conversions",
)
FIRST_VERSION_COLUMNS = 8  # trials stored before the tilt and fresh columns existed


def encode(rows: np.ndarray) -> bytes:
    """zlib-compressed .npy bytes of an (N, len(COLUMNS)) float array."""
    rows = np.asarray(rows, dtype=np.float64).reshape(-1, len(COLUMNS))
    buffer = io.BytesIO()
    np.save(buffer, rows, allow_pickle=False)
    return zlib.compress(buffer.getvalue(), level=6)


def decode(blob: bytes) -> np.ndarray:
    """The (N, len(COLUMNS)) array stored by ``encode``; older trials get NaN in the columns
    added since (tilt; ``fresh``: 1 where every corner's value came from new conversions, else
    0; ``conversions`` and ``lost_conversions``: the load-cell conversions done since the
    previous frame, over all corners, and how many of them the readers lost)."""
    rows = np.load(io.BytesIO(zlib.decompress(blob)), allow_pickle=False)
    if rows.shape[1] < len(COLUMNS):
        missing = np.full((rows.shape[0], len(COLUMNS) - rows.shape[1]), np.nan)
        rows = np.hstack([rows, missing])
    return rows
