"""DICOM to DICOM JSON text: one writer for every value, fed from the bytes of the file.

``file_to_json`` walks the file with the base reader's byte walker and decodes each value from
its bytes by VR: no pydicom, no numpy on this path; files without File Meta Information,
deflated ones (the reader inflates them), sequences in UN and an explicit-UN Specific Character
Set included. Files it does not handle exactly as the pydicom path does (a structural defect, a
repeated tag, group 0002 in the data set, a VR only pydicom's reader infers) give None, and the
caller converts them with ``dataset_to_json`` (``dicomjson.dataset``), which reports broken
files with pydicom's wording as before (on the test corpus and bad inputs, only broken files
still go there, and all of them end in that error).
Both paths write through ``JsonWriter``, so a value reads the same whichever path it took.
"""

from __future__ import annotations

import struct
import warnings

try:  # the C implementation, without importing the json package
    from _json import encode_basestring
except ImportError:  # pragma: no cover
    from json.encoder import encode_basestring

from dicom_tools.dicom.charsets import DEFAULT
from dicom_tools.dicom.dictionary import entry, private_entry
from dicom_tools.dicom.failures import check_parsed
from dicom_tools.dicom.reader import Element, Item, ParsedFile, parse_source
from dicom_tools.dicom.source import Source, as_source
from dicom_tools.dicom.tags import PIXEL_DATA, SPECIFIC_CHARACTER_SET
from dicom_tools.dicom.vr import (
    BINARY,
    CHARSET_TEXT,
    FLOATS,
    NUMBER_FORMATS,
    NUMBER_SIZES,
    NUMBER_STRINGS,
    SINGLE_VALUED,
    VRS,
    WORD_SIZES,
)
from dicom_tools.dicomjson.bulk import BulkSink, inline_binary_text
from dicom_tools.dicomjson.values import (
    PN_GROUPS,
    charset_encodings,
    float_json,
    number_text,
    swap_bytes,
)

# Escape sequences of ISO 2022 reset at these characters (PS3.5 6.1.2.5.3); the value delimiter
# is included because a whole multi-valued value is decoded at once, then split.
TEXT_DELIMS = {0x0D, 0x0A, 0x09, 0x0C, 0x5C}
PN_DELIMS = {0x5E, 0x3D, 0x5C}
PIXEL_REPRESENTATION = 0x00280103

TYPE_CHECKING = False  # to-json loads this module: typing and dataclasses cost start-up
if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path


class JsonText:
    """A conversion's JSON text, its count of elements, its warnings, and the transfer syntax
    as the file meta names it (padding removed)."""

    __slots__ = ("elements", "text", "transfer_syntax", "warnings")

    def __init__(
        self, text: str, elements: int, warnings: list[str], transfer_syntax: str | None = None
    ) -> None:
        self.text = text
        self.elements = elements
        self.warnings = warnings
        self.transfer_syntax = transfer_syntax

    def _fields(self) -> tuple:
        return (self.text, self.elements, self.warnings, self.transfer_syntax)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._fields() == other._fields()  # type: ignore[attr-defined]

    __hash__ = None  # type: ignore[assignment]  # mutable, compared by value

    def __repr__(self) -> str:
        return "JsonText(text={!r}, elements={!r}, warnings={!r}, transfer_syntax={!r})".format(
            *self._fields()
        )


