"""Metadata benchmarks (info, dump, to-json): dicom-tools against dcmtk and bare pydicom.

    python benchmarks/bench_metadata.py [--repeat N]

Writes the results to benchmarks/README.md (between the RESULTS:metadata markers). Timings are
wall clock medians over repeated runs; the machine is noisy, so read ratios, not absolute numbers.
"""

from __future__ import annotations

import argparse
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
    corpus_files,
    dcmtk_version,
    fresh_dir,
    machine,
    md_table,
    report_results,
    require_tools,
    timed,
)

SECTION = """## metadata: info, dump, to-json

`.venv/bin/python benchmarks/bench_metadata.py` measures (issues 2 and 10, metadata operations):

- cold start of `dicom-tools info FILE`, `dump FILE` and `info --json FILE` vs `dcmdump FILE`
  on CT_small.dcm (issue 10 target: at most 4x, stretch 3x), a bare
  `python -c "import pydicom; pydicom.dcmread(FILE)"` for scale, whether the header path imports
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


def _heavy_imports(tool: str, sample: str) -> str:
    """The heavy packages that `info`, `dump` and `info --json` import (``-X importtime``)."""
    found = set()
    for args in (["info"], ["dump"], ["info", "--json"]):
        proc = subprocess.run(
            [sys.executable, "-X", "importtime", "-m", "dicom_tools", *args, sample],
            capture_output=True,
            text=True,
            env=ENV,
        )
        for line in proc.stderr.splitlines():
            name = line.rsplit("|", 1)[-1].strip()
            if name.split(".")[0] in ("pydicom", "numpy"):
                found.add(name.split(".")[0])
    return ", ".join(sorted(found))


def _import_costs(sample: str) -> list[tuple[str, float]]:
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


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeat", type=int, default=11)
    args = ap.parse_args()
    if not require_tools(("dcmdump", "dcm2json"), "install dcmtk (make bench does)"):
        return 2
    files = prepare_corpus()
    n = len(files)
    sample = str(files[0].parent / next(f.name for f in files if f.name.endswith("CT_small.dcm")))
    r = args.repeat
    rows: list[tuple[str, str, str]] = []

    # 1. Cold start of the header path (issue 10): info, dump, info --json against dcmdump on
    # the same file; none of them imports pydicom or numpy.
    tool = str(BIN / "dicom-tools")
    for args in (["info"], ["dump"], ["info", "--json"]):  # warm the OS cache and the .pyc files
        timed([tool, *args, sample], 1)
    dcmdump1 = timed(["dcmdump", sample], r)
    bare = timed([sys.executable, "-c", f"import pydicom; pydicom.dcmread({sample!r})"], r)
    rows.append(("cold `dcmdump CT_small.dcm`", f"{dcmdump1 * 1000:.0f} ms", ""))
    for args in (["info"], ["dump"], ["info", "--json"]):
        t = timed([tool, *args, sample], r)
        label = " ".join(args)
        rows += [
            (f"cold `dicom-tools {label} CT_small.dcm`", f"{t * 1000:.0f} ms", ""),
            (f"{label} / dcmdump", f"{t / dcmdump1:.2f}x", "target <= 4x (stretch 3x)"),
        ]
    rows.append(("cold `python -c 'import pydicom; dcmread()'`", f"{bare * 1000:.0f} ms", ""))
    heavy = _heavy_imports(tool, sample)
    rows.append(("header path imports pydicom or numpy", heavy or "neither", "neither"))
    for module, ms in _import_costs(sample):
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
        f"Medians of {r} runs where repeated.\n\n" + "\n".join(table)
    )
    report_results("metadata", report, SECTION)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
