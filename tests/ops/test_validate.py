"""validate: defects made on purpose are reported at the right tag, clean files report no
errors, and the Type 1/2 and value-format errors dciodvfy reports on the corpus are found too."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from conftest import corpus_file, corpus_files, require_tool, run_cli
from pydicom.datadict import dictionary_description, keyword_for_tag
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import (
    DeflatedExplicitVRLittleEndian,
    ExplicitVRBigEndian,
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
    RLELossless,
)

from dicom_tools.errors import InputError
from dicom_tools.ops.validate import validate
from dicom_tools.validation import Report, validate_file

CT = "1.2.840.10008.5.1.4.1.1.2"
MR = "1.2.840.10008.5.1.4.1.1.4"
UID_ROOT = "1.2.826.0.1.3680043.8.498."


def clean_ct() -> Dataset:
    """A small CT image that dciodvfy and validate both find without errors."""
    ds = Dataset()
    ds.SpecificCharacterSet = "ISO_IR 100"
    ds.ImageType = ["ORIGINAL", "PRIMARY", "AXIAL"]
    ds.SOPClassUID = CT
    ds.SOPInstanceUID = UID_ROOT + "1"
    ds.StudyDate = "20240105"
    ds.ContentDate = "20240105"
    ds.StudyTime = "101500"
    ds.ContentTime = "101600"
    ds.AccessionNumber = ""
    ds.Modality = "CT"
    ds.Manufacturer = "dicom-tools"
    ds.ReferringPhysicianName = ""
    code = Dataset()
    code.CodeValue = "121311"
    code.CodingSchemeDesignator = "DCM"
    code.CodeMeaning = "Localizer"
    ref = Dataset()
    ref.ReferencedSOPClassUID = CT
    ref.ReferencedSOPInstanceUID = UID_ROOT + "9"
    ref.PurposeOfReferenceCodeSequence = [code]
    ds.ReferencedImageSequence = [ref]
    ds.PatientName = "Doe^Jane"
    ds.PatientID = "ID1"
    ds.PatientBirthDate = "19700101"
    ds.PatientSex = "F"
    ds.PatientAge = "054Y"
    ds.SliceThickness = "1.0"
    ds.KVP = "120"
    ds.PatientPosition = "HFS"
    ds.StudyInstanceUID = UID_ROOT + "2"
    ds.SeriesInstanceUID = UID_ROOT + "3"
    ds.StudyID = "1"
    ds.SeriesNumber = "1"
    ds.AcquisitionNumber = "1"
    ds.InstanceNumber = "1"
    ds.ImagePositionPatient = [0, 0, 0]
    ds.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
    ds.FrameOfReferenceUID = UID_ROOT + "4"
    ds.Laterality = ""  # Type 2C; dciodvfy wants it present
    ds.PositionReferenceIndicator = ""
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.Rows = 4
    ds.Columns = 4
    ds.PixelSpacing = [0.5, 0.5]
    ds.BitsAllocated = 16
    ds.BitsStored = 12
    ds.HighBit = 11
    ds.PixelRepresentation = 0
    ds.RescaleIntercept = "-1024"
    ds.RescaleSlope = "1"
    ds.RescaleType = "HU"
    ds.PixelData = np.arange(16, dtype=np.uint16).tobytes()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = CT
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    return ds


def write(ds: Dataset, path: Path, syntax: str = ExplicitVRLittleEndian) -> Path:
    ds.file_meta.TransferSyntaxUID = syntax
    ds.save_as(path, enforce_file_format=True)
    return path


def errors(report: Report) -> list[str]:
    return [f.line() for f in report.errors()]


def found(report: Report, tag: int, code: str, severity: str = "error") -> bool:
    return any(f.tag == tag and f.code == code and f.severity == severity for f in report.findings)


# --- defects made by the tests -------------------------------------------------------------


def _set(**values) -> Callable[[Dataset], None]:
    def change(ds: Dataset) -> None:
        for k, v in values.items():
            setattr(ds, k, v)

    return change


class _Raw:
    """Store ``value`` as the bytes of element ``tag`` (pydicom would refuse or fix them)."""

    def __init__(self, tag: int, value: bytes) -> None:
        self.tag, self.value = tag, value + b" " * (len(value) & 1)

    def apply(self, data: bytes) -> bytes:
        start, end = _element(data, self.tag)
        header = data[start : start + 6] + len(self.value).to_bytes(2, "little")
        return data[:start] + header + self.value + data[end:]


def _delete(*path: str | int) -> Callable[[Dataset], None]:
    def change(ds: Dataset) -> None:
        target = ds
        for step in path[:-1]:
            target = target[step] if isinstance(step, int) else getattr(target, step)
        delattr(target, path[-1])

    return change


def _long_uid(ds: Dataset) -> None:
    uid = UID_ROOT + "1" * 60
    ds.SOPInstanceUID = uid
    ds.file_meta.MediaStorageSOPInstanceUID = uid


class _Replace(_Raw):
    """Replace the first occurrence of some bytes (in the meta group: pydicom rewrites it)."""

    def __init__(self, old: bytes, new: bytes) -> None:
        self.old, self.new = old, new

    def apply(self, data: bytes) -> bytes:
        return data.replace(self.old, self.new, 1)


_meta_uid = _Replace((UID_ROOT + "1\0").encode(), (UID_ROOT + "7\0").encode())
_meta_class = _Replace((CT + "\0").encode(), (MR + "\0").encode())


def _wrong_vr(ds: Dataset) -> None:
    del ds.StudyDate
    ds.add_new(0x00080020, "LO", "20240105")


def _private_without_creator(ds: Dataset) -> None:
    ds.add_new(0x00091001, "LO", "orphan")


DEFECTS = [
    # (name, change, tag, code)
    ("removed Type 1", _delete("SeriesInstanceUID"), 0x0020000E, "missing-type1"),
    ("removed Type 1 in CT Image", _delete("RescaleIntercept"), 0x00281052, "missing-type1"),
    ("empty Type 1", _set(Modality=""), 0x00080060, "empty-type1"),
    ("removed Type 2", _delete("PatientID"), 0x00100020, "missing-type2"),
    ("removed Type 2C (CT)", _delete("PatientPosition"), 0x00185100, "missing-type2"),
    ("Type 1C by condition", _set(PatientIdentityRemoved="YES"), 0x00120063, "missing-type1"),
    ("malformed DA", _Raw(0x00080020, b"2024-01-05"), 0x00080020, "bad-format"),
    ("impossible DA", _Raw(0x00080020, b"20240230"), 0x00080020, "bad-format"),
    ("malformed TM", _Raw(0x00080030, b"25:00"), 0x00080030, "bad-format"),
    ("too-long UI", _long_uid, 0x00080018, "bad-length"),
    ("UI with letters", _Raw(0x0020000D, b"1.2.3.abc"), 0x0020000D, "bad-format"),
    ("UI with leading zero", _Raw(0x0020000E, b"1.2.03"), 0x0020000E, "bad-format"),
    ("lower-case CS", _Raw(0x00080008, b"original\\PRIMARY"), 0x00080008, "bad-format"),
    ("AS of 3 characters", _Raw(0x00101010, b"22Y"), 0x00101010, "bad-format"),
    ("IS with a fraction", _Raw(0x00200011, b"1.5"), 0x00200011, "bad-format"),
    ("IS out of range", _Raw(0x00200011, b"3000000000"), 0x00200011, "bad-format"),
    ("DS not a number", _Raw(0x00180050, b"thin"), 0x00180050, "bad-format"),
    ("DS too long", _Raw(0x00180050, b"1.00000000000000001"), 0x00180050, "bad-length"),
    ("SH too long", _Raw(0x00200010, b"x" * 17), 0x00200010, "bad-length"),
    ("LO too long", _Raw(0x00080070, b"m" * 65), 0x00080070, "bad-length"),
    ("PN with 6 components", _Raw(0x00100010, b"a^b^c^d^e^f"), 0x00100010, "bad-format"),
    ("PN with 4 groups", _Raw(0x00100010, b"a=b=c=d"), 0x00100010, "bad-format"),
    ("VM below the dictionary's", _set(PixelSpacing=[0.5]), 0x00280030, "bad-vm"),
    ("enumerated value", _Raw(0x00100040, b"X"), 0x00100040, "bad-enumerated"),
    ("VR against the dictionary", _wrong_vr, 0x00080020, "bad-vr"),
    ("private without creator", _private_without_creator, 0x00091001, "no-private-creator"),
    ("meta/data set instance UID", _meta_uid, 0x00020003, "meta-mismatch"),
    ("meta/data set class UID", _meta_class, 0x00020002, "meta-mismatch"),
    ("wrong pixel data length", _set(PixelData=b"\0" * 30), 0x7FE00010, "bad-pixel-length"),
    (
        "photometric vs samples",
        _set(PhotometricInterpretation="RGB"),
        0x00280004,
        "bad-pixel-module",
    ),
    ("high bit", _set(HighBit=15), 0x00280102, "bad-pixel-module"),
    ("bits stored", _set(BitsStored=17), 0x00280101, "bad-pixel-module"),
    (
        "planar configuration with 1 sample",
        _set(PlanarConfiguration=0),
        0x00280006,
        "condition-unsatisfied",
    ),
    (
        "nested Type 1",
        _delete("ReferencedImageSequence", 0, "ReferencedSOPClassUID"),
        0x00081150,
        "missing-type1",
    ),
]


# Where a defect's finding is, when that is not its keyword at the top level.
DEFECT_PATHS = {
    "private without creator": "(0009,1001)",
    "nested Type 1": "ReferencedImageSequence[0].ReferencedSOPClassUID",
}
# Errors a defect rightly causes at other tags, and why; every other error is at its own tag.
ALSO_WRONG = {
    "Type 1C by condition": {
        0x00120064: "Patient Identity Removed YES requires De-identification Method Code "
        "Sequence too (Type 1C on the same condition)",
    },
    "too-long UI": {0x00020003: "the meta group repeats the SOP Instance UID: too long there too"},
    "bits stored": {0x00280102: "High Bit 11 is no longer Bits Stored 17 - 1"},
}


def _path_of(name: str, tag: int) -> str:
    return DEFECT_PATHS.get(name) or keyword_for_tag(tag)


@pytest.fixture(scope="module")
def clean_file(tmp_path_factory) -> Path:
    return write(clean_ct(), tmp_path_factory.mktemp("clean") / "clean.dcm")


def test_clean_synthetic_file_has_no_findings(clean_file):
    report = validate_file(clean_file)
    assert report.iod == "ct-image"
    assert [f.line() for f in report.findings if f.severity != "info"] == []


@pytest.mark.parametrize(
    "syntax", [ImplicitVRLittleEndian, ExplicitVRBigEndian, DeflatedExplicitVRLittleEndian]
)
def test_clean_file_in_other_transfer_syntaxes(tmp_path, syntax):
    report = validate_file(write(clean_ct(), tmp_path / "a.dcm", syntax))
    assert errors(report) == []


def test_dciodvfy_agrees_the_synthetic_file_is_clean(clean_file):
    tool = require_tool("dciodvfy")
    assert _dciodvfy_errors(tool, clean_file) == []


@pytest.mark.parametrize(("name", "change", "tag", "code"), DEFECTS, ids=[d[0] for d in DEFECTS])
def test_defect_is_reported_at_its_tag(tmp_path, name, change, tag, code):
    ds = clean_ct()
    if not isinstance(change, _Raw):
        change(ds)
    path = write(ds, tmp_path / "defect.dcm")
    if isinstance(change, _Raw):
        path.write_bytes(change.apply(path.read_bytes()))
    report = validate_file(path)
    assert found(report, tag, code), (name, [f.line() for f in report.findings])
    # nothing else breaks: every error is at the defect's tag (or the values it makes wrong)
    assert report.errors()
    at_defect = [f for f in report.errors() if f.tag == tag]
    assert {f.path for f in at_defect} == {_path_of(name, tag)}, [f.line() for f in at_defect]
    assert code in {f.code for f in at_defect}
    others = {f.tag for f in report.errors() if f.tag != tag}
    assert others == set(ALSO_WRONG.get(name, {})), [f.line() for f in report.errors()]


# Defects dciodvfy does not look for (the rest it reports as errors too).
DCIODVFY_SILENT = {
    "impossible DA": "dciodvfy checks DA characters and length, not the calendar",
    "PN with 4 groups": "dciodvfy counts ^ delimiters, not = groups",
    "private without creator": "dciodvfy does not check private creators",
    "high bit": "dciodvfy only checks Bits Stored <= High Bit + 1",
}


def _names(tag: int) -> list[str]:
    """How dciodvfy may name an attribute: (0xgggg,0xeeee), its keyword or its name."""
    names = [f"(0x{tag >> 16:04x},0x{tag & 0xFFFF:04x})"]
    if keyword_for_tag(tag):
        names += [keyword_for_tag(tag), dictionary_description(tag)]
    return names


def test_dciodvfy_reports_the_defects_too(tmp_path):
    tool = require_tool("dciodvfy")
    for name, change, tag, _code in DEFECTS:
        ds = clean_ct()
        if not isinstance(change, _Raw):
            change(ds)
        path = write(ds, tmp_path / "defect.dcm")
        if isinstance(change, _Raw):
            path.write_bytes(change.apply(path.read_bytes()))
        theirs = _dciodvfy_errors(tool, path)
        assert bool(theirs) == (name not in DCIODVFY_SILENT), (name, theirs)
        if theirs:  # and at the defect's attribute
            named = [
                line
                for line in theirs
                if any(re.search(rf"(?<!\w){re.escape(n)}(?!\w)", line) for n in _names(tag))
            ]
            assert named, (name, theirs)


def test_nested_defect_names_its_path(tmp_path):
    ds = clean_ct()
    del ds.ReferencedImageSequence[0].PurposeOfReferenceCodeSequence[0].CodeMeaning
    report = validate_file(write(ds, tmp_path / "a.dcm"))
    [f] = report.errors()
    assert (f.tag, f.code) == (0x00080104, "missing-type1")
    assert f.path == "ReferencedImageSequence[0].PurposeOfReferenceCodeSequence[0].CodeMeaning"
    assert f.module == "general-reference"


def test_retired_attribute_is_a_warning(tmp_path):
    ds = clean_ct()
    ds.OtherPatientIDs = "X1"
    report = validate_file(write(ds, tmp_path / "a.dcm"))
    assert found(report, 0x00101000, "retired", "warning")
    assert errors(report) == []


# --- byte-level defects --------------------------------------------------------------------


def _element(data: bytes, tag: int) -> tuple[int, int]:
    """Start and end of a short explicit-VR little-endian element in ``data``."""
    start = data.index(tag.to_bytes(4, "big")[1::-1] + tag.to_bytes(4, "big")[:1:-1])
    length = int.from_bytes(data[start + 6 : start + 8], "little")
    return start, start + 8 + length


def test_broken_nested_sequence_item(clean_file, tmp_path):
    data = clean_file.read_bytes()
    outer = data.index(b"\xfe\xff\x00\xe0")
    inner = data.index(b"\xfe\xff\x00\xe0", outer + 1)
    bad_tag = tmp_path / "tag.dcm"
    bad_tag.write_bytes(data[:inner] + b"\x34\x12\x78\x56" + data[inner + 4 :])
    bad_length = tmp_path / "length.dcm"
    bad_length.write_bytes(data[: inner + 4] + b"\xf0\x00\x00\x00" + data[inner + 8 :])
    path = "ReferencedImageSequence[0].PurposeOfReferenceCodeSequence"
    for file, code in ((bad_tag, "bad-item"), (bad_length, "length-overrun")):
        report = validate(file)
        assert report.failed
        [f] = report.data["errors"]
        assert (f["tag"], f["code"], f["path"]) == ("(0040,A170)", code, path)


def test_duplicate_unordered_and_odd_length_elements(clean_file, tmp_path):
    data = clean_file.read_bytes()
    s0, s1 = _element(data, 0x00080020)  # StudyDate
    c0, c1 = _element(data, 0x00080023)  # ContentDate, right after it
    cases = {
        "duplicate": data[:s1] + data[s0:s1] + data[s1:],
        "out-of-order": data[:s0] + data[c0:c1] + data[s0:s1] + data[c1:],
    }
    i0, i1 = _element(data, 0x00200010)  # StudyID "1 "
    cases["odd-length"] = data[: i0 + 6] + b"\x01\x00" + b"1" + data[i1:]
    tags = {"duplicate": 0x00080020, "out-of-order": 0x00080020, "odd-length": 0x00200010}
    for code, content in cases.items():
        path = tmp_path / f"{code}.dcm"
        path.write_bytes(content)
        report = validate_file(path)
        assert found(report, tags[code], code), (code, errors(report))


def test_meta_group_length_and_missing_meta(clean_file, tmp_path):
    data = clean_file.read_bytes()
    at = data.index(b"\x02\x00\x00\x00UL\x04\x00") + 8
    wrong = (int.from_bytes(data[at : at + 4], "little") + 2).to_bytes(4, "little")
    path = tmp_path / "length.dcm"
    path.write_bytes(data[:at] + wrong + data[at + 4 :])
    assert found(validate_file(path), 0x00020000, "bad-group-length")
    ds = clean_ct()
    del ds.file_meta
    bare = tmp_path / "bare.dcm"
    ds.save_as(bare, implicit_vr=True, little_endian=True)
    report = validate_file(bare)
    assert [f.code for f in report.errors()] == ["no-meta"]
    assert report.iod == "ct-image"  # the data set itself is still checked


def test_specific_character_set_required_for_non_ascii_text(clean_file, tmp_path):
    ds = clean_ct()
    del ds.SpecificCharacterSet
    path = write(ds, tmp_path / "a.dcm")
    path.write_bytes(_Raw(0x00100010, b"M\xfcller^Hans").apply(path.read_bytes()))
    assert found(validate_file(path), 0x00080005, "missing-type1")
    assert not found(validate_file(clean_file), 0x00080005, "missing-type1")


def test_transfer_syntax_inconsistent_with_the_encoding(clean_file, tmp_path):
    data = clean_file.read_bytes()
    # RLE Lossless has the same length as Explicit VR Little Endian: only the UID changes.
    path = tmp_path / "rle.dcm"
    path.write_bytes(data.replace(b"1.2.840.10008.1.2.1\0", RLELossless.encode() + b"\0", 1))
    report = validate_file(path)
    assert found(report, 0x00020010, "transfer-syntax-mismatch"), errors(report)


def test_encapsulated_fragment_structure(tmp_path):
    from pydicom.encaps import encapsulate

    ds = clean_ct()
    frames = [b"\x01\x02" * 8, b"\x03\x04" * 8]
    ds.PixelData = encapsulate(frames, has_bot=True)
    ds["PixelData"].VR = "OB"
    ds.NumberOfFrames = 2
    good = validate_file(write(ds, tmp_path / "good.dcm", RLELossless))
    # (the frames are not real RLE: that they do not decode is reported, and not checked here)
    structure = [f for f in good.errors() if f.module == "image-pixel"]
    assert not [f for f in structure if f.code != "bad-pixel-data"], errors(good)
    ds.NumberOfFrames = 3
    bad = validate_file(write(ds, tmp_path / "bad.dcm", RLELossless))
    messages = [f.message for f in bad.errors() if f.code == "bad-fragments"]
    assert any("2 fragment(s) for 3 frame(s)" in m for m in messages), errors(bad)
    assert any("Basic Offset Table has 2 offset(s)" in m for m in messages), errors(bad)


def test_functional_group_macro_at_depth(tmp_path):
    import pydicom

    ds = pydicom.dcmread(corpus_file("liver.dcm"))
    assert errors(validate_file(corpus_file("liver.dcm"))) == []
    del ds.PerFrameFunctionalGroupsSequence[1].SegmentIdentificationSequence[0][0x0062000B]
    report = validate_file(write(ds, tmp_path / "fg.dcm", ds.file_meta.TransferSyntaxUID))
    [f] = report.errors()
    assert (f.tag, f.code, f.module) == (
        0x0062000B,
        "missing-type1",
        "segmentation-multi-frame-functional-groups",
    )
    assert f.path == (
        "PerFrameFunctionalGroupsSequence[1].SegmentIdentificationSequence[0].ReferencedSegmentNumber"
    )


# --- comparison with dciodvfy on the corpus ------------------------------------------------

_TYPE_ERROR = re.compile(
    r"^Error - (Missing attribute|Empty attribute \(no value\)) Type (1C|2C|1|2) \w+ "
    r"Element=<(\w+)>"
)
_VALUE_ERROR = re.compile(
    r"^Error - (?:Value invalid for this VR|Illegal root for UID).*?"
    r"\(0x([0-9a-f]{4}),0x([0-9a-f]{4})\)"
)

# dciodvfy errors we do not report, with the reason.
NOT_REPORTED = {
    ("rtstruct.dcm", "FrameOfReferenceUID"): "the current standard (highdicom's tables) has the "
    "Frame of Reference module as U (optional) in the RT Structure Set IOD; dciodvfy has it M",
    ("rtstruct.dcm", "PositionReferenceIndicator"): "same: Frame of Reference module is U",
}
# Type 1C/2C attributes whose condition cannot be decided from the data set.
UNDECIDED = {
    "LongCodeValue": "an alternative to Code Value: a code with none of the three is reported "
    "once, as a missing Code Value",
    "URNCodeValue": "as Long Code Value",
}


def _dciodvfy_errors(tool: str, path: Path) -> list[str] | None:
    """dciodvfy's error lines for ``path``; None when dciodvfy crashes on it."""
    proc = subprocess.run([tool, str(path)], capture_output=True, text=True, errors="replace")
    out = proc.stdout + proc.stderr
    if "Assertion" in out or proc.returncode < 0:
        return None  # it asserts on 32-bit pixel data (Bits Allocated > 16)
    return [line for line in out.splitlines() if line.startswith("Error")]


