"""anonymize: PS3.15 Table E.1-1 checked from the table itself, on synthetic and real files.

The table is read here independently of the implementation, from the tests' own copy of the
standard's table (tests/data/standard/, whose README says where it comes from); without it the
module fails under DICOM_TOOLS_REQUIRE_REFERENCES, or is skipped, never compared with the
package's own copy. A synthetic data set holds every listed attribute, with its
dictionary VR and a distinctive value, at the top level and nested two sequences deep; the
output must give each one an outcome the table allows, and no planted value of an X/Z/D/U
attribute may survive anywhere in the output bytes. Real files (the pydicom corpus) must stay
readable by dcmdump / dcmj2pnm, and a study anonymized file by file must stay one study.
"""

from __future__ import annotations

import copy
import csv
import datetime as dt
import json
import re
import struct
import subprocess
from importlib import resources
from pathlib import Path

import pytest
from conftest import corpus_file, corpus_files, missing_reference, require_tool, run_cli
from pydicom import Dataset, config, dcmread
from pydicom.datadict import dictionary_VR, keyword_for_tag
from pydicom.dataset import FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.uid import UID, ExplicitVRLittleEndian

from dicom_tools.anonymize import AnonymizeOptions, Anonymizer
from dicom_tools.anonymize.profile import build_profile
from dicom_tools.errors import UsageError
from dicom_tools.ops.anonymize import anonymize

TABLE_NAME = "confidentiality_profile_attributes.json"
LICENCE_NAME = "LICENSE-innolitics-dicom-standard.txt"
# The tests' own copy of PS3.15 Table E.1-1, independent of the package's copy that the code reads.
STANDARD = Path(__file__).resolve().parents[1] / "data" / "standard"
# Where it was copied from: the workspace's copy of the standard, outside the repository.
SHARED_STANDARD = Path(__file__).resolve().parents[3] / "shared" / "standard"
CT_CLASS = "1.2.840.10008.5.1.4.1.1.2"
KEY = "test-key"


def _load_rows() -> list[dict]:
    table = STANDARD / TABLE_NAME
    if not table.is_file():
        missing_reference(f"the standard's table {table} is missing", module=True)
    return json.loads(table.read_text())


ROWS = _load_rows()
LISTED = {int(r["id"], 16): r for r in ROWS if re.fullmatch(r"[0-9a-f]{8}", r["id"])}

# PS3.15 E.1.1's action codes: the actions each code of the table allows (a compound code allows
# each of its parts, chosen by the attribute's Type in the IOD; U* is U, for the sequence's UIDs).
ACTION_CODES = {
    "X": {"X"},
    "Z": {"Z"},
    "D": {"D"},
    "U": {"U"},
    "K": {"K"},
    "C": {"C"},
    "X/Z": {"X", "Z"},
    "X/D": {"X", "D"},
    "Z/D": {"Z", "D"},
    "X/Z/D": {"X", "Z", "D"},
    "X/Z/U*": {"X", "Z", "U"},
}

# What each Basic Profile action allows (PS3.15 E.1.1), as outcomes seen in the output: the
# element removed, emptied, or present with a value other than the original.
ALLOWED = {
    "X": {"removed"},
    "Z": {"empty", "replaced"},
    "D": {"replaced"},
    "U": {"replaced"},
    "X/Z": {"removed", "empty", "replaced"},
    "X/D": {"removed", "replaced"},
    "Z/D": {"empty", "replaced"},
    "X/Z/D": {"removed", "empty", "replaced"},
    "X/Z/U*": {"removed", "empty", "replaced"},
}
# Attributes put nowhere but in nested items: a top-level data set cannot hold them on write.
NESTED_ONLY = {0x0000, 0x0002}
NUMERIC_TEXT = {"DA", "DT", "TM", "DS", "IS", "AS"}
BINARY_NUMBERS = {"US", "SS", "UL", "SL", "UV", "SV", "FL", "FD", "AT"}


# --- a synthetic data set holding every listed attribute --------------------------------------


