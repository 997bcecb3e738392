"""stats and histogram against an independent numpy computation on pydicom's full decode.

The reference is ``pydicom.dcmread(f).pixel_array`` (every frame at once), through
``pydicom.pixels.apply_modality_lut`` (or, for enhanced objects, whose functional groups pydicom
ignores, the rescale formula written out here), then np.percentile (method "linear"),
np.median, np.mean, np.std (ddof=0) and np.histogram.
"""

from __future__ import annotations

import itertools
import json
import os
from pathlib import Path

import numpy as np
import pydicom
import pytest
from conftest import corpus_file, run_cli
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.encaps import encapsulate
from pydicom.pixels import apply_modality_lut
from pydicom.sequence import Sequence
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

from dicom_tools.dicom.pixels import open_pixels
from dicom_tools.errors import InputError, MissingDependencyError, UsageError
from dicom_tools.imaging import backend
from dicom_tools.imaging import statistics as stats_mod
from dicom_tools.imaging.modality import IDENTITY
from dicom_tools.ops.stats import histogram, stats

PCTS = [1, 5, 25, 75, 95, 99]

SAMPLES = [
    # monochrome: signed/unsigned, 1/8/12/16/32 bits, rescale, LUT, multi-frame, compressed
    "CT_small.dcm",
    "MR_small_bigendian.dcm",
    "MR2_UNCI.dcm",
    "mlut_18.dcm",
    "vlut_04.dcm",
    "RG1_UNCI.dcm",
    "image_dfl.dcm",
    "emri_small.dcm",
    "emri_small_RLE.dcm",
    "emri_small_jpeg_ls_lossless.dcm",
    "emri_small_jpeg_2k_lossless.dcm",
    "JPGExtended.dcm",
    "JPEG2000.dcm",
    "693_J2KI.dcm",
    "JPEGLSNearLossless_16.dcm",
    "rtdose.dcm",
    "rtdose_rle.dcm",
    "liver.dcm",
    "eCT_Supplemental.dcm",
    "OBXXXX1A_2frame.dcm",
    # colour: RGB planar 0/1, YBR, 8/16/32-bit, multi-frame, RLE/JPEG/J2K
    "color-px.dcm",
    "color-pl.dcm",
    "SC_rgb_16bit_2frame.dcm",
    "SC_rgb_32bit_2frame.dcm",
    "SC_rgb_rle_2frame.dcm",
    "SC_ybr_full_422_uncompressed.dcm",
    "SC_rgb_jpeg_dcmtk.dcm",
    "examples_ybr_color.dcm",
    "US1_J2KR.dcm",
]


def _path(name: str) -> Path:
    return corpus_file(name)  # the corpus is complete (conftest counts it): never skipped


def _pvt(item: Dataset | None) -> tuple[float, float] | None:
    seq = item.get("PixelValueTransformationSequence") if item is not None else None
    if not seq or "RescaleSlope" not in seq[0]:
        return None
    return float(seq[0].RescaleSlope), float(seq[0].RescaleIntercept)


def reference(path: Path, stored: bool = False) -> list[np.ndarray]:
    """Every frame's values, the test's own way: pydicom's full decode plus the modality LUT."""
    ds = pydicom.dcmread(path)
    arr = ds.pixel_array
    nframes = int(ds.get("NumberOfFrames") or 1)
    frames = list(arr) if nframes > 1 else [arr]
    if stored or int(ds.get("SamplesPerPixel", 1)) > 1:
        return frames
    shared = ds.get("SharedFunctionalGroupsSequence")
    per = ds.get("PerFrameFunctionalGroupsSequence")
    out = []
    for i, f in enumerate(frames):
        rescale = (_pvt(per[i]) if per else None) or (_pvt(shared[0]) if shared else None)
        if rescale:
            out.append(f.astype(np.float64) * rescale[0] + rescale[1])
        else:
            out.append(apply_modality_lut(f, ds))
    return out


def channels(values: np.ndarray, n: int) -> list[np.ndarray]:
    """The ``n`` channels of (frames, rows, columns[, samples]) values."""
    return [values] if n == 1 else list(np.moveaxis(values, -1, 0))


