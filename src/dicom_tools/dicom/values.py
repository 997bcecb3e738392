"""Element values decoded from their bytes, per VR, without pydicom.

The rules are pydicom's (which info and dump followed until now, and whose values users see):
text in the default repertoire is decoded as ISO 8859-1, padding is removed per VR (AE: both
ends of each value; UI, DS and the other strings: the end of the whole value; LO, SH, UC: the
end of each value; LT, ST, UT: the end, and a backslash is text), DS becomes ``float``, IS
``int``, binary numbers are unpacked in the data set's byte order; one value is a scalar, more
are a list, none is ``None``.

Text in another character set is decoded with the codec its one defined term names
(``charsets``, pydicom's table); ISO 2022 code extensions and several terms go to pydicom's
``decode_bytes``, imported only then. What these rules cannot decode the way pydicom would (a
number of the wrong length, bytes invalid in their
character set, an ambiguous VR) raises ``Undecodable``: the caller decides (today: it asks
pydicom, lazily).
"""

from __future__ import annotations

import struct

from dicom_tools.dicom.charsets import PN_DELIMITERS, TEXT_DELIMITERS, python_codecs
from dicom_tools.dicom.dictionary import entry, private_entry
from dicom_tools.dicom.vr import BINARY_OR_AMBIGUOUS, CHARSET_TEXT, NUMBER_FORMATS, NUMBER_SIZES

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

# Character sets whose text decodes as ISO 8859-1, as pydicom's default does.
DEFAULT_CHARSETS = frozenset(("", "ISO_IR 6", "ISO_IR 100"))
# What a text VR strips (pydicom's convert_* functions).
_STRIP_WHOLE = frozenset(("AS", "CS", "DA", "DT", "TM", "UI"))
_STRIP_EACH = frozenset(("LO", "SH", "UC"))
_SINGLE = frozenset(("LT", "ST", "UT"))
_CHARSET_VRS = CHARSET_TEXT
_BINARY = BINARY_OR_AMBIGUOUS


# The number grammars of DS and IS, checked without ``re`` (start-up time of the header path):
# DS  \s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*   IS  \s*[+-]?\d+\s*
# (\s and \d as ``re`` reads them in text: str.isspace and str.isdecimal characters)


def is_plain_integer(text: str) -> bool:
    """Whether ``text`` is an IS value: optional sign, digits, surrounding spaces."""
    s = text.strip()
    if s[:1] in ("+", "-"):
        s = s[1:]
    return s.isdecimal()


def is_plain_decimal(text: str) -> bool:
    """Whether ``text`` is a DS value: a decimal number, with an optional exponent."""
    s = text.strip()
    if s[:1] in ("+", "-"):
        s = s[1:]
    mantissa, e, exponent = s.replace("E", "e").partition("e")
    if (e and not is_plain_integer(exponent)) or exponent != exponent.strip():
        return False
    whole, dot, fraction = mantissa.partition(".")
    if whole:
        return whole.isdecimal() and (not fraction or fraction.isdecimal())
    return bool(dot) and fraction.isdecimal()


class Undecodable(Exception):
    """A value these rules do not decode the way pydicom does."""


def _one_or_list(values: list[Any]) -> Any:
    return values[0] if len(values) == 1 else values