class Planted:
    """Distinctive values, one per element, and where they were put."""

    def __init__(self) -> None:
        self.n = 0
        self.values: dict[tuple, tuple[int, str, object]] = {}  # path -> (tag, VR, value)

    def value(self, vr: str) -> object:
        self.n += 1
        n = self.n
        if vr in ("AE", "CS", "SH"):
            return f"Q{n:05d}PHI"
        if vr in ("LO", "LT", "ST", "UT", "UC"):
            return f"Q{n:05d}PHI secret text"
        if vr == "PN":
            return f"Q{n:05d}PHI^Given"
        if vr == "UR":
            return f"http://q{n:05d}phi.example"
        if vr == "UI":
            return f"1.2.826.0.1.3680043.99.{n}.777"
        if vr == "DA":
            return (dt.date(1850, 1, 1) + dt.timedelta(days=n)).strftime("%Y%m%d")
        if vr == "DT":
            return (dt.date(1850, 1, 1) + dt.timedelta(days=n)).strftime("%Y%m%d") + "101112.654"
        if vr == "TM":
            return f"101112.{n:06d}"
        if vr == "DS":
            return f"9{n:05d}.7531"
        if vr == "IS":
            return f"97{n:05d}31"
        if vr == "AS":
            return "077W"
        if vr in ("FL", "FD"):
            return 7777.0 + n
        if vr in BINARY_NUMBERS:
            return 30000 + n % 1000
        return f"OBQ{n:05d}PHI!".encode()  # OB, OW, UN, OF, OD, OL, OV

    def item(self, tag: int, path: tuple) -> Dataset:
        """An item for a listed sequence: a code and a reference (its UIDs are what U* means).

        Its values are recorded under ("in-item", ...): they are searched for in the output
        bytes, but their place may legitimately be gone with the sequence.
        """
        item = Dataset()
        item.ReferencedSOPClassUID = CT_CLASS
        contents = [0x00081155]  # Referenced SOP Instance UID
        if "U" not in LISTED[tag]["basicProfile"]:
            contents += [0x00080100, 0x00080104]  # Code Value, Code Meaning (unlisted)
        for t in contents:
            vr = dictionary_VR(t)
            value = self.value(vr)
            item.add_new(t, vr, value)
            self.values[("in-item", *path, 0, t)] = (t, vr, value)
        return item

    def put(self, ds: Dataset, tag: int, path: tuple) -> Dataset:
        vr = dictionary_VR(tag).split(" or ")[0]
        here = (*path, tag)
        if vr == "SQ":
            ds.add_new(tag, vr, Sequence([self.item(tag, here)]))
            self.values[here] = (tag, vr, None)
        else:
            value = self.value(vr)
            ds.add_new(tag, vr, value)
            self.values[here] = (tag, vr, value)
        return ds

    def fill(self, ds: Dataset, path: tuple, top: bool) -> None:
        for tag in LISTED:
            if top and tag >> 16 in NESTED_ONLY:
                continue
            self.put(ds, tag, path)


def make_synthetic(folder: Path, name: str = "synthetic.dcm") -> tuple[Path, Planted]:
    """Every listed attribute at depth 0, 1 and 2, plus curves, overlays and private data."""
    planted = Planted()
    with config.disable_value_validation():
        ds = Dataset()
        planted.fill(ds, (), top=True)
        ds.SOPClassUID = CT_CLASS
        level1 = Dataset()
        planted.fill(level1, (0x52009229, 0), top=False)
        level2 = Dataset()
        planted.fill(level2, (0x52009229, 0, 0x00209111, 0), top=False)
        level1.FrameContentSequence = [level2]
        ds.SharedFunctionalGroupsSequence = [level1]
        # Repeating groups: curves, overlays (and the plane's description, not listed).
        for tag, vr in (
            (0x50003000, "OB"),
            (0x50020022, "LO"),
            (0x60003000, "OW"),
            (0x60004000, "LT"),
            (0x60020022, "LO"),
        ):
            value = planted.value(vr)
            ds.add_new(tag, vr, value)
            planted.values[("repeating", tag)] = (tag, vr, value)
        # Private: an unknown block, and one the standard's Table E.3.10-1 calls safe.
        ds.add_new(0x00090010, "LO", "ACME PRIVATE")
        value = planted.value("LO")
        ds.add_new(0x00091001, "LO", value)
        planted.values[("private", 0x00091001)] = (0x00091001, "LO", value)
        ds.add_new(0x00190010, "LO", "GEMS_ACQU_01")
        ds.add_new(0x00191023, "DS", "12.5")  # Table Speed: safe
        ds.file_meta = FileMetaDataset()
        ds.file_meta.MediaStorageSOPClassUID = CT_CLASS
        ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
        ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
        path = folder / name
        ds.save_as(path, enforce_file_format=True)
    return path, planted


def _find(ds: Dataset, path: tuple):
    """The element at ``path`` (tags and item indexes), or None."""
    node = ds
    for step in path[:-1]:
        if isinstance(step, int) and step > 0xFF:
            if step not in node:
                return None
            node = node[step].value
        else:
            if step >= len(node):
                return None
            node = node[step]
    return node.get(path[-1]) if path[-1] in node else None


def _outcome(elem, vr: str, original) -> str:
    if elem is None:
        return "removed"
    value = elem.value
    if value is None or value == "" or value == b"" or (vr == "SQ" and len(value) == 0):
        return "empty"
    if vr == "SQ":
        return "replaced"  # its contents: checked by the byte search
    return "kept" if _same(value, original) else "replaced"


