"""Time to compute the full sway metric set of a 60 s trial at 100 Hz (target: under 20 ms).

Times ``analyse_cop`` with the default conventions, and with Quijoux's resampling to 25 Hz plus a
10 Hz zero-lag Butterworth, on a real recording: BDS00043 of Santos & Duarte (2016), "A public data
set of human balance evaluations", PeerJ 4:e2648, doi:10.7717/peerj.2648, CC BY 4.0. Prints the
median and minimum over many repetitions. Usage: ``python bench/metrics_speed.py [--repeats 300]``.
"""

import argparse
import statistics
import time
from pathlib import Path

import numpy as np

from sensing.analysis import analyse_cop

RECORDING = Path(__file__).parents[1] / "tests" / "data" / "bds" / "BDS00043.txt"


def timings_ms(call, repeats: int) -> list[float]:
    call()  # warm caches and scipy's lazy imports
    out = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        out.append((time.perf_counter() - start) * 1000)
    return out


def recording_cop_cm() -> tuple[np.ndarray, np.ndarray]:
    """(AP, ML) centre of pressure of the 60 s recording, cm, at 100 Hz."""
    data = np.loadtxt(RECORDING, skiprows=1)
    return data[:, 7], data[:, 8]


def metric_set_ms(repeats: int) -> float:
    """Median ms of the full metric set of the 60 s recording under the default conventions."""
    ap, ml = recording_cop_cm()
    return statistics.median(timings_ms(lambda: analyse_cop(ap, ml, 100.0), repeats))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=300)
    args = parser.parse_args()
    ap, ml = recording_cop_cm()
    cases = {
        "default conventions (raw COP)": {},
        "25 Hz resampling + 10 Hz zero-lag filter": {
            "filter": {"cutoff_hz": 10.0, "order": 4},
            "resample_hz": 25.0,
        },
        "10 Hz zero-lag filter at 100 Hz": {"filter": {"cutoff_hz": 10.0, "order": 4}},
    }
    print(f"trial: {RECORDING.name}, {len(ap)} samples at 100 Hz, {args.repeats} repetitions")
    for name, options in cases.items():
        ms = timings_ms(lambda options=options: analyse_cop(ap, ml, 100.0, **options), args.repeats)
        print(f"{name:42s} median {statistics.median(ms):6.2f} ms   min {min(ms):6.2f} ms")


if __name__ == "__main__":
    main()
