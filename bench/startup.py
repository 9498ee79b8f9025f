"""A daemon's start-up: time from ``balance-station run`` to a healthy /api/v1/health, and
the CPU each process spent by then (core, panel, load-cell process) with the panel's peak
memory, over several starts on simulated hardware; medians printed as one table.

What a technician waits for after a restart, and what the panel costs each time systemd or
the core restarts it (on a Pi, about seven times these CPU seconds).

    python bench/startup.py [--starts 5]
"""

import argparse
import statistics
import time

from daemon import Daemon


def one_start() -> dict:
    """Start a daemon, measure it at its first healthy answer, stop it."""
    daemon = Daemon()
    started = time.monotonic()
    daemon.start()
    try:
        healthy_s = time.monotonic() - started
        pids = daemon.pids()
        figures = {"healthy_s": healthy_s}
        for name, pid in pids.items():
            figures[f"{name}_cpu_s"] = daemon.cpu_s(pid)
        figures["panel_peak_mib"] = daemon.peak_memory_mib(pids["panel"])
    finally:
        daemon.stop()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--starts", type=int, default=5)
    args = parser.parse_args()
    runs = [one_start() for _ in range(args.starts)]
    print(f"| figure (median of {args.starts} starts) | measured |")
    print("|---|---|")
    rows = (
        ("time to a healthy answer (polled every 0.2 s)", "healthy_s", "s"),
        ("core CPU by then", "core_cpu_s", "s"),
        ("panel CPU by then", "panel_cpu_s", "s"),
        ("load-cell process CPU by then", "loadcells_cpu_s", "s"),
        ("panel peak memory (VmHWM)", "panel_peak_mib", "MiB"),
    )
    for words, key, unit in rows:
        print(f"| {words} | {statistics.median(r[key] for r in runs):.2f} {unit} |")


if __name__ == "__main__":
    main()
