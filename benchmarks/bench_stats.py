"""Memory and time of `dicom-tools stats` / `histogram` against a bare numpy script.

    python benchmarks/bench_stats.py [--gib 1.0] [--repeat 3] [--keep]

Generates a synthetic uncompressed multi-frame CT-like file (512 x 512 int16 frames, rescale
slope 1 intercept -1024) of about ``--gib`` GiB in benchmarks/.work/, then measures:

- the peak RSS of `dicom-tools stats FILE --frame 0` and of a whole-file `stats FILE` (and
  `histogram FILE`), each in a fresh child process (resource.getrusage(RUSAGE_CHILDREN) read by
  a wrapper process that runs nothing else); target < 150 MB, independent of the frame count;
- the wall time of a whole-file stats against a bare numpy script (pydicom's full decode,
  apply_modality_lut, np.percentile & co.) on a smaller file of the same kind that numpy can
  hold in memory, and per file on a sample of the corpus, in one process each.

Writes the results to benchmarks/README.md between the RESULTS:stats markers.
"""

from __future__ import annotations

import argparse
import platform
import struct
import sys
import time
from io import BytesIO
from pathlib import Path

import numpy as np
from common import WORK_ROOT as WORK
from common import child_seconds, corpus_file, peak_rss, report_results

SECTION = "## stats and histogram"  # heading above the results, if README.md lacks them
# The children here inherit this script's environment unchanged, PYTHONDONTWRITEBYTECODE
# included (the other scripts give theirs common.ENV, which drops it).
CHILD_ENV = None
FRAME = (512, 512)
CORPUS = ["CT_small.dcm", "MR2_UNCI.dcm", "emri_small.dcm", "JPEG2000.dcm", "SC_rgb_2frame.dcm"]


def make_file(path: Path, frames: int) -> Path:
    """Write a multi-frame Explicit VR Little Endian CT image frame by frame (never all at once)."""
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian, generate_uid

    size = frames * FRAME[0] * FRAME[1] * 2
    if path.exists() and path.stat().st_size > size:
        return path
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.2"
    ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    ds.SOPClassUID = ds.file_meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID
    ds.Modality = "CT"
    ds.NumberOfFrames = frames
    ds.Rows, ds.Columns = FRAME
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 1
    ds.RescaleSlope, ds.RescaleIntercept, ds.RescaleType = 1, -1024, "HU"
    ds.WindowCenter, ds.WindowWidth = 40, 400
    head = BytesIO()
    ds.save_as(head, enforce_file_format=True)
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[: FRAME[0], : FRAME[1]]
    body = (((yy - 256) ** 2 + (xx - 256) ** 2) < 200**2).astype(np.int16) * 1000
    tmp = path.with_suffix(".tmp")
    with open(tmp, "wb") as f:
        f.write(head.getvalue())
        f.write(struct.pack("<HH2sHI", 0x7FE0, 0x0010, b"OW", 0, size))
        for i in range(frames):
            noise = rng.integers(0, 80, size=FRAME, dtype=np.int16)
            f.write((body + noise + (i % 200)).astype("<i2").tobytes())
    tmp.replace(path)
    return path


# One timed round over the files given on the command line; {setup} defines run(path).
LOOP = """
import sys, time
{setup}
{warm}
t = time.perf_counter()
for path in sys.argv[1:]:
    run(path)
print(time.perf_counter() - t)
"""

BARE = """
import numpy as np, pydicom
from pydicom.pixels import apply_modality_lut
def run(path):
    ds = pydicom.dcmread(path)
    v = apply_modality_lut(ds.pixel_array, ds)
    v = v.reshape(-1, v.shape[-1]) if ds.get("SamplesPerPixel", 1) > 1 else v.ravel()
    return (v.size, v.min(0), v.max(0), v.mean(0), v.std(0), np.median(v, 0),
            np.percentile(v, [1, 5, 25, 75, 95, 99], axis=0))
"""

OURS = """
from pathlib import Path
from dicom_tools.ops.stats import stats
def run(path):
    return stats(Path(path))
"""


