"""The dump the pydicom way, for the files the streaming dump leaves to it.

Those are the unusual ones: a structural defect (whose message ``read_dataset`` gives), no
preamble or File Meta Information, a deflated data set, sequences in UN, repeated tags, VRs
pydicom resolves from context. Imported only for them: pydicom stays off the usual path.

How it stays fast: ``read_dataset(defer_size=0)`` checks the file's structure but leaves values
unread, and the dump decodes plain values (ASCII text, numbers, tags, binary) straight from
the bytes of a memory map; pydicom's conversion is kept for what needs it. Lengths are the
value lengths in the file: raw elements carry them; for the few elements pydicom converted
while reading and for sequence items, they are read back from the headers in the file.
"""

from __future__ import annotations

import contextlib
import mmap
import struct
import zlib
from collections.abc import Iterator
from io import BytesIO
from pathlib import Path
from typing import Any, NamedTuple

from pydicom.dataelem import DataElement, RawDataElement
from pydicom.dataset import Dataset
from pydicom.encaps import parse_basic_offsets, parse_fragments
from pydicom.fileutil import read_undefined_length_value
from pydicom.hooks import hooks
from pydicom.multival import MultiValue
from pydicom.tag import SequenceDelimiterTag

from dicom_tools.dicom.dictionary import uid_name
from dicom_tools.dicom.source import Source, as_source
from dicom_tools.dicom.syntaxes import DEFLATED as _DEFLATED
from dicom_tools.dicom.tags import EXTENDED_OFFSET_TABLE as _EXTENDED_OFFSET_TABLE
from dicom_tools.dicom.tags import UNDEFINED_LENGTH as _UNDEFINED
from dicom_tools.dicom.vr import LONG_LENGTH_BYTES as _LONG_VRS
from dicom_tools.dicom.vr import NUMBER_FORMATS
from dicom_tools.dicom.vr import SHORT_LENGTH_BYTES as _SHORT_VRS
from dicom_tools.dicom.vr import STRINGS as _STRING_VRS
from dicom_tools.dump.layout import (
    _BINARY_VRS,
    _CONTROL,
    _EMPTY,
    _FLOAT_TEXT,
    _PAD,
    FRAGMENT_LINES,
    Formatter,
    _cut,
    _cut_values,
    _line,
    _private_name,
    _public_name,
    _tag_text,
    _text,
)
from dicom_tools.errors import InputError
from dicom_tools.io import read_dataset

_ITEM_TAG_LE = b"\xfe\xff\x00\xe0"
# The VR of a public tag in implicit VR depends only on the tag (the data dictionary).
_IMPLICIT_VRS: dict[int, str] = {}


def dump_pydicom(
    path: Path | Source, max_depth: int | None, limit: int | None
) -> tuple[str, Dataset]:
    """The dump text of ``path`` (a file, or a ``Source`` that may be in memory) and the data
    set pydicom read (raises InputError)."""
    ds = read_dataset(path, defer_size=0)
    with _frames(path, ds) as (meta_frame, data_frame):
        text = _Dumper(ds, max_depth, limit, path).run(meta_frame, data_frame)
    return text, ds


# --- where the bytes are -------------------------------------------------------------------


class _Frame(NamedTuple):
    """The bytes that the positions pydicom recorded for one data set's elements point into.

    pydicom records positions relative to what it parsed: the file (or the inflated stream) for
    the data set and for sequences read along with it, the sequence value for sequences it
    converted later; ``buf[position + shift]`` is the byte at ``position``.
    """

    buf: Any
    shift: int
    endian: str
    implicit: bool


@contextlib.contextmanager
def _frames(path: Path | Source, ds: Dataset) -> Iterator[tuple[_Frame, _Frame]]:
    """The frames of the meta group and of the data set, over a memory map of the file (or
    over the bytes of an instance held in memory)."""
    implicit, little = ds.original_encoding
    endian = ">" if little is False else "<"
    with contextlib.ExitStack() as stack:
        if isinstance(path, Source) and path.in_memory:
            mm: Any = path.read_bytes()
        else:
            f = stack.enter_context(open(as_source(path).path, "rb"))  # type: ignore[arg-type]
            mm = stack.enter_context(mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ))
        meta_frame = _Frame(mm, 0, "<", False)  # always explicit VR little endian
        buf: Any = mm
        if ds.file_meta.get("TransferSyntaxUID") == _DEFLATED:
            # A deflated data set's positions are in the inflated stream, as pydicom read it.
            buf = _inflate(mm, ds.file_meta, meta_frame)
            if buf is None:
                raise InputError(f"{path}: cannot inflate the deflated data set")
        yield meta_frame, _Frame(buf, 0, endian, bool(implicit))


