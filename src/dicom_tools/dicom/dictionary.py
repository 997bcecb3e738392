"""The data dictionary (PS3.6), registered UIDs and known private elements.

Backed by the compact tables in ``data/`` (generated from the standard by
scripts/gen_dicom_tables.py), not by pydicom: the header path looks tags up without importing
it. Repeating groups (50xx curves, 60xx overlays...) are matched by mask; group lengths are
UL; every lookup is cached.
"""

from __future__ import annotations

from operator import itemgetter

# Start-up matters here (every header command looks tags up), so no typing at run time and
# the generated tables are plain strings, split on first use: see scripts/gen_dicom_tables.py.

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

_MISSING = object()


def cache(func: Callable[..., Any]) -> Callable[..., Any]:
    """``functools.cache`` for functions of positional, hashable arguments, without
    functools: it imports collections, milliseconds of every command's start-up."""
    memo: dict[Any, Any] = {}
    get = memo.get

    def cached(*args: Any) -> Any:
        value = get(args, _MISSING)
        if value is _MISSING:
            value = memo[args] = func(*args)
        return value

    cached.__doc__, cached.__name__, cached.__wrapped__ = func.__doc__, func.__name__, func  # type: ignore[attr-defined]
    cached.cache_clear = memo.clear  # type: ignore[attr-defined]
    return cached


class Entry(tuple):
    """A dictionary entry: ``(vr, vm, keyword, retired, name)`` with those names as fields.

    ``vr`` is e.g. ``"US"`` or an ambiguous ``"US or SS"``; ``vm`` ``"1"``, ``"1-n"``,
    ``"2-2n"``...; ``keyword`` is empty for private elements.
    """

    __slots__ = ()

    def __new__(cls, vr: str, vm: str, keyword: str, retired: bool, name: str = "") -> Entry:
        return tuple.__new__(cls, (vr, vm, keyword, retired, name))

    def __repr__(self) -> str:
        return "Entry(vr={!r}, vm={!r}, keyword={!r}, retired={!r}, name={!r})".format(*self)

    # fields as C-level getters: entries are read in every hot loop of dump and to-json
    vr: str = property(itemgetter(0))  # type: ignore[assignment]
    vm: str = property(itemgetter(1))  # type: ignore[assignment]
    keyword: str = property(itemgetter(2))  # type: ignore[assignment]
    retired: bool = property(itemgetter(3))  # type: ignore[assignment]
    name: str = property(itemgetter(4))  # type: ignore[assignment]


@cache
def _rows() -> dict[int, str]:
    """tag -> its tab-separated line (split only when the tag is looked up)."""
    from dicom_tools.dicom.data.dictionary import KEYS, ROWS

    return dict(zip(KEYS, ROWS.split("\n"), strict=True))


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
    line = _rows().get(tag)
    if line is not None:
        vr, vm, kw, retired, name = line.split("\t")
        return Entry(vr, vm, kw, retired == "1", name)
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
def tags_of_vr(vr: str) -> frozenset[int]:
    """The (non-repeating) tags whose dictionary VR is ``vr``, e.g. every ``US or SS`` tag."""
    prefix = vr + "\t"
    return frozenset(tag for tag, line in _rows().items() if line.startswith(prefix))


@cache
def _keywords() -> dict[str, int]:
    table = {}
    for tag, line in _rows().items():
        kw = line.split("\t", 3)[2]
        if kw:
            table[kw] = tag
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


class UidEntry(tuple):
    """A registered UID: ``(name, type, keyword, retired)``; type e.g. "SOP Class"."""

    __slots__ = ()

    def __new__(cls, name: str, type: str, keyword: str, retired: bool) -> UidEntry:
        return tuple.__new__(cls, (name, type, keyword, retired))

    def __repr__(self) -> str:
        return "UidEntry(name={!r}, type={!r}, keyword={!r}, retired={!r})".format(*self)

    # fields as C-level getters, as Entry's
    name: str = property(itemgetter(0))  # type: ignore[assignment]
    type: str = property(itemgetter(1))  # type: ignore[assignment]
    keyword: str = property(itemgetter(2))  # type: ignore[assignment]
    retired: bool = property(itemgetter(3))  # type: ignore[assignment]


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
def _private(creator: str) -> dict[str, tuple[str, ...]] | None:
    """The elements of one creator's block: mask -> (VR, VM, name, retired); None if unknown."""
    from dicom_tools.dicom.data.private import PRIVATE

    block = PRIVATE.get(creator)
    if block is None:
        return None
    rows = (line.split("\t") for line in block.split("\n"))
    return {row[0]: tuple(row[1:]) for row in rows}


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
            return Entry(vr, vm, "", retired == "1", name)
    return None
