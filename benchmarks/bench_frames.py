"""One frame of a big multi-frame file: time and memory independent of the frame count.

    python benchmarks/bench_frames.py [--frames 25,100,400,512] [--repeat 5] [--cli-repeat 3]
                                      [--before SRC] [--keep]

Generates uncompressed multi-frame files of 1024 x 1024 uint16 frames (2 MiB each; 512 frames
is 1 GiB) in benchmarks/.work/, then measures on each:

- the time to decode one frame with the pixel source (``open_pixels(path).frame(N)``, the file
  opened once, median over frames spread through the file), in one process after a warm-up;
- the peak RSS and wall time of ``dicom-tools to-image --frame N`` and ``stats --frame N`` (N the
  last frame), each in a fresh child process; target < 150 MB.

``--before SRC`` runs the two CLI rows with another checkout's ``src`` first on PYTHONPATH too,
side by side (e.g. the commit before the pixel source moved to dicom/pixels.py).
Writes the results to benchmarks/README.md between the RESULTS:frames markers.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import struct
import sys
import time
from io import BytesIO
from pathlib import Path

import numpy as np
from common import ENV, child_seconds, peak_rss, report_results
from common import WORK_ROOT as WORK

SECTION = (
    "## one frame of a big multi-frame file\n\n"
    "`bench_frames.py`: the pixel source reads and decodes only the frame asked for, so the "
    "time and memory for one frame do not grow with the number of frames in the file.\n"
)
FRAME = (1024, 1024)
SRC = Path(__file__).resolve().parents[1] / "src"

ONE_FRAME = """
import sys, time, statistics
from dicom_tools.dicom.pixels import open_pixels
src = open_pixels(sys.argv[1])
picks = sorted({{0, src.frames // 3, src.frames // 2, 2 * src.frames // 3, src.frames - 1}})
src.frame(picks[-1])  # warm-up: decoder imports
times = []
for _ in range({repeat}):
    for i in picks:
        t = time.perf_counter()
        src.frame(i)
        times.append(time.perf_counter() - t)
print(statistics.median(times))
"""


def make_file(path: Path, frames: int) -> Path:
    """An Explicit VR Little Endian multi-frame file, written frame by frame."""
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import generate_uid

    size = frames * FRAME[0] * FRAME[1] * 2
    if path.exists() and path.stat().st_size > size:
        return path
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = "1.2.840.10008.1.2.1"
    ds.file_meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.7.3"  # MF grayscale word SC
    ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    ds.SOPClassUID = ds.file_meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID
    ds.Modality = "OT"
    ds.NumberOfFrames = frames
    ds.Rows, ds.Columns = FRAME
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 0
    head = BytesIO()
    ds.save_as(head, enforce_file_format=True)
    yy, xx = np.mgrid[: FRAME[0], : FRAME[1]]
    ramp = ((yy + xx) % 4096).astype("<u2")
    tmp = path.with_suffix(".tmp")
    with open(tmp, "wb") as f:
        f.write(head.getvalue())
        f.write(struct.pack("<HH2sHI", 0x7FE0, 0x0010, b"OW", 0, size))
        for i in range(frames):
            f.write(((ramp + i) % 4096).astype("<u2").tobytes())
    tmp.replace(path)
    return path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", default="25,100,400,512", help="frame counts, comma-separated")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--cli-repeat", type=int, default=3, help="runs of each CLI command")
    ap.add_argument("--before", type=Path, help="another checkout's src/ to compare with")
    ap.add_argument("--keep", action="store_true", help="keep the generated files")
    args = ap.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    counts = [int(n) for n in args.frames.split(",")]
    files = [make_file(WORK / f"frames_{n}.dcm", n) for n in counts]
    env = {**ENV, "PYTHONPATH": f"{SRC}{os.pathsep}{ENV.get('PYTHONPATH', '')}"}
    trees = [("after", env)]
    if args.before:
        before = {**ENV, "PYTHONPATH": f"{args.before}{os.pathsep}{ENV.get('PYTHONPATH', '')}"}
        trees.insert(0, ("before", before))
    tool = [sys.executable, "-m", "dicom_tools"]

    rows = []
    for n, path in zip(counts, files, strict=True):
        one = child_seconds(ONE_FRAME.format(repeat=args.repeat), [str(path)], 1, env=env)
        cells = [str(n), f"{path.stat().st_size / 2**20:.0f}", f"{one * 1000:.1f}"]
        last = str(n - 1)
        for _, tree_env in trees:
            out = WORK / "frames.png"
            for cmd in (
                [*tool, "to-image", str(path), "-o", str(out), "--frame", last],
                [*tool, "stats", str(path), "--frame", last],
            ):
                runs = [peak_rss(cmd, env=tree_env) for _ in range(args.cli_repeat)]
                assert all(rc == 0 for _, _, rc in runs), (cmd, runs)
                rss = max(r[0] for r in runs)
                wall = statistics.median(r[1] for r in runs)
                cells += [f"{rss:.0f}", f"{wall:.2f}"]
            out.unlink(missing_ok=True)
        rows.append(cells)

    header = ["frames", "file (MiB)", "frame(N) in process (ms)"]
    for name, _ in trees:
        suffix = f" {name}" if len(trees) > 1 else ""
        header += [
            f"to-image --frame N{suffix}: RSS (MiB)",
            "wall (s)",
            f"stats --frame N{suffix}: RSS (MiB)",
            "wall (s)",
        ]
    lines = [
        f"Run {time.strftime('%Y-%m-%d')} on {platform.machine()}, Python "
        f"{platform.python_version()}, numpy {np.__version__}; CPU only, a shared 2-core machine. "
        "Files of 1024 x 1024 uint16 frames, Explicit VR Little Endian; N is the last frame; "
        f"in-process time: median over 5 frames spread through the file x {args.repeat}; CLI: "
        f"peak RSS (max) and wall (median) of {args.cli_repeat} fresh processes each.",
        "",
        "| " + " | ".join(header) + " |",
        "|---|" + "---:|" * (len(header) - 1),
        *("| " + " | ".join(r) + " |" for r in rows),
    ]
    if args.before:
        lines += ["", f"before: `{args.before}`; after: this checkout's `src`."]
    report_results("frames", "\n".join(lines), SECTION)
    if not args.keep:
        for p in files:
            p.unlink(missing_ok=True)


if __name__ == "__main__":
    main()