def check_stats(got: dict, values: np.ndarray) -> None:
    chans = channels(values, len(got["channels"]))
    for ch, v in zip(got["channels"], chans, strict=True):
        assert ch["count"] == v.size
        assert ch["min"] == v.min() and ch["max"] == v.max()
        assert ch["mean"] == pytest.approx(np.mean(v, dtype=np.float64), rel=1e-12, abs=1e-9)
        assert ch["std"] == pytest.approx(np.std(v, dtype=np.float64), rel=1e-9, abs=1e-9)
        # np.median of float32 data averages in float32; ours averages in float64
        tol = 1e-6 if v.dtype == np.float32 else 1e-12
        assert ch["median"] == pytest.approx(float(np.median(v)), rel=tol, abs=1e-12)
        expected = np.percentile(v, PCTS)  # method="linear", numpy's default
        for p, e in zip(PCTS, expected, strict=True):
            assert ch["percentiles"][str(p)] == pytest.approx(float(e), rel=1e-12, abs=1e-12)


def check_histogram(got: dict, values: np.ndarray, bins: int, rng=None) -> None:
    for ch, v in zip(got["channels"], channels(values, len(got["channels"])), strict=True):
        counts, edges = np.histogram(v, bins=bins, range=rng)
        assert ch["counts"] == counts.tolist()
        np.testing.assert_allclose(ch["bin_edges"], edges, rtol=1e-15)
        assert ch["min"] == v.min() and ch["max"] == v.max()
        assert ch["count"] == v.size


@pytest.mark.parametrize("name", SAMPLES)
def test_matches_numpy_on_full_decode(name):
    path = _path(name)
    frames = reference(path)
    whole = np.stack(frames)
    check_stats(stats(path).data, whole)
    check_histogram(histogram(path, bins=37).data, whole, 37)
    last = len(frames) - 1
    check_stats(stats(path, frame=last).data, frames[last])
    check_histogram(histogram(path, frame=last, bins=256).data, frames[last], 256)
    lo, hi = float(whole.min()), float(whole.max())
    rng = (lo + (hi - lo) / 4, hi - (hi - lo) / 3) if hi > lo else (lo - 1, hi + 1)
    check_histogram(histogram(path, bins=10, range=list(rng)).data, whole, 10, rng)


@pytest.mark.parametrize("name", ["CT_small.dcm", "mlut_18.dcm", "eCT_Supplemental.dcm"])
def test_stored_values(name):
    path = _path(name)
    raw = np.stack(reference(path, stored=True))
    got = stats(path, stored=True).data
    assert got["values"] == "stored"
    check_stats(got, raw)
    check_histogram(histogram(path, stored=True, bins=50).data, raw, 50)
    modality = stats(path).data
    assert modality["channels"][0]["mean"] != got["channels"][0]["mean"]


@pytest.mark.parametrize("name", ["CT_small.dcm", "MR2_UNCI.dcm", "mlut_18.dcm", "color-pl.dcm"])
def test_direct_numpy_path_on_single_frames(name, monkeypatch):
    # One frame of float values goes to np.percentile & co. directly; force it for any data.
    monkeypatch.setattr(stats_mod.Stream, "_plan", lambda self: ("float", IDENTITY))
    path = _path(name)
    frame = reference(path)[0]
    check_stats(stats(path, frame=0).data, frame)
    check_histogram(histogram(path, frame=0, bins=99).data, frame, 99)


@pytest.mark.parametrize(
    ("name", "limit"),
    [
        ("emri_small.dcm", 16),
        ("rtdose.dcm", 16),
        ("SC_rgb_rle_2frame.dcm", 16),
        ("eCT_Supplemental.dcm", 16),
        ("CT_small.dcm", 0),  # never keeps values: refines all 64 bits
    ],
)
def test_radix_fallback_is_exact(name, limit, monkeypatch):
    # Force the multi-pass selection (used for float values) with tiny buckets, so that
    # several 16-bit refinement passes and the final sort all run.
    monkeypatch.setattr(stats_mod.Stream, "_plan", lambda self: ("float", IDENTITY))
    monkeypatch.setattr(stats_mod, "COLLECT_LIMIT", limit)
    path = _path(name)
    whole = np.stack(reference(path))
    check_stats(stats(path).data, whole)
    check_histogram(histogram(path, bins=20).data, whole, 20)
    check_histogram(histogram(path, bins=20, range=[10, 200]).data, whole, 20, (10, 200))


