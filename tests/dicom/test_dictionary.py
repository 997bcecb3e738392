"""dicom/dictionary.py against dcmtk's own data dictionary (dicom.dic), an independent copy of
PS3.6 with its own release.

dcmtk writes things its own way, normalised here with the reason: retired keywords carry a
``RETIRED_`` prefix; ambiguous VRs have internal names (``xs`` US or SS, ``ox`` OB or OW, ``lt``
US or SS or OW, ``up`` UL with a pointer meaning, ``px`` pixel data). Repeating groups (``60xx``)
are compared at their first group. Legitimate differences are listed by name below.
"""

from __future__ import annotations

import glob
import re
from pathlib import Path

import pytest

from dicom_tools.dicom.dictionary import entry, keyword

_DCMTK_VR = {
    "xs": {"US or SS"},
    "ox": {"OB or OW"},
    "lt": {"US or SS or OW", "US or OW"},
    "up": {"UL"},
    "px": {"OB or OW"},
    "na": {"NONE"},  # item and delimitation tags: no VR (the standard writes "see note")
}
# Tags of a later edition of PS3.6 than our generated tables (added to dcmtk's dictionary).
NEWER_IN_DCMTK = {0x00060001}  # CurrentFrameFunctionalGroupsSequence (2024)
# Retired in the edition our tables come from, still current in dcmtk's dictionary.
RETIRED_SINCE_DCMTK = {
    0x00380004: "ReferencedPatientAliasSequence",
    0x00701807: "WeightingLookupTableDescriptor",
    0x00701808: "WeightingLookupTableData",
    0x30040010: "RTDoseROISequence",
    0x30040012: "DoseValue",
    0x30060085: "ROIObservationLabel",
    0x30060088: "ROIObservationDescription",
    0x3008002B: "TreatmentTerminationCode",
    0x30100090: "RoboticBaseLocationIndicator",
}


def _dcmtk_rows() -> list[tuple[int, str, str, bool]]:
    paths = glob.glob("/usr/share/libdcmtk*/dicom.dic")
    if not paths:
        pytest.fail("dcmtk's dicom.dic not found (Debian package libdcmtk*)")
    rows = []
    for line in Path(paths[0]).read_text(encoding="latin-1").splitlines():
        if line.startswith("#") or not line.strip():
            continue
        tag_text, vr, name, _vm, version, *_ = line.split("\t")
        if version not in ("DICOM", "DICOM/retired"):
            continue  # DICONDE, DICOS, private and dcmtk-internal entries
        m = re.fullmatch(r"\(([0-9A-Fa-fx]{4}),([0-9A-Fa-fx]{4})\)", tag_text)
        if not m:
            continue  # ranges such as (0020,3100-31FF)
        tag = int(m[1].replace("x", "0"), 16) << 16 | int(m[2].replace("x", "0"), 16)
        retired = version == "DICOM/retired" or name.startswith("RETIRED_")
        rows.append((tag, vr, name.removeprefix("RETIRED_"), retired))
    return rows


ROWS = _dcmtk_rows()


def test_dictionary_is_compared_in_full():
    assert len(ROWS) > 4500


def test_keywords_match_dcmtk():
    missing, wrong = [], []
    for tag, _vr, name, _retired in ROWS:
        e = entry(tag)
        if e is None:
            missing.append(tag)
        elif e.keyword != name:
            wrong.append((f"{tag:08X}", name, e.keyword))
    assert set(missing) == NEWER_IN_DCMTK
    assert wrong == []
    assert keyword(0x00100010) == "PatientName"


def test_vrs_match_dcmtk():
    wrong = []
    for tag, vr, name, _retired in ROWS:
        e = entry(tag)
        if e is None:
            continue
        if e.vr not in _DCMTK_VR.get(vr, {vr.replace("/", " or ")}):
            wrong.append((f"{tag:08X}", name, vr, e.vr))
    assert wrong == []


def test_retired_flags_match_dcmtk():
    wrong = {
        tag: name
        for tag, _vr, name, retired in ROWS
        if entry(tag) is not None and entry(tag).retired != retired
    }
    assert wrong == RETIRED_SINCE_DCMTK
    assert all(entry(tag).retired for tag in RETIRED_SINCE_DCMTK)


def test_every_entry_is_pydicoms():
    """The compact generated tables read back as the standard's rows that pydicom ships
    (scripts/gen_dicom_tables.py's source): every public and private entry, field by field."""
    from pydicom._dicom_dict import DicomDictionary
    from pydicom._private_dict import private_dictionaries

    from dicom_tools.dicom.dictionary import private_entry

    for tag, (vr, vm, name, retired, kw) in DicomDictionary.items():
        e = entry(tag)
        assert (e.vr, e.vm, e.keyword, e.retired, e.name) == (vr, vm, kw, bool(retired), name)
    count = 0
    for creator, elements in private_dictionaries.items():
        for mask, (vr, vm, name, retired) in elements.items():
            mask = mask.upper()
            if "X" in mask[:2] + mask[6:]:
                continue  # masks over group or element digits: not looked up (as pydicom)
            tag = int(mask.replace("X", "1"), 16)  # block 0x11 where the mask leaves it
            e = private_entry(tag, creator)
            assert e is not None, (creator, mask)
            assert (e.vr, e.vm, e.name, e.retired) == (vr, vm, name, bool(retired)), (creator, mask)
            count += 1
    assert count > 10_000