@pytest.fixture(scope="module")
def corpus_results() -> list[tuple[Path, Report, list[str] | None]]:
    tool = require_tool("dciodvfy")
    return [(p, validate_file(p), _dciodvfy_errors(tool, p)) for p in corpus_files()]


def test_files_dciodvfy_finds_clean_report_no_errors(corpus_results):
    clean = [(p, r) for p, r, theirs in corpus_results if theirs == []]
    assert len(clean) >= 30
    dirty = {p.name: errors(r) for p, r in clean if r.errors()}
    assert dirty == {}


def test_every_type_and_format_error_of_dciodvfy_is_found(corpus_results):
    expected = matched = 0
    missed = []
    for path, report, theirs in corpus_results:
        ours = report.errors()
        for line in theirs or []:
            if m := _TYPE_ERROR.match(line):
                kind, type_, keyword = m.groups()
                if type_ in ("1C", "2C") and keyword in UNDECIDED:
                    continue
                code = "empty-type1" if kind.startswith("Empty") else f"missing-type{type_[0]}"
                hit = any(f.keyword == keyword and f.code == code for f in ours)
                key = (path.name, keyword)
            elif m := _VALUE_ERROR.match(line):
                tag = int(m.group(1) + m.group(2), 16)
                hit = any(f.tag == tag and f.code.startswith("bad-") for f in ours)
                key = (path.name, f"{tag:08X}")
            else:
                continue
            if key in NOT_REPORTED:
                continue
            expected += 1
            matched += hit
            if not hit:
                missed.append((key, line))
    print(f"\ndciodvfy type/format errors matched: {matched}/{expected}")
    assert expected > 300
    assert missed == []


