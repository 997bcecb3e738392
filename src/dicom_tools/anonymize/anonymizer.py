"""The Anonymizer: one key and one set of options, applied to any number of data sets.

Build one per batch and call ``anonymize_dataset`` on each data set: UIDs, the Patient ID
pseudonym and each patient's date shift then agree across all of them (and across runs with the
same key). Every element is visited at any sequence depth and gets its Table E.1-1 action; the
data set's File Meta Information and preamble are replaced (PS3.15 E.1.1 item 7) and the
de-identification is recorded in it (item 6).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from dicom_tools.anonymize.clean import TEXT_VRS, TextCleaner
from dicom_tools.anonymize.dates import shift_value
from dicom_tools.anonymize.keyed import KeyedHasher, is_well_known, random_key
from dicom_tools.anonymize.profile import OPTION_COLUMNS, Profile, build_profile, parse_tag
from dicom_tools.anonymize.safe_private import Declared
from dicom_tools.dicom.tags import format_tag
from dicom_tools.errors import UsageError, option

if TYPE_CHECKING:
    from pydicom import Dataset
    from pydicom.dataelem import DataElement

PATIENT_ID, PATIENT_NAME = 0x00100020, 0x00100010
NORMAL, DUMMY, CLEAN = 0, 1, 2  # how the contents of a sequence are treated (see _unlisted)

DUMMY_TEXT = "ANONYMIZED"
DUMMY_VALUES: dict[str, Any] = {
    **dict.fromkeys(("AE", "CS", "LO", "LT", "PN", "SH", "ST", "UC", "UT", "UR"), DUMMY_TEXT),
    "AS": "000Y",
    "DA": "19000101",
    "DT": "19000101000000",
    "TM": "000000",
    "DS": "0",
    "IS": "0",
    **dict.fromkeys(("US", "SS", "UL", "SL", "UV", "SV", "AT"), 0),
    **dict.fromkeys(("FL", "FD"), 0.0),
    **dict.fromkeys(("OB", "OW", "UN"), b"\0\0"),
    **dict.fromkeys(("OF", "OL"), b"\0" * 4),
    **dict.fromkeys(("OD", "OV"), b"\0" * 8),
}

# CID 7050 De-identification Method: (code, meaning, option enabling it; None: always).
METHOD_CODES = (
    ("113100", "Basic Application Confidentiality Profile", None),
    ("113101", "Clean Pixel Data Option", "clean_pixel_data"),
    ("113105", "Clean Descriptors Option", "clean_descriptors"),
    (
        "113106",
        "Retain Longitudinal Temporal Information Full Dates Option",
        "retain_long_full_dates",
    ),
    (
        "113107",
        "Retain Longitudinal Temporal Information Modified Dates Option",
        "retain_long_modified_dates",
    ),
    ("113108", "Retain Patient Characteristics Option", "retain_patient_characteristics"),
    ("113109", "Retain Device Identity Option", "retain_device_id"),
    ("113110", "Retain UIDs Option", "retain_uids"),
    ("113111", "Retain Safe Private Option", "retain_safe_private"),
    ("113112", "Retain Institution Identity Option", "retain_institution_id"),
)

# Objects that often carry burned-in text: modalities and Secondary Capture / ultrasound classes.
BURN_IN_MODALITIES = frozenset({"US", "IVUS", "SC", "OT", "XC", "ES", "GM", "DOC", "SM", "OP"})
BURN_IN_CLASS_PREFIXES = (
    "1.2.840.10008.5.1.4.1.1.7",
    "1.2.840.10008.5.1.4.1.1.6",
    "1.2.840.10008.5.1.4.1.1.3",
)

COUNTS = (
    "removed",
    "emptied",
    "dummied",
    "uids_replaced",
    "dates_shifted",
    "cleaned",
    "kept",
    "private_removed",
    "private_kept",
)


@dataclass(frozen=True)
class AnonymizeOptions:
    """The profile, its options, and the user's overrides (validated on creation)."""

    profile: str = "basic"
    retain_uids: bool = False
    retain_device_id: bool = False
    retain_institution_id: bool = False
    retain_patient_characteristics: bool = False
    retain_long_full_dates: bool = False
    retain_long_modified_dates: bool = False
    clean_descriptors: bool = False
    retain_safe_private: bool = False
    patient_id: str | None = None
    patient_name: str | None = None
    keep: tuple[str, ...] = ()
    remove: tuple[str, ...] = ()
    uid_root: str | None = None
    clean_pixel_data: bool = False  # pixels were blanked: recorded as 113101

    def __post_init__(self) -> None:
        if self.profile != "basic":
            raise UsageError(f"unknown profile {self.profile!r} (known: basic)")
        if self.retain_long_full_dates and self.retain_long_modified_dates:
            raise UsageError(
                f"{option('retain_long_full_dates')} and {option('retain_long_modified_dates')} "
                "exclude each other"
            )
        for name, value, limit in (
            ("patient_id", self.patient_id, 64),
            ("patient_name", self.patient_name, 64 * 3),
        ):
            if value is not None and (len(value) > limit or "\\" in value):
                raise UsageError(f"{option(name)}: at most {limit} characters and no backslash")
        clash = {parse_tag(t) for t in self.keep} & {parse_tag(t) for t in self.remove}
        if clash:
            names = ", ".join(format_tag(t) for t in sorted(clash))
            raise UsageError(
                f"attribute given to both {option('keep')} and {option('remove')}: {names}"
            )

    @property
    def chosen(self) -> list[str]:
        """The Annex E options chosen, by field name, in table order."""
        return [name for name in OPTION_COLUMNS if getattr(self, name)]

    def method_codes(self) -> list[tuple[str, str]]:
        return [(c, m) for c, m, opt in METHOD_CODES if opt is None or getattr(self, opt)]


