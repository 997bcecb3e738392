"""Value conventions the encoder and the decoder share: numbers, person name groups, charsets."""

from __future__ import annotations

import math
import struct
import warnings

from dicom_tools.dicom.charsets import python_codecs

TYPE_CHECKING = False  # to-json loads this module: typing and re cost start-up
if TYPE_CHECKING:
    from collections.abc import Callable

PN_GROUPS = ("Alphabetic", "Ideographic", "Phonetic")
_HEX_DIGITS = frozenset("0123456789abcdefABCDEF")


def is_tag_key(s: str) -> bool:
    """Whether ``s`` is a tag as the model writes it: eight hex digits (``"0010000D"``)."""
    return len(s) == 8 and all(c in _HEX_DIGITS for c in s)


# The two number grammars, checked without ``re`` (start-up time of to-json):
# JSON (RFC 8259)   -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
# DICOM DS          [+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?


def _digits(s: str) -> bool:
    return s.isascii() and s.isdigit()  # ASCII 0-9 only, at least one


def _split_exponent(s: str) -> tuple[str, bool]:
    """``s`` without a valid exponent, and whether what followed an e/E was one."""
    mantissa, e, exponent = s.replace("E", "e").partition("e")
    if not e:
        return s, True
    if exponent[:1] in ("+", "-"):
        exponent = exponent[1:]
    return mantissa, _digits(exponent)


def is_json_number(s: str) -> bool:
    """Whether ``s`` is a JSON number literal."""
    mantissa, ok = _split_exponent(s[1:] if s[:1] == "-" else s)
    whole, dot, fraction = mantissa.partition(".")
    if not ok or (dot and not _digits(fraction)) or not _digits(whole):
        return False
    return whole == "0" or whole[0] != "0"


def is_dicom_number(s: str) -> bool:
    """Whether ``s`` (no surrounding spaces) is a DS number."""
    mantissa, ok = _split_exponent(s[1:] if s[:1] in ("+", "-") else s)
    whole, dot, fraction = mantissa.partition(".")
    if not ok:
        return False
    if whole:
        return _digits(whole) and (not fraction or _digits(fraction))
    return bool(dot) and _digits(fraction)


def number_text(s: str) -> str | None:
    """The JSON number literal for a DS/IS string (its own digits if possible), else None."""
    if is_json_number(s):
        return s
    if is_dicom_number(s):
        from decimal import Decimal

        text = str(Decimal(s))  # "+.5" -> "0.5", "1." -> "1", "1e5" -> "1E+5"
        if is_json_number(text):
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
    from array import array  # big endian files only (it imports collections.abc)

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
