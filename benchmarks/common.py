"""Helpers shared by the benchmark scripts (benchmarks/bench_*.py), one copy of each.

The scripts import it as ``common``: Python puts a script's own folder first on sys.path.
Importing it also puts tests/ on sys.path, for the corpus the tests use (tests/conftest.py).
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Container, Iterable, Mapping, Sequence
from pathlib import Path

HERE = Path(__file__).resolve().parent
WORK_ROOT = HERE / ".work"  # generated inputs and outputs (git-ignored)
README = HERE / "README.md"
BIN = Path(sys.executable).parent  # the venv's bin/: dicom-tools and python

sys.path.insert(0, str(HERE.parent / "tests"))

from conftest import corpus_file, corpus_files  # noqa: E402  (the same real files the tests use)

__all__ = [
    "BIN",
    "ENV",
    "HERE",
    "README",
    "WORK_ROOT",
    "child_seconds",
    "cold_medians",
    "compile_package",
    "corpus_file",
    "corpus_files",
    "dcmtk_version",
    "fresh_dir",
    "load_average",
    "machine",
    "make_series",
    "md_table",
    "peak_rss",
    "report_results",
    "require_tools",
    "run_quiet",
    "timed",
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


def run_quiet(cmd: Sequence[str]) -> float:
    """Wall seconds of one run of ``cmd`` with ENV (output discarded, exit status ignored)."""
    t0 = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False, env=ENV)
    return time.perf_counter() - t0


def timed(cmd: Sequence[str], repeat: int) -> float:
    """Median wall seconds of ``repeat`` runs of ``cmd`` (each as :func:`run_quiet`)."""
    return statistics.median(run_quiet(cmd) for _ in range(repeat))


def compile_package() -> None:
    """Byte-compile the dicom_tools package the children import, as an installed package is:
    cold runs then read .pyc files, as a user's do, whatever PYTHONDONTWRITEBYTECODE says here."""
    code = "import dicom_tools, os; print(os.path.dirname(dicom_tools.__file__))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=ENV)
    package = out.stdout.strip()
    subprocess.run([sys.executable, "-m", "compileall", "-q", package], check=True, env=ENV)


def cold_medians(commands: Mapping[str, Sequence[str]], repeat: int) -> dict[str, float]:
    """Median wall seconds of each command (one process per run, with ENV): one warm-up run
    each (page cache, byte code), then ``repeat`` rounds of one run of each, interleaved, so
    that the machine's load weighs on every command alike."""
    for cmd in commands.values():
        run_quiet(cmd)
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(repeat):
        for name, cmd in commands.items():
            times[name].append(run_quiet(cmd))
    return {name: statistics.median(t) for name, t in times.items()}


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
