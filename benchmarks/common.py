"""Helpers shared by the benchmark scripts (benchmarks/bench_*.py), one copy of each.

The scripts import it as ``common``: Python puts a script's own folder first on sys.path.
Importing it also puts tests/ on sys.path, for the corpus the tests use (tests/conftest.py).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import inspect
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Container, Hashable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

HERE = Path(__file__).resolve().parent
WORK_ROOT = HERE / ".work"  # generated inputs and outputs (git-ignored)
README = HERE / "README.md"
BIN = Path(sys.executable).parent  # the venv's bin/: dicom-tools and python
SRC = HERE.parent / "src"  # this checkout's package: the "after" tree of a --before run

sys.path.insert(0, str(HERE.parent / "tests"))

from conftest import corpus_file, corpus_files  # noqa: E402  (the same real files the tests use)

__all__ = [
    "BIN",
    "ENV",
    "HERE",
    "README",
    "SRC",
    "WORK_ROOT",
    "Tree",
    "add_before_option",
    "ba_header",
    "ba_note",
    "ba_row",
    "call_in",
    "child_seconds",
    "cold_medians",
    "compile_package",
    "corpus_file",
    "corpus_files",
    "dcmtk_version",
    "fresh_dir",
    "interleaved",
    "load_average",
    "machine",
    "make_series",
    "md_table",
    "peak_rss",
    "report_results",
    "require_tools",
    "run_quiet",
    "timed",
    "trees",
]

# Child processes run as an installed tool would: with byte-code caching (some sandboxes set
# PYTHONDONTWRITEBYTECODE, which would recompile dicom_tools at every cold start).
ENV: dict[str, str] = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def require_tools(tools: Iterable[str], hint: str) -> bool:
    """Whether every external tool is on PATH; the first missing one is named on stderr."""
    for tool in tools:
        if shutil.which(tool) is None:
            print(f"{tool} is missing: {hint}", file=sys.stderr)
            return False
    return True


def dcmtk_version(tool: str) -> str:
    """First line of ``tool --version``, e.g. 'dcmtk: dcmdump v3.6.7 2022-04-22'."""
    try:
        out = subprocess.run([tool, "--version"], capture_output=True, text=True).stdout
    except OSError:
        out = ""
    return out.splitlines()[0].strip("$ ") if out else "dcmtk missing"


def machine(*peers: str, packages: Sequence[str] = ()) -> str:
    """The line a results block opens with: 'CPU, N cores, Python X, <packages>, <peers>, date'.

    ``packages`` are Python modules whose ``__version__`` is named ('pydicom 3.0.2'); ``peers``
    are free text, such as :func:`dcmtk_version` of the tool compared with.
    """
    cpu = "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    versions = [f"{name} {importlib.import_module(name).__version__}" for name in packages]
    parts = [cpu, f"{os.cpu_count()} cores", f"Python {platform.python_version()}"]
    return ", ".join([*parts, *versions, *peers, time.strftime("%Y-%m-%d")])


def run_quiet(cmd: Sequence[str], env: Mapping[str, str] | None = ENV) -> float:
    """Wall seconds of one run of ``cmd`` with ``env`` (output discarded, exit status ignored)."""
    t0 = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False, env=env)
    return time.perf_counter() - t0


def timed(cmd: Sequence[str], repeat: int) -> float:
    """Median wall seconds of ``repeat`` runs of ``cmd`` (each as :func:`run_quiet`)."""
    return statistics.median(run_quiet(cmd) for _ in range(repeat))


def compile_package(env: Mapping[str, str] = ENV) -> None:
    """Byte-compile the dicom_tools package the children import (with ``env``: a tree's, see
    :func:`trees`), as an installed package is: cold runs then read .pyc files, as a user's do,
    whatever PYTHONDONTWRITEBYTECODE says here."""
    code = "import dicom_tools, os; print(os.path.dirname(dicom_tools.__file__))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    package = out.stdout.strip()
    subprocess.run([sys.executable, "-m", "compileall", "-q", package], check=True, env=env)


# --- before / after: the same measurements on two source trees, interleaved in one run ---


class Tree(NamedTuple):
    """A source tree the children import dicom_tools from: ``src`` first on PYTHONPATH."""

    name: str  # "before" or "after"
    src: Path
    env: dict[str, str]  # ENV with src first on PYTHONPATH: for every child of this tree


def add_before_option(ap: argparse.ArgumentParser) -> None:
    """The ``--before SRC`` option every script takes (read back by :func:`trees`)."""
    ap.add_argument(
        "--before",
        type=Path,
        metavar="SRC",
        help="another checkout's src/ (e.g. `git archive REV src | tar -x -C /tmp/before`): "
        "measure it and this checkout's src side by side, interleaved, with after/before ratios",
    )


def trees(before: Path | None) -> list[Tree]:
    """The trees to measure: [before, after] with ``--before SRC``, else [after] alone (this
    checkout's ``src``). Each is byte-compiled first, as an installed package is, and its
    children get ENV with its ``src`` first on PYTHONPATH: ``python -m dicom_tools``,
    ``BIN/dicom-tools`` (the console script imports dicom_tools from sys.path) and ``python -c``
    all import that tree's package."""
    found = []
    for name, src in ([("before", before)] if before else []) + [("after", SRC)]:
        src = Path(src).resolve()
        if not (src / "dicom_tools" / "__init__.py").is_file():
            raise SystemExit(f"{src}: no dicom_tools package there (give a src/ folder)")
        path = os.pathsep.join(p for p in (str(src), ENV.get("PYTHONPATH", "")) if p)
        tree = Tree(name, src, {**ENV, "PYTHONPATH": path})
        compile_package(tree.env)
        found.append(tree)
    return found


K = TypeVar("K", bound=Hashable)


def interleaved(
    runs: Mapping[K, Callable[[], float]], repeat: int, warmup: bool = True
) -> dict[K, float]:
    """Median of ``repeat`` calls of each of ``runs`` (each returns seconds), round-robin: one
    call of each per round, so that the load of a shared machine weighs on all alike; one
    warm-up call of each first (page cache, byte code) unless ``warmup`` is false."""
    if warmup:
        for run in runs.values():
            run()
    times: dict[K, list[float]] = {name: [] for name in runs}
    for _ in range(repeat):
        for name, run in runs.items():
            times[name].append(run())
    return {name: statistics.median(t) for name, t in times.items()}


def cold_medians(
    commands: Mapping[str, Sequence[str]],
    repeat: int,
    envs: Mapping[str, Mapping[str, str]] | None = None,
) -> dict[str, float]:
    """Median wall seconds of each command (one process per run, with ENV or ``envs[name]``,
    e.g. a :class:`Tree`'s env): one warm-up run each (page cache, byte code), then ``repeat``
    rounds of one run of each, interleaved (:func:`interleaved`)."""
    envs = envs or {}

    def runner(name: str) -> Callable[[], float]:
        return lambda: run_quiet(commands[name], envs.get(name, ENV))

    return interleaved({name: runner(name) for name in commands}, repeat)


_CALL = (
    "import json, sys; sys.path.insert(0, sys.argv[1]); import {module} as m\n"
    "f, args = m.{func}, json.loads(sys.argv[2])\n"
    "if {warm}: f(*args)\n"
    "print(f(*args))\n"
)


def call_in(tree: Tree, func: Callable[..., float], *args: Any, warm: bool = True) -> float:
    """What ``func(*args)`` returns (seconds it timed itself), called in a fresh child process
    that imports dicom_tools from ``tree``: how a script measures its in-process rows on both
    trees. ``func`` is a top-level function of the calling script (imported by the child from
    benchmarks/); ``args`` must be JSON (paths as str). With ``warm``, the child calls it once
    untimed first, so lazy imports and first-call set-up are left out, as in one long process."""
    module = Path(inspect.getfile(func)).stem
    code = _CALL.format(module=module, func=func.__name__, warm=warm)
    cmd = [sys.executable, "-c", code, str(HERE), json.dumps(args, default=str)]
    out = subprocess.run(cmd, capture_output=True, text=True, env=tree.env)
    if out.returncode:
        raise SystemExit(f"{tree.name}: {func.__name__} failed:\n{out.stderr}")
    return float(out.stdout.strip().splitlines()[-1])


def ba_header(tree_list: Sequence[Tree], first: str = "measurement") -> list[str]:
    """Header of a before/after table: the measurement, one column per tree, after/before."""
    ratio = ["after/before"] if len(tree_list) > 1 else []
    return [first, *(t.name for t in tree_list), *ratio, "target"]


def ba_row(
    tree_list: Sequence[Tree],
    label: str,
    values: Mapping[str, Any] | float,
    fmt: Callable[[Any], str] = lambda s: f"{s * 1000:.0f} ms",
    target: str = "",
) -> list[str]:
    """A row of a :func:`ba_header` table. ``values`` maps tree names to numbers (``fmt``
    renders them; after/before is the ratio of the numbers, left empty for other values, such as
    text); a single number is a peer or a property measured once in the run, shown in the after
    column only."""
    if not isinstance(values, Mapping):
        cells = [""] * (len(tree_list) - 1) + [fmt(values)]
        return [label, *cells, *([""] if len(tree_list) > 1 else []), target]
    cells = [fmt(values[t.name]) for t in tree_list]
    ratio = []
    if len(tree_list) > 1:
        b, a = values["before"], values["after"]
        numbers = all(isinstance(x, int | float) for x in (a, b))
        ratio = [f"{a / b:.2f}" if numbers and b else ""]
    return [label, *cells, *ratio, target]


def ba_note(tree_list: Sequence[Tree]) -> str:
    """The line under a before/after table naming the trees (empty without --before)."""
    if len(tree_list) < 2:
        return ""
    return (
        f"before: `{tree_list[0].src}`; after: `{tree_list[1].src}` (each first on PYTHONPATH "
        "of its child processes, byte-compiled). Rows with one value (peers, properties) are "
        "measured once in the same run and shown under after."
    )


def load_average() -> str:
    """The 1, 5 and 15 minute load averages, for the report: timings depend on them."""
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


def child_seconds(
    code: str,
    args: Iterable[str] = (),
    repeat: int = 1,
    env: Mapping[str, str] | None = ENV,
) -> float:
    """Median, over ``repeat`` fresh ``python -c code *args``, of the number each child prints
    on its last line: the child times its own loop, so start-up and imports are left out.

    ``env=None`` lets the child inherit this process's environment unchanged.
    """
    cmd = [sys.executable, "-c", code, *args]
    times = []
    for _ in range(repeat):
        out = subprocess.run(cmd, capture_output=True, text=True, check=True, env=env).stdout
        times.append(float(out.strip().splitlines()[-1]))
    return statistics.median(times)


# Runs its arguments as the only child and reports that child's peak RSS (KiB), wall time, status.
_RSS_WRAPPER = (
    "import resource, subprocess, sys, time, json\n"
    "t = time.perf_counter()\n"
    "rc = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode\n"
    "t = time.perf_counter() - t\n"
    "print(json.dumps([resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, t, rc]))\n"
)


def peak_rss(cmd: Sequence[str], env: Mapping[str, str] | None = ENV) -> tuple[float, float, int]:
    """(peak RSS in MiB, wall seconds, exit code) of ``cmd`` run alone in a fresh wrapper.

    The peak is ``getrusage(RUSAGE_CHILDREN).ru_maxrss`` read by a wrapper process that runs
    nothing else (the number ``/usr/bin/time -v`` reports as 'Maximum resident set size').
    ``env=None`` lets the command inherit this process's environment unchanged.
    """
    out = subprocess.run(
        [sys.executable, "-c", _RSS_WRAPPER, *cmd],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    )
    kib, wall, rc = json.loads(out.stdout)
    return kib / 1024, wall, rc


def fresh_dir(folder: Path) -> Path:
    """``folder``, empty: removed with its content if it exists, then made (with parents)."""
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    return folder


def make_series(count: int, folder: Path) -> list[Path]:
    """``count`` slices of one CT series, written to ``folder`` (emptied first).

    The source is a real 512 x 512 CT of pydicom-data (693_UNCI.dcm, 14 bits signed), or
    pydicom's CT_small.dcm when pydicom-data is missing. Every slice shares a new Series
    Instance UID and has a new SOP Instance UID, Instance Number i + 1 and, where the source
    has a position, a z position moved by i mm.
    """
    from pydicom import dcmread
    from pydicom.uid import generate_uid

    try:
        source = corpus_file("693_UNCI.dcm")
    except FileNotFoundError:
        source = corpus_file("CT_small.dcm")
    fresh_dir(folder)
    ds = dcmread(source)
    series = generate_uid()
    z0 = float(ds.get("ImagePositionPatient", [0, 0, 0])[2])
    files = []
    for i in range(count):
        ds.SeriesInstanceUID = series
        ds.SOPInstanceUID = generate_uid()
        ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
        ds.InstanceNumber = i + 1
        if "ImagePositionPatient" in ds:
            ds.ImagePositionPatient[2] = z0 + i
        path = folder / f"ct_{i + 1:04d}.dcm"
        ds.save_as(path)
        files.append(path)
    return files


def md_table(
    header: Sequence[str], rows: Iterable[Sequence[str]], right: Container[int] = ()
) -> list[str]:
    """The lines of a Markdown table; the columns whose index is in ``right`` align right."""

    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(cells) + " |"

    rule = "|" + "|".join("---:" if i in right else "---" for i in range(len(header))) + "|"
    return [line(header), rule, *map(line, rows)]


def report_results(name: str, report: str, section: str) -> None:
    """Print ``report`` and write it into README.md between the RESULTS:<name> markers.

    What the markers held is replaced; where they are missing, ``section`` (a heading and an
    introduction) and the marked block are appended to the file.
    """
    print(report)
    start, end = f"<!-- RESULTS:{name} -->", f"<!-- /RESULTS:{name} -->"
    text = README.read_text() if README.exists() else "# Benchmarks\n"
    block = f"{start}\n{report.rstrip()}\n{end}"
    if start in text and end in text:
        text = text[: text.index(start)] + block + text[text.index(end) + len(end) :]
    else:
        text = text.rstrip("\n") + f"\n\n{section.strip()}\n\n{block}\n"
    README.write_text(text)