def _inflate(mm: mmap.mmap | bytes, meta: Dataset, frame: _Frame) -> bytes | None:
    end = 0
    for elem in meta._dict.values():
        length = _length(elem, (frame,))
        tell = elem.value_tell if isinstance(elem, RawDataElement) else elem.file_tell
        if length is not None and tell is not None:
            end = max(end, tell + length)
    try:
        return zlib.decompress(mm[end:], -zlib.MAX_WBITS)
    except zlib.error:
        return None


def _read_deferred(raw: RawDataElement, frame: _Frame) -> bytes | None:
    """A value ``read_dataset(defer_size=0)`` left unread, from the file (or inflated stream)."""
    buf, pos = frame.buf, raw.value_tell + frame.shift
    if buf is None:
        return None
    if raw.length != _UNDEFINED:
        return buf[pos : pos + raw.length]
    # Undefined length (encapsulated pixel data): up to the sequence delimiter, as pydicom reads.
    reader = buf if isinstance(buf, mmap.mmap) else BytesIO(buf)
    reader.seek(pos)
    return read_undefined_length_value(reader, frame.endian == "<", SequenceDelimiterTag)


def _prefill(ds: Dataset, frame: _Frame) -> None:
    """Read the values pydicom consults while converting other elements: the image pixel
    module (ambiguous VRs such as US or SS), the waveform's bits, the private creators (VRs of
    private tags in implicit VR). Left deferred, pydicom would reopen the file for each one,
    and cannot at all in a deflated file.
    """
    elems = ds._dict
    for key, raw in list(elems.items()):
        tag = int(key)
        if (
            (tag >> 16 == 0x0028 or tag == 0x54001004 or (tag & 0x10000 and tag & 0xFF00 == 0))
            and raw.__class__ is RawDataElement
            and raw.value is None
            and raw.length
            and raw.length != _UNDEFINED
        ):
            elems[key] = _filled(raw, _read_deferred(raw, frame))


def _reader(frame: _Frame, position: int) -> Any:
    """A file-like object positioned at ``position`` of the frame (no copy of the bytes)."""
    if frame.buf is None:
        return None
    reader = frame.buf if isinstance(frame.buf, mmap.mmap) else BytesIO(frame.buf)
    reader.seek(position + frame.shift)
    return reader


def _filled(raw: RawDataElement, value: bytes | None) -> RawDataElement:
    return RawDataElement(
        raw.tag,
        raw.VR,
        raw.length,
        value,
        raw.value_tell,
        raw.is_implicit_VR,
        raw.is_little_endian,
    )


# --- text ----------------------------------------------------------------------------------


