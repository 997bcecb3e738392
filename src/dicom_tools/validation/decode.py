"""Reading raw element values as strings and numbers, for the checks and the conditions."""

from __future__ import annotations

import contextlib
import struct

from dicom_tools.dicom import vr as _vr
from dicom_tools.dicom.reader import Element, Item, ParsedFile

# VRs whose values are text; the first group may hold several values separated by "\".
TEXT_VRS = _vr.STRINGS
SINGLE_VALUE_TEXT = _vr.SINGLE_VALUED  # "\" is part of the value
# Binary numbers, and AT read as one 32-bit number (group << 16 | element) per value.
NUMBER_FORMATS = {**_vr.NUMBER_FORMATS, "AT": "L"}


class Values:
    """Decoded views of one parsed file's elements (small values only)."""

    def __init__(self, pf: ParsedFile) -> None:
        self.pf = pf

    def raw(self, el: Element, limit: int | None = None) -> bytes:
        return self.pf.value(el, limit)

    def strings(self, el: Element) -> list[str]:
        """The values of a text element, padding removed; [] when empty."""
        data = self.pf.value(el)
        text = data.decode("latin-1").rstrip("\x00 ")
        if not text:
            return []
        if el.vr in SINGLE_VALUE_TEXT:
            return [text]
        return [v.strip(" ") for v in text.split("\\")]

    def numbers(self, el: Element) -> list[int | float]:
        vr = el.vr.split(" or ")[0]
        if vr in ("IS", "DS"):
            out: list[int | float] = []
            for v in self.strings(el):
                with contextlib.suppress(ValueError):  # malformed values are reported elsewhere
                    out.append(int(v) if vr == "IS" else float(v))
            return out
        fmt = NUMBER_FORMATS.get(vr)
        if fmt is None:
            return []
        size = struct.calcsize("<" + fmt)
        data = self.pf.value(el, 4096)
        count = len(data) // size
        order = "<" if el.le else ">"
        return list(struct.unpack(f"{order}{count}{fmt}", data[: count * size]))

    def is_empty(self, el: Element) -> bool:
        """No value: zero length, no items, or (text) nothing but padding."""
        if el.items is not None:
            return not el.items
        if el.fragments is not None:
            return False
        if el.length == 0:
            return True
        if el.vr in TEXT_VRS and el.length <= 1024:
            return not self.pf.value(el).strip(b"\x00 \\")
        return False

    # Lookups by tag inside one item, as the conditions use them.
    def text(self, item: Item, tag: int) -> str | None:
        el = item.get(tag)
        if el is None:
            return None
        values = self.strings(el) if el.vr in TEXT_VRS or el.vr == "UN" else []
        return values[0].upper() if values else ""

    def number(self, item: Item, tag: int) -> int | float | None:
        el = item.get(tag)
        if el is None:
            return None
        values = self.numbers(el)
        return values[0] if values else None
