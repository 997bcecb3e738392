"""transcode to a lossy target makes a derived instance, compared with what dcmcjpeg and
dcmcjpls write for the same input; --keep-uid and --new-series.

The references: dcmtk's own output (which elements change, Image Type, the codes of the
Derivation Code and Source Image sequences, the description and ratio formats), pydicom's
PS3.16 code dictionary for the code meanings, and the ratio computed here from the original's
pixel bytes and the output's fragments.
"""

from __future__ import annotations

import subprocess
import warnings
from pathlib import Path

import pydicom
import pytest
from conftest import corpus_file, require_tool, run_cli
from pydicom.encaps import generate_frames
from pydicom.sr.codedict import codes

from dicom_tools import registry
from dicom_tools.context import Context
from dicom_tools.errors import UsageError
from dicom_tools.ops.transcode import transcode

MONO8 = "vlut_04.dcm"  # 8-bit MONOCHROME2 without Image Type (pydicom-data)
RGB = "examples_rgb_color.dcm"  # 8-bit RGB, Image Type ORIGINAL\PRIMARY\SMALL PARTS
# dcmcjpeg's monochrome encoder may rescale the stored values and then deletes VOI LUTs
# (djcodece.cc, deleteVOILUT); ours encodes the stored values, so vlut_04's LUT stays valid.
NOT_COMPARED = {pydicom.tag.Tag("VOILUTSequence")}


def _read(path: Path) -> pydicom.Dataset:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # vlut_04 mixes explicit and implicit VR
        return pydicom.dcmread(path)


def _changed(before: pydicom.Dataset, after: pydicom.Dataset) -> set:
    """Top-level tags added, removed or with another value."""
    tags = {e.tag for e in before} | {e.tag for e in after}
    return {
        t for t in tags if (t in before) != (t in after) or before[t].value != after[t].value
    } - NOT_COMPARED


def _codes(seq) -> list[tuple[str, str, str]]:
    return [(i.CodeValue, i.CodingSchemeDesignator, i.CodeMeaning) for i in seq]


def _code(code) -> tuple[str, str, str]:
    return (code.value, code.scheme_designator, code.meaning)


def _fragment_bytes(ds: pydicom.Dataset) -> int:
    frames = int(ds.get("NumberOfFrames", 1) or 1)
    return sum(len(f) for f in generate_frames(ds.PixelData, number_of_frames=frames))


def _pixel_bytes(ds: pydicom.Dataset) -> int:
    frames = int(ds.get("NumberOfFrames", 1) or 1)
    return ds.Rows * ds.Columns * ds.SamplesPerPixel * (ds.BitsAllocated // 8) * frames


def _values(value) -> list[str]:
    return [str(value)] if isinstance(value, str | float) else [str(v) for v in value]


@pytest.fixture(scope="module")
def pairs(tmp_path_factory) -> dict[str, tuple[Path, Path, Path]]:
    """(original, dcmtk's output, ours) per input, for jpeg-baseline and near-lossless."""
    tmp = tmp_path_factory.mktemp("derived")
    done = {}
    for name in (MONO8, RGB):
        src = corpus_file(name)
        ref, ours = tmp / f"{name}.ref.dcm", tmp / f"{name}.ours.dcm"
        subprocess.run([require_tool("dcmcjpeg"), "+eb", src, ref], check=True, capture_output=True)
        transcode(src, ours, transfer_syntax="jpeg-baseline")
        done[("jpeg", name)] = (src, ref, ours)
    src = corpus_file(MONO8)
    ref, ours = tmp / "jls.ref.dcm", tmp / "jls.ours.dcm"
    subprocess.run([require_tool("dcmcjpls"), "+en", src, ref], check=True, capture_output=True)
    transcode(src, ours, transfer_syntax="jpeg-ls-near-lossless")  # NEAR 2, as dcmcjpls +en
    done[("jls", MONO8)] = (src, ref, ours)
    return done


CASES = [("jpeg", MONO8), ("jpeg", RGB), ("jls", MONO8)]


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c[0]}-{c[1]}")
def test_the_same_elements_change_as_with_dcmtk(pairs, case):
    src, ref, ours = (_read(p) for p in pairs[case])
    assert _changed(src, ours) == _changed(src, ref)


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c[0]}-{c[1]}")
def test_derived_instance_as_dcmtk_writes_it(pairs, case):
    src, ref, ours = (_read(p) for p in pairs[case])
    # A new instance: a new SOP Instance UID, in the file meta too; study and series kept.
    for ds in (ref, ours):
        assert ds.SOPInstanceUID != src.SOPInstanceUID
        assert ds.file_meta.MediaStorageSOPInstanceUID == ds.SOPInstanceUID
        assert ds.SeriesInstanceUID == src.SeriesInstanceUID
        assert ds.StudyInstanceUID == src.StudyInstanceUID
        assert ds.SOPClassUID == src.SOPClassUID
    assert pydicom.uid.UID(ours.SOPInstanceUID).is_valid
    assert ours.ImageType == ref.ImageType
    assert ours.LossyImageCompression == ref.LossyImageCompression == "01"
    assert ours.LossyImageCompressionMethod == ref.LossyImageCompressionMethod
    assert _codes(ours.DerivationCodeSequence) == _codes(ref.DerivationCodeSequence)
    assert _codes(ours.DerivationCodeSequence) == [_code(codes.DCM.LossyCompression)]
    # Source Image Sequence: one item, the original, with dcmtk's purpose of reference.
    assert len(ours.SourceImageSequence) == len(ref.SourceImageSequence) == 1
    for ds in (ref, ours):
        item = ds.SourceImageSequence[0]
        assert item.ReferencedSOPClassUID == src.SOPClassUID
        assert item.ReferencedSOPInstanceUID == src.SOPInstanceUID
    purpose = _codes(ours.SourceImageSequence[0].PurposeOfReferenceCodeSequence)
    assert purpose == _codes(ref.SourceImageSequence[0].PurposeOfReferenceCodeSequence)
    assert purpose == [_code(codes.DCM.UncompressedPredecessor)]


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c[0]}-{c[1]}")
def test_compression_ratio_is_pixel_bytes_over_fragment_bytes(pairs, case):
    src, ref, ours = (_read(p) for p in pairs[case])
    for ds in (ref, ours):
        expected = _pixel_bytes(src) / _fragment_bytes(ds)
        assert float(ds.LossyImageCompressionRatio) == pytest.approx(expected, rel=1e-3)
    if case[0] == "jpeg":
        # dcmcjpeg's format: 5 significant digits, in the ratio and in the description.
        ratio = _pixel_bytes(src) / _fragment_bytes(ours)
        assert str(ours.LossyImageCompressionRatio) == f"{ratio:.5g}"
        ref_ratio = _pixel_bytes(src) / _fragment_bytes(ref)
        assert str(ref.LossyImageCompressionRatio) == f"{ref_ratio:.5g}"


