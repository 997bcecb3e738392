"""Metadata benchmarks (info, dump, to-json): dicom-tools against dcmtk and bare pydicom.

    python benchmarks/bench_metadata.py [--repeat N]

Writes the results to benchmarks/README.md (between the RESULTS:metadata markers). Timings are
wall clock medians over repeated runs; the machine is noisy, so read ratios, not absolute numbers.
"""

from __future__ import annotations

import argparse
import itertools
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from common import (
    BIN,
    ENV,
    WORK_ROOT,
    child_seconds,
    cold_medians,
    compile_package,
    corpus_file,
    corpus_files,
    dcmtk_version,
    fresh_dir,
    load_average,
    machine,
    md_table,
    report_results,
    require_tools,
    timed,
)

SECTION = """## metadata: info, dump, to-json

`.venv/bin/python benchmarks/bench_metadata.py` measures (issues 2 and 10, metadata operations):

- cold start of `dicom-tools info FILE`, `dump FILE` and `info --json FILE` vs `dcmdump FILE`
  on a 512 x 512 CT slice (693_UNCI.dcm, pydicom-data) and on CT_small.dcm (128 x 128), issue
  10 target: at most 4x, stretch 3x. One process per run, medians of `--repeat` rounds with
  every command interleaved (so the machine's load weighs on all alike), the package
  byte-compiled first and PYTHONDONTWRITEBYTECODE unset, as for an installed tool; the load
  average is reported. For scale: `python -c pass` and a bare
  `python -c "import pydicom; pydicom.dcmread(FILE)"`. Also whether the header path imports
  pydicom or numpy (it must not), and the import cost of its modules;
- per-file `dump` throughput in one Python process vs one `dcmdump` process given all files
  (target: within 2x);
- per-file `to-json` in one Python process vs `dcm2json` started per file (target: faster).

The corpus is every file of pydicom's test data and the pydicom-data package that dcmdump reads
(about 150 files of many modalities and transfer syntaxes), copied to `benchmarks/.work/`.
"""


def prepare_corpus() -> list[Path]:
    """Copy the readable corpus into one folder (dcmtk gets the very same files)."""
    folder = fresh_dir(WORK_ROOT / "corpus")
    files = []
    for i, src in enumerate(corpus_files()):
        if subprocess.run(["dcmdump", "-q", str(src)], capture_output=True).returncode != 0:
            continue  # only files both tools read
        dst = folder / f"{i:03d}_{src.name}"
        shutil.copy(src, dst)
        files.append(dst)
    return files


def _heavy_imports(tool: str, samples: list[str]) -> str:
    """The heavy packages that `info`, `dump` and `info --json` import (``-X importtime``)."""
    found = set()
    for sample, args in itertools.product(samples, (["info"], ["dump"], ["info", "--json"])):
        proc = subprocess.run(
            [sys.executable, "-X", "importtime", tool, *args, sample],
            capture_output=True,
            text=True,
            env=ENV,
        )
        for line in proc.stderr.splitlines():
            name = line.rsplit("|", 1)[-1].strip()
            if name.split(".")[0] in ("pydicom", "numpy"):
                found.add(name.split(".")[0])
    return ", ".join(sorted(found))


def _import_costs() -> list[tuple[str, float]]:
    """Cumulative import time of the modules of the header path, median of 5 cold runs."""
    modules = ("dicom_tools.cli", "dicom_tools.ops.info", "dicom_tools.ops.dump")
    costs: dict[str, list[float]] = {m: [] for m in modules}
    for _ in range(5):
        code = "; ".join(f"import {m}" for m in modules)
        cmd = [sys.executable, "-X", "importtime", "-c", code]
        proc = subprocess.run(cmd, capture_output=True, text=True, env=ENV)
        for line in proc.stderr.splitlines():
            parts = [p.strip() for p in line.split("|")]
            if len(parts) == 3 and parts[2] in costs:
                costs[parts[2]].append(int(parts[1]) / 1000)
    return [(m, statistics.median(v)) for m, v in costs.items() if v]


# The header path's files: a real 512 x 512 CT slice (pydicom-data) and pydicom's 128 x 128 one.
SAMPLES = ("693_UNCI.dcm", "CT_small.dcm")
VERBS = (["info"], ["dump"], ["info", "--json"])


