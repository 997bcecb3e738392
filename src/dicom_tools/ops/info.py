"""info: a patient/study/series/instance/image summary, read without pixel data.

Read by the base reader (``dicom.reader``), values decoded from their bytes
(``dicom.values``): no pydicom on this path, except for text with ISO 2022 code extensions,
which ``dicom.values`` hands to pydicom's decoder. Files without File Meta Information, deflated
ones, sequences in UN, text in other character sets, DS or IS values that are not numbers and
repeated tags (the last copy, as pydicom keeps it) are read here too; an unreadable file gets
its one-line error from the reader's tree (``dicom.failures``). What is still read by pydicom
(``_from_pydicom``, imported only then), so that output and error messages stay the same; no
file of the test corpus or bad inputs takes it: a defect ``dicom.failures`` has no wording for
(a nested broken item, a deflated file's truncation), a meta group without preamble, an unknown
transfer syntax, and a value ``dicom.values`` cannot decode as pydicom does (``Undecodable``: a
binary number of the wrong length, an ambiguous VR without Pixel Representation, text invalid
in its character set).
"""

from __future__ import annotations

from dicom_tools.dicom.dictionary import entry, uid_name
from dicom_tools.dicom.failures import check_parsed
from dicom_tools.dicom.reader import UNDEFINED, Element, ParsedFile, parse_source
from dicom_tools.dicom.source import Source, as_source
from dicom_tools.dicom.syntaxes import by_uid
from dicom_tools.dicom.tags import PIXEL_DATA, SPECIFIC_CHARACTER_SET, format_tag
from dicom_tools.dicom.values import Undecodable, decode, element_vr
from dicom_tools.dicom.vr import BINARY
from dicom_tools.io import check_input
from dicom_tools.result import Result

TYPE_CHECKING = False  # typing costs start-up time
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any

SECTIONS: dict[str, tuple[str, ...]] = {
    "Patient": ("PatientName", "PatientID", "PatientBirthDate", "PatientSex"),
    "Study": (
        "StudyInstanceUID",
        "StudyDate",
        "StudyTime",
        "StudyDescription",
        "AccessionNumber",
    ),
    "Series": ("SeriesInstanceUID", "SeriesNumber", "SeriesDescription", "Modality"),
    "Instance": ("SOPClassUID", "SOPInstanceUID", "InstanceNumber", "TransferSyntaxUID"),
    "Image": (
        "Rows",
        "Columns",
        "NumberOfFrames",
        "SamplesPerPixel",
        "PhotometricInterpretation",
        "BitsAllocated",
        "BitsStored",
        "PixelRepresentation",
    ),
}


# The tags of the summary's keywords, written out because looking a keyword up in the data
# dictionary indexes all of it (milliseconds of start-up); a test checks each against the
# dictionary. TransferSyntaxUID comes from the meta group.
_SECTION_TAGS: dict[str, int] = {
    "PatientName": 0x00100010,
    "PatientID": 0x00100020,
    "PatientBirthDate": 0x00100030,
    "PatientSex": 0x00100040,
    "StudyInstanceUID": 0x0020000D,
    "StudyDate": 0x00080020,
    "StudyTime": 0x00080030,
    "StudyDescription": 0x00081030,
    "AccessionNumber": 0x00080050,
    "SeriesInstanceUID": 0x0020000E,
    "SeriesNumber": 0x00200011,
    "SeriesDescription": 0x0008103E,
    "Modality": 0x00080060,
    "SOPClassUID": 0x00080016,
    "SOPInstanceUID": 0x00080018,
    "InstanceNumber": 0x00200013,
    "TransferSyntaxUID": 0x00020010,
    "Rows": 0x00280010,
    "Columns": 0x00280011,
    "NumberOfFrames": 0x00280008,
    "SamplesPerPixel": 0x00280002,
    "PhotometricInterpretation": 0x00280004,
    "BitsAllocated": 0x00280100,
    "BitsStored": 0x00280101,
    "PixelRepresentation": 0x00280103,
}

# The summary's (keyword, tag) pairs in order; TransferSyntaxUID is not in the data set.
_SUMMARY = tuple((kw, _SECTION_TAGS[kw]) for kws in SECTIONS.values() for kw in kws)
_TRANSFER_SYNTAX = _SECTION_TAGS["TransferSyntaxUID"]
# What the summary reads of a data set (the reader checks every element, records these).
_KEEP = frozenset(
    {
        *_SECTION_TAGS.values(),
        SPECIFIC_CHARACTER_SET,
        PIXEL_DATA,
        _SECTION_TAGS["PixelRepresentation"],
    }
)
# Values decoded as they are (no ambiguous VR, no sequence, no binary data).
_TEXT_VRS = frozenset(("AE", "AS", "CS", "DA", "DS", "DT", "IS", "LO", "PN", "SH", "TM", "UI"))
_TEXT_VRS |= {"US", "SS", "UL", "SL", "FL", "FD", "LT", "ST", "UT", "UC", "UR"}

# pydicom leaves values longer than this unread (info's reading, kept as it was).
_DEFER = 1024
_NOT_READ_UNDEFINED = f"<{UNDEFINED} bytes, not read>"


