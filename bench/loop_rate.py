"""Control-loop timing on simulated hardware in real time: measured rate, late ticks, lateness.

Runs the full station (emulated chips, reader thread, storage, loop; no panel) for
``--seconds`` of wall time, with a quiet-stance trial running for most of it, and prints the
figures. Usage: ``python bench/loop_rate.py [--seconds 60] [--rate 100]``.
"""

import argparse
import resource
import time

from station.runtime.core_config import parse_config
from station.runtime.station import Station


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--rate", type=float, default=100.0)
    args = parser.parse_args()
    config = parse_config({"station": {"loop_rate_hz": args.rate}, "sim": {"step_on_at_s": 0.5}})
    station = Station(config, db_path=":memory:")
    station.start()
    cpu0, wall0 = time.process_time(), time.monotonic()
    patient = station.records.create_patient({"name": "bench"})
    station.start_drill(patient["id"], "quiet-stance", {"duration_s": 120.0})
    time.sleep(args.seconds)
    cpu, wall = time.process_time() - cpu0, time.monotonic() - wall0
    loop = station.loop.status()
    station.close()
    late = loop["lateness_ms"]
    print(f"loop target rate        {args.rate:.0f} Hz")
    print(f"wall time               {wall:.1f} s")
    print(f"ticks                   {loop['ticks']}")
    print(f"mean rate               {loop['ticks'] / wall:.2f} Hz")
    print(f"late ticks (> T/2)      {loop['late_ticks']}")
    print(f"resyncs                 {loop['resyncs']}")
    print(
        f"lateness p50/p99/max    {late['p50']:.3f} / {late['p99']:.3f} / {late['max']:.3f} ms"
        " (last 10 s)"
    )
    print(f"process CPU             {100 * cpu / wall:.1f} % of one core")
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS                {peak_mib:.0f} MiB")


if __name__ == "__main__":
    main()
