"""Tags: parsing what users type and formatting what they read, in one place.

Accepted spellings: a keyword (``PatientName``), ``(0010,0010)``, ``0010,0010``, ``00100010``,
``0x00100010`` and ``(0010, 0010)`` with spaces; hex is case-insensitive. Formats: dcmdump's
``(0010,0010)`` (lower case), the standard's ``(0010,0010)`` (upper case) and DICOM JSON's
``00100010``.
"""

from __future__ import annotations

from dicom_tools.errors import UsageError

ITEM = 0xFFFEE000
ITEM_END = 0xFFFEE00D
SEQUENCE_END = 0xFFFEE0DD
PIXEL_DATA = 0x7FE00010
FLOAT_PIXEL_DATA = 0x7FE00008
DOUBLE_FLOAT_PIXEL_DATA = 0x7FE00009
EXTENDED_OFFSET_TABLE = 0x7FE00001
SPECIFIC_CHARACTER_SET = 0x00080005
TRANSFER_SYNTAX_UID = 0x00020010
UNDEFINED_LENGTH = 0xFFFFFFFF

# Compiled on first use (re stays out of the header path's start-up).
_PAIR = r"\(?\s*([0-9A-Fa-f]{4})\s*,\s*([0-9A-Fa-f]{4})\s*\)?\Z"
_HEX = r"(?:0[xX])?([0-9A-Fa-f]{8})\Z"


def parse_tag(text: str) -> int:
    """The tag named by ``text`` (keyword or hex spelling), or raise UsageError."""
    import re

    s = str(text).strip()
    m = re.match(_PAIR, s)
    if m:
        return int(m.group(1), 16) << 16 | int(m.group(2), 16)
    m = re.match(_HEX, s)
    if m:
        return int(m.group(1), 16)
    from dicom_tools.dicom.dictionary import tag_for

    tag = tag_for(s)
    if tag is None:
        raise UsageError(f"unknown tag {text!r}: use a keyword or (gggg,eeee)")
    return tag


def group(tag: int) -> int:
    return tag >> 16


def element(tag: int) -> int:
    return tag & 0xFFFF


def is_private(tag: int) -> bool:
    return bool(tag >> 16 & 1)


def is_private_creator(tag: int) -> bool:
    """(gggg,0010)-(gggg,00FF) in an odd group: the element that reserves a block."""
    return bool(tag >> 16 & 1) and 0x10 <= tag & 0xFFFF <= 0xFF


def private_block(tag: int) -> tuple[int, int]:
    """``(group, block)`` of a private data element: the creator is at (group, 00bb)."""
    return tag >> 16, (tag & 0xFFFF) >> 8


def is_group_length(tag: int) -> bool:
    return tag & 0xFFFF == 0


def format_tag(tag: int) -> str:
    """``(GGGG,EEEE)``, as the standard and error messages write tags."""
    return f"({tag >> 16:04X},{tag & 0xFFFF:04X})"


def format_tag_lower(tag: int) -> str:
    """``(gggg,eeee)``, as dcmdump writes tags."""
    return f"({tag >> 16:04x},{tag & 0xFFFF:04x})"


def tag_hex(tag: int) -> str:
    """``GGGGEEEE``, the DICOM JSON model's key."""
    return f"{tag:08X}"


def tag_label(tag: int) -> str:
    """The keyword of a standard tag, else ``(GGGG,EEEE)``: how messages name an element."""
    from dicom_tools.dicom.dictionary import keyword

    return keyword(tag) or format_tag(tag)