def test_derivation_description_in_dcmcjpeg_style(pairs):
    _src, ref, ours = (_read(p) for p in pairs[("jpeg", RGB)])
    for ds in (ref, ours):
        text = str(ds.DerivationDescription)
        assert text.startswith("Lossy compression with JPEG")
        assert "IJG quality factor 90" in text
        assert text.endswith(f"compression ratio {ds.LossyImageCompressionRatio}")


def test_second_lossy_compression_appends_as_dcmtk(tmp_path):
    """Lossy, decompressed, lossy again: ratios, methods and descriptions append, and the
    Source Image Sequence names the immediate predecessor, for dcmtk and for us."""
    src = corpus_file(RGB)
    first_ref, plain_ref, ref = (tmp_path / f"ref{i}.dcm" for i in range(3))
    subprocess.run(
        [require_tool("dcmcjpeg"), "+eb", src, first_ref], check=True, capture_output=True
    )
    subprocess.run(
        [require_tool("dcmdjpeg"), first_ref, plain_ref], check=True, capture_output=True
    )
    subprocess.run(
        [require_tool("dcmcjpeg"), "+eb", plain_ref, ref], check=True, capture_output=True
    )
    first, plain, ours = (tmp_path / f"ours{i}.dcm" for i in range(3))
    transcode(src, first, transfer_syntax="jpeg")
    transcode(first, plain, transfer_syntax="explicit")  # lossless: the UID stays
    transcode(plain, ours, transfer_syntax="jpeg")
    for a, b, c in ((first_ref, plain_ref, ref), (first, plain, ours)):
        one, two, three = _read(a), _read(b), _read(c)
        assert two.SOPInstanceUID == one.SOPInstanceUID
        assert three.SOPInstanceUID != one.SOPInstanceUID
        assert len(three.SourceImageSequence) == 1
        assert three.SourceImageSequence[0].ReferencedSOPInstanceUID == one.SOPInstanceUID
        assert _values(three.LossyImageCompressionRatio) == [
            str(one.LossyImageCompressionRatio),
            _values(three.LossyImageCompressionRatio)[1],
        ]
        assert _values(three.LossyImageCompressionMethod) == ["ISO_10918_1"] * 2
        old = str(one.DerivationDescription)
        assert str(three.DerivationDescription).endswith(f" [{old}]")
        assert len(three.DerivationCodeSequence) == 1
    # The one deliberate difference: the predecessor was lossy, and PS3.16 CID 7202 has a code
    # for that (dcmtk always writes "Uncompressed predecessor").
    purpose = _read(ours).SourceImageSequence[0].PurposeOfReferenceCodeSequence
    assert _codes(purpose) == [_code(codes.DCM.LossyCompressedPredecessor)]