class JsonWriter:
    """Writes elements as DICOM JSON text into ``out``; the sources walk the data sets."""

    def __init__(
        self,
        bulk: BulkSink | None,
        out: list[str] | None = None,
        elements: int = 0,
        warnings: list[str] | None = None,
    ) -> None:
        self.bulk = bulk
        self.out = [] if out is None else out
        self.elements = elements
        self.warnings = [] if warnings is None else warnings

    def warn(self, message: str) -> None:
        if len(self.warnings) < 100:
            self.warnings.append(message)

    def charset(self, values: list[str]) -> list[str]:
        return charset_encodings(values, self.warn)

    def attribute(self, vr: str, body: str | None) -> None:
        if body is None:
            self.out.append(f'{{"vr": "{vr}"}}')
        else:
            self.out.append(f'{{"vr": "{vr}", {body}}}')

    def value(
        self, vr: str, data: bytes | None, little: bool, encodings: list[str], path: str
    ) -> tuple[str, str | None]:
        """The VR and the JSON value member (``"Value": [...]`` etc.), None if empty."""
        if not data:
            return vr, None
        if vr in BINARY:
            if not little and vr in WORD_SIZES:
                data = swap_bytes(data, WORD_SIZES[vr])
            if self.bulk is not None and len(data) > self.bulk.threshold:
                return vr, '"BulkDataURI": ' + encode_basestring(self.bulk.add(path, data))
            return vr, '"InlineBinary": "' + inline_binary_text(data) + '"'
        if vr in NUMBER_FORMATS:
            size = NUMBER_SIZES[vr]
            if len(data) % size:
                self.warn(f"{path}: {vr} value of {len(data)} bytes, written as UN")
                return self.value("UN", data, True, encodings, path)
            fmt = ("<" if little else ">") + f"{len(data) // size}{NUMBER_FORMATS[vr]}"
            numbers = struct.unpack(fmt, data)
            if vr in FLOATS:
                single = vr == "FL"
                texts = [float_json(x, single) for x in numbers]
            else:
                texts = [str(x) for x in numbers]
            return vr, '"Value": [' + ", ".join(texts) + "]"
        if vr == "AT":
            if len(data) % 4:
                self.warn(f"{path}: AT value of {len(data)} bytes, written as UN")
                return self.value("UN", data, True, encodings, path)
            words = struct.unpack(("<" if little else ">") + f"{len(data) // 2}H", data)
            texts = [f'"{words[i]:04X}{words[i + 1]:04X}"' for i in range(0, len(words), 2)]
            return vr, '"Value": [' + ", ".join(texts) + "]"
        if vr == "PN":
            return vr, self.person_names(self.decode(data, encodings, PN_DELIMS, path))
        if vr in CHARSET_TEXT:
            text = self.decode(data, encodings, TEXT_DELIMS, path)
        else:
            text = data.decode("latin-1")  # default repertoire VRs (and DS/IS), as pydicom does
        return vr, self.strings(vr, text, path)

    def strings(self, vr: str, text: str, path: str) -> str | None:
        """The value member of a string VR (DS and IS included) from its decoded text."""
        if vr == "PN":
            return self.person_names(text)
        parts = [text] if vr in SINGLE_VALUED else text.split("\\")
        if vr in NUMBER_STRINGS:
            parts = [p.strip(" \0") for p in parts]
        else:
            parts = [p.rstrip(" \0") for p in parts]
        if len(parts) == 1 and not parts[0]:
            return None
        if vr not in NUMBER_STRINGS:
            return (
                '"Value": [' + ", ".join(encode_basestring(p) if p else "null" for p in parts) + "]"
            )
        texts = []
        for p in parts:
            if not p:
                texts.append("null")
                continue
            num = number_text(p)
            if num is None:
                self.warn(f"{path}: {vr} value {p!r} is not a number, kept as a string")
                texts.append(encode_basestring(p))
            else:
                texts.append(num)
        return '"Value": [' + ", ".join(texts) + "]"

    def person_names(self, text: str) -> str | None:
        names = []
        for value in text.split("\\"):
            groups = value.rstrip(" \0").split("=")
            if len(groups) > 3:  # an "=" too many: keep it inside the last group
                groups = [*groups[:2], "=".join(groups[2:])]
            members = [
                f'"{name}": {encode_basestring(g)}'
                for name, g in zip(PN_GROUPS, groups, strict=False)
                if g
            ]
            names.append("{" + ", ".join(members) + "}" if members else "null")
        if names == ["null"]:
            return None
        return '"Value": [' + ", ".join(names) + "]"

    def decode(self, data: bytes, encodings: list[str], delims: set[int], path: str) -> str:
        if b"\x1b" not in data:
            try:
                return data.decode(encodings[0])
            except UnicodeDecodeError:
                self.warn(f"{path}: bytes invalid in {encodings[0]}, replaced by U+FFFD")
                return data.decode(encodings[0], errors="replace")
        from pydicom.charset import decode_bytes  # ISO 2022 code extensions

        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            text = decode_bytes(data, encodings, delims)
        if caught:
            self.warn(f"{path}: {caught[0].message}")
        return text

    def text(self) -> str:
        return "".join(self.out)

    def sequence(
        self, items: list, encodings: list[str], ancestors: list, indent: str, path: str
    ) -> None:
        """A sequence attribute: its items, each written by the subclass's ``dataset``."""
        out = self.out
        if not items:
            out.append('{"vr": "SQ"}')
            return
        out.append('{"vr": "SQ", "Value": [\n')
        inner = indent + "  "
        for n, item in enumerate(items):
            if n:
                out.append(",\n")
            out.append(inner)
            self.dataset(item, encodings, ancestors, inner, f"{path}.{n}")  # type: ignore[attr-defined]
        out.append(f"\n{indent}]}}")


