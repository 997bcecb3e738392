"""Side-by-side benchmarks of dicom-tools against dcmtk and bare pydicom, in one run.

    python benchmarks/run.py [--repeat N]

Writes the results to benchmarks/README.md (between the RESULTS markers). Timings are wall
clock medians over repeated runs; the machine is noisy, so read ratios, not absolute numbers.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
WORK = HERE / ".work"
BIN = Path(sys.executable).parent
sys.path.insert(0, str(HERE.parent / "tests"))

from conftest import corpus_files  # noqa: E402  (the same real files the tests use)

# Child processes run as an installed tool would: with byte-code caching (some sandboxes set
# PYTHONDONTWRITEBYTECODE, which would recompile dicom_tools at every cold start).
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def timed(cmd: list[str], repeat: int) -> float:
    """Median wall time of a command, in seconds."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        subprocess.run(
            cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False, env=ENV
        )
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def in_process(code: str, repeat: int) -> float:
    """Median of the time a loop reports from inside one Python process (import excluded)."""
    times = []
    for _ in range(repeat):
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=ENV
        ).stdout
        times.append(float(out.strip().splitlines()[-1]))
    return statistics.median(times)


def prepare_corpus() -> list[Path]:
    """Copy the readable corpus into one folder (dcmtk gets the very same files)."""
    folder = WORK / "corpus"
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    files = []
    for i, src in enumerate(corpus_files()):
        if subprocess.run(["dcmdump", "-q", str(src)], capture_output=True).returncode != 0:
            continue  # only files both tools read
        dst = folder / f"{i:03d}_{src.name}"
        shutil.copy(src, dst)
        files.append(dst)
    return files


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    dcmtk = subprocess.run(["dcmdump", "--version"], capture_output=True, text=True).stdout
    dcmtk_version = dcmtk.splitlines()[0].strip("$ ") if dcmtk else "dcmtk missing"
    return (
        f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{dcmtk_version}, {time.strftime('%Y-%m-%d')}"
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeat", type=int, default=11)
    args = ap.parse_args()
    for tool in ("dcmdump", "dcm2json"):
        if shutil.which(tool) is None:
            print(f"{tool} is missing: install dcmtk (make bench does)", file=sys.stderr)
            return 2
    files = prepare_corpus()
    n = len(files)
    sample = str(files[0].parent / next(f.name for f in files if f.name.endswith("CT_small.dcm")))
    r = args.repeat
    rows: list[tuple[str, str, str]] = []

    # 1. Cold start of one `info` against dcmdump and a bare pydicom read.
    info = timed([str(BIN / "dicom-tools"), "info", sample], r)
    dcmdump1 = timed(["dcmdump", sample], r)
    bare = timed([sys.executable, "-c", f"import pydicom; pydicom.dcmread({sample!r})"], r)
    rows += [
        ("cold `dicom-tools info CT_small.dcm`", f"{info * 1000:.0f} ms", ""),
        ("cold `dcmdump CT_small.dcm`", f"{dcmdump1 * 1000:.0f} ms", ""),
        ("cold `python -c 'import pydicom; dcmread()'`", f"{bare * 1000:.0f} ms", ""),
        ("info / bare pydicom read", f"{info / bare:.2f}x", "target <= 1.2x"),
    ]

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
    dump_ours = in_process(dump_loop, max(3, r // 3)) / n
    dump_dcmtk = timed(["dcmdump", "-q", *map(str, files)], max(3, r // 3)) / n
    rows += [
        (f"dump, in-process, per file ({n} files)", f"{dump_ours * 1000:.2f} ms", ""),
        ("dcmdump, one process over all files, per file", f"{dump_dcmtk * 1000:.2f} ms", ""),
        ("dump / dcmdump", f"{dump_ours / dump_dcmtk:.2f}x", "target <= 2x"),
    ]

    # 3. to-json: in-process per file vs dcm2json started per file.
    out = WORK / "json"
    out.mkdir(exist_ok=True)
    json_loop = (
        "import time; from dicom_tools import registry as R; s=R.get('to_json'); "
        f"fs={listing}; t=time.perf_counter()\n"
        f"for i, f in enumerate(fs): R.execute(s, f, '{out}/%d.json' % i, {{}})\n"
        "print(time.perf_counter()-t)"
    )
    json_ours = in_process(json_loop, max(3, r // 3)) / n
    t0 = time.perf_counter()
    for i, f in enumerate(files):
        subprocess.run(["dcm2json", str(f), str(out / f"d{i}.json")], capture_output=True)
    json_dcmtk = (time.perf_counter() - t0) / n
    rows += [
        (f"to-json, in-process, per file ({n} files)", f"{json_ours * 1000:.2f} ms", ""),
        ("dcm2json started per file", f"{json_dcmtk * 1000:.2f} ms", ""),
        ("to-json / dcm2json", f"{json_ours / json_dcmtk:.2f}x", "target < 1x"),
    ]

    table = ["| measurement | result | target |", "|---|---|---|"]
    table += [f"| {a} | {b} | {c} |" for a, b, c in rows]
    report = f"Machine: {machine()}\n\nMedians of {r} runs where repeated.\n\n" + "\n".join(table)
    print(report)
    readme = HERE / "README.md"
    text = readme.read_text() if readme.exists() else "# Benchmarks\n"
    start, end = "<!-- RESULTS -->", "<!-- /RESULTS -->"
    block = f"{start}\n{report}\n{end}"
    if start in text:
        text = text[: text.index(start)] + block + text[text.index(end) + len(end) :]
    else:
        text += "\n" + block + "\n"
    readme.write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
