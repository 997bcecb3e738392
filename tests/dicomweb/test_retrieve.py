"""Metadata with BulkDataURIs, frames as stored, byte ranges, the streamed zip, rendering."""

from __future__ import annotations

import io
import json
import zipfile

import numpy as np
import pydicom
import pytest
from conftest import corpus_file
from PIL import Image
from pydicom.encaps import generate_frames

from dicom_tools.dicom import syntaxes as S
from dicom_tools.dicomweb.frames import frame_parts, open_frames, parse_frame_list
from dicom_tools.dicomweb.metadata import bulk_value, instance_metadata
from dicom_tools.dicomweb.negotiate import choose_frames
from dicom_tools.dicomweb.retrieve import (
    RangeNotSatisfiable,
    parse_range,
    parse_render_params,
    render,
    zip_stream,
)
from dicom_tools.errors import UsageError


def test_metadata_matches_pydicom_and_bulk_uris_resolve():
    path = corpus_file("CT_small.dcm")
    text = instance_metadata(path, "http://h/x/bulkdata")
    obj = json.loads(text)
    assert not any(k.startswith("0002") for k in obj)
    assert obj["7FE00010"] == {"vr": "OW", "BulkDataURI": "http://h/x/bulkdata/7FE00010"}
    ref = pydicom.dcmread(path)
    parsed = pydicom.Dataset.from_json(obj, bulk_data_uri_handler=lambda uri: b"")
    for kw in (
        "SOPInstanceUID",
        "Rows",
        "Columns",
        "PixelSpacing",
        "ImagePositionPatient",
        "RescaleSlope",
        "PhotometricInterpretation",
    ):
        assert parsed[kw].value == ref[kw].value, kw
    assert bulk_value(path, "7FE00010") == ref.PixelData
    assert bulk_value(path, "00100010") is None  # not a binary value


def test_frame_list():
    assert parse_frame_list("1, 3,2") == [1, 3, 2]
    for bad in ("0", "a", "", "1,,2", "-1"):
        with pytest.raises(UsageError):
            parse_frame_list(bad)


@pytest.mark.parametrize(
    "name", ["SC_rgb_rle_2frame.dcm", "MR_small_jpeg_ls_lossless.dcm", "JPEG2000.dcm"]
)
def test_compressed_frames_as_stored(name):
    path = corpus_file(name)
    ref = pydicom.dcmread(path)
    n = int(ref.get("NumberOfFrames", 1))
    expected = list(generate_frames(ref.PixelData, number_of_frames=n))
    src = open_frames(path, list(range(1, n + 1)))
    choice = choose_frames("*/*", src.transfer_syntax)
    parts = list(frame_parts(src, list(range(1, n + 1)), choice))
    assert [b"".join(p[1]) for p in parts] == expected
    assert parts[0][0]["Content-Type"].startswith(choice.media_type)
    assert f"transfer-syntax={src.transfer_syntax}" in parts[0][0]["Content-Type"]


def test_decoded_and_native_frames_match_pydicom():
    rle = corpus_file("SC_rgb_rle_2frame.dcm")
    src = open_frames(rle, [2])
    choice = choose_frames('multipart/related; type="application/octet-stream"', S.RLE_LOSSLESS)
    [(_, body)] = list(frame_parts(src, [2], choice))
    assert b"".join(body) == pydicom.dcmread(rle).pixel_array[1].astype("<u1").tobytes()
    ct = corpus_file("CT_small.dcm")
    src = open_frames(ct, [1])
    [(_, body)] = list(frame_parts(src, [1], choose_frames("*/*", src.transfer_syntax)))
    assert b"".join(body) == pydicom.dcmread(ct).PixelData
    with pytest.raises(UsageError, match="out of range"):
        open_frames(ct, [2])


def test_ranges():
    assert parse_range(None, 10) is None
    assert parse_range("bytes=2-4", 10) == (2, 5)
    assert parse_range("bytes=2-", 10) == (2, 10)
    assert parse_range("bytes=-3", 10) == (7, 10)
    assert parse_range("bytes=5-100", 10) == (5, 10)
    assert parse_range("bytes=1-2,4-5", 10) is None  # several: the whole representation
    assert parse_range("items=1-2", 10) is None
    assert parse_range("bytes=4-2", 10) is None
    with pytest.raises(RangeNotSatisfiable):
        parse_range("bytes=10-", 10)


def test_zip_stream_reads_back(tmp_path):
    files = [corpus_file("CT_small.dcm"), corpus_file("MR_small.dcm")]
    data = b"".join(zip_stream([(f"a/{p.name}", p) for p in files], chunk=1000))
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert zf.testzip() is None
        assert zf.namelist() == [f"a/{p.name}" for p in files]
        for p in files:
            assert zf.read(f"a/{p.name}") == p.read_bytes()


def test_render_viewport_and_window(tmp_path):
    path = corpus_file("CT_small.dcm")
    params = parse_render_params("40,400", "64,32", "80")
    jpeg = render(path, "image/jpeg", params, tmp_path)
    with Image.open(io.BytesIO(jpeg)) as img:
        assert img.format == "JPEG" and img.size == (32, 32)  # 128x128 fitted into 64x32
    png = render(path, "image/png", parse_render_params("40,400", None, None), tmp_path)
    with Image.open(io.BytesIO(png)) as img:
        arr = np.asarray(img).astype(float)
    ref = pydicom.dcmread(path)
    hu = ref.pixel_array * float(ref.RescaleSlope) + float(ref.RescaleIntercept)
    expected = np.clip((hu - (40 - 0.5)) / (400 - 1) + 0.5, 0, 1) * 255
    assert np.abs(arr - expected).max() <= 1.0  # PS3.3 C.11.2.1.2.1 linear window
    for bad in (("40", None, None), (None, "0,5", None), (None, None, "101")):
        with pytest.raises(UsageError):
            parse_render_params(*bad)
