"""start-up benchmarks: `dicom-tools --help`, `ops` and `info --help` against a bare Python.

    python benchmarks/bench_startup.py [--repeat N]

Measures, in one run, the cold start of each command by the same interpreter (issue 10, target:
`--help` and `ops` within 2.5x of `python -c pass`):

1. `python -c pass`, the floor: the interpreter and its site packages;
2. `dicom-tools --help` (the installed console script), printed from the catalog without
   argparse;
3. `dicom-tools ops`, the catalog as text;
4. `dicom-tools info --help`, which builds the argparse parser of one verb only.

The commands run round-robin, one of each per round, so a noisy neighbour slows them alike.

Results go to benchmarks/README.md between the RESULTS:startup markers (appended if missing).
"""

from __future__ import annotations

import argparse
import statistics
import sys

from common import BIN, machine, md_table, report_results, run_quiet

# Heading and introduction above the results, if README.md lacks them: the docstring's list.
SECTION = "## start-up: --help, ops\n\n" + __doc__.split("\n\n", 2)[2].split("\n\nResults go")[0]
TARGET = 2.5


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=21, help="rounds (default 21)")
    args = ap.parse_args()

    tool = str(BIN / "dicom-tools")
    commands = {
        "`python -c pass`": [sys.executable, "-c", "pass"],
        "`dicom-tools --help`": [tool, "--help"],
        "`dicom-tools ops`": [tool, "ops"],
        "`dicom-tools info --help`": [tool, "info", "--help"],
    }
    for cmd in commands.values():  # warm the page cache and the byte-code caches
        run_quiet(cmd)
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(args.repeat):
        for name, cmd in commands.items():
            times[name].append(run_quiet(cmd))
    med = {name: statistics.median(t) for name, t in times.items()}
    floor = med["`python -c pass`"]
    rows = []
    for name, t in med.items():
        ratio = t / floor
        target = ""
        if name in ("`dicom-tools --help`", "`dicom-tools ops`"):
            verdict = "met" if ratio <= TARGET else "MISSED"
            target = f"<= {TARGET}x ({verdict})"
        rows.append((name, f"{t * 1000:.1f} ms", f"{ratio:.2f}x", target))
    report = "\n".join(
        [
            f"Machine: {machine()}",
            "",
            f"Medians of {args.repeat} rounds, commands interleaved.",
            "",
            *md_table(("command", "median", "vs python -c pass", "target"), rows, right={1, 2}),
        ]
    )
    report_results("startup", report, SECTION)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