def _same(value, original) -> bool:
    if isinstance(original, bytes):
        return bytes(value).rstrip(b"\0") == original
    if isinstance(original, float):
        return float(value) == original
    return str(value).strip() == str(original).strip()


def _needles(planted: Planted) -> dict[bytes, tuple]:
    """Byte strings that must not appear in the output: letters or separators make them
    distinctive; bare numbers are searched with the explicit VR header that encodes them."""
    out = {}
    for where, (_tag, vr, value) in planted.values.items():
        if value is None or vr in BINARY_NUMBERS:
            continue
        raw = value if isinstance(value, bytes) else str(value).encode()
        if vr in ("DA", "AS", "IS"):
            raw += b" " * (len(raw) % 2)  # as padded in the file
            raw = vr.encode() + struct.pack("<H", len(raw)) + raw
        out[raw] = where
    return out


def _all_values(ds: Dataset):
    """Every value in a data set, at any depth, as text (for the parsed-view search)."""
    for elem in ds.iterall():
        if elem.VR not in ("SQ", "UI") and elem.value is not None:
            yield str(elem.value)


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    folder = tmp_path_factory.mktemp("synthetic")
    path, planted = make_synthetic(folder)
    out = folder / "out.dcm"
    result = anonymize(path, out, key=KEY, map=folder / "map.csv")
    return path, planted, out, result


# --- the table --------------------------------------------------------------------------------


def test_packaged_table_is_the_standard_table():
    """The package's copy (what the code reads) against the tests' own copy."""
    packaged = resources.files("dicom_tools.anonymize").joinpath("data", TABLE_NAME)
    assert Path(str(packaged)).resolve() != (STANDARD / TABLE_NAME).resolve()  # two copies
    assert len(ROWS) == 621
    assert json.loads(packaged.read_text()) == ROWS
    licence = resources.files("dicom_tools.anonymize").joinpath("data", LICENCE_NAME)
    assert "Innolitics" in licence.read_text()
    assert "Innolitics" in (STANDARD / LICENCE_NAME).read_text()
    assert "innolitics/dicom-standard" in (STANDARD / "README.md").read_text()


def test_tests_copy_is_the_shared_standard():
    """The tests' copy is the workspace's copy of the standard, where that exists (it lies
    outside the repository: a checkout elsewhere has only the tests' copy)."""
    if not SHARED_STANDARD.is_dir():
        pytest.skip("../shared/standard is outside the repository and not on this machine")
    for name in (TABLE_NAME, LICENCE_NAME, "README.md"):
        assert (STANDARD / name).read_bytes() == (SHARED_STANDARD / name).read_bytes(), name


def test_every_listed_attribute_has_an_action():
    """The Basic Profile's action of each attribute is one its code in the table allows."""
    profile = build_profile([])
    for tag, row in LISTED.items():
        action, fallback = profile.rule(tag)
        allowed = ACTION_CODES[row["basicProfile"]]
        assert action in allowed, (row["name"], row["basicProfile"], action)
        assert fallback == action, (row["name"], fallback)
    assert profile.rule(0x50023000)[0] == "X"  # curves, any group 50xx
    assert profile.rule(0x60023000)[0] == "X" and profile.rule(0x601E4000)[0] == "X"
    assert profile.private == "X"


# --- synthetic data set: every attribute, at every depth --------------------------------------


def test_every_attribute_gets_an_allowed_outcome_at_every_depth(synthetic):
    _src, planted, out, _ = synthetic
    ds = dcmread(out)
    wrong = []
    for where, (tag, vr, value) in planted.values.items():
        if where[0] in ("repeating", "private", "in-item"):
            continue  # gone with their group or sequence: the byte search covers them
        got = _outcome(_find(ds, where), vr, value)
        if got not in ALLOWED[LISTED[tag]["basicProfile"]]:
            wrong.append((keyword_for_tag(tag), where, LISTED[tag]["basicProfile"], got))
    assert not wrong, wrong[:10]


def test_no_planted_value_survives_in_the_output_bytes(synthetic):
    src, planted, out, _ = synthetic
    needles = _needles(planted)
    assert all(needle in src.read_bytes() for needle in needles)  # the search can find them
    data = out.read_bytes()
    leaked = [where for needle, where in needles.items() if needle in data]
    assert not leaked, leaked[:10]
    # Numbers whose bytes are not distinctive: no element, at any depth, holds them.
    ds = dcmread(out)
    texts = list(_all_values(ds))
    numeric = {
        str(v)
        for (_t, vr, v) in planted.values.values()
        if vr in NUMERIC_TEXT and v is not None and vr != "AS"
    }
    assert not [t for t in texts for n in numeric if n in t]