def info(input: Source | Path, *, verbose: bool = False) -> Result:
    """A summary of ``input`` (a file or an instance in memory) by section; with ``verbose``,
    every top-level element too."""
    src = check_input(as_source(input))
    data = _from_reader(src, verbose)
    if data is None:  # an unusual or broken file: read as before, errors included
        data = _from_pydicom(src, verbose)
    return Result(data=data, text=_text(data, verbose))


def _from_reader(src: Source, verbose: bool) -> dict[str, Any] | None:
    """The summary from the base reader, or None when the file needs pydicom's reading: a
    structural defect (whose message pydicom's path gives), repeated tags, or a value these
    rules do not decode as pydicom does."""
    try:
        parsed = parse_source(src, keep=None if verbose else _KEEP)
    except (ValueError, OSError):
        return None
    check_parsed(parsed, src)  # unreadable: the one-line error
    try:
        return _summary(parsed, src, verbose)
    except Undecodable:
        return None
    finally:
        parsed.close()


def _summary(parsed: ParsedFile, src: Source, verbose: bool) -> dict[str, Any] | None:
    ts = parsed.transfer_syntax
    syntax = by_uid(ts)
    ds, meta = parsed.dataset, parsed.meta
    if (
        parsed.problems
        or (meta.elements and not parsed.preamble)
        or (ts and syntax is None)
        or not ds.elements
    ):
        return None
    little = parsed.little
    creators: dict[int, str] = {}
    charset = ""
    cs = ds.get(SPECIFIC_CHARACTER_SET)
    if cs is not None:
        charset = parsed.value(cs).decode("latin-1").strip(" \0")
    rep = ds.get(0x00280103)
    pixel_rep: int | None = None
    if rep is not None and rep.length:
        value = decode("US", parsed.value(rep), little)
        pixel_rep = value if isinstance(value, int) else None
    if pixel_rep is None:  # pydicom's guess for US or SS values
        if rep is not None:
            pixel_rep = 1
        elif ds.get(PIXEL_DATA) is None:
            pixel_rep = 0

    if not verbose:  # only the summary's values: two dozen of a file's hundred or more
        data: dict[str, Any] = {"File": src.name, "FileSize": src.size}
        by_tag = ds.by_tag
        for kw, tag in _SUMMARY:
            el = by_tag.get(tag) if tag != _TRANSFER_SYNTAX else None
            if el is None:
                data[kw] = ts if tag == _TRANSFER_SYNTAX else None
                continue
            vr = el.vr
            if not el.explicit or vr == "UN":
                vr = element_vr(tag, vr if el.explicit else None, el.length, None)
            if vr in _TEXT_VRS and el.length != UNDEFINED:  # the common case, decoded here
                data[kw] = decode(vr, parsed.value(el), little, charset)
            else:
                data[kw] = _read(parsed, el, vr, little, charset, pixel_rep)
        return _named(data, meta, parsed)

    # Verbose: every value pydicom would have read is decoded here (a broken one sends the
    # file to pydicom's path, which reports it); the larger ones stay unread, as before.
    values: dict[int, Any] = {}
    names: dict[int, str] = {}
    for el in ds.elements:
        tag = el.tag
        private = tag >> 16 & 1
        creator = creators.get(tag >> 16 << 16 | (tag & 0xFFFF) >> 8) if private else None
        vr = element_vr(tag, el.vr if el.explicit else None, el.length, creator)
        names[tag] = _tag_name(tag)
        if el.length > _DEFER and el.length != UNDEFINED and tag != SPECIFIC_CHARACTER_SET:
            values[tag] = _Deferred(el, vr)
            continue
        values[tag] = _read(parsed, el, vr, little, charset, pixel_rep)
        if private and 0x10 <= tag & 0xFFFF <= 0xFF and isinstance(values[tag], str):
            creators[tag] = values[tag]

    data = {"File": src.name, "FileSize": src.size}
    by_keyword = {name: tag for tag, name in names.items()}
    for keywords in SECTIONS.values():
        for kw in keywords:
            if kw == "TransferSyntaxUID":
                data[kw] = ts
                continue
            tag = by_keyword.get(kw)
            value = values.get(tag) if tag is not None else None
            if isinstance(value, _Deferred):  # asked for: read it now
                value = _value(parsed, value.el, value.vr, little, charset, pixel_rep)
            data[kw] = value
    data = _named(data, meta, parsed)
    data["Elements"] = {
        names[tag]: f"<{v.el.length} bytes, not read>" if isinstance(v, _Deferred) else v
        for tag, v in values.items()
    }
    return data


def _named(data: dict[str, Any], meta: Any, parsed: ParsedFile) -> dict[str, Any]:
    """``data`` with the SOP Class (from the meta group when the data set has none) and the
    names of the SOP Class and the transfer syntax."""
    if data["SOPClassUID"] is None:
        sop = meta.get(0x00020002)
        if sop is not None:
            data["SOPClassUID"] = decode("UI", parsed.value(sop)) or ""
    data["SOPClassName"] = uid_name(data["SOPClassUID"])
    data["TransferSyntaxName"] = uid_name(data["TransferSyntaxUID"])
    return data


