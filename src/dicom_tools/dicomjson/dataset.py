"""A pydicom data set to DICOM JSON text: the path for files the byte walk leaves to pydicom.

The elements are read raw (``read_dataset(convert=False)``) and written by the same
``JsonWriter`` as the byte path; only the walk over pydicom's data sets lives here.
"""

from __future__ import annotations

import struct
from typing import TYPE_CHECKING, Any

from dicom_tools.dicom.charsets import DEFAULT
from dicom_tools.dicom.tags import SPECIFIC_CHARACTER_SET, format_tag
from dicom_tools.dicom.vr import (
    NUMBER_FORMATS,
    NUMBER_STRINGS,
    VRS,
)
from dicom_tools.dicomjson.bulk import BulkSink
from dicom_tools.dicomjson.encoder import (
    PIXEL_REPRESENTATION,
    JsonText,
    JsonWriter,
    charset_values,
    implicit_vr,
    resolve_ambiguous,
)
from dicom_tools.errors import InputError

if TYPE_CHECKING:
    from pathlib import Path

    from pydicom import Dataset

    from dicom_tools.dicom.source import Source


def file_dataset_to_json(path: Path | Source, bulk: BulkSink | None = None) -> JsonText:
    """Read ``path`` with pydicom, elements left raw (bytes as stored: exact DS digits,
    undecoded text), and convert it; raises InputError for a file that cannot be read."""
    from dicom_tools.io import check_items, describe_exception, read_dataset

    ds = read_dataset(path, convert=False)
    try:
        converted = dataset_to_json(ds, bulk)
        check_items(path, ds)  # sequences are parsed now: check their item tags
    except InputError:
        raise
    except Exception as exc:
        raise InputError(f"{path}: cannot read DICOM data: {describe_exception(exc)}") from exc
    return converted


def dataset_to_json(ds: Dataset, bulk: BulkSink | None = None) -> JsonText:
    """The JSON text of ``ds`` (its file meta information included)."""
    conv = _FromDataset(bulk)
    meta = getattr(ds, "file_meta", None)
    conv.dataset(ds, [DEFAULT], [], "", "", meta=meta if meta else None)
    conv.out.append("\n")
    ts = meta.get("TransferSyntaxUID") if meta else None
    return JsonText(conv.text(), conv.elements, conv.warnings, str(ts) if ts else None)


