"""Many files per command (issue 11): `dicom-tools info *.dcm` against `dcmdump *.dcm`.

    python benchmarks/bench_many.py [--repeat N] [--count N] [--before SRC]

One CT series of ``--count`` 512 x 512 slices (174 by default, common.make_series) is given to
one process of each tool: `dcmdump FILES` (and `+F`, its header line per file),
`dicom-tools info FILES`, `info --json FILES` (JSON Lines), `info FOLDER`, and `dump FILES`
against `dcmdump FILES`. Medians of ``--repeat`` interleaved rounds, one warm-up each (page
cache, byte code); the package is byte-compiled first, as an installed one is. Target (issue
11): `dicom-tools info *.dcm` faster than `dcmdump *.dcm`. With ``--before SRC`` the
dicom-tools rows run on both trees side by side. Writes benchmarks/README.md (RESULTS:many).
"""

from __future__ import annotations

import argparse
import subprocess
import sys

from common import (
    BIN,
    WORK_ROOT,
    add_before_option,
    ba_header,
    ba_note,
    ba_row,
    cold_medians,
    dcmtk_version,
    load_average,
    machine,
    make_series,
    md_table,
    report_results,
    require_tools,
    trees,
)

SECTION = """## many files per command: info and dump over a series

`.venv/bin/python benchmarks/bench_many.py` (issue 11): one process given every slice of a
512 x 512 CT series, as `dcmdump *.dcm` is; target: `dicom-tools info *.dcm` faster than
`dcmdump *.dcm` on the same files."""


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=15)
    ap.add_argument("--count", type=int, default=174)
    add_before_option(ap)
    args = ap.parse_args()
    if not require_tools(["dcmdump"], "dcmtk"):
        return 1
    tree_list = trees(args.before)
    folder = WORK_ROOT / "many"
    files = [str(p) for p in make_series(args.count, folder)]
    tool = str(BIN / "dicom-tools")
    note_before = ""
    for tree in list(tree_list[:-1]):  # a tree without the many-files form has no row to give
        probe = subprocess.run([tool, "info", *files[:2]], capture_output=True, env=tree.env)
        if probe.returncode != 0:
            tree_list.remove(tree)
            note_before = f"({tree.src} takes one file per command: measured alone.)"
    commands: dict[str, list[str]] = {
        "dcmdump": ["dcmdump", *files],
        "dcmdump +F": ["dcmdump", "+F", *files],
    }
    envs = {}
    shapes = {
        "info FILES": ["info", *files],
        "info --json FILES": ["info", "--json", *files],
        "info FOLDER": ["info", str(folder)],
        "dump FILES": ["dump", *files],
    }
    for label, argv in shapes.items():
        for tree in tree_list:
            commands[f"{tree.name} {label}"] = [tool, *argv]
            envs[f"{tree.name} {label}"] = tree.env
    load_before = load_average()
    med = cold_medians(commands, args.repeat, envs)
    ref = med["dcmdump"]
    n = len(files)
    rows = [
        ba_row(tree_list, f"`dcmdump` {n} files", ref),
        ba_row(tree_list, f"`dcmdump +F` {n} files", med["dcmdump +F"]),
    ]
    for label in shapes:
        values = {t.name: med[f"{t.name} {label}"] for t in tree_list}
        ratio = values["after"] / ref
        target = f"{ratio:.2f}x dcmdump"
        if label == "info FILES":
            target += ", target < 1x: " + ("met" if ratio < 1 else "MISSED")
        if "before" in values:
            target += f"; before {values['before'] / ref:.2f}x"
        rows.append(ba_row(tree_list, f"`dicom-tools {label}` ({n} files)", values, target=target))
    per_file = {t.name: med[f"{t.name} info FILES"] / n for t in tree_list}
    rows.append(ba_row(tree_list, "`info FILES` per file", per_file, lambda s: f"{s * 1e6:.0f} us"))
    rows.append(ba_row(tree_list, "`dcmdump` per file", ref / n, lambda s: f"{s * 1e6:.0f} us"))
    loads = f"{load_before} / {load_average()}"
    rows.append(ba_row(tree_list, "load average (1/5/15 min), before / after", 0, lambda _: loads))
    lines = [
        f"Machine: {machine(dcmtk_version('dcmdump'))}; {args.repeat} rounds, medians.",
        "",
        *md_table(ba_header(tree_list), rows, right={1, 2}),
    ]
    note = " ".join(x for x in (ba_note(tree_list), note_before) if x)
    report_results("many", "\n".join([*lines, *(["", note] if note else [])]), SECTION)
    return 0


if __name__ == "__main__":
    sys.exit(main())