class _Dumper(Formatter):
    def __init__(
        self, ds: Dataset, max_depth: int | None, limit: int | None, path: Path | None = None
    ) -> None:
        super().__init__(max_depth, limit)
        self.ds = ds
        self.path = path

    def run(self, meta_frame: _Frame, data_frame: _Frame) -> str:
        ds, lines = self.ds, self.lines
        meta = ds.file_meta
        if meta is not None and len(meta):
            lines += ["", "# Dicom-File-Format", "", "# Dicom-Meta-Information-Header"]
            lines.append("# Used TransferSyntax: Explicit VR Little Endian")
            self.dataset(meta, 0, (meta_frame,))
            lines.append("")
        ts = meta.get("TransferSyntaxUID") if meta is not None else None
        lines += ["# Dicom-Data-Set", f"# Used TransferSyntax: {_ts_name(ts, data_frame)}"]
        _prefill(ds, data_frame)
        self.dataset(ds, 0, (data_frame,))
        return "\n".join(lines)

    def dataset(self, d: Dataset, depth: int, frames: tuple[_Frame, ...]) -> None:
        """One data set (the meta group, the data set or a sequence item) at ``depth``.

        The hot loop of the dump: plain values are decoded and formatted inline.
        """
        lines, limit = self.lines, self.limit
        indent = "  " * depth
        creators: dict[tuple[int, int], str] = {}
        elems = d._dict
        frame = frames[0]
        buf, shift = frame.buf, frame.shift
        implicit_vrs = _IMPLICIT_VRS
        # BaseTag compares and hashes in Python: sort and look up plain ints.
        for key in sorted(elems, key=int):
            raw = elems[key]
            tag = int(key)
            if raw.__class__ is not RawDataElement:
                # Converted while reading: sequences of undefined length, the character set,
                # empty values (read_dataset converts those it did not defer).
                length = _length(raw, frames)
                if raw.VR == "SQ" or raw.is_undefined_length or " or " in raw.VR:
                    self._converted(d, key, raw, length, depth, frames, creators)
                    continue
                if tag & 0x10000 and 0x10 <= tag & 0xFFFF <= 0xFF and isinstance(raw.value, str):
                    creators[(tag >> 16, tag & 0xFF)] = raw.value.strip()
                text, vm = self._value(raw.VR, raw.value, frame.endian)
                name = _private_name(tag, creators) if tag & 0x10000 else _public_name(tag)
                lines.append(_line(indent, tag, raw.VR, text, length, vm, name))
                continue
            value, length, vr = raw.value, raw.length, raw.VR
            if vr is None and not tag & 0x10000:  # implicit VR, public: the dictionary's VR
                vr = implicit_vrs.get(tag)
                if vr is None:
                    vr = implicit_vrs[tag] = _raw_vr(raw, d)
            elif vr is None or vr == "UN":
                vr = _raw_vr(raw, d)
            if value is None and length:  # left unread by read_dataset(defer_size=0)
                if length != _UNDEFINED:
                    if buf is not None:
                        pos = raw.value_tell + shift
                        value = buf[pos : pos + length]
                elif self._encapsulated(
                    d, tag, vr, indent, _reader(frame, raw.value_tell), creators
                ):
                    continue  # encapsulated pixel data, summarised where it lies
                else:
                    value = _read_deferred(raw, frame)
            shown = None
            if length == _UNDEFINED:
                pass
            elif vr in _STRING_VRS:
                shown = _text(value, vr, limit)
            elif vr in NUMBER_FORMATS:
                shown = self._numbers(value, vr, raw.is_little_endian)
            elif vr in _BINARY_VRS and len(vr) == 2:
                shown = (self._bytes(vr, value, frame.endian), 1) if value else (_EMPTY, 1)
            elif vr == "AT":
                shown = self._tags(value, raw.is_little_endian)
            if shown is None:  # pydicom converts it: give it the value
                if value is not raw.value:
                    elems[key] = raw = _filled(raw, value)
                self._converted(d, key, raw, length, depth, frames, creators)
                continue
            text, vm = shown
            if tag & 0x10000:  # private
                name = _private_name(tag, creators)
                if 0x10 <= tag & 0xFFFF <= 0xFF and vm and vr in _STRING_VRS:
                    creators[(tag >> 16, tag & 0xFF)] = value.decode("ascii").strip(" \0")
            else:
                name = _public_name(tag)
            body = f"{vr} {text}"
            tag_text = _tag_text(tag)
            lines.append(f"{indent}{tag_text} {body:<{_PAD}} # {length:>3},{vm:>2} {name}")

    def _converted(
        self,
        d: Dataset,
        key: Any,
        raw: Any,
        length: int | None,
        depth: int,
        frames: tuple[_Frame, ...],
        creators: dict[tuple[int, int], str],
    ) -> None:
        """An element converted by pydicom: sequences, other character sets, odd VRs."""
        indent = "  " * depth
        tag = int(key)
        name = _private_name(tag, creators) if tag & 0x10000 else _public_name(tag)
        try:
            elem = d[key]
        except Exception as exc:  # a value pydicom cannot convert: show its bytes
            value = getattr(raw, "value", None)
            data = value if isinstance(value, bytes) else b""
            vr = getattr(raw, "VR", None) or "UN"
            text = self._bytes("OB", data, frames[0].endian) if data else _EMPTY
            self.lines.append(_line(indent, tag, vr, text, length, 1, name))
            self.lines.append(f"{indent}# cannot convert the value: {' '.join(str(exc).split())}")
            return
        vr, value = elem.VR, elem.value
        if vr == "SQ":
            self._sequence(elem, length, name, depth, frames)
            return
        if tag & 0x10000 and 0x10 <= tag & 0xFFFF <= 0xFF and isinstance(value, str):
            creators[(tag >> 16, tag & 0xFF)] = value.strip()
        if (
            elem.is_undefined_length
            and isinstance(value, bytes)
            and value[:4] == _ITEM_TAG_LE
            and self._encapsulated(d, tag, vr, indent, BytesIO(value), creators)
        ):
            return
        text, vm = self._value(vr, value, frames[0].endian)
        self.lines.append(_line(indent, tag, vr, text, length, vm, name))

    def _sequence(
        self,
        elem: DataElement,
        length: int | None,
        name: str,
        depth: int,
        frames: tuple[_Frame, ...],
    ) -> None:
        lines = self.lines
        indent = "  " * depth
        items = elem.value
        if depth == 0:
            self._check_items(elem, frames[0])
        undefined = elem.is_undefined_length or length == _UNDEFINED
        kind = "undefined" if undefined else "explicit"
        text = f"(Sequence with {kind} length #={len(items)})"
        lines.append(_line(indent, int(elem.tag), "SQ", text, length, 1, name))
        inner = indent + "  "
        # ``depth`` counts indentation (items and their elements): sequence level is half of it.
        if self.max_depth is not None and depth // 2 + 1 > self.max_depth:
            if items:
                lines.append(f"{inner}... {len(items)} item(s) not shown (max depth)")
            return
        # Item positions are in this data set's frame. The items' elements are in the same frame
        # when pydicom read the sequence along with the data set (undefined length), else
        # relative to the sequence value; the other frame is the fallback (e.g. a UN of undefined
        # length, read as bytes and converted later).
        same = frames[0]
        inside = same._replace(shift=same.shift + (elem.file_tell or 0))
        child = (same, inside) if elem.is_undefined_length else (inside, same)
        for item in items:
            item_undefined = bool(getattr(item, "is_undefined_length_sequence_item", False))
            item_len = _UNDEFINED if item_undefined else _item_length(item, frames)
            kind = "undefined" if item_undefined else "explicit"
            text = f"(Item with {kind} length #={len(item._dict)})"
            lines.append(_line(inner, 0xFFFEE000, "na", text, item_len, 1, "Item"))
            self.dataset(item, depth + 2, child)
            end = (
                "ItemDelimitationItem" if item_undefined else "ItemDelimitationItem for re-encoding"
            )
            lines.append(_line(inner, 0xFFFEE00D, "na", f"({end})", 0, 0, "ItemDelimitationItem"))
        end = "SequenceDelimitationItem" if undefined else "SequenceDelimitationItem for re-encod."
        lines.append(_line(indent, 0xFFFEE0DD, "na", f"({end})", 0, 0, "SequenceDelimitationItem"))

    def _check_items(self, elem: DataElement, frame: _Frame) -> None:
        """Reject a top-level sequence whose items do not start with an Item tag, or claim more
        bytes than there are, as dcmtk does (pydicom reads on).

        ``read_dataset`` checks this for the sequences it converts; with ``defer_size=0`` it
        converts none of the defined-length ones, so the check is made here.
        """
        buf = frame.buf
        if buf is None:
            return
        size = len(buf)
        header = struct.Struct(f"{frame.endian}HHL")
        for n, item in enumerate(elem.value, 1):
            pos = getattr(item, "seq_item_tell", None)
            if pos is None:
                continue
            pos += frame.shift
            group, element, length = (
                header.unpack_from(buf, pos) if 0 <= pos <= size - 8 else (0, 0, 0)
            )
            if (group, element) != (0xFFFE, 0xE000):
                raise InputError(
                    f"{self.path}: broken sequence {elem.tag}: item {n} at byte {pos} has tag "
                    f"({group:04X},{element:04X}) instead of (FFFE,E000)"
                )
            if length != _UNDEFINED and pos + 8 + length > size:
                raise InputError(
                    f"{self.path}: broken sequence {elem.tag}: item {n} claims {length} bytes, "
                    "more than the file holds"
                )

    def _encapsulated(
        self,
        d: Dataset,
        tag: int,
        vr: str,
        indent: str,
        reader: Any,
        creators: dict[tuple[int, int], str],
    ) -> bool:
        """Summarise encapsulated pixel data, read where it lies: the items as dcmdump lists
        them (the first few), their count, the offset tables. False if it is no item sequence.
        """
        if reader is None:
            return False
        start = reader.tell()
        try:
            offsets = parse_basic_offsets(reader)
            count, positions = parse_fragments(reader)
            sizes = []
            for pos in positions[:FRAGMENT_LINES]:
                reader.seek(pos + 4)
                sizes.append(struct.unpack("<L", reader.read(4))[0])
        except Exception:
            reader.seek(start)
            return False  # not an item sequence: shown as plain bytes
        lines = self.lines
        inner = indent + "  "
        name = _private_name(tag, creators) if tag & 0x10000 else _public_name(tag)
        text = f"(PixelSequence #={count + 1})"
        # Encapsulated pixel data is OB (PS3.5 A.4): the dictionary's "OB or OW" of an implicit
        # VR data set resolves to it, as dcmdump shows; a VR written in the file stays.
        vr = "OB" if " or " in vr else vr
        lines.append(_line(indent, tag, vr, text, _UNDEFINED, 1, name))
        eot = "no Extended Offset Table"
        if _EXTENDED_OFFSET_TABLE in d._dict:
            table = d._dict[_EXTENDED_OFFSET_TABLE]
            size = table.length if isinstance(table, RawDataElement) else len(table.value or b"")
            eot = f"Extended Offset Table with {size // 8} entries"
        lines.append(
            f"{inner}# {count} fragment(s), Basic Offset Table with {len(offsets)} entries, {eot}"
        )
        bot = b"".join(struct.pack("<L", o) for o in offsets)
        text = self._bytes("OB", bot, "<") if bot else _EMPTY
        lines.append(_line(inner, 0xFFFEE000, "pi", text, len(bot), 1, "Item"))
        for pos, size in zip(positions, sizes, strict=False):
            reader.seek(pos + 8)
            head = reader.read(size if self.max_bytes is None else min(size, self.max_bytes))
            text = _cut_values(head.hex("\\"), self.limit, len(head) < size) if size else _EMPTY
            lines.append(_line(inner, 0xFFFEE000, "pi", text, size, 1, "Item"))
        if count > FRAGMENT_LINES:
            lines.append(f"{inner}... {count - FRAGMENT_LINES} more fragment(s) not shown")
        end = "SequenceDelimitationItem"
        lines.append(_line(indent, 0xFFFEE0DD, "na", f"({end})", 0, 0, end))
        return True

    def _value(self, vr: str, value: Any, endian: str) -> tuple[str, int]:
        """The displayed value and the VM of a value converted by pydicom."""
        limit = self.limit
        if vr in _BINARY_VRS and not value:
            return _EMPTY, 1
        if value is None or value == "" or value == b"":
            return _EMPTY, 0
        if isinstance(value, bytes | bytearray | memoryview):
            return self._bytes(vr, value, endian), 1
        if isinstance(value, MultiValue | list | tuple):
            vm = len(value)
            if not vm:
                return _EMPTY, 0
            shown = value if self.max_values is None else value[: self.max_values]
        else:
            vm, shown = 1, (value,)
        more = len(shown) < vm
        if vr in _STRING_VRS:
            text = _cut("\\".join("" if v is None else str(v) for v in shown), limit, more)
            if not text.isprintable():
                text = text.translate(_CONTROL)
            return f"[{text}]", vm
        if vr == "AT":
            text = "\\".join(f"({v >> 16:04x},{v & 0xFFFF:04x})" for v in shown)
        elif vr in _FLOAT_TEXT:
            text = "\\".join(map(_FLOAT_TEXT[vr], shown))
        else:
            text = "\\".join(map(str, shown))
        return _cut_values(text, limit, more), vm


