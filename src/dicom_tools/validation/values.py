"""Value checks on every element, at any depth: VR format and length (PS3.5 6.2), VM against
the dictionary, enumerated values, VR as written vs the dictionary, odd lengths, element order
and duplicates, retired attributes and private elements without a creator."""

from __future__ import annotations

import datetime
import re

from dicom_tools.dicom import vr as _vr
from dicom_tools.dicom.dictionary import entry, keyword, vm_range
from dicom_tools.dicom.reader import Element, Item, ParsedFile
from dicom_tools.dicom.tags import format_tag
from dicom_tools.validation.decode import NUMBER_FORMATS, TEXT_VRS, Values
from dicom_tools.validation.enumerated import ENUMERATED
from dicom_tools.validation.findings import Findings

_MAX_LENGTH = {vr: n for vr, n in _vr.MAX_LENGTH.items() if n is not None}
# Value sizes that a value length must be a multiple of.
_SIZES = {**_vr.WORD_SIZES, **_vr.NUMBER_SIZES, "AT": 4}
# Text VRs whose characters depend on Specific Character Set; the others are plain ASCII.
_CHARSET_VRS = _vr.CHARSET_TEXT
_MULTI_BYTE = ("2022", "ISO_IR 192", "GB18030", "GBK")
# Control characters allowed besides ESC (PS3.5 6.2: CR, LF, FF; TAB is not among them).
_CONTROL_OK = {"ST": b"\r\n\f", "LT": b"\r\n\f", "UT": b"\r\n\f"}

_FORMATS = {
    "AS": re.compile(r"\d{3}[DWMY]"),
    "CS": re.compile(r"[A-Z0-9 _]*"),
    "DA": re.compile(r"\d{8}"),
    "DS": re.compile(r" *[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)? *"),
    "IS": re.compile(r" *[+-]?\d+ *"),
    "TM": re.compile(r"([01]\d|2[0-3])(([0-5]\d)(([0-5]\d|60)(\.\d{1,6})?)?)?"),
    "DT": re.compile(
        r"\d{4}((0[1-9]|1[0-2])((0[1-9]|[12]\d|3[01])(([01]\d|2[0-3])(([0-5]\d)(([0-5]\d|60)"
        r"(\.\d{1,6})?)?)?)?)?)?([+-]([01]\d|2[0-3])[0-5]\d)?"
    ),
    "UI": re.compile(r"(0|[1-9]\d*)(\.(0|[1-9]\d*))*"),
}
_FORMAT_HELP = {
    "AS": "nnnD, nnnW, nnnM or nnnY",
    "CS": "upper-case letters, digits, space and underscore",
    "DA": "YYYYMMDD",
    "DS": "a decimal number",
    "IS": "an integer",
    "TM": "HH[MM[SS[.FFFFFF]]]",
    "DT": "YYYY[MM[DD[HH[MM[SS[.FFFFFF]]]]]][&ZZXX]",
    "UI": "digits in dot-separated components without leading zeros",
}
_PN_GROUPS = 3
_PN_COMPONENTS = 5


