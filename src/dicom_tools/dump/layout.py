"""dcmdump's layout: one line per element, values cut to a width, names as dcmtk prints them.

Shared by the streaming dump over the base reader (``stream``) and the pydicom path kept for
unusual files (``legacy``); nothing here imports pydicom.
"""

from __future__ import annotations

import struct

from dicom_tools.dicom.dictionary import entry, private_entry
from dicom_tools.dicom.tags import UNDEFINED_LENGTH as _UNDEFINED
from dicom_tools.dicom.tags import format_tag_lower
from dicom_tools.dicom.vr import (
    BINARY_OR_AMBIGUOUS,
    FLOATS,
    NUMBER_FORMATS,
    NUMBER_SIZES,
    SINGLE_VALUED,
)

_PAD = 43
FRAGMENT_LINES = 8
_EMPTY = "(no value available)"
_EMPTY_TEXT = (_EMPTY, 0)

# Binary VRs: VM 1 by definition, even when empty (as dcmdump counts).
_BINARY_VRS = BINARY_OR_AMBIGUOUS
_WORD_FORMATS = {"OW": ("H", "{:04x}"), "OL": ("L", "{}"), "OV": ("Q", "{}")}
_FLOAT_FORMATS = {"OF": ("f", "{:.9g}"), "OD": ("d", "{:.17g}")}
_FLOAT_TEXT = {"FL": "{:.9g}".format, "FD": "{:.17g}".format}
# Control characters would break the one-line-per-element layout; dcmdump's +Qn quotes them
# the same way.
_CONTROL = {c: f"&#{c};" for c in (*range(32), 127)}


def _cut(text: str, limit: int | None, more: bool = False) -> str:
    """Cut a text value at ``limit`` characters; ``more``: values were left out already."""
    if limit is None or (len(text) <= limit and not more):
        return text
    return text[:limit] + "..."


def _cut_values(text: str, limit: int | None, more: bool = False) -> str:
    """Cut a list of numbers after the last whole value that fits in ``limit`` characters."""
    if limit is None or (len(text) <= limit and not more):
        return text
    head = text[: limit + 1]
    cut = head.rfind("\\")
    return (head[:cut] if cut > 0 else text[:limit]) + "..."


def _line(indent: str, tag: int, vr: str, text: str, length: int | None, vm: int, name: str) -> str:
    body = f"{vr} {text}"
    if length is None:
        size = "  ?"
    elif length == _UNDEFINED:
        size = "u/l"
    else:
        size = f"{length:>3}"
    return f"{indent}{_tag_text(tag)} {body:<{_PAD}} # {size},{vm:>2} {name}"


_TAG_TEXTS: dict[int, str] = {}


def _tag_text(tag: int) -> str:
    text = _TAG_TEXTS.get(tag)
    if text is None:
        text = format_tag_lower(tag)
        if len(_TAG_TEXTS) < 100_000:
            _TAG_TEXTS[tag] = text
    return text


# dcmdump's keyword column: keywords, or for private tags the private dictionary's name and the
# creator.
_PUBLIC_NAMES: dict[int, str] = {}
_PRIVATE_NAMES: dict[tuple[int, str], str] = {}


def _public_name(tag: int) -> str:
    name = _PUBLIC_NAMES.get(tag)
    if name is None:
        e = entry(tag)
        name = e.keyword if e is not None and e.keyword else "Unknown Tag & Data"
        _PUBLIC_NAMES[tag] = name
    return name


def _private_name(tag: int, creators: dict[tuple[int, int], str]) -> str:
    element = tag & 0xFFFF
    if element == 0:
        return "PrivateGroupLength"
    if element <= 0xFF:
        return "PrivateCreator" if element >= 0x10 else "Private tag data"
    creator = creators.get((tag >> 16, element >> 8))
    if creator is None:
        return "Private tag data"
    key = (tag, creator)
    name = _PRIVATE_NAMES.get(key)
    if name is None:
        e = private_entry(tag, creator)
        name = f"{e.name if e is not None else 'Private tag data'} [{creator}]"
        if len(_PRIVATE_NAMES) < 100_000:
            _PRIVATE_NAMES[key] = name
    return name


def _text(value: bytes | None, vr: str, limit: int | None) -> tuple[str, int] | None:
    """A text value decoded here if it is plain ASCII; None leaves it to pydicom.

    Other bytes depend on the Specific Character Set (and ISO 2022 escapes, themselves ASCII,
    switch character sets), which pydicom decodes.
    """
    if not value:
        return _EMPTY, 0
    if not value.isascii() or b"\x1b" in value:
        return None
    text = value.decode("ascii").rstrip("\0 ")
    if not text:
        return _EMPTY, 0
    # Shown as written, padding aside, like dcmdump (pydicom strips some values' spaces).
    vm = 1 if vr in SINGLE_VALUED else text.count("\\") + 1
    cut = limit is not None and len(text) > limit
    if cut:
        text = text[:limit]
    if not text.isprintable():
        text = text.translate(_CONTROL)
    return (f"[{text}...]" if cut else f"[{text}]"), vm


class Formatter:
    """Formats values for one dump: cut at ``limit`` characters, down to ``max_depth``."""

    def __init__(self, max_depth: int | None, limit: int | None) -> None:
        self.max_depth = max_depth
        self.limit = limit
        self.lines: list[str] = []
        # Formatting a million numbers to show 64 characters is waste: at least 2 characters
        # a value, 3 a byte.
        self.max_values = None if limit is None else limit // 2 + 1
        self.max_bytes = None if limit is None else limit // 2 + 2

    def _numbers(self, value: bytes | None, vr: str, little: bool) -> tuple[str, int] | None:
        code, size = NUMBER_FORMATS[vr], NUMBER_SIZES[vr]
        if not value:
            return _EMPTY, 0
        n, rest = divmod(len(value), size)
        if rest:
            return None  # pydicom decides what an odd length means
        count = n if self.max_values is None else min(n, self.max_values)
        numbers = struct.unpack_from(f"{'<' if little else '>'}{count}{code}", value)
        fmt = _FLOAT_TEXT.get(vr, str) if vr in FLOATS else str
        text = fmt(numbers[0]) if count == 1 else "\\".join(map(fmt, numbers))
        return _cut_values(text, self.limit, count < n), n

    def _tags(self, value: bytes | None, little: bool) -> tuple[str, int] | None:
        if not value:
            return _EMPTY, 0
        n, rest = divmod(len(value), 4)
        if rest:
            return None
        words = struct.unpack(f"{'<' if little else '>'}{2 * n}H", value)
        pairs = zip(words[::2], words[1::2], strict=True)
        text = "\\".join(format_tag_lower(g << 16 | e) for g, e in pairs)
        return _cut_values(text, self.limit), n

    def _bytes(self, vr: str, value: bytes | bytearray | memoryview, endian: str) -> str:
        """Binary values as dcmdump shows them: hex bytes, hex words or floats."""
        n = len(value)
        budget = n if self.max_bytes is None else min(n, self.max_bytes)
        key = vr[:2]
        if key in _WORD_FORMATS:
            code, fmt = _WORD_FORMATS[key]
        elif key in _FLOAT_FORMATS:
            code, fmt = _FLOAT_FORMATS[key]
        else:  # OB, UN and anything unexpected: hex bytes
            return _cut_values(value[:budget].hex("\\"), self.limit, budget < n)
        size = struct.calcsize(code)
        count = min(n // size, budget // 2 + 1)
        words = struct.unpack_from(f"{endian}{count}{code}", value)
        text = "\\".join(map(fmt.format, words))
        return _cut_values(text, self.limit, count * size < n)