def test_lossy_jpeg2000_is_derived_too(tmp_path):
    src = corpus_file("CT_small.dcm")
    out = tmp_path / "j2k.dcm"
    result = transcode(src, out, transfer_syntax="j2k", ratio=8)
    ds, before = _read(out), _read(src)
    assert ds.SOPInstanceUID != before.SOPInstanceUID
    assert result.data["derived_from"] == before.SOPInstanceUID
    assert result.data["sop_instance_uid"] == ds.SOPInstanceUID
    assert list(ds.ImageType) == ["DERIVED", *list(before.ImageType)[1:]]
    assert ds.LossyImageCompressionMethod == "ISO_15444_1"
    assert ds.SourceImageSequence[0].ReferencedSOPInstanceUID == before.SOPInstanceUID
    assert "target ratio 8" in ds.DerivationDescription


def test_lossless_targets_keep_the_instance(tmp_path):
    src = corpus_file(RGB)
    for target in ("jpeg-ls", "jpeg2000-lossless", "rle"):
        out = tmp_path / f"{target}.dcm"
        result = transcode(src, out, transfer_syntax=target)
        ds, before = _read(out), _read(src)
        assert ds.SOPInstanceUID == before.SOPInstanceUID
        assert ds.ImageType == before.ImageType
        assert "SourceImageSequence" not in ds and "LossyImageCompression" not in ds
        assert result.data["derived_from"] is None


def test_keep_uid_opts_out_with_a_warning(tmp_path):
    src = corpus_file(RGB)
    out = tmp_path / "kept.dcm"
    seen: list[str] = []
    spec = registry.get("transcode")
    result = registry.execute(
        spec,
        src,
        out,
        {"transfer_syntax": "jpeg-baseline", "keep_uid": True},
        context=Context(on_warning=seen.append),
    )
    ds, before = _read(out), _read(src)
    assert ds.SOPInstanceUID == before.SOPInstanceUID
    assert ds.file_meta.MediaStorageSOPInstanceUID == before.SOPInstanceUID
    assert "SourceImageSequence" not in ds  # it would name the instance itself
    assert ds.ImageType[0] == "DERIVED" and ds.LossyImageCompression == "01"  # as dcmcjpeg +un
    assert any("keep_uid" in w and before.SOPInstanceUID in w for w in seen), seen
    assert result.data["warnings"] and "keep_uid" in result.data["warnings"][0]
    proc = run_cli("transcode", src, "-o", tmp_path / "k2.dcm", "--syntax", "jpeg", "--keep-uid")
    assert proc.returncode == 0, proc.stderr
    assert "warning: --keep-uid" in proc.stdout


def test_new_series_on_request(tmp_path):
    src = corpus_file(RGB)
    out = tmp_path / "series.dcm"
    transcode(src, out, transfer_syntax="jpeg", new_series=True)
    ds, before = _read(out), _read(src)
    assert ds.SeriesInstanceUID != before.SeriesInstanceUID
    assert ds.StudyInstanceUID == before.StudyInstanceUID
    assert ds.SOPInstanceUID != before.SOPInstanceUID


@pytest.mark.parametrize(
    ("target", "options"),
    [("rle", {"new_series": True}), ("jpeg", {"new_series": True, "keep_uid": True})],
)
def test_new_series_usage_errors(tmp_path, target, options):
    with pytest.raises(UsageError):
        transcode(corpus_file(RGB), tmp_path / "x.dcm", transfer_syntax=target, **options)
    assert not list(tmp_path.iterdir())


def test_description_is_cut_to_an_st_value(tmp_path):
    src = _read(corpus_file(RGB))
    src.DerivationDescription = "x" * 1020
    path = tmp_path / "long.dcm"
    src.save_as(path)
    out = tmp_path / "out.dcm"
    transcode(path, out, transfer_syntax="jpeg")
    text = str(_read(out).DerivationDescription)
    assert len(text) == 1024 and text.endswith("...]")  # dcmcjpeg's cut
    assert text.startswith("Lossy compression with JPEG")


def test_copied_lossy_data_stay_the_same_instance(tmp_path):
    # The same lossy syntax without options copies the fragments: nothing is re-compressed,
    # so the instance is not derived and --new-series has nothing to apply to.
    src = corpus_file("SC_rgb_jpeg_dcmtk.dcm")
    out = tmp_path / "same.dcm"
    result = transcode(src, out, transfer_syntax="jpeg-baseline", new_series=True)
    ds, before = _read(out), _read(src)
    assert result.data["pixel_data"] == "copied" and result.data["derived_from"] is None
    assert ds.SOPInstanceUID == before.SOPInstanceUID
    assert ds.SeriesInstanceUID == before.SeriesInstanceUID
    assert any("new_series" in w and "ignored" in w for w in result.data["warnings"])
