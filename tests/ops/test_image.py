"""to-image: rendered pixels against dcmtk and against PS3.3 formulas computed here.

References, per file of the corpus (pydicom's test files and pydicom-data):

* dcmj2pnm / dcml2pnm (JPEG-LS) with the same settings: ``+Wi 1`` (first window in the file),
  ``+Wl 1`` (VOI LUT Sequence), ``+Ww C W`` (explicit / per-frame window: dcmtk 3.6.7 does not
  read the Frame VOI LUT of functional groups), ``+Wm`` (min-max), ``-O`` (overlays: we do not
  burn them in), ``+F n``; 8-bit output within +-1.
* where dcmtk cannot decode a file: dcmtk's rendering of a pixel-identical twin (J2K <-> its
  uncompressed copy in pydicom-data), else numpy computations written here (PS3.3 formulas on
  pydicom's decoded pixels, pydicom's ``apply_color_lut`` for segmented palettes).

Intentional differences from dcmtk (each checked below with its reason):

* uncompressed YBR_FULL: dcmtk converts with chroma centred on 127.5 and truncates; we follow
  PS3.3 C.7.6.3.1.2 (centred on 128, rounded): up to 2 apart, ours matches the PS3.3 formula.
* lossy JPEG: pylibjpeg's libjpeg and dcmtk's IJG decode slightly different pixels; rendering the
  pixels IJG decodes (via dcmdjpeg) matches dcmj2pnm within +-1.
* non-integral Rescale Slope: dcmtk truncates modality values to integers before the window;
  we keep them exact, so narrow windows can differ by 2 (dcmtk's arithmetic is emulated below).
* MONOCHROME1 with Presentation LUT Shape IDENTITY (non-conformant): dcmtk shows it upright, we
  show it inverted as MONOCHROME1 says (PS3.3 C.8.11.6: the shape accounts for the photometric).
* 32-bit big endian samples: dcmtk 3.6.7 misreads them; compared with the little endian twin.
"""

from __future__ import annotations

import copy
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from conftest import corpus_file, corpus_files, require_tool, run_cli
from PIL import Image
from pydicom import dcmread
from pydicom.dataset import Dataset
from pydicom.encaps import encapsulate
from pydicom.pixels import apply_color_lut, pixel_array
from pydicom.sequence import Sequence

from dicom_tools.errors import DicomToolsError, InputError, MissingDependencyError, UsageError
from dicom_tools.ops.image import to_image

LOSSY_JPEG = ("1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.51")
JPEG_LS = "1.2.840.10008.1.2.4.8"
J2K = ("1.2.840.10008.1.2.4.90", "1.2.840.10008.1.2.4.91")

# Pixel-identical copies (checked by decoding both with pydicom): dcmtk renders the twin.
TWINS = {
    "MR_small_jp2klossless.dcm": "MR_small.dcm",
    "emri_small_jpeg_2k_lossless.dcm": "emri_small.dcm",
    "JPEG2000.dcm": "JPEG2000_UNC.dcm",
    **{
        f"{s}_J2K{k}.dcm": f"{s}_UNC{k}.dcm"
        for s in ("693", "MR2", "RG1", "RG3", "US1")
        for k in "IR"
    },
    # dcmtk 3.6.7 reads 32-bit big endian samples wrongly (max 4292345870 instead of 1254000).
    "rtdose_expb.dcm": "rtdose.dcm",
    "rtdose_expb_1frame.dcm": "rtdose_1frame.dcm",
}
# dcmtk cannot render these; the reference is computed here from pydicom's decoding.
NOT_DCMTK = {
    "gdcm-US-ALOKA-16.dcm": "dcmtk 3.6.7: segmented palettes not supported",
    "gdcm-US-ALOKA-16_big.dcm": "dcmtk 3.6.7: segmented palettes not supported",
    "SC_rgb_32bit.dcm": "dcmtk 3.6.7 rejects 32-bit colour samples",
    "SC_rgb_32bit_2frame.dcm": "dcmtk 3.6.7 rejects 32-bit colour samples",
    "SC_rgb_expb_32bit.dcm": "dcmtk 3.6.7 rejects 32-bit colour samples",
    "SC_rgb_expb_32bit_2frame.dcm": "dcmtk 3.6.7 rejects 32-bit colour samples",
}
# Files we refuse with a one-line error, and why.
UNRENDERABLE = {
    "JPEG-lossy.dcm": "libjpeg rejects its scan header (dcmtk's IJG decodes it)",
    "JPEG2000-embedded-sequence-delimiter.dcm": "unreadable J2K header (dcmtk fails too)",
    "badVR.dcm": "Number of Frames is '1A'",
}


# Files whose header lies about their encoding: dcmtk (and pydicom's path-based pixel_array, which
# trusts the header) fail; the one pixel source decodes from where the reader found the value, as
# pydicom's in-memory decoding of the data set does, which is the reference for these.
MISLABELLED = {"SC_rgb_jpeg.dcm": "Transfer Syntax says explicit VR; the data set is implicit VR"}


def _has_pixels(path: Path) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # odd files are the point of this corpus
            ds = dcmread(path, defer_size=256, force=True)
    except Exception:
        return False
    return 0x7FE00010 in ds and "Rows" in ds


IMAGES = [p for p in corpus_files() if _has_pixels(p)]


# -- helpers ------------------------------------------------------------------------------------


def read_png(path: str | Path) -> np.ndarray:
    with Image.open(path) as im:
        return np.asarray(im)


def ours(path: Path, tmp: Path, frame: int | None = 0, **kw) -> tuple[np.ndarray, dict]:
    result = to_image(path, tmp / f"{path.stem}.png", frame=frame, **kw)
    return read_png(result.output_files[0]), result.data


