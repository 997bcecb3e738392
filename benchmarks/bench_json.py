"""to-json cold start against dcm2json (issue 10: the header path starts like dcmtk's tools).

    python benchmarks/bench_json.py [--repeat N] [--before SRC]

One process per conversion, as a user runs it: `dicom-tools to-json FILE -o -` against
`dcm2json FILE`, on CT_small.dcm and a 512 x 512 CT slice of pydicom-data, runs interleaved so
that both see the same machine load. Also timed: a bare `python -c pass` (the floor), the
operation alone without the CLI module (`python -c` calling `ops.dicomjson.to_json`), and
whether that process imported pydicom or numpy. Writes benchmarks/README.md between the
RESULTS:json markers. Medians; the machine is noisy, so read ratios. With ``--before SRC`` the
dicom-tools commands run on that tree and this checkout's src in the same rounds (common.trees).
"""

from __future__ import annotations

import argparse
import subprocess
import sys

from common import (
    BIN,
    add_before_option,
    ba_header,
    ba_note,
    ba_row,
    cold_medians,
    corpus_file,
    dcmtk_version,
    load_average,
    machine,
    md_table,
    report_results,
    require_tools,
    trees,
)

SECTION = """## to-json cold start

`.venv/bin/python benchmarks/bench_json.py` times, one process per conversion and interleaved,
`dicom-tools to-json FILE -o -` against `dcm2json FILE` on a 512 x 512 CT slice (693_UNCI.dcm,
pydicom-data) and on CT_small.dcm (issue 10 target: at most 4x, stretch 3x), with a bare
`python -c pass` and the operation without the CLI module (`python -c` calling
`dicom_tools.ops.dicomjson.to_json`) for scale, and says whether pydicom or numpy was imported.
The package is byte-compiled first and PYTHONDONTWRITEBYTECODE unset, as for an installed tool;
every command of both files runs once per round; the load average is reported.
"""

_OP = (
    "import sys; from pathlib import Path; from dicom_tools.ops.dicomjson import to_json; "
    "sys.stdout.write(to_json(Path(sys.argv[1]), None).payload)"
)
_HEAVY = (
    "import sys; from pathlib import Path; from dicom_tools.ops.dicomjson import to_json; "
    "to_json(Path(sys.argv[1]), None); "
    "print(','.join(m for m in ('pydicom', 'numpy') if m in sys.modules) or 'neither')"
)


def _files() -> list[tuple[str, str]]:
    names = ["693_UNCI.dcm", "CT_small.dcm"]  # the first: 512 x 512 CT (pydicom-data)
    out = []
    for name in names:
        try:
            out.append((name, str(corpus_file(name))))
        except FileNotFoundError:
            print(f"{name} is missing (pydicom-data): skipped", file=sys.stderr)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15, help="runs per command (default 15)")
    add_before_option(parser)
    args = parser.parse_args()
    if not require_tools(["dcm2json"], "install dcmtk (scripts/system-deps.sh)"):
        return 1
    python = sys.executable
    tree_list = trees(args.before)
    files = _files()
    commands = {"python -c pass": [python, "-c", "pass"]}
    envs = {}
    for name, path in files:
        commands[f"dcm2json {name}"] = ["dcm2json", path]
        for tree in tree_list:
            key = f"{tree.name} dicom-tools to-json {name}"
            commands[key] = [str(BIN / "dicom-tools"), "to-json", path, "-o", "-"]
            envs[key] = tree.env
            key = f"{tree.name} to_json op, no CLI {name}"
            commands[key] = [python, "-c", _OP, path]
            envs[key] = tree.env
    load_before = load_average()
    med = cold_medians(commands, args.repeat, envs)
    loads = f"{load_before} / {load_average()}"
    rows = [ba_row(tree_list, "cold `python -c pass`", med["python -c pass"])]
    for name, path in files:
        ref = med[f"dcm2json {name}"]
        heavy = {
            t.name: subprocess.run(
                [python, "-c", _HEAVY, path], capture_output=True, text=True, env=t.env, check=True
            ).stdout.strip()
            for t in tree_list
        }
        cli = {t.name: med[f"{t.name} dicom-tools to-json {name}"] for t in tree_list}
        op = {t.name: med[f"{t.name} to_json op, no CLI {name}"] for t in tree_list}
        target = f"{cli['after'] / ref:.2f}x dcm2json, <= 4x (stretch 3x): " + (
            "met" if cli["after"] / ref <= 4 else "MISSED"
        )
        op_target = f"{op['after'] / ref:.2f}x dcm2json"
        if "before" in cli:
            target += f"; before {cli['before'] / ref:.2f}x"
            op_target += f"; before {op['before'] / ref:.2f}x"
        rows += [
            ba_row(tree_list, f"cold `dcm2json {name}`", ref),
            ba_row(tree_list, f"cold `dicom-tools to-json {name} -o -`", cli, target=target),
            ba_row(
                tree_list, f"cold `python -c` calling the to_json op, {name}", op, target=op_target
            ),
            ba_row(
                tree_list, f"imported by the op, {name} (pydicom, numpy)", heavy, str, "neither"
            ),
        ]
    rows.append(ba_row(tree_list, "load average (1/5/15 min), before / after", 0, lambda _: loads))
    report = "\n".join(
        [
            f"Machine: {machine(dcmtk_version('dcm2json'))}",
            "",
            f"Medians of {args.repeat} interleaved rounds (every command of both files and "
            "trees once a round), one process per run, after a warm-up run.",
            "",
            *md_table(ba_header(tree_list), rows, right={1, 2, 3}),
            "",
            ba_note(tree_list),
        ]
    )
    report_results("json", report, SECTION)
    return 0


if __name__ == "__main__":
    sys.exit(main())
