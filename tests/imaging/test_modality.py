"""The Modality LUT stage against formulas computed here and pydicom's apply_modality_lut."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pydicom
import pytest
from conftest import corpus_file
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.pixels import apply_modality_lut
from pydicom.sequence import Sequence
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

from dicom_tools.dicom.pixels import open_pixels
from dicom_tools.errors import InputError
from dicom_tools.imaging import backend
from dicom_tools.imaging.modality import (
    apply_modality,
    modality_params,
    modality_values,
)

RNG = np.random.default_rng(7)


def _image(rows=4, cols=5, frames=1, signed=True, bits=16) -> tuple[Dataset, np.ndarray]:
    """A monochrome data set and its stored values (the test's own copy)."""
    dtype = np.dtype(f"{'i' if signed else 'u'}{bits // 8}")
    info = np.iinfo(dtype)
    shape = (frames, rows, cols) if frames > 1 else (rows, cols)
    arr = RNG.integers(info.min, info.max, size=shape, endpoint=True).astype(dtype)
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
    ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    ds.SOPClassUID = ds.file_meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID
    ds.Rows, ds.Columns = rows, cols
    if frames > 1:
        ds.NumberOfFrames = frames
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated = ds.BitsStored = bits
    ds.HighBit = bits - 1
    ds.PixelRepresentation = int(signed)
    ds.PixelData = arr.tobytes()
    return ds, arr


def _lut_item(descriptor: list[int], data: list[int], desc_vr: str = "US") -> Dataset:
    item = Dataset()
    item.add_new(0x00283002, desc_vr, descriptor)  # LUT Descriptor
    item.add_new(0x00283006, "US", data)  # LUT Data
    item.ModalityLUTType = "HU"
    return item


def _expected_lut(stored: np.ndarray, first: int, data: np.ndarray) -> np.ndarray:
    """The standard's rule, written out element by element."""
    out = np.empty(stored.shape, dtype=data.dtype)
    for pos, v in np.ndenumerate(stored):
        i = int(v) - first
        out[pos] = data[min(max(i, 0), len(data) - 1)]
    return out


def test_identity_without_rescale_or_lut():
    ds, arr = _image()
    params = modality_params(ds, 0)
    assert params.kind == "identity"
    assert apply_modality(arr, params, np) is arr


@pytest.mark.parametrize(("slope", "intercept"), [(1, -1024), (0.5, 3.25), (3.774114, 6.1e-05)])
def test_rescale_matches_formula(slope, intercept):
    ds, arr = _image()
    ds.RescaleSlope, ds.RescaleIntercept, ds.RescaleType = slope, intercept, "HU"
    params = modality_params(ds, 0)
    assert (params.kind, params.slope, params.intercept) == ("rescale", slope, intercept)
    assert params.rescale_type == "HU"
    assert params.is_integral == (float(slope).is_integer() and float(intercept).is_integer())
    out = apply_modality(arr, params, np)
    assert out.dtype == np.float64
    expected = np.array([float(v) * slope + intercept for v in arr.ravel()]).reshape(arr.shape)
    np.testing.assert_array_equal(out, expected)
    np.testing.assert_array_equal(out, apply_modality_lut(arr, ds))


def test_rescale_missing_half_defaults():
    ds, arr = _image()
    ds.RescaleIntercept = -100
    out = apply_modality(arr, modality_params(ds, 0), np)
    np.testing.assert_array_equal(out, arr.astype(np.float64) - 100)


def test_invalid_rescale_is_input_error():
    ds, _ = _image()
    ds.RescaleSlope = "1"
    ds["RescaleSlope"].value = float("nan")
    with pytest.raises(InputError, match="Rescale Slope"):
        modality_params(ds, 0)


@pytest.mark.parametrize("signed", [False, True])
def test_lut_us_descriptor(signed):
    ds, arr = _image(rows=8, cols=8, signed=signed)
    first = -300 if signed else 100
    data = RNG.integers(0, 65535, size=1000, endpoint=True).astype(np.uint16)
    # A signed first value written into a US descriptor as its two's complement.
    ds.ModalityLUTSequence = Sequence([_lut_item([1000, first & 0xFFFF, 16], data.tolist())])
    # Make sure stored values hit below, inside and past the LUT.
    arr = arr.copy()
    arr.flat[:6] = [first - 5, first, first + 1, first + 999, first + 1000, first + 5000]
    params = modality_params(ds, 0)
    assert (params.kind, params.first_mapped, len(params.lut)) == ("lut", first, 1000)
    out = apply_modality(arr, params, np)
    np.testing.assert_array_equal(out, _expected_lut(arr, first, data))
    assert out.dtype == np.uint16


def test_lut_ss_descriptor_and_8_bit_entries():
    ds, arr = _image(rows=6, cols=6, signed=True)
    data = RNG.integers(0, 255, size=50, endpoint=True).astype(np.uint8)
    ds.ModalityLUTSequence = Sequence([_lut_item([50, -20, 8], data.tolist(), desc_vr="SS")])
    arr = np.clip(arr, -40, 40).astype(np.int16)
    out = apply_modality(arr, modality_params(ds, 0), np)
    assert out.dtype == np.uint8
    np.testing.assert_array_equal(out, _expected_lut(arr, -20, data))


def test_lut_zero_entries_means_65536():
    ds, arr = _image(signed=False)
    data = (np.arange(65536, dtype=np.int64) * 7 % 65536).astype(np.uint16)
    ds.ModalityLUTSequence = Sequence([_lut_item([0, 0, 16], data.tolist())])
    params = modality_params(ds, 0)
    assert len(params.lut) == 65536
    out = apply_modality(arr, params, np)
    np.testing.assert_array_equal(out, data[arr.astype(np.int64)])


def test_lut_data_as_ow_bytes():
    ds, arr = _image(signed=False)
    data = RNG.integers(0, 65535, size=256, endpoint=True).astype("<u2")
    item = Dataset()
    item.LUTDescriptor = [256, 0, 16]
    item.add_new(0x00283006, "OW", data.tobytes())
    ds.ModalityLUTSequence = Sequence([item])
    arr = (arr % 300).astype(np.uint16)
    out = apply_modality(arr, modality_params(ds, 0), np)
    np.testing.assert_array_equal(out, _expected_lut(arr, 0, data))


def _pvt(slope: float, intercept: float) -> Dataset:
    group = Dataset()
    pvt = Dataset()
    pvt.RescaleSlope, pvt.RescaleIntercept, pvt.RescaleType = slope, intercept, "US"
    group.PixelValueTransformationSequence = Sequence([pvt])
    return group


def test_enhanced_per_frame_overrides_shared_overrides_top_level():
    frames = 4
    ds, arr = _image(frames=frames)
    ds.RescaleSlope, ds.RescaleIntercept = 9, 9  # top level: only used when nothing else is
    ds.SharedFunctionalGroupsSequence = Sequence([_pvt(2, -10)])
    per_frame = [_pvt(0.5, 1.5), Dataset(), _pvt(3, 0), Dataset()]
    ds.PerFrameFunctionalGroupsSequence = Sequence(per_frame)
    expect = [(0.5, 1.5, "per-frame"), (2, -10, "shared"), (3, 0, "per-frame"), (2, -10, "shared")]
    for i, (slope, intercept, source) in enumerate(expect):
        params = modality_params(ds, i)
        assert (params.slope, params.intercept, params.source) == (slope, intercept, source)
        out = apply_modality(arr[i], params, np)
        np.testing.assert_array_equal(out, arr[i].astype(np.float64) * slope + intercept)
    # Without the shared group, frames without their own fall back to the top level.
    del ds.SharedFunctionalGroupsSequence
    ds2 = ds.copy()  # a new object: the cache is per data set
    assert (modality_params(ds2, 1).slope, modality_params(ds2, 1).source) == (9, "top-level")
    assert modality_params(ds2, 2).slope == 3


def test_colour_is_identity():
    ds, _ = _image()
    ds.SamplesPerPixel = 3
    ds.RescaleSlope, ds.RescaleIntercept = 2, 1
    assert modality_params(ds, 0).kind == "identity"


def test_per_frame_lookup_is_cheap_for_many_frames():
    import time

    ds, _ = _image(rows=1, cols=1, frames=2000)
    ds.SharedFunctionalGroupsSequence = Sequence([_pvt(1, -1024)])
    ds.PerFrameFunctionalGroupsSequence = Sequence([_pvt(1, float(i)) for i in range(2000)])
    start = time.perf_counter()
    slopes = [modality_params(ds, i).intercept for i in range(2000)]
    assert slopes == [float(i) for i in range(2000)]
    assert time.perf_counter() - start < 2.0


@pytest.mark.parametrize("name", ["mlut_18.dcm", "CT_small.dcm", "MR2_UNCI.dcm", "MR_small.dcm"])
def test_corpus_matches_pydicom(name):
    path = corpus_file(name)
    ds = pydicom.dcmread(path)
    expected = apply_modality_lut(ds.pixel_array, ds)
    src = open_pixels(path)
    ours = modality_values(src, 0, src.frame(0), np)
    assert ours.dtype == expected.dtype
    np.testing.assert_array_equal(ours, expected)
    np.testing.assert_array_equal(
        modality_values(src, 0, src.frame(0), np, disable=True), ds.pixel_array
    )


def test_corpus_enhanced_ct_shared_rescale():
    # pydicom's apply_modality_lut ignores functional groups; compare with the formula instead.
    path = corpus_file("eCT_Supplemental.dcm")
    ds = pydicom.dcmread(path)
    pvt = ds.SharedFunctionalGroupsSequence[0].PixelValueTransformationSequence[0]
    slope, intercept = float(pvt.RescaleSlope), float(pvt.RescaleIntercept)
    src = open_pixels(path)
    for i in range(src.frames):
        ours = modality_values(src, i, src.frame(i), np)
        np.testing.assert_array_equal(
            ours, ds.pixel_array[i].astype(np.float64) * slope + intercept
        )


def _write(ds: Dataset, tmp_path: Path) -> Path:
    out = tmp_path / "x.dcm"
    ds.save_as(out, enforce_file_format=True)
    return out


def test_written_file_round_trip(tmp_path):
    ds, arr = _image(frames=3)
    ds.SharedFunctionalGroupsSequence = Sequence([_pvt(2, 5)])
    src = open_pixels(_write(ds, tmp_path))
    for i in range(3):
        np.testing.assert_array_equal(
            modality_values(src, i, src.frame(i), np), arr[i].astype(np.float64) * 2 + 5
        )


def test_gpu_matches_cpu():
    cupy = backend._cupy()
    if cupy is None:
        pytest.skip("no CuPy with a CUDA GPU here: the GPU path is not exercised")
    xp = backend.array_module("gpu")
    ds, arr = _image(rows=16, cols=16, signed=True)
    for setup in ("rescale", "lut"):
        if setup == "rescale":
            ds.RescaleSlope, ds.RescaleIntercept = 0.75, -3.5
        else:
            data = RNG.integers(0, 65535, size=500, endpoint=True).astype(np.uint16)
            ds.ModalityLUTSequence = Sequence(
                [_lut_item([500, (-100) & 0xFFFF, 16], data.tolist())]
            )
        ds2 = ds.copy()
        params = modality_params(ds2, 0)
        cpu = apply_modality(arr, params, np)
        gpu = backend.to_numpy(apply_modality(xp.asarray(arr), params, xp))
        np.testing.assert_allclose(gpu, cpu, rtol=1e-12)
