"""anonymize benchmark: dicom-tools against dcmodify (dcmtk), dicognito and deid, same files.

    python benchmarks/bench_anonymize.py [--slices N] [--repeat N] [--before SRC]

Generates N CT slices of one series (default 120; new UIDs and Instance Numbers) from a real
512x512 CT of pydicom-data into benchmarks/.work/anonymize/, then measures per-file time:

1. dicom-tools, in process: the `anonymize` operation per file (read, Basic Profile, keyed UIDs,
   write atomically), and one Anonymizer reused over the batch (read, anonymize, write);
2. dcmodify (dcmtk) started per file, doing a few edits: Patient's Name and ID replaced, Birth
   Date, Referring Physician, Accession Number and Series Description removed, a new SOP
   Instance UID;
   and the same edits as one dcmodify process given all files;
3. dicognito (PyPI) in process: dcmread, Anonymizer.anonymize, save_as per file;
4. deid (PyPI) in process: replace_identifiers with its default recipe over the batch.

dicognito and deid are not project dependencies: `pip install deid dicognito` to include them
(they are skipped, with a note, when missing). Results go to benchmarks/README.md between the
RESULTS:anonymize markers. Timings are medians over --repeat runs; read ratios, not absolutes.
dicom-tools runs in a fresh child process per run (common.call_in), timing its loop after 3
untimed files; with ``--before SRC`` on that tree and this checkout's src, interleaved with the
peers (common.trees).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import logging
import shutil
import statistics
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from common import (
    WORK_ROOT,
    add_before_option,
    ba_header,
    ba_note,
    ba_row,
    call_in,
    dcmtk_version,
    fresh_dir,
    load_average,
    machine,
    make_series,
    md_table,
    report_results,
    trees,
)

WORK = WORK_ROOT / "anonymize"
SECTION = """## anonymize

