"""The clinical validation table: every drill at its default settings on every profile of the
virtual patient, over several seeds, with the checks of what the literature says
(``station.results.validation``; the same table ``tests/clinical`` asserts). Prints it for a
therapist to read; ``--json`` for a machine. Takes a few minutes on two cores.

    python bench/clinical_table.py [--seeds 1 2 3] [--json]
"""

import argparse
import sys
import time

from station.results.validation import SEEDS, as_json, format_table, judge, validation_table


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=list(SEEDS))
    parser.add_argument("--json", action="store_true", help="print the table as JSON")
    args = parser.parse_args()
    start = time.monotonic()
    table = validation_table(tuple(args.seeds))
    print(as_json(table) if args.json else format_table(table))
    if not args.json:
        print(f"\n({time.monotonic() - start:.0f} s)")
    return 0 if all(c["passed"] for c in judge(table)) else 1


if __name__ == "__main__":
    sys.exit(main())
