"""Every benchmark of the station in one command, printed as one table: figure, measured value,
target, whether it is met.

- control loop at 100 Hz and 200 Hz for ``--seconds`` (60) of real time on simulated hardware,
  the real daemon with two panel clients streaming live data and trials running back to back
  (``bench/loop_under_load.py``): tick lateness p50/p99/max, late ticks, CPU share of one core
  and peak memory of the daemon, latency from a tick to a client of the live stream;
- the emulated chips' share of that CPU, which a Pi would not spend (``bench/reader_cpu.py``);
- the full sway metric set of a 60 s trial (``bench/metrics_speed.py``);
- simulated seconds per wall second of ``mctsib`` on the full emulated stack
  (``bench/simulate_speed.py``);
- a patient's page and progress page with 10,000 stored trials (``bench/history_pages.py``).

The daemon's CPU and memory are its two processes' (core and panel) together. The core apart
from the panel under everything at once, beside the old one-process daemon, is
``bench/isolation.py``'s table.

The machine is shared: the load average before and after is printed with the table, since
other processes on the same cores lengthen the loop's worst ticks. ``--quick`` is a smoke run
(10 s per loop run, fewer repetitions). Usage: ``python bench/run_all.py [--quick]``.
"""

import argparse
import logging
import os
import platform
import time
from dataclasses import dataclass

import history_pages
import loop_under_load
import metrics_speed
import reader_cpu
import simulate_speed


@dataclass
class Row:
    """One line of the table; ``limit`` is the target's bound (None: no target)."""

    figure: str
    value: float
    unit: str
    limit: float | None = None
    digits: int = 1

    def cells(self) -> tuple[str, str, str, str]:
        measured = f"{self.value:.{self.digits}f} {self.unit}".strip()
        if self.limit is None:
            return self.figure, measured, "", ""
        target = f"< {self.limit:g} {self.unit}".strip()
        return self.figure, measured, target, "yes" if self.value < self.limit else "NO"


def loop_rows(rate_hz: float, seconds: float) -> list[Row]:
    f = loop_under_load.measure(rate_hz, seconds)
    at = f"at {rate_hz:g} Hz"
    main_rate = rate_hz == 100.0
    return [
        Row(f"tick lateness p50 {at}", f.lateness_p50_ms, "ms", digits=3),
        Row(
            f"tick lateness p99 {at} (worst 10 s window)",
            f.lateness_p99_ms,
            "ms",
            2.0 if main_rate else None,
            3,
        ),
        Row(f"tick lateness max {at}", f.lateness_max_ms, "ms", digits=3),
        Row(f"late ticks {at} (of {f.ticks} in {f.seconds:.0f} s)", f.late_ticks, "", digits=0),
        Row(
            f"daemon CPU {at}, 2 live clients",
            f.cpu_pct_of_core,
            "% of a core",
            15.0 if main_rate else None,
        ),
        Row(f"daemon peak memory (VmHWM) {at}", f.peak_memory_mib, "MiB", digits=0),
        Row(f"live latency {at}, newest frame p50", f.latency(True, 50), "ms"),
        Row(f"live latency {at}, newest frame p99", f.latency(True, 99), "ms"),
        Row(f"live latency {at}, every frame p99", f.latency(False, 99), "ms"),
    ]


def emulated_chips_pct(samples: int) -> float:
    """CPU share of one core spent inside the emulated chips at their default rates (NAU7802s
    at 320 SPS, BNO08x at 100 Hz), from ``bench/reader_cpu.py``: a lower bound of what the
    simulation adds to the daemon's CPU (the person and platform model come on top)."""
    _, nau7802_us = reader_cpu.nau7802(samples)
    _, bno08x_us = reader_cpu.bno08x(samples)
    return (320 * nau7802_us + 100 * bno08x_us) / 1e4


def all_rows(quick: bool, seconds: float) -> list[Row]:
    rows = loop_rows(100.0, seconds)
    chips_pct = emulated_chips_pct(500 if quick else 2000)
    rows.append(Row("of the daemon CPU: emulated chips, at least", chips_pct, "% of a core"))
    rows += loop_rows(200.0, seconds)
    rows.append(
        Row(
            "full metric set of a 60 s trial (median)",
            metrics_speed.metric_set_ms(30 if quick else 300),
            "ms",
            20.0,
            2,
        )
    )
    runs = [
        simulate_speed.run_once("mctsib", "healthy-young", seed, {})
        for seed in range(1 if quick else 3)
    ]
    rows.append(
        Row(
            "mctsib simulated s per wall s (median)",
            simulate_speed.median_speed(runs),
            "",
            digits=0,
        )
    )
    pages = history_pages.history_page_ms(10_000, 3 if quick else 7)
    for name, ms in pages.items():
        rows.append(Row(f"{name} with 10,000 trials (median)", ms, "ms", 100.0))
    return rows


def print_table(rows: list[Row]) -> None:
    cells = [("figure", "measured", "target", "met?"), *(row.cells() for row in rows)]
    widths = [max(len(c[i]) for c in cells) for i in range(4)]
    for k, line in enumerate(cells):
        print("  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip())
        if k == 0:
            print("  ".join("-" * w for w in widths))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10 s loop runs, fewer repeats")
    parser.add_argument("--seconds", type=float, help="real time per loop run (default 60)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    seconds = args.seconds or (10.0 if args.quick else 60.0)
    load_before = os.getloadavg()
    started = time.monotonic()
    rows = all_rows(args.quick, seconds)
    print()
    print_table(rows)
    print()
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}; load average (1 min) {load_before[0]:.2f} before, "
        f"{os.getloadavg()[0]:.2f} after; {time.monotonic() - started:.0f} s in all"
    )
    print(
        "lateness: how late each control-loop tick starts after its deadline; p99 is the worst "
        "of the loop's 10 s windows over the run. CPU: the daemon's utime+stime over wall time, "
        "every thread, including the emulated chips and the simulated person. Live latency: "
        "client's time.monotonic() at a message's arrival minus the frame's tick time (the "
        "station's time.monotonic(); one clock for all processes on this machine); frames are "
        "sent in ~50 ms batches, so 'every frame' includes the wait for its batch."
    )


if __name__ == "__main__":
    main()
