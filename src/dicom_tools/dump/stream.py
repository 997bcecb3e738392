"""dump as a stream of text, straight from the base reader's tree: no pydicom.

Lines are made as the tree is walked and handed out in chunks (``FLUSH_LINES`` lines each),
so a front end prints while the file is read and a large file never sits in memory as text
(the reader maps large files; values are read one at a time). The tree itself is built first,
so a structural defect is known before any line is printed; and the walk runs through once
before the first chunk is handed out, so that a case left to pydicom (below) is never met
half-way through a printed dump.

Files without preamble or File Meta Information, deflated data sets (the reader inflates them),
implicit VR data sets under an explicit syntax, sequences in UN (the dictionary's SQ, or an
unknown tag of undefined length) and implicit VR encapsulated pixel data are dumped here too.
Unreadable files get their error from the reader's tree (``dicom.failures``, called by the
operation). Text in other character sets is decoded by ``dicom.values`` (one Python codec; ISO
2022 code extensions by pydicom's ``decode_bytes``, imported only then). A repeated tag shows
its last copy, as pydicom keeps it (dcmdump keeps the first).
What is still left to the pydicom path (``legacy``, imported only then; no file of the test
corpus or bad inputs takes it): a structural defect ``dicom.failures`` has no wording for, an
unknown transfer syntax, a meta group without preamble; met while walking (``_Fallback``),
VRs only the data set's context resolves, a UN that is a sequence in a
big-endian data set, undefined length on a non-sequence: then the pydicom path takes over if
nothing was handed out yet. Single text values ``dicom.values`` leaves to pydicom (DS or IS
with non-ASCII bytes, bytes invalid in their character set) are converted by the pydicom path's
``converted_line``.
"""

from __future__ import annotations

import struct

from dicom_tools.dicom.dictionary import cache, tags_of_vr, uid_name
from dicom_tools.dicom.reader import UNDEFINED, ParsedFile
from dicom_tools.dicom.syntaxes import by_uid
from dicom_tools.dicom.tags import EXTENDED_OFFSET_TABLE, PIXEL_DATA
from dicom_tools.dicom.values import Undecodable, decode, element_vr
from dicom_tools.dicom.vr import NUMBER_FORMATS, SINGLE_VALUED, STRINGS
from dicom_tools.dump.layout import (
    _BINARY_VRS,
    _CONTROL,
    _EMPTY,
    _EMPTY_TEXT,
    _PAD,
    FRAGMENT_LINES,
    Formatter,
    _cut,
    _cut_values,
    _line,
    _private_name,
    _public_name,
    _tag_text,
)

TYPE_CHECKING = False  # typing costs start-up time
if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path
    from typing import Any

    from dicom_tools.dicom.source import Source

# Lines per chunk handed out (a dump longer than this is walked twice: see ``_chunks``).
FLUSH_LINES = 4096
# The VR of a public tag in implicit VR depends only on the tag (the data dictionary).
_IMPLICIT_VRS: dict[int, str] = {}
# Waveform data whose VR (OB or OW) pydicom sets to OW in implicit VR.
_WAVEFORM_OB_OW = frozenset((0x54000110, 0x54000112, 0x5400100A, 0x54001010))
# US-or-SS tags whose VR is not Pixel Representation's to decide (retired LUT descriptors and
# Perimeter Value): pydicom leaves them ambiguous, and so the pydicom path shows them.
_NOT_BY_PIXEL_REP = frozenset((0x00280071, 0x00281100, 0x00281111, 0x00281112, 0x00281113))


@cache
def _us_ss_by_pixel_rep() -> frozenset[int]:
    """The dictionary's US-or-SS tags that Pixel Representation resolves."""
    return tags_of_vr("US or SS") - _NOT_BY_PIXEL_REP


class _Fallback(Exception):
    """Something this path leaves to pydicom: the file is dumped the pydicom way."""


