"""The Part 10 reader: a byte-exact walk of a DICOM file (or of its bytes in memory).

It serves dump, info and validate. pydicom (rightly) hides how a file is encoded: duplicate
tags collapse, element order is sorted, the VR written in the file is replaced and odd lengths
are padded. Checks and a byte-exact dump need all of that, so this module walks the bytes
itself and builds a light tree: each ``Item`` (the top data set, a sequence item, the meta
group) lists its ``Element``s in file order. Values are not decoded here;
``ParsedFile.value`` reads an element's bytes when someone asks for them.

Structural defects (a bad item tag, a length past its container) are recorded as problems with
the path of the element they were found in, and parsing goes on after the broken container.

A file is complete only when its last element ends exactly at the end of the file, as dcmtk
reads it ("premature end of stream" otherwise). Whatever needs bytes past the end of the file
in a container that reaches it (the data set, and the sequences, items and pixel data of
undefined length in it: an element or item header cut short, a value or item longer than what
remains, no delimiter before the end) is one defect, coded ``truncated``: it ends the walk and
is recorded once, at the top (``data set: ...`` or ``file meta information: ...``), with the
path inside the tree where it was met. A length past the end of a defined-length container
that ends before the file does is a broken structure instead (the container was not cut).

Files are read whole, or memory-mapped from ``_MMAP_FROM`` bytes on: a value is only touched
when someone asks for it, so a large file costs its element tree, not its size.
"""

from __future__ import annotations

import os
import struct

from dicom_tools.dicom.dictionary import entry, keyword
from dicom_tools.dicom.syntaxes import DEFLATED, EXPLICIT_BE, IMPLICIT_LE
from dicom_tools.dicom.tags import ITEM, ITEM_END, PIXEL_DATA, format_tag
from dicom_tools.dicom.tags import SEQUENCE_END as SEQ_END
from dicom_tools.dicom.tags import UNDEFINED_LENGTH as UNDEFINED
from dicom_tools.dicom.vr import LONG_LENGTH_BYTES as _LONG_VRS
from dicom_tools.dicom.vr import VR_BYTES as _VR_BYTES

TYPE_CHECKING = False  # typing costs start-up time
if TYPE_CHECKING:
    from dicom_tools.dicom.source import Source

# What the reader walks: a file's bytes, a memory map of it, or bytes received in memory.
# (mmap and zlib are imported where a file is mapped or inflated: C modules cost start-up)
Buffer = bytes | bytearray | memoryview  # or an mmap.mmap
# Map files this large instead of reading them: a CT slice's pixel data is never copied (a
# series through `info` costs its headers), and mapping is no slower from here on.
_MMAP_FROM = 64 << 10
# What a summary (``keep``) reads of a larger file first: its element headers, mostly.
_HEAD = 16 << 10

# Element headers, unpacked in one call each: (group, element, VR, 16-bit length) as explicit
# VR writes them, (group, element, 32-bit length) as implicit VR and items do.
_EXPLICIT = {True: struct.Struct("<HH2sH").unpack_from, False: struct.Struct(">HH2sH").unpack_from}
_IMPLICIT = {True: struct.Struct("<HHL").unpack_from, False: struct.Struct(">HHL").unpack_from}
_LONG = {True: struct.Struct("<L").unpack_from, False: struct.Struct(">L").unpack_from}
_VR_TEXT = {vr: vr.decode() for vr in _VR_BYTES}


class Element:
    """One element as stored: tag, VR (as written, or from the dictionary when implicit),
    the length field, where its value starts, and its items or pixel fragments."""

    __slots__ = ("explicit", "fragments", "items", "le", "length", "offset", "pos", "tag", "vr")

    def __init__(
        self,
        tag: int,
        vr: str,
        length: int,
        offset: int,
        pos: int,
        explicit: bool,
        le: bool = True,
    ) -> None:
        self.tag = tag
        self.vr = vr
        self.length = length  # as written; UNDEFINED for undefined length
        self.offset = offset  # of the element's first byte
        self.pos = pos  # of the value's first byte
        self.explicit = explicit
        self.le = le
        self.items: list[Item] | None = None
        self.fragments: list[tuple[int, int]] | None = None  # (value position, length)

    @property
    def undefined(self) -> bool:
        return self.length == UNDEFINED

    @property
    def empty(self) -> bool:
        if self.items is not None:
            return not self.items
        if self.fragments is not None:
            return False
        return self.length == 0


