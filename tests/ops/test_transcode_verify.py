"""Pixel data copied without decoding (a transcode to the same compressed syntax) are not
checked: transcode says so, and with --verify decodes every frame first, failing with the file
and frame and writing nothing (issue 11, item 6)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pydicom
import pytest
from conftest import corpus_file, run_cli
from pydicom.encaps import generate_frames

from dicom_tools.errors import InputError
from dicom_tools.ops.transcode import transcode


def _corrupt(name: str, dest: Path, frame: int = 0, header: bool = False) -> Path:
    """``name`` with 64 bytes in the middle of frame ``frame``'s codestream overwritten, or
    with ``header`` the 38 bytes after its start-of-codestream marker."""
    src = corpus_file(name)
    raw = bytearray(src.read_bytes())
    ds = pydicom.dcmread(src)
    frames = list(generate_frames(ds.PixelData, number_of_frames=int(ds.get("NumberOfFrames", 1))))
    data = frames[frame]
    start = raw.find(data)
    assert start > 0 and raw.count(data) == 1
    if header:
        raw[start + 2 : start + 40] = b"\x00" * 38
    else:
        middle = start + len(data) // 2
        raw[middle : middle + 64] = b"\x00" * 64
    dest.write_bytes(bytes(raw))
    return dest


def _decodes(path: Path) -> bool:
    try:
        pydicom.dcmread(path).pixel_array  # noqa: B018
    except Exception:
        return False
    return True


def _first_failing_frame(path: Path) -> int | None:
    from pydicom.pixels import iter_pixels

    index = 0
    try:
        for _ in iter_pixels(path, raw=True):
            index += 1
    except Exception:
        return index
    return None


@pytest.fixture
def bad_j2k(tmp_path) -> Path:
    path = _corrupt("JPEG2000.dcm", tmp_path / "bad.dcm")
    assert not _decodes(path)  # the reference: pydicom cannot decode it either
    return path


def test_copy_without_verify_warns(bad_j2k, tmp_path):
    out = tmp_path / "out" / "copy.dcm"
    out.parent.mkdir()
    result = transcode(bad_j2k, out, transfer_syntax="jpeg2000")
    assert result.data["pixel_data"] == "copied"
    assert result.data["verified"] is False
    assert any("not checked" in w and "verify" in w for w in result.data["warnings"])
    proc = run_cli("transcode", bad_j2k, "-o", tmp_path / "cli.dcm", "--syntax", "j2k")
    assert proc.returncode == 0, proc.stderr
    assert "warning:" in proc.stdout and "--verify" in proc.stdout


def test_verify_fails_naming_file_and_frame_and_writes_nothing(bad_j2k, tmp_path):
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    with pytest.raises(InputError) as err:
        transcode(bad_j2k, out_dir / "x.dcm", transfer_syntax="jpeg2000", verify=True)
    assert str(bad_j2k) in str(err.value) and "frame 0" in str(err.value)
    proc = run_cli("transcode", bad_j2k, "-o", out_dir / "x.dcm", "--syntax", "j2k", "--verify")
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert "bad.dcm" in lines[0] and "frame 0" in lines[0] and "Traceback" not in proc.stderr
    assert list(out_dir.iterdir()) == []


def test_verify_names_the_failing_frame_of_a_multiframe_file(tmp_path):
    # openjpeg decodes a damaged lossless body leniently: break the frame's header instead.
    bad = _corrupt("emri_small_jpeg_2k_lossless.dcm", tmp_path / "mf.dcm", frame=3, header=True)
    assert _first_failing_frame(bad) == 3  # the reference: pydicom's frame iterator
    with pytest.raises(InputError) as err:
        transcode(bad, tmp_path / "x.dcm", transfer_syntax="jpeg2000-lossless", verify=True)
    assert "frame 3" in str(err.value)
    assert not (tmp_path / "x.dcm").exists()


def test_verify_on_good_data_copies_and_says_so(tmp_path):
    src = corpus_file("emri_small_jpeg_2k_lossless.dcm")  # 10 frames
    out = tmp_path / "ok.dcm"
    result = transcode(src, out, transfer_syntax="jpeg2000-lossless", verify=True)
    assert result.data["verified"] is True and result.data["warnings"] == []
    assert pydicom.dcmread(out).PixelData == pydicom.dcmread(src).PixelData
    assert np.array_equal(pydicom.dcmread(out).pixel_array, pydicom.dcmread(src).pixel_array)


# SC_rgb_jpeg.dcm declares explicit VR and is implicit: pydicom says so when reading it here.
@pytest.mark.filterwarnings("ignore:Expected explicit VR:UserWarning")
def test_header_corruption_of_a_jpeg_is_caught(tmp_path):
    # Entropy-coded JPEG data is decoded leniently (libjpeg only warns), so break the header.
    src = corpus_file("SC_rgb_jpeg.dcm")
    raw = bytearray(src.read_bytes())
    ds = pydicom.dcmread(src)
    data = next(generate_frames(ds.PixelData, number_of_frames=1))
    start = raw.find(data)
    raw[start + 2 : start + 40] = b"\x00" * 38  # the tables after SOI
    bad = tmp_path / "bad_jpeg.dcm"
    bad.write_bytes(bytes(raw))
    assert not _decodes(bad)
    with pytest.raises(InputError):
        transcode(bad, tmp_path / "x.dcm", transfer_syntax="jpeg-baseline", verify=True)
    assert not (tmp_path / "x.dcm").exists()


def test_native_copies_do_not_warn(tmp_path):
    # Native pixel data have no codestream to break; their length is checked as before.
    result = transcode(corpus_file("CT_small.dcm"), tmp_path / "i.dcm", transfer_syntax="implicit")
    assert result.data["pixel_data"] == "copied" and result.data["warnings"] == []