def in_process(code: str, files: list[Path], repeat: int, warm: bool = False) -> float:
    """Median time of one round over ``files`` in one process (after a warm-up round if asked:
    lazy imports of decoder plugins then happen outside the timing)."""
    warmup = "for path in sys.argv[1:]:\n    run(path)" if warm else ""
    code = LOOP.replace("{setup}", code).replace("{warm}", warmup)
    return child_seconds(code, map(str, files), repeat, env=CHILD_ENV)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--gib", type=float, default=1.0, help="size of the big file (GiB)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--keep", action="store_true", help="keep the generated files")
    args = ap.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    frame_bytes = FRAME[0] * FRAME[1] * 2
    big_frames = max(1, round(args.gib * 2**30 / frame_bytes))
    big = make_file(WORK / f"stats_big_{big_frames}.dcm", big_frames)
    small = make_file(WORK / "stats_small_256.dcm", 256)
    half = make_file(WORK / f"stats_big_{big_frames // 2}.dcm", big_frames // 2)
    tool = [sys.executable, "-m", "dicom_tools"]

    rows = []
    base, _, _ = peak_rss([sys.executable, "-c", "import numpy, pydicom"], env=CHILD_ENV)
    rows.append(("python -c 'import numpy, pydicom' (baseline)", "-", base, None))
    for label, path, extra in [
        ("stats --frame 0", big, ["--frame", "0"]),
        ("stats (whole file)", big, []),
        ("stats (whole file, half the frames)", half, []),
        ("histogram (whole file)", big, []),
        ("stats --stored (whole file)", big, ["--stored"]),
    ]:
        op = "histogram" if label.startswith("histogram") else "stats"
        rss, wall, rc = peak_rss([*tool, op, str(path), *extra], env=CHILD_ENV)
        assert rc == 0, (label, rc)
        rows.append((label, f"{path.stat().st_size / 2**20:.0f} MiB", rss, wall))
    bare_script = LOOP.replace("{setup}", BARE).replace("{warm}", "")
    bare_rss, bare_wall, _ = peak_rss(
        [sys.executable, "-c", bare_script, str(small)], env=CHILD_ENV
    )
    ours_rss, ours_wall, _ = peak_rss([*tool, "stats", str(small)], env=CHILD_ENV)

    corpus = [corpus_file(n) for n in CORPUS]
    t_ours = in_process(OURS, corpus, args.repeat, warm=True)
    t_bare = in_process(BARE, corpus, args.repeat, warm=True)
    t_ours_small = in_process(OURS, [small], args.repeat)
    t_bare_small = in_process(BARE, [small], args.repeat)

    lines = [
        f"Run {time.strftime('%Y-%m-%d')} on {platform.machine()}, Python "
        f"{platform.python_version()}, numpy {np.__version__}; CPU only. Synthetic file: "
        f"{big_frames} frames of 512 x 512 int16 (rescale -1024), "
        f"{big.stat().st_size / 2**30:.2f} GiB, uncompressed.",
        "",
        "Peak RSS of one child process (target < 150 MB, independent of the frame count):",
        "",
        "| command | file | peak RSS (MiB) | wall (s) |",
        "|---|---|---:|---:|",
    ]
    for label, size, rss, wall in rows:
        lines.append(f"| {label} | {size} | {rss:.0f} | {'-' if wall is None else f'{wall:.2f}'} |")
    mib = small.stat().st_size / 2**20
    lines += [
        "",
        f"Whole-file stats on a {mib:.0f} MiB file of the same kind (256 frames), against a "
        "bare numpy script (dcmread, pixel_array, apply_modality_lut, np.percentile & co.):",
        "",
        "| | peak RSS (MiB) | wall, CLI (s) | in process (s) |",
        "|---|---:|---:|---:|",
        f"| dicom-tools stats | {ours_rss:.0f} | {ours_wall:.2f} | {t_ours_small:.2f} |",
        f"| bare numpy | {bare_rss:.0f} | {bare_wall:.2f} | {t_bare_small:.2f} |",
        "",
        f"Per file on {len(corpus)} corpus files ({', '.join(CORPUS)}), median of "
        f"{args.repeat} runs in one process, after a warm-up round: dicom-tools stats "
        f"{t_ours / len(corpus) * 1000:.1f} ms/file, "
        f"bare numpy {t_bare / len(corpus) * 1000:.1f} ms/file "
        f"(ratio {t_ours / t_bare:.2f}).",
    ]
    report_results("stats", "\n".join(lines), SECTION)
    if not args.keep:
        for p in (big, small, half):
            p.unlink(missing_ok=True)


if __name__ == "__main__":
    main()