def _raw_vr(raw: RawDataElement, d: Dataset) -> str:
    """The VR pydicom gives ``raw``: from the dictionary (implicit VR) or private dictionary."""
    data: dict[str, Any] = {}
    try:
        hooks.raw_element_vr(raw, data, encoding=None, ds=d)
    except Exception:
        return raw.VR or "UN"
    return data.get("VR") or "UN"


def _ts_name(ts: Any, frame: _Frame) -> str:
    if ts:
        return uid_name(str(ts)) or f"{ts} (unknown)"
    vr = "Implicit VR" if frame.implicit else "Explicit VR"
    endian = "Little" if frame.endian == "<" else "Big"
    return f"{vr} {endian} Endian (no transfer syntax in the meta information)"


def _length(raw: Any, frames: tuple[_Frame, ...]) -> int | None:
    """The value length in the file: raw elements carry it, converted ones do not."""
    if isinstance(raw, RawDataElement):
        return raw.length
    if raw.is_undefined_length:
        return _UNDEFINED
    if raw.file_tell is None:
        return None
    for f in frames:
        length = _header_length(f, raw.file_tell + f.shift, raw.tag)
        if length is not None:
            return length
    return None


def _header_length(f: _Frame, pos: int, tag: int) -> int | None:
    """The value length written in the element header that ends at ``pos`` in ``f.buf``.

    Explicit VR headers put the tag 8 bytes (2-byte length) or 12 bytes (4-byte length) before
    the value, implicit VR headers 8 bytes; the tag is checked, so a wrong frame gives None.
    """
    buf, endian = f.buf, f.endian
    if buf is None or pos < 8 or pos > len(buf):
        return None
    tag_bytes = struct.pack(f"{endian}HH", tag >> 16, tag & 0xFFFF)
    if buf[pos - 8 : pos - 4] == tag_bytes:
        if f.implicit or buf[pos - 4 : pos - 2] not in _SHORT_VRS:
            return struct.unpack_from(f"{endian}L", buf, pos - 4)[0]
        return struct.unpack_from(f"{endian}H", buf, pos - 2)[0]
    if pos >= 12 and buf[pos - 12 : pos - 8] == tag_bytes and buf[pos - 8 : pos - 6] in _LONG_VRS:
        return struct.unpack_from(f"{endian}L", buf, pos - 4)[0]
    return None


