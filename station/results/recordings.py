"""Reading recordings for ``analyze``: the public data set's text format (Santos & Duarte 2016)
and the station's own trial exports (``station.results.exports``).

BDS format: tab-separated, one header line ``Time[s] Fx[N] Fy[N] Fz[N] Mx[Nm] My[Nm] Mz[Nm]
COPx[cm] COPy[cm]``, COPx antero-posterior and COPy medio-lateral, in centimetres. A station
export is analysed over its recording window only (the step-on and countdown are not scored).
"""

import csv
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from station.errors import RecordingFormatError
from station.results.exports import MAGIC

# Larger files are refused unread: an hour at 100 Hz is about 34 MB as a BDS file (95 bytes a
# row) and 29 MB as a station export (80), while the longest drill records minutes.
MAX_RECORDING_BYTES = 32 * 2**20
# Sampling rates a balance recording has (force plates 25-1000 Hz; the station 100 Hz); one
# outside is a time column or rate line in the wrong unit, and its metrics would be nonsense.
RATE_RANGE_HZ = (1.0, 10_000.0)
BDS_COLUMNS = (
    "Time[s]",
    "Fx[N]",
    "Fy[N]",
    "Fz[N]",
    "Mx[Nm]",
    "My[Nm]",
    "Mz[Nm]",
    "COPx[cm]",
    "COPy[cm]",
)


@dataclass(frozen=True)
class Recording:
    """A COP trace in centimetres with its sampling rate in Hz; ``raw`` is True for a
    station's unfiltered COP, False for the data set's (low-passed at 10 Hz by its authors)."""

    path: Path
    ap_cm: np.ndarray
    ml_cm: np.ndarray
    fs_hz: float
    raw: bool


def read_recording(path: Path) -> Recording:
    """A BDS file or a station export, told apart by the first line, sampled at a rate in
    ``RATE_RANGE_HZ``; RecordingFormatError names the file and what is wrong with it."""
    path = Path(path)
    text = _read_text(path)
    first = text.split("\n", 1)[0].rstrip("\r")
    rec = read_station_export(path, text) if first == MAGIC else read_bds(path, text)
    low, high = RATE_RANGE_HZ
    if not low <= rec.fs_hz <= high:
        raise RecordingFormatError(
            f"{path}: a sampling rate of {rec.fs_hz:.6g} Hz, outside the {low:g}-{high:g} Hz "
            "of balance recordings: check the time column (seconds) or the rate_hz line"
        )
    return rec


def _read_text(path: Path) -> str:
    """The file's text, refused beyond ``MAX_RECORDING_BYTES`` (read no further: /dev/zero or
    a runaway file ends there, not in memory)."""
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_RECORDING_BYTES + 1)
    except OSError as exc:
        raise RecordingFormatError(f"{path}: cannot read the file ({exc.strerror})") from exc
    if len(data) > MAX_RECORDING_BYTES:
        raise RecordingFormatError(
            f"{path}: larger than {MAX_RECORDING_BYTES // 2**20} MiB, more than an hour of any "
            "recording at 100 Hz: not a recording (or split it)"
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise RecordingFormatError(f"{path}: not a text file") from None


def _export_value(path: Path, line: int, cell: str) -> float:
    """A cell of a station export: empty (no COP: the patient was off the platform) or a
    finite number."""
    if not cell:
        return math.nan
    try:
        value = float(cell)
    except ValueError:
        raise RecordingFormatError(f"{path}: line {line}: {cell[:20]!r} is not a number") from None
    if not math.isfinite(value):
        raise RecordingFormatError(f"{path}: line {line}: {cell!r} is not a measurement")
    return value


def read_station_export(path: Path, text: str) -> Recording:
    """The recording window of a station export (its ``text``); RecordingFormatError says what
    is wrong."""
    meta, rows = {}, []
    lines = text.splitlines()
    first = next((i for i, line in enumerate(lines) if not line.startswith("#")), None)
    if first is None:
        raise RecordingFormatError(f"{path}: the export has no header line")
    for line in lines[:first]:
        key, sep, value = line[1:].partition(":")
        if sep:
            meta[key.strip()] = value.strip()
    header = next(csv.reader([lines[first]]))
    for number, record in enumerate(csv.reader(lines[first + 1 :]), start=first + 2):
        if len(record) != len(header):
            raise RecordingFormatError(
                f"{path}: line {number} has {len(record)} values, the header {len(header)}"
            )
        rows.append([_export_value(path, number, cell) for cell in record])
    missing = {"t_s", "cop_ml_mm", "cop_ap_mm"} - set(header)
    if missing:
        raise RecordingFormatError(f"{path}: the header lacks {', '.join(sorted(missing))}")
    try:
        fs_hz = float(meta["rate_hz"])
        window = [float(v) for v in meta.get("recording_s", "0").split()]
    except (KeyError, ValueError):
        raise RecordingFormatError(
            f"{path}: '# rate_hz:' and '# recording_s:' lines are needed"
        ) from None
    data = np.asarray(rows, dtype=float).reshape(-1, len(header))
    t = data[:, header.index("t_s")]
    inside = (t >= window[0]) & (t < (window[1] if len(window) > 1 else math.inf))
    ml, ap = (data[inside, header.index(c)] / 10.0 for c in ("cop_ml_mm", "cop_ap_mm"))
    if len(ap) < 10:
        raise RecordingFormatError(f"{path}: only {len(ap)} samples recorded, too short to analyse")
    if not (np.all(np.isfinite(ap)) and np.all(np.isfinite(ml))):
        raise RecordingFormatError(f"{path}: the patient was off the platform during the recording")
    return Recording(Path(path), ap, ml, fs_hz, raw=True)


def read_bds(path: Path, text: str) -> Recording:
    """A BDS recording (its ``text``); RecordingFormatError names the file and what is
    wrong."""
    header_line, _, body = text.partition("\n")
    header = header_line.split()
    if header != list(BDS_COLUMNS):
        raise RecordingFormatError(
            f"{path}: not a BDS recording: the header should be "
            f"{' '.join(BDS_COLUMNS)!r}, found {' '.join(header)[:80]!r}"
        )
    rows = []
    for number, line in enumerate(body.splitlines(), start=2):
        if line.strip():
            rows.append(line.split("\t"))
            if len(rows[-1]) != len(BDS_COLUMNS):
                raise RecordingFormatError(
                    f"{path}: line {number} has {len(rows[-1])} values, the header "
                    f"{len(BDS_COLUMNS)}"
                )
    try:
        data = np.array(rows, dtype=str).astype(float).reshape(-1, len(BDS_COLUMNS))
    except ValueError as exc:
        raise RecordingFormatError(f"{path}: bad number in the data ({exc})") from None
    if len(data) < 10:
        raise RecordingFormatError(f"{path}: only {len(data)} samples, too short to analyse")
    if not np.all(np.isfinite(data)):
        raise RecordingFormatError(f"{path}: the data contains NaN or infinite values")
    steps = np.diff(data[:, 0])
    if np.any(steps <= 0):
        raise RecordingFormatError(f"{path}: the time column does not increase")
    fs_hz = float(round(1.0 / np.median(steps), 6))
    return Recording(path, data[:, 7], data[:, 8], fs_hz, raw=False)