def charset_values(raw: bytes) -> list[str]:
    """The terms of a stored Specific Character Set value."""
    return [v.strip(" \0") for v in raw.decode("latin-1").split("\\")]


def implicit_vr(tag: int, creator: Callable[[int], str | None]) -> str:
    """The VR of an implicit-VR element: the DICOM dictionary, then the private one.

    ``creator(tag)`` gives the value of the private creator element ``tag``, if present.
    """
    e = entry(tag)
    if e is not None:
        return e.vr
    group, elem = tag >> 16, tag & 0xFFFF
    if group % 2:
        if 0x0010 <= elem <= 0x00FF:
            return "LO"  # private creator
        name = creator((group << 16) | (elem >> 8)) if elem >> 8 else None
        if name:
            p = private_entry(tag, name.strip(" \0"))
            if p is not None:
                return p.vr
        return "UN"
    return "UL" if elem == 0 else "UN"


def resolve_ambiguous(vr: str, data: bytes | None, pixel_representation: Callable[[], int]) -> str:
    """Resolve a dictionary VR such as ``US or SS`` for an implicit-VR element (PS3.5).

    ``pixel_representation()`` is the nearest (0028,0103) value, -1 when there is none.
    """
    if vr == "US or SS":
        return "SS" if pixel_representation() == 1 else "US"
    if vr == "US or OW":  # LUT Data: US only for a single entry
        return "US" if data is not None and len(data) == 2 else "OW"
    return "OW"  # "OB or OW" and "US or SS or OW": implicit VR is always OW


def encode_file(path: Source | Path, bulk: BulkSink | None = None) -> JsonText:
    """The JSON text of the DICOM input ``path`` (a file, or a ``Source`` that may be held in
    memory): from its bytes when the byte walk can, else read with pydicom; raises InputError
    (one line naming the input) for a broken one."""
    from dicom_tools.io import check_input

    src = check_input(as_source(path))
    converted = file_to_json(src, bulk)
    if converted is None:
        if bulk is not None:
            bulk.files.clear()  # the byte path may have collected some before giving up
        from dicom_tools.dicomjson.dataset import file_dataset_to_json

        converted = file_dataset_to_json(src, bulk)
    return converted

    # --------------------------------------------------------------------------------------------
    # From the bytes: the byte walker's tree
    # --------------------------------------------------------------------------------------------


class _Fallback(Exception):
    """Something this path leaves to the pydicom path."""


def file_to_json(path: Source | Path, bulk: BulkSink | None = None) -> JsonText | None:
    """The JSON text of the input ``path`` from its bytes, or None when it needs pydicom;
    raises InputError for a file the reader finds unreadable (``dicom.failures``)."""
    src = as_source(path)
    try:
        parsed = parse_source(src)
    except Exception:  # nothing like DICOM: the pydicom path words the error
        return None
    check_parsed(parsed, src)
    try:
        if parsed.problems or (parsed.meta.elements and not parsed.preamble):
            return None
        writer = _FromBytes(parsed, bulk)
        writer.dataset(parsed.dataset, [DEFAULT], [], "", "", meta=parsed.meta)
        writer.out.append("\n")
    except _Fallback:
        return None
    finally:
        parsed.close()
    return JsonText(writer.text(), writer.elements, writer.warnings, parsed.transfer_syntax)