def stream_dump(
    parsed: ParsedFile, max_depth: int | None, limit: int | None, path: Path | Source
) -> Iterator[str] | None:
    """The dump of ``parsed`` as text chunks (joined, the whole text), or None when the file
    goes the pydicom way. The chunks close ``parsed`` when done."""
    ts = parsed.transfer_syntax
    if (
        parsed.problems
        or not parsed.dataset.elements
        or (ts and by_uid(ts) is None)
        or (parsed.meta.elements and not parsed.preamble)
    ):
        return None
    if ts:
        ts_text = uid_name(ts) or ts
    else:  # no transfer syntax (or no meta at all): the encoding the reader found
        vr = "Explicit VR" if parsed.explicit else "Implicit VR"
        endian = "Little" if parsed.little else "Big"
        ts_text = f"{vr} {endian} Endian (no transfer syntax in the meta information)"
    return _chunks(parsed, max_depth, limit, path, f"# Used TransferSyntax: {ts_text}")


def _chunks(
    parsed: ParsedFile,
    max_depth: int | None,
    limit: int | None,
    path: Path | Source,
    ts_text: str,
) -> Iterator[str]:
    """The dump in chunks; the pydicom path's text instead where this path cannot go through.

    Whether it can is only known at the end of the walk, and a printed chunk cannot be taken
    back: so the walk runs once before anything is handed out. A dump of one chunk (almost
    every file) is then complete and handed out as it is; a longer one, known to go through,
    is walked again and handed out as it comes (its text never sits in memory whole).
    """
    try:
        first = None
        try:
            for n, chunk in enumerate(_walk(parsed, max_depth, limit, path, ts_text)):
                first = chunk if n == 0 else None  # later chunks are made again below
        except _Fallback:
            parsed.close()
            from dicom_tools.dump.legacy import dump_pydicom

            yield dump_pydicom(path, max_depth, limit)[0]
            return
        if first is not None:
            yield first
        else:
            yield from _walk(parsed, max_depth, limit, path, ts_text)
    finally:
        parsed.close()  # (a memory map still viewed is unmapped when the view goes)


def _walk(
    parsed: ParsedFile, max_depth: int | None, limit: int | None, path: Path, ts_text: str
) -> Iterator[str]:
    """The dump's text in chunks of ``FLUSH_LINES`` lines; raises ``_Fallback`` where the
    pydicom path must take over."""
    dumper = _Streamer(parsed, max_depth, limit, path)
    lines = dumper.lines
    if parsed.meta.elements:  # a data set alone (no File Meta Information) has no header
        lines += ["", "# Dicom-File-Format", "", "# Dicom-Meta-Information-Header"]
        lines.append("# Used TransferSyntax: Explicit VR Little Endian")
        dumper.item(parsed.meta, 0, parsed.meta_buffer, True, None, None)
        lines.append("")
    lines += ["# Dicom-Data-Set", ts_text]
    for _ in dumper.top(parsed.dataset, parsed.buffer, parsed.little):
        if len(lines) >= FLUSH_LINES:
            chunk = "\n".join(lines) + "\n"
            lines.clear()
            yield chunk
    yield "\n".join(lines)


