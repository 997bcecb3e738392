"""The DICOM JSON Model (PS3.18 Annex F): a pydicom data set to JSON text, and JSON back to a file.

What the JSON holds
-------------------
* One JSON object per data set; keys are tags as 8 uppercase hex digits, in ascending order;
  each value is ``{"vr": VR}`` plus, when the attribute has a value, one of ``"Value"`` (a list),
  ``"InlineBinary"`` (base64) or ``"BulkDataURI"``. An empty attribute has no value member; an
  empty component of a multi-valued attribute is ``null``.
* Group Length attributes (gggg,0000) are left out: they describe the binary encoding, not the
  data, and the Native DICOM Model that the JSON model follows excludes them (PS3.19 A.1.1);
  dcm2json leaves them out too. ``from-json`` writes (0002,0000) itself and recomputes any
  group length found in its input.
* The file meta information (group 0002) is carried as ordinary group-0002 attributes at the top
  of the same object (dcm2json only writes it with ``+m``), so that ``from-json`` restores the
  transfer syntax. A file without meta information gives JSON without group 0002; nothing is
  invented. The 128-byte preamble is not carried (``from-json`` writes zeros).
* PN values are ``{"Alphabetic", "Ideographic", "Phonetic"}`` objects holding the non-empty
  component groups. IS, DS and the binary numbers (US SS UL SL UV SV FL FD) are JSON numbers;
  AT values are 8-hex-digit strings; OB OD OF OL OV OW UN are base64 ``InlineBinary`` (or
  ``BulkDataURI``), always in little-endian byte order, also when read from a big-endian file.
* Text is decoded with the data set's Specific Character Set (inherited by sequence items that
  have none; ISO 2022 code extensions, UTF-8, GB18030, ...) and written as UTF-8 JSON. Bytes
  that are invalid in that character set are replaced by U+FFFD and reported as a warning: the
  JSON model has no way to carry them. A whole value is decoded before it is split at
  backslashes, so a multi-byte character holding the byte 0x5C is not cut (PS3.18 F.2.4).
  (0008,0005) keeps the file's value (dcm2json rewrites it to ISO_IR 192): ``from-json`` then
  encodes the text with the original character set again. AE, AS, CS, DA, DT, TM, UI and UR are
  read as Latin-1 (default repertoire), as pydicom does.

Decisions where PS3.18 leaves room
----------------------------------
* DS and IS numbers keep the file's own digits: ``"1.50"`` is written as the JSON number
  ``1.50``, not re-formatted through a float, so nothing is lost and ``from-json`` writes the same
  string back. A value that is a number but not in JSON number syntax (``+1``, ``.5``, ``1.``,
  ``007``) is normalised (``1``, ``0.5``, ``1``, ``7``). A value that is not a number at all
  (``1A``, ``NaN``) is kept as a JSON *string* rather than dropped; ``from-json`` accepts
  strings for DS/IS and writes them verbatim.
* FL values are written with the fewest digits that give back the same 32-bit float, FD values
  with Python's shortest round-trip form. NaN and infinities, which JSON numbers cannot hold,
  are the strings ``"NaN"``, ``"Infinity"`` and ``"-Infinity"``.
* Trailing spaces (and NULs) of each value are padding and are dropped, as are the leading
  spaces of DS/IS; other leading spaces are kept (they are significant for LT, ST and UT).
  LT, ST, UT and UR are single-valued: a backslash in them is text, not a delimiter. A person
  name keeps empty trailing components as stored (``"OB^^^^"``; dcmtk writes ``"OB"``).
* VRs come from the file in explicit-VR files (an explicit ``UN`` stays ``UN``, as dcmtk keeps
  it); in implicit-VR files from the DICOM and private dictionaries (unknown private tags are
  ``UN``), with the ambiguous ones resolved as PS3.5 says (``US or SS`` from the nearest Pixel
  Representation, ``OB or OW`` is OW in implicit VR). A UN value with undefined length is a
  sequence (PS3.5 6.2.2) and is written as SQ.
* Encapsulated pixel data is ``InlineBinary`` of the encapsulated bytes as stored (item tags,
  offset table and fragments, without the sequence delimiter); ``from-json`` writes them back
  with undefined length when the transfer syntax is an encapsulated one.
* Binary numbers whose length is not a multiple of their size cannot be numbers: they are
  written as ``UN`` InlineBinary with a warning, so no byte is lost.
* With a bulk data threshold, binary values (OB OD OF OL OV OW UN) longer than it go to files
  ``<tag path>.bin`` (e.g. ``00880200.0.7FE00010.bin``), little-endian like InlineBinary.
  ``BulkDataURI`` values we write are relative URI references (percent-encoded POSIX paths, no
  scheme), relative to the folder of the JSON file. ``from-json`` resolves a relative reference
  or a ``file:`` URI against that folder and refuses remote schemes and any path that leaves it.
* Known limitation: pydicom decodes (0008,0005) while reading, so an explicit ``UN`` on that one
  element becomes ``CS``.

``from-json`` accepts our JSON, dcm2json's and DICOMweb metadata (an array holding exactly one
data set; more than one is refused rather than silently dropping data). It is strict: unknown
members, duplicate keys, values of the wrong JSON type, a backslash inside a value of a
multi-valued VR and text the Specific Character Set cannot encode are errors, not guesses. The
transfer syntax is (0002,0010); without it, Explicit VR Little Endian. Missing required meta
elements are generated (Media Storage SOP Class/Instance UID from the data set, our
Implementation Class UID). DS numbers longer than 16 characters (another producer's floats) are
re-formatted to fit; odd-length values are padded to even length (PS3.5 7.1.1). Sequences and
items are written with defined lengths, except where a reader could not tell a sequence
otherwise: in implicit VR a sequence unknown to the DICOM dictionary (private) gets undefined
length, which readers (dcmtk, pydicom) parse as a sequence.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
import struct
import warnings
import zlib
from array import array
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from json.encoder import encode_basestring  # the C implementation when available
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, unquote, urlsplit

from dicom_tools import __version__
from dicom_tools.errors import InputError

if TYPE_CHECKING:
    from pydicom import Dataset

# fmt: off
VRS = frozenset([
    "AE", "AS", "AT", "CS", "DA", "DS", "DT", "FD", "FL", "IS", "LO", "LT", "OB", "OD", "OF", "OL",
    "OV", "OW", "PN", "SH", "SL", "SQ", "SS", "ST", "SV", "TM", "UC", "UI", "UL", "UN", "UR", "US",
    "UT", "UV",
])
# fmt: on
BINARY_VRS = frozenset(["OB", "OD", "OF", "OL", "OV", "OW", "UN"])
NUMBER_FORMATS = {"US": "H", "SS": "h", "UL": "L", "SL": "l", "UV": "Q", "SV": "q"}
NUMBER_FORMATS.update({"FL": "f", "FD": "d"})
_SIZES = {vr: struct.calcsize("<" + code) for vr, code in NUMBER_FORMATS.items()}
_SWAP_SIZE = {"OW": 2, "OF": 4, "OL": 4, "OD": 8, "OV": 8}  # word size for byte swapping
TEXT_VRS = frozenset(["SH", "LO", "ST", "LT", "UC", "UT"])  # use the Specific Character Set
SINGLE_VALUED_VRS = frozenset(["LT", "ST", "UT", "UR"])  # a backslash is text, not a delimiter
_LONG_LENGTH_VRS = frozenset(
    ["OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV"]
)
_PN_GROUPS = ("Alphabetic", "Ideographic", "Phonetic")

# Escape sequences of ISO 2022 reset at these characters (PS3.5 6.1.2.5.3); the value delimiter
# is included because we decode a whole multi-valued value at once, then split it.
_TEXT_DELIMS = {0x0D, 0x0A, 0x09, 0x0C, 0x5C}
_PN_DELIMS = {0x5E, 0x3D, 0x5C}

IMPLICIT_LE = "1.2.840.10008.1.2"
EXPLICIT_LE = "1.2.840.10008.1.2.1"
DEFLATED_LE = "1.2.840.10008.1.2.1.99"
EXPLICIT_BE = "1.2.840.10008.1.2.2"

# Written into generated file meta information (a UUID-derived UID, PS3.5 B.2).
IMPLEMENTATION_CLASS_UID = "2.25.38385214002927055243139204167892016491"
IMPLEMENTATION_VERSION_NAME = f"DICOMTOOLS_{__version__}"[:16]

_JSON_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?\Z")
_DICOM_NUMBER = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\Z")
_TAG_KEY = re.compile(r"[0-9A-Fa-f]{8}\Z")

_UNDEFINED = 0xFFFFFFFF


def tag_str(tag: int) -> str:
    return f"({tag >> 16:04X},{tag & 0xFFFF:04X})"


def number_text(s: str) -> str | None:
    """The JSON number literal for a DS/IS string (its own digits if possible), else None."""
    if _JSON_NUMBER.match(s):
        return s
    if _DICOM_NUMBER.match(s):
        text = str(Decimal(s))  # "+.5" -> "0.5", "1." -> "1", "1e5" -> "1E+5"
        if _JSON_NUMBER.match(text):
            return text
    return None


def _float32_text(x: float) -> str:
    """The shortest decimal that reads back as the same 32-bit float."""
    for digits in (6, 7, 8):
        s = f"{x:.{digits}g}"
        if struct.unpack("<f", struct.pack("<f", float(s)))[0] == x:
            return s
    return f"{x:.9g}"


def _float_json(x: float, single: bool) -> str:
    if math.isnan(x):
        return '"NaN"'
    if math.isinf(x):
        return '"Infinity"' if x > 0 else '"-Infinity"'
    return _float32_text(x) if single else repr(x)


def swap_bytes(data: bytes, size: int) -> bytes:
    """Reverse the byte order of each ``size``-byte word (a trailing partial word is kept)."""
    end = len(data) - len(data) % size
    words = array({2: "H", 4: "I", 8: "Q"}[size])
    words.frombytes(data[:end])
    words.byteswap()
    return words.tobytes() + data[end:]


def charset_encodings(values: list[str], warn: Callable[[str], None] | None = None) -> list[str]:
    """Python codecs for a Specific Character Set value (unknown terms fall back to Latin-1)."""
    from pydicom.charset import convert_encodings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        encodings = convert_encodings(values or [""])
    if warn is not None:
        for w in caught:
            warn(f"Specific Character Set {values!r}: {w.message}")
    return encodings


# --------------------------------------------------------------------------------------------
# DICOM -> JSON
# --------------------------------------------------------------------------------------------


@dataclass
class BulkSink:
    """Collects values longer than ``threshold`` bytes; they become files in ``folder``.

    URIs are relative to ``base`` (the JSON file's folder). Nothing is written here: the caller
    writes ``files`` once the whole conversion has succeeded.
    """

    threshold: int
    folder: Path
    base: Path
    files: dict[Path, bytes] = field(default_factory=dict)

    def add(self, path: str, data: bytes) -> str:
        target = self.folder / f"{path}.bin"
        self.files[target] = data
        rel = target.resolve().relative_to(self.base.resolve())
        return quote(rel.as_posix(), safe="/")


@dataclass
class JsonText:
    text: str
    elements: int
    warnings: list[str]


class _ToJson:
    def __init__(self, bulk: BulkSink | None) -> None:
        self.out: list[str] = []
        self.elements = 0
        self.warnings: list[str] = []
        self.bulk = bulk

    def warn(self, message: str) -> None:
        if len(self.warnings) < 100:
            self.warnings.append(message)

    # -- data sets ---------------------------------------------------------------------------

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
        if 0x00080005 in ds:
            encodings = self._charset(ds.get_item(0x00080005))
        ancestors = [ds, *ancestors]
        inner = indent + "  "
        out.append("{\n")
        first = True
        for tag, elem in elems:
            if not tag & 0xFFFF:
                continue  # group lengths are encoding, not content (PS3.19 A.1.1, as dcm2json)
            if tag >> 16 == 0xFFFE:  # a stray item or delimiter: not an attribute
                self.warn(f"{tag_str(tag)}: item/delimiter tag inside a data set, skipped")
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
            raw = elem.value or b""
            values = [v.strip(" \0") for v in raw.decode("latin-1").split("\\")]
        else:
            value = elem.value
            if isinstance(value, str | bytes) or value is None:
                value = [value]
            values = [str(v or "").strip(" \0") for v in value]
        return charset_encodings(values, self.warn)

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
        out = self.out
        if getattr(elem, "is_raw", False):
            vr = elem.VR
            if vr is None:  # implicit VR: from the dictionaries
                vr = _implicit_vr(tag, ds)
            if " or " in vr:
                if elem.length == _UNDEFINED:
                    vr = "OB"  # encapsulated pixel data (PS3.5 A.4)
                else:
                    vr = _resolve_ambiguous(vr, tag, elem.value, ancestors)
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
                vr = _resolve_ambiguous(vr, tag, None, ancestors)
            converted = _converted(elem, vr)
            if isinstance(converted, str):
                body = self.strings(vr, converted, path)
            else:
                vr, body = self.value(vr, converted, True, encodings, path)
        if body is None:
            out.append(f'{{"vr": "{vr}"}}')
        else:
            out.append(f'{{"vr": "{vr}", {body}}}')

    def sequence(
        self, seq: Any, encodings: list[str], ancestors: list[Dataset], indent: str, path: str
    ) -> None:
        out = self.out
        if not seq:
            out.append('{"vr": "SQ"}')
            return
        out.append('{"vr": "SQ", "Value": [\n')
        inner = indent + "  "
        for n, item in enumerate(seq):
            if n:
                out.append(",\n")
            out.append(inner)
            self.dataset(item, encodings, ancestors, inner, f"{path}.{n}")
        out.append(f"\n{indent}]}}")

    # -- values ------------------------------------------------------------------------------

    def value(
        self, vr: str, data: bytes | None, little: bool, encodings: list[str], path: str
    ) -> tuple[str, str | None]:
        """The VR and the JSON value member (``"Value": [...]`` etc.), None if empty."""
        if not data:
            return vr, None
        if vr in BINARY_VRS:
            if not little and vr in _SWAP_SIZE:
                data = swap_bytes(data, _SWAP_SIZE[vr])
            if self.bulk is not None and len(data) > self.bulk.threshold:
                return vr, '"BulkDataURI": ' + encode_basestring(self.bulk.add(path, data))
            return vr, '"InlineBinary": "' + base64.b64encode(data).decode("ascii") + '"'
        if vr in NUMBER_FORMATS:
            size = _SIZES[vr]
            if len(data) % size:
                self.warn(f"{path}: {vr} value of {len(data)} bytes, written as UN")
                return self.value("UN", data, True, encodings, path)
            fmt = ("<" if little else ">") + f"{len(data) // size}{NUMBER_FORMATS[vr]}"
            numbers = struct.unpack(fmt, data)
            if vr in ("FL", "FD"):
                single = vr == "FL"
                texts = [_float_json(x, single) for x in numbers]
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
            return vr, self.person_names(self.decode(data, encodings, _PN_DELIMS, path))
        if vr in TEXT_VRS:
            text = self.decode(data, encodings, _TEXT_DELIMS, path)
        else:
            text = data.decode("latin-1")  # default repertoire VRs (and DS/IS), as pydicom does
        return vr, self.strings(vr, text, path)

    def strings(self, vr: str, text: str, path: str) -> str | None:
        """The value member of a string VR (DS and IS included) from its decoded text."""
        if vr == "PN":
            return self.person_names(text)
        parts = [text] if vr in SINGLE_VALUED_VRS else text.split("\\")
        if vr in ("DS", "IS"):
            parts = [p.strip(" \0") for p in parts]
        else:
            parts = [p.rstrip(" \0") for p in parts]
        if len(parts) == 1 and not parts[0]:
            return None
        if vr not in ("DS", "IS"):
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
                for name, g in zip(_PN_GROUPS, groups, strict=False)
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
        from pydicom.charset import decode_bytes

        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            text = decode_bytes(data, encodings, delims)
        if caught:
            self.warn(f"{path}: {caught[0].message}")
        return text


def _implicit_vr(tag: int, ds: Dataset) -> str:
    """The VR of an implicit-VR element: the DICOM dictionary, then the private one."""
    from pydicom.datadict import dictionary_VR, private_dictionary_VR

    try:
        return dictionary_VR(tag)
    except KeyError:
        pass
    group, elem = tag >> 16, tag & 0xFFFF
    if group % 2:
        if 0x0010 <= elem <= 0x00FF:
            return "LO"  # private creator
        creator_elem = ds.get_item((group << 16) | (elem >> 8)) if elem >> 8 else None
        if creator_elem is not None and creator_elem.value:
            value = creator_elem.value
            creator = value.decode("latin-1") if isinstance(value, bytes) else str(value)
            try:
                return private_dictionary_VR(tag, creator.strip(" \0"))
            except KeyError:
                pass
        return "UN"
    return "UL" if elem == 0 else "UN"


def _resolve_ambiguous(vr: str, tag: int, data: bytes | None, ancestors: list[Dataset]) -> str:
    """Resolve a dictionary VR such as ``US or SS`` for an implicit-VR element (PS3.5)."""
    if vr == "US or SS":
        for ds in ancestors:
            if 0x00280103 in ds:
                elem = ds.get_item(0x00280103)
                value = elem.value
                if isinstance(value, bytes):
                    order = "<" if elem.is_little_endian else ">"
                    rep = struct.unpack(order + "H", value[:2])[0] if len(value) >= 2 else 0
                else:
                    rep = int(value or 0)
                return "SS" if rep == 1 else "US"
        return "US"
    if vr == "US or OW":  # LUT Data: US only for a single entry
        return "US" if data is not None and len(data) == 2 else "OW"
    return "OW"  # "OB or OW" and "US or SS or OW": implicit VR is always OW


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
        elif vr in ("DS", "IS"):
            texts.append(getattr(v, "original_string", None) or str(v))
        else:
            texts.append(str(v))
    return "\\".join(texts)


def dataset_to_json(ds: Dataset, bulk: BulkSink | None = None) -> JsonText:
    """The JSON text of ``ds`` (its file meta information included)."""
    conv = _ToJson(bulk)
    meta = getattr(ds, "file_meta", None)
    conv.dataset(ds, ["iso8859"], [], "", "", meta=meta if meta else None)
    conv.out.append("\n")
    return JsonText("".join(conv.out), conv.elements, conv.warnings)


# --------------------------------------------------------------------------------------------
# JSON -> DICOM
# --------------------------------------------------------------------------------------------


class JsonNumber(str):
    """A JSON number, kept as its literal text (so DS "1.50" stays "1.50")."""


_CONSTANTS = {"NaN": "NaN", "Infinity": "Infinity", "-Infinity": "-Infinity"}


class ModelError(Exception):
    """A problem with the JSON model; the op turns it into an InputError naming the file."""


def _unique_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        keys = [k for k, _ in pairs]
        dup = next(k for k in keys if keys.count(k) > 1)
        raise ModelError(f"key {dup!r} appears twice in one object")
    return obj


def parse_json(text: str) -> Any:
    """Parse JSON keeping number literals (``JsonNumber``) and refusing duplicate keys."""
    return json.loads(
        text,
        parse_float=JsonNumber,
        parse_int=JsonNumber,
        parse_constant=lambda c: JsonNumber(_CONSTANTS[c]),
        object_pairs_hook=_unique_object,
    )


@dataclass
class Element:
    vr: str
    value: Any  # None, bytes (binary VRs), list of str/None/dict, or list of items


Model = dict[int, Element]


def _where(path: str) -> str:
    return f"element {path}" if path else "data set"


def model_from_json(obj: Any, base_dir: Path) -> tuple[Model, int, str | None]:
    """Validate a parsed DICOM JSON document; returns the model, element count and a note."""
    note = None
    if isinstance(obj, list):  # DICOMweb metadata: an array of data sets
        if len(obj) != 1:
            raise ModelError(
                f"a JSON array of {len(obj)} data sets; from-json converts exactly one "
                "(split the array first)"
                if obj
                else "an empty JSON array, no data set"
            )
        obj = obj[0]
        note = "took the data set from a one-element array (DICOMweb metadata)"
    if not isinstance(obj, dict):
        raise ModelError(f"expected a JSON object of DICOM attributes, got {_kind(obj)}")
    counter = [0]
    model = _dataset_from_json(obj, base_dir, "", counter)
    if not model:
        raise ModelError("an empty object: no DICOM attributes")
    return model, counter[0], note


def _kind(v: Any) -> str:
    if isinstance(v, JsonNumber):
        return "a number"
    if v is None:
        return "null"
    return {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}.get(
        type(v), type(v).__name__
    )


def _dataset_from_json(obj: dict[str, Any], base_dir: Path, path: str, counter: list[int]) -> Model:
    model: Model = {}
    for key, attr in obj.items():
        if not _TAG_KEY.match(key):
            raise ModelError(
                f"{'item ' + path + ': ' if path else ''}key {key!r} is not a tag "
                '(8 hex digits such as "00100010")'
            )
        tag = int(key, 16)
        epath = f"{path}.{key.upper()}" if path else key.upper()
        if tag >> 16 == 0xFFFE:
            raise ModelError(f"{_where(epath)}: item and delimiter tags are not attributes")
        if not isinstance(attr, dict):
            raise ModelError(f'{_where(epath)}: expected an object with "vr", got {_kind(attr)}')
        counter[0] += 1
        model[tag] = _element_from_json(attr, base_dir, epath, counter)
    return model


def _element_from_json(
    attr: dict[str, Any], base_dir: Path, path: str, counter: list[int]
) -> Element:
    vr = attr.get("vr")
    if not isinstance(vr, str) or vr not in VRS:
        raise ModelError(f'{_where(path)}: missing or unknown "vr" {vr!r}')
    members = set(attr) - {"vr"}
    unknown = members - {"Value", "InlineBinary", "BulkDataURI"}
    if unknown:
        raise ModelError(f"{_where(path)}: unknown member {sorted(unknown)[0]!r}")
    if len(members) > 1:
        raise ModelError(f"{_where(path)}: more than one of Value, InlineBinary, BulkDataURI")
    if "InlineBinary" in attr or "BulkDataURI" in attr:
        if vr not in BINARY_VRS:
            raise ModelError(f"{_where(path)}: VR {vr} cannot have InlineBinary/BulkDataURI")
        if "InlineBinary" in attr:
            return Element(vr, _inline_binary(attr["InlineBinary"], path))
        return Element(vr, read_bulk_data(attr["BulkDataURI"], base_dir, path))
    values = attr.get("Value")
    if values is None or values == []:
        return Element(vr, None)
    if not isinstance(values, list):
        raise ModelError(f'{_where(path)}: "Value" must be an array, got {_kind(values)}')
    if vr in BINARY_VRS:
        raise ModelError(f"{_where(path)}: VR {vr} needs InlineBinary or BulkDataURI, not Value")
    if vr == "SQ":
        items = []
        for n, item in enumerate(values):
            if not isinstance(item, dict):
                raise ModelError(f"{_where(path)}: item {n} is {_kind(item)}, not an object")
            items.append(_dataset_from_json(item, base_dir, f"{path}.{n}", counter))
        return Element(vr, items)
    check = _VALUE_CHECKS.get(vr, _check_string)
    for v in values:
        problem = check(v)
        if problem:
            raise ModelError(f"{_where(path)}: bad {vr} value {_short(v)}: {problem}")
    return Element(vr, values)


def _short(v: Any) -> str:
    text = json.dumps(v, ensure_ascii=False) if not isinstance(v, JsonNumber) else str(v)
    return text if len(text) <= 60 else text[:57] + "..."


def _check_string(v: Any) -> str | None:
    if v is None or (isinstance(v, str) and not isinstance(v, JsonNumber)):
        return None
    return f"expected a string or null, got {_kind(v)}"


def _check_number_string(v: Any) -> str | None:  # DS, IS: numbers (or strings we kept)
    if v is None or isinstance(v, str):
        return None
    return f"expected a number, string or null, got {_kind(v)}"


def _check_binary_number(v: Any) -> str | None:
    if isinstance(v, str):  # JsonNumber, or a number written as a string
        try:
            float(v)
            return None
        except ValueError:
            return "not a number"
    return f"expected a number, got {_kind(v)}"


def _check_at(v: Any) -> str | None:
    if isinstance(v, str) and not isinstance(v, JsonNumber) and _TAG_KEY.match(v):
        return None
    return "expected a tag as 8 hex digits"


def _check_pn(v: Any) -> str | None:
    if v is None or (isinstance(v, str) and not isinstance(v, JsonNumber)):
        return None
    if not isinstance(v, dict):
        return f"expected an object with Alphabetic/Ideographic/Phonetic, got {_kind(v)}"
    for key, group in v.items():
        if key not in _PN_GROUPS:
            return f"unknown person name group {key!r}"
        if group is not None and (not isinstance(group, str) or isinstance(group, JsonNumber)):
            return f"group {key} must be a string"
        if group and "=" in group:
            return f"group {key} contains '=', the group delimiter"
    return None


_VALUE_CHECKS: dict[str, Callable[[Any], str | None]] = {
    "DS": _check_number_string,
    "IS": _check_number_string,
    "AT": _check_at,
    "PN": _check_pn,
    **{vr: _check_binary_number for vr in NUMBER_FORMATS},
}


def _inline_binary(value: Any, path: str) -> bytes:
    if not isinstance(value, str) or isinstance(value, JsonNumber):
        raise ModelError(f"{_where(path)}: InlineBinary must be a base64 string")
    if "\n" in value or "\r" in value or " " in value:
        value = "".join(value.split())
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise ModelError(f"{_where(path)}: InlineBinary is not valid base64") from None


def read_bulk_data(uri: Any, base_dir: Path, path: str) -> bytes:
    """The bytes a BulkDataURI names: a file inside ``base_dir`` (relative or ``file:`` URI)."""
    if not isinstance(uri, str) or isinstance(uri, JsonNumber) or not uri:
        raise ModelError(f"{_where(path)}: BulkDataURI must be a non-empty string")
    parts = urlsplit(uri)
    if (parts.scheme and parts.scheme.lower() != "file") or len(parts.scheme) == 1:
        # (a one-letter "scheme" is a Windows drive; refused like any absolute path)
        raise ModelError(
            f"{_where(path)}: BulkDataURI {uri!r}: only files next to the JSON are read, "
            f"not {parts.scheme}: URIs"
        )
    if parts.netloc not in ("", "localhost") or parts.query or parts.fragment:
        raise ModelError(f"{_where(path)}: BulkDataURI {uri!r}: not a local file reference")
    rel = unquote(parts.path)
    base = base_dir.resolve()
    target = (base / rel).resolve()  # an absolute path replaces base, then fails the check
    if not target.is_relative_to(base):
        raise ModelError(
            f"{_where(path)}: BulkDataURI {uri!r} points outside the JSON file's folder"
        )
    try:
        return target.read_bytes()
    except OSError as exc:
        raise ModelError(f"{_where(path)}: BulkDataURI {uri!r}: {exc.strerror or exc}") from None


# -- encoding --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Syntax:
    uid: str
    implicit: bool
    little: bool
    deflated: bool
    encapsulated: bool

    @classmethod
    def of(cls, uid: str) -> Syntax:
        if uid == IMPLICIT_LE:
            return cls(uid, True, True, False, False)
        if uid == EXPLICIT_BE:
            return cls(uid, False, False, False, False)
        if uid == DEFLATED_LE:
            return cls(uid, False, True, True, False)
        # Explicit VR Little Endian, every encapsulated syntax and unknown (private) ones.
        return cls(uid, False, True, False, uid != EXPLICIT_LE)


@dataclass
class BuiltFile:
    data: bytes
    transfer_syntax: str
    generated_meta: list[str]


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
        ts_uid = EXPLICIT_LE
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
    syntax = Syntax.of(ts_uid)
    meta_bytes = _Encoder(Syntax.of(EXPLICIT_LE)).dataset(meta, ["iso8859"])
    body_bytes = _Encoder(syntax).dataset(body, ["iso8859"])
    if syntax.deflated:
        compressor = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
        body_bytes = compressor.compress(body_bytes) + compressor.flush()
    data = b"\0" * 128 + b"DICM" + bytes(meta_bytes) + bytes(body_bytes)
    return BuiltFile(data, ts_uid, generated)


class _Encoder:
    def __init__(self, syntax: Syntax) -> None:
        self.syntax = syntax
        self.order = "<" if syntax.little else ">"

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
            key = f"{tag:08X}"
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
                raise ModelError(f"{_where(epath)}: cannot encode {elem.vr} value: {exc}") from None
        for group, offset in group_lengths:
            end = next((group_start[g] for g in sorted(group_start) if g > group), len(out))
            out[offset : offset + 4] = struct.pack(self.order + "L", end - offset - 4)
        return out

    def header(self, tag: int, vr: str, length: int) -> bytes:
        o = self.order
        if self.syntax.implicit:
            return struct.pack(o + "HHL", tag >> 16, tag & 0xFFFF, length)
        if vr in _LONG_LENGTH_VRS:
            return struct.pack(o + "HH2sHL", tag >> 16, tag & 0xFFFF, vr.encode(), 0, length)
        return struct.pack(o + "HH2sH", tag >> 16, tag & 0xFFFF, vr.encode(), length)

    def element(
        self, out: bytearray, tag: int, elem: Element, encodings: list[str], path: str
    ) -> None:
        vr = elem.vr
        if vr == "SQ":
            o = self.order
            items = [
                self.dataset(item, encodings, f"{path}.{n}")
                for n, item in enumerate(elem.value or [])
            ]
            if self.syntax.implicit and not _is_dictionary_sequence(tag):
                # Only an undefined length tells a reader that an unknown implicit-VR element
                # is a sequence (PS3.5 7.5.1).
                out += self.header(tag, "SQ", _UNDEFINED)
                for item in items:
                    out += struct.pack(o + "HHL", 0xFFFE, 0xE000, _UNDEFINED)
                    out += item
                    out += struct.pack(o + "HHL", 0xFFFE, 0xE00D, 0)
                out += struct.pack(o + "HHL", 0xFFFE, 0xE0DD, 0)
                return
            # Defined lengths elsewhere: readers then parse the items after the whole data set,
            # knowing its Specific Character Set even when the sequence precedes (0008,0005).
            out += self.header(tag, "SQ", sum(len(item) + 8 for item in items))
            for item in items:
                out += struct.pack(o + "HHL", 0xFFFE, 0xE000, len(item))
                out += item
            return
        data = self.value(vr, elem.value, encodings, path)
        if len(data) % 2:
            data += b"\0" if vr in BINARY_VRS or vr == "UI" else b" "
        if (
            tag == 0x7FE00010
            and self.syntax.encapsulated
            and vr in ("OB", "OW")
            and is_encapsulated(data, self.order)
        ):
            out += self.header(tag, vr, _UNDEFINED)
            out += data
            out += struct.pack(self.order + "HHL", 0xFFFE, 0xE0DD, 0)
            return
        if not self.syntax.implicit and vr not in _LONG_LENGTH_VRS and len(data) > 0xFFFE:
            vr = "UN"  # too long for a 16-bit length field: the only lossless choice
        out += self.header(tag, vr, len(data))
        out += data

    def value(self, vr: str, value: Any, encodings: list[str], path: str) -> bytes:
        if value is None:
            return b""
        if vr in BINARY_VRS:
            if not self.syntax.little and vr in _SWAP_SIZE:
                return swap_bytes(value, _SWAP_SIZE[vr])
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
        if vr in ("DS", "IS"):
            texts = [_number_string(vr, v) for v in value]
            return "\\".join(texts).encode("latin-1")
        if vr == "PN":
            return b"\\".join(self.person_name(v, encodings, path) for v in value)
        if vr in SINGLE_VALUED_VRS and len(value) > 1:
            raise ModelError(f"{_where(path)}: VR {vr} holds one value, got {len(value)}")
        parts = []
        for v in value:
            v = v or ""
            if "\\" in v and vr not in SINGLE_VALUED_VRS:
                raise ModelError(
                    f"{_where(path)}: {vr} value {_short(v)} contains a backslash, the DICOM "
                    "value delimiter"
                )
            parts.append(self.text(v, vr, encodings, path))
        return b"\\".join(parts)

    def text(self, value: str, vr: str, encodings: list[str], path: str) -> bytes:
        if value.isascii():
            return value.encode("ascii")
        if vr not in TEXT_VRS and vr != "PN":
            try:
                return value.encode("latin-1")  # read back as Latin-1, like pydicom does
            except UnicodeEncodeError:
                raise ModelError(
                    f"{_where(path)}: {vr} value {_short(value)} is not in the default "
                    "character repertoire"
                ) from None
        from pydicom.charset import encode_string

        with warnings.catch_warnings():
            warnings.simplefilter("error")  # pydicom warns, then replaces: we refuse instead
            try:
                return encode_string(value, encodings)
            except (UnicodeError, UserWarning, ValueError, LookupError):
                raise ModelError(
                    f"{_where(path)}: {_short(value)} cannot be encoded with the Specific "
                    f"Character Set ({', '.join(encodings)})"
                ) from None

    def person_name(self, value: Any, encodings: list[str], path: str) -> bytes:
        if value is None:
            return b""
        if isinstance(value, str):
            groups = value.split("=")
        else:
            groups = [value.get(name) or "" for name in _PN_GROUPS]
        while groups and not groups[-1]:
            groups.pop()
        encoded = []
        for group in groups:
            if "\\" in group:
                raise ModelError(f"{_where(path)}: person name {_short(group)} has a backslash")
            parts = [self.text(p, "PN", encodings, path) for p in group.split("^")]
            encoded.append(b"^".join(parts))
        return b"=".join(encoded)


def _is_dictionary_sequence(tag: int) -> bool:
    from pydicom.datadict import dictionary_VR

    try:
        return dictionary_VR(tag) == "SQ"
    except KeyError:
        return False


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
        if (group, elem) != (0xFFFE, 0xE000) or length == _UNDEFINED:
            return False
        pos += 8 + length
    return pos == end
