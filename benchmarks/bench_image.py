"""to-image benchmarks: dicom-tools against dcmj2pnm and a bare pydicom + Pillow script.

    python benchmarks/bench_image.py [--repeat N] [--slices N]

Measures, in one run and on the same files (written to benchmarks/.work/image/):

1. cold start per file: `dicom-tools to-image F` vs `dcmj2pnm --write-png F` vs a bare script
   (dcmread + pixel_array + Pillow save), each a fresh process per file (target: CLI <= 1.2x bare);
2. in-process conversion throughput over a folder of CT slices generated from a pydicom-data CT
   (new UIDs and Instance Numbers), against dcmj2pnm started per slice (target: >= 3x faster);
3. peak memory (max RSS of the process) of `to-image --frame 0` on a generated uncompressed
   multi-frame file of more than 1 GB (target: < 150 MB).

Results go to benchmarks/README.md between the RESULTS:image markers. Timings are medians; the
machine is shared and noisy, so read ratios.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

from common import (
    BIN,
    WORK_ROOT,
    child_seconds,
    corpus_file,
    dcmtk_version,
    fresh_dir,
    machine,
    make_series,
    md_table,
    peak_rss,
    report_results,
    require_tools,
    run_quiet,
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
    args = ap.parse_args()
    if not require_tools(("dcmj2pnm",), "install dcmtk (make bench does)"):
        return 2
    out = fresh_dir(WORK / "out")
    slices = make_series(args.slices, WORK / "ct")
    bare = WORK / "bare_convert.py"
    bare.write_text(BARE)
    cli = str(BIN / "dicom-tools")
    rows: list[tuple[str, str, str]] = []

    # 1. Cold start, one process per file, the three tools interleaved on the same files.
    others = ["MR_small.dcm", "SC_rgb.dcm", "OBXXXX1A.dcm", "JPEG-LL.dcm", "emri_small_RLE.dcm"]
    cold_files = slices[:10] + [corpus_file(n) for n in others]
    tools = {
        "dicom-tools to-image": lambda f, i: [cli, "to-image", str(f), "-o", f"{out}/c{i}.png"],
        "dcmj2pnm --write-png": lambda f, i: ["dcmj2pnm", "--write-png", str(f), f"{out}/d{i}.png"],
        "bare dcmread + pixel_array + Pillow": lambda f, i: [
            sys.executable,
            str(bare),
            str(f),
            f"{out}/b{i}.png",
        ],
    }
    times: dict[str, list[float]] = {k: [] for k in tools}
    for make in tools.values():  # warm-up: bytecode and OS file caches
        run_quiet(make(cold_files[0], 99))
    for _ in range(args.repeat):
        for name, make in tools.items():
            total = sum(run_quiet(make(f, i)) for i, f in enumerate(cold_files))
            times[name].append(total / len(cold_files))
    med = {k: statistics.median(v) for k, v in times.items()}
    n_cold = len(cold_files)
    for name in tools:
        rows.append((f"cold `{name}`, per file ({n_cold} files)", f"{med[name] * 1000:.0f} ms", ""))
    ratio = med["dicom-tools to-image"] / med["bare dcmread + pixel_array + Pillow"]
    rows.append(("cold to-image / bare script", f"{ratio:.2f}x", "target <= 1.2x"))

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
    per_slice = child_seconds(loop, repeat=3) / len(slices)
    dcmtk_runs = []
    for _ in range(3):
        t0 = time.perf_counter()
        for i, f in enumerate(slices):
            subprocess.run(["dcmj2pnm", "--write-png", str(f), f"{out}/q{i}.png"], check=False)
        dcmtk_runs.append((time.perf_counter() - t0) / len(slices))
    dcmtk_slice = statistics.median(dcmtk_runs)
    n = len(slices)
    rows += [
        (
            f"to-image in-process, per 512x512 CT slice ({n} slices)",
            f"{per_slice * 1000:.1f} ms",
            "",
        ),
        ("dcmj2pnm --write-png started per slice", f"{dcmtk_slice * 1000:.1f} ms", ""),
        ("speed-up over dcmj2pnm per file", f"{dcmtk_slice / per_slice:.1f}x", "target >= 3x"),
    ]

    # 3. Peak memory of one frame of a > 1 GB multi-frame file.
    big = make_big_multiframe()
    size_gb = big.stat().st_size / 1e9
    frames = (big.stat().st_size - 1000) // (512 * 512 * 2)
    first, _, _ = peak_rss([cli, "to-image", str(big), "--frame", "0", "-o", f"{out}/big0.png"])
    last, _, _ = peak_rss(
        [cli, "to-image", str(big), "--frame", str(frames - 1), "-o", f"{out}/bigN.png"]
    )
    dcmtk_mem, _, _ = peak_rss(["dcmj2pnm", "--write-png", "+F", "1", str(big), f"{out}/bigd.png"])

    target = "target < 150 MB"
    rows += [
        (f"peak RSS `to-image --frame 0`, {size_gb:.2f} GB file", f"{first:.0f} MB", target),
        ("peak RSS `to-image --frame <last>`, same file", f"{last:.0f} MB", target),
        ("peak RSS `dcmj2pnm +F 1`, same file", f"{dcmtk_mem:.0f} MB", ""),
    ]

    table = md_table(("measurement", "result", "target"), rows)
    report = (
        f"Machine: {machine(dcmtk_version('dcmj2pnm'))}\n\nCold start: median of {args.repeat} "
        "rounds; throughput: median of 3 runs. Children cache bytecode as an installed package "
        "does.\n\n" + "\n".join(table)
    )
    report_results("image", report, SECTION)
    big.unlink()  # a gigabyte is not worth keeping around
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