class ValueChecker:
    """Walks every item of a parsed file and checks each element's encoding and value."""

    def __init__(self, pf: ParsedFile, values: Values, findings: Findings) -> None:
        self.pf = pf
        self.values = values
        self.findings = findings
        self.non_ascii_text = False  # for the Specific Character Set condition
        # Python codecs of the multi-byte character set in force (None: count bytes); an item
        # may name its own Specific Character Set for its subtree.
        self.encodings: list[str] | None = None

    def _charset(self, item: Item) -> None:
        el = item.by_tag.get(0x00080005)
        if el is None:
            return
        terms = self.values.strings(el)
        self.encodings = None
        if any(any(m in term for m in _MULTI_BYTE) for term in terms):
            from pydicom.charset import convert_encodings

            try:
                self.encodings = convert_encodings([t or "ISO_IR 6" for t in terms])
            except Exception:  # an unknown term: lengths are counted in bytes
                self.encodings = None

    def run(self) -> None:
        self._item(self.pf.meta, "")
        self._item(self.pf.dataset, "")
        self._group_lengths(self.pf.dataset)

    def _group_lengths(self, item: Item) -> None:
        """Retired group lengths (gggg,0000) are harmless unless wrong: readers may trust them."""
        elements = item.elements
        end = len(self.pf.buffer)
        for i, el in enumerate(elements):
            if el.tag & 0xFFFF or el.tag >> 16 == 2 or el.length != 4:
                continue
            group = el.tag >> 16
            members = [e for e in elements[i + 1 :] if e.tag >> 16 == group]
            if any(e.undefined for e in members):
                continue  # a group length cannot count an undefined length
            nxt = next((e.offset for e in elements[i + 1 :] if e.tag >> 16 != group), end)
            actual = nxt - (el.pos + 4)
            declared = self.values.numbers(el)
            if declared and declared[0] != actual:
                self.findings.warning(
                    "bad-group-length",
                    f"group length is {declared[0]}, the group holds {actual} bytes",
                    **self._where(el, ""),
                )

    def _where(self, el: Element, prefix: str) -> dict:
        kw = keyword(el.tag)
        return {"tag": el.tag, "keyword": kw, "path": prefix + (kw or _tag_text(el.tag))}

    def _item(self, item: Item, prefix: str) -> None:
        outer = self.encodings
        self._charset(item)
        previous = -1
        creators: dict[int, Element] = {}
        for el in item.elements:
            tag = el.tag
            if tag == previous:
                self.findings.error("duplicate", "element appears twice", **self._where(el, prefix))
            elif tag < previous:
                self.findings.error(
                    "out-of-order",
                    f"element follows {_tag_text(previous)}: tags must ascend",
                    **self._where(el, prefix),
                )
            previous = max(previous, tag)
            group = tag >> 16
            if group & 1:
                if 0x10 <= tag & 0xFFFF <= 0xFF:
                    creators[tag] = el
                self._private(el, item, prefix)
            else:
                self._standard(el, prefix)
            if el.items is not None:
                name = prefix + (keyword(tag) or _tag_text(tag))
                for i, sub in enumerate(el.items):
                    self._item(sub, f"{name}[{i}].")
        self.encodings = outer

    def _private(self, el: Element, item: Item, prefix: str) -> None:
        tag = el.tag
        group = tag >> 16
        elem = tag & 0xFFFF
        where = self._where(el, prefix)
        if group in (0x0001, 0x0003, 0x0005, 0x0007, 0xFFFF):
            self.findings.error("illegal-group", f"group {group:04X} is not allowed", **where)
            return
        if 0x10 <= elem <= 0xFF:
            if el.explicit and el.vr not in ("LO", "UN"):
                self.findings.error("bad-vr", f"private creator has VR {el.vr}, not LO", **where)
            if self.values.is_empty(el):
                self.findings.warning("empty-creator", "private creator has no value", **where)
            self._odd_length(el, where)
            return
        if 0x01 <= elem <= 0x0F:
            self.findings.error("illegal-element", "element 0001-000F of a private group", **where)
            return
        if elem >= 0x1000:
            creator = item.by_tag.get(group << 16 | elem >> 8)
            if creator is None or self.values.is_empty(creator):
                self.findings.error(
                    "no-private-creator",
                    f"private element without its creator ({group:04X},00{elem >> 8:02X})",
                    **where,
                )
        self._odd_length(el, where)
        if el.explicit and el.vr != "UN":  # the VR written is all we know of a private element
            self._value(el, el.vr, "", "", where)

    def _odd_length(self, el: Element, where: dict) -> None:
        if el.length != 0xFFFFFFFF and el.length & 1:
            self.findings.error("odd-length", f"odd value length {el.length}", **where)

    def _standard(self, el: Element, prefix: str) -> None:
        where = self._where(el, prefix)
        self._odd_length(el, where)
        known = entry(el.tag)
        if known is None:
            if el.tag >> 16 not in (0xFFFA, 0xFFFC):
                self.findings.info("unknown-tag", "not in the data dictionary", **where)
            return
        if el.tag & 0xFFFF == 0:
            self._group_length(el, where)
            return
        if known.retired:
            self.findings.warning("retired", "retired attribute", **where)
        allowed = known.vr.split(" or ")
        vr = el.vr
        if el.explicit and vr not in allowed and known.vr != "NONE":
            if vr == "UN":
                self.findings.warning(
                    "un-vr", f"VR UN for an attribute whose VR is {known.vr}", **where
                )
                if allowed[0] not in TEXT_VRS or el.items is not None:
                    return  # binary values in UN are little endian whatever the file is
                vr = allowed[0]  # text is stored the same way under UN
            else:
                self.findings.error(
                    "bad-vr", f"VR {vr} in the file, the dictionary says {known.vr}", **where
                )
                if vr not in TEXT_VRS and vr not in _SIZES:
                    return
        elif not el.explicit and len(allowed) > 1:
            vr = allowed[0]  # implicit VR: "US or SS" and the like share a size
        self._value(el, vr, known.vm, known.keyword, where)

    def _value(self, el: Element, vr: str, vm: str, kw: str, where: dict) -> None:
        if el.items is not None or el.fragments is not None or el.length == 0:
            return
        if vr in TEXT_VRS:
            self._text(el, vr, vm, kw, where)
        elif vr in _SIZES:
            size = _SIZES[vr]
            if el.length % size:
                self.findings.error(
                    "bad-length",
                    f"{vr} value length {el.length} is not a multiple of {size}",
                    **where,
                )
            elif vr in NUMBER_FORMATS:
                self._vm(el.length // size, vm, where)
                enum = ENUMERATED.get(kw)
                if enum:
                    self._enumerated([str(v) for v in self.values.numbers(el)], enum, where)

    def _group_length(self, el: Element, where: dict) -> None:
        if el.tag >> 16 == 2:
            return  # checked with the file meta information
        self.findings.warning("retired", "retired attribute (group length)", **where)

    def _text(self, el: Element, vr: str, vm: str, kw: str, where: dict) -> None:
        raw = self.values.raw(el)
        if vr in _CHARSET_VRS and not self.non_ascii_text:
            self.non_ascii_text = any(b > 0x7F or b == 0x1B for b in raw)
        stripped = raw.rstrip(b" ") if vr != "UI" else raw.rstrip(b"\x00")
        if vr != "UI" and stripped.endswith(b"\x00"):
            self.findings.error("bad-padding", "value padded with NUL, not space", **where)
            stripped = stripped.rstrip(b"\x00 ")
        if not stripped:
            return
        allowed = _CONTROL_OK.get(vr, b"")
        bad = next(
            (b for b in stripped if (b < 0x20 or b == 0x7F) and b != 0x1B and b not in allowed),
            None,
        )
        if bad is not None:
            self.findings.error(
                "bad-character", f"control character 0x{bad:02X} not allowed in {vr}", **where
            )
        if vr in _CHARSET_VRS and self.encodings is not None:
            text = self._decode(stripped, where)
        else:
            text = stripped.decode("latin-1")
        if vr in ("LT", "ST", "UT", "UR"):
            parts = [text]
        else:
            parts = text.split("\\")
            self._vm(len(parts), vm, where)
        limit = _MAX_LENGTH.get(vr)
        pattern = _FORMATS.get(vr)
        for i, value in enumerate(parts):
            if vr == "PN":
                self._person_name(value, where)
                continue
            if limit is not None and len(value) > limit:
                self.findings.error(
                    "bad-length",
                    f"value {i + 1} is {len(value)} characters long, {vr} allows {limit}",
                    **where,
                )
            if pattern is None:
                continue
            check = value.strip(" ")  # leading and trailing spaces are not significant
            if not check:
                continue
            if not pattern.fullmatch(check):
                self.findings.error(
                    "bad-format",
                    f"value {i + 1} {value!r} is not a valid {vr} ({_FORMAT_HELP[vr]})",
                    **where,
                )
                continue
            self._semantics(vr, check, i, where)
        enum = ENUMERATED.get(kw)
        if enum:
            self._enumerated([p.strip(" ") for p in parts], enum, where)

    def _decode(self, data: bytes, where: dict) -> str:
        """Text in a multi-byte character set, decoded so lengths count characters."""
        import warnings

        from pydicom.charset import decode_bytes

        failed = False
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")  # pydicom warns, then substitutes characters
            try:
                text = decode_bytes(data, self.encodings or [], {0x5C, 0x3D, 0x5E})
            except Exception:
                text, failed = data.decode("latin-1"), True
        if failed or caught:
            self.findings.error(
                "bad-character",
                "value cannot be decoded with the Specific Character Set",
                **where,
            )
        return text

    def _semantics(self, vr: str, value: str, i: int, where: dict) -> None:
        problem = None
        if vr == "DA":
            try:
                datetime.date(int(value[:4]), int(value[4:6]), int(value[6:8]))
            except ValueError:
                problem = "is not a calendar date"
        elif vr == "IS":
            if not -(2**31) <= int(value) <= 2**31 - 1:
                problem = "is out of the range of a 32-bit signed integer"
        elif vr == "UI":
            first = value.split(".", 1)[0]
            if first not in ("0", "1", "2"):
                problem = "does not start with a valid root (0, 1 or 2)"
            elif not value.strip("0."):
                problem = "has nothing but zero components"
        if problem:
            self.findings.error("bad-format", f"value {i + 1} {value!r} {problem} ({vr})", **where)

    def _person_name(self, value: str, where: dict) -> None:
        groups = value.split("=")
        if len(groups) > _PN_GROUPS:
            self.findings.error(
                "bad-format", f"person name has {len(groups)} component groups, at most 3", **where
            )
        for group in groups:
            if group.count("^") >= _PN_COMPONENTS:
                self.findings.error(
                    "bad-format",
                    f"person name group {group!r} has more than 5 components",
                    **where,
                )
            if len(group) > _MAX_LENGTH["PN"]:
                self.findings.error(
                    "bad-length",
                    f"person name group is {len(group)} characters long, PN allows 64",
                    **where,
                )

    def _vm(self, count: int, vm: str, where: dict) -> None:
        rule = vm_range(vm)
        if rule is None:
            return
        low, high, step = rule
        if count < low or (high is not None and count > high) or (step > 1 and count % step):
            self.findings.error("bad-vm", f"{count} value(s); the dictionary's VM is {vm}", **where)

    def _enumerated(
        self, parts: list[str], enum: dict[int | None, frozenset[str]], where: dict
    ) -> None:
        for i, value in enumerate(parts):
            allowed = enum.get(i, enum.get(None))
            if allowed is not None and value and value not in allowed:
                self.findings.error(
                    "bad-enumerated",
                    f"value {i + 1} {value!r} is not one of {', '.join(sorted(allowed))}",
                    **where,
                )


_tag_text = format_tag


def check_values(pf: ParsedFile, values: Values, findings: Findings) -> bool:
    """Run the value checks; returns whether some text uses non-default characters."""
    checker = ValueChecker(pf, values, findings)
    checker.run()
    return checker.non_ascii_text
