"""The one-line error for a file the reader found unreadable, from its problems.

A file that is not DICOM, is cut short or has a broken top-level sequence cannot be dumped,
summarised or converted; the message says why, in the words these operations have always used
(they came from pydicom's reading: ``io.read_dataset`` and ``io.check_items``), now from the
reader's tree, without pydicom. ``read_failure`` returns None for problems it has no wording
for; the caller decides what to do with those.

A file is complete only when its last element ends exactly at its end (the reader's
``truncated`` problem, met while walking, so the check costs nothing more than the walk).
Every way into a data set asks here: the header path through ``check_parsed``, pydicom's
reading through ``check_source`` (pydicom silently stops at an element header cut short).
"""

from __future__ import annotations

import struct

from dicom_tools.dicom.tags import ITEM, UNDEFINED_LENGTH, format_tag
from dicom_tools.errors import InputError

TYPE_CHECKING = False  # typing costs start-up time
if TYPE_CHECKING:
    from dicom_tools.dicom.reader import ParsedFile
    from dicom_tools.dicom.source import Source

# Two-letter VR codes that mark an explicit-VR data set without preamble. OW is not among them,
# as it never was: the same files are recognised as before.
_VRS = frozenset(
    b"AE AS AT CS DA DS DT FD FL IS LO LT OB OD OF OL OV PN SH SL SQ SS ST SV TM UC UI UL UN "
    b"UR US UT UV".split()
)
_META = "file meta information: "
_DATA_SET = "data set: "
# Defects of the whole file that never stopped it being read (stray bytes inside the meta
# group's length, a meta group in another encoding is read as it is). Bytes at the end of the
# file that do not make a whole element are no longer among them: the file was cut (dcmdump:
# "premature end of stream").
_HARMLESS = frozenset(("trailing-bytes", "meta-encoding"))


def looks_like_raw_dataset(head: bytes) -> bool:
    """Whether ``head`` plausibly starts a data set written without preamble or meta header.

    dcmtk reads such files by guessing the transfer syntax from the first element; we accept the
    same files: a first tag in a low even group (command, meta, directory or identifying groups)
    followed by either a known VR (explicit) or a 32-bit length (implicit).
    """
    if len(head) < 8:
        return False
    for order in ("<", ">"):
        group, _elem = struct.unpack(order + "HH", head[:4])
        if group not in (0x0000, 0x0002, 0x0004, 0x0008) and not (0x0008 < group <= 0x0020):
            continue
        if head[4:6] in _VRS:
            return True
        (length,) = struct.unpack(order + "L", head[4:8])
        if order == "<" and (length < 0x10000 or length == 0xFFFFFFFF):
            return True
    return False


def not_dicom(name: str) -> str:
    return f"{name}: not a DICOM file (no DICM prefix and no recognisable data set)"


def read_failure(parsed: ParsedFile, name: str, size: int) -> str | None:
    """The error message for ``parsed`` (named ``name``, ``size`` bytes) when it cannot be read:
    not DICOM, truncated, a broken top-level sequence item or no data set; None when it has no
    such problem, or one with no established wording (a deflated file's, a nested one's)."""
    if not (parsed.prefix or looks_like_raw_dataset(bytes(parsed.meta_buffer[:132]))):
        return not_dicom(name)
    fatal = [p for p in parsed.problems if p.path == "" and p.tag is None]
    # Checked in this order: the end of the file met too soon (meta group first), then the
    # items of top-level sequences.
    for p in fatal:
        if p.code == "truncated":
            return f"{name}: file is truncated: {_detail(p.message, parsed.deflated)}"
    for p in fatal:
        if p.code not in _HARMLESS:
            return None  # a defect pydicom's reading words its own way
    for p in parsed.problems:
        if p.offset is None or p.tag is None or "[" in p.path or "." in p.path:
            continue  # only top-level sequences' items are checked against the file
        if parsed.deflated:
            return None
        el = parsed.dataset.get(p.tag)
        if el is None or el.items is None:
            return None
        fmt = "<HHL" if parsed.little else ">HHL"
        header = bytes(parsed.buffer[p.offset : p.offset + 8])
        group, element, length = struct.unpack(fmt, header) if len(header) == 8 else (0,) * 3
        n = len(el.items) + 1  # the items before the broken one were read whole
        where = f"{name}: broken sequence {format_tag(p.tag)}: item {n}"
        if group << 16 | element != ITEM:
            return (
                f"{where} at byte {p.offset} has tag ({group:04X},{element:04X}) "
                "instead of (FFFE,E000)"
            )
        if length != UNDEFINED_LENGTH and p.offset + 8 + length > size:
            return f"{where} claims {length} bytes, more than the file holds"
        return None
    if not parsed.problems and not parsed.dataset.elements:
        return f"{name}: not a DICOM file (no data set)"
    return None


def _detail(message: str, deflated: bool) -> str:
    if message.startswith(_META):
        return message.removeprefix(_META)
    detail = message.removeprefix(_DATA_SET)
    if deflated and " at byte " in detail:
        detail += " of the inflated data set"  # not a position in the file
    return detail


def check_parsed(parsed: ParsedFile, src: Source) -> None:
    """Raise the one-line InputError for ``parsed`` (walked from ``src``) when it has a problem
    ``read_failure`` words (closing it first); otherwise return, problems or not."""
    if not parsed.problems and parsed.dataset.elements:
        return  # the usual case, at no cost
    name = src.name  # as read_dataset names it: the path for a file, the caller's name else
    message = read_failure(parsed, name, src.size)
    if message is not None:
        parsed.close()
        raise InputError(message)


def check_source(src: Source) -> None:
    """Raise the one-line InputError ``check_parsed`` gives when ``src`` cannot be read: cut
    short, not DICOM, a broken top-level sequence item. For the readings that do not walk the
    file with the reader themselves (pydicom's); a file the reader cannot walk at all is left
    to the caller's reading and its message."""
    from dicom_tools.dicom.reader import parse_source

    try:
        parsed = parse_source(src, mapped=True)  # its values are never read here
    except (ValueError, OSError):
        return
    try:
        check_parsed(parsed, src)
    finally:
        parsed.close()
