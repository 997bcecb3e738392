"""The data dictionary (PS3.6) as the checks need it: VR, VM, keyword and retirement per tag.

Backed by pydicom's copy of PS3.6, including repeating groups (50xx, 60xx); every lookup is
cached, so a tag costs one dictionary probe after its first use.
"""

from __future__ import annotations

from functools import cache, lru_cache
from typing import NamedTuple


class Entry(NamedTuple):
    vr: str  # "US", or an ambiguous "US or SS"
    vm: str  # "1", "1-n", "2-2n" ...
    keyword: str
    retired: bool


@cache
def entry(tag: int) -> Entry | None:
    """The dictionary entry of a standard tag (``None`` for private or unknown tags)."""
    from pydicom.datadict import DicomDictionary, get_entry

    if tag >> 16 & 1:
        return None
    raw = DicomDictionary.get(tag)
    if raw is None:
        if tag & 0xFFFF == 0:  # group length: retired everywhere but in group 0002
            return Entry("UL", "1", "GroupLength", tag >> 16 != 2)
        try:
            raw = get_entry(tag)  # repeating groups; raises KeyError for unknown tags
        except KeyError:
            return None
    vr, vm, _name, retired, keyword = raw
    return Entry(vr, vm, keyword, bool(retired))


@cache
def keyword(tag: int) -> str:
    e = entry(tag)
    if e is not None and e.keyword:
        return e.keyword
    if tag >> 16 & 1 and 0x10 <= tag & 0xFFFF <= 0xFF:
        return "PrivateCreator"
    return ""


@cache
def tag_for(keyword: str) -> int | None:
    """The tag of a keyword; for a repeating group (overlays: 60xx) the tag of its first group."""
    from pydicom.datadict import tag_for_keyword

    tag = tag_for_keyword(keyword)
    if tag is None:
        tag = _repeater_tags().get(keyword)
    return tag


@lru_cache(maxsize=1)
def _repeater_tags() -> dict[str, int]:
    from pydicom.datadict import RepeatersDictionary

    return {v[4]: int(mask.replace("x", "0"), 16) for mask, v in RepeatersDictionary.items()}


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
