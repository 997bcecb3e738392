"""Memory and time of `dicom-tools stats` / `histogram` against a bare numpy script.

    python benchmarks/bench_stats.py [--gib 1.0] [--repeat 3] [--corpus-repeat 10] [--keep]
                                     [--before SRC]

Generates a synthetic uncompressed multi-frame CT-like file (512 x 512 int16 frames, rescale
slope 1 intercept -1024) of about ``--gib`` GiB in benchmarks/.work/, then measures:

- the peak RSS of `dicom-tools stats FILE --frame 0` and of a whole-file `stats FILE` (and
  `histogram FILE`), each in a fresh child process (resource.getrusage(RUSAGE_CHILDREN) read by
  a wrapper process that runs nothing else); target < 150 MB, independent of the frame count;
- the wall time of a whole-file stats against a bare numpy script (pydicom's full decode,
  apply_modality_lut, np.percentile & co.) on a smaller file of the same kind that numpy can
  hold in memory, and per file on a sample of the corpus, in one process each.

With ``--before SRC`` every dicom-tools row runs on that tree and this checkout's src, interleaved
(common.trees). Writes the results to benchmarks/README.md between the RESULTS:stats markers.
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
from common import (
    ENV,
    Tree,
    add_before_option,
    ba_header,
    ba_note,
    ba_row,
    child_seconds,
    corpus_file,
    load_average,
    md_table,
    peak_rss,
    report_results,
    trees,
)
from common import WORK_ROOT as WORK

SECTION = "## stats and histogram"  # heading above the results, if README.md lacks them
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


def in_process(
    code: str, files: list[Path], repeat: int, env: dict[str, str], warm: bool = False
) -> float:
    """Time of one round over ``files`` in one fresh process (after a warm-up round if asked:
    lazy imports of decoder plugins then happen outside the timing); median of ``repeat``."""
    warmup = "for path in sys.argv[1:]:\n    run(path)" if warm else ""
    code = LOOP.replace("{setup}", code).replace("{warm}", warmup)
    return child_seconds(code, map(str, files), repeat, env=env)


def per_tree(tree_list: list[Tree], repeat: int, measure) -> dict[str, list]:
    """``repeat`` results of ``measure(tree)`` per tree, trees interleaved round by round."""
    got: dict[str, list] = {t.name: [] for t in tree_list}
    for _ in range(repeat):
        for t in tree_list:
            got[t.name].append(measure(t))
    return got


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--gib", type=float, default=1.0, help="size of the big file (GiB)")
    ap.add_argument("--repeat", type=int, default=3, help="runs of each whole-file command")
    ap.add_argument("--corpus-repeat", type=int, default=10, help="runs of the corpus loop")
    ap.add_argument("--keep", action="store_true", help="keep the generated files")
    add_before_option(ap)
    args = ap.parse_args()
    tree_list = trees(args.before)
    WORK.mkdir(parents=True, exist_ok=True)
    frame_bytes = FRAME[0] * FRAME[1] * 2
    big_frames = max(1, round(args.gib * 2**30 / frame_bytes))
    big = make_file(WORK / f"stats_big_{big_frames}.dcm", big_frames)
    small = make_file(WORK / "stats_small_256.dcm", 256)
    half = make_file(WORK / f"stats_big_{big_frames // 2}.dcm", big_frames // 2)
    tool = [sys.executable, "-m", "dicom_tools"]
    load_before = load_average()
    mib = lambda v: f"{v:.0f} MiB"  # noqa: E731
    sec = lambda v: f"{v:.2f} s"  # noqa: E731
    med = lambda runs, i: {k: statistics.median(r[i] for r in v) for k, v in runs.items()}  # noqa: E731
    top = lambda runs, i: {k: max(r[i] for r in v) for k, v in runs.items()}  # noqa: E731

    rows = []
    base, _, _ = peak_rss([sys.executable, "-c", "import numpy, pydicom"], env=ENV)
    rows.append(
        ba_row(tree_list, "peak RSS, python -c 'import numpy, pydicom' (baseline)", base, mib)
    )
    for label, path, extra in [
        ("stats --frame 0", big, ["--frame", "0"]),
        ("stats (whole file)", big, []),
        ("stats (whole file, half the frames)", half, []),
        ("histogram (whole file)", big, []),
        ("stats --stored (whole file)", big, ["--stored"]),
    ]:
        op = "histogram" if label.startswith("histogram") else "stats"
        cmd = [*tool, op, str(path), *extra]
        runs = per_tree(tree_list, args.repeat, lambda t, cmd=cmd: peak_rss(cmd, env=t.env))
        assert all(r[2] == 0 for v in runs.values() for r in v), (label, runs)
        what = f"`{label}`, {path.stat().st_size / 2**20:.0f} MiB"
        rows.append(ba_row(tree_list, f"{what}: peak RSS", top(runs, 0), mib, "< 150 MB"))
        rows.append(ba_row(tree_list, f"{what}: wall", med(runs, 1), sec))

    bare_script = LOOP.replace("{setup}", BARE).replace("{warm}", "")
    bare_rss, bare_wall, _ = peak_rss([sys.executable, "-c", bare_script, str(small)], env=ENV)
    runs = per_tree(tree_list, args.repeat, lambda t: peak_rss([*tool, "stats", str(small)], t.env))
    small_mib = f"{small.stat().st_size / 2**20:.0f} MiB"
    corpus = [corpus_file(n) for n in CORPUS]
    t_ours_small = per_tree(tree_list, args.repeat, lambda t: in_process(OURS, [small], 1, t.env))
    t_bare_small = in_process(BARE, [small], args.repeat, ENV)
    t_ours = per_tree(
        tree_list, args.corpus_repeat, lambda t: in_process(OURS, corpus, 1, t.env, warm=True)
    )
    t_bare = in_process(BARE, corpus, args.corpus_repeat, ENV, warm=True)
    per_file = {k: statistics.median(v) / len(corpus) for k, v in t_ours.items()}
    rows += [
        ba_row(tree_list, f"`stats`, {small_mib} (256 frames): peak RSS", top(runs, 0), mib),
        ba_row(tree_list, "bare numpy script, same file: peak RSS", bare_rss, mib),
        ba_row(tree_list, f"`stats`, {small_mib}: wall, CLI", med(runs, 1), sec),
        ba_row(tree_list, "bare numpy script, same file: wall, CLI", bare_wall, sec),
        ba_row(
            tree_list,
            f"stats(), {small_mib}: in process",
            {k: statistics.median(v) for k, v in t_ours_small.items()},
            sec,
        ),
        ba_row(tree_list, "bare numpy, same file: in process", t_bare_small, sec),
        ba_row(
            tree_list,
            f"stats() per corpus file ({len(corpus)} files), in process",
            per_file,
            lambda v: f"{v * 1000:.1f} ms",
            f"{per_file['after'] * len(corpus) / t_bare:.2f}x bare numpy",
        ),
        ba_row(
            tree_list,
            "bare numpy per corpus file, in process",
            t_bare / len(corpus),
            lambda v: f"{v * 1000:.1f} ms",
        ),
    ]
    loads = f"{load_before} / {load_average()}"
    rows.append(ba_row(tree_list, "load average (1/5/15 min), before / after", 0, lambda _: loads))

    lines = [
        f"Run {time.strftime('%Y-%m-%d')} on {platform.machine()}, Python "
        f"{platform.python_version()}, numpy {np.__version__}; CPU only. Synthetic file: "
        f"{big_frames} frames of 512 x 512 int16 (rescale -1024), "
        f"{big.stat().st_size / 2**30:.2f} GiB, uncompressed.",
        "",
        "Peak RSS (max) and wall (median) of one child process per run, "
        f"{args.repeat} runs per tree for the whole-file commands (seconds each: fewer runs), "
        "trees interleaved; the bare numpy script (dcmread, pixel_array, apply_modality_lut, "
        "np.percentile & co.) is the peer. Corpus: "
        f"{', '.join(CORPUS)}, median of {args.corpus_repeat} fresh processes per tree, "
        "each timing one round after a warm-up round. Peak RSS target < 150 MB, independent of "
        "the frame count.",
        "",
        *md_table(ba_header(tree_list), rows, right={1, 2, 3}),
        "",
        ba_note(tree_list),
    ]
    report_results("stats", "\n".join(lines), SECTION)
    if not args.keep:
        for p in (big, small, half):
            p.unlink(missing_ok=True)


if __name__ == "__main__":
    main()
