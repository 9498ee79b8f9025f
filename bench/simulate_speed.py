"""Wall time of ``balance-station simulate quiet-stance`` (30 s trial, full emulated stack).

Runs the command in-process ``--repeat`` times and prints the wall time of each run and the
simulated seconds per wall-clock second. Usage: ``python bench/simulate_speed.py [--repeat 5]``.
"""

import argparse
import contextlib
import io
import json
import time

from station.cli import main as cli


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    times, simulated = [], 0.0
    for seed in range(args.repeat):
        out = io.StringIO()
        start = time.perf_counter()
        with contextlib.redirect_stdout(out):
            cli(
                [
                    "--log-level",
                    "WARNING",
                    "simulate",
                    "quiet-stance",
                    "--seed",
                    str(seed),
                    "--json",
                ]
            )
        times.append(time.perf_counter() - start)
        simulated = json.loads(out.getvalue())["simulated_s"]
    times.sort()
    print(
        f"simulate quiet-stance (30 s recording, {simulated:.1f} s simulated incl. step-on,"
        " settling and countdown)"
    )
    print(
        f"wall time per run       median {times[len(times) // 2]:.3f} s, "
        f"min {times[0]:.3f} s, max {times[-1]:.3f} s over {args.repeat} runs"
    )
    print(
        f"speed                   {simulated / times[len(times) // 2]:.0f} simulated s per wall s"
    )


if __name__ == "__main__":
    main()