def test_dense_overflow_falls_back(monkeypatch):
    monkeypatch.setattr(stats_mod, "DENSE_LIMIT", 1000)  # rtdose spans ~460000 values
    path = _path("rtdose.dcm")
    check_stats(stats(path).data, np.stack(reference(path)))


# --------------------------------------------------------------------------- synthetic files


def _write(tmp_path: Path, arr: np.ndarray, name="x.dcm", **attrs) -> Path:
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
    ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    ds.SOPClassUID = ds.file_meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID
    ds.NumberOfFrames, ds.Rows, ds.Columns = arr.shape
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    if arr.dtype.kind == "f":
        ds.BitsAllocated = 32
        ds.FloatPixelData = arr.astype("<f4").tobytes()
    else:
        ds.BitsAllocated = ds.BitsStored = arr.dtype.itemsize * 8
        ds.HighBit = ds.BitsStored - 1
        ds.PixelRepresentation = int(arr.dtype.kind == "i")
        ds.PixelData = arr.astype(arr.dtype.newbyteorder("<")).tobytes()
    for k, v in attrs.items():
        setattr(ds, k, v)
    path = tmp_path / name
    ds.save_as(path, enforce_file_format=True)
    return path


def _groups(rescales: list[tuple[float, float]]) -> Sequence:
    items = []
    for slope, intercept in rescales:
        group, pvt = Dataset(), Dataset()
        pvt.RescaleSlope, pvt.RescaleIntercept, pvt.RescaleType = slope, intercept, "US"
        group.PixelValueTransformationSequence = Sequence([pvt])
        items.append(group)
    return Sequence(items)


@pytest.mark.parametrize(
    ("rescales", "mode"),
    [([(1, 0), (2, -7), (1, 100)], "int"), ([(0.5, 0.25), (1.5, -3.3), (0.1, 7)], "float")],
)
def test_per_frame_rescale_streams(tmp_path, rescales, mode):
    rng = np.random.default_rng(3)
    arr = rng.integers(-2000, 3000, size=(3, 40, 30)).astype(np.int16)
    path = _write(tmp_path, arr, PerFrameFunctionalGroupsSequence=_groups(rescales))
    assert stats_mod.Stream(open_pixels(path), np, False).mode == mode
    expect = np.stack(
        [f.astype(np.float64) * s + i for f, (s, i) in zip(arr, rescales, strict=True)]
    )
    check_stats(stats(path).data, expect)
    check_histogram(histogram(path, bins=33).data, expect, 33)
    check_stats(stats(path, frame=1).data, expect[1])


def test_float_pixel_data(tmp_path):
    rng = np.random.default_rng(4)
    arr = rng.normal(5, 100, size=(4, 20, 25)).astype(np.float32)
    arr[0, 0, :3] = [0.0, -0.0, 1e-30]
    path = _write(tmp_path, arr)
    whole = np.stack(reference(path))
    check_stats(stats(path).data, whole)
    check_histogram(histogram(path, bins=16).data, whole, 16)


def test_lut_with_constant_values_and_32_bit_signed(tmp_path):
    arr = np.full((3, 8, 8), -7, dtype=np.int32)
    arr[2, 0, 0] = 2**31 - 1  # a span far beyond the dense limit
    path = _write(tmp_path, arr)
    check_stats(stats(path).data, arr)
    check_histogram(histogram(path, bins=4).data, arr, 4)
    const = _write(tmp_path, np.full((2, 4, 4), 9, dtype=np.uint16), name="c.dcm")
    check_histogram(histogram(const, bins=3).data, np.full((2, 4, 4), 9), 3)  # range 8.5..9.5


# --------------------------------------------------------------------------- CLI and errors