def _cold_start(repeat: int) -> tuple[list[tuple[str, str, str]], list[str]]:
    """Rows of the cold-start table (issue 10), and the sample paths."""
    tool = str(BIN / "dicom-tools")
    compile_package()
    paths = []
    commands: dict[str, list[str]] = {"pass": [sys.executable, "-c", "pass"]}
    for name in SAMPLES:
        try:
            path = str(corpus_file(name))
        except FileNotFoundError:
            print(f"{name} is missing (pydicom-data): skipped", file=sys.stderr)
            continue
        paths.append(path)
        commands[f"dcmdump {name}"] = ["dcmdump", path]
        for verb in VERBS:
            commands[f"{' '.join(verb)} {name}"] = [tool, verb[0], path, *verb[1:]]
    load_before = load_average()
    med = cold_medians(commands, repeat)
    rows = [("cold `python -c pass`", f"{med['pass'] * 1000:.0f} ms", "")]
    for name in SAMPLES:
        if f"dcmdump {name}" not in med:
            continue
        ref = med[f"dcmdump {name}"]
        rows.append((f"cold `dcmdump {name}`", f"{ref * 1000:.0f} ms", ""))
        for verb in VERBS:
            label = " ".join(verb)
            t = med[f"{label} {name}"]
            rows.append(
                (
                    f"cold `dicom-tools {label} {name}`",
                    f"{t * 1000:.0f} ms = {t / ref:.2f}x dcmdump",
                    "<= 4x (stretch 3x): " + ("met" if t / ref <= 4 else "MISSED"),
                )
            )
    loads = f"{load_before} / {load_average()}"
    rows.append(("load average (1/5/15 min), before / after", loads, ""))
    return rows, paths


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeat", type=int, default=15, help="cold-start rounds (default 15)")
    args = ap.parse_args()
    if not require_tools(("dcmdump", "dcm2json"), "install dcmtk (make bench does)"):
        return 2
    r = args.repeat
    # 1. Cold start of the header path (issue 10): info, dump, info --json against dcmdump on
    # the same files; none of them imports pydicom or numpy.
    rows, samples = _cold_start(r)
    tool = str(BIN / "dicom-tools")
    bare = timed([sys.executable, "-c", f"import pydicom; pydicom.dcmread({samples[0]!r})"], 5)
    rows.append(("cold `python -c 'import pydicom; dcmread()'`", f"{bare * 1000:.0f} ms", ""))
    heavy = _heavy_imports(tool, samples)
    rows.append(("header path imports pydicom or numpy", heavy or "neither", "neither"))
    files = prepare_corpus()
    n = len(files)
    for module, ms in _import_costs():
        rows.append((f"import cost of `{module}` (-X importtime, cumulative)", f"{ms:.1f} ms", ""))
    # (to-json and dump --json vs dcm2json, cold: measured by the DICOM JSON work; add its
    # rows here.)

    # 2. dump: in-process per file vs one dcmdump process over all files.
    listing = repr([str(f) for f in files])
    dump_loop = (
        "import time; from dicom_tools import registry as R; s=R.get('dump'); "
        f"fs={listing}; t=time.perf_counter()\n"
        "for f in fs[:5]: R.execute(s, f, None, {}).text\n"  # warm-up: imports, dictionaries
        "t=time.perf_counter()\n"
        "for f in fs: R.execute(s, f, None, {}).text\n"
        "print(time.perf_counter()-t)"
    )
    dump_ours = child_seconds(dump_loop, repeat=max(3, r // 3)) / n
    dump_dcmtk = timed(["dcmdump", "-q", *map(str, files)], max(3, r // 3)) / n
    rows += [
        (f"dump, in-process, per file ({n} files)", f"{dump_ours * 1000:.2f} ms", ""),
        ("dcmdump, one process over all files, per file", f"{dump_dcmtk * 1000:.2f} ms", ""),
        ("dump / dcmdump", f"{dump_ours / dump_dcmtk:.2f}x", "target <= 2x"),
    ]

    # 3. to-json: in-process per file vs dcm2json started per file.
    out = WORK_ROOT / "json"
    out.mkdir(exist_ok=True)
    json_loop = (
        "import time; from dicom_tools import registry as R; s=R.get('to_json'); "
        f"fs={listing}; t=time.perf_counter()\n"
        f"for i, f in enumerate(fs): R.execute(s, f, '{out}/%d.json' % i, {{}})\n"
        "print(time.perf_counter()-t)"
    )
    json_ours = child_seconds(json_loop, repeat=max(3, r // 3)) / n
    t0 = time.perf_counter()
    for i, f in enumerate(files):
        subprocess.run(["dcm2json", str(f), str(out / f"d{i}.json")], capture_output=True)
    json_dcmtk = (time.perf_counter() - t0) / n
    rows += [
        (f"to-json, in-process, per file ({n} files)", f"{json_ours * 1000:.2f} ms", ""),
        ("dcm2json started per file", f"{json_dcmtk * 1000:.2f} ms", ""),
        ("to-json / dcm2json", f"{json_ours / json_dcmtk:.2f}x", "target < 1x"),
    ]

    table = md_table(("measurement", "result", "target"), rows)
    report = (
        f"Machine: {machine(dcmtk_version('dcmdump'))}\n\n"
        f"Cold starts: medians of {r} interleaved rounds, one process per run; throughput: "
        f"medians of {max(3, r // 3)} runs.\n\n" + "\n".join(table)
    )
    report_results("metadata", report, SECTION)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
