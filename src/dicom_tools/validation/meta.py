"""File meta information checks (PS3.10 7.1): preamble, group 0002, and the transfer syntax."""

from __future__ import annotations

from dicom_tools.dicom import syntaxes as S
from dicom_tools.dicom.reader import ParsedFile
from dicom_tools.dicom.tags import PIXEL_DATA
from dicom_tools.validation.decode import Values
from dicom_tools.validation.findings import Findings

MODULE = "file-meta"

# (tag, keyword, type) of the File Meta Information elements.
_ELEMENTS = (
    (0x00020000, "FileMetaInformationGroupLength", "1"),
    (0x00020001, "FileMetaInformationVersion", "1"),
    (0x00020002, "MediaStorageSOPClassUID", "1"),
    (0x00020003, "MediaStorageSOPInstanceUID", "1"),
    (0x00020010, "TransferSyntaxUID", "1"),
    (0x00020012, "ImplementationClassUID", "1"),
)


def is_transfer_syntax(uid: str) -> bool:
    return S.by_uid(uid) is not None


def is_encapsulated(uid: str) -> bool:
    return not S.is_native(uid)


def check_meta(pf: ParsedFile, values: Values, findings: Findings) -> None:
    meta = pf.meta
    if not pf.prefix:
        findings.error(
            "no-meta",
            "no preamble and no DICM prefix: not a DICOM Part 10 file (no File Meta Information)",
            module=MODULE,
        )
    elif not pf.preamble:
        findings.error("no-preamble", "DICM prefix without the 128-byte preamble", module=MODULE)
    if pf.prefix and not meta.elements:
        findings.error("no-meta", "the File Meta Information group is empty", module=MODULE)
    if not meta.elements:
        _check_encoding(pf, values, findings, None)
        return

    def where(tag: int, keyword: str) -> dict:
        return {"tag": tag, "keyword": keyword, "module": MODULE}

    for tag, keyword, _type in _ELEMENTS:
        el = meta.get(tag)
        if el is None:
            findings.error("missing-type1", "Type 1 attribute missing", **where(tag, keyword))
        elif values.is_empty(el):
            findings.error("empty-type1", "Type 1 attribute has no value", **where(tag, keyword))

    length = meta.get(0x00020000)
    if length is not None and length.length == 4:
        declared = values.numbers(length)[0] if length.vr == "UL" else None
        actual = pf.meta_end - (length.pos + 4)
        if declared is not None and declared != actual:
            findings.error(
                "bad-group-length",
                f"group length is {declared}, the group holds {actual} bytes",
                **where(0x00020000, "FileMetaInformationGroupLength"),
            )
    version = meta.get(0x00020001)
    if version is not None and version.length and values.raw(version) != b"\x00\x01":
        findings.warning(
            "bad-value",
            f"File Meta Information Version is {values.raw(version).hex()}, expected 0001",
            **where(0x00020001, "FileMetaInformationVersion"),
        )

    for meta_tag, meta_kw, ds_tag, ds_kw in (
        (0x00020002, "MediaStorageSOPClassUID", 0x00080016, "SOPClassUID"),
        (0x00020003, "MediaStorageSOPInstanceUID", 0x00080018, "SOPInstanceUID"),
    ):
        in_meta = values.text(meta, meta_tag)
        in_ds = values.text(pf.dataset, ds_tag)
        if in_meta and in_ds and in_meta != in_ds:
            findings.error(
                "meta-mismatch",
                f"{meta_kw} {in_meta} differs from the data set's {ds_kw} {in_ds}",
                **where(meta_tag, meta_kw),
            )
    for el in meta.elements:
        if el.tag >> 16 != 2:
            findings.error(
                "bad-meta",
                "element of another group inside the File Meta Information",
                tag=el.tag,
                module=MODULE,
            )
    _check_encoding(pf, values, findings, pf.transfer_syntax)


def _check_encoding(pf: ParsedFile, values: Values, findings: Findings, ts: str | None) -> None:
    """The transfer syntax must be known and match how the data set is really encoded."""
    where = {"tag": 0x00020010, "keyword": "TransferSyntaxUID", "module": MODULE}
    actual = _describe(pf.explicit, pf.little)
    if ts is None:
        if pf.meta.elements:
            return  # already reported as a missing Type 1 attribute
        findings.info("no-meta", f"data set read as {actual}", module=MODULE)
        return
    syntax = S.by_uid(ts)
    if syntax is None:
        findings.error("unknown-transfer-syntax", f"unknown Transfer Syntax UID {ts}", **where)
        return
    expected = _describe(syntax.explicit_vr, syntax.little_endian)
    if expected != actual:
        findings.error(
            "transfer-syntax-mismatch",
            f"Transfer Syntax UID {ts} says {expected}, but the data set is {actual}",
            **where,
        )
    pixels = pf.dataset.get(PIXEL_DATA)
    if pixels is not None:
        encapsulated = pixels.fragments is not None
        if is_encapsulated(ts) and not encapsulated:
            findings.error(
                "transfer-syntax-mismatch",
                f"Transfer Syntax UID {ts} is encapsulated, but Pixel Data is not encapsulated",
                **where,
            )
        elif not is_encapsulated(ts) and encapsulated:
            findings.error(
                "transfer-syntax-mismatch",
                f"Transfer Syntax UID {ts} is native, but Pixel Data is encapsulated",
                **where,
            )


def _describe(explicit: bool, little: bool) -> str:
    return f"{'explicit' if explicit else 'implicit'} VR {'little' if little else 'big'} endian"