def _read(
    parsed: ParsedFile,
    el: Element,
    vr: str,
    little: bool,
    charset: str,
    pixel_rep: int | None,
) -> Any:
    """The summary value of ``el``, undefined lengths (sequences, encapsulated data) too."""
    if el.length != UNDEFINED:
        return _value(parsed, el, vr, little, charset, pixel_rep)
    if vr in ("SQ", "UN") and el.items is not None:  # UN: a sequence (PS3.5 6.2.2)
        return f"<sequence of {len(el.items)} item(s)>"
    if el.fragments is not None:
        end = el.fragments[-1][0] + el.fragments[-1][1] if el.fragments else el.pos
        size = end - el.pos
        return _NOT_READ_UNDEFINED if size >= _DEFER else f"<{size} bytes>" if size else None
    raise Undecodable("undefined length")


class _Deferred:
    """A value longer than pydicom's deferral size: read only if a section asks for it."""

    __slots__ = ("el", "vr")

    def __init__(self, el: Element, vr: str) -> None:
        self.el = el
        self.vr = vr


def _value(
    parsed: ParsedFile,
    el: Element,
    vr: str,
    little: bool,
    charset: str,
    pixel_rep: int | None,
) -> Any:
    """The summary value of one element, as ``values.element_value`` gives it from pydicom."""
    if vr == "SQ":
        if el.items is None:
            raise Undecodable("sequence without items")
        return f"<sequence of {len(el.items)} item(s)>"
    if vr == "US or SS":
        if pixel_rep is None:
            raise Undecodable("US or SS without Pixel Representation")
        vr = "US" if pixel_rep == 0 else "SS"
    elif vr == "OB or OW":
        vr = "OB"
    elif len(vr) != 2:
        raise Undecodable(f"VR {vr}")
    if vr in BINARY:
        return f"<{el.length} bytes>" if el.length else None
    return decode(vr, parsed.value(el), little, charset)


def _tag_name(tag: int) -> str:
    """pydicom's keyword (none for private tags and most group lengths), else (GGGG,EEEE)."""
    if not tag >> 16 & 1:
        e = entry(tag)
        if e is not None and e.keyword and not (tag & 0xFFFF == 0 and e.keyword == "GroupLength"):
            return e.keyword
    return format_tag(tag)


def _from_pydicom(src: Source, verbose: bool) -> dict[str, Any]:
    """The summary as pydicom reads the file (imported here, only for unusual files)."""
    from pydicom.dataelem import RawDataElement

    from dicom_tools.io import read_dataset
    from dicom_tools.values import element_value

    # Large values (pixel data) are skipped, not read, yet still checked against the file size.
    ds = read_dataset(src, defer_size=_DEFER)
    meta = ds.file_meta
    data: dict[str, Any] = {"File": src.name, "FileSize": src.size}
    for keywords in SECTIONS.values():
        for kw in keywords:
            if kw == "TransferSyntaxUID":
                ts = meta.get("TransferSyntaxUID") if meta else None
                data[kw] = str(ts) if ts else None
                continue
            elem = ds.data_element(kw) if kw in ds else None
            data[kw] = element_value(elem) if elem is not None else None
    if data["SOPClassUID"] is None and meta and "MediaStorageSOPClassUID" in meta:
        data["SOPClassUID"] = str(meta.MediaStorageSOPClassUID)
    data["SOPClassName"] = uid_name(data["SOPClassUID"])
    data["TransferSyntaxName"] = uid_name(data["TransferSyntaxUID"])

    if verbose:
        data["Elements"] = {}
        for tag in list(ds._dict):
            raw = ds._dict[tag]  # unlike ds[tag] or get_item, does not load a deferred value
            if isinstance(raw, RawDataElement) and raw.value is None and raw.length:
                value: Any = f"<{raw.length} bytes, not read>"
            else:
                value = element_value(ds[tag])
            data["Elements"][_pydicom_tag_name(tag)] = value
    return data


def _pydicom_tag_name(tag: int) -> str:
    from pydicom.datadict import keyword_for_tag

    return keyword_for_tag(tag) or format_tag(tag)


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, list):
        return "\\".join(_fmt(v) for v in value)
    return str(value)


def _text(data: dict[str, Any], verbose: bool) -> str:
    lines = [f"File: {data['File']} ({data['FileSize']} bytes)"]
    for section, keywords in SECTIONS.items():
        lines.append(f"{section}:")
        for kw in keywords:
            value = _fmt(data[kw])
            if kw == "SOPClassUID" and data["SOPClassName"]:
                value += f" ({data['SOPClassName']})"
            if kw == "TransferSyntaxUID" and data["TransferSyntaxName"]:
                value += f" ({data['TransferSyntaxName']})"
            lines.append(f"  {kw:<26} {value}")
    if verbose:
        lines.append("Elements:")
        lines.extend(f"  {k:<40} {_fmt(v)}" for k, v in data["Elements"].items())
    return "\n".join(lines)