@dataclass
class Report:
    """What was done to one data set: counts only, never values (they would be PHI)."""

    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTS, 0))
    warnings: list[str] = field(default_factory=list)

    def add(self, what: str, n: int = 1) -> None:
        self.counts[what] += n

    def to_dict(self) -> dict[str, Any]:
        return {"counts": dict(self.counts), "warnings": list(self.warnings)}


class Anonymizer:
    """De-identifies data sets in place with PS3.15 Annex E actions and a keyed hash."""

    def __init__(self, options: AnonymizeOptions | None = None, key: bytes | None = None) -> None:
        self.options = options or AnonymizeOptions()
        self.key_given = key is not None
        self.hasher = KeyedHasher(key if key is not None else random_key(), self.options.uid_root)
        self.profile: Profile = build_profile(
            self.options.chosen,
            keep=[parse_tag(t) for t in self.options.keep],
            remove=[parse_tag(t) for t in self.options.remove],
        )
        # (kind, original) -> replacement, for the data owner's map (--map); grows over a batch.
        self.mapping: dict[tuple[str, str], str] = {}

    def anonymize_dataset(self, ds: Dataset) -> Report:
        """De-identify ``ds`` (and its file meta) in place; returns counts and warnings."""
        run = _Run(self, ds)
        run.go()
        return run.report


def transfer_syntax(ds: Dataset) -> str:
    """The data set's transfer syntax: from its meta, else as pydicom read it."""
    from dicom_tools.dicom.pixels import dataset_syntax

    return dataset_syntax(ds)


def burned_in_warning(ds: Dataset, blanked: bool = False) -> str | None:
    """A warning when the pixels may show identifying text (PS3.15 E.1.1 note 5)."""
    burned = str(ds.get("BurnedInAnnotation", "") or "").strip().upper()
    if burned == "NO" or "PixelData" not in ds:
        return None
    modality = str(ds.get("Modality", "") or "").strip().upper()
    sop_class = str(ds.get("SOPClassUID", "") or "")
    if burned == "YES":
        why = "Burned In Annotation is YES"
    elif modality in BURN_IN_MODALITIES or sop_class.startswith(BURN_IN_CLASS_PREFIXES):
        why = f"{modality or 'this kind of object'} images often carry burned-in text"
    else:
        return None
    if blanked:
        return f"{why}: check that the blanked regions cover all identifying text"
    return (
        f"{why}: pixel data is not changed; review it or blank regions with {option('blank_rect')}"
    )


UNKNOWN, PLAIN, SEQUENCE = 0, 1, 2


@functools.cache
def _dictionary_kind(tag: int) -> int:
    from pydicom.datadict import dictionary_VR

    try:
        return SEQUENCE if dictionary_VR(tag) == "SQ" else PLAIN
    except KeyError:
        return UNKNOWN