def test_cli_json_and_text(tmp_path):
    path = _path("emri_small.dcm")
    whole = np.stack(reference(path))
    proc = run_cli("stats", path, "--json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    check_stats(data, whole)
    fmt = data["format"]
    assert (fmt["rows"], fmt["columns"], fmt["frames"], fmt["bits_stored"]) == (64, 64, 10, 12)
    assert data["std_ddof"] == 0 and data["percentile_method"] == "linear"
    png = tmp_path / "h.png"
    proc = run_cli("histogram", path, "--bins", "12", "--plot", png, "--frame", "2")
    assert proc.returncode == 0, proc.stderr
    assert "#" in proc.stdout and str(png) in proc.stdout
    from PIL import Image

    with Image.open(png) as img:
        assert img.format == "PNG" and img.width > 100
    assert not list(tmp_path.glob(".*tmp"))  # the atomic write left no temporary behind
    proc = run_cli("histogram", path, "--bins", "12", "--range", "0", "100", "--json")
    check_histogram(json.loads(proc.stdout), whole, 12, (0, 100))


def test_result_lists_plot(tmp_path):
    out = tmp_path / "p.png"
    res = histogram(_path("SC_rgb_2frame.dcm"), bins=8, plot=str(out))
    assert res.output_files == [str(out)] and out.stat().st_size > 0


# --------------------------------------------------------------------------- the plot


def _drawn_boxes(monkeypatch, run) -> tuple[list, list, tuple[int, int]]:
    """Run ``run()`` recording what Pillow draws: each text's ink box (measured by Pillow's
    textbbox with the font it drew with) and each rectangle's and line's box, so the check
    holds however the plot is laid out."""
    from PIL import ImageDraw

    texts, shapes = [], []
    draw_cls = ImageDraw.ImageDraw
    text, rectangle, line = draw_cls.text, draw_cls.rectangle, draw_cls.line

    def record_text(self, xy, words, *args, **kwargs):
        keys = {k: kwargs[k] for k in ("font", "anchor", "font_size") if k in kwargs}
        texts.append((words, self.textbbox(xy, words, **keys)))
        return text(self, xy, words, *args, **kwargs)

    def record_rectangle(self, xy, *args, **kwargs):
        (x0, y0), (x1, y1) = (xy[:2], xy[2:]) if len(xy) == 4 else xy
        shapes.append(("rectangle", (x0, y0, x1 + 1, y1 + 1)))  # corners are inclusive
        return rectangle(self, xy, *args, **kwargs)

    def record_line(self, xy, *args, **kwargs):
        xs, ys = [p[0] for p in xy], [p[1] for p in xy]
        shapes.append(("line", (min(xs), min(ys), max(xs) + 1, max(ys) + 1)))
        return line(self, xy, *args, **kwargs)

    monkeypatch.setattr(draw_cls, "text", record_text)
    monkeypatch.setattr(draw_cls, "rectangle", record_rectangle)
    monkeypatch.setattr(draw_cls, "line", record_line)
    out = run()
    from PIL import Image

    with Image.open(out) as img:
        return texts, shapes, img.size


def _meet(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


@pytest.mark.parametrize("font", ["default", "large", "bitmap"])
@pytest.mark.parametrize(
    ("name", "kwargs"),
    [
        ("CT_small.dcm", {}),
        ("SC_rgb_2frame.dcm", {}),
        ("emri_small.dcm", {"bins": 12, "frame": 2}),
        ("CT_small.dcm", {"bins": 7, "range": [0.000123456, 0.000987654]}),
        ("CT_small.dcm", {"bins": 1000, "range": [-1e9, 1e9]}),
    ],
)
def test_plot_labels_do_not_overlap(name, kwargs, font, tmp_path, monkeypatch):
    """Every label of the plot is inside the image and clear of every other label, bar, axis
    and tick: with Pillow's default font, a larger one and the bitmap fallback."""
    from PIL import ImageDraw, ImageFont

    chosen = {
        "default": None,
        "large": ImageFont.load_default(size=24),
        "bitmap": ImageFont.load_default_imagefont(),
    }[font]
    monkeypatch.setattr(ImageDraw.ImageDraw, "font", chosen)  # Pillow's documented default
    out = tmp_path / "plot.png"

    def run():
        histogram(_path(name), plot=out, **kwargs)
        return out

    texts, shapes, (width, height) = _drawn_boxes(monkeypatch, run)
    assert len(texts) >= 5  # title, two count labels, two edge labels at least
    for words, box in texts:
        assert min(box[:2]) >= 0 and box[2] <= width and box[3] <= height, words
        for kind, shape in shapes:
            assert not _meet(box, shape), f"label {words!r} {box} touches a {kind} {shape}"
    for (w1, b1), (w2, b2) in itertools.combinations(texts, 2):
        assert not _meet(b1, b2), f"labels {w1!r} {b1} and {w2!r} {b2} overlap"
    labels = [words for words, _ in texts]
    edges = histogram(_path(name), **kwargs).data["channels"][0]["bin_edges"]
    lo, hi = (f"{e:.6g}" for e in (edges[0], edges[-1]))
    assert lo in labels and hi in labels  # both ends of the range are always labelled


def test_last_bin_is_closed(tmp_path):
    """numpy's last bin is [lo, hi]: the text shows it closed and the plot's last bar reaches
    the tick of the top edge, where every other bar stops a column before its upper edge."""
    from PIL import Image

    path = _path("CT_small.dcm")
    values = np.stack(reference(path))
    hi = float(values.max())
    rng = [hi - 200, hi]  # the maximum sits on the top edge: in the last bin, as numpy says
    counts, _ = np.histogram(values, bins=2, range=rng)
    assert counts.all() and (values == hi).any()
    res = histogram(path, bins=2, range=rng, plot=tmp_path / "p.png")
    assert res.data["channels"][0]["counts"] == counts.tolist()
    rows = [line for line in res.text.splitlines() if line.startswith("  [")]
    assert [row.split()[2] for row in rows] == [f"{hi - 100:g})", f"{hi:g}]"], rows

    with Image.open(tmp_path / "p.png") as img:
        rgb = np.asarray(img.convert("RGB")).astype(int)
    black = (rgb == 0).all(axis=-1)
    axis = int(np.argmax(black.sum(axis=1)))  # the x axis: the longest black row
    ticks = np.flatnonzero(black[axis + 2])  # tick marks hang below the axis
    assert len(ticks) == 3, ticks
    bar = ~(rgb[axis - 1] == 255).all(axis=-1) & ~black[axis - 1]  # bar pixels above the axis
    bar[: ticks[0] - 1] = False  # not the count labels left of the y axis
    columns = np.flatnonzero(bar)
    runs = np.split(columns, np.flatnonzero(np.diff(columns) > 1) + 1)
    if len(runs) == 1:  # adjacent bars: split at the middle tick
        runs = [columns[columns < ticks[1]], columns[columns >= ticks[1]]]
    assert (runs[0][0], runs[0][-1]) == (ticks[0], ticks[1] - 1)  # [lo, mid)
    assert (runs[1][0], runs[1][-1]) == (ticks[1], ticks[2])  # [mid, hi]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"bins": 0}, "bins"),
        ({"bins": -5}, "bins"),
        ({"range": [5, 1]}, "LO must be less"),
        ({"range": [3, 3]}, "LO must be less"),
        ({"frame": 10}, "out of range"),
        ({"frame": -1}, "out of range"),
    ],
)
def test_usage_errors(kwargs, match):
    with pytest.raises(UsageError, match=match):
        histogram(_path("emri_small.dcm"), **kwargs)