def test_dciodvfy_crashes_are_still_validated(corpus_results):
    crashed = [(p, r) for p, r, theirs in corpus_results if theirs is None]
    assert crashed  # 32-bit files; dciodvfy asserts, we report their real defects
    for path, report in crashed:
        if "32bit" in path.name:
            assert errors(report) == [] or all(f.code == "bad-vr" for f in report.errors())


# --- the operation and the CLI -------------------------------------------------------------


def test_result_shape_and_levels(tmp_path):
    ds = clean_ct()
    del ds.SeriesInstanceUID
    ds.OtherPatientIDs = "X1"
    path = write(ds, tmp_path / "a.dcm")
    result = validate(path)
    assert result.failed
    data = result.data
    assert set(data) == {"file", "sop_class", "iod", "valid", "errors", "warnings"}
    assert (data["sop_class"], data["iod"], data["valid"]) == (CT, "ct-image", False)
    [err] = data["errors"]
    assert set(err) >= {"tag", "keyword", "path", "module", "message"}
    assert (err["tag"], err["keyword"], err["module"]) == (
        "(0020,000E)",
        "SeriesInstanceUID",
        "general-series",
    )
    assert data["warnings"]
    assert validate(path, level="error").data["warnings"] == []
    assert "info" in validate(path, level="info").data
    lines = result.text.splitlines()
    assert re.match(r"^error\s+\(0020,000E\) SeriesInstanceUID\s+general-series\s+\S", lines[0])
    assert lines[-1].endswith("1 error, 1 warning: INVALID")