def dcmtk(path: Path, tmp: Path, *options: str, frame: int = 0, bits: int = 8) -> np.ndarray:
    """Render with dcmj2pnm (dcml2pnm for JPEG-LS, which dcmj2pnm lacks) to PNG."""
    ts = str(dcmread(path, stop_before_pixels=True, force=True).file_meta.get("TransferSyntaxUID"))
    tool = require_tool("dcml2pnm" if ts.startswith(JPEG_LS) else "dcmj2pnm")
    out = tmp / f"{path.stem}.dcmtk{frame}.png"
    proc = subprocess.run(
        [
            tool,
            "-q",
            "-O",
            "+on2" if bits == 16 else "+on",
            *options,
            "+F",
            str(frame + 1),
            str(path),
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, f"{tool} failed on {path.name}: {proc.stderr}"
    return read_png(out)


def frame_voi(ds: Dataset, index: int) -> tuple[float, float] | None:
    """The window of the Frame VOI LUT functional group, read here independently."""
    for kw, i in (
        ("PerFrameFunctionalGroupsSequence", index),
        ("SharedFunctionalGroupsSequence", 0),
    ):
        seq = ds.get(kw)
        if seq and i < len(seq) and "FrameVOILUTSequence" in seq[i]:
            item = seq[i].FrameVOILUTSequence[0]
            if "WindowCenter" in item:
                return float(_first(item.WindowCenter)), float(_first(item.WindowWidth))
    return None


def _first(v):
    return v[0] if isinstance(v, list | tuple) or type(v).__name__ == "MultiValue" else v


def dcmtk_voi(ds: Dataset, index: int) -> tuple[list[str], str | None]:
    """dcmtk's options for the VOI we must pick, and the source our result must report."""
    if int(ds.get("SamplesPerPixel", 1)) > 1 or "PALETTE" in str(ds.PhotometricInterpretation):
        return [], None
    fv = frame_voi(ds, index)
    if fv is not None:
        return ["+Ww", f"{fv[0]:g}", f"{fv[1]:g}"], "frame"
    if "WindowCenter" in ds:
        return ["+Wi", "1"], "file"
    if "VOILUTSequence" in ds:
        return ["+Wl", "1"], "voi-lut-sequence"
    return ["+Wm"], "min-max"


def ps33_linear(x: np.ndarray, c: float, w: float, ymax: float = 255) -> np.ndarray:
    """PS3.3 C.11.2.1.2.1, written out as the standard states it."""
    x = x.astype(np.float64)
    lo, hi = c - 0.5 - (w - 1) / 2, c - 0.5 + (w - 1) / 2
    with np.errstate(divide="ignore", invalid="ignore"):
        mid = ((x - (c - 0.5)) / (w - 1) + 0.5) * ymax
    return np.where(x <= lo, 0.0, np.where(x > hi, float(ymax), mid))


def rounded(y: np.ndarray) -> np.ndarray:
    return np.floor(y + 0.5).astype(np.int64)


def reference_gray(ds: Dataset, stored: np.ndarray) -> np.ndarray:
    """Rescale, first window (else min-max), MONOCHROME1 inversion: computed independently."""
    x = stored.astype(np.float64) * float(ds.get("RescaleSlope", 1) or 1)
    x += float(ds.get("RescaleIntercept", 0) or 0)
    if "WindowCenter" in ds:
        c, w = float(_first(ds.WindowCenter)), float(_first(ds.WindowWidth))
    else:
        c, w = (x.min() + x.max() + 1) / 2, x.max() - x.min() + 1
    y = ps33_linear(x, c, w)
    if ds.PhotometricInterpretation == "MONOCHROME1":
        y = 255 - y
    return rounded(y)


def assert_close(a: np.ndarray, b: np.ndarray, tol: int = 1, what: str = "") -> None:
    assert a.shape == b.shape, f"{what}: shape {a.shape} != {b.shape}"
    diff = np.abs(a.astype(np.int64) - b.astype(np.int64))
    assert diff.max() <= tol, (
        f"{what}: max difference {diff.max()} > {tol} at {np.mean(diff > tol):.2%} of samples"
    )


def mr_small() -> Dataset:
    return dcmread(corpus_file("MR_small.dcm"))


def save(ds: Dataset, tmp: Path, name: str) -> Path:
    path = tmp / f"{name}.dcm"
    ds.save_as(path)
    return path


# -- the corpus against dcmtk -------------------------------------------------------------------


# Each kind of image (photometric, transfer syntax, layout) -> a file of that kind whose
# rendering matched its reference in this session (filled by _check_corpus_file).
VERIFIED_KINDS: dict[str, str] = {}


def _kinds(ds: Dataset) -> set[str]:
    """The kinds of image a file is, from its header (read by pydicom, not the code under test)."""
    kinds = {str(ds.PhotometricInterpretation), str(ds.file_meta.get("TransferSyntaxUID", ""))}
    if int(ds.get("SamplesPerPixel", 1)) == 3:
        kinds.add(f"planar{int(ds.get('PlanarConfiguration', 0))}")
    if int(ds.get("NumberOfFrames", 1) or 1) > 1:
        kinds.add("multi-frame")
    return kinds


@pytest.mark.parametrize("path", IMAGES, ids=lambda p: p.name)
def test_corpus_matches_reference(path: Path, tmp_path: Path) -> None:
    _check_corpus_file(path, tmp_path)


def _check_corpus_file(path: Path, tmp_path: Path) -> None:
    """Render the first and last frame and compare with the file's reference; then count the
    file's kinds as verified."""
    if path.name in MISLABELLED:
        got, _ = ours(path, tmp_path, frame=0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            stored = dcmread(path).pixel_array  # 8-bit RGB: rendered as stored
        assert stored.dtype == np.uint8 and got.shape == stored.shape
        _check_lossy_decoders(path, got, stored)
        return
    if path.name in UNRENDERABLE:
        with pytest.raises(DicomToolsError) as err:
            to_image(path, tmp_path / "x.png", frame=0)
        assert str(path) in str(err.value) and "\n" not in str(err.value)
        assert not list(tmp_path.iterdir()), "nothing may be written"
        return
    ds = dcmread(path, stop_before_pixels=True, force=True)
    ts = str(ds.file_meta.get("TransferSyntaxUID", ""))
    nframes = int(ds.get("NumberOfFrames", 1) or 1)
    for index in sorted({0, nframes - 1}):
        got, data = ours(path, tmp_path, frame=index)
        if path.name in NOT_DCMTK:
            expected = _numpy_reference(path, ds, index)
        elif path.name in TWINS:
            twin = corpus_file(TWINS[path.name])
            options, _ = dcmtk_voi(dcmread(twin, stop_before_pixels=True), index)
            expected = dcmtk(twin, tmp_path, *options, frame=index)
        elif ts in J2K:  # no twin: the PS3.3 computation on pydicom's decoding
            expected = _numpy_reference(path, ds, index)
        else:
            options, source = dcmtk_voi(ds, index)
            expected = dcmtk(path, tmp_path, *options, frame=index)
            voi = data["frames"][0].get("voi")
            assert (voi or {}).get("source") == source, f"{path.name}: VOI {voi}, not {source}"
        if ts in LOSSY_JPEG:
            _check_lossy(path, got, expected, tmp_path, index)
        elif ds.PhotometricInterpretation == "YBR_FULL" and ts.startswith("1.2.840.10008.1.2.1"):
            assert_close(got, expected, 2, f"{path.name} (dcmtk's 127.5-centred YBR)")
        else:
            assert_close(got, expected, 1, f"{path.name} frame {index}")
    for kind in _kinds(ds):
        VERIFIED_KINDS.setdefault(kind, path.name)


def _numpy_reference(path: Path, ds: Dataset, index: int) -> np.ndarray:
    full = dcmread(path)
    stored = pixel_array(path, index=index)
    if "PALETTE" in str(ds.PhotometricInterpretation):
        rgb = apply_color_lut(stored, full).astype(np.float64)
        return rounded(rgb * 255 / 65535)
    if int(ds.SamplesPerPixel) == 3:
        return rounded(stored.astype(np.float64) * 255 / (2.0 ** int(ds.BitsStored) - 1))
    return reference_gray(full, stored)


def _check_lossy_decoders(path: Path, got: np.ndarray, expected: np.ndarray) -> None:
    diff = np.abs(got.astype(int) - expected.astype(int))
    assert diff.max() <= 8 and np.mean(diff > 1) < 0.05, f"{path.name}: {diff.max()}"


def _check_lossy(path: Path, got: np.ndarray, expected: np.ndarray, tmp: Path, index: int) -> None:
    """Lossy JPEG: the decoders differ a little; the rendering of IJG's pixels is exact."""
    diff = np.abs(got.astype(int) - expected.astype(int))
    assert diff.max() <= 8 and np.mean(diff > 1) < 0.05, f"{path.name}: {diff.max()}"
    dcmdjpeg = require_tool("dcmdjpeg")
    plain = tmp / f"{path.stem}.ijg.dcm"
    subprocess.run([dcmdjpeg, str(path), str(plain)], check=True, capture_output=True)
    mine, _ = ours(plain, tmp, frame=index)
    assert_close(mine, expected, 1, f"{path.name} decoded by IJG")


WANTED_KINDS = {
    "MONOCHROME1", "MONOCHROME2", "PALETTE COLOR", "RGB", "YBR_FULL", "YBR_FULL_422",
    "YBR_ICT", "YBR_RCT", "planar0", "planar1", "multi-frame",
    "1.2.840.10008.1.2.5",  # RLE
    "1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.70",  # JPEG baseline, lossless
    "1.2.840.10008.1.2.4.80", "1.2.840.10008.1.2.4.90",  # JPEG-LS, J2K
}  # fmt: skip


def test_corpus_covers_every_kind(tmp_path: Path) -> None:
    """Each photometric, syntax and layout the issue names was rendered and matched its
    reference: by the corpus run above (it records what it verified), else, when that did not
    run in this session (a -k selection), here, on the first corpus file of the kind."""
    for n, kind in enumerate(sorted(WANTED_KINDS)):
        if kind in VERIFIED_KINDS:
            continue
        for path in IMAGES:
            if path.name not in {*UNRENDERABLE, *MISLABELLED} and kind in _kinds(
                dcmread(path, stop_before_pixels=True, force=True)
            ):
                (tmp_path / str(n)).mkdir()
                _check_corpus_file(path, tmp_path / str(n))
                break
    assert not WANTED_KINDS - set(VERIFIED_KINDS), WANTED_KINDS - set(VERIFIED_KINDS)


def test_ybr_full_follows_ps33(tmp_path: Path) -> None:
    """YBR_FULL to RGB by PS3.3 C.7.6.3.1.2, computed here from the raw YBR samples."""
    path = corpus_file("SC_ybr_full_uncompressed.dcm")
    ybr = pixel_array(path, as_rgb=False).astype(np.float64)
    y, cb, cr = ybr[..., 0], ybr[..., 1] - 128, ybr[..., 2] - 128
    rgb = np.stack([y + 1.402 * cr, y - 0.344136 * cb - 0.714136 * cr, y + 1.772 * cb], axis=-1)
    got, _ = ours(path, tmp_path)
    assert_close(got, np.clip(rounded(rgb), 0, 255), 1, "YBR_FULL")


def test_non_integral_rescale_difference_is_dcmtk_truncation(tmp_path: Path) -> None:
    """A narrow window on MR2 (slope 3.774114): dcmtk's integer arithmetic explains every pixel."""
    path = corpus_file("MR2_UNCI.dcm")
    ds = dcmread(path)
    got, _ = ours(path, tmp_path, window_center=100, window_width=300)
    ref = dcmtk(path, tmp_path, "+Ww", "100", "300")
    x = ds.pixel_array * float(ds.RescaleSlope) + float(ds.RescaleIntercept)
    assert_close(got, rounded(ps33_linear(x, 100, 300)), 1, "exact PS3.3")
    emulated = np.floor(ps33_linear(np.trunc(x), 100, 300)).astype(int)  # dcmtk: trunc, trunc
    assert_close(emulated, ref, 0, "dcmtk emulated")
    assert_close(got, ref, 2, "ours vs dcmtk")


# -- VOI, presentation and modality on synthetic files, against formulas written here ----------


def test_explicit_window_is_ps33_linear(tmp_path: Path) -> None:
    ds = mr_small()
    got, data = ours(save(ds, tmp_path, "mr"), tmp_path, window_center=900, window_width=701)
    assert data["frames"][0]["voi"] == {
        "center": 900.0, "width": 701.0, "function": "LINEAR", "source": "option"
    }  # fmt: skip
    assert_close(got, rounded(ps33_linear(ds.pixel_array, 900, 701)), 0, "LINEAR")


@pytest.mark.parametrize("function", ["LINEAR_EXACT", "SIGMOID"])
def test_voi_lut_function(function: str, tmp_path: Path) -> None:
    ds = mr_small()
    ds.WindowCenter, ds.WindowWidth, ds.VOILUTFunction = 700, 900, function
    path = save(ds, tmp_path, function)
    got, data = ours(path, tmp_path)
    x = ds.pixel_array.astype(np.float64)
    if function == "SIGMOID":
        y = 255 / (1 + np.exp(-4 * (x - 700) / 900))
    else:
        y = np.clip(((x - 700) / 900 + 0.5) * 255, 0, 255)
    assert data["frames"][0]["voi"]["function"] == function
    assert_close(got, rounded(y), 0, function)
    # dcmtk reads the function from the file too (its LINEAR_EXACT is LINEAR: within 1)
    assert_close(got, dcmtk(path, tmp_path, "+Wi", "1"), 1, f"{function} vs dcmtk")


@pytest.mark.parametrize(
    ("photometric", "shape", "inverted"),
    [
        ("MONOCHROME1", None, True),
        ("MONOCHROME2", "INVERSE", True),
        ("MONOCHROME1", "INVERSE", True),  # the shape accounts for MONOCHROME1: one inversion
        ("MONOCHROME2", "IDENTITY", False),
        ("MONOCHROME1", "IDENTITY", True),  # dcmtk: upright (intentional difference)
    ],
)
def test_inversion(photometric: str, shape: str | None, inverted: bool, tmp_path: Path) -> None:
    ds = mr_small()
    ds.PhotometricInterpretation = photometric
    if shape:
        ds.PresentationLUTShape = shape
    path = save(ds, tmp_path, f"{photometric}_{shape}")
    got, data = ours(path, tmp_path)
    y = ps33_linear(ds.pixel_array, 600, 1600)
    assert data["frames"][0]["inverted"] is inverted
    assert_close(got, rounded(255 - y if inverted else y), 1, "inversion")
    if not (photometric == "MONOCHROME1" and shape == "IDENTITY"):
        assert_close(got, dcmtk(path, tmp_path, "+Wi", "1"), 1, "vs dcmtk")


def _lut_item(first: int, data: np.ndarray, bits: int = 16, as_bytes: bool = False) -> Dataset:
    item = Dataset()
    item.LUTDescriptor = [len(data), first, bits]
    if as_bytes:  # OW, as most writers store it
        item.add_new(0x00283006, "OW", data.astype("<u2").tobytes())
    else:
        item.add_new(0x00283006, "US", [int(v) for v in data])
    return item


def test_voi_lut_sequence(tmp_path: Path) -> None:
    ds = mr_small()
    del ds.WindowCenter, ds.WindowWidth
    lut = (np.sqrt(np.linspace(0, 1, 2048)) * 65535).astype(np.uint16)
    ds.VOILUTSequence = Sequence([_lut_item(100, lut, as_bytes=True)])
    path = save(ds, tmp_path, "voilut")
    got, data = ours(path, tmp_path)
    idx = np.clip(ds.pixel_array.astype(int) - 100, 0, len(lut) - 1)
    assert data["frames"][0]["voi"]["source"] == "voi-lut-sequence"
    assert_close(got, rounded(lut[idx].astype(np.float64) * 255 / 65535), 0, "VOI LUT")
    assert_close(got, dcmtk(path, tmp_path, "+Wl", "1"), 1, "VOI LUT vs dcmtk")


def test_modality_lut_sequence(tmp_path: Path) -> None:
    ds = mr_small()
    del ds.WindowCenter, ds.WindowWidth
    ds.PixelRepresentation = 0  # the values are non-negative; a US descriptor then applies
    mlut = (4000 - np.arange(3000) * 1.2).astype(np.uint16)  # decreasing: not monotonic up
    ds.ModalityLUTSequence = Sequence([_lut_item(50, mlut)])
    ds.ModalityLUTSequence[0].ModalityLUTType = "US"
    path = save(ds, tmp_path, "mlut")
    got, data = ours(path, tmp_path)
    x = mlut[np.clip(ds.pixel_array.astype(int) - 50, 0, len(mlut) - 1)].astype(np.float64)
    c, w = (x.min() + x.max() + 1) / 2, x.max() - x.min() + 1
    assert data["frames"][0]["modality"]["kind"] == "lut"
    assert_close(got, rounded(ps33_linear(x, c, w)), 0, "Modality LUT")
    assert_close(got, dcmtk(path, tmp_path, "+Wm"), 1, "Modality LUT vs dcmtk")


def _enhanced(tmp: Path) -> tuple[Path, np.ndarray, list[tuple[float, float, float, float]]]:
    """A 3-frame file with per-frame rescale and Frame VOI LUT in functional groups."""
    ds = mr_small()
    frames = np.stack([ds.pixel_array + 10 * i for i in range(3)]).astype(np.int16)
    ds.NumberOfFrames = 3
    ds.PixelData = frames.tobytes()
    del ds.WindowCenter, ds.WindowWidth
    params = [(1.0, -100.0, 500.0, 1000.0), (2.0, 0.0, 1500.0, 2500.0), (0.5, 10.0, 300.0, 400.0)]
    per_frame = []
    for slope, intercept, center, width in params:
        group = Dataset()
        pvt, voi = Dataset(), Dataset()
        pvt.RescaleSlope, pvt.RescaleIntercept, pvt.RescaleType = slope, intercept, "US"
        voi.WindowCenter, voi.WindowWidth = center, width
        group.PixelValueTransformationSequence = Sequence([pvt])
        group.FrameVOILUTSequence = Sequence([voi])
        per_frame.append(group)
    ds.PerFrameFunctionalGroupsSequence = Sequence(per_frame)
    return save(ds, tmp, "enhanced"), frames, params


def test_per_frame_rescale_and_window(tmp_path: Path) -> None:
    path, frames, params = _enhanced(tmp_path)
    result = to_image(path, tmp_path / "out.png")
    assert len(result.output_files) == 3
    for i, (slope, intercept, center, width) in enumerate(params):
        got = read_png(result.output_files[i])
        expected = rounded(ps33_linear(frames[i] * slope + intercept, center, width))
        assert_close(got, expected, 0, f"frame {i}")
        voi = result.data["frames"][i]["voi"]
        assert (voi["center"], voi["width"], voi["source"]) == (center, width, "frame")


def test_normalize_and_disabled_luts(tmp_path: Path) -> None:
    path = corpus_file("CT_small.dcm")
    ds = dcmread(path)
    stored = ds.pixel_array.astype(np.float64)
    hu = stored * float(ds.RescaleSlope) + float(ds.RescaleIntercept)

    got, data = ours(path, tmp_path, normalize=True)
    expected = (hu - hu.min()) / (hu.max() - hu.min()) * 255
    assert data["frames"][0]["voi"]["source"] == "normalize"
    assert_close(got, rounded(expected), 0, "normalize")

    got, _ = ours(path, tmp_path, window_center=1000, window_width=400, disable_modality_lut=True)
    assert_close(got, rounded(ps33_linear(stored, 1000, 400)), 0, "no modality LUT")
    assert_close(got, dcmtk(path, tmp_path, "-M", "+Ww", "1000", "400"), 1, "-M vs dcmtk")

    # No VOI: the whole range the modality stage can produce, as dcmtk's -W (no windowing).
    got, data = ours(path, tmp_path, disable_voi_lut=True)
    lo, hi = -32768 - 1024, 32767 - 1024
    assert data["frames"][0]["voi"] == {"source": "none", "range": [lo, hi]}
    assert_close(got, np.floor((hu - lo) * 256 / (hi - lo + 1)), 0, "no VOI")
    assert_close(got, dcmtk(path, tmp_path, "-W"), 0, "no VOI vs dcmtk -W")


def test_float_pixel_data(tmp_path: Path) -> None:
    """Float Pixel Data: min-max over the finite values; NaN is shown as the lowest value."""
    ds = mr_small()
    x = ds.pixel_array.astype(np.float32) / 1000
    x[0, :3] = np.nan
    del ds.PixelData, ds.BitsStored, ds.HighBit, ds.PixelRepresentation
    del ds.WindowCenter, ds.WindowWidth
    ds.BitsAllocated = 32
    ds.FloatPixelData = x.tobytes()
    got, data = ours(save(ds, tmp_path, "float"), tmp_path)
    finite = x[np.isfinite(x)].astype(np.float64)
    lo, hi = finite.min(), finite.max()
    expected = rounded((np.where(np.isfinite(x), x, lo) - lo) / (hi - lo) * 255)
    assert data["frames"][0]["voi"]["source"] == "min-max"
    assert_close(got, expected, 1, "float")
    assert (got[0, :3] == 0).all()


def test_sixteen_bit_output(tmp_path: Path) -> None:
    ds = mr_small()
    path = save(ds, tmp_path, "mr16")
    result = to_image(path, tmp_path / "mr16.png", force_16bit=True)
    out = Path(result.output_files[0])
    assert out.read_bytes()[24] == 16, "PNG IHDR bit depth"
    got = read_png(out)
    assert got.dtype == np.uint16
    assert_close(got, rounded(ps33_linear(ds.pixel_array, 600, 1600, 65535)), 0, "16-bit")
    assert result.data["bit_depth"] == 16 and result.data["frames"][0]["bit_depth"] == 16
    assert_close(got, dcmtk(path, tmp_path, "+Wi", "1", bits=16), 1, "16-bit vs dcmtk +on2")
    with Image.open(out) as im:
        assert im.mode.startswith("I")


def test_palette_and_segmented_palette(tmp_path: Path) -> None:
    ds = dcmread(corpus_file("OBXXXX1A.dcm"))
    red = np.frombuffer(ds.RedPaletteColorLookupTableData, "<u2").astype(np.float64)
    got, data = ours(corpus_file("OBXXXX1A.dcm"), tmp_path)
    assert data["frames"][0]["palette"]["bits"] == 16
    assert_close(got[..., 0], rounded(red[ds.pixel_array] * 255 / 65535), 0, "red")
    # 8-bit entries, packed one per byte (PS3.3 C.7.6.3.1.6): the values are used as they are
    ramp = np.arange(256, dtype=np.uint8)
    for colour, values in (("Red", ramp), ("Green", ramp[::-1]), ("Blue", ramp // 2)):
        setattr(ds, f"{colour}PaletteColorLookupTableDescriptor", [256, 0, 8])
        setattr(ds, f"{colour}PaletteColorLookupTableData", values.tobytes())
    got, data = ours(save(ds, tmp_path, "pal8"), tmp_path)
    assert data["frames"][0]["palette"]["bits"] == 8
    x = ds.pixel_array
    assert_close(got, np.stack([x, 255 - x, x // 2], axis=-1), 0, "8-bit palette")
    seg = corpus_file("gdcm-US-ALOKA-16.dcm")
    got, data = ours(seg, tmp_path)
    assert data["frames"][0]["palette"]["segmented"] is True
    expected = apply_color_lut(dcmread(seg).pixel_array, dcmread(seg)).astype(np.float64)
    assert_close(got, rounded(expected * 255 / 65535), 0, "segmented palette")


# -- output files, frames, formats ---------------------------------------------------------------


def dcmtk_all_frames(path: Path, tmp: Path, *options: str) -> list[np.ndarray]:
    """dcmj2pnm over the whole object (``+Fa``: every frame loaded, so ``+Wm`` takes one
    min/max over all of them), one PNG per frame named by its 0-based counter (``+Fc``)."""
    tool = require_tool("dcmj2pnm")
    stem = tmp / f"{path.stem}.dcmtk-all"
    cmd = [tool, "-q", "-O", "+on", *options, "+Fa", "+Fc", str(path), str(stem)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    count = int(dcmread(path, stop_before_pixels=True).NumberOfFrames)
    return [read_png(f"{stem}.{i}.png") for i in range(count)]


def min_max_linear(x: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """The min/max window (center (lo+hi+1)/2, width hi-lo+1, dcmtk's +Wm) as PS3.3 states it."""
    return rounded(ps33_linear(x, (lo + hi + 1) / 2, hi - lo + 1))


def test_multi_frame_writes_every_frame(tmp_path: Path) -> None:
    """File _NNNN holds frame NNNN as ``frame`` counts it (0-based), one window for all."""
    path = corpus_file("emri_small_RLE.dcm")
    (tmp_path / "per").mkdir()
    result = to_image(path, tmp_path / "emri.png")
    names = [Path(f).name for f in result.output_files]
    assert names == [f"emri_{i:04d}.png" for i in range(10)]
    assert sorted(p.name for p in tmp_path.glob("*.png")) == names  # no temporaries left
    assert not list(tmp_path.glob(".*"))
    assert len(result.text.splitlines()) == 10
    assert [f["frame"] for f in result.data["frames"]] == list(range(10))
    reference = dcmtk_all_frames(path, tmp_path, "+Wm")
    for i in range(10):
        assert_close(read_png(result.output_files[i]), reference[i], 1, f"_{i:04d} vs +Fa .{i}")
    # One rule: file _i is the image --frame i gives (with each frame's own window, as both)
    per_frame = to_image(path, tmp_path / "per" / "emri.png", window_per_frame=True)
    for i in (0, 4, 9):
        single = to_image(path, tmp_path / f"frame{i}.png", frame=i).output_files[0]
        assert np.array_equal(read_png(per_frame.output_files[i]), read_png(single)), i


def test_multi_frame_without_window_uses_one_min_max(tmp_path: Path) -> None:
    """No VOI in the file: every frame is windowed by the min/max of all frames (numpy on
    pydicom's decoding, and dcmj2pnm +Wm over the whole object), not by its own."""
    path = corpus_file("emri_small.dcm")
    ds = dcmread(path)
    assert "WindowCenter" not in ds and "VOILUTSequence" not in ds
    stack = ds.pixel_array.astype(np.float64)
    lo, hi = stack.min(), stack.max()
    own = [(f.min(), f.max()) for f in stack]
    assert any(r != (lo, hi) for r in own), "the frames' own ranges must differ for this test"
    result = to_image(path, tmp_path / "emri.png")
    reference = dcmtk_all_frames(path, tmp_path, "+Wm")
    for i, out in enumerate(result.output_files):
        got = read_png(out)
        assert_close(got, min_max_linear(stack[i], lo, hi), 0, f"frame {i} vs numpy")
        assert_close(got, reference[i], 1, f"frame {i} vs dcmj2pnm +Wm +Fa")
        voi = result.data["frames"][i]["voi"]
        assert (voi["source"], voi["min_max_of"]) == ("min-max", "all frames")
        assert (voi["center"], voi["width"]) == ((lo + hi + 1) / 2, hi - lo + 1)

    # --window-per-frame: today's behaviour, each frame by its own min/max (dcmj2pnm +F n +Wm)
    (tmp_path / "per").mkdir()
    result = to_image(path, tmp_path / "per" / "emri.png", window_per_frame=True)
    for i, out in enumerate(result.output_files):
        got = read_png(out)
        assert_close(got, min_max_linear(stack[i], *own[i]), 0, f"frame {i} per frame")
        assert_close(got, dcmtk(path, tmp_path, "+Wm", frame=i), 1, f"frame {i} vs +F {i + 1}")
        assert result.data["frames"][i]["voi"]["min_max_of"] == "frame"

    # normalize (the file's window ignored) spans all frames too
    windowed = ds.copy()
    windowed.WindowCenter, windowed.WindowWidth = 100, 50
    result = to_image(save(windowed, tmp_path, "windowed"), tmp_path / "n.png", normalize=True)
    for i, out in enumerate(result.output_files):
        assert_close(read_png(out), min_max_linear(stack[i], lo, hi), 0, f"normalize {i}")


def test_multi_frame_with_window_uses_it_on_every_frame(tmp_path: Path) -> None:
    """The file's Window Center/Width applies to every frame (dcmj2pnm +Wi 1 +Fa); no min/max
    pass is made, and --window-per-frame changes nothing."""
    ds = dcmread(corpus_file("emri_small.dcm"))
    ds.WindowCenter, ds.WindowWidth = 200, 300
    path = save(ds, tmp_path, "emri_windowed")
    stack = ds.pixel_array
    reference = dcmtk_all_frames(path, tmp_path, "+Wi", "1")
    for per_frame in (False, True):
        out = tmp_path / f"out{per_frame}"
        out.mkdir()
        result = to_image(path, out / "w.png", window_per_frame=per_frame)
        assert len(result.output_files) == 10
        for i, name in enumerate(result.output_files):
            got = read_png(name)
            assert_close(got, rounded(ps33_linear(stack[i], 200, 300)), 0, f"frame {i}")
            assert_close(got, reference[i], 1, f"frame {i} vs dcmj2pnm +Wi 1 +Fa")
            voi = result.data["frames"][i]["voi"]
            assert (voi["source"], voi["center"], voi["width"]) == ("file", 200, 300)
            assert "min_max_of" not in voi


def test_multi_frame_min_max_is_of_modality_values(tmp_path: Path) -> None:
    """Per-frame rescale and no window (enhanced layout): the one window spans the modality
    values of all frames, each frame's own rescale applied."""
    path, frames, params = _enhanced(tmp_path)
    ds = dcmread(path)
    for group in ds.PerFrameFunctionalGroupsSequence:
        del group.FrameVOILUTSequence
    path = save(ds, tmp_path, "enhanced_no_voi")
    values = [frames[i] * slope + intercept for i, (slope, intercept, _, _) in enumerate(params)]
    lo = min(v.min() for v in values)
    hi = max(v.max() for v in values)
    result = to_image(path, tmp_path / "e.png")
    for i, out in enumerate(result.output_files):
        assert_close(read_png(out), min_max_linear(values[i], lo, hi), 0, f"frame {i}")


def test_multi_frame_min_max_pass_is_streamed(tmp_path: Path) -> None:
    """The min/max pass holds one frame at a time: rendering every frame of a file whose pixel
    data is far larger than the budget allocates about one frame, not all."""
    import tracemalloc

    ds = mr_small()
    del ds.WindowCenter, ds.WindowWidth
    frames = 300
    pixels = np.tile(ds.pixel_array, (frames, 4, 4))  # 256x256 int16: 128 KB a frame, 38 MB
    pixels[-1, 0, 0] = 4000  # the last frame holds the maximum
    ds.Rows, ds.Columns = pixels.shape[1:]
    ds.NumberOfFrames = frames
    ds.PixelData = pixels.tobytes()
    first = pixels[0].astype(np.float64)
    del pixels
    path = save(ds, tmp_path, "many")
    del ds
    tracemalloc.start()
    (tmp_path / "out").mkdir()
    result = to_image(path, tmp_path / "out" / "many.png")
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert len(result.output_files) == frames
    assert peak < 8 << 20, f"peak {peak / 2**20:.1f} MB"
    lo = first.min()
    assert_close(read_png(result.output_files[0]), min_max_linear(first, lo, 4000), 0, "frame 0")


def test_contract_lists_frames_from_0000(tmp_path: Path) -> None:
    """The contract's inferred output (an output folder, no name) lists the frame files as
    written: <stem>_0000.png for frame 0 ... and --frame N alone keeps <stem>.png."""
    from dicom_tools import contract

    path = corpus_file("emri_small.dcm")
    reply = contract.handle({"op": "to_image", "input": str(path), "output": str(tmp_path)})
    assert reply.ok, reply.stderr
    expected = [str(tmp_path / f"emri_small_{i:04d}.png") for i in range(10)]
    assert reply.output_files == expected
    assert sorted(str(p) for p in tmp_path.iterdir()) == expected
    one = tmp_path / "one"
    one.mkdir()
    reply = contract.handle(
        {"op": "to_image", "input": str(path), "output": str(one), "options": {"frame": 3}}
    )
    assert reply.output_files == [str(one / "emri_small.png")]


def test_frame_option_writes_one_file(tmp_path: Path) -> None:
    path = corpus_file("emri_small.dcm")
    result = to_image(path, tmp_path / "one.png", frame=3)
    assert result.output_files == [str(tmp_path / "one.png")]
    assert result.data["frames_written"] == 1 and result.data["frames"][0]["frame"] == 3
    assert_close(read_png(tmp_path / "one.png"), dcmtk(path, tmp_path, "+Wm", frame=3), 1)
    with pytest.raises(UsageError, match="frame 10 out of range"):
        to_image(path, tmp_path / "two.png", frame=10)
    assert not (tmp_path / "two.png").exists()


def test_jpeg_output(tmp_path: Path) -> None:
    path = corpus_file("MR_small.dcm")
    result = to_image(path, tmp_path / "MR_small.png", format="jpeg")
    out = Path(result.output_files[0])
    assert out.suffix == ".jpg" and out.read_bytes()[:3] == b"\xff\xd8\xff"
    png, _ = ours(path, tmp_path)
    with Image.open(out) as im:
        assert im.mode == "L" and im.format == "JPEG"
        assert np.abs(np.asarray(im).astype(int) - png.astype(int)).mean() < 3
    colour = to_image(corpus_file("SC_rgb.dcm"), tmp_path / "rgb.jpg")
    assert colour.data["format"] == "jpeg"
    with Image.open(colour.output_files[0]) as im:
        assert im.mode == "RGB"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"window_center": 40}, "give both"),
        ({"window_width": 400}, "give both"),
        ({"force_8bit": True, "force_16bit": True}, "exclude each other"),
        ({"force_16bit": True, "format": "jpeg"}, "JPEG output is 8-bit"),
        ({"window_center": 40, "window_width": 0.5}, "at least 1"),
        ({"window_center": 40, "window_width": 400, "normalize": True}, "exclude"),
        ({"window_center": 40, "window_width": 400, "window_per_frame": True}, "exclude"),
        ({"frame": 1}, "out of range"),
    ],
)
def test_usage_errors(options: dict, message: str, tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=message):
        to_image(corpus_file("CT_small.dcm"), tmp_path / "x.png", **options)
    assert not list(tmp_path.iterdir())


def test_grayscale_options_on_colour(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="16-bit grayscale"):
        to_image(corpus_file("SC_rgb.dcm"), tmp_path / "x.png", force_16bit=True)
    result = to_image(corpus_file("SC_rgb.dcm"), tmp_path / "x.png", normalize=True)
    assert result.data["ignored_options"] == ["normalize"]


def test_device_seam(tmp_path: Path) -> None:
    path = corpus_file("CT_small.dcm")
    cpu, _ = ours(path, tmp_path, device="cpu")
    auto, data = ours(path, tmp_path, device="auto")
    assert np.array_equal(cpu, auto)
    try:
        import cupy  # noqa: F401
    except Exception:
        with pytest.raises(MissingDependencyError, match="device=gpu needs CuPy") as exc:
            to_image(path, tmp_path / "gpu.png", device="gpu")  # the API's words; the CLI's:
        assert exc.value.render("cli").startswith("--device gpu needs CuPy")
        assert data["device"] == "cpu"
        pytest.skip("no CuPy / CUDA GPU here: the GPU path is checked where one exists")
    for name in ("CT_small.dcm", "OBXXXX1A.dcm", "SC_rgb.dcm", "mlut_18.dcm", "vlut_04.dcm"):
        gpu, gdata = ours(corpus_file(name), tmp_path, device="gpu")
        assert gdata["device"] == "gpu"
        assert np.array_equal(gpu, ours(corpus_file(name), tmp_path, device="cpu")[0])


def test_one_frame_reads_one_frame(tmp_path: Path) -> None:
    """Rendering frame N of a 64 MB multi-frame file allocates about one frame, not all."""
    import tracemalloc

    ds = mr_small()
    frames = 1000
    pixels = np.tile(ds.pixel_array, (frames, 1, 1))  # 32 MB
    ds.NumberOfFrames = frames
    ds.PixelData = pixels.tobytes()
    del pixels
    path = save(ds, tmp_path, "many")
    del ds
    tracemalloc.start()
    to_image(path, tmp_path / "last.png", frame=frames - 1)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 4 << 20, f"peak {peak / 2**20:.1f} MB"


def test_failed_multi_frame_render_leaves_nothing(tmp_path: Path) -> None:
    """A frame that fails to decode midway: no frame file and no temporary remains."""
    src = dcmread(corpus_file("emri_small_RLE.dcm"))
    from pydicom.encaps import generate_fragmented_frames

    fragments = [b"".join(f) for f in generate_fragmented_frames(src.PixelData)]
    fragments[6] = fragments[6][:64]  # frame 7 cut short
    src.PixelData = encapsulate(fragments)
    path = save(src, tmp_path, "broken")
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(InputError, match=r"broken\.dcm"):
        to_image(path, out / "broken.png")
    assert not list(out.iterdir())


# -- the command line ---------------------------------------------------------------------------


def test_cli_smoke(tmp_path: Path) -> None:
    proc = run_cli("to-image", corpus_file("CT_small.dcm"), "-o", tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == f"{tmp_path / 'CT_small.png'}: 128x128 8-bit grayscale, " + (
        "window 136/2064 (min-max)"
    )
    proc = run_cli("to-image", corpus_file("emri_small.dcm"), "-o", tmp_path, "--window-per-frame")
    assert proc.returncode == 0, proc.stderr
    first = dcmread(corpus_file("emri_small.dcm")).pixel_array[0]  # frame 0's own min/max
    lo, hi = int(first.min()), int(first.max())
    own = f"window {(lo + hi + 1) / 2:g}/{hi - lo + 1} (min-max)"
    assert proc.stdout.splitlines()[0].endswith(own)
    proc = run_cli("to-image", corpus_file("OBXXXX1A_2frame.dcm"), "-o", tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert len(proc.stdout.splitlines()) == 2
    names = sorted(p.name for p in tmp_path.glob("OBXXXX1A_2frame_*.png"))
    assert names == ["OBXXXX1A_2frame_0000.png", "OBXXXX1A_2frame_0001.png"]
    proc = run_cli("to-image", corpus_file("CT_small.dcm"), "-o", tmp_path / "a.png",
                   "--window-center", "40")  # fmt: skip
    assert proc.returncode == 2 and "give both" in proc.stderr
    assert not (tmp_path / "a.png").exists()


def test_module_import_is_lean() -> None:
    """The CLI imports ops lazily; the op module itself imports neither PIL nor numpy."""
    code = (
        "import sys, dicom_tools.ops.image; "
        "print(sorted(m for m in ('PIL', 'numpy', 'pydicom') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout
    assert out.strip() == "[]"


def _bad_inputs(tmp: Path) -> dict[str, Path]:
    ct = dcmread(corpus_file("CT_small.dcm"))
    made: dict[str, Dataset] = {}
    made["no_pixels"] = copy.deepcopy(ct)
    del made["no_pixels"].PixelData
    made["zero_rows"] = copy.deepcopy(ct)
    made["zero_rows"].Rows = 0
    made["short_pixels"] = copy.deepcopy(ct)
    made["short_pixels"].PixelData = ct.PixelData[:1000]
    made["photometric"] = copy.deepcopy(ct)
    made["photometric"].PhotometricInterpretation = "HSV"
    jpeg = dcmread(corpus_file("SC_rgb_jpeg_gdcm.dcm"))  # JPEG lossless
    frame = next(iter(__import__("pydicom").encaps.generate_frames(jpeg.PixelData)))
    jpeg.PixelData = encapsulate([frame[:200] + bytes(range(256)) * 4 + b"\xff\xd9"])
    made["corrupt_fragment"] = jpeg
    return {name: save(ds, tmp, name) for name, ds in made.items()}


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("no_pixels", "no pixel data"),
        ("zero_rows", "0 rows"),
        ("short_pixels", "shorter than"),
        ("photometric", "unsupported Photometric Interpretation"),
        ("corrupt_fragment", "cannot decode"),
    ],
)
def test_bad_input(name: str, message: str, tmp_path: Path) -> None:
    path = _bad_inputs(tmp_path)[name]
    out = tmp_path / "out"
    out.mkdir()
    proc = run_cli("to-image", path, "-o", out)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0] and str(path) in lines[0], proc.stderr
    assert "Traceback" not in proc.stderr
    assert not list(out.iterdir())
