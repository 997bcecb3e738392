"""transcode benchmarks: dicom-tools side by side with dcmtk on the same CT series.

    python benchmarks/bench_transcode.py [--slices N] [--repeat N] [--before SRC]

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
output of ours is checked to decode to the input's pixels. With ``--before SRC`` the in-process
rows run, each in a fresh process per tree, on that tree and on this checkout's src, interleaved
with dcmtk (common.trees, common.call_in). Results go to benchmarks/README.md between the
RESULTS:transcode markers.
"""

from __future__ import annotations

import argparse
import subprocess
import time
import warnings
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
    interleaved,
    load_average,
    machine,
    make_series,
    md_table,
    report_results,
    require_tools,
    trees,
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


def ours_batch(syntax: str, files: list[str], out: str) -> float:
    """Seconds per file for in-process transcode over the whole list, after 3 untimed files
    (imports, codec set-up). Run in a child of each tree by common.call_in."""
    from dicom_tools.ops.transcode import transcode

    paths = [Path(f) for f in files]
    for f in paths[:3]:
        transcode(f, Path(out) / f.name, transfer_syntax=syntax)
    t0 = time.perf_counter()
    for f in paths:
        transcode(f, Path(out) / f.name, transfer_syntax=syntax)
    return (time.perf_counter() - t0) / len(paths)


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
    ap.add_argument("--repeat", type=int, default=10, help="timed runs per measurement")
    add_before_option(ap)
    args = ap.parse_args()
    dcmtk = ("dcmcjpls", "dcmcjpeg", "dcmcrle", "dcmdjpls", "dcmdjpeg", "dcmdrle")
    if not require_tools(dcmtk, "install dcmtk (make bench does)"):
        return 2
    warnings.simplefilter("ignore")
    tree_list = trees(args.before)
    load_before = load_average()

    series = make_series(args.slices, WORK / "ct")
    mb = sum(f.stat().st_size for f in series) / 2**20
    sources = {
        "JPEG-LS lossless": (["dcmcjpls"], ["dcmdjpls"], fresh("src_jls")),
        "JPEG lossless SV1": (["dcmcjpeg", "+e1"], ["dcmdjpeg"], fresh("src_jll")),
        "RLE": (["dcmcrle"], ["dcmdrle"], fresh("src_rle")),
    }
    for compress, _, folder in sources.values():
        dcmtk_batch(compress, series, folder)

    def measure(tool: list[str], inputs: list[Path], syntax: str) -> tuple[dict, dict]:
        """Medians per file of dcmtk and of each tree (interleaved), and the trees' outputs."""
        out_d = fresh("dcmtk")
        outs = {t.name: fresh(f"ours_{t.name}") for t in tree_list}
        names = [str(f) for f in inputs]
        runs: dict[str, Callable[[], float]] = {"dcmtk": lambda: dcmtk_batch(tool, inputs, out_d)}
        for t in tree_list:
            runs[t.name] = lambda t=t: call_in(t, ours_batch, syntax, names, str(outs[t.name]),
                                               warm=False)  # fmt: skip
        runs["dcmtk"]()  # warm-up: page cache (each child warms itself)
        return interleaved(runs, args.repeat, warmup=False), {**outs, "dcmtk": out_d}

    ms = lambda v: f"{v * 1000:.1f} ms"  # noqa: E731
    rows: list[list[str]] = []
    # Decompression to Explicit VR Little Endian.
    for label, (_, decompress, folder) in sources.items():
        med, outs = measure(decompress, sorted(folder.iterdir()), "explicit-vr-little-endian")
        for t in tree_list:
            check_same_pixels(outs[t.name], series)
        ours = {t.name: med[t.name] for t in tree_list}
        target = f"{med['dcmtk'] / ours['after']:.2f}x faster than dcmtk, >= 1x"
        if "before" in ours:
            target += f"; before {med['dcmtk'] / ours['before']:.2f}x"
        rows += [
            ba_row(tree_list, f"decompress {label} -> explicit LE", ours, ms, target),
            ba_row(tree_list, f"`{decompress[0]}` started per file", med["dcmtk"], ms),
        ]
    # Compression of the uncompressed series.
    for label, tool, syntax in (
        ("RLE", ["dcmcrle"], "rle"),
        ("JPEG-LS lossless", ["dcmcjpls"], "jpeg-ls-lossless"),
    ):
        med, outs = measure(tool, series, syntax)
        for t in tree_list:
            check_same_pixels(outs[t.name], series)
        r_dcmtk = pixel_ratio(sorted(outs["dcmtk"].iterdir()))
        ratio = {t.name: pixel_ratio(sorted(outs[t.name].iterdir())) for t in tree_list}
        ours = {t.name: med[t.name] for t in tree_list}
        target = f"{med['dcmtk'] / ours['after']:.2f}x faster than dcmtk, >= 1x"
        if "before" in ours:
            target += f"; before {med['dcmtk'] / ours['before']:.2f}x"
        rows += [
            ba_row(tree_list, f"compress explicit LE -> {label}", ours, ms, target),
            ba_row(tree_list, f"`{tool[0]}` started per file", med["dcmtk"], ms),
            ba_row(
                tree_list,
                f"compression ratio, {label} (dcmtk {r_dcmtk:.3f})",
                ratio,
                lambda v: f"{v:.3f}",
                f"within 5% of dcmtk: {(ratio['after'] / r_dcmtk - 1) * 100:+.1f}%",
            ),
        ]
    loads = f"{load_before} / {load_average()}"
    rows.append(ba_row(tree_list, "load average (1/5/15 min), before / after", 0, lambda _: loads))

    table = md_table(ba_header(tree_list, "per file"), rows, right=(1, 2, 3))
    host = machine(dcmtk_version("dcmdjpls"), packages=("pydicom", "numpy"))
    report = (
        f"Machine: {host}\n\n"
        f"Series: {len(series)} slices of 512 x 512, 16 bits allocated ({mb:.1f} MiB "
        f"uncompressed); medians of {args.repeat} runs over the series, dcmtk (one process per "
        "file) and each tree (one process per run, timing its loop after 3 untimed files) "
        "interleaved. Compressed inputs written by dcmtk. "
        "Ratio = uncompressed pixel bytes / encapsulated pixel bytes over the series. Every "
        "output of ours decodes to the series' pixels.\n\n"
        + "\n".join(table)
        + "\n\n"
        + ba_note(tree_list)
    )
    report_results("transcode", report, SECTION)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
