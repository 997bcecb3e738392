"""PS3.15 Table E.1-1 and the action each attribute gets for a chosen set of options.

Actions: X remove, Z empty, D dummy value, U replace UID, K keep, C clean. The table's compound
actions depend on the attribute's Type in the IOD, which a de-identifier of arbitrary objects does
not know; we take the choice that keeps any IOD valid (PS3.15 E.1.1 note 1: "Dummy values may be
necessary for Type 1 Attributes"):

    X/Z -> Z    X/D -> D    Z/D -> D    X/Z/D -> D    X/Z/U* -> U (the sequence is kept, its UIDs
                                                                   replaced)

An option's column, when that option is chosen, overrides the Basic Profile column; where two
chosen options disagree (K and C), C wins, being the more protective.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from dicom_tools.errors import UsageError

TABLE_FILE = "confidentiality_profile_attributes.json"

# Where the type of the attribute in the IOD is unknown: the choice valid for every Type.
COMPOUND = {"X/Z": "Z", "X/D": "D", "Z/D": "D", "X/Z/D": "D", "X/Z/U*": "U"}
SIMPLE = frozenset("XZDUKC")

# Option (AnonymizeOptions field) -> table column. Clean Structured Content and Clean Graphics
# are not offered: their columns are never applied.
OPTION_COLUMNS = {
    "retain_safe_private": "rtnSafePrivOpt",
    "retain_uids": "rtnUIDsOpt",
    "retain_device_id": "rtnDevIdOpt",
    "retain_institution_id": "rtnInstIdOpt",
    "retain_patient_characteristics": "rtnPatCharsOpt",
    "retain_long_full_dates": "rtnLongFullDatesOpt",
    "retain_long_modified_dates": "rtnLongModifDatesOpt",
    "clean_descriptors": "cleanDescOpt",
}

# Instance UIDs that the 2025 table does not list (it lists most); replaced as U like the
# listed ones so that nothing instance-specific survives and references stay consistent.
EXTRA_UID_KEYWORDS = (
    "MultiFrameSourceSOPInstanceUID",
    "SOPInstanceUIDOfConcatenationSource",
    "RadiopharmaceuticalAdministrationEventUID",
    "TargetFrameOfReferenceUID",
    "VolumeFrameOfReferenceUID",
    "TableFrameOfReferenceUID",
    "EquipmentFrameOfReferenceUID",
    "ReferencedFiducialUID",
    "AssertionUID",
    "ReferencedAssertionUID",
    "ModelGroupUID",
    "TableTopPositionAlignmentUID",
    "VolumetricPresentationInputSetUID",
    "RTVCommunicationSOPInstanceUID",
    "ReferencedColorPaletteInstanceUID",
)

CURVE_GROUPS = range(0x5000, 0x5020, 2)  # (50xx,xxxx)
OVERLAY_GROUPS = range(0x6000, 0x6020, 2)  # (60xx,eeee)
OVERLAY_DATA, OVERLAY_COMMENTS = 0x60003000, 0x60004000


@dataclass(frozen=True)
class Row:
    """One row of Table E.1-1."""

    name: str
    tag_text: str  # as printed: "(0008,0050)", "(50XX,XXXX)", "(GGGG,EEEE) WHERE GGGG IS ODD"
    tag: int | None  # None for the repeating-group and private rows
    basic: str
    options: dict[str, str] = field(default_factory=dict)  # column -> action


@functools.cache
def load_table(path: str | None = None) -> tuple[Row, ...]:
    """The table's rows, from the packaged copy (or ``path``)."""
    if path is None:
        text = resources.files("dicom_tools.anonymize").joinpath("data", TABLE_FILE).read_text()
    else:
        text = Path(path).read_text()
    rows = []
    for raw in json.loads(text):
        ident = raw["id"]
        tag = int(ident, 16) if re.fullmatch(r"[0-9a-f]{8}", ident) else None
        options = {k: v for k, v in raw.items() if k.endswith("Opt")}
        rows.append(Row(raw["name"], raw["tag"], tag, raw["basicProfile"], options))
    return tuple(rows)


def resolve(basic: str, options: dict[str, str], columns: Iterable[str]) -> tuple[str, str]:
    """(action, fallback) of one row: the option's action if a chosen option has one, else the
    Basic Profile's; ``fallback`` is the Basic Profile's, used when C cannot apply to a value."""
    base = COMPOUND.get(basic, basic)
    if base not in SIMPLE:
        raise ValueError(f"unknown action {basic!r} in Table E.1-1")
    chosen = [options[c] for c in columns if c in options]
    if not chosen:
        return base, base
    return ("C" if "C" in chosen else "K"), base


