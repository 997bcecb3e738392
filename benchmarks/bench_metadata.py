"""Metadata benchmarks (info, dump, to-json): dicom-tools against dcmtk and bare pydicom.

    python benchmarks/bench_metadata.py [--repeat N] [--before SRC]

With ``--before SRC`` every dicom-tools measurement runs on that tree and this checkout's src,
interleaved in the same rounds, with after/before ratios (common.trees). Writes the results to
benchmarks/README.md (between the RESULTS:metadata markers). Timings are
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
    Tree,
    add_before_option,
    ba_header,
    ba_note,
    ba_row,
    cold_medians,
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
    trees,
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


def _heavy_imports(tool: str, samples: list[str], env: dict[str, str] = ENV) -> str:
    """The heavy packages that `info`, `dump` and `info --json` import (``-X importtime``)."""
    found = set()
    for sample, args in itertools.product(samples, (["info"], ["dump"], ["info", "--json"])):
        proc = subprocess.run(
            [sys.executable, "-X", "importtime", tool, *args, sample],
            capture_output=True,
            text=True,
            env=env,
        )
        for line in proc.stderr.splitlines():
            name = line.rsplit("|", 1)[-1].strip()
            if name.split(".")[0] in ("pydicom", "numpy"):
                found.add(name.split(".")[0])
    return ", ".join(sorted(found))


MODULES = ("dicom_tools.cli", "dicom_tools.ops.info", "dicom_tools.ops.dump")


def _import_costs(tree_list: list[Tree]) -> dict[str, dict[str, float]]:
    """Cumulative import time (ms) of the modules of the header path, per tree: median of 5
    cold runs, trees interleaved."""
    costs = {t.name: {m: [] for m in MODULES} for t in tree_list}
    code = "; ".join(f"import {m}" for m in MODULES)
    for _ in range(5):
        for tree in tree_list:
            cmd = [sys.executable, "-X", "importtime", "-c", code]
            proc = subprocess.run(cmd, capture_output=True, text=True, env=tree.env)
            for line in proc.stderr.splitlines():
                parts = [p.strip() for p in line.split("|")]
                if len(parts) == 3 and parts[2] in MODULES:
                    costs[tree.name][parts[2]].append(int(parts[1]) / 1000)
    return {t: {m: statistics.median(v) for m, v in per.items() if v} for t, per in costs.items()}


# The header path's files: a real 512 x 512 CT slice (pydicom-data) and pydicom's 128 x 128 one.
SAMPLES = ("693_UNCI.dcm", "CT_small.dcm")
VERBS = (["info"], ["dump"], ["info", "--json"])


def _cold_start(repeat: int, tree_list: list[Tree]) -> tuple[list[list[str]], list[str]]:
    """Rows of the cold-start table (issue 10), and the sample paths."""
    tool = str(BIN / "dicom-tools")
    paths = []
    commands: dict[str, list[str]] = {"pass": [sys.executable, "-c", "pass"]}
    envs = {}
    for name in SAMPLES:
        try:
            path = str(corpus_file(name))
        except FileNotFoundError:
            print(f"{name} is missing (pydicom-data): skipped", file=sys.stderr)
            continue
        paths.append(path)
        commands[f"dcmdump {name}"] = ["dcmdump", path]
        for verb in VERBS:
            for tree in tree_list:
                key = f"{tree.name} {' '.join(verb)} {name}"
                commands[key] = [tool, verb[0], path, *verb[1:]]
                envs[key] = tree.env
    load_before = load_average()
    med = cold_medians(commands, repeat, envs)
    rows = [ba_row(tree_list, "cold `python -c pass`", med["pass"])]
    for name in SAMPLES:
        if f"dcmdump {name}" not in med:
            continue
        ref = med[f"dcmdump {name}"]
        rows.append(ba_row(tree_list, f"cold `dcmdump {name}`", ref))
        for verb in VERBS:
            label = " ".join(verb)
            values = {t.name: med[f"{t.name} {label} {name}"] for t in tree_list}
            t = values["after"]
            target = f"{t / ref:.2f}x dcmdump, <= 4x (stretch 3x): " + (
                "met" if t / ref <= 4 else "MISSED"
            )
            if "before" in values:
                target += f"; before {values['before'] / ref:.2f}x"
            rows.append(
                ba_row(tree_list, f"cold `dicom-tools {label} {name}`", values, target=target)
            )
    loads = f"{load_before} / {load_average()}"
    rows.append(ba_row(tree_list, "load average (1/5/15 min), before / after", 0, lambda _: loads))
    return rows, paths


def _per_file(body: str, tree_list: list[Tree], repeat: int, n: int) -> dict[str, float]:
    """Seconds per file of ``body`` (``run(i, f)`` defined, looped over the corpus ``fs``) per
    tree and pass: ``first`` times a fresh process's first pass over the corpus after 5
    warm-up files (lazy imports and tables first used by later files count), ``warm`` its
    second pass. Medians of ``repeat`` processes per tree, trees interleaved."""
    loop = (
        f"import time\n{body}\n"
        "for i, f in enumerate(fs[:5]): run(i, f)\n"
        "t = time.perf_counter()\n"
        "for i, f in enumerate(fs): run(i, f)\n"
        "t1 = time.perf_counter()\n"
        "for i, f in enumerate(fs): run(i, f)\n"
        "print(t1 - t, time.perf_counter() - t1)"
    )
    got: dict[str, list[list[float]]] = {t.name: [] for t in tree_list}
    for _ in range(repeat):
        for tree in tree_list:
            out = subprocess.run(
                [sys.executable, "-c", loop], capture_output=True, text=True, env=tree.env
            )
            got[tree.name].append([float(x) for x in out.stdout.split()[-2:]])
    result = {}
    for name, runs in got.items():
        result[f"first {name}"] = statistics.median(r[0] for r in runs) / n
        result[f"warm {name}"] = statistics.median(r[1] for r in runs) / n
    return result


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeat", type=int, default=15, help="cold-start rounds (default 15)")
    add_before_option(ap)
    args = ap.parse_args()
    if not require_tools(("dcmdump", "dcm2json"), "install dcmtk (make bench does)"):
        return 2
    tree_list = trees(args.before)
    r = args.repeat
    ms = lambda s: f"{s * 1000:.2f} ms"  # noqa: E731
    # 1. Cold start of the header path (issue 10): info, dump, info --json against dcmdump on
    # the same files; none of them imports pydicom or numpy.
    rows, samples = _cold_start(r, tree_list)
    tool = str(BIN / "dicom-tools")
    bare = timed([sys.executable, "-c", f"import pydicom; pydicom.dcmread({samples[0]!r})"], 5)
    rows.append(ba_row(tree_list, "cold `python -c 'import pydicom; dcmread()'`", bare))
    heavy = {t.name: _heavy_imports(tool, samples, t.env) or "neither" for t in tree_list}
    rows.append(ba_row(tree_list, "header path imports pydicom or numpy", heavy, str, "neither"))
    files = prepare_corpus()
    n = len(files)
    costs = _import_costs(tree_list)
    for module in MODULES:
        values = {t: per[module] for t, per in costs.items()}
        label = f"import cost of `{module}` (-X importtime, cumulative)"
        rows.append(ba_row(tree_list, label, values, lambda v: f"{v:.1f} ms"))

    # 2. dump: in-process per file vs one dcmdump process over all files.
    listing = repr([str(f) for f in files])
    body = (
        "from dicom_tools import registry as R; s = R.get('dump'); "
        f"fs = {listing}\n"
        "def run(i, f): R.execute(s, f, None, {}).text"
    )
    tp = max(10, r)
    dump = _per_file(body, tree_list, tp, n)
    dump_dcmtk = timed(["dcmdump", "-q", *map(str, files)], tp) / n
    for kind, what in (("warm", "second pass"), ("first", "first pass")):
        values = {t.name: dump[f"{kind} {t.name}"] for t in tree_list}
        ratio = values["after"] / dump_dcmtk
        target = f"{ratio:.2f}x dcmdump, <= 2x: " + ("met" if ratio <= 2 else "MISSED")
        if "before" in values:
            target += f"; before {values['before'] / dump_dcmtk:.2f}x"
        label = f"dump, in-process, per file ({n} files, {what})"
        rows.append(ba_row(tree_list, label, values, ms, target))
    rows.append(ba_row(tree_list, "dcmdump, one process over all files, per file", dump_dcmtk, ms))

    # 3. to-json: in-process per file vs dcm2json started per file.
    out = WORK_ROOT / "json"
    out.mkdir(exist_ok=True)
    body = (
        "from dicom_tools import registry as R; s = R.get('to_json'); "
        f"fs = {listing}\n"
        f"def run(i, f): R.execute(s, f, '{out}/%d.json' % i, {{}})"
    )
    json_ours = _per_file(body, tree_list, tp, n)
    t0 = time.perf_counter()
    for i, f in enumerate(files):
        subprocess.run(["dcm2json", str(f), str(out / f"d{i}.json")], capture_output=True)
    json_dcmtk = (time.perf_counter() - t0) / n
    for kind, what in (("warm", "second pass"), ("first", "first pass")):
        values = {t.name: json_ours[f"{kind} {t.name}"] for t in tree_list}
        ratio = values["after"] / json_dcmtk
        target = f"{ratio:.2f}x dcm2json, < 1x: " + ("met" if ratio < 1 else "MISSED")
        if "before" in values:
            target += f"; before {values['before'] / json_dcmtk:.2f}x"
        label = f"to-json, in-process, per file ({n} files, {what})"
        rows.append(ba_row(tree_list, label, values, ms, target))
    rows.append(ba_row(tree_list, "dcm2json started per file", json_dcmtk, ms))

    table = md_table(ba_header(tree_list), rows, right={1, 2, 3})
    report = (
        f"Machine: {machine(dcmtk_version('dcmdump'))}\n\n"
        f"Cold starts: medians of {r} interleaved rounds (trees and commands), one process per "
        f"run, after a warm-up run; throughput: medians of {tp} runs (trees interleaved), each "
        "a fresh process timing a first pass over the corpus after 5 warm-up files (so lazy "
        "imports and tables first needed by later files count) and then a second pass.\n\n"
        + "\n".join(table)
        + "\n\n"
        + ba_note(tree_list)
    )
    report_results("metadata", report, SECTION)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
