"""to-image benchmarks: dicom-tools against dcmj2pnm and a bare pydicom + Pillow script.

    python benchmarks/bench_image.py [--repeat N] [--slices N] [--before SRC]

Measures, in one run and on the same files (written to benchmarks/.work/image/):

1. cold start per file: `dicom-tools to-image F` vs `dcmj2pnm --write-png F` vs a bare script
   (dcmread + pixel_array + Pillow save), each a fresh process per file (target: CLI <= 1.2x bare);
2. in-process conversion throughput over a folder of CT slices generated from a pydicom-data CT
   (new UIDs and Instance Numbers), against dcmj2pnm started per slice (target: >= 3x faster);
3. peak memory (max RSS of the process) of `to-image --frame 0` on a generated uncompressed
   multi-frame file of more than 1 GB (target: < 150 MB).

With ``--before SRC`` every dicom-tools row runs on that tree and this checkout's src, interleaved
(common.trees). Results go to benchmarks/README.md between the RESULTS:image markers. Timings
are medians; the machine is shared and noisy, so read ratios.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

from common import (
    BIN,
    ENV,
    WORK_ROOT,
    add_before_option,
    ba_header,
    ba_note,
    ba_row,
    child_seconds,
    corpus_file,
    dcmtk_version,
    fresh_dir,
    interleaved,
    load_average,
    machine,
    make_series,
    md_table,
    peak_rss,
    report_results,
    require_tools,
    run_quiet,
    trees,
)

WORK = WORK_ROOT / "image"

BARE = """\
import sys
from pydicom import dcmread
from PIL import Image
ds = dcmread(sys.argv[1])
Image.fromarray(ds.pixel_array.astype("uint8")).save(sys.argv[2])
"""

SECTION = """## to-image

