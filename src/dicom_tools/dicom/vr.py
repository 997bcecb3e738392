"""Value representations (PS3.5 section 6.2): the one VR table.

Every list of VRs the readers, writers, dump, JSON and validation need is derived here.
"""

from __future__ import annotations

import struct

# Every VR of PS3.5 Table 6.2-1.
ALL: tuple[str, ...] = tuple(
    "AE AS AT CS DA DS DT FD FL IS LO LT OB OD OF OL OV OW PN SH SL SQ SS ST SV TM UC UI UL UN "  # noqa: SIM905
    "UR US UT UV".split()
)
VRS = frozenset(ALL)
VR_BYTES = frozenset(v.encode("ascii") for v in ALL)

# Explicit VR with a 2-byte reserved field and a 4-byte length (PS3.5 Table 7.1-1); the rest
# have a 2-byte length.
LONG_LENGTH = frozenset(
    ("OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV")
)
LONG_LENGTH_BYTES = frozenset(v.encode("ascii") for v in LONG_LENGTH)
SHORT_LENGTH = VRS - LONG_LENGTH
SHORT_LENGTH_BYTES = frozenset(v.encode("ascii") for v in SHORT_LENGTH)

# Character strings (values are text, ``\\`` separates values unless single-valued).
STRINGS = frozenset(
    "AE AS CS DA DS DT IS LO LT PN SH ST TM UC UI UR UT".split()  # noqa: SIM905
)
# Text whose bytes are decoded with the Specific Character Set (PS3.5 section 6.1.2.3); the
# other strings use the default repertoire.
CHARSET_TEXT = frozenset(("LO", "LT", "PN", "SH", "ST", "UC", "UT"))
# A backslash is part of the text, not a value delimiter (PS3.5 section 6.2).
SINGLE_VALUED = frozenset(("LT", "ST", "UT", "UR"))
# Numbers written as text.
NUMBER_STRINGS = frozenset(("DS", "IS"))
# Bytes without a per-value structure (OW/OF/OL/OD/OV are swapped by word size).
BINARY = frozenset(("OB", "OD", "OF", "OL", "OV", "OW", "UN"))
# Also binary: the ambiguous VRs of the dictionary.
AMBIGUOUS = frozenset(("OB or OW", "US or OW", "US or SS", "US or SS or OW"))
BINARY_OR_AMBIGUOUS = BINARY | frozenset(("OB or OW", "US or OW"))

# Binary numbers: struct code of one value.
NUMBER_FORMATS: dict[str, str] = {
    "US": "H",
    "SS": "h",
    "UL": "L",
    "SL": "l",
    "UV": "Q",
    "SV": "q",
    "FL": "f",
    "FD": "d",
}
INTEGERS = frozenset(("US", "SS", "UL", "SL", "UV", "SV"))
FLOATS = frozenset(("FL", "FD"))
NUMBER_SIZES: dict[str, int] = {
    vr: struct.calcsize("<" + code) for vr, code in NUMBER_FORMATS.items()
}
# Other-word VRs: the word size used to swap byte order, and the struct code of a word.
WORD_SIZES: dict[str, int] = {"OW": 2, "OF": 4, "OL": 4, "OD": 8, "OV": 8}
WORD_FORMATS: dict[str, str] = {"OW": "H", "OF": "f", "OL": "L", "OD": "d", "OV": "Q"}

# Maximum value length in bytes (PS3.5 Table 6.2-1; PN: per component group); None: unlimited.
MAX_LENGTH: dict[str, int | None] = {
    "AE": 16,
    "AS": 4,
    "CS": 16,
    "DA": 8,
    "DS": 16,
    "DT": 26,
    "IS": 12,
    "LO": 64,
    "LT": 10240,
    "PN": 64,
    "SH": 16,
    "ST": 1024,
    "TM": 14,
    "UC": None,
    "UI": 64,
    "UR": None,
    "UT": None,
}
# Fixed value sizes.
FIXED_SIZE: dict[str, int] = {**NUMBER_SIZES, "AT": 4, "AS": 4}


def padding(vr: str) -> bytes:
    """The byte that pads a value to even length: NUL for UI and binary VRs, else a space."""
    return b"\0" if vr == "UI" or vr in BINARY else b" "


def long_length(vr: str) -> bool:
    """Whether an explicit-VR element of this VR has a 4-byte length field."""
    return vr in LONG_LENGTH
