"""Specific Character Set (0008,0005) defined terms (PS3.3 C.12.1.1.2) and their Python codecs.

The table is pydicom's ``python_encoding`` (the same codec names, so text decodes and messages
read the same either way). ``python_codecs`` answers for the common case, one defined term,
without importing pydicom; code extensions (several terms), misspelt terms and unknown ones
return None, and the caller asks pydicom's ``convert_encodings``, which handles them.
"""

from __future__ import annotations

# Bytes after which ISO 2022 decoding returns to the initial code element (PS3.5 6.1.2.5.3):
# control characters and the value delimiter in text, plus the component delimiters in PN.
TEXT_DELIMITERS = frozenset((0x0D, 0x0A, 0x09, 0x0C, 0x5C))
PN_DELIMITERS = frozenset((0x5E, 0x3D, 0x5C))

DEFAULT = "iso8859"  # the default repertoire, decoded as Latin-1 (as pydicom does)

CODECS: dict[str, str] = {
    "": DEFAULT,
    "ISO_IR 6": DEFAULT,
    "ISO_IR 13": "shift_jis",
    "ISO_IR 100": "latin_1",
    "ISO_IR 101": "iso8859_2",
    "ISO_IR 109": "iso8859_3",
    "ISO_IR 110": "iso8859_4",
    "ISO_IR 126": "iso_ir_126",
    "ISO_IR 127": "iso_ir_127",
    "ISO_IR 138": "iso_ir_138",
    "ISO_IR 144": "iso_ir_144",
    "ISO_IR 148": "iso_ir_148",
    "ISO_IR 166": "iso_ir_166",
    "ISO 2022 IR 6": DEFAULT,
    "ISO 2022 IR 13": "shift_jis",
    "ISO 2022 IR 87": "iso2022_jp",
    "ISO 2022 IR 100": "latin_1",
    "ISO 2022 IR 101": "iso8859_2",
    "ISO 2022 IR 109": "iso8859_3",
    "ISO 2022 IR 110": "iso8859_4",
    "ISO 2022 IR 126": "iso_ir_126",
    "ISO 2022 IR 127": "iso_ir_127",
    "ISO 2022 IR 138": "iso_ir_138",
    "ISO 2022 IR 144": "iso_ir_144",
    "ISO 2022 IR 148": "iso_ir_148",
    "ISO 2022 IR 149": "euc_kr",
    "ISO 2022 IR 159": "iso2022_jp_2",
    "ISO 2022 IR 166": "iso_ir_166",
    "ISO 2022 IR 58": "iso_ir_58",
    "ISO_IR 192": "UTF8",
    "GB18030": "GB18030",
    "ISO 2022 GBK": "GBK",
    "ISO 2022 58": "GB2312",
    "GBK": "GBK",
}


def python_codecs(values: list[str]) -> list[str] | None:
    """The Python codecs of a Specific Character Set with one defined term (or none), else
    None: several terms or an unknown spelling need pydicom's ``convert_encodings``."""
    if not values:
        return [DEFAULT]
    if len(values) == 1 and values[0] in CODECS:
        return [CODECS[values[0]]]
    return None