class _FromDataset(JsonWriter):
    def dataset(
        self,
        ds: Dataset,
        encodings: list[str],
        ancestors: list[Dataset],
        indent: str,
        path: str,
        meta: Dataset | None = None,
    ) -> None:
        elems = []
        if meta is not None:
            tags = list(meta.keys())  # a Dataset iterates over elements, keys() gives tags
            elems = [(tag, meta.get_item(tag, keep_deferred=True)) for tag in tags]
        seen = {tag for tag, _ in elems}
        tags = [tag for tag in list(ds.keys()) if tag not in seen]
        # keep_deferred: an empty raw element has value None, which get_item would convert
        elems += [(tag, ds.get_item(tag, keep_deferred=True)) for tag in tags]
        elems.sort(key=lambda te: te[0])
        out = self.out
        if not elems:
            out.append("{}")
            return
        if SPECIFIC_CHARACTER_SET in ds:
            encodings = self._charset(ds.get_item(SPECIFIC_CHARACTER_SET))
        ancestors = [ds, *ancestors]
        inner = indent + "  "
        out.append("{\n")
        first = True
        for tag, elem in elems:
            if not tag & 0xFFFF:
                continue  # group lengths are encoding, not content (PS3.19 A.1.1, as dcm2json)
            if tag >> 16 == 0xFFFE:  # a stray item or delimiter: not an attribute
                self.warn(f"{format_tag(tag)}: item/delimiter tag inside a data set, skipped")
                continue
            if not first:
                out.append(",\n")
            first = False
            self.elements += 1
            key = f"{tag:08X}"
            epath = f"{path}.{key}" if path else key
            out.append(f'{inner}"{key}": ')
            self.element(tag, elem, ds, encodings, ancestors, inner, epath)
        out.append(f"\n{indent}}}")

    def _charset(self, elem: Any) -> list[str]:
        if getattr(elem, "is_raw", False):
            values = charset_values(elem.value or b"")
        else:
            value = elem.value
            if isinstance(value, str | bytes) or value is None:
                value = [value]
            values = [str(v or "").strip(" \0") for v in value]
        return self.charset(values)

    def element(
        self,
        tag: int,
        elem: Any,
        ds: Dataset,
        encodings: list[str],
        ancestors: list[Dataset],
        indent: str,
        path: str,
    ) -> None:
        if getattr(elem, "is_raw", False):
            vr = elem.VR
            if vr is None:  # implicit VR: from the dictionaries
                vr = implicit_vr(tag, lambda t: _creator(ds, t))
            if " or " in vr:
                if elem.length == 0xFFFFFFFF:
                    vr = "OB"  # encapsulated pixel data (PS3.5 A.4)
                else:
                    vr = resolve_ambiguous(vr, elem.value, lambda: _pixel_rep(ancestors))
            if vr == "SQ":
                seq = ds[tag].value  # pydicom parses the items (their elements stay raw)
                self.sequence(seq, encodings, ancestors, indent, path)
                return
            if vr not in VRS:
                self.warn(f"{path}: unknown VR {vr!r}, written as UN")
                vr = "UN"
            vr, body = self.value(vr, elem.value, elem.is_little_endian, encodings, path)
        else:
            vr = elem.VR
            if vr == "SQ":
                self.sequence(elem.value, encodings, ancestors, indent, path)
                return
            if " or " in vr:
                vr = resolve_ambiguous(vr, None, lambda: _pixel_rep(ancestors))
            converted = _converted(elem, vr)
            if isinstance(converted, str):
                body = self.strings(vr, converted, path)
            else:
                vr, body = self.value(vr, converted, True, encodings, path)
        self.attribute(vr, body)


def _creator(ds: Dataset, tag: int) -> str | None:
    elem = ds.get_item(tag)
    if elem is None or not elem.value:
        return None
    value = elem.value
    return value.decode("latin-1") if isinstance(value, bytes) else str(value)


def _pixel_rep(ancestors: list[Dataset]) -> int:
    """The nearest Pixel Representation, -1 if none."""
    for ds in ancestors:
        if PIXEL_REPRESENTATION in ds:
            elem = ds.get_item(PIXEL_REPRESENTATION)
            value = elem.value
            if isinstance(value, bytes):
                order = "<" if elem.is_little_endian else ">"
                return struct.unpack(order + "H", value[:2])[0] if len(value) >= 2 else 0
            return int(value or 0)
    return -1


def _converted(elem: Any, vr: str) -> bytes | str | None:
    """The value of an element pydicom has already converted: bytes, or text for string VRs.

    Only a few elements arrive converted (empty ones, Specific Character Set, some meta
    elements); turning them back into bytes or text keeps one conversion path for all.
    """
    from pydicom.multival import MultiValue

    value = elem.value
    if value is None or (isinstance(value, str | bytes | list | MultiValue) and len(value) == 0):
        return None
    if isinstance(value, bytes):
        return value
    values = list(value) if isinstance(value, list | tuple | MultiValue) else [value]
    if vr in NUMBER_FORMATS:
        return struct.pack(f"<{len(values)}{NUMBER_FORMATS[vr]}", *values)
    if vr == "AT":
        return b"".join(struct.pack("<HH", int(v) >> 16, int(v) & 0xFFFF) for v in values)
    texts = []
    for v in values:
        if v is None:
            texts.append("")
        elif vr in NUMBER_STRINGS:
            texts.append(getattr(v, "original_string", None) or str(v))
        else:
            texts.append(str(v))
    return "\\".join(texts)