def test_curves_overlays_and_private_data_are_removed(synthetic):
    _src, _planted, out, result = synthetic
    ds = dcmread(out)
    groups = {elem.tag >> 16 for elem in ds}
    assert not [g for g in groups if 0x5000 <= g <= 0x501E or 0x6000 <= g <= 0x601E]
    assert not [g for g in groups if g & 1]
    assert result.data["counts"]["private_removed"] == 4


def test_compound_actions_keep_the_element_for_any_type(synthetic):
    """Where the IOD's Type is unknown we keep the element (Z or D): valid for Type 1 and 2."""
    _src, planted, out, _ = synthetic
    ds = dcmread(out)
    for tag, row in LISTED.items():
        if row["basicProfile"] in ("X/Z", "X/D", "Z/D", "X/Z/D", "X/Z/U*") and tag >> 16 > 2:
            vr, value = planted.values[(tag,)][1:]
            got = _outcome(_find(ds, (tag,)), vr, value)
            expected = {"X/Z": {"empty"}, "X/Z/U*": {"replaced"}}.get(
                row["basicProfile"], {"replaced"}
            )
            assert got in expected, (row["name"], got)


def test_meta_and_method_are_rewritten(synthetic):
    src, _planted, out, result = synthetic
    ds = dcmread(out)
    original = dcmread(src)
    assert ds.file_meta.MediaStorageSOPInstanceUID == ds.SOPInstanceUID
    assert ds.SOPInstanceUID != original.SOPInstanceUID
    assert ds.SOPInstanceUID.startswith("2.25.")
    assert ds.SOPClassUID == CT_CLASS  # well-known: never replaced
    assert ds.PatientIdentityRemoved == "YES"
    codes = [(i.CodeValue, i.CodingSchemeDesignator) for i in ds.DeidentificationMethodCodeSequence]
    assert codes == [("113100", "DCM")]
    assert out.read_bytes()[:128] == b"\0" * 128
    assert result.data["method_codes"] == ["113100"]


def test_result_and_map(synthetic):
    src, planted, out, result = synthetic
    text = json.dumps(result.data) + result.text
    for _tag, _vr, value in planted.values.values():
        if value is not None and not isinstance(value, bytes | int | float):
            assert str(value) not in text
    assert result.data["key"] == "given"
    assert result.data["map_rows"] > 0
    rows = list(csv.DictReader((out.parent / "map.csv").open()))
    original = dcmread(src)
    by_original = {r["original"]: r for r in rows}
    assert by_original[original.StudyInstanceUID]["kind"] == "UID"
    assert by_original[original.StudyInstanceUID]["replacement"] == dcmread(out).StudyInstanceUID
    assert by_original[str(original.PatientID)]["kind"] == "PatientID"
    assert by_original[str(original.PatientID)]["replacement"] == dcmread(out).PatientID


# --- options override the Basic Profile as the table's columns say ----------------------------

OPTIONS = {
    "retain_uids": "rtnUIDsOpt",
    "retain_device_id": "rtnDevIdOpt",
    "retain_institution_id": "rtnInstIdOpt",
    "retain_patient_characteristics": "rtnPatCharsOpt",
    "retain_long_full_dates": "rtnLongFullDatesOpt",
    "retain_long_modified_dates": "rtnLongModifDatesOpt",
    "clean_descriptors": "cleanDescOpt",
}


@pytest.mark.parametrize("option", ["retain_safe_private", *OPTIONS])
def test_option_columns_give_the_table_actions(option):
    """With an option chosen, an attribute its column lists gets that column's action (K or C),
    the rest their Basic Profile action; the fallback is always the Basic Profile's."""
    column = {**OPTIONS, "retain_safe_private": "rtnSafePrivOpt"}[option]
    profile = build_profile([option])
    for tag, row in LISTED.items():
        action, fallback = profile.rule(tag)
        assert fallback in ACTION_CODES[row["basicProfile"]], (row["name"], fallback)
        assert action in ACTION_CODES[row.get(column, row["basicProfile"])], (row["name"], action)
    [private] = [r for r in ROWS if r["id"] == "ggggeeee-where-gggg-is-odd"]
    assert profile.private in ACTION_CODES[private.get(column, private["basicProfile"])]
    assert any(column in row for row in [*LISTED.values(), private])


