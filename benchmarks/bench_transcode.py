"""transcode benchmarks: dicom-tools side by side with dcmtk on the same CT series.

    python benchmarks/bench_transcode.py [--slices N] [--repeat N]

In one run, on the same files (written to benchmarks/.work/transcode/):

1. a CT series of N slices (default 120) is generated from a pydicom-data 512 x 512 CT by changing
   UIDs and Instance Numbers; dcmtk compresses it to JPEG-LS lossless (dcmcjpls), JPEG lossless
   SV1 (dcmcjpeg +e1) and RLE (dcmcrle), so the compressed inputs come from an independent writer;
2. decompression to Explicit VR Little Endian: `dcmdjpls` / `dcmdjpeg` / `dcmdrle` started per
   file against `transcode` called per file in one Python process (the batch case);
3. compression of the uncompressed series to RLE and JPEG-LS: `dcmcrle` / `dcmcjpls` per file
   against in-process `transcode`, with the compression ratio of each (uncompressed pixel bytes /
   encapsulated pixel bytes, summed over the series).

Targets: in-process batch at least as fast per file as dcmtk; compression ratios within 5% of
dcmtk's for the same lossless codec. Timings are medians of --repeat runs after a warm-up; every
output of ours is checked to decode to the input's pixels. Results go to benchmarks/README.md
between the RESULTS:transcode markers.
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
import warnings
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
WORK = HERE / ".work" / "transcode"
sys.path.insert(0, str(HERE.parent / "tests"))

from conftest import corpus_file  # noqa: E402  (the same real files the tests use)

START, END = "<!-- RESULTS:transcode -->", "<!-- /RESULTS:transcode -->"
SECTION = """## transcode