def _item_length(item: Dataset, frames: tuple[_Frame, ...]) -> int | None:
    """The length in an item's header, read at the item's position (pydicom keeps no record)."""
    tell = getattr(item, "seq_item_tell", None)
    if tell is None:
        return None
    for f in frames:
        # An item header is a tag and a 4-byte length in every transfer syntax.
        length = _header_length(f._replace(implicit=True), tell + f.shift + 8, 0xFFFEE000)
        if length is not None:
            return length
    return None


def converted_line(
    fmt: Formatter,
    tag: int,
    vr: str,
    value: bytes,
    length: int,
    depth: int,
    explicit: bool,
    little: bool,
    charset: str | None,
    creators: dict[tuple[int, int], str],
) -> list[str]:
    """The line(s) of one text element in another character set, converted by pydicom as the
    pydicom path converts it: in a data set of its own that has this one's character set."""
    from pydicom.charset import convert_encodings, default_encoding
    from pydicom.dataelem import convert_raw_data_element
    from pydicom.tag import BaseTag

    encodings: Any = default_encoding
    if charset is not None:
        cs = charset.encode("latin-1")
        raw_cs = RawDataElement(BaseTag(0x00080005), "CS", len(cs), cs, 0, not explicit, little)
        encodings = convert_encodings(convert_raw_data_element(raw_cs).value)
    key = BaseTag(tag)
    raw = RawDataElement(key, vr, length, value, 0, not explicit, little)
    single = Dataset()
    single._parent_encoding = encodings
    single._dict[key] = raw
    frame = _Frame(None, 0, "<" if little else ">", not explicit)
    dumper = _Dumper(single, fmt.max_depth, fmt.limit, getattr(fmt, "path", None))
    dumper._converted(single, key, raw, length, depth, (frame,), creators)
    return dumper.lines