@pytest.mark.parametrize("option", OPTIONS)
def test_option_columns_override_the_basic_profile(option, synthetic, tmp_path):
    src, planted, _out, _ = synthetic
    out = tmp_path / "out.dcm"
    result = anonymize(src, out, key=KEY, **{option: True})
    ds = dcmread(out)
    column = OPTIONS[option]
    shifts = set()
    checked = 0
    for where, (tag, vr, value) in planted.values.items():
        row = LISTED.get(tag)
        if where[0] == "in-item" or row is None or column not in row or tag >> 16 <= 2:
            continue
        got = _outcome(_find(ds, where), vr, value)
        checked += 1
        if row[column] == "K":
            assert got == ("replaced" if vr == "SQ" else "kept"), (row["name"], where, got)
        elif vr in ("DA", "DT"):  # C with modified dates: shifted by the patient's offset
            new = str(_find(ds, where).value)
            delta = (
                dt.date(int(new[:4]), int(new[4:6]), int(new[6:8]))
                - dt.datetime.strptime(str(value)[:8], "%Y%m%d").date()
            )
            shifts.add(delta.days)
            assert new[8:] == str(value)[8:]  # the time of a DT is kept
        elif vr == "TM":
            assert got == "kept"
        else:  # C on other values: still present (cleaned), or the basic action where C can't
            assert got in {"replaced", "kept"} | ALLOWED[row["basicProfile"]], (row["name"], got)
    assert checked
    if option == "retain_long_modified_dates":
        assert len(shifts) == 1 and -3653 <= shifts.pop() <= -365
        assert ds.LongitudinalTemporalInformationModified == "MODIFIED"
    if option == "retain_long_full_dates":
        assert ds.LongitudinalTemporalInformationModified == "UNMODIFIED"
    assert len(result.data["method_codes"]) == 2


def test_retain_safe_private_keeps_only_the_safe_list(synthetic, tmp_path):
    src, _planted, _out, _ = synthetic
    out = tmp_path / "out.dcm"
    anonymize(src, out, key=KEY, retain_safe_private=True)
    ds = dcmread(out)
    assert ds[0x00190010].value == "GEMS_ACQU_01" and ds[0x00191023].value == 12.5
    assert 0x00091001 not in ds and 0x00090010 not in ds
    assert "113111" in [i.CodeValue for i in ds.DeidentificationMethodCodeSequence]


def test_clean_descriptors_removes_identifying_values_from_text(tmp_path):
    ds = dcmread(corpus_file("CT_small.dcm"))
    ds.PatientName = "Kowalski^Janina"
    ds.PatientID = "MRN4471923"
    ds.StudyDescription = "CT chest abdomen - Kowalski MRN4471923 2021-03-04 55F"
    ds.SeriesDescription = "AXIAL 5mm"
    src = tmp_path / "in.dcm"
    ds.save_as(src)
    out = tmp_path / "out.dcm"
    anonymize(src, out, key=KEY, clean_descriptors=True)
    got = dcmread(out)
    assert got.StudyDescription.startswith("CT chest abdomen - ")
    for phi in ("Kowalski", "MRN4471923", "2021-03-04"):
        assert phi not in got.StudyDescription
    assert got.SeriesDescription == "AXIAL 5mm"
    assert "Kowalski" not in out.read_bytes().decode("latin-1")


def test_keep_remove_and_given_identity(tmp_path):
    src = corpus_file("CT_small.dcm")
    original = dcmread(src)
    out = tmp_path / "out.dcm"
    anonymize(
        src,
        out,
        key=KEY,
        keep=["PatientSex", "(0008,0080)"],
        remove=["0018,1030", "KVP"],
        patient_id="SUBJ-001",
        patient_name="Subject^001",
    )
    ds = dcmread(out)
    assert ds.PatientSex == original.PatientSex and ds.InstitutionName == original.InstitutionName
    assert "KVP" not in ds and "ProtocolName" not in ds
    assert ds.PatientID == "SUBJ-001" and ds.PatientName == "Subject^001"
    for bad in (["NoSuchKeyword"], ["(12,34)"]):
        with pytest.raises(UsageError):
            anonymize(src, tmp_path / "x.dcm", key=KEY, keep=bad)
    with pytest.raises(UsageError):
        anonymize(src, tmp_path / "x.dcm", key=KEY, keep=["KVP"], remove=["KVP"])


# --- one key: consistent across the files of a study, and across runs ----------------------


def _make_study(folder: Path) -> list[Path]:
    """Series 1: three CT slices; series 2: two derived slices referencing series 1."""
    base = dcmread(corpus_file("CT_small.dcm"))
    study, frame = "1.2.826.0.1.3680043.99.5.1", "1.2.826.0.1.3680043.99.5.2"
    series = ["1.2.826.0.1.3680043.99.5.3", "1.2.826.0.1.3680043.99.5.4"]
    paths, instances = [], []
    for i in range(5):
        ds = copy.deepcopy(base)
        ds.StudyInstanceUID, ds.FrameOfReferenceUID = study, frame
        ds.SeriesInstanceUID = series[0 if i < 3 else 1]
        ds.SOPInstanceUID = f"1.2.826.0.1.3680043.99.5.10.{i}"
        ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
        ds.InstanceNumber = i + 1
        if i >= 3:
            refs = []
            for target in instances[:3]:
                item = Dataset()
                item.ReferencedSOPClassUID = CT_CLASS
                item.ReferencedSOPInstanceUID = target
                refs.append(item)
            ds.ReferencedImageSequence = refs
            ds.SourceImageSequence = [refs[i - 3]]
        instances.append(ds.SOPInstanceUID)
        path = folder / f"slice{i}.dcm"
        ds.save_as(path)
        paths.append(path)
    return paths


