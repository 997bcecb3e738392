"""One frame of a big multi-frame file: time and memory independent of the frame count.

    python benchmarks/bench_frames.py [--frames 25,100,400,512] [--repeat 5] [--cli-repeat 5]
                                      [--before SRC] [--keep]

Generates uncompressed multi-frame files of 1024 x 1024 uint16 frames (2 MiB each; 512 frames
is 1 GiB) in benchmarks/.work/, then measures on each:

- the time to decode one frame with the pixel source (``open_pixels(path).frame(N)``, the file
  opened once, median over frames spread through the file), in one process after a warm-up;
- the peak RSS and wall time of ``dicom-tools to-image --frame N`` and ``stats --frame N`` (N the
  last frame), each in a fresh child process; target < 150 MB.

``--before SRC`` runs every row with another checkout's ``src`` first on PYTHONPATH too, side by
side and interleaved (common.trees; e.g. the commit before the pixel source moved to
dicom/pixels.py, where it was imaging/decode.py).
Writes the results to benchmarks/README.md between the RESULTS:frames markers.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import struct
import sys
import time
from io import BytesIO
from pathlib import Path

import numpy as np
from common import WORK_ROOT as WORK
from common import (
    add_before_option,
    ba_header,
    ba_note,
    ba_row,
    child_seconds,
    load_average,
    md_table,
    peak_rss,
    report_results,
    trees,
)

SECTION = (
    "## one frame of a big multi-frame file\n\n"
    "`bench_frames.py`: the pixel source reads and decodes only the frame asked for, so the "
    "time and memory for one frame do not grow with the number of frames in the file.\n"
)
FRAME = (1024, 1024)

ONE_FRAME = """
import sys, time, statistics
try:
    from dicom_tools.dicom.pixels import open_pixels
except ImportError:  # before the base layer (issue 10)
    from dicom_tools.imaging.decode import open_pixels
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
    ap.add_argument("--cli-repeat", type=int, default=5, help="runs of each CLI command")
    add_before_option(ap)
    ap.add_argument("--keep", action="store_true", help="keep the generated files")
    args = ap.parse_args()
    tree_list = trees(args.before)
    WORK.mkdir(parents=True, exist_ok=True)
    counts = [int(n) for n in args.frames.split(",")]
    files = [make_file(WORK / f"frames_{n}.dcm", n) for n in counts]
    tool = [sys.executable, "-m", "dicom_tools"]
    load_before = load_average()
    mib = lambda v: f"{v:.0f} MiB"  # noqa: E731
    sec = lambda v: f"{v:.2f} s"  # noqa: E731

    rows = []
    for n, path in zip(counts, files, strict=True):
        size = f"{n} frames ({path.stat().st_size / 2**20:.0f} MiB)"
        one = {
            t.name: child_seconds(ONE_FRAME.format(repeat=args.repeat), [str(path)], 1, t.env)
            for t in tree_list
        }
        rows.append(
            ba_row(tree_list, f"{size}: frame(N) in process", one, lambda v: f"{v * 1000:.1f} ms")
        )
        last = str(n - 1)
        out = WORK / "frames.png"
        for verb, cmd in (
            ("to-image", [*tool, "to-image", str(path), "-o", str(out), "--frame", last]),
            ("stats", [*tool, "stats", str(path), "--frame", last]),
        ):
            runs: dict[str, list] = {t.name: [] for t in tree_list}
            for _ in range(args.cli_repeat):
                for t in tree_list:
                    runs[t.name].append(peak_rss(cmd, env=t.env))
            assert all(rc == 0 for r in runs.values() for _, _, rc in r), (cmd, runs)
            rss = {k: max(r[0] for r in v) for k, v in runs.items()}
            wall = {k: statistics.median(r[1] for r in v) for k, v in runs.items()}
            rows.append(ba_row(tree_list, f"{size}: `{verb} --frame N` peak RSS", rss, mib,
                               "< 150 MB"))  # fmt: skip
            rows.append(ba_row(tree_list, f"{size}: `{verb} --frame N` wall", wall, sec))
        out.unlink(missing_ok=True)
    loads = f"{load_before} / {load_average()}"
    rows.append(ba_row(tree_list, "load average (1/5/15 min), before / after", 0, lambda _: loads))

    lines = [
        f"Run {time.strftime('%Y-%m-%d')} on {platform.machine()}, Python "
        f"{platform.python_version()}, numpy {np.__version__}; CPU only, a shared 2-core machine. "
        "Files of 1024 x 1024 uint16 frames, Explicit VR Little Endian; N is the last frame; "
        f"in-process time: median over 5 frames spread through the file x {args.repeat}, one "
        f"process per tree; CLI: peak RSS (max) and wall (median) of {args.cli_repeat} fresh "
        "processes each, trees interleaved (whole-process runs of about a second: fewer runs).",
        "",
        *md_table(ba_header(tree_list), rows, right={1, 2, 3}),
        "",
        ba_note(tree_list),
    ]
    report_results("frames", "\n".join(lines), SECTION)
    if not args.keep:
        for p in files:
            p.unlink(missing_ok=True)


if __name__ == "__main__":
    main()
