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
import subprocess
import sys

from common import (
    BIN,
    ENV,
    cold_medians,
    compile_package,
    corpus_file,
    dcmtk_version,
    load_average,
    machine,
    md_table,
    report_results,
    require_tools,
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
    args = parser.parse_args()
    if not require_tools(["dcm2json"], "install dcmtk (scripts/system-deps.sh)"):
        return 1
    python = sys.executable
    compile_package()
    files = _files()
    commands = {"python -c pass": [python, "-c", "pass"]}
    for name, path in files:
        commands[f"dicom-tools to-json {name}"] = [
            str(BIN / "dicom-tools"),
            "to-json",
            path,
            "-o",
            "-",
        ]
        commands[f"dcm2json {name}"] = ["dcm2json", path]
        commands[f"to_json op, no CLI {name}"] = [python, "-c", _OP, path]
    load_before = load_average()
    all_med = {k: v * 1000 for k, v in cold_medians(commands, args.repeat).items()}
    loads = f"{load_before} / {load_average()}"
    rows = [("cold `python -c pass`", f"{all_med['python -c pass']:.0f} ms", "")]
    for name, path in files:
        med = {k.removesuffix(f" {name}"): v for k, v in all_med.items() if k.endswith(name)}
        heavy = subprocess.run(
            [python, "-c", _HEAVY, path], capture_output=True, text=True, env=ENV, check=True
        ).stdout.strip()
        ratio = med["dicom-tools to-json"] / med["dcm2json"]
        op_ratio = med["to_json op, no CLI"] / med["dcm2json"]
        rows += [
            (f"cold `dcm2json {name}`", f"{med['dcm2json']:.0f} ms", ""),
            (
                f"cold `dicom-tools to-json {name} -o -`",
                f"{med['dicom-tools to-json']:.0f} ms = {ratio:.2f}x dcm2json",
                "<= 4x (stretch 3x): " + ("met" if ratio <= 4 else "MISSED"),
            ),
            (
                f"cold `python -c` calling the to_json op, {name}",
                f"{med['to_json op, no CLI']:.0f} ms = {op_ratio:.2f}x dcm2json",
                "",
            ),
            (f"imported by the op, {name} (pydicom, numpy)", heavy, "neither"),
        ]
    rows.append(("load average (1/5/15 min), before / after", loads, ""))
    report = "\n".join(
        [
            f"Machine: {machine(dcmtk_version('dcm2json'))}",
            "",
            f"Medians of {args.repeat} interleaved rounds (every command of both files once a "
            "round), one process per run, after a warm-up run.",
            "",
            *md_table(["measurement", "result", "target"], rows),
        ]
    )
    report_results("json", report, SECTION)
    return 0


if __name__ == "__main__":
    sys.exit(main())
