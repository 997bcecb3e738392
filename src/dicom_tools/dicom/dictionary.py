"""The data dictionary (PS3.6), registered UIDs and known private elements.

Backed by the compact tables in ``data/`` (generated from the standard by
scripts/gen_dicom_tables.py), not by pydicom: the header path looks tags up without importing
it. Repeating groups (50xx curves, 60xx overlays...) are matched by mask; group lengths are
UL; every lookup is cached.
"""

from __future__ import annotations

from functools import cache
from typing import NamedTuple


class Entry(NamedTuple):
    vr: str  # "US", or an ambiguous "US or SS"
    vm: str  # "1", "1-n", "2-2n" ...
    keyword: str
    retired: bool
    name: str = ""


@cache
def _tags() -> dict[int, tuple]:
    from dicom_tools.dicom.data.dictionary import TAGS

    return TAGS


@cache
def _repeaters() -> list[tuple[int, int, tuple]]:
    """``(and-mask, value, entry)`` per repeating-group mask such as ``60XX0010``."""
    from dicom_tools.dicom.data.dictionary import REPEATERS

    out = []
    for mask, row in REPEATERS.items():
        and_mask = int("".join("0" if c == "X" else "F" for c in mask), 16)
        out.append((and_mask, int(mask.replace("X", "0"), 16), row))
    return out


@cache
def entry(tag: int) -> Entry | None:
    """The dictionary entry of a standard tag (``None`` for private or unknown tags)."""
    if tag >> 16 & 1:
        return None
    row = _tags().get(tag)
    if row is None:
        if tag & 0xFFFF == 0:  # group length: retired everywhere but in groups 0000 and 0002
            return Entry("UL", "1", "GroupLength", tag >> 16 > 2, "Group Length")
        row = next((r for m, v, r in _repeaters() if tag & m == v), None)
        if row is None:
            return None
    vr, vm, kw, retired, name = row
    return Entry(vr, vm, kw, bool(retired), name)


@cache
def keyword(tag: int) -> str:
    """The keyword of ``tag``; ``PrivateCreator`` for a private creator; else ``""``."""
    e = entry(tag)
    if e is not None and e.keyword:
        return e.keyword
    if tag >> 16 & 1 and 0x10 <= tag & 0xFFFF <= 0xFF:
        return "PrivateCreator"
    return ""


def vr_of(tag: int) -> str | None:
    """The dictionary VR of a standard tag (may be ambiguous, e.g. ``US or SS``)."""
    e = entry(tag)
    return e.vr if e is not None else None


@cache
def _keywords() -> dict[str, int]:
    table = {row[2]: tag for tag, row in _tags().items() if row[2]}
    for _mask, value, row in _repeaters():  # a repeating group's keyword: its first group
        table.setdefault(row[2], value)
    return table


@cache
def tag_for(keyword: str) -> int | None:
    """The tag of a keyword; for a repeating group (overlays: 60xx) the tag of its first group."""
    return _keywords().get(keyword)


@cache
def vm_range(vm: str) -> tuple[int, int | None, int] | None:
    """``(minimum, maximum or None for n, step)`` of a VM string; ``None`` if not checkable."""
    if " or " in vm or not vm:
        return None
    lo, _, hi = vm.partition("-")
    try:
        low = int(lo)
        if not hi:
            return low, low, 1
        if hi == "n":
            return low, None, 1
        if hi.endswith("n"):  # "2-2n": multiples of 2
            return low, None, int(hi[:-1] or 1)
        return low, int(hi), 1
    except ValueError:
        return None


# --- UIDs ----------------------------------------------------------------------------------


class UidEntry(NamedTuple):
    name: str
    type: str  # "SOP Class", "Transfer Syntax", ...
    keyword: str
    retired: bool


@cache
def _uids() -> dict[str, tuple]:
    from dicom_tools.dicom.data.uids import UIDS

    return UIDS


def uid_entry(uid: str | None) -> UidEntry | None:
    """The registry entry of a UID (PS3.6 Annex A), or None for an unregistered UID."""
    if not uid:
        return None
    row = _uids().get(uid.rstrip("\0 "))
    return UidEntry(row[0], row[1], row[2], bool(row[3])) if row is not None else None


def uid_name(uid: str | None) -> str | None:
    """The registered name of a UID (``CT Image Storage``), or None."""
    e = uid_entry(uid)
    return e.name if e is not None else None


def uid_for_keyword(keyword: str) -> str | None:
    """The UID registered under ``keyword`` (``CTImageStorage``), or None."""
    return next((uid for uid, row in _uids().items() if row[2] == keyword), None)


# --- private elements ----------------------------------------------------------------------


@cache
def _private(creator: str) -> dict[str, tuple] | None:
    from dicom_tools.dicom.data.private import PRIVATE

    return PRIVATE.get(creator)


@cache
def private_entry(tag: int, creator: str) -> Entry | None:
    """The entry of a private data element reserved by ``creator`` (GDCM's dictionary)."""
    table = _private(creator)
    if table is None:
        return None
    g, e = tag >> 16, tag & 0xFFFF
    # Most entries leave the block (the element's high byte) as 'XX'; a few fix it, and some
    # fix only the group's high byte (pydicom's order of lookups).
    for key in (f"{g:04X}{e:04X}", f"{g:04X}XX{e & 0xFF:02X}", f"{g >> 8:02X}XXXX{e & 0xFF:02X}"):
        row = table.get(key)
        if row is not None:
            vr, vm, name, retired = row
            return Entry(vr, vm, "", bool(retired), name)
    return None