def test_cli_usage_errors():
    path = _path("emri_small.dcm")
    for args in (["--bins", "0"], ["--bins", "-2"], ["--range", "4", "2"], ["--frame", "99"]):
        proc = run_cli("histogram", path, *args)
        assert proc.returncode == 2, args
        assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


def test_gpu_missing_is_a_clear_error(monkeypatch):
    if backend._cupy() is not None:
        pytest.skip("CuPy and a GPU are present: the missing-GPU error cannot happen here")
    with pytest.raises(MissingDependencyError, match="CuPy"):
        stats(_path("CT_small.dcm"), device="gpu")
    proc = run_cli("stats", _path("CT_small.dcm"), "--device", "gpu")
    assert proc.returncode == 2 and "CuPy" in proc.stderr and "Traceback" not in proc.stderr
    env_proc = _run_env({"DICOM_TOOLS_DEVICE": "gpu"}, "stats", _path("CT_small.dcm"))
    assert env_proc.returncode == 2 and "CuPy" in env_proc.stderr
    auto = stats(_path("CT_small.dcm"), device="auto").data  # falls back to the CPU
    assert auto == stats(_path("CT_small.dcm"), device="cpu").data


def _run_env(env: dict[str, str], *args):
    import subprocess
    import sys

    return subprocess.run(
        [sys.executable, "-m", "dicom_tools", *map(str, args)],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=120,
    )