def parse_tag(text: str) -> int:
    """A tag from "(0010,0010)", "0010,0010", "00100010", "0x00100010" or a keyword."""
    from pydicom.datadict import tag_for_keyword

    s = str(text).strip()
    m = re.fullmatch(r"\(?\s*([0-9A-Fa-f]{4})\s*,\s*([0-9A-Fa-f]{4})\s*\)?", s)
    if m:
        return int(m.group(1) + m.group(2), 16)
    m = re.fullmatch(r"(?:0x)?([0-9A-Fa-f]{8})", s)
    if m:
        return int(m.group(1), 16)
    tag = tag_for_keyword(s) if s.isidentifier() else None
    if tag is None:
        raise UsageError(
            f"unknown attribute {text!r}: give a tag like (0010,0010) or a DICOM keyword"
        )
    return int(tag)


def normalize(tag: int) -> int:
    """Repeating-group tags (50xx, 60xx) folded onto group 5000 / 6000."""
    group = tag >> 16
    if group in CURVE_GROUPS:
        return 0x50000000 | (tag & 0xFFFF)
    if group in OVERLAY_GROUPS:
        return 0x60000000 | (tag & 0xFFFF)
    return tag


@dataclass
class Profile:
    """The resolved action of every listed attribute for one set of options."""

    actions: dict[int, tuple[str, str]]  # tag -> (action, fallback)
    overrides: dict[int, str]  # --keep / --remove, normalised tags -> K / X
    curve: tuple[str, str]
    private: str  # "X", or "C": keep the safe ones
    columns: tuple[str, ...]

    def rule(self, tag: int) -> tuple[str, str] | None:
        """The (action, fallback) for a standard (even group) tag, or None if unlisted."""
        found = self.actions.get(tag)
        if found is not None:
            return found
        group = tag >> 16
        if group in CURVE_GROUPS or group in OVERLAY_GROUPS:
            norm = normalize(tag)
            if norm in self.actions:
                return self.actions[norm]
            if group in CURVE_GROUPS:
                return self.curve
            # An overlay plane goes with its data: the other 60xx elements describe it.
            return self.actions[OVERLAY_DATA]
        return None

    def override(self, tag: int) -> str | None:
        return self.overrides.get(tag) if self.overrides else None


def build_profile(
    chosen: Iterable[str], keep: Iterable[int] = (), remove: Iterable[int] = ()
) -> Profile:
    """Resolve every row for the chosen options (``OPTION_COLUMNS`` keys), then apply the
    user's --keep (K) and --remove (X), which override the table."""
    columns = tuple(OPTION_COLUMNS[name] for name in chosen)
    base, curve, private = _resolved(columns)
    actions = dict(base)
    overrides: dict[int, str] = {}
    for tag in keep:
        overrides[normalize(tag)] = "K"
    for tag in remove:
        overrides[normalize(tag)] = "X"
    for tag, action in overrides.items():
        if not (tag >> 16) & 1:
            actions[tag] = (action, action)
    return Profile(actions, overrides, curve, private, columns)


@functools.cache
def _resolved(
    columns: tuple[str, ...],
) -> tuple[dict[int, tuple[str, str]], tuple[str, str], str]:
    """Actions of every row for some option columns (cached: it walks the dictionary)."""
    from pydicom.datadict import DicomDictionary, tag_for_keyword

    actions: dict[int, tuple[str, str]] = {}
    curve = ("X", "X")
    private = "X"
    for row in load_table():
        resolved = resolve(row.basic, row.options, columns)
        if row.tag is not None:
            actions[row.tag] = resolved
        elif row.tag_text.startswith("(50XX"):
            curve = resolved
        elif row.tag_text.startswith("(60XX,3000"):
            actions[OVERLAY_DATA] = resolved
        elif row.tag_text.startswith("(60XX,4000"):
            actions[OVERLAY_COMMENTS] = resolved
        elif "ODD" in row.tag_text.upper():
            private = resolved[0]
    # PS3.15 E.1.1 note 4: treat every date by its VR, not only the listed ones. A date the
    # table does not list gets a dummy (Basic), or is kept / shifted with the date options.
    date_row = {"rtnLongFullDatesOpt": "K", "rtnLongModifDatesOpt": "C"}
    for tag, entry in DicomDictionary.items():
        if entry[0] in ("DA", "DT") and tag not in actions:
            actions[tag] = resolve("D", date_row, columns)
    for keyword in EXTRA_UID_KEYWORDS:
        tag = tag_for_keyword(keyword)
        if tag is not None and tag not in actions:
            actions[tag] = resolve("U", {"rtnUIDsOpt": "K"}, columns)
    return actions, curve, private
