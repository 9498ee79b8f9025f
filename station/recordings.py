"""Reading recordings for ``analyze``: the public data set's text format (Santos & Duarte 2016)
and the station's own trial exports (``station.exports``).

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
from station.exports import MAGIC

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
    """A BDS file or a station export, told apart by the first line."""
    path = Path(path)
    try:
        with path.open(encoding="utf-8") as handle:
            first = handle.readline().rstrip("\n")
    except OSError as exc:
        raise RecordingFormatError(f"{path}: cannot read the file ({exc.strerror})") from exc
    except UnicodeDecodeError:
        raise RecordingFormatError(f"{path}: not a text file") from None
    return read_station_export(path) if first == MAGIC else read_bds(path)


def read_station_export(path: Path) -> Recording:
    """The recording window of a station export; RecordingFormatError says what is wrong."""
    meta, rows = {}, []
    try:
        with Path(path).open(encoding="utf-8") as handle:
            lines = iter(handle)
            for line in lines:
                if not line.startswith("#"):
                    header = next(csv.reader([line]))
                    break
                key, sep, value = line[1:].partition(":")
                if sep:
                    meta[key.strip()] = value.strip()
            else:
                raise RecordingFormatError(f"{path}: the export has no header line")
            for record in csv.reader(lines):
                rows.append([float(v) if v else math.nan for v in record])
    except ValueError as exc:
        raise RecordingFormatError(f"{path}: bad number in the data ({exc})") from None
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


def read_bds(path: Path) -> Recording:
    """Read one BDS text file; RecordingFormatError names the file and what is wrong."""
    path = Path(path)
    try:
        with path.open(encoding="utf-8") as handle:
            header = handle.readline().split()
            if header != list(BDS_COLUMNS):
                raise RecordingFormatError(
                    f"{path}: not a BDS recording: the header should be "
                    f"{' '.join(BDS_COLUMNS)!r}, found {' '.join(header)[:80]!r}"
                )
            data = np.loadtxt(handle, delimiter="\t", ndmin=2)
    except OSError as exc:
        raise RecordingFormatError(f"{path}: cannot read the file ({exc.strerror})") from exc
    except UnicodeDecodeError:
        raise RecordingFormatError(f"{path}: not a text file") from None
    except ValueError as exc:
        raise RecordingFormatError(f"{path}: bad number in the data ({exc})") from None
    if data.shape[1] != len(BDS_COLUMNS):
        raise RecordingFormatError(
            f"{path}: expected {len(BDS_COLUMNS)} columns, found {data.shape[1]}"
        )
    if len(data) < 10:
        raise RecordingFormatError(f"{path}: only {len(data)} samples, too short to analyse")
    if not np.all(np.isfinite(data)):
        raise RecordingFormatError(f"{path}: the data contains NaN or infinite values")
    steps = np.diff(data[:, 0])
    if np.any(steps <= 0):
        raise RecordingFormatError(f"{path}: the time column does not increase")
    fs_hz = float(round(1.0 / np.median(steps), 6))
    return Recording(path, data[:, 7], data[:, 8], fs_hz, raw=False)