def test_uids_are_consistent_across_the_files_of_a_study(tmp_path):
    paths = _make_study(tmp_path)
    outs = []
    for p in paths:  # one call per file: nothing shared but the key
        out = tmp_path / f"anon_{p.name}"
        anonymize(p, out, key=KEY)
        outs.append(dcmread(out))
    assert len({d.StudyInstanceUID for d in outs}) == 1
    assert len({d.FrameOfReferenceUID for d in outs}) == 1
    assert len({d.SeriesInstanceUID for d in outs[:3]}) == 1
    assert len({d.SeriesInstanceUID for d in outs}) == 2
    assert len({d.SOPInstanceUID for d in outs}) == 5
    assert len({d.PatientID for d in outs}) == 1
    first_series = {d.SOPInstanceUID for d in outs[:3]}
    for d in outs[3:]:
        refs = {i.ReferencedSOPInstanceUID for i in d.ReferencedImageSequence}
        assert refs == first_series  # the references still resolve
        assert d.SourceImageSequence[0].ReferencedSOPInstanceUID in first_series
        assert d.ReferencedImageSequence[0].ReferencedSOPClassUID == CT_CLASS
    # The same key in another run gives the same UIDs; another key does not.
    again = tmp_path / "again.dcm"
    anonymize(paths[0], again, key=KEY)
    assert dcmread(again).SOPInstanceUID == outs[0].SOPInstanceUID
    anonymize(paths[0], again, key="another key")
    assert dcmread(again).SOPInstanceUID != outs[0].SOPInstanceUID


def test_modified_dates_shift_by_one_offset_per_patient(tmp_path):
    paths = _make_study(tmp_path)
    dates = []
    for p in paths[:2]:
        out = tmp_path / f"anon_{p.name}"
        anonymize(p, out, key=KEY, retain_long_modified_dates=True)
        dates.append(dcmread(out).StudyDate)
    original = dcmread(paths[0]).StudyDate
    assert dates[0] == dates[1] != original


def test_one_anonymizer_for_many_data_sets_with_a_uid_root():
    anonymizer = Anonymizer(AnonymizeOptions(uid_root="1.2.3.4"), key=b"k")
    a, b = dcmread(corpus_file("CT_small.dcm")), dcmread(corpus_file("CT_small.dcm"))
    anonymizer.anonymize_dataset(a)
    report = anonymizer.anonymize_dataset(b)
    assert a.SOPInstanceUID == b.SOPInstanceUID and a.SOPInstanceUID.startswith("1.2.3.4.")
    assert len(a.SOPInstanceUID) <= 64 and UID(a.SOPInstanceUID).is_valid
    assert report.counts["uids_replaced"] >= 4 and not report.warnings


def test_without_a_key_results_differ_and_a_warning_says_so(tmp_path):
    src = corpus_file("CT_small.dcm")
    r1 = anonymize(src, tmp_path / "a.dcm")
    anonymize(src, tmp_path / "b.dcm")
    assert r1.data["key"] == "random" and "random key" in r1.data["warnings"][0]
    assert (
        dcmread(tmp_path / "a.dcm").StudyInstanceUID != dcmread(tmp_path / "b.dcm").StudyInstanceUID
    )


def test_anonymizing_twice_gives_a_valid_object_again(tmp_path):
    require_tool("dcmdump")
    once, twice = tmp_path / "once.dcm", tmp_path / "twice.dcm"
    anonymize(corpus_file("CT_small.dcm"), once, key=KEY, retain_long_modified_dates=True)
    anonymize(once, twice, key=KEY, retain_long_modified_dates=True)
    ds = dcmread(twice)
    assert ds.PatientIdentityRemoved == "YES"
    assert len(ds.DeidentificationMethodCodeSequence) == 2
    assert ds.SOPInstanceUID != dcmread(once).SOPInstanceUID
    # Not -q: that would hide dcmdump's warnings.
    proc = subprocess.run(["dcmdump", twice], capture_output=True)
    assert (proc.returncode, proc.stderr) == (0, b"")