def decode(vr: str, raw: bytes, little: bool = True, charset: str = "") -> Any:
    """The value of an element of ``vr`` stored as ``raw``: ``None`` when empty, a scalar for
    one value, a list for more. Binary values are left to the caller (returns ``raw``).

    ``charset`` is the Specific Character Set in force (its value, stripped).
    """
    if vr in _BINARY:
        return raw
    if not raw:
        return None
    fmt = NUMBER_FORMATS.get(vr)
    if fmt is not None:
        n, rest = divmod(len(raw), NUMBER_SIZES[vr])
        if rest:
            raise Undecodable(f"{len(raw)} bytes is no whole number of {vr} values")
        return _one_or_list(list(struct.unpack(f"{'<' if little else '>'}{n}{fmt}", raw)))
    if vr == "AT":
        n, rest = divmod(len(raw), 4)
        if rest:
            raise Undecodable(f"{len(raw)} bytes is no whole number of tags")
        words = struct.unpack(f"{'<' if little else '>'}{2 * n}H", raw)
        return _one_or_list([g << 16 | e for g, e in zip(words[::2], words[1::2], strict=True)])
    if vr in _CHARSET_VRS and (b"\x1b" in raw or not raw.isascii()):
        text = _decode_text(raw, charset, vr)
    elif b"\x1b" in raw:
        raise Undecodable("escape sequence in a default repertoire value")
    else:
        text = raw.decode("latin-1")
    if vr == "AE":
        values = [v.strip() for v in text.split("\\")]
    elif vr in _STRIP_WHOLE:
        values = text.rstrip(" \0").split("\\")
    elif vr in _STRIP_EACH:
        values = [v.rstrip("\0 ") for v in text.split("\\")]
    elif vr in _SINGLE:
        values = [text.rstrip("\0 ")]
    elif vr == "UR":
        values = [text.rstrip()]
    elif vr == "PN":
        text = text.rstrip("\0 ")
        # pydicom's PersonName drops empty trailing component groups ("A^B=C^D=").
        values = [v.rstrip("=") for v in text.split("\\")]
    elif vr == "DS":
        values = text.strip().rstrip(" \0").split("\\")
        if all(map(is_plain_decimal, values)):
            return _one_or_list([float(v) for v in values])
        if values == [""]:
            return None
        return _lenient_numbers(values, float, raw, little, charset)
    elif vr == "IS":
        values = text.rstrip(" \0").split("\\")
        if all(map(is_plain_integer, values)):
            return _one_or_list([int(v) for v in values])
        if values == [""]:
            return None
        return _lenient_numbers(values, _integer_string, raw, little, charset)
    else:
        raise Undecodable(f"VR {vr}")
    if values == [""]:
        return None
    return _one_or_list(values)


def _integer_string(text: str) -> int | float:
    """An IS value as pydicom reads one that is not a plain integer: Python's ``int`` (or a
    float that is a whole number, "1.0"), else the float itself ("1.5")."""
    try:
        number: int | float = int(text)
    except ValueError:
        number = int(float(text))
    exact = float(text)
    return number if number == exact else exact


def _lenient_numbers(
    values: list[str], convert: Any, raw: bytes, little: bool, charset: str
) -> Any:
    """DS or IS values that are not all plain numbers, as pydicom reads them: each by Python's
    ``float`` (DS) or ``_integer_string`` (IS), a blank one kept as it is; if one is no number
    at all, the whole value is read as text (SH, pydicom's first retry), as "1A" in badVR.dcm."""
    out = []
    for value in values:
        if not value.strip():
            out.append(value)
            continue
        try:
            out.append(convert(value))
        except ValueError:
            return decode("SH", raw, little, charset)
        except OverflowError:  # "inf" as IS: pydicom's reading fails; not worded here
            raise Undecodable("IS value out of range") from None
    return _one_or_list(out)


def _decode_text(raw: bytes, charset: str, vr: str) -> str:
    """Text in the character set(s) ``charset`` names, decoded as pydicom decodes it: one term
    by its Python codec; code extensions (ISO 2022 escapes, several terms) by pydicom's
    ``decode_bytes``, imported only for them. Bytes invalid in the codec raise Undecodable."""
    terms = [v.strip(" \0") for v in charset.split("\\")] if charset else []
    codecs = python_codecs(terms)
    if codecs is not None and b"\x1b" not in raw:
        try:
            return raw.decode(codecs[0] if charset not in DEFAULT_CHARSETS else "latin-1")
        except (UnicodeDecodeError, LookupError):
            raise Undecodable(f"text invalid in {codecs[0]}") from None
    import warnings

    from pydicom.charset import convert_encodings, decode_bytes

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a value pydicom would warn about: its own path
        try:
            return decode_bytes(
                raw,
                convert_encodings(terms or [""]),
                set(PN_DELIMITERS if vr == "PN" else TEXT_DELIMITERS),
            )
        except (UserWarning, LookupError, UnicodeDecodeError, ValueError):
            raise Undecodable("text pydicom decodes with a warning") from None


def element_vr(tag: int, written: str | None, length: int, creator: str | None = None) -> str:
    """The VR of an element as pydicom resolves it: ``written`` is the VR in the file (None
    for implicit VR); UN is replaced by the dictionary's VR where one is known; a private
    element takes its VR from the private dictionary of ``creator``. May be ambiguous
    (``US or SS``): resolving that needs the data set (Pixel Representation...)."""
    private = tag >> 16 & 1
    if written is not None and written != "UN":
        return written
    if private:
        element = tag & 0xFFFF
        if 0x10 <= element <= 0xFF:
            return "LO"
        if element & 0xFF00 and creator:
            e = private_entry(tag, creator)
            if e is not None:
                return e.vr
        return "UN"
    if written == "UN" and length >= 0xFFFF:
        return "UN"
    e = entry(tag)
    if e is None:
        return "UN"
    return e.vr
