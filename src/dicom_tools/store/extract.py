"""What the index keeps of one instance, read with the project's Part 10 reader.

The reader walks the whole file (a file is complete only when its last element ends at its
end, so a truncated upload is refused here) but records only the indexed tags; a file on disk
is read by its head when its headers lie there. Values are decoded by ``dicom.values`` in the
file's Specific Character Set. Unreadable input raises the reader's one-line ``InputError``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from dicom_tools.dicom.failures import check_parsed, not_dicom
from dicom_tools.dicom.reader import ParsedFile, parse_source
from dicom_tools.dicom.source import Source
from dicom_tools.dicom.tags import SPECIFIC_CHARACTER_SET
from dicom_tools.dicom.values import Undecodable, decode, element_vr
from dicom_tools.errors import InputError
from dicom_tools.store.attributes import ATTRIBUTES, STORED_TAGS

_KEEP = STORED_TAGS | {SPECIFIC_CHARACTER_SET}
_REQUIRED = ("SOPInstanceUID", "StudyInstanceUID", "SeriesInstanceUID")


@dataclass(frozen=True)
class Extracted:
    """The indexed values of one instance, by keyword (text, int or None), and its syntax."""

    values: dict[str, Any]
    transfer_syntax: str

    @property
    def sop_instance_uid(self) -> str:
        return self.values["SOPInstanceUID"]


def extract(src: Source) -> Extracted:
    """The indexed attributes of ``src`` (a file, or bytes in memory)."""
    try:
        parsed = parse_source(src, keep=_KEEP)
    except ValueError:
        raise InputError(not_dicom(src.name)) from None
    except OSError as exc:
        raise InputError(f"{src.name}: cannot be read: {exc.strerror or exc}") from None
    try:
        check_parsed(parsed, src)
        return _extract(parsed, src.name)
    finally:
        parsed.close()


def _extract(parsed: ParsedFile, name: str) -> Extracted:
    if not parsed.meta.elements or not parsed.transfer_syntax:
        raise InputError(
            f"{name}: no file meta information with a Transfer Syntax UID (not a Part 10 instance)"
        )
    charset_elem = parsed.dataset.get(SPECIFIC_CHARACTER_SET)
    charset = ""
    if charset_elem is not None:
        charset = parsed.value(charset_elem).decode("latin-1").strip(" \0")
    values: dict[str, Any] = {}
    for level in ATTRIBUTES.values():
        for attr in level:
            elem = parsed.dataset.get(attr.tag)
            if elem is None or elem.items is not None:
                values[attr.keyword] = None
                continue
            vr = element_vr(attr.tag, elem.vr if parsed.explicit else None, elem.length)
            raw = parsed.value(elem)
            values[attr.keyword] = _value(vr, raw, parsed.little, charset, attr.integer)
    missing = [k for k in _REQUIRED if not values.get(k)]
    if missing:
        raise InputError(f"{name}: no {', '.join(missing)}: an instance cannot be stored without")
    return Extracted(values, parsed.transfer_syntax)


def _value(vr: str, raw: bytes, little: bool, charset: str, integer: bool) -> Any:
    """One stored value: an int for integer attributes, else the text with its values joined
    by backslashes as DICOM writes them; None when empty or not readable as such."""
    try:
        value = decode(vr, raw, little, charset)
    except Undecodable:
        value = raw.decode("utf-8", "replace").rstrip(" \0") or None
    if isinstance(value, bytes):  # a binary VR where text was expected (UN): nothing to keep
        return None
    if integer:
        first = value[0] if isinstance(value, list) else value
        try:
            return int(first) if first is not None and float(first) == int(first) else None
        except (TypeError, ValueError, OverflowError):
            return None
    if value is None:
        return None
    if isinstance(value, list):
        return "\\".join("" if v is None else str(v) for v in value)
    return str(value)


def source_of(path: str | os.PathLike[str], name: str) -> Source:
    """A Source for a stored blob, named ``name`` in messages (never the blob's path)."""
    return Source(name, path=os.fspath(path))