# --- pixel data -----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["CT_small.dcm", "SC_rgb_rle_2frame.dcm", "JPEG2000.dcm"])
def test_pixel_data_is_not_changed(name, tmp_path):
    src = corpus_file(name)
    out = tmp_path / "out.dcm"
    anonymize(src, out, key=KEY)
    assert dcmread(out).PixelData == dcmread(src).PixelData


@pytest.mark.parametrize(
    ("name", "syntax"),
    [
        ("CT_small.dcm", "1.2.840.10008.1.2.1"),  # native: blanked in place
        ("SC_rgb_rle_2frame.dcm", "1.2.840.10008.1.2.5"),  # re-encoded as RLE
        ("MR_small_bigendian.dcm", "1.2.840.10008.1.2.2"),
        ("SC_rgb_jpeg_gdcm.dcm", "1.2.840.10008.1.2.1"),  # no encoder: explicit VR LE
    ],
)
def test_blank_rect_blanks_every_frame(name, syntax, tmp_path):
    src = corpus_file(name)
    out = tmp_path / "out.dcm"
    result = anonymize(src, out, key=KEY, blank_rect=["0,0,10,5", "20,20,4,4"])
    before, after = dcmread(src).pixel_array, dcmread(out).pixel_array
    assert result.data["blanked"]["transfer_syntax"] == syntax
    assert before.shape == after.shape
    frames = after if dcmread(out).get("NumberOfFrames", 1) > 1 else after[None]
    prior = before if dcmread(src).get("NumberOfFrames", 1) > 1 else before[None]
    for frame, old in zip(frames, prior, strict=True):
        assert not frame[0:5, 0:10].any() and not frame[20:24, 20:24].any()
        frame[0:5, 0:10] = old[0:5, 0:10]
        frame[20:24, 20:24] = old[20:24, 20:24]
        assert (frame == old).all()  # nothing else moved (lossless paths)
    assert "113101" in result.data["method_codes"]
    require_tool("dcmj2pnm")
    proc = subprocess.run(["dcmj2pnm", "-q", out, tmp_path / "x.pnm"], capture_output=True)
    assert proc.returncode == 0, proc.stderr


@pytest.mark.parametrize("rect", ["1,2,3", "a,b,c,d", "0,0,0,5", "9999,0,5,5"])
def test_bad_blank_rect_is_a_usage_error(rect, tmp_path):
    with pytest.raises(UsageError):
        anonymize(corpus_file("CT_small.dcm"), tmp_path / "x.dcm", key=KEY, blank_rect=[rect])
    assert not (tmp_path / "x.dcm").exists()


def test_burned_in_annotation_warns(tmp_path):
    us = anonymize(corpus_file("US1_J2KR.dcm"), tmp_path / "us.dcm", key=KEY)
    assert any("burned-in" in w for w in us.data["warnings"])
    ds = dcmread(corpus_file("CT_small.dcm"))
    ds.BurnedInAnnotation = "YES"
    ds.save_as(tmp_path / "ct.dcm")
    ct = anonymize(tmp_path / "ct.dcm", tmp_path / "out.dcm", key=KEY)
    assert any("Burned In Annotation is YES" in w for w in ct.data["warnings"])
    plain = anonymize(corpus_file("CT_small.dcm"), tmp_path / "plain.dcm", key=KEY)
    assert plain.data["warnings"] == []


# --- the real corpus, checked with dcmtk ------------------------------------------------------


def _listed_uids(ds: Dataset) -> set[str]:
    from dicom_tools.anonymize.keyed import is_well_known

    out = set()
    for elem in ds.iterall():
        row = LISTED.get(elem.tag)
        if row and elem.VR == "UI" and "U" in row["basicProfile"] and elem.value:
            values = [elem.value] if isinstance(elem.value, str) else elem.value
            out |= {str(v) for v in values if len(str(v)) > 8 and not is_well_known(str(v))}
    return out


# Some inputs' encapsulated Pixel Data has VR OW where PS3.5 A.4 wants OB: dcmdump warns for
# the input; the output must say OB (as dcmconv and gdcmconv write it), so dcmdump is silent.
OW_WARNING = b"W: DcmItem: Length of element (7fe0,0010) is not a multiple of 2 (VR=OW)\n"


