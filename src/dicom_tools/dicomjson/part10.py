"""The model to a Part 10 file: File Meta Information (from group 0002, or generated) and the
data set in the transfer syntax (0002,0010) names (Explicit VR Little Endian without one).

Odd-length values are padded (PS3.5 7.1.1); DS numbers longer than 16 characters (another
producer's floats) are re-formatted to fit. Sequences and items get defined lengths, except
where a reader could not tell a sequence otherwise: in implicit VR, a sequence the DICOM
dictionary does not know (private) gets undefined length, which dcmtk and pydicom parse as one.
Encapsulated pixel data (a run of items) is written with undefined length when the transfer
syntax is an encapsulated one.
"""

from __future__ import annotations

import struct
import warnings
import zlib
from dataclasses import dataclass
from typing import Any

from dicom_tools.dicom import syntaxes
from dicom_tools.dicom.dictionary import vr_of
from dicom_tools.dicom.tags import (
    ITEM,
    ITEM_END,
    PIXEL_DATA,
    SEQUENCE_END,
    UNDEFINED_LENGTH,
    tag_hex,
)
from dicom_tools.dicom.vr import (
    BINARY,
    CHARSET_TEXT,
    LONG_LENGTH,
    NUMBER_FORMATS,
    NUMBER_STRINGS,
    SINGLE_VALUED,
    WORD_SIZES,
    padding,
)
from dicom_tools.dicom.writer import IMPLEMENTATION_CLASS_UID, IMPLEMENTATION_VERSION_NAME
from dicom_tools.dicomjson.model import Element, JsonNumber, Model, ModelError, short, where
from dicom_tools.dicomjson.values import PN_GROUPS, charset_encodings, swap_bytes
from dicom_tools.errors import InputError


@dataclass
class BuiltFile:
    data: bytes
    transfer_syntax: str
    generated_meta: list[str]


def _syntax(uid: str) -> syntaxes.Syntax:
    """The syntax of ``uid``; an unknown (private) one is taken as explicit VR little endian
    with encapsulated pixel data."""
    return syntaxes.by_uid(uid) or syntaxes.Syntax(uid, uid, uid)


def _first_string(model: Model, tag: int) -> str | None:
    elem = model.get(tag)
    if elem is None or not isinstance(elem.value, list) or not elem.value:
        return None
    v = elem.value[0]
    return v.strip(" \0") if isinstance(v, str) else None


def build_file(model: Model) -> BuiltFile:
    """The bytes of a Part 10 file for ``model`` (file meta from group 0002, or generated)."""
    meta = {t: e for t, e in model.items() if t >> 16 == 2}
    body = {t: e for t, e in model.items() if t >> 16 != 2}
    generated = []
    ts_uid = _first_string(meta, 0x00020010)
    if not ts_uid:
        ts_uid = syntaxes.EXPLICIT_LE
    defaults = {
        0x00020001: ("FileMetaInformationVersion", Element("OB", b"\x00\x01")),
        0x00020002: ("MediaStorageSOPClassUID", Element("UI", [_first_string(body, 0x00080016)])),
        0x00020003: (
            "MediaStorageSOPInstanceUID",
            Element("UI", [_first_string(body, 0x00080018)]),
        ),
        0x00020010: ("TransferSyntaxUID", Element("UI", [ts_uid])),
        0x00020012: ("ImplementationClassUID", Element("UI", [IMPLEMENTATION_CLASS_UID])),
        0x00020013: ("ImplementationVersionName", Element("SH", [IMPLEMENTATION_VERSION_NAME])),
    }
    for tag, (name, elem) in defaults.items():
        if elem.value == [None]:
            continue  # no SOP Class/Instance UID in the data set: nothing to copy
        if tag not in meta and (tag != 0x00020013 or 0x00020012 not in meta):
            meta[tag] = elem
            generated.append(name)
    meta[0x00020000] = Element("UL", [JsonNumber("0")])  # recomputed as a group length
    syntax = _syntax(ts_uid)
    meta_bytes = _Encoder(_syntax(syntaxes.EXPLICIT_LE)).dataset(meta, ["iso8859"])
    body_bytes = _Encoder(syntax).dataset(body, ["iso8859"])
    if syntax.deflated:
        compressor = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
        body_bytes = compressor.compress(body_bytes) + compressor.flush()
    data = b"\0" * 128 + b"DICM" + bytes(meta_bytes) + bytes(body_bytes)
    return BuiltFile(data, ts_uid, generated)