class Item:
    """A data set or sequence item: its elements in file order, and by tag the last copy of
    each (a tag written twice: pydicom keeps the last, dcmdump the first)."""

    __slots__ = ("by_tag", "elements", "offset")

    def __init__(self, offset: int) -> None:
        self.offset = offset
        self.elements: list[Element] = []
        self.by_tag: dict[int, Element] = {}

    def get(self, tag: int) -> Element | None:
        return self.by_tag.get(tag)

    def __contains__(self, tag: int) -> bool:
        return tag in self.by_tag


class _Record:
    """Plain records compared and shown by their slots (no dataclasses: start-up time)."""

    __slots__ = ()

    _order: tuple[str, ...] = ()  # the fields, in the order of __init__

    def _fields(self) -> tuple:
        return tuple(getattr(self, name) for name in self._order)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._fields() == other._fields()  # type: ignore[attr-defined]

    __hash__ = None  # type: ignore[assignment]  # mutable, compared by value

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={getattr(self, k)!r}" for k in self._order)
        return f"{type(self).__name__}({fields})"


class Problem(_Record):
    """A structural defect met while walking the bytes."""

    _order = ("code", "message", "tag", "path")
    __slots__ = ("code", "message", "offset", "path", "tag")

    def __init__(
        self, code: str, message: str, tag: int | None, path: str, offset: int | None = None
    ) -> None:
        self.code = code
        self.message = message
        self.tag = tag
        self.path = path
        # Where the broken sequence item starts (bad-item, or an item longer than its
        # sequence): its header says how the file's errors word it (``dicom.failures``).
        self.offset = offset


class ParsedFile(_Record):
    """A walked file: its buffers, the meta group and data set trees, how it is encoded."""

    _order = (
        "path",
        "buffer",
        "meta_buffer",
        "preamble",
        "prefix",
        "meta",
        "meta_end",
        "dataset",
        "transfer_syntax",
        "explicit",
        "little",
        "deflated",
        "problems",
    )
    __slots__ = (*sorted(_order), "head_only")

    def __init__(
        self,
        path: str,  # the file's path as text, or an in-memory instance's name
        buffer: Buffer,  # the file, or for a deflated file the inflated data set
        meta_buffer: Buffer,
        preamble: bool,  # 128-byte preamble followed by "DICM"
        prefix: bool,  # "DICM" seen (with or without preamble)
        meta: Item,
        meta_end: int,
        dataset: Item,
        transfer_syntax: str | None,  # as the meta group names it, padding removed
        explicit: bool,  # how the data set is actually encoded
        little: bool,
        deflated: bool,
        problems: list[Problem] | None = None,
    ) -> None:
        self.path = path
        self.buffer = buffer
        self.meta_buffer = meta_buffer
        self.preamble = preamble
        self.prefix = prefix
        self.meta = meta
        self.meta_end = meta_end
        self.dataset = dataset
        self.transfer_syntax = transfer_syntax
        self.explicit = explicit
        self.little = little
        self.deflated = deflated
        self.problems = [] if problems is None else problems
        # ``buffer`` holds only the head of the file (``parse_file(keep=...)``): values past
        # it are read from the file when asked for.
        self.head_only = False

    def value(self, elem: Element, limit: int | None = None) -> bytes:
        """The stored bytes of ``elem`` (at most ``limit`` of them)."""
        if elem.length == UNDEFINED or elem.items is not None:
            return b""
        n = elem.length if limit is None else min(elem.length, limit)
        buf = self.meta_buffer if elem.tag >> 16 == 2 and elem.pos < self.meta_end else self.buffer
        if self.head_only and elem.pos + n > len(buf):
            with open(self.path, "rb") as f:
                f.seek(elem.pos)
                return f.read(n)
        return bytes(buf[elem.pos : elem.pos + n])

    def close(self) -> None:
        for buf in (self.buffer, self.meta_buffer):
            if getattr(buf, "closed", True) is False:  # a memory map still open
                try:  # noqa: SIM105  (contextlib would cost every command's start-up)
                    buf.close()
                except BufferError:  # a view of it still held: unmapped when the last goes
                    pass


