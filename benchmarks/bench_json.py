"""to-json cold start against dcm2json (issue 10: the header path starts like dcmtk's tools).

    python benchmarks/bench_json.py [--repeat N]

One process per conversion, as a user runs it: `dicom-tools to-json FILE -o -` against
`dcm2json FILE`, on CT_small.dcm and a 512 x 512 CT slice of pydicom-data, runs interleaved so
that both see the same machine load. Also timed: a bare `python -c pass` (the floor), the
operation alone without the CLI module (`python -c` calling `ops.dicomjson.to_json`), and
whether that process imported pydicom or numpy. Writes benchmarks/README.md between the
RESULTS:json markers. Medians; the machine is noisy, so read ratios.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys

from common import (
    BIN,
    ENV,
    corpus_file,
    dcmtk_version,
    machine,
    md_table,
    report_results,
    require_tools,
    run_quiet,
)

SECTION = """## to-json cold start

`.venv/bin/python benchmarks/bench_json.py` times, one process per conversion and interleaved,
`dicom-tools to-json FILE -o -` against `dcm2json FILE` (issue 10 target: at most 4x, stretch
3x), with a bare `python -c pass` and the operation without the CLI module (`python -c` calling
`dicom_tools.ops.dicomjson.to_json`) for scale, and says whether pydicom or numpy was imported.
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
    names = ["CT_small.dcm", "693_UNCI.dcm"]  # the second: 512 x 512 CT (pydicom-data)
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
    args = parser.parse_args()
    if not require_tools(["dcm2json"], "install dcmtk (scripts/system-deps.sh)"):
        return 1
    python = sys.executable
    rows = []
    for name, path in _files():
        commands = {
            "dicom-tools to-json": [str(BIN / "dicom-tools"), "to-json", path, "-o", "-"],
            "dcm2json": ["dcm2json", path],
            "to_json op, no CLI": [python, "-c", _OP, path],
            "python -c pass": [python, "-c", "pass"],
        }
        for cmd in commands.values():  # warm the page cache and the byte-code cache
            run_quiet(cmd)
        times: dict[str, list[float]] = {k: [] for k in commands}
        for _ in range(args.repeat):
            for label, cmd in commands.items():
                times[label].append(run_quiet(cmd))
        med = {k: statistics.median(v) * 1000 for k, v in times.items()}
        heavy = subprocess.run(
            [python, "-c", _HEAVY, path], capture_output=True, text=True, env=ENV, check=True
        ).stdout.strip()
        ratio = med["dicom-tools to-json"] / med["dcm2json"]
        op_ratio = med["to_json op, no CLI"] / med["dcm2json"]
        rows += [
            (f"cold `dicom-tools to-json {name} -o -`", f"{med['dicom-tools to-json']:.0f} ms", ""),
            (f"cold `dcm2json {name}`", f"{med['dcm2json']:.0f} ms", ""),
            ("to-json / dcm2json", f"{ratio:.2f}x", "target <= 4x (stretch 3x)"),
            (
                f"cold `python -c` calling the to_json op, {name}",
                f"{med['to_json op, no CLI']:.0f} ms ({op_ratio:.2f}x dcm2json)",
                "",
            ),
            ("cold `python -c pass`", f"{med['python -c pass']:.0f} ms", ""),
            ("imported by the op (pydicom, numpy)", heavy, "neither"),
        ]
    report = "\n".join(
        [
            f"Machine: {machine(dcmtk_version('dcm2json'))}",
            "",
            f"Medians of {args.repeat} interleaved runs, one process each, after a warm-up run.",
            "",
            *md_table(["measurement", "result", "target"], rows),
        ]
    )
    report_results("json", report, SECTION)
    return 0


if __name__ == "__main__":
    sys.exit(main())