class _FromBytes(JsonWriter):
    def __init__(self, parsed: ParsedFile, bulk: BulkSink | None) -> None:
        super().__init__(bulk)
        self.parsed = parsed

    def dataset(
        self,
        item: Item,
        encodings: list[str],
        ancestors: list[Item],
        indent: str,
        path: str,
        meta: Item | None = None,
    ) -> None:
        elems = item.elements
        if len(item.by_tag) != len(elems):
            raise _Fallback  # a repeated tag: pydicom keeps the last one
        if meta is not None:
            if any(el.tag >> 16 == 2 for el in elems):
                raise _Fallback  # group 0002 in the data set
            elems = meta.elements + elems
        out = self.out
        if not elems:
            out.append("{}")
            return
        elems = sorted(elems, key=lambda el: el.tag)
        charset = item.by_tag.get(SPECIFIC_CHARACTER_SET)
        if charset is not None:
            encodings = self.charset(charset_values(self.parsed.value(charset)))
        ancestors = [item, *ancestors]
        inner = indent + "  "
        out.append("{\n")
        first = True
        for el in elems:
            tag = el.tag
            if not tag & 0xFFFF:
                continue  # group lengths are encoding, not content (PS3.19 A.1.1, as dcm2json)
            if not first:
                out.append(",\n")
            first = False
            self.elements += 1
            key = f"{tag:08X}"
            epath = f"{path}.{key}" if path else key
            out.append(f'{inner}"{key}": ')
            self.element(el, item, encodings, ancestors, inner, epath)
        out.append(f"\n{indent}}}")

    def element(
        self,
        el: Element,
        item: Item,
        encodings: list[str],
        ancestors: list[Item],
        indent: str,
        path: str,
    ) -> None:
        tag = el.tag
        undefined = el.undefined
        if el.explicit:
            vr = el.vr
            if tag == SPECIFIC_CHARACTER_SET and vr == "UN":
                vr = "CS"  # pydicom decodes it while reading: it becomes CS there
            elif undefined and vr == "UN" and el.items is not None and el.le:
                vr = "SQ"  # a sequence (PS3.5 6.2.2), read as one by the walker and pydicom
            elif undefined and vr not in ("SQ", "OB", "OW"):
                raise _Fallback  # pydicom infers a VR
        elif undefined:
            known = entry(tag)
            if known is not None:
                vr = known.vr
            elif el.items is not None:
                vr = "SQ"  # a private sequence, found by its first item
            else:
                raise _Fallback
        else:
            vr = implicit_vr(tag, lambda t: self._creator(item, t))
        if " or " in vr:
            if undefined:
                vr = "OB"  # encapsulated pixel data (PS3.5 A.4)
            else:
                data = self.parsed.value(el)
                vr = resolve_ambiguous(vr, data, lambda: self._pixel_representation(ancestors))
        if vr == "SQ":
            if el.items is None:
                raise _Fallback
            self.sequence(el.items, encodings, ancestors, indent, path)
            return
        if vr not in VRS:
            self.warn(f"{path}: unknown VR {vr!r}, written as UN")
            vr = "UN"
        if el.fragments is not None:
            if tag != PIXEL_DATA:
                raise _Fallback
            end = el.fragments[-1][0] + el.fragments[-1][1] if el.fragments else el.pos
            data = bytes(self.parsed.buffer[el.pos : end])
        elif undefined:
            raise _Fallback
        elif el.items is not None:  # read as items by the walker, but not a sequence here
            data = bytes(self.parsed.buffer[el.pos : el.pos + el.length])
        else:
            data = self.parsed.value(el)
        self.attribute(*self.value(vr, data, el.le, encodings, path))

    def _creator(self, item: Item, tag: int) -> str | None:
        el = item.by_tag.get(tag)
        return self.parsed.value(el).decode("latin-1") if el is not None else None

    def _pixel_representation(self, ancestors: list[Item]) -> int:
        for item in ancestors:
            el = item.by_tag.get(PIXEL_REPRESENTATION)
            if el is not None:
                data = self.parsed.value(el)
                if len(data) < 2:
                    return 0
                return struct.unpack(("<" if el.le else ">") + "H", data[:2])[0]
        return -1