class _Streamer(Formatter):
    def __init__(
        self, parsed: Any, max_depth: int | None, limit: int | None, path: Path | Source | None
    ) -> None:
        super().__init__(max_depth, limit)
        self.parsed = parsed
        self.path = path

    def item(
        self,
        item: Any,
        depth: int,
        buf: Any,
        little: bool,
        encodings: Any,
        pixel_rep: int | None,
    ) -> None:
        for _ in self.walk(item, depth, buf, little, encodings, pixel_rep):
            pass

    def top(self, item: Any, buf: Any, little: bool) -> Iterator[None]:
        """The data set, element by element: the caller hands lines out between them."""
        return self.walk(item, 0, buf, little, None, None)

    def walk(
        self,
        item: Any,
        depth: int,
        buf: Any,
        little: bool,
        encodings: Any,
        pixel_rep: int | None,
    ) -> Iterator[None]:
        """One data set (meta group, data set or sequence item) of the walker's tree; yields
        before each element.

        ``encodings`` and ``pixel_rep`` are the nearest character set and Pixel Representation
        (this data set's or its ancestors'), as pydicom applies them.
        """
        lines, limit = self.lines, self.limit
        indent = "  " * depth
        creators: dict[tuple[int, int], str] = {}
        raw_creators: dict[int, str] = {}
        implicit_vrs = _IMPLICIT_VRS
        endian = "<" if little else ">"
        by_tag = item.by_tag  # a repeated tag: the last copy, as pydicom keeps
        mv = memoryview(buf)
        charset = by_tag.get(0x00080005)
        if charset is not None:
            encodings = _charset(charset, buf) or encodings
        rep = by_tag.get(0x00280103)
        if rep is not None and rep.length:
            if rep.length != 2:
                raise _Fallback
            (pixel_rep,) = struct.unpack_from(f"{endian}H", buf, rep.pos)
        for tag in sorted(by_tag):
            yield
            el = by_tag[tag]
            length = el.length
            pos = el.pos
            if el.explicit:
                vr = el.vr
                if vr == "UN":  # pydicom takes the dictionary's VR where it knows one
                    vr = _vr_of(tag, "UN", raw_creators)
                    if len(vr) != 2 or (vr == "SQ" and (el.items is None or not little)):
                        raise _Fallback  # an ambiguous VR, a sequence that is not one
            elif not tag & 0x10000:
                vr = implicit_vrs.get(tag)
                if vr is None:
                    vr = implicit_vrs[tag] = _vr_of(tag, None, raw_creators)
            else:
                vr = _vr_of(tag, None, raw_creators)
            if len(vr) != 2:  # ambiguous: resolved as pydicom does for implicit VR
                if tag == PIXEL_DATA and el.fragments is not None:
                    vr = "OB"  # encapsulated (PS3.5 A.4), as dcmdump shows it
                elif tag == PIXEL_DATA or tag in _WAVEFORM_OB_OW:
                    vr = "OW"
                elif tag in _us_ss_by_pixel_rep() and pixel_rep is not None:
                    vr = "US" if pixel_rep == 0 else "SS"
                else:
                    raise _Fallback
            if vr == "UN" and el.items is not None and length == UNDEFINED and little:
                vr = "SQ"  # unknown, undefined length: a sequence (PS3.5 6.2.2), as pydicom reads
            if el.items is not None and vr == "SQ":
                self.sequence(el, tag, vr, depth, buf, little, creators, encodings, pixel_rep)
                continue
            if length == UNDEFINED:
                if el.fragments is None or not little:
                    raise _Fallback
                self.fragments(item, el, tag, vr, indent, mv, creators)
                continue
            if vr == "SQ":
                raise _Fallback
            if vr in STRINGS:
                value = buf[pos : pos + length]
                if value.isascii() and b"\x1b" not in value:  # _text, inline
                    text = value.decode("ascii").rstrip("\0 ")
                    if not text:
                        shown = _EMPTY_TEXT
                    else:
                        vm = 1 if vr in SINGLE_VALUED else text.count("\\") + 1
                        if limit is not None and len(text) > limit:
                            text = text[:limit]
                            if not text.isprintable():
                                text = text.translate(_CONTROL)
                            text = f"[{text}...]"
                        else:
                            if not text.isprintable():
                                text = text.translate(_CONTROL)
                            text = f"[{text}]"
                        shown = (text, vm)
                else:
                    shown = None
                if shown is None:  # other character sets: decoded as pydicom converts them
                    if tag & 0x10000 and 0x10 <= tag & 0xFFFF <= 0xFF:
                        raise _Fallback
                    line = self._decoded_line(tag, vr, bytes(value), length, indent, encodings,
                                              creators)  # fmt: skip
                    if line is not None:
                        lines.append(line)
                        continue
                    # What dicom.values leaves to pydicom: the pydicom path's conversion.
                    from dicom_tools.dump.legacy import converted_line

                    self.lines += converted_line(
                        self, tag, vr, bytes(value), length, depth, el.explicit, little,
                        encodings, creators,
                    )  # fmt: skip
                    continue
            elif vr in NUMBER_FORMATS:
                value = buf[pos : pos + length]
                shown = self._numbers(value, vr, little)
            elif vr in _BINARY_VRS and len(vr) == 2:
                shown = (
                    (self._bytes(vr, mv[pos : pos + length], endian), 1)
                    if length
                    else (
                        _EMPTY,
                        1,
                    )
                )
            elif vr == "AT":
                shown = self._tags(buf[pos : pos + length], little)
            else:
                raise _Fallback
            if shown is None:
                raise _Fallback
            text, vm = shown
            if tag & 0x10000:  # private
                element = tag & 0xFFFF
                if 0x10 <= element <= 0xFF and vm and vr in STRINGS:
                    raw_value = bytes(buf[pos : pos + length])
                    if b"\\" in raw_value:
                        raise _Fallback
                    creators[(tag >> 16, element)] = raw_value.decode("ascii").strip(" \0")
                    raw_creators[tag] = raw_value.decode("ascii").rstrip("\0 ")
                name = _private_name(tag, creators)
            else:
                name = _public_name(tag)
            body = f"{vr} {text}"
            tag_text = _tag_text(tag)
            lines.append(f"{indent}{tag_text} {body:<{_PAD}} # {length:>3},{vm:>2} {name}")

    def _decoded_line(
        self,
        tag: int,
        vr: str,
        value: bytes,
        length: int,
        indent: str,
        charset: str | None,
        creators: dict[tuple[int, int], str],
    ) -> str | None:
        """The line of a text element in another character set, as the pydicom path showed
        it (the converted values joined, cut at the limit); None where pydicom must convert."""
        values = _decoded_text(vr, value, charset)
        if values is None:
            return None
        vm = len(values)
        if not vm:
            text = _EMPTY
        else:
            shown = values if self.max_values is None else values[: self.max_values]
            text = _cut("\\".join(shown), self.limit, len(shown) < vm)
            if not text.isprintable():
                text = text.translate(_CONTROL)
            text = f"[{text}]"
        name = _private_name(tag, creators) if tag & 0x10000 else _public_name(tag)
        return _line(indent, tag, vr, text, length, vm, name)

    def sequence(
        self,
        el: Any,
        tag: int,
        vr: str,
        depth: int,
        buf: Any,
        little: bool,
        creators: dict[tuple[int, int], str],
        encodings: Any,
        pixel_rep: int | None,
    ) -> None:
        lines = self.lines
        indent = "  " * depth
        items = el.items
        name = _private_name(tag, creators) if tag & 0x10000 else _public_name(tag)
        length = el.length
        undefined = length == UNDEFINED
        kind = "undefined" if undefined else "explicit"
        text = f"(Sequence with {kind} length #={len(items)})"
        lines.append(_line(indent, tag, "SQ", text, length, 1, name))
        inner = indent + "  "
        if self.max_depth is not None and depth // 2 + 1 > self.max_depth:
            if items:
                lines.append(f"{inner}... {len(items)} item(s) not shown (max depth)")
            return
        item_header = struct.Struct("<L" if little else ">L")
        for item in items:
            (item_len,) = item_header.unpack_from(buf, item.offset + 4)
            item_undefined = item_len == UNDEFINED
            kind = "undefined" if item_undefined else "explicit"
            count = len({e.tag for e in item.elements})
            text = f"(Item with {kind} length #={count})"
            lines.append(_line(inner, 0xFFFEE000, "na", text, item_len, 1, "Item"))
            self.item(item, depth + 2, buf, little, encodings, pixel_rep)
            end = (
                "ItemDelimitationItem" if item_undefined else "ItemDelimitationItem for re-encoding"
            )
            lines.append(_line(inner, 0xFFFEE00D, "na", f"({end})", 0, 0, "ItemDelimitationItem"))
        end = "SequenceDelimitationItem" if undefined else "SequenceDelimitationItem for re-encod."
        lines.append(_line(indent, 0xFFFEE0DD, "na", f"({end})", 0, 0, "SequenceDelimitationItem"))

    def fragments(
        self,
        item: Any,
        el: Any,
        tag: int,
        vr: str,
        indent: str,
        mv: memoryview,
        creators: dict[tuple[int, int], str],
    ) -> None:
        """Encapsulated pixel data, as ``_Dumper._encapsulated`` shows it."""
        frags = el.fragments
        if not frags:
            raise _Fallback
        bot_pos, bot_len = frags[0]
        if bot_len % 4:
            raise _Fallback
        offsets = struct.unpack_from(f"<{bot_len // 4}L", mv, bot_pos)
        count = len(frags) - 1
        lines = self.lines
        inner = indent + "  "
        name = _private_name(tag, creators) if tag & 0x10000 else _public_name(tag)
        lines.append(_line(indent, tag, vr, f"(PixelSequence #={count + 1})", UNDEFINED, 1, name))
        eot = "no Extended Offset Table"
        table = item.by_tag.get(EXTENDED_OFFSET_TABLE)
        if table is not None:
            if table.length == UNDEFINED:
                raise _Fallback
            eot = f"Extended Offset Table with {table.length // 8} entries"
        lines.append(
            f"{inner}# {count} fragment(s), Basic Offset Table with {len(offsets)} entries, {eot}"
        )
        bot = mv[bot_pos : bot_pos + bot_len]
        text = self._bytes("OB", bot, "<") if bot_len else _EMPTY
        lines.append(_line(inner, 0xFFFEE000, "pi", text, bot_len, 1, "Item"))
        for pos, size in frags[1 : FRAGMENT_LINES + 1]:
            n = size if self.max_bytes is None else min(size, self.max_bytes)
            head = mv[pos : pos + n]
            text = _cut_values(head.hex("\\"), self.limit, n < size) if size else _EMPTY
            lines.append(_line(inner, 0xFFFEE000, "pi", text, size, 1, "Item"))
        if count > FRAGMENT_LINES:
            lines.append(f"{inner}... {count - FRAGMENT_LINES} more fragment(s) not shown")
        end = "SequenceDelimitationItem"
        lines.append(_line(indent, 0xFFFEE0DD, "na", f"({end})", 0, 0, end))


