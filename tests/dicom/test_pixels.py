"""The one pixel source against pydicom's own decoding, frame by frame, and its lazy reading:
one frame's worth of bytes is read for one frame, so a file whose other frames are garbage
still gives frame N.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pydicom
import pytest
from conftest import corpus_file, corpus_files
from pydicom.encaps import encapsulate, generate_frames
from pydicom.pixels import pixel_array

from dicom_tools.dicom import pixels
from dicom_tools.dicom.pixels import open_pixels
from dicom_tools.dicom.source import Source
from dicom_tools.errors import DicomToolsError
from dicom_tools.ops.image import to_image
from dicom_tools.ops.stats import stats


def _pixel_files() -> list[Path]:
    out = []
    for p in corpus_files():
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                ds = pydicom.dcmread(p, stop_before_pixels=False, defer_size=64, force=True)
        except Exception:
            continue
        if "PixelData" in ds and "Rows" in ds:
            out.append(p)
    return out


PIXEL_FILES = _pixel_files()


def test_corpus_has_pixel_files():
    # pydicom's test files alone hold 100+ images; pydicom-data adds more.
    assert len(PIXEL_FILES) >= 100


@pytest.mark.parametrize("path", PIXEL_FILES, ids=lambda p: p.name)
def test_frames_equal_pydicom_per_frame(path: Path):
    try:
        src = open_pixels(path)
    except DicomToolsError as exc:
        # Refused: one line naming the file (why is each operation's tests' business).
        assert str(path) in str(exc) and "\n" not in str(exc)
        return
    decodable = True
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for index in sorted({0, src.frames - 1}):
            expected = _pydicom_frame(path, index, src.frames)
            if expected is None:  # no decoder of pydicom's reads it: neither may we
                with pytest.raises(DicomToolsError) as err:
                    src.frame(index)
                assert str(path) in str(err.value) and "\n" not in str(err.value)
                decodable = False
                continue
            got = src.frame(index)
            assert got.shape == expected.shape and got.dtype == expected.dtype
            assert np.array_equal(got, expected), f"{path.name} frame {index}"
        if decodable and src.frames <= 16:
            frames = list(src.iter_frames())
            assert len(frames) == src.frames
            assert np.array_equal(frames[-1], src.frame(src.frames - 1))


def _pydicom_frame(path: Path, index: int, frames: int) -> np.ndarray | None:
    try:
        return pixel_array(path, index=index)
    except Exception:
        pass
    try:
        # pydicom's path reader trusts the header; its data set decoding is the fallback
        ds = pydicom.dcmread(path, force=True)
        if not ds.file_meta.get("TransferSyntaxUID"):  # a bare data set: as pydicom read it
            implicit, little = ds.original_encoding
            ds.file_meta.TransferSyntaxUID = (
                pydicom.uid.ImplicitVRLittleEndian
                if implicit
                else pydicom.uid.ExplicitVRLittleEndian
                if little
                else pydicom.uid.ExplicitVRBigEndian
            )
        full = ds.pixel_array
    except Exception:
        return None
    return full if frames == 1 else full[index]


def _multiframe(tmp: Path, frames: int = 8) -> tuple[Path, np.ndarray]:
    """A native 16-bit multi-frame file with a different pattern in each frame."""
    ds = pydicom.dcmread(corpus_file("emri_small.dcm"))
    arr = np.stack([ds.pixel_array[i % int(ds.NumberOfFrames)] + i for i in range(frames)])
    ds.NumberOfFrames = frames
    ds.PixelData = arr.astype("<u2").tobytes()
    path = tmp / "multi.dcm"
    ds.save_as(path)
    return path, arr


def test_one_frame_reads_one_frames_bytes(tmp_path, monkeypatch):
    path, arr = _multiframe(tmp_path, frames=40)
    src = open_pixels(path)
    read = []

    class Counting:
        def __init__(self, f):
            self.f = f

        def read(self, n=-1):
            data = self.f.read(n)
            read.append(len(data))
            return data

        def __getattr__(self, name):
            return getattr(self.f, name)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.f.close()

    def counting_open(*args, **kwargs):
        return Counting(open(*args, **kwargs))

    monkeypatch.setattr(pixels, "open", counting_open, raising=False)
    got = src.frame(27)
    assert np.array_equal(got, arr[27])
    frame_bytes = arr[0].nbytes
    assert 0 < sum(read) <= frame_bytes, f"read {sum(read)} bytes for one {frame_bytes}-byte frame"


def test_one_frame_in_memory_reads_one_frames_bytes(tmp_path, monkeypatch):
    """An instance held in memory: frame N is decoded from its bytes in place (no temp file,
    no other frame read), and equals the array the file was made from."""
    path, arr = _multiframe(tmp_path, frames=40)
    src = open_pixels(Source.from_bytes(path.read_bytes(), name="multi"))
    read: list[int] = []
    opened = Source.open

    def counting_open(self):
        f = opened(self)
        real = f.read

        def read_counted(n=-1):
            data = real(n)
            read.append(len(data))
            return data

        f.read = read_counted
        return f

    monkeypatch.setattr(Source, "open", counting_open)
    got = src.frame(27)
    assert np.array_equal(got, arr[27])
    frame_bytes = arr[0].nbytes
    assert 0 < sum(read) <= frame_bytes, f"read {sum(read)} bytes for one {frame_bytes}-byte frame"


def test_frame_n_decodes_when_the_other_frames_are_garbage(tmp_path):
    """Encapsulated frames located by the offset table: the others are never decoded."""
    ds = pydicom.dcmread(corpus_file("emri_small_RLE.dcm"))
    expected = pydicom.dcmread(corpus_file("emri_small.dcm")).pixel_array
    fragments = list(generate_frames(ds.PixelData, number_of_frames=int(ds.NumberOfFrames)))
    n = 6
    garbage = [f if i == n else b"\xff\x00" * (len(f) // 2) for i, f in enumerate(fragments)]
    ds.PixelData = encapsulate(garbage, has_bot=True)
    path = tmp_path / "garbage.dcm"
    ds.save_as(path)
    assert np.array_equal(open_pixels(path).frame(n), expected[n])
    with pytest.raises(DicomToolsError):
        open_pixels(path).frame(n - 1)  # the reference: frame n-1 really is garbage
    out = to_image(path, tmp_path / "n.png", frame=n)
    assert out.output_files == [str(tmp_path / "n.png")]
    result = stats(path, frame=n)
    assert result.data["frames_used"] == 1


def test_stored_frames_for_reencoding_keep_the_samples(tmp_path):
    """iter_stored gives what was stored: YBR stays YBR (no colour conversion)."""
    path = corpus_file("SC_rgb_dcmtk_+eb+cy+n1.dcm")  # JPEG baseline YBR_FULL: converted
    lossless = corpus_file("SC_rgb_rle_2frame.dcm")
    src = pixels.PixelSource.from_dataset(pydicom.dcmread(lossless, defer_size=64), lossless)
    stored = list(src.iter_stored())
    reference = pixel_array(lossless, raw=True)
    assert len(stored) == 2
    for i, (arr, pi) in enumerate(stored):
        assert pi == "RGB" and np.array_equal(arr, reference[i])
    jpeg = pixels.PixelSource.from_dataset(pydicom.dcmread(path, defer_size=64), path)
    (arr, pi), *_ = list(jpeg.iter_stored())
    assert pi == "RGB"  # lossy JPEG keeps its decoder's YCbCr -> RGB, as dcmdjpeg does
    assert np.array_equal(arr, pixel_array(path))


def test_dataset_syntax_of_a_bare_data_set(tmp_path):
    ds = pydicom.dcmread(corpus_file("MR_small_implicit.dcm"))
    bare = tmp_path / "bare.dcm"
    ds.save_as(bare, enforce_file_format=False, implicit_vr=True, little_endian=True)
    ds2 = pydicom.dcmread(bare, force=True)
    ds2.file_meta = pydicom.dataset.FileMetaDataset()
    assert pixels.dataset_syntax(ds2) == "1.2.840.10008.1.2"