class _Broken(Exception):
    def __init__(
        self, message: str, code: str = "broken-structure", offset: int | None = None
    ) -> None:
        super().__init__(message)
        self.code = code
        self.offset = offset


def _name(tag: int) -> str:
    return keyword(tag) or format_tag(tag)


class _NeedMore(Exception):
    """The walk of a file's head needs bytes past it: walk the whole file instead."""


# What a summary walk records inside sequence items: only their own sequences (walked through).
_NOTHING: frozenset[int] = frozenset()

# A header and the 4 bytes after it (an item tag) read at a position: the head must hold them.
_LOOKAHEAD = 16


class _Walker:
    """Walks elements of one encoding; nested UN values switch to implicit little endian.

    ``buf`` may hold only the head of a file of ``size`` bytes (``parse_file(keep=...)``):
    the walk then raises ``_NeedMore`` where it would read past the head. With ``keep``, the
    top level of the data set (``top``) records only those tags, and sequence items nothing,
    but every sequence and undefined length (walked through): the others are checked and
    skipped.
    """

    def __init__(
        self,
        buf: Buffer,
        problems: list[Problem],
        size: int | None = None,
        keep: frozenset[int] | None = None,
    ) -> None:
        self.buf = buf
        self.size = len(buf) if size is None else size
        self.avail = len(buf)
        self.partial = self.avail < self.size
        # the last position whose header (and look-ahead) the buffer holds
        self.limit = self.avail - _LOOKAHEAD if self.partial else self.size + 1
        self.problems = problems
        # the containers being walked: (sequence tag, item index), named only for a message
        # (looking a keyword up loads the data dictionary)
        self.stack: list[tuple[int, int]] = []
        self.keep = keep
        self.top: Item | None = None

    def path(self, tag: int | None = None) -> str:
        parts = [f"{_name(seq)}[{index}]" for seq, index in self.stack]
        if tag is not None:
            parts.append(_name(tag))
        return ".".join(parts)

    def problem(self, code: str, message: str, tag: int | None, offset: int | None = None) -> None:
        self.problems.append(Problem(code, message, tag, self.path(tag), offset))

    def _where(self) -> str:
        return f" in {self.path()}" if self.stack else ""

    def _header_cut(self, what: str, pos: int, size: int) -> _Broken:
        """The end of the file inside the header of ``what``, ``size`` bytes long."""
        return _Broken(
            f"{what} header cut after {self.size - pos} of {size} bytes at byte {pos}"
            f"{self._where()}",
            "truncated",
        )

    def _no_item_header(
        self, el: Element, pos: int, end: int, number: int, otherwise: str
    ) -> _Broken:
        """Fewer than 8 bytes where item ``number`` of ``el`` (or its delimiter) belongs: the
        end of the file, or (``otherwise``) the end of its container."""
        if pos >= end >= self.size:
            return _Broken(
                f"end of file inside {self.path(el.tag)} before its Sequence Delimitation Item",
                "truncated",
            )
        if end >= self.size:
            return self._header_cut(f"item {number} of {format_tag(el.tag)}", pos, 8)
        return _Broken(otherwise)

    def _element_cut(self, pos: int, explicit: bool, little: bool) -> _Broken:
        """An element header that the end of the file cuts short: its tag when 4 bytes remain,
        its header's size from its VR (as written, else the dictionary's)."""
        if self.size - pos < 4:
            return self._header_cut("element", pos, 8)
        group, elem = struct.unpack_from("<HH" if little else ">HH", self.buf, pos)
        tag = group << 16 | elem
        vr = bytes(self.buf[pos + 4 : pos + 6])
        if len(vr) < 2:  # not written yet: as the dictionary has it
            known = entry(tag)
            vr = known.vr.encode() if known else b""
        size = 12 if explicit and vr in _LONG_VRS else 8
        return self._header_cut(f"element {format_tag(tag)}", pos, size)

    def walk(
        self, pos: int, end: int, explicit: bool, little: bool, item: Item, in_item: bool
    ) -> int:
        """Read elements from ``pos`` into ``item`` until ``end`` or an Item Delimiter."""
        buf = self.buf
        explicit_header = _EXPLICIT[little]
        implicit_header = _IMPLICIT[little]
        long_length = _LONG[little]
        long_vrs, vr_text = _LONG_VRS, _VR_TEXT
        append, by_tag = item.elements.append, item.by_tag
        limit = self.limit
        keep = self.keep if item is self.top or self.keep is None else _NOTHING
        while pos < end:
            if pos > limit:
                raise _NeedMore
            if pos + 8 > end:
                if end >= self.size:
                    raise self._element_cut(pos, explicit, little)
                raise _Broken(f"{end - pos} stray byte(s) at byte {pos}", "trailing-bytes")
            if explicit:
                group, elem, vr_bytes, length = explicit_header(buf, pos)
            else:
                group, elem, length = implicit_header(buf, pos)
            tag = group << 16 | elem
            if group == 0xFFFE:
                if tag == ITEM_END and in_item:
                    return pos + 8
                raise _Broken(f"unexpected delimiter {format_tag(tag)} at byte {pos}")
            if explicit:
                if vr_bytes in long_vrs:
                    if pos + 12 > end:
                        if end >= self.size:
                            raise self._element_cut(pos, explicit, little)
                        raise _Broken(
                            f"element {format_tag(tag)} at byte {pos}: header runs past its "
                            "container",
                            "length-overrun",
                        )
                    (length,) = long_length(buf, pos + 8)
                    start = pos + 12
                    vr = vr_text[vr_bytes]
                else:
                    start = pos + 8
                    vr = vr_text.get(vr_bytes)  # type: ignore[assignment]
                    if vr is None:
                        raise _Broken(
                            f"element {format_tag(tag)} at byte {pos} has an invalid VR "
                            f"{bytes(vr_bytes)!r}",
                            "bad-vr",
                        )
            else:
                start = pos + 8
                known = entry(tag)
                vr = known.vr if known else ("SQ" if length == UNDEFINED else "UN")
            if (
                keep is not None
                and tag not in keep
                and start + length <= end  # (an undefined length never is)
                and vr != "SQ"
                and vr != "UN"
            ):
                pos = start + length  # checked and skipped: not asked for
                continue
            el = Element(tag, vr, length, pos, start, explicit, little)
            append(el)
            by_tag[tag] = el  # a repeated tag: the last copy, as pydicom keeps
            if length == UNDEFINED:
                pos = self._undefined(el, explicit, little, end)
                continue
            if start + length <= end:  # the common case: a value inside its container
                if vr == "SQ":
                    self._sequence(el, start, start + length, explicit, little)
                elif vr == "UN" and self._starts_item(start, length):
                    self._tentative_sequence(el, start, start + length)
                pos = start + length
                continue
            if end >= self.size:
                raise _Broken(
                    f"element {format_tag(tag)} needs {length} bytes, "
                    f"{max(self.size - start, 0)} remain{self._where()}",
                    "truncated",
                )
            raise _Broken(
                f"element {format_tag(tag)} at byte {pos} claims {length} bytes, "
                f"{max(end - start, 0)} remain in its container",
                "length-overrun",
            )
        if in_item:
            if end >= self.size:
                raise _Broken(
                    f"end of file inside {self.path()} before its Item Delimitation Item",
                    "truncated",
                )
            raise _Broken("item without an Item Delimitation Item")
        return pos

    def _tentative_sequence(self, el: Element, start: int, end: int) -> None:
        """A UN value that starts like a sequence (implicit VR little endian, PS3.5 6.2.2) is
        read as one; if it does not parse, it stays an opaque value."""
        known = len(self.problems)
        try:
            self._sequence(el, start, end, False, True)
            parsed = len(self.problems) == known
        except _Broken:  # an item claiming bytes past the end of the file
            parsed = False
        if not parsed:
            del self.problems[known:]
            el.items = None

    def _starts_item(self, start: int, length: int) -> bool:
        return length >= 8 and bytes(self.buf[start : start + 4]) == b"\xfe\xff\x00\xe0"

    def _undefined(self, el: Element, explicit: bool, little: bool, end: int) -> int:
        if el.tag == PIXEL_DATA or (el.vr in ("OB", "OW") and explicit):
            if el.tag != PIXEL_DATA:
                self.problem("undefined-length", "undefined length on a non-sequence", el.tag)
            return self._fragments(el, el.pos, end, little)
        if el.vr == "UN":  # PS3.5 6.2.2: its items are implicit VR little endian
            return self._sequence(el, el.pos, end, False, True, undefined=True)
        if el.vr != "SQ":
            self.problem(
                "undefined-length", f"undefined length is not allowed for VR {el.vr}", el.tag
            )
        return self._sequence(el, el.pos, end, explicit, little, undefined=True)

    def _sequence(
        self,
        el: Element,
        pos: int,
        end: int,
        explicit: bool,
        little: bool,
        undefined: bool = False,
    ) -> int:
        """Read the items of ``el``; on a defect, record it and skip the rest of ``el``."""
        el.items = []
        l_ = "<L" if little else ">L"
        hh = "<HH" if little else ">HH"
        complete = 0  # items read to their end; a broken one is dropped, not checked
        try:
            while pos < end or undefined:
                if pos + 8 > end:
                    raise self._no_item_header(
                        el,
                        pos,
                        end,
                        len(el.items) + 1,
                        f"sequence runs past its container at byte {pos}",
                    )
                if pos > self.limit:
                    raise _NeedMore
                group, elem = struct.unpack_from(hh, self.buf, pos)
                tag = group << 16 | elem
                (length,) = struct.unpack_from(l_, self.buf, pos + 4)
                if tag == SEQ_END and undefined:
                    if length:
                        self.problem("bad-delimiter", "sequence delimiter with length", el.tag)
                    return pos + 8
                if tag != ITEM:
                    raise _Broken(
                        f"item {len(el.items) + 1} at byte {pos} has tag {format_tag(tag)} "
                        "instead of (FFFE,E000)",
                        "bad-item",
                        pos,
                    )
                if length != UNDEFINED and pos + 8 + length > end >= self.size:
                    raise _Broken(
                        f"item {len(el.items) + 1} of {format_tag(el.tag)} needs {length} "
                        f"bytes, {self.size - pos - 8} remain{self._where()}",
                        "truncated",
                    )
                item = Item(pos)
                el.items.append(item)
                self.stack.append((el.tag, len(el.items) - 1))
                try:
                    if length == UNDEFINED:
                        pos = self.walk(pos + 8, end, explicit, little, item, True)
                    else:
                        if pos + 8 + length > end:
                            raise _Broken(
                                f"item at byte {pos} claims {length} bytes, more than its "
                                "sequence holds",
                                "length-overrun",
                                pos,
                            )
                        self.walk(pos + 8, pos + 8 + length, explicit, little, item, False)
                        pos += 8 + length
                finally:
                    self.stack.pop()
                complete += 1
        except _Broken as exc:
            del el.items[complete:]
            if exc.code == "truncated":
                raise  # the file ends here: nothing after it to go on with
            self.problem(exc.code, f"broken sequence: {exc}", el.tag, exc.offset)
            if undefined:
                raise _Broken(f"cannot find the end of {_name(el.tag)}") from None
            return end
        return pos

    def _fragments(self, el: Element, pos: int, end: int, little: bool) -> int:
        if self.partial:  # fragments are spread over the whole file
            raise _NeedMore
        el.fragments = []
        fmt = "<HHL" if little else ">HHL"
        while True:
            if pos + 8 > end:
                raise self._no_item_header(
                    el,
                    pos,
                    end,
                    len(el.fragments) + 1,
                    "encapsulated pixel data has no Sequence Delimitation Item",
                )
            group, elem, length = struct.unpack_from(fmt, self.buf, pos)
            tag = group << 16 | elem
            if tag == SEQ_END:
                if length:
                    self.problem("bad-delimiter", "sequence delimiter with length", el.tag)
                return pos + 8
            if tag == ITEM and length != UNDEFINED and pos + 8 + length > end >= self.size:
                raise _Broken(
                    f"item {len(el.fragments) + 1} of {format_tag(el.tag)} needs {length} "
                    f"bytes, {self.size - pos - 8} remain{self._where()}",
                    "truncated",
                )
            if tag != ITEM or length == UNDEFINED or pos + 8 + length > end:
                raise _Broken(
                    f"pixel data fragment {len(el.fragments)} at byte {pos} is not an item "
                    f"of defined length inside the file (tag {format_tag(tag)})",
                    "bad-fragment",
                )
            el.fragments.append((pos + 8, length))
            pos += 8 + length