def test_cli_exit_codes(clean_file, tmp_path):
    proc = run_cli("validate", clean_file)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.strip().endswith("valid")
    ds = clean_ct()
    ds.StudyDate = "1997.04.24"
    bad = write(ds, tmp_path / "bad.dcm")
    proc = run_cli("validate", bad, "--json", "--level", "error")
    assert proc.returncode == 1
    data = json.loads(proc.stdout)
    assert data["valid"] is False
    assert {e["tag"] for e in data["errors"]} == {"(0008,0020)"}
    text = tmp_path / "text.dcm"
    text.write_text("not dicom\n")
    assert run_cli("validate", text).returncode == 2


def test_unreadable_input_is_an_input_error(tmp_path):
    path = tmp_path / "x.dcm"
    path.write_bytes(b"\0" * 128 + b"DICM" + b"\x02\x00\x10\x00UI\xff\x00")
    with pytest.raises(InputError):
        validate(path)


def test_tables_load_lazily_and_are_cached(tmp_path, clean_file):
    code = (
        "import sys; import dicom_tools.ops.validate as v; "
        "assert 'highdicom' not in sys.modules and 'dicom_tools.validation.tables' "
        "not in sys.modules; "
        f"r = v.validate(__import__('pathlib').Path({str(clean_file)!r})); "
        "assert not r.failed and 'highdicom' not in sys.modules"
    )
    env = {**os.environ, "DICOM_TOOLS_CACHE": str(tmp_path)}
    for _ in range(2):  # builds the cache, then reads it
        proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True)
        assert proc.returncode == 0, proc.stderr.decode()
    assert len(list(tmp_path.glob("standard-tables-*.marshal"))) == 1