def _kind(tag: int, elem: Any) -> int:
    """UNKNOWN (not in the dictionary), PLAIN or SEQUENCE, without converting a raw element."""
    kind = _dictionary_kind(tag)
    vr = getattr(elem, "VR", None)
    if kind == PLAIN and (vr == "SQ" or getattr(elem, "length", 0) == 0xFFFFFFFF):
        return SEQUENCE  # encoded as a sequence whatever the dictionary says: look inside
    return kind


def _is_empty(elem: DataElement) -> bool:
    value = elem.value
    return value is None or value == "" or value == b"" or (elem.VR == "SQ" and len(value) == 0)


def _values(value: Any) -> list[Any]:
    from pydicom.multival import MultiValue

    return list(value) if isinstance(value, MultiValue | list | tuple) else [value]


class _Run:
    """One data set's de-identification."""

    def __init__(self, owner: Anonymizer, ds: Dataset) -> None:
        self.owner = owner
        self.options = owner.options
        self.profile = owner.profile
        self.hasher = owner.hasher
        self.ds = ds
        self.report = Report()
        self.patient_id = str(ds.get("PatientID", "") or "")
        self.days = 0
        self.cleaner: TextCleaner | None = None
        self.declared: Declared | None = None

    def go(self) -> None:
        opts, ds = self.options, self.ds
        if not self.owner.key_given:
            self.report.warnings.append(
                f"no {option('key')} or {option('key_file')}: a random key was used, so UIDs, "
                "pseudonyms and date shifts will not match those of other runs"
            )
        warning = burned_in_warning(ds, opts.clean_pixel_data)
        if warning:
            self.report.warnings.append(warning)
        if opts.retain_long_modified_dates:
            self.days = self.hasher.day_offset(self.patient_id)
            self.owner.mapping[("DateShiftDays", self.patient_id)] = str(self.days)
        if opts.clean_descriptors or opts.retain_patient_characteristics:
            actions = self.profile.actions
            self.cleaner = TextCleaner.from_dataset(
                ds, lambda tag: tag in actions and actions[tag][0] != "C"
            )
        if self.profile.private == "C":
            self.declared = Declared.from_dataset(ds)
        ts = transfer_syntax(ds)
        old_meta = getattr(ds, "file_meta", None)
        for tag in [t for t in list(ds.keys()) if t >> 16 in (0x0000, 0x0002)]:
            # Command and meta elements do not belong in a stored data set (the meta is
            # rebuilt below); in nested items they get their table actions like any other.
            del ds[tag]
        self._dataset(ds, NORMAL)
        if opts.patient_id is not None and PATIENT_ID not in ds:
            ds.PatientID = opts.patient_id
        if opts.patient_name is not None and PATIENT_NAME not in ds:
            ds.PatientName = opts.patient_name
        self._record_method()
        self._file_meta(ts, old_meta)

    # -- walking -------------------------------------------------------------------------------

    def _dataset(self, ds: Dataset, mode: int) -> None:
        private: list[int] = []
        profile = self.profile
        for tag in list(ds.keys()):
            group = tag >> 16
            if group & 1:
                private.append(tag)
                continue
            if not tag & 0xFFFF:
                del ds[tag]  # group lengths: retired, and wrong once elements go
                continue
            rule = profile.rule(tag)
            if rule is None and mode == NORMAL:
                kind = _kind(tag, ds.get_item(tag))
                if kind == UNKNOWN:
                    del ds[tag]  # not a standard attribute: nothing says what it may hold
                    self.report.add("removed")
                    continue
                if kind == PLAIN:
                    continue  # kept as read: a raw value is written back byte for byte
            elem = ds[tag]
            if rule is None:
                self._unlisted(ds, tag, elem, mode)
            else:
                self._apply(ds, tag, elem, rule, mode)
        if private:
            self._private(ds, private, mode)

    def _items(self, elem: DataElement, mode: int) -> None:
        for item in elem.value or ():
            self._dataset(item, mode)

    def _apply(
        self, ds: Dataset, tag: int, elem: DataElement, rule: tuple[str, str], mode: int
    ) -> None:
        opts = self.options
        if tag == PATIENT_ID and opts.patient_id is not None:
            self._replace_value(elem, "PatientID", opts.patient_id)
            return
        if tag == PATIENT_NAME and opts.patient_name is not None:
            self._replace_value(elem, "PatientName", opts.patient_name)
            return
        action, fallback = rule
        if action == "C":
            action = self._clean(elem, fallback, mode)
            if action is None:
                return
        vr = elem.VR
        report = self.report
        if action == "X":
            del ds[tag]
            report.add("removed")
        elif action == "Z":
            if not _is_empty(elem):
                elem.value = elem.empty_value
                report.add("emptied")
        elif action == "D":
            if vr == "SQ":
                self._items(elem, DUMMY)
                report.add("dummied")
            elif vr == "UI":
                self._replace_uids(elem)
            elif _is_empty(elem):
                pass
            elif tag == PATIENT_ID:
                new = self.hasher.pseudonym("patient-id", str(elem.value))
                self._replace_value(elem, "PatientID", new)
            else:
                self._dummy(elem)
        elif action == "U":
            if vr == "UI":
                self._replace_uids(elem)
            elif vr == "SQ":
                self._items(elem, mode)
            elif not _is_empty(elem):
                self._dummy(elem)
        else:  # K
            report.add("kept")
            if vr == "SQ":
                self._items(elem, mode)

    def _unlisted(self, ds: Dataset, tag: int, elem: DataElement, mode: int) -> None:
        """An element the table does not list: kept, except in sequences being dummied/cleaned.

        PS3.15 applies a sequence's action "to the Sequence and all of its contents": inside a
        sequence that gets D every text value becomes a dummy, inside one that gets C it is
        cleaned; numbers, codes (CS) and UIDs follow their own rules.
        """
        vr = elem.VR
        if _kind(tag, elem) == UNKNOWN:
            del ds[tag]  # not a standard attribute: nothing says what it may hold
            self.report.add("removed")
        elif vr == "SQ":
            self._items(elem, mode)
        elif mode == NORMAL or _is_empty(elem):
            return
        elif mode == DUMMY and (vr in TEXT_VRS or vr in ("AE", "UR")):
            self._dummy(elem)
        elif mode == CLEAN and vr in TEXT_VRS:
            self._clean_text(elem)

    def _private(self, ds: Dataset, tags: list[int], mode: int) -> None:
        profile, report = self.profile, self.report
        if profile.private == "X" and not profile.overrides:
            for tag in tags:
                del ds[tag]
            report.add("private_removed", len(tags))
            return
        creators: dict[tuple[int, int], str] = {}
        for tag in tags:
            if 0x10 <= tag & 0xFFFF <= 0xFF:
                creators[(tag >> 16, tag & 0xFFFF)] = str(ds[tag].value or "").strip()
        kept_blocks: set[tuple[int, int]] = set()
        for tag in tags:
            group, number = tag >> 16, tag & 0xFFFF
            if 0x10 <= number <= 0xFF:
                continue  # creators: decided once their blocks are
            creator = creators.get((group, number >> 8)) if number >= 0x1000 else None
            action = profile.override(tag)
            if action is None:
                action = "X"
                if profile.private == "C" and creator and self.declared is not None:
                    action = self.declared.action(group, creator, number & 0xFF)
            if action == "X":
                del ds[tag]
                report.add("private_removed")
                continue
            kept_blocks.add((group, number >> 8))
            report.add("private_kept")
            elem = ds[tag]
            if action == "Z":
                elem.value = elem.empty_value
            elif action == "U" and elem.VR == "UI":
                self._replace_uids(elem)
            elif action in ("D", "U") and not _is_empty(elem):
                self._dummy(elem)
            elif elem.VR == "SQ":
                self._items(elem, mode)
        for group, block in creators:
            tag = group << 16 | block
            if (group, block) not in kept_blocks and profile.override(tag) != "K":
                del ds[tag]
                report.add("private_removed")

    # -- actions -------------------------------------------------------------------------------

    def _dummy(self, elem: DataElement) -> None:
        vr = elem.VR.split(" or ")[0]
        if vr == "UI":
            self._replace_uids(elem)
            return
        elem.value = DUMMY_VALUES.get(vr, b"\0\0")
        self.report.add("dummied")

    def _replace_value(self, elem: DataElement, kind: str, new: str) -> None:
        old = str(elem.value or "")
        if old:
            self.owner.mapping[(kind, old)] = new
        elem.value = new
        self.report.add("dummied")

    def _uid(self, value: Any) -> str:
        uid = str(value).strip().rstrip("\0")
        if not uid or is_well_known(uid):
            return uid
        new = self.hasher.uid(uid)
        self.owner.mapping[("UID", uid)] = new
        self.report.add("uids_replaced")
        return new

    def _replace_uids(self, elem: DataElement) -> None:
        if _is_empty(elem):
            return
        values = _values(elem.value)
        new = [self._uid(v) for v in values]
        elem.value = new[0] if len(new) == 1 else new

    def _clean(self, elem: DataElement, fallback: str, mode: int) -> str | None:
        """Apply C; returns None when done, or the action to apply instead when C cannot."""
        vr = elem.VR
        modified = self.options.retain_long_modified_dates
        if vr == "SQ":
            self._items(elem, DUMMY if mode == DUMMY else CLEAN)
            self.report.add("cleaned")
            return None
        if _is_empty(elem):
            return None
        if vr in ("DA", "DT"):
            if not modified:
                return fallback
            self._shift(elem)
            return None
        if vr == "TM":
            return None if modified else fallback  # a shift by whole days keeps times
        if vr == "AE":
            # Device identity kept as a consistent pseudonym rather than the real AE title.
            elem.value = "AE" + self.hasher.pseudonym("ae-title", str(elem.value), 14)
            self.report.add("cleaned")
            return None
        if vr in TEXT_VRS and self.cleaner is not None:
            self._clean_text(elem)
            return None
        if vr == "CS":
            return None  # defined terms, not free text
        return fallback

    def _clean_text(self, elem: DataElement) -> None:
        if self.cleaner is None:
            self._dummy(elem)
            return
        values = [self.cleaner.clean(str(v)) for v in _values(elem.value)]
        elem.value = values[0] if len(values) == 1 else values
        self.report.add("cleaned")

    def _shift(self, elem: DataElement) -> None:
        vr = elem.VR
        out = []
        for value in _values(elem.value):
            moved = shift_value(str(value), vr, self.days)
            out.append(moved if moved is not None else DUMMY_VALUES[vr])
        elem.value = out[0] if len(out) == 1 else out
        self.report.add("dates_shifted")

    # -- what the standard adds ------------------------------------------------------------------

    def _record_method(self) -> None:
        from pydicom import Dataset

        from dicom_tools import __version__

        opts, ds = self.options, self.ds
        codes = opts.method_codes()
        ds.PatientIdentityRemoved = "YES"
        method = [meaning for _code, meaning in codes]
        if opts.keep or opts.remove:
            method.append(f"Overrides: {len(opts.keep)} kept, {len(opts.remove)} removed")
        method.append(f"dicom-tools {__version__}")
        ds.DeidentificationMethod = method
        items = []
        for code, meaning in codes:
            item = Dataset()
            item.CodeValue = code
            item.CodingSchemeDesignator = "DCM"
            item.CodeMeaning = meaning
            items.append(item)
        ds.DeidentificationMethodCodeSequence = items
        if opts.retain_long_full_dates:
            ds.LongitudinalTemporalInformationModified = "UNMODIFIED"
        elif opts.retain_long_modified_dates:
            ds.LongitudinalTemporalInformationModified = "MODIFIED"
        elif "LongitudinalTemporalInformationModified" in ds:
            ds.LongitudinalTemporalInformationModified = "REMOVED"

    def _file_meta(self, ts: str, old: Any) -> None:
        """New File Meta Information naming this tool; an all-zero preamble (E.1.1 item 7)."""
        from dicom_tools.dicom.writer import file_meta

        ds = self.ds
        old = old if old is not None else {}
        sop_class = ds.get("SOPClassUID") or old.get("MediaStorageSOPClassUID")
        instance = ds.get("SOPInstanceUID")
        if not instance and old.get("MediaStorageSOPInstanceUID"):
            action = self.profile.rule(0x00020003) or ("U", "U")
            original = str(old.get("MediaStorageSOPInstanceUID"))
            instance = original if action[0] == "K" else self._uid(original)
        ds.file_meta = file_meta(ts, sop_class=sop_class, sop_instance=instance)
        ds.preamble = b"\0" * 128