def _detect(buf: Buffer, pos: int, explicit: bool, little: bool) -> tuple[bool, bool]:
    """How the data set at ``pos`` is really encoded, starting from what is expected."""
    head = bytes(buf[pos : pos + 8])
    if len(head) < 8:
        return explicit, little
    le_group = head[0] | head[1] << 8
    be_group = head[1] | head[0] << 8
    if le_group & 0xFF00 and not be_group & 0xFF00:
        little = False
    elif be_group & 0xFF00 and not le_group & 0xFF00:
        little = True
    explicit = head[4:6] in _VR_BYTES
    return explicit, little


def parse_file(
    path: str | os.PathLike[str], *, mapped: bool = False, keep: frozenset[int] | None = None
) -> ParsedFile:
    """Walk the file at ``path``; raises ``ValueError`` only when nothing resembling DICOM is
    there (``OSError`` if it cannot be read). Call ``close()`` when done with a large file.
    ``mapped``: map it whatever its size, for a walk that reads no value (a check of the
    file's structure costs its element headers, not its size in memory).

    ``keep``: the tags a summary needs. The walk still checks every element (a file is
    complete only when its last element ends at its end) but records only these at the top
    level of the data set, and reads only the head of a large file when its element headers
    all lie there (a CT slice: its pixel data is skipped by length, never read or mapped);
    ``value`` reads what lies past the head from the file."""
    path = os.fspath(path)  # no pathlib on the header path: it costs more than a header
    size = os.stat(path).st_size
    with open(path, "rb", buffering=0) as f:
        if keep is not None and size > _HEAD:
            head = f.read(_HEAD)
            try:
                parsed = _parse(head, path, size, keep)
            except _NeedMore:  # headers past the head (encapsulated pixel data...)
                pass
            else:
                parsed.head_only = True
                return parsed
        if size >= _MMAP_FROM or (mapped and size):
            import mmap

            buf: Buffer = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        else:
            f.seek(0)
            buf = f.readall()
    return _parse(buf, path, keep=keep)


