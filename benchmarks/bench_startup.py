"""start-up benchmarks: `dicom-tools --help`, `ops` and `info --help` against a bare Python.

    python benchmarks/bench_startup.py [--repeat N] [--before SRC]

Measures, in one run, the cold start of each command by the same interpreter (issue 10, target:
`--help` and `ops` within 2.5x of `python -c pass`):

1. `python -c pass`, the floor: the interpreter and its site packages;
2. `dicom-tools --help` (the installed console script), printed from the catalog without
   argparse;
3. `dicom-tools ops`, the catalog as text;
4. `dicom-tools info --help`, which builds the argparse parser of one verb only.

The commands run round-robin, one of each per round, so a noisy neighbour slows them alike;
with `--before SRC` the dicom-tools commands run on both trees in the same rounds.

Results go to benchmarks/README.md between the RESULTS:startup markers (appended if missing).
"""

from __future__ import annotations

import argparse
import sys

from common import (
    BIN,
    add_before_option,
    ba_header,
    ba_note,
    ba_row,
    cold_medians,
    load_average,
    machine,
    md_table,
    report_results,
    trees,
)

# Heading and introduction above the results, if README.md lacks them: the docstring's list.
SECTION = "## start-up: --help, ops\n\n" + __doc__.split("\n\n", 2)[2].split("\n\nResults go")[0]
TARGET = 2.5


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=21, help="rounds (default 21)")
    add_before_option(ap)
    args = ap.parse_args()
    tree_list = trees(args.before)

    tool = str(BIN / "dicom-tools")
    verbs = {
        "`dicom-tools --help`": ["--help"],
        "`dicom-tools ops`": ["ops"],
        "`dicom-tools info --help`": ["info", "--help"],
    }
    commands = {"pass": [sys.executable, "-c", "pass"]}
    envs = {}
    for name, verb in verbs.items():
        for tree in tree_list:
            commands[f"{tree.name} {name}"] = [tool, *verb]
            envs[f"{tree.name} {name}"] = tree.env
    load_before = load_average()
    med = cold_medians(commands, args.repeat, envs)
    loads = f"{load_before} / {load_average()}"
    floor = med["pass"]
    rows = [ba_row(tree_list, "`python -c pass`", floor, lambda s: f"{s * 1000:.1f} ms")]
    for name in verbs:
        values = {t.name: med[f"{t.name} {name}"] for t in tree_list}
        ratio = values["after"] / floor
        target = ""
        if name in ("`dicom-tools --help`", "`dicom-tools ops`"):
            verdict = "met" if ratio <= TARGET else "MISSED"
            target = f"<= {TARGET}x python -c pass: {ratio:.2f}x ({verdict})"
        else:
            target = f"{ratio:.2f}x python -c pass"
        if len(tree_list) > 1:
            target += f"; before {values['before'] / floor:.2f}x"
        rows.append(ba_row(tree_list, name, values, lambda s: f"{s * 1000:.1f} ms", target))
    rows.append(ba_row(tree_list, "load average (1/5/15 min), before / after", 0, lambda _: loads))
    report = "\n".join(
        [
            f"Machine: {machine()}",
            "",
            f"Medians of {args.repeat} rounds, commands (and trees) interleaved, one process "
            "per run, after a warm-up run of each; both trees byte-compiled.",
            "",
            *md_table(ba_header(tree_list, "command"), rows, right={1, 2, 3}),
            "",
            ba_note(tree_list),
        ]
    )
    report_results("startup", report, SECTION)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