`.venv/bin/python benchmarks/bench_transcode.py` generates a CT series (120 slices of 512 x 512
from a pydicom-data CT, new UIDs and Instance Numbers) in `benchmarks/.work/transcode/`, has dcmtk
compress it to JPEG-LS, JPEG lossless and RLE, then times decompression to Explicit VR Little
Endian (`dcmdjpls`/`dcmdjpeg`/`dcmdrle` per file vs in-process `transcode` per file) and
compression to RLE and JPEG-LS (`dcmcrle`/`dcmcjpls` vs `transcode`), with compression ratios.
Targets: in-process batch at least as fast per file as dcmtk; ratios within 5% of dcmtk's.
"""


def make_series(count: int) -> list[Path]:
    """``count`` slices of one CT series from a real 512 x 512 CT (CT_small if that is missing)."""
    from pydicom import dcmread
    from pydicom.uid import generate_uid

    try:
        source = corpus_file("693_UNCI.dcm")  # pydicom-data: 512 x 512 CT, 14 bits signed
    except FileNotFoundError:
        source = corpus_file("CT_small.dcm")
    folder = WORK / "ct"
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
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


def fresh(name: str) -> Path:
    folder = WORK / name
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    return folder


def dcmtk_batch(tool: list[str], files: list[Path], out: Path) -> float:
    """Seconds per file for a dcmtk tool started once per file."""
    t0 = time.perf_counter()
    for f in files:
        subprocess.run([*tool, str(f), str(out / f.name)], check=True, capture_output=True)
    return (time.perf_counter() - t0) / len(files)


def ours_batch(syntax: str, files: list[Path], out: Path) -> float:
    """Seconds per file for in-process transcode over the whole list."""
    from dicom_tools.ops.transcode import transcode

    t0 = time.perf_counter()
    for f in files:
        transcode(f, out / f.name, transfer_syntax=syntax)
    return (time.perf_counter() - t0) / len(files)


def median_of(repeat: int, run: Callable[..., float], *args: object) -> float:
    run(*args)  # warm-up: imports, page cache
    return statistics.median(run(*args) for _ in range(repeat))


def pixel_ratio(files: list[Path]) -> float:
    """Uncompressed pixel bytes / encapsulated pixel bytes over a folder of compressed files."""
    from pydicom import dcmread

    raw = packed = 0
    for f in files:
        ds = dcmread(f)
        raw += ds.Rows * ds.Columns * ds.SamplesPerPixel * ds.BitsAllocated // 8
        packed += len(ds.PixelData)
    return raw / packed


def check_same_pixels(ours: Path, reference: list[Path]) -> None:
    """Our outputs must decode to the pixels of the files they came from."""
    import numpy as np
    from pydicom import dcmread

    for ref in reference:
        a = dcmread(ref).pixel_array
        b = dcmread(ours / ref.name).pixel_array
        if not np.array_equal(a, b):
            raise SystemExit(f"pixel mismatch: {ours / ref.name} vs {ref}")


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    dcmtk = subprocess.run(["dcmdjpls", "--version"], capture_output=True, text=True).stdout
    dcmtk_version = dcmtk.splitlines()[0].strip("$ ") if dcmtk else "dcmtk missing"
    import numpy
    import pydicom

    return (
        f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"pydicom {pydicom.__version__}, numpy {numpy.__version__}, {dcmtk_version}, "
        f"{time.strftime('%Y-%m-%d')}"
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--slices", type=int, default=120, help="CT slices in the series")
    ap.add_argument("--repeat", type=int, default=3, help="timed runs per measurement")
    args = ap.parse_args()
    for tool in ("dcmcjpls", "dcmcjpeg", "dcmcrle", "dcmdjpls", "dcmdjpeg", "dcmdrle"):
        if shutil.which(tool) is None:
            print(f"{tool} not found: install dcmtk", file=sys.stderr)
            return 2
    warnings.simplefilter("ignore")

    series = make_series(args.slices)
    mb = sum(f.stat().st_size for f in series) / 2**20
    sources = {
        "JPEG-LS lossless": (["dcmcjpls"], ["dcmdjpls"], fresh("src_jls")),
        "JPEG lossless SV1": (["dcmcjpeg", "+e1"], ["dcmdjpeg"], fresh("src_jll")),
        "RLE": (["dcmcrle"], ["dcmdrle"], fresh("src_rle")),
    }
    for compress, _, folder in sources.values():
        dcmtk_batch(compress, series, folder)

    rows: list[tuple[str, str, str, str, str]] = []
    # Decompression to Explicit VR Little Endian.
    for label, (_, decompress, folder) in sources.items():
        inputs = sorted(folder.iterdir())
        out_d, out_o = fresh("dec_dcmtk"), fresh("dec_ours")
        t_dcmtk = median_of(args.repeat, dcmtk_batch, decompress, inputs, out_d)
        t_ours = median_of(args.repeat, ours_batch, "explicit-vr-little-endian", inputs, out_o)
        check_same_pixels(out_o, series)
        rows.append(
            (
                f"decompress {label} -> explicit LE",
                f"{t_dcmtk * 1000:.1f} ms (`{decompress[0]}`)",
                f"{t_ours * 1000:.1f} ms",
                f"{t_dcmtk / t_ours:.2f}x",
                "",
            )
        )
    # Compression of the uncompressed series.
    for label, tool, syntax in (
        ("RLE", ["dcmcrle"], "rle"),
        ("JPEG-LS lossless", ["dcmcjpls"], "jpeg-ls-lossless"),
    ):
        out_d, out_o = fresh("enc_dcmtk"), fresh("enc_ours")
        t_dcmtk = median_of(args.repeat, dcmtk_batch, tool, series, out_d)
        t_ours = median_of(args.repeat, ours_batch, syntax, series, out_o)
        check_same_pixels(out_o, series)
        r_dcmtk = pixel_ratio(sorted(out_d.iterdir()))
        r_ours = pixel_ratio(sorted(out_o.iterdir()))
        rows.append(
            (
                f"compress explicit LE -> {label}",
                f"{t_dcmtk * 1000:.1f} ms (`{tool[0]}`)",
                f"{t_ours * 1000:.1f} ms",
                f"{t_dcmtk / t_ours:.2f}x",
                f"{r_ours:.3f} vs {r_dcmtk:.3f} ({(r_ours / r_dcmtk - 1) * 100:+.1f}%)",
            )
        )

    table = [
        "| per file | dcmtk (process per file) | dicom-tools (in process) | speed-up | "
        "ratio ours vs dcmtk |",
        "|---|---:|---:|---:|---|",
    ]
    table += [f"| {a} | {b} | {c} | {d} | {e} |" for a, b, c, d, e in rows]
    report = (
        f"Machine: {machine()}\n\n"
        f"Series: {len(series)} slices of 512 x 512, 16 bits allocated ({mb:.1f} MiB "
        f"uncompressed); median of {args.repeat} runs after a warm-up. Compressed inputs "
        "written by dcmtk. "
        "Ratio = uncompressed pixel bytes / encapsulated pixel bytes over the series. Every "
        "output of ours decodes to the series' pixels.\n\n" + "\n".join(table)
    )
    print(report)
    readme = HERE / "README.md"
    text = readme.read_text() if readme.exists() else "# Benchmarks\n"
    block = f"{START}\n{report}\n{END}"
    if START in text and END in text:
        text = text[: text.index(START)] + block + text[text.index(END) + len(END) :]
    else:
        text = text.rstrip("\n") + "\n\n" + SECTION + "\n" + block + "\n"
    readme.write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