@pytest.mark.filterwarnings("ignore::UserWarning")  # pydicom on the corpus's odd files
def test_corpus_outputs_read_in_dcmtk_and_hold_no_original_uid(tmp_path):
    dcmdump = require_tool("dcmdump")
    dcmj2pnm = require_tool("dcmj2pnm")
    failures = []
    for src in corpus_files():
        out = tmp_path / (src.name + ".anon.dcm")
        original = dcmread(src, force=True)  # four files have no File Meta Information
        try:
            anonymize(src, out, key=KEY)
        except Exception as exc:  # a file the library cannot read is an input error
            failures.append((src.name, "anonymize", str(exc)[:80]))
            continue
        # Not -q: that would hide the warnings this looks for.
        dump = subprocess.run([dcmdump, out], capture_output=True)
        if dump.returncode or dump.stderr:
            failures.append((src.name, "dcmdump", dump.stderr[:80]))
        data = out.read_bytes()
        leaked = [u for u in _listed_uids(original) if u.encode() in data]
        if leaked:
            failures.append((src.name, "uid", leaked[:2]))
        if "PixelData" in original and src.stat().st_size < 2_000_000:
            render = [dcmj2pnm, "-q", "--frame", "1", "--no-overlays"]
            if subprocess.run([*render, src, tmp_path / "a.pnm"], capture_output=True).returncode:
                continue  # dcmtk cannot render the original either (JPEG 2000, 32-bit ...)
            proc = subprocess.run([*render, out, tmp_path / "b.pnm"], capture_output=True)
            if proc.returncode:
                failures.append((src.name, "dcmj2pnm", proc.stderr[:80]))
            elif (tmp_path / "a.pnm").read_bytes() != (tmp_path / "b.pnm").read_bytes():
                failures.append((src.name, "pixels differ", ""))
    expected_unreadable = {"JPEG2000-embedded-sequence-delimiter.dcm"}
    assert [f for f in failures if f[0] not in expected_unreadable] == []


def test_encapsulated_pixel_data_is_written_as_ob(tmp_path):
    src = corpus_file("emri_small_jpeg_ls_lossless.dcm")
    dcmdump = require_tool("dcmdump")
    assert subprocess.run([dcmdump, src], capture_output=True).stderr == OW_WARNING  # the input's
    out = tmp_path / "out.dcm"
    anonymize(src, out, key=KEY)
    proc = subprocess.run([dcmdump, out], capture_output=True)
    assert (proc.returncode, proc.stderr) == (0, b"")


# --- bad input and usage errors ---------------------------------------------------------------


def test_cli_end_to_end_with_key_file_and_map(tmp_path):
    key = tmp_path / "secret.key"
    key.write_text("correct horse battery staple\n")
    out, mapping = tmp_path / "anon.dcm", tmp_path / "map.csv"
    proc = run_cli(
        "anonymize",
        corpus_file("CT_small.dcm"),
        "-o",
        out,
        "--key-file",
        key,
        "--map",
        mapping,
        "--retain-patient-characteristics",
        "--blank-rect",
        "0,0,8,8",
        "--blank-rect",
        "10,10,2,2",
    )
    assert proc.returncode == 0, proc.stderr
    assert out.is_file() and mapping.read_text().startswith("kind,original,replacement")
    assert "CompressedSamples^CT1" not in proc.stdout and "1CT1" not in proc.stdout
    # The same key given directly gives the same UIDs.
    again = tmp_path / "again.dcm"
    anonymize(
        corpus_file("CT_small.dcm"),
        again,
        key="correct horse battery staple",
        retain_patient_characteristics=True,
    )
    assert dcmread(again).StudyInstanceUID == dcmread(out).StudyInstanceUID


@pytest.mark.parametrize(
    "args",
    [
        ["--key-file", "MISSING"],
        ["--key-file", "EMPTY"],
        ["--key", "k", "--key-file", "EMPTY"],
        ["--retain-long-full-dates", "--retain-long-modified-dates"],
        ["--blank-rect", "1,2"],
        ["--keep", "NotAKeyword"],
        ["--remove", "(XXXX,0010)"],
    ],
)
def test_usage_errors_exit_2_and_write_nothing(args, tmp_path):
    empty = tmp_path / "empty.key"
    empty.write_text(" \n")
    args = [
        str(tmp_path / "missing.key") if a == "MISSING" else str(empty) if a == "EMPTY" else a
        for a in args
    ]
    out, mapping = tmp_path / "out.dcm", tmp_path / "map.csv"
    proc = run_cli("anonymize", corpus_file("CT_small.dcm"), "-o", out, "--map", mapping, *args)
    assert proc.returncode == 2, proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    assert not out.exists() and not mapping.exists()


def test_unreadable_input_exits_2_and_writes_nothing(tmp_path):
    bad = tmp_path / "bad.dcm"
    bad.write_bytes(corpus_file("CT_small.dcm").read_bytes()[:1000])
    out, mapping = tmp_path / "out.dcm", tmp_path / "map.csv"
    proc = run_cli("anonymize", bad, "-o", out, "--key", "k", "--map", mapping)
    assert proc.returncode == 2 and "bad.dcm" in proc.stderr
    assert not out.exists() and not mapping.exists()
    assert list(tmp_path.iterdir()) == [bad]  # no temporary file left either