`.venv/bin/python benchmarks/bench_anonymize.py` measures per-file anonymization of generated CT
slices: dicom-tools in process against dcmodify (dcmtk), dicognito and deid on the same files
(see the script's docstring).
"""
KEY = "benchmark key"
DCMODIFY_EDITS = [
    "-ma", "(0010,0010)=ANONYMOUS",
    "-ma", "(0010,0020)=ANON0001",
    "-ea", "(0010,0030)",
    "-ea", "(0008,0090)",
    "-ea", "(0008,103E)",
    "-ea", "(0008,0050)",
    "-gin",
]  # fmt: skip


def fresh(name: str) -> Path:
    """An empty folder of that name in this script's work folder."""
    return fresh_dir(WORK / name)


def ours_op(files: list[str], out: str) -> float:
    """The anonymize op per file (in a child of a tree: common.call_in), after 3 untimed files."""
    from dicom_tools.ops.anonymize import anonymize

    paths = [Path(f) for f in files]
    for f in paths[:3]:
        anonymize(f, Path(out) / f.name, key=KEY)
    t0 = time.perf_counter()
    for f in paths:
        anonymize(f, Path(out) / f.name, key=KEY)
    return time.perf_counter() - t0


def ours_batch(files: list[str], out: str) -> float:
    """One Anonymizer over the batch (in a child of a tree), after 3 untimed files."""
    from dicom_tools.anonymize import AnonymizeOptions, Anonymizer
    from dicom_tools.anonymize.files import read_for_anonymization, write_dataset

    paths = [Path(f) for f in files]
    for f in paths[:3]:
        write_dataset(read_for_anonymization(f), Path(out) / f.name)
    t0 = time.perf_counter()
    anonymizer = Anonymizer(AnonymizeOptions(), KEY.encode())
    for f in paths:
        ds = read_for_anonymization(f)
        anonymizer.anonymize_dataset(ds)
        write_dataset(ds, Path(out) / f.name)
    return time.perf_counter() - t0


def dcmodify_per_file(files: list[Path], out: Path) -> float:
    copies = [shutil.copy(f, out / f.name) for f in files]  # it edits in place: not timed
    t0 = time.perf_counter()
    for f in copies:
        subprocess.run(["dcmodify", "-nb", "-q", *DCMODIFY_EDITS, f], check=True)
    return time.perf_counter() - t0


def dcmodify_one_process(files: list[Path], out: Path) -> float:
    copies = [shutil.copy(f, out / f.name) for f in files]
    t0 = time.perf_counter()
    subprocess.run(["dcmodify", "-nb", "-q", *DCMODIFY_EDITS, *copies], check=True)
    return time.perf_counter() - t0


def dicognito_run(files: list[Path], out: Path) -> float:
    from dicognito.anonymizer import Anonymizer
    from pydicom import dcmread

    t0 = time.perf_counter()
    anonymizer = Anonymizer(seed=KEY)
    for f in files:
        ds = dcmread(f)
        anonymizer.anonymize(ds)
        ds.save_as(out / f.name)
    return time.perf_counter() - t0


def deid_run(files: list[Path], out: Path) -> float:
    from deid.config import DeidRecipe
    from deid.dicom import replace_identifiers

    t0 = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        replace_identifiers(
            dicom_files=[str(f) for f in files],
            deid=DeidRecipe(),
            save=True,
            output_folder=str(out),
            overwrite=True,
        )
    return time.perf_counter() - t0


def measure(tools: dict[str, Callable[[list[Path], Path], float]], files: list[Path], repeat: int):
    """Median seconds per file of each tool; rounds interleave the tools, so that a slow
    spell of a shared machine hits them all alike. Round 0 warms imports and caches."""
    times: dict[str, list[float]] = {name: [] for name in tools}
    for round_ in range(repeat + 1):
        for name, run in tools.items():
            elapsed = run(files, fresh(name))
            if round_:
                times[name].append(elapsed / len(files))
    return {name: statistics.median(t) for name, t in times.items()}


def available(module: str) -> str | None:
    from importlib import metadata

    try:
        __import__(module)
        return metadata.version(module)
    except (ImportError, metadata.PackageNotFoundError):
        return None


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--slices", type=int, default=120, help="CT slices to anonymize")
    ap.add_argument("--repeat", type=int, default=10, help="runs per tool (median)")
    add_before_option(ap)
    args = ap.parse_args()
    logging.disable(logging.WARNING)  # deid logs every file
    tree_list = trees(args.before)
    load_before = load_average()
    files = make_series(args.slices, WORK / "slices")
    size = files[0].stat().st_size

    def in_tree(func, tree):
        def run(files: list[Path], out: Path) -> float:
            return call_in(tree, func, [str(f) for f in files], str(out), warm=False)

        return run

    tools: dict[str, Callable[[list[Path], Path], float]] = {}
    for t in tree_list:
        tools[f"ours_op {t.name}"] = in_tree(ours_op, t)
        tools[f"ours_batch {t.name}"] = in_tree(ours_batch, t)
    if shutil.which("dcmodify"):
        tools["dcmodify"] = dcmodify_per_file
        tools["dcmodify_one"] = dcmodify_one_process
    versions = {m: available(m) for m in ("dicognito", "deid")}
    if versions["dicognito"]:
        tools["dicognito"] = dicognito_run
    if versions["deid"]:
        tools["deid"] = deid_run
    got = measure(tools, files, args.repeat)
    ours = got["ours_op after"]
    ms = lambda v: f"{v * 1000:.2f} ms"  # noqa: E731
    rows = []
    for name, label, what in (
        ("ours_op", "dicom-tools `anonymize` op, in process", "Basic Profile, keyed UIDs"),
        ("ours_batch", "dicom-tools, one Anonymizer for the batch", "same, no atomic rename"),
    ):
        values = {t.name: got[f"{name} {t.name}"] for t in tree_list}
        target = what
        if name == "ours_op":
            faster = [p for p in ("dcmodify", "dicognito", "deid") if p in got]
            beaten = [p for p in faster if got[p] > values["after"]]
            target += f"; faster than {', '.join(beaten) or 'none'} of {', '.join(faster)}"
        rows.append(ba_row(tree_list, label, values, ms, target))
    peers = {
        "dcmodify": ("dcmodify started per file", "6 edits + new SOP Instance UID"),
        "dcmodify_one": ("dcmodify, one process for all files", "same edits"),
        "dicognito": (f"dicognito {versions['dicognito']}, in process", "its default"),
        "deid": (f"deid {versions['deid']}, in process", "its default recipe"),
    }
    for name, (label, what) in peers.items():
        if name in got:
            rows.append(ba_row(tree_list, label, got[name], ms,
                               f"{what}; {got[name] / ours:.2f}x the op (after)"))  # fmt: skip
    loads = f"{load_before} / {load_average()}"
    rows.append(ba_row(tree_list, "load average (1/5/15 min), before / after", 0, lambda _: loads))
    table = md_table(ba_header(tree_list, "per file"), rows, right=(1, 2, 3))
    missing = [m for m, v in versions.items() if not v]
    notes = [
        f"Machine: {machine(dcmtk_version('dcmodify'), packages=('pydicom',))}",
        "",
        f"{len(files)} CT slices of {size / 1024:.0f} KiB each (from pydicom-data 693_UNCI.dcm), "
        f"median of {args.repeat} interleaved runs after a warm-up run; dicom-tools runs in a "
        "fresh process per run (3 untimed files first), the peers in this process; dcmodify "
        "times exclude copying the files it edits in place. Target: the dicom-tools op faster "
        "per file than dcmodify started per file, and than dicognito and deid.",
        "",
        *table,
        "",
        ba_note(tree_list),
    ]
    if missing:
        notes += ["", f"Not measured (not installed): {', '.join(missing)}."]
    report_results("anonymize", "\n".join(notes), SECTION)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