def _decoded_text(vr: str, value: bytes, charset: str | None) -> list[str] | None:
    """The values of a text element in another character set, as pydicom converts them
    (``dicom.values``); None for DS and IS (pydicom shows them as written, not as numbers)
    and for what ``dicom.values`` leaves to pydicom."""
    if vr in ("DS", "IS"):
        return None
    try:
        decoded = decode(vr, value, True, charset.strip(" \0") if charset else "")
    except Undecodable:
        return None
    if decoded is None:
        return []
    return decoded if isinstance(decoded, list) else [decoded]


def _charset(charset: Any, buf: Any) -> str | None:
    """The Specific Character Set's value (pydicom turns it into codecs when text needs it);
    None when empty: the enclosing data set's then applies, as in pydicom."""
    value = bytes(buf[charset.pos : charset.pos + charset.length])
    if not value.strip(b" \0"):
        return None
    return value.decode("latin-1")


_PRIVATE_VRS: dict[tuple[int, str], str] = {}


def _vr_of(tag: int, vr: str | None, creators: dict[int, str]) -> str:
    """The VR pydicom gives an element written with ``vr`` (None: implicit VR)."""
    creator = ""
    if tag & 0x10000 and tag & 0xFF00:
        creator = creators.get((tag & 0xFFFF0000) | (tag & 0xFFFF) >> 8, "")
    key = (tag if vr is None else -tag, creator)
    known = _PRIVATE_VRS.get(key)
    if known is None:
        # Length 0: pydicom's lookup without a value (UN is replaced whatever its length).
        known = element_vr(tag, vr, 0, creator)
        if len(_PRIVATE_VRS) < 100_000:
            _PRIVATE_VRS[key] = known
    return known