`.venv/bin/python benchmarks/bench_image.py` measures, in one run on the same files (written to
`benchmarks/.work/image/`): cold `dicom-tools to-image` vs `dcmj2pnm --write-png` vs a bare
dcmread + pixel_array + Pillow script, one process per file (target: <= 1.2x the bare script);
in-process conversion of 120 generated 512x512 CT slices vs dcmj2pnm started per slice (target:
>= 3x faster); and peak RSS of `to-image --frame 0` on a generated 1.1 GB uncompressed
multi-frame file (target: < 150 MB; the file is deleted afterwards).
"""


def make_big_multiframe(min_bytes: int = 1 << 30) -> Path:
    """An uncompressed 16-bit multi-frame file of more than ``min_bytes``, written frame-wise."""
    import numpy as np
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian, SecondaryCaptureImageStorage, generate_uid

    rows = cols = 512
    frame_bytes = rows * cols * 2
    frames = min_bytes // frame_bytes + 50
    path = WORK / "big_multiframe.dcm"
    if path.exists() and path.stat().st_size > min_bytes:
        return path
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = SecondaryCaptureImageStorage
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID = meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.Modality = "OT"
    ds.Rows, ds.Columns = rows, cols
    ds.NumberOfFrames = frames
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit = 16, 12, 11
    ds.PixelRepresentation = 0
    head = WORK / "big_header.dcm"
    ds.save_as(head, enforce_file_format=True)
    ramp = (np.add.outer(np.arange(rows), np.arange(cols)) % 4096).astype("<u2")
    with open(path, "wb") as f:
        f.write(head.read_bytes())
        # Pixel Data (7FE0,0010) OW, explicit VR: tag, VR, 2 reserved bytes, 32-bit length.
        f.write(b"\xe0\x7f\x10\x00OW\x00\x00" + (frames * frame_bytes).to_bytes(4, "little"))
        for i in range(frames):
            f.write(((ramp + i) % 4096).astype("<u2").tobytes())
    head.unlink()
    return path


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeat", type=int, default=5, help="rounds of the cold-start comparison")
    ap.add_argument("--slices", type=int, default=120, help="CT slices for the throughput test")
    ap.add_argument("--throughput-repeat", type=int, default=10, help="runs of the batch loop")
    add_before_option(ap)
    args = ap.parse_args()
    if not require_tools(("dcmj2pnm",), "install dcmtk (make bench does)"):
        return 2
    tree_list = trees(args.before)
    out = fresh_dir(WORK / "out")
    slices = make_series(args.slices, WORK / "ct")
    bare = WORK / "bare_convert.py"
    bare.write_text(BARE)
    cli = str(BIN / "dicom-tools")
    load_before = load_average()
    rows: list[list[str]] = []

    # 1. Cold start, one process per file, the tools (and trees) interleaved on the same files.
    others = ["MR_small.dcm", "SC_rgb.dcm", "OBXXXX1A.dcm", "JPEG-LL.dcm", "emri_small_RLE.dcm"]
    cold_files = slices[:10] + [corpus_file(n) for n in others]
    n_cold = len(cold_files)

    def per_file(make, env=ENV):
        return lambda: sum(run_quiet(make(f, i), env) for i, f in enumerate(cold_files)) / n_cold

    def ours(f, i):
        return [cli, "to-image", str(f), "-o", f"{out}/c{i}.png"]

    runs = {t.name: per_file(ours, t.env) for t in tree_list}
    runs["dcmj2pnm"] = per_file(lambda f, i: ["dcmj2pnm", "--write-png", str(f), f"{out}/d{i}.png"])
    runs["bare"] = per_file(lambda f, i: [sys.executable, str(bare), str(f), f"{out}/b{i}.png"])
    med = interleaved(runs, args.repeat)
    cold = {t.name: med[t.name] for t in tree_list}
    target = f"{cold['after'] / med['bare']:.2f}x bare script, <= 1.2x: " + (
        "met" if cold["after"] / med["bare"] <= 1.2 else "MISSED"
    )
    if "before" in cold:
        target += f"; before {cold['before'] / med['bare']:.2f}x"
    rows += [
        ba_row(
            tree_list,
            f"cold `dicom-tools to-image`, per file ({n_cold} files)",
            cold,
            target=target,
        ),
        ba_row(
            tree_list, f"cold `dcmj2pnm --write-png`, per file ({n_cold} files)", med["dcmj2pnm"]
        ),
        ba_row(
            tree_list,
            f"cold bare dcmread + pixel_array + Pillow, per file ({n_cold} files)",
            med["bare"],
        ),
    ]

    # 2. In-process throughput over the CT folder vs dcmj2pnm started per slice.
    listing = repr([str(f) for f in slices])
    loop = (
        "import time; from pathlib import Path; from dicom_tools.ops.image import to_image\n"
        f"fs = {listing}; o = Path({str(out)!r})\n"
        "to_image(Path(fs[0]), o / 'warm.png')\n"  # imports and first-call setup excluded
        "t = time.perf_counter()\n"
        "for i, f in enumerate(fs): to_image(Path(f), o / f'p{i}.png')\n"
        "print(time.perf_counter() - t)"
    )
    n = len(slices)

    def dcmtk_slices() -> float:
        t0 = time.perf_counter()
        for i, f in enumerate(slices):
            subprocess.run(["dcmj2pnm", "--write-png", str(f), f"{out}/q{i}.png"], check=False)
        return (time.perf_counter() - t0) / n

    runs = {t.name: (lambda t=t: child_seconds(loop, env=t.env) / n) for t in tree_list}
    runs["dcmtk"] = dcmtk_slices
    med = interleaved(runs, args.throughput_repeat, warmup=False)
    per_slice = {t.name: med[t.name] for t in tree_list}
    speed = med["dcmtk"] / per_slice["after"]
    target = f"{speed:.2f}x faster than dcmj2pnm, >= 3x: " + ("met" if speed >= 3 else "MISSED")
    if "before" in per_slice:
        target += f"; before {med['dcmtk'] / per_slice['before']:.2f}x"
    ms = lambda v: f"{v * 1000:.1f} ms"  # noqa: E731
    rows += [
        ba_row(
            tree_list,
            f"to-image in-process, per 512x512 CT slice ({n} slices)",
            per_slice,
            ms,
            target,
        ),
        ba_row(tree_list, "dcmj2pnm --write-png started per slice", med["dcmtk"], ms),
    ]

    # 3. Peak memory of one frame of a > 1 GB multi-frame file.
    big = make_big_multiframe()
    size_gb = big.stat().st_size / 1e9
    frames = (big.stat().st_size - 1000) // (512 * 512 * 2)
    mb = lambda v: f"{v:.0f} MB"  # noqa: E731
    for label, frame in (("0", 0), ("<last>", frames - 1)):
        cmd = [cli, "to-image", str(big), "--frame", str(frame), "-o", f"{out}/big.png"]
        rss = {t.name: peak_rss(cmd, t.env)[0] for t in tree_list}
        rows.append(ba_row(tree_list, f"peak RSS `to-image --frame {label}`, {size_gb:.2f} GB file",
                           rss, mb, "< 150 MB"))  # fmt: skip
    dcmtk_mem, _, _ = peak_rss(["dcmj2pnm", "--write-png", "+F", "1", str(big), f"{out}/bigd.png"])
    rows.append(ba_row(tree_list, "peak RSS `dcmj2pnm +F 1`, same file", dcmtk_mem, mb))
    loads = f"{load_before} / {load_average()}"
    rows.append(ba_row(tree_list, "load average (1/5/15 min), before / after", 0, lambda _: loads))

    table = md_table(ba_header(tree_list), rows, right={1, 2, 3})
    report = (
        f"Machine: {machine(dcmtk_version('dcmj2pnm'))}\n\nCold start: median of {args.repeat} "
        f"interleaved rounds over {n_cold} files each (one process per file: slow rows, fewer "
        f"rounds); throughput: median of {args.throughput_repeat} interleaved runs, each a fresh "
        "process timing its loop after one warm-up slice. Children cache bytecode as an "
        "installed package does.\n\n" + "\n".join(table) + "\n\n" + ba_note(tree_list)
    )
    report_results("image", report, SECTION)
    big.unlink()  # a gigabyte is not worth keeping around
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
