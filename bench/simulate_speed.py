"""Simulated seconds per wall-clock second for a drill on the full emulated stack, and the
control loop's CPU time per tick.

Each run builds a station on emulated hardware under a virtual clock (not timed: the BNO08x
driver's reset sleeps 1 s of real time), starts the drill for a simulated patient and ticks it
to the end. The figures are the drill's simulated time over the wall time of the ticking, and
the process CPU time per tick (loop, drill, sensing, storage hand-off and every emulated chip
and the person model, which a Pi would not run). Usage:
``python bench/simulate_speed.py [--drill mctsib] [--profile healthy-young] [--repeat 3]``.
"""

import argparse
import logging
import statistics
import time

from station.clock import VirtualClock
from station.runtime.core_config import parse_config
from station.runtime.station import Station


def run_once(drill: str, profile: str, seed: int, params: dict) -> tuple[float, float, int, str]:
    """(simulated s, wall s, CPU s per tick, final state) of one simulated trial."""
    config = parse_config({"sim": {"profile": profile, "seed": seed, "step_on_at_s": 1.0}})
    station = Station(config, clock=VirtualClock(), db_path=":memory:")
    try:
        patient = station.records.create_patient(
            {"name": "Bench", "height_cm": 170, "weight_kg": 65}
        )
        trial = station.start_drill(patient["id"], drill, params)["trial_id"]
        ticks0, cpu0, wall0 = station.loop.ticks, time.process_time(), time.perf_counter()
        station.run_virtual(max_s=1800.0)
        wall = time.perf_counter() - wall0
        cpu_per_tick = (time.process_time() - cpu0) / max(1, station.loop.ticks - ticks0)
        station.storage.flush()
        record = station.results.get_trial(trial)
        return record["duration_s"], wall, cpu_per_tick, record["state"]
    finally:
        station.close()


def median_speed(rows: list[tuple[float, float, float, str]]) -> float:
    """Median simulated seconds per wall second of ``run_once`` rows."""
    return statistics.median(simulated / wall for simulated, wall, _, _ in rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--drill", default="mctsib")
    parser.add_argument("--profile", default="healthy-young")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    rows = [run_once(args.drill, args.profile, seed, {}) for seed in range(args.repeat)]
    cpu_us = [cpu * 1e6 for _, _, cpu, _ in rows]
    print(f"drill {args.drill}, profile {args.profile}, {args.repeat} runs")
    for simulated, wall, cpu, state in rows:
        print(f"  {state:10s} {simulated:7.1f} s simulated in {wall:6.2f} s wall, "
              f"{cpu * 1e6:6.0f} µs CPU per tick")  # fmt: skip
    print(f"speed          median {median_speed(rows):.0f} simulated s per wall s")
    print(f"CPU per tick   median {statistics.median(cpu_us):.0f} µs (full emulated stack)")


if __name__ == "__main__":
    main()