@pytest.mark.parametrize("name", ["emri_small.dcm", "CT_small.dcm", "SC_rgb_2frame.dcm"])
def test_gpu_matches_cpu(name):
    if backend._cupy() is None:
        pytest.skip("no CuPy with a CUDA GPU here: the GPU path is not exercised")
    path = _path(name)
    for kwargs in ({}, {"frame": 0}, {"stored": True}):
        cpu, gpu = stats(path, device="cpu", **kwargs).data, stats(path, device="gpu", **kwargs)
        for c, g in zip(cpu["channels"], gpu.data["channels"], strict=True):
            for key in ("count", "min", "max", "median"):
                assert g[key] == pytest.approx(c[key], rel=1e-12)
            assert g["mean"] == pytest.approx(c["mean"], rel=1e-9)
            assert g["std"] == pytest.approx(c["std"], rel=1e-9)
            for p, v in c["percentiles"].items():
                assert g["percentiles"][p] == pytest.approx(v, rel=1e-12)
        hc = histogram(path, device="cpu", bins=40, **kwargs).data["channels"]
        hg = histogram(path, device="gpu", bins=40, **kwargs).data["channels"]
        for c, g in zip(hc, hg, strict=True):
            assert g["counts"] == c["counts"]
            np.testing.assert_allclose(g["bin_edges"], c["bin_edges"], rtol=1e-12)


def _bad_inputs(tmp_path: Path) -> dict[str, Path]:
    ct = pydicom.dcmread(corpus_file("CT_small.dcm"))
    out = {}

    def save(name: str, ds: Dataset) -> None:
        out[name] = tmp_path / f"{name}.dcm"
        ds.save_as(out[name])

    save("no_pixels", pydicom.dcmread(corpus_file("rtplan.dcm")))
    ds = ct.copy()
    ds.Rows = 0
    save("zero_rows", ds)
    ds = ct.copy()
    ds.Columns = 0
    save("zero_columns", ds)
    ds = ct.copy()
    ds.PixelData = ct.PixelData[:1000]
    save("short_pixels", ds)
    ds = ct.copy()
    ds.PhotometricInterpretation = "CMYK"
    save("photometric", ds)
    j2k = pydicom.dcmread(corpus_file("MR_small_jp2klossless.dcm"))
    j2k.PixelData = encapsulate([b"\xff\x4f\xff\x51" + bytes(range(256)) * 4])
    save("corrupt_j2k", j2k)
    rle = pydicom.dcmread(corpus_file("emri_small_RLE.dcm"))
    rle.PixelData = encapsulate([b"\x01\x00\x00\x00" + b"\x00" * 60 + b"\x7f\x01"] * 10)
    save("corrupt_rle", rle)
    return out


def test_bad_input_is_one_line_exit_2(tmp_path):
    for name, path in _bad_inputs(tmp_path).items():
        with pytest.raises(InputError):
            stats(path)
        op = "histogram" if name in ("corrupt_rle", "zero_rows") else "stats"
        proc = run_cli(op, path)
        assert proc.returncode == 2, (name, proc.stdout, proc.stderr)
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1 and "Traceback" not in proc.stderr, (name, proc.stderr)
        assert str(path) in lines[0] or path.name in lines[0], (name, lines)
