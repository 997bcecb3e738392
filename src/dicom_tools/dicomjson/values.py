"""Value conventions the encoder and the decoder share: numbers, person name groups, charsets."""

from __future__ import annotations

import math
import re
import struct
import warnings
from array import array
from collections.abc import Callable

from dicom_tools.dicom.charsets import python_codecs

PN_GROUPS = ("Alphabetic", "Ideographic", "Phonetic")
TAG_KEY = re.compile(r"[0-9A-Fa-f]{8}\Z")

_JSON_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?\Z")
_DICOM_NUMBER = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\Z")


def number_text(s: str) -> str | None:
    """The JSON number literal for a DS/IS string (its own digits if possible), else None."""
    if _JSON_NUMBER.match(s):
        return s
    if _DICOM_NUMBER.match(s):
        from decimal import Decimal

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


def float_json(x: float, single: bool) -> str:
    """FL (``single``) or FD as JSON: shortest round-trip digits; NaN/infinities as strings."""
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
    """Python codecs for a Specific Character Set value (unknown terms fall back to Latin-1).

    One defined term is looked up in the base table; code extensions and misspellings go to
    pydicom's ``convert_encodings`` (imported only then), which also explains what it fixed.
    """
    codecs = python_codecs(values)
    if codecs is not None:
        return codecs
    from pydicom.charset import convert_encodings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        encodings = convert_encodings(values or [""])
    if warn is not None:
        for w in caught:
            warn(f"Specific Character Set {values!r}: {w.message}")
    return encodings
