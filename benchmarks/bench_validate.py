"""validate benchmarks: dicom-tools validate against dciodvfy, per file, on the same files.

    python benchmarks/bench_validate.py [--repeat N] [--cli-files N]

Measures, in one run, on the corpus (every corpus_files() file, plus a renamed copy of each,
written to benchmarks/.work/validate/):

1. in-process `validate(path)` per file, tables already loaded (target: faster than dciodvfy);
2. `dciodvfy FILE` started per file, as a script validating a folder would run it;
3. the one-time cost of the standard's tables: built from highdicom's JSON (first run on a
   machine), and read back from the marshal cache (every later process);
4. cold `dicom-tools validate FILE`, one process per file, on a subset.

Results go to benchmarks/README.md between the RESULTS:validate markers (appended if missing).
Timings are medians of --repeat rounds; the machine is shared and noisy, so read ratios.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from common import BIN, WORK_ROOT, corpus_files, fresh_dir, machine, report_results, require_tools

WORK = WORK_ROOT / "validate"
# Heading and introduction above the results, if README.md lacks them: the docstring's list.
SECTION = "## validate\n\n" + __doc__.split("\n\n", 2)[2].split("\n\nResults go")[0]


def prepare() -> list[Path]:
    """Every corpus file twice (a renamed copy), in a fresh work folder."""
    fresh_dir(WORK)
    files = []
    for i, src in enumerate(corpus_files()):
        for copy in ("a", "b"):
            dst = WORK / f"{i:03d}{copy}_{src.name}"
            shutil.copyfile(src, dst)
            files.append(dst)
    return files


def in_process(files: list[Path]) -> tuple[float, int, int]:
    """Seconds per file for validate() in this process; also files validated and failures."""
    from dicom_tools.errors import DicomToolsError
    from dicom_tools.ops.validate import validate

    unreadable = invalid = 0
    start = time.perf_counter()
    for f in files:
        try:
            invalid += validate(f).failed
        except DicomToolsError:
            unreadable += 1
    return (time.perf_counter() - start) / len(files), invalid, unreadable


def dciodvfy(files: list[Path]) -> float:
    start = time.perf_counter()
    for f in files:
        subprocess.run(["dciodvfy", str(f)], capture_output=True)
    return (time.perf_counter() - start) / len(files)


def cli(files: list[Path]) -> float:
    start = time.perf_counter()
    for f in files:
        subprocess.run([str(BIN / "python"), "-m", "dicom_tools", "validate", str(f)],
                       capture_output=True)  # fmt: skip
    return (time.perf_counter() - start) / len(files)


def table_load(build: bool) -> float:
    """Seconds a fresh process spends loading the tables (building them when ``build``)."""
    code = (
        "import time; t = time.perf_counter(); "
        "from dicom_tools.validation import tables; tables.iod_modules('ct-image'); "
        "print(time.perf_counter() - t)"
    )
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "DICOM_TOOLS_CACHE": cache}
        run = [str(BIN / "python"), "-c", code]
        first = float(subprocess.run(run, env=env, capture_output=True, text=True).stdout)
        if build:
            return first
        return float(subprocess.run(run, env=env, capture_output=True, text=True).stdout)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeat", type=int, default=3, help="rounds of each measurement")
    ap.add_argument("--cli-files", type=int, default=30, help="files for the cold CLI test")
    args = ap.parse_args()
    if not require_tools(("dciodvfy",), "apt-get install dicom3tools (make bench does)"):
        return 2
    files = prepare()
    from dicom_tools.validation import tables

    tables.iod_modules("ct-image")  # tables loaded once, before timing
    in_process(files[:10])  # warm-up: imports, caches of the data dictionary
    ours, theirs = [], []
    invalid = unreadable = 0
    for _ in range(args.repeat):
        per_file, invalid, unreadable = in_process(files)
        ours.append(per_file)
        theirs.append(dciodvfy(files))
    ours_ms = statistics.median(ours) * 1000
    theirs_ms = statistics.median(theirs) * 1000
    build_ms = statistics.median(table_load(True) for _ in range(args.repeat)) * 1000
    cached_ms = statistics.median(table_load(False) for _ in range(args.repeat)) * 1000
    subset = files[:: max(1, len(files) // args.cli_files)][: args.cli_files]
    cli_ms = statistics.median(cli(subset) for _ in range(args.repeat)) * 1000

    rows = [
        "| measurement | per file | target |",
        "|---|---:|---|",
        f"| `validate()` in one process, tables loaded ({len(files)} files) | {ours_ms:.1f} ms | |",
        f"| `dciodvfy FILE` started per file (same files) | {theirs_ms:.1f} ms | |",
        f"| speed-up over dciodvfy | {theirs_ms / ours_ms:.1f}x | > 1x (faster) |",
        f"| cold `dicom-tools validate FILE`, one process per file ({len(subset)} files) "
        f"| {cli_ms:.0f} ms | |",
        "",
        "| one-time cost of the standard's tables (fresh process) | time |",
        "|---|---:|",
        f"| build from highdicom's JSON (first run on a machine) | {build_ms:.0f} ms |",
        f"| read back from the marshal cache (every later process) | {cached_ms:.0f} ms |",
    ]
    dciodvfy_path = f"dicom3tools dciodvfy ({shutil.which('dciodvfy')})"
    report = (
        f"Machine: {machine(dciodvfy_path)}\n\nCorpus: {len(files) // 2} corpus_files() plus a "
        f"renamed copy of each; {invalid} files have errors, {unreadable} are unreadable (exit 2). "
        f"Median of {args.repeat} rounds.\n\n" + "\n".join(rows)
    )
    report_results("validate", report, SECTION)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