class _Encoder:
    def __init__(self, syntax: syntaxes.Syntax) -> None:
        self.syntax = syntax
        self.implicit = not syntax.explicit_vr
        self.order = syntax.byte_order

    def dataset(self, model: Model, encodings: list[str], path: str = "") -> bytearray:
        if 0x00080005 in model:
            value = model[0x00080005].value or []
            encodings = charset_encodings([(v or "").strip() for v in value])
        out = bytearray()
        group_lengths: list[tuple[int, int]] = []  # (group, offset of the 4-byte value)
        group_start: dict[int, int] = {}
        for tag in sorted(model):
            elem = model[tag]
            group = tag >> 16
            group_start.setdefault(group, len(out))
            key = tag_hex(tag)
            epath = f"{path}.{key}" if path else key
            if tag & 0xFFFF == 0 and elem.vr == "UL":
                out += self.header(tag, "UL", 4)
                group_lengths.append((group, len(out)))
                out += b"\0\0\0\0"
                continue
            try:
                self.element(out, tag, elem, encodings, epath)
            except (ModelError, InputError):
                raise
            except (struct.error, OverflowError, ValueError, UnicodeError) as exc:
                raise ModelError(f"{where(epath)}: cannot encode {elem.vr} value: {exc}") from None
        for group, offset in group_lengths:
            end = next((group_start[g] for g in sorted(group_start) if g > group), len(out))
            out[offset : offset + 4] = struct.pack(self.order + "L", end - offset - 4)
        return out

    def header(self, tag: int, vr: str, length: int) -> bytes:
        o = self.order
        if self.implicit:
            return struct.pack(o + "HHL", tag >> 16, tag & 0xFFFF, length)
        if vr in LONG_LENGTH:
            return struct.pack(o + "HH2sHL", tag >> 16, tag & 0xFFFF, vr.encode(), 0, length)
        return struct.pack(o + "HH2sH", tag >> 16, tag & 0xFFFF, vr.encode(), length)

    def _item_header(self, tag: int, length: int) -> bytes:
        return struct.pack(self.order + "HHL", tag >> 16, tag & 0xFFFF, length)

    def element(
        self, out: bytearray, tag: int, elem: Element, encodings: list[str], path: str
    ) -> None:
        vr = elem.vr
        if vr == "SQ":
            items = [
                self.dataset(item, encodings, f"{path}.{n}")
                for n, item in enumerate(elem.value or [])
            ]
            if self.implicit and vr_of(tag) != "SQ":
                # Only an undefined length tells a reader that an unknown implicit-VR element
                # is a sequence (PS3.5 7.5.1).
                out += self.header(tag, "SQ", UNDEFINED_LENGTH)
                for item in items:
                    out += self._item_header(ITEM, UNDEFINED_LENGTH)
                    out += item
                    out += self._item_header(ITEM_END, 0)
                out += self._item_header(SEQUENCE_END, 0)
                return
            # Defined lengths elsewhere: readers then parse the items after the whole data set,
            # knowing its Specific Character Set even when the sequence precedes (0008,0005).
            out += self.header(tag, "SQ", sum(len(item) + 8 for item in items))
            for item in items:
                out += self._item_header(ITEM, len(item))
                out += item
            return
        data = self.value(vr, elem.value, encodings, path)
        if len(data) % 2:
            data += padding(vr)
        if (
            tag == PIXEL_DATA
            and self.syntax.encapsulated
            and vr in ("OB", "OW")
            and is_encapsulated(data, self.order)
        ):
            out += self.header(tag, vr, UNDEFINED_LENGTH)
            out += data
            out += self._item_header(SEQUENCE_END, 0)
            return
        if not self.implicit and vr not in LONG_LENGTH and len(data) > 0xFFFE:
            vr = "UN"  # too long for a 16-bit length field: the only lossless choice
        out += self.header(tag, vr, len(data))
        out += data

    def value(self, vr: str, value: Any, encodings: list[str], path: str) -> bytes:
        if value is None:
            return b""
        if vr in BINARY:
            if not self.syntax.little_endian and vr in WORD_SIZES:
                return swap_bytes(value, WORD_SIZES[vr])
            return value
        if vr in NUMBER_FORMATS:
            code = NUMBER_FORMATS[vr]
            numbers = [_to_float(v) if code in "fd" else _to_int(v) for v in value]
            return struct.pack(f"{self.order}{len(numbers)}{code}", *numbers)
        if vr == "AT":
            words = []
            for v in value:
                words += [int(v[:4], 16), int(v[4:], 16)]
            return struct.pack(f"{self.order}{len(words)}H", *words)
        if vr in NUMBER_STRINGS:
            texts = [_number_string(vr, v) for v in value]
            return "\\".join(texts).encode("latin-1")
        if vr == "PN":
            return b"\\".join(self.person_name(v, encodings, path) for v in value)
        if vr in SINGLE_VALUED and len(value) > 1:
            raise ModelError(f"{where(path)}: VR {vr} holds one value, got {len(value)}")
        parts = []
        for v in value:
            v = v or ""
            if "\\" in v and vr not in SINGLE_VALUED:
                raise ModelError(
                    f"{where(path)}: {vr} value {short(v)} contains a backslash, the DICOM "
                    "value delimiter"
                )
            parts.append(self.text(v, vr, encodings, path))
        return b"\\".join(parts)

    def text(self, value: str, vr: str, encodings: list[str], path: str) -> bytes:
        if value.isascii():
            return value.encode("ascii")
        if vr not in CHARSET_TEXT:
            try:
                return value.encode("latin-1")  # read back as Latin-1, like pydicom does
            except UnicodeEncodeError:
                raise ModelError(
                    f"{where(path)}: {vr} value {short(value)} is not in the default "
                    "character repertoire"
                ) from None
        from pydicom.charset import encode_string

        with warnings.catch_warnings():
            warnings.simplefilter("error")  # pydicom warns, then replaces: we refuse instead
            try:
                return encode_string(value, encodings)
            except (UnicodeError, UserWarning, ValueError, LookupError):
                raise ModelError(
                    f"{where(path)}: {short(value)} cannot be encoded with the Specific "
                    f"Character Set ({', '.join(encodings)})"
                ) from None

    def person_name(self, value: Any, encodings: list[str], path: str) -> bytes:
        if value is None:
            return b""
        if isinstance(value, str):
            groups = value.split("=")
        else:
            groups = [value.get(name) or "" for name in PN_GROUPS]
        while groups and not groups[-1]:
            groups.pop()
        encoded = []
        for group in groups:
            if "\\" in group:
                raise ModelError(f"{where(path)}: person name {short(group)} has a backslash")
            parts = [self.text(p, "PN", encodings, path) for p in group.split("^")]
            encoded.append(b"^".join(parts))
        return b"=".join(encoded)


def _to_int(v: str) -> int:
    try:
        return int(v)
    except ValueError:
        f = float(v)
        if not f.is_integer():
            raise ValueError(f"{v} is not an integer") from None
        return int(f)


def _to_float(v: str) -> float:
    return float(v)  # also takes "NaN", "Infinity" and "-Infinity"


def _number_string(vr: str, v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, JsonNumber) and vr == "DS" and len(v) > 16:
        from decimal import Decimal

        from pydicom.valuerep import format_number_as_ds

        return format_number_as_ds(Decimal(v))  # the shortest form that fits DS's 16 bytes
    if "\\" in v:
        raise ValueError(f"{vr} value {v!r} contains a backslash, the value delimiter")
    return str(v)


def is_encapsulated(data: bytes, order: str = "<") -> bool:
    """Whether ``data`` is a run of items (FFFE,E000) filling it exactly: encapsulated pixels."""
    pos, end = 0, len(data)
    fmt = order + "HHL"
    if end < 8:
        return False
    while pos < end:
        if pos + 8 > end:
            return False
        group, elem, length = struct.unpack_from(fmt, data, pos)
        if (group, elem) != (0xFFFE, 0xE000) or length == UNDEFINED_LENGTH:
            return False
        pos += 8 + length
    return pos == end