def parse_bytes(data: Buffer, name: str = "<memory>") -> ParsedFile:
    """Walk a Part 10 instance held in memory (``bytes``, ``bytearray``, ``mmap``); the same
    tree as ``parse_file`` gives for a file of these bytes. ``name`` names it in messages."""
    return _parse(data, name)


def parse_source(
    src: Source, *, mapped: bool = False, keep: frozenset[int] | None = None
) -> ParsedFile:
    """Walk an input: a file as ``parse_file`` does (mapped when large, or when ``mapped``;
    ``keep`` as there), an instance held in memory from its bytes, with no copy and no temp
    file. ``ParsedFile.path`` is the input's path, or its name for an instance in memory."""
    if src.filename is not None:
        return parse_file(src.filename, mapped=mapped, keep=keep)
    return _parse(src.read_bytes(), src.name, keep=keep)


def _parse(
    buf: Buffer, path: str, size: int | None = None, keep: frozenset[int] | None = None
) -> ParsedFile:
    """The tree of ``buf``: a whole file, or the head of a file of ``size`` bytes."""
    problems: list[Problem] = []
    preamble = bytes(buf[128:132]) == b"DICM"
    prefix = preamble or bytes(buf[:4]) == b"DICM"
    pos = 132 if preamble else (4 if prefix else 0)
    walker = _Walker(buf, problems, size)

    # The meta group: explicit VR little endian, group 0002 only.
    meta = Item(pos)
    meta_end = pos
    if prefix or bytes(buf[0:2]) == b"\x02\x00":
        meta_end = _meta_end(buf, pos)
        if walker.partial and meta_end > walker.limit:
            raise _NeedMore
        explicit_meta = _detect(buf, pos, True, True)[0]
        try:
            walker.walk(pos, meta_end, explicit_meta, True, meta, False)
        except _Broken as exc:
            problems.append(Problem(exc.code, f"file meta information: {exc}", None, ""))
        if not explicit_meta:
            problems.append(
                Problem(
                    "meta-encoding",
                    "file meta information is not encoded in explicit VR little endian",
                    None,
                    "",
                )
            )
        pos = meta_end

    ts_elem = meta.get(0x00020010)
    ts = None
    if ts_elem is not None:
        ts = (
            bytes(buf[ts_elem.pos : ts_elem.pos + ts_elem.length])
            .rstrip(b"\x00 ")
            .decode("ascii", "replace")
        )
    explicit = ts != IMPLICIT_LE
    little = ts != EXPLICIT_BE
    deflated = ts == DEFLATED
    meta_buffer = buf
    if deflated and walker.partial:
        raise _NeedMore
    if deflated:
        import zlib

        inflater = zlib.decompressobj(-zlib.MAX_WBITS)
        try:
            buf = inflater.decompress(bytes(buf[pos:]))
        except zlib.error as exc:
            raise ValueError(f"deflated data set cannot be inflated: {exc}") from None
        if not inflater.eof:  # bytes after its end are ignored, as dcmtk does
            problems.append(
                Problem(
                    "truncated",
                    "data set: the deflated data set ends before its compressed stream does",
                    None,
                    "",
                )
            )
        pos = 0
        walker = _Walker(buf, problems)
    explicit, little = _detect(buf, pos, explicit, little)
    dataset = Item(pos)
    walker.keep, walker.top = keep, dataset
    try:
        walker.walk(pos, walker.size, explicit, little, dataset, False)
    except _Broken as exc:
        problems.append(Problem(exc.code, f"data set: {exc}", None, ""))
    return ParsedFile(
        path=path,
        buffer=buf,
        meta_buffer=meta_buffer,
        preamble=preamble,
        prefix=prefix,
        meta=meta,
        meta_end=meta_end,
        dataset=dataset,
        transfer_syntax=ts,
        explicit=explicit,
        little=little,
        deflated=deflated,
        problems=problems,
    )


def _meta_end(buf: Buffer, pos: int) -> int:
    """Where group 0002 ends: the first element of another group (lengths read as explicit)."""
    size = len(buf)
    while pos + 2 <= size:
        group = buf[pos] | buf[pos + 1] << 8
        if group != 2:
            return pos
        vr = bytes(buf[pos + 4 : pos + 6])
        if pos + (12 if vr in _LONG_VRS else 8) > size:
            break  # its header is cut short
        if vr in _LONG_VRS:
            (length,) = struct.unpack_from("<L", buf, pos + 8)
            pos += 12 + length
        elif vr in _VR_BYTES:
            (length,) = struct.unpack_from("<H", buf, pos + 6)
            pos += 8 + length
        else:  # implicit VR meta (non-conformant, reported by the caller)
            (length,) = struct.unpack_from("<L", buf, pos + 4)
            pos += 8 + length
    # The file ends in the meta group (a value, or a header cut short): its walk says where.
    return size
