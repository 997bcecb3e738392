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
import statistics
import subprocess
import time
import warnings
from collections.abc import Callable
from pathlib import Path

from common import (
    WORK_ROOT,
    dcmtk_version,
    fresh_dir,
    machine,
    make_series,
    md_table,
    report_results,
    require_tools,
)

WORK = WORK_ROOT / "transcode"
SECTION = """## transcode

`.venv/bin/python benchmarks/bench_transcode.py` generates a CT series (120 slices of 512 x 512
from a pydicom-data CT, new UIDs and Instance Numbers) in `benchmarks/.work/transcode/`, has dcmtk
compress it to JPEG-LS, JPEG lossless and RLE, then times decompression to Explicit VR Little
Endian (`dcmdjpls`/`dcmdjpeg`/`dcmdrle` per file vs in-process `transcode` per file) and
compression to RLE and JPEG-LS (`dcmcrle`/`dcmcjpls` vs `transcode`), with compression ratios.
Targets: in-process batch at least as fast per file as dcmtk; ratios within 5% of dcmtk's.
"""


def fresh(name: str) -> Path:
    """An empty folder of that name in this script's work folder."""
    return fresh_dir(WORK / name)


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


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--slices", type=int, default=120, help="CT slices in the series")
    ap.add_argument("--repeat", type=int, default=3, help="timed runs per measurement")
    args = ap.parse_args()
    dcmtk = ("dcmcjpls", "dcmcjpeg", "dcmcrle", "dcmdjpls", "dcmdjpeg", "dcmdrle")
    if not require_tools(dcmtk, "install dcmtk (make bench does)"):
        return 2
    warnings.simplefilter("ignore")

    series = make_series(args.slices, WORK / "ct")
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

    header = (
        "per file",
        "dcmtk (process per file)",
        "dicom-tools (in process)",
        "speed-up",
        "ratio ours vs dcmtk",
    )
    table = md_table(header, rows, right=(1, 2, 3))
    host = machine(dcmtk_version("dcmdjpls"), packages=("pydicom", "numpy"))
    report = (
        f"Machine: {host}\n\n"
        f"Series: {len(series)} slices of 512 x 512, 16 bits allocated ({mb:.1f} MiB "
        f"uncompressed); median of {args.repeat} runs after a warm-up. Compressed inputs "
        "written by dcmtk. "
        "Ratio = uncompressed pixel bytes / encapsulated pixel bytes over the series. Every "
        "output of ours decodes to the series' pixels.\n\n" + "\n".join(table)
    )
    report_results("transcode", report, SECTION)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
