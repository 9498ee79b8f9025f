"""Reading recordings for ``analyze``: the public data set's text format (Santos & Duarte 2016).

Format: tab-separated, one header line ``Time[s] Fx[N] Fy[N] Fz[N] Mx[Nm] My[Nm] Mz[Nm] COPx[cm]
COPy[cm]``, COPx antero-posterior and COPy medio-lateral, in centimetres.
"""

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from station.errors import RecordingFormatError

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
    """A COP trace in centimetres with its sampling rate in Hz."""

    path: Path
    ap_cm: np.ndarray
    ml_cm: np.ndarray
    fs_hz: float


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
    return Recording(path, data[:, 7], data[:, 8], fs_hz)
