"""validate benchmarks: dicom-tools validate against dciodvfy, per file, on the same files.

    python benchmarks/bench_validate.py [--repeat N] [--cli-files N] [--before SRC]

Measures, in one run, on the corpus (every corpus_files() file, plus a renamed copy of each,
written to benchmarks/.work/validate/):

1. in-process `validate(path)` per file, tables already loaded (target: faster than dciodvfy);
2. `dciodvfy FILE` started per file, as a script validating a folder would run it;
3. the one-time cost of the standard's tables: built from highdicom's JSON (first run on a
   machine), and read back from the marshal cache (every later process);
4. cold `dicom-tools validate FILE`, one process per file, on a subset.

Results go to benchmarks/README.md between the RESULTS:validate markers (appended if missing).
Timings are medians of --repeat rounds; the machine is shared and noisy, so read ratios. Our
rows run in fresh child processes (common.call_in); with ``--before SRC`` on that tree and this
checkout's src, interleaved with dciodvfy in each round (common.trees).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from common import (
    BIN,
    WORK_ROOT,
    Tree,
    add_before_option,
    ba_header,
    ba_note,
    ba_row,
    call_in,
    corpus_files,
    fresh_dir,
    load_average,
    machine,
    md_table,
    report_results,
    require_tools,
    trees,
)

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


def in_process(files: list[str]) -> tuple[float, int, int]:
    """Seconds per file for validate() in this process; also files validated and failures."""
    from dicom_tools.errors import DicomToolsError
    from dicom_tools.ops.validate import validate

    unreadable = invalid = 0
    start = time.perf_counter()
    for f in files:
        try:
            invalid += validate(Path(f)).failed
        except DicomToolsError:
            unreadable += 1
    return (time.perf_counter() - start) / len(files), invalid, unreadable


def in_child(files: list[str]) -> float:
    """in_process in a child of a tree (common.call_in): tables loaded and 10 files validated
    first, untimed."""
    from dicom_tools.validation import tables

    tables.iod_modules("ct-image")
    in_process(files[:10])
    return in_process(files)[0]


def dciodvfy(files: list[Path]) -> float:
    start = time.perf_counter()
    for f in files:
        subprocess.run(["dciodvfy", str(f)], capture_output=True)
    return (time.perf_counter() - start) / len(files)


def cli(files: list[Path], tree: Tree) -> float:
    start = time.perf_counter()
    for f in files:
        subprocess.run([str(BIN / "python"), "-m", "dicom_tools", "validate", str(f)],
                       capture_output=True, env=tree.env)  # fmt: skip
    return (time.perf_counter() - start) / len(files)


def table_load(build: bool, tree: Tree) -> float:
    """Seconds a fresh process spends loading the tables (building them when ``build``)."""
    code = (
        "import time; t = time.perf_counter(); "
        "from dicom_tools.validation import tables; tables.iod_modules('ct-image'); "
        "print(time.perf_counter() - t)"
    )
    with tempfile.TemporaryDirectory() as cache:
        env = {**tree.env, "DICOM_TOOLS_CACHE": cache}
        run = [str(BIN / "python"), "-c", code]
        first = float(subprocess.run(run, env=env, capture_output=True, text=True).stdout)
        if build:
            return first
        return float(subprocess.run(run, env=env, capture_output=True, text=True).stdout)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeat", type=int, default=10, help="rounds of each measurement")
    ap.add_argument("--cli-files", type=int, default=30, help="files for the cold CLI test")
    add_before_option(ap)
    args = ap.parse_args()
    if not require_tools(("dciodvfy",), "apt-get install dicom3tools (make bench does)"):
        return 2
    tree_list = trees(args.before)
    load_before = load_average()
    files = prepare()
    names = [str(f) for f in files]
    subset = files[:: max(1, len(files) // args.cli_files)][: args.cli_files]
    _, invalid, unreadable = in_process(names)  # this checkout's counts, for the report
    ours: dict[str, list[float]] = {t.name: [] for t in tree_list}
    cold: dict[str, list[float]] = {t.name: [] for t in tree_list}
    theirs = []
    cli_rounds = min(args.repeat, max(3, args.repeat // 3))
    for round_ in range(args.repeat):
        for t in tree_list:
            ours[t.name].append(call_in(t, in_child, names, warm=False))
        theirs.append(dciodvfy(files))
        if round_ < cli_rounds:
            for t in tree_list:
                cold[t.name].append(cli(subset, t))
    build = {t.name: [] for t in tree_list}
    cached = {t.name: [] for t in tree_list}
    for _ in range(max(3, args.repeat // 3)):
        for t in tree_list:
            build[t.name].append(table_load(True, t))
            cached[t.name].append(table_load(False, t))
    med = lambda d: {k: statistics.median(v) for k, v in d.items()}  # noqa: E731
    ms1 = lambda v: f"{v * 1000:.1f} ms"  # noqa: E731
    ms0 = lambda v: f"{v * 1000:.0f} ms"  # noqa: E731
    ours_m, theirs_m = med(ours), statistics.median(theirs)
    target = f"{theirs_m / ours_m['after']:.1f}x faster than dciodvfy, > 1x"
    if "before" in ours_m:
        target += f"; before {theirs_m / ours_m['before']:.1f}x"
    rows = [
        ba_row(
            tree_list,
            f"`validate()` in one process, tables loaded ({len(files)} files), per file",
            ours_m,
            ms1,
            target,
        ),
        ba_row(tree_list, "`dciodvfy FILE` started per file (same files)", theirs_m, ms1),
        ba_row(
            tree_list,
            f"cold `dicom-tools validate FILE`, one process per file "
            f"({len(subset)} files), per file",
            med(cold),
            ms0,
        ),
        ba_row(
            tree_list,
            "standard's tables: built from highdicom's JSON (first run on a "
            "machine), fresh process",
            med(build),
            ms0,
        ),
        ba_row(
            tree_list,
            "standard's tables: read back from the marshal cache (every later process)",
            med(cached),
            ms0,
        ),
    ]
    loads = f"{load_before} / {load_average()}"
    rows.append(ba_row(tree_list, "load average (1/5/15 min), before / after", 0, lambda _: loads))
    dciodvfy_path = f"dicom3tools dciodvfy ({shutil.which('dciodvfy')})"
    report = (
        f"Machine: {machine(dciodvfy_path)}\n\nCorpus: {len(files) // 2} corpus_files() plus a "
        f"renamed copy of each; {invalid} files have errors, {unreadable} are unreadable (exit 2). "
        f"validate() and dciodvfy: medians of {args.repeat} rounds (each tree a fresh process "
        f"per round, tables loaded and 10 files validated untimed first); cold CLI and table "
        f"loads: {cli_rounds} rounds (slow rows); trees interleaved.\n\n"
        + "\n".join(md_table(ba_header(tree_list), rows, right={1, 2, 3}))
        + "\n\n"
        + ba_note(tree_list)
    )
    report_results("validate", report, SECTION)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
