"""dump: every element of a DICOM file in dcmdump's layout; the DICOM JSON model as data.

The text mirrors ``dcmdump`` so that dcmtk users can read it at a glance::

    (0010,0010) PN [Last^First]                             #  10, 1 PatientName
    (300a,0010) SQ (Sequence with explicit length #=2)      # 324, 1 DoseReferenceSequence
      (fffe,e000) na (Item with explicit length #=7)          # 170, 1 Item

How it stays fast (a dump should not cost much more than ``dcmdump``'s):

* Most files never reach pydicom's reader: ``_fast_dump`` formats the tree of the byte-level
  walker that ``validate`` uses (``validation.parse``), which also finds the structural defects
  that ``read_dataset`` rejects. Anything it does not handle the same way as the pydicom path
  (a defect, no preamble or meta group, deflate, sequences in UN, repeated tags, VRs pydicom
  resolves from context...) makes it give up, and the file is dumped the pydicom way below,
  errors included. Text in other character sets is still converted by pydicom, element by
  element; ``Result.data`` then reads the data set with pydicom when it is first asked for.
* Otherwise ``read_dataset(defer_size=0)`` checks the file's structure but leaves values
  unread, and the dump decodes plain values (ASCII text, numbers, tags, binary) straight from
  the bytes of a memory map; pydicom's conversion, several times slower, is kept for what
  needs it: sequences, text in other character sets, ambiguous VRs and anything the fast path
  does not recognise.
* Lengths are the value lengths in the file: raw elements carry them; for the few elements
  pydicom converted while reading (Specific Character Set, undefined-length sequences) and for
  sequence items, they are read back from the element and item headers in the file.
* ``Result.data``, the DICOM JSON model (PS3.18 Annex F), is built only when a front end asks
  for it: it base64-encodes every binary value and costs more than the whole text dump.
"""

from __future__ import annotations

import base64
import contextlib
import mmap
import os
import stat
import struct
import zlib
from collections.abc import Iterator
from io import BytesIO
from pathlib import Path
from typing import Any, NamedTuple

from pydicom.charset import convert_encodings, default_encoding
from pydicom.datadict import keyword_for_tag, private_dictionary_description
from pydicom.dataelem import DataElement, RawDataElement, convert_raw_data_element
from pydicom.dataset import Dataset
from pydicom.encaps import parse_basic_offsets, parse_fragments
from pydicom.fileutil import read_undefined_length_value

try:  # private in pydicom 3.0: if they move, the fast path falls back to pydicom's reading
    from pydicom.filewriter import _AMBIGUOUS_OB_OW_TAGS, _AMBIGUOUS_US_SS_TAGS
except ImportError:  # pragma: no cover
    _AMBIGUOUS_OB_OW_TAGS = _AMBIGUOUS_US_SS_TAGS = None
from pydicom.hooks import hooks
from pydicom.multival import MultiValue
from pydicom.tag import BaseTag, SequenceDelimiterTag
from pydicom.uid import UID

from dicom_tools.errors import InputError
from dicom_tools.io import check_input_file, read_dataset
from dicom_tools.result import Result

# dcmdump pads "VR value" to 44 columns (after the indentation and the tag) before "# ".
_PAD = 43
_UNDEFINED = 0xFFFFFFFF
_DEFLATED = "1.2.840.10008.1.2.1.99"
_EXTENDED_OFFSET_TABLE = 0x7FE00001
_ITEM_TAG_LE = b"\xfe\xff\x00\xe0"
# Encapsulated pixel data: how many fragment items get a line of their own.
FRAGMENT_LINES = 8
_EMPTY = "(no value available)"
_EMPTY_TEXT = (_EMPTY, 0)

# Text VRs, shown in [brackets], and those with a single value (a backslash is text).
_STRING_VRS = frozenset(
    {"AE", "AS", "CS", "DA", "DS", "DT", "IS", "LO", "LT", "PN", "SH", "ST", "TM", "UC", "UI"}
    | {"UR", "UT"}
)
_SINGLE_VALUE_VRS = frozenset({"LT", "ST", "UT", "UR"})
# Binary VRs: VM 1 by definition, even when empty (as dcmdump counts).
_BINARY_VRS = frozenset({"OB", "OD", "OF", "OL", "OV", "OW", "UN", "OB or OW", "US or OW"})
# Numbers pydicom keeps as bytes, shown the way dcmdump shows them: OW in hex, OL/OV in decimal.
_WORD_FORMATS = {"OW": ("H", "{:04x}"), "OL": ("L", "{}"), "OV": ("Q", "{}")}
_FLOAT_FORMATS = {"OF": ("f", "{:.9g}"), "OD": ("d", "{:.17g}")}
# Number VRs: struct code and size; floats printed with dcmdump's precision.
_NUMBERS = {
    "US": ("H", 2),
    "SS": ("h", 2),
    "UL": ("L", 4),
    "SL": ("l", 4),
    "UV": ("Q", 8),
    "SV": ("q", 8),
    "FL": ("f", 4),
    "FD": ("d", 8),
}
_FLOAT_TEXT = {"FL": "{:.9g}".format, "FD": "{:.17g}".format}
# VRs with a 4-byte length in explicit VR encoding (PS3.5 7.1.2); the others have 2 bytes.
_LONG_VRS = frozenset(b"OB OD OF OL OV OW SQ SV UC UN UR UT UV".split())
_SHORT_VRS = frozenset(b"AE AS AT CS DA DS DT FD FL IS LO LT PN SH SL SS ST TM UI UL US".split())
# Control characters would break the one-line-per-element layout; dcmdump's +Qn quotes them
# the same way.
_CONTROL = {c: f"&#{c};" for c in (*range(32), 127)}


def dump(input: Path, *, max_depth: int | None = None, max_value_len: int | None = 64) -> Result:
    """Dump ``input`` element by element (text) and as the DICOM JSON model (data).

    ``max_depth`` is the deepest sequence level shown (0: top level only; None: all);
    ``max_value_len`` cuts displayed values longer than this many characters (None or <= 0:
    no cut). Neither applies to the JSON model.
    """
    limit = max_value_len if max_value_len and max_value_len > 0 else None
    depth = max_depth if max_depth is None or max_depth >= 0 else 0
    try:
        st = os.stat(input)
        regular = stat.S_ISREG(st.st_mode) and st.st_size > 0
    except (OSError, ValueError):
        regular = False
    # One stat for the usual case; check_input_file gives the message for the others.
    text = _fast_dump(Path(input) if regular else check_input_file(input), depth, limit)
    if text is not None:
        return DumpResult(text=text, path=Path(input))
    ds = read_dataset(input, defer_size=0)
    with _frames(input, ds) as (meta_frame, data_frame):
        text = _Dumper(ds, depth, limit, Path(input)).run(meta_frame, data_frame)
    return DumpResult(text=text, dataset=ds, path=Path(input))


class DumpResult(Result):
    """A ``Result`` whose ``data`` (the DICOM JSON model) is built on first access.

    Most callers want the text; building the JSON model first would double the cost of a dump.
    Assigning ``data`` (as ``Result.__init__`` does) replaces the pending model.
    """

    def __init__(
        self,
        *args: Any,
        dataset: Dataset | None = None,
        path: Path | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self._pending = dataset
        self._path = path
        # Dumped from the bytes alone: the data set is read when ``data`` is first asked for.
        self._unread = dataset is None and path is not None

    @property  # type: ignore[override]
    def data(self) -> dict[str, Any]:
        if self._pending is None and self._unread:
            # The fast path read no Dataset: read it now, as the pydicom path would have.
            self._pending = read_dataset(self._path, defer_size=0)
        if self._pending is not None:
            ds, self._pending = self._pending, None
            self._data = file_json_model(ds, self._path)
        self._unread = False
        return self._data

    @data.setter
    def data(self, value: dict[str, Any]) -> None:
        self._data = value
        self._pending = None
        self._unread = False


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
def _frames(path: Path, ds: Dataset) -> Iterator[tuple[_Frame, _Frame]]:
    """The frames of the meta group and of the data set, over a memory map of the file."""
    implicit, little = ds.original_encoding
    endian = ">" if little is False else "<"
    with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mm:
        meta_frame = _Frame(mm, 0, "<", False)  # always explicit VR little endian
        buf: Any = mm
        if ds.file_meta.get("TransferSyntaxUID") == _DEFLATED:
            # A deflated data set's positions are in the inflated stream, as pydicom read it.
            buf = _inflate(mm, ds.file_meta, meta_frame)
            if buf is None:
                raise InputError(f"{path}: cannot inflate the deflated data set")
        yield meta_frame, _Frame(buf, 0, endian, bool(implicit))


def _inflate(mm: mmap.mmap, meta: Dataset, frame: _Frame) -> bytes | None:
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


class _Dumper:
    def __init__(
        self, ds: Dataset, max_depth: int | None, limit: int | None, path: Path | None = None
    ) -> None:
        self.ds = ds
        self.path = path
        self.max_depth = max_depth
        self.limit = limit
        self.lines: list[str] = []
        # Formatting a million numbers to show 64 characters is waste: at least 2 characters
        # a value, 3 a byte.
        self.max_values = None if limit is None else limit // 2 + 1
        self.max_bytes = None if limit is None else limit // 2 + 2

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
        public_names = _PUBLIC_NAMES
        tag_texts = _TAG_TEXTS
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
            elif vr in _NUMBERS:
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
                name = public_names.get(tag) or _public_name(tag)
            body = f"{vr} {text}"
            tag_text = tag_texts.get(tag) or _tag_text(tag)
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

    def _numbers(self, value: bytes | None, vr: str, little: bool) -> tuple[str, int] | None:
        code, size = _NUMBERS[vr]
        if not value:
            return _EMPTY, 0
        n, rest = divmod(len(value), size)
        if rest:
            return None  # pydicom decides what an odd length means
        count = n if self.max_values is None else min(n, self.max_values)
        numbers = struct.unpack_from(f"{'<' if little else '>'}{count}{code}", value)
        fmt = _FLOAT_TEXT.get(vr, str)
        text = fmt(numbers[0]) if count == 1 else "\\".join(map(fmt, numbers))
        return _cut_values(text, self.limit, count < n), n

    def _tags(self, value: bytes | None, little: bool) -> tuple[str, int] | None:
        if not value:
            return _EMPTY, 0
        n, rest = divmod(len(value), 4)
        if rest:
            return None
        words = struct.unpack(f"{'<' if little else '>'}{2 * n}H", value)
        text = "\\".join(f"({g:04x},{e:04x})" for g, e in zip(words[::2], words[1::2], strict=True))
        return _cut_values(text, self.limit), n

    def _bytes(self, vr: str, value: bytes | bytearray | memoryview, endian: str) -> str:
        """Binary values as dcmdump shows them: hex bytes, hex words or floats."""
        n = len(value)
        budget = n if self.max_bytes is None else min(n, self.max_bytes)
        key = vr[:2]
        if key in _WORD_FORMATS:
            code, fmt = _WORD_FORMATS[key]
        elif key in _FLOAT_FORMATS:
            code, fmt = _FLOAT_FORMATS[key]
        else:  # OB, UN and anything unexpected: hex bytes
            return _cut_values(value[:budget].hex("\\"), self.limit, budget < n)
        size = struct.calcsize(code)
        count = min(n // size, budget // 2 + 1)
        words = struct.unpack_from(f"{endian}{count}{code}", value)
        text = "\\".join(map(fmt.format, words))
        return _cut_values(text, self.limit, count * size < n)


def _text(value: bytes | None, vr: str, limit: int | None) -> tuple[str, int] | None:
    """A text value decoded here if it is plain ASCII; None leaves it to pydicom.

    Other bytes depend on the Specific Character Set (and ISO 2022 escapes, themselves ASCII,
    switch character sets), which pydicom decodes.
    """
    if not value:
        return _EMPTY, 0
    if not value.isascii() or b"\x1b" in value:
        return None
    text = value.decode("ascii").rstrip("\0 ")
    if not text:
        return _EMPTY, 0
    # Shown as written, padding aside, like dcmdump (pydicom strips some values' spaces).
    vm = 1 if vr in _SINGLE_VALUE_VRS else text.count("\\") + 1
    cut = limit is not None and len(text) > limit
    if cut:
        text = text[:limit]
    if not text.isprintable():
        text = text.translate(_CONTROL)
    return (f"[{text}...]" if cut else f"[{text}]"), vm


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
        uid = UID(str(ts))
        return uid.name if uid.name != str(uid) else f"{uid} (unknown)"
    vr = "Implicit VR" if frame.implicit else "Explicit VR"
    endian = "Little" if frame.endian == "<" else "Big"
    return f"{vr} {endian} Endian (no transfer syntax in the meta information)"


def _cut(text: str, limit: int | None, more: bool = False) -> str:
    """Cut a text value at ``limit`` characters; ``more``: values were left out already."""
    if limit is None or (len(text) <= limit and not more):
        return text
    return text[:limit] + "..."


def _cut_values(text: str, limit: int | None, more: bool = False) -> str:
    """Cut a list of numbers after the last whole value that fits in ``limit`` characters."""
    if limit is None or (len(text) <= limit and not more):
        return text
    head = text[: limit + 1]
    cut = head.rfind("\\")
    return (head[:cut] if cut > 0 else text[:limit]) + "..."


def _line(indent: str, tag: int, vr: str, text: str, length: int | None, vm: int, name: str) -> str:
    body = f"{vr} {text}"
    if length is None:
        size = "  ?"
    elif length == _UNDEFINED:
        size = "u/l"
    else:
        size = f"{length:>3}"
    return f"{indent}{_tag_text(tag)} {body:<{_PAD}} # {size},{vm:>2} {name}"


_TAG_TEXTS: dict[int, str] = {}


def _tag_text(tag: int) -> str:
    text = _TAG_TEXTS.get(tag)
    if text is None:
        text = f"({tag >> 16:04x},{tag & 0xFFFF:04x})"
        if len(_TAG_TEXTS) < 100_000:
            _TAG_TEXTS[tag] = text
    return text


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


# dcmdump's keyword column: keywords, or for private tags the private dictionary's name (when
# pydicom knows it) and the creator.
_PUBLIC_NAMES: dict[int, str] = {}
# The VR of a public tag in implicit VR depends only on the tag (the data dictionary).
_IMPLICIT_VRS: dict[int, str] = {}
_PRIVATE_NAMES: dict[tuple[int, str], str] = {}


def _public_name(tag: int) -> str:
    name = _PUBLIC_NAMES.get(tag)
    if name is None:
        keyword = keyword_for_tag(tag)
        name = keyword or ("GroupLength" if tag & 0xFFFF == 0 else "Unknown Tag & Data")
        _PUBLIC_NAMES[tag] = name
    return name


def _private_name(tag: int, creators: dict[tuple[int, int], str]) -> str:
    element = tag & 0xFFFF
    if element == 0:
        return "PrivateGroupLength"
    if element <= 0xFF:
        return "PrivateCreator" if element >= 0x10 else "Private tag data"
    creator = creators.get((tag >> 16, element >> 8))
    if creator is None:
        return "Private tag data"
    key = (tag, creator)
    name = _PRIVATE_NAMES.get(key)
    if name is None:
        try:
            name = f"{private_dictionary_description(tag, creator)} [{creator}]"
        except KeyError:
            name = f"Private tag data [{creator}]"
        if len(_PRIVATE_NAMES) < 100_000:
            _PRIVATE_NAMES[key] = name
    return name


# --- JSON model ----------------------------------------------------------------------------

# With no bulk data handler pydicom writes every binary value inline (InlineBinary).
_NO_BULK = 1 << 62


def file_json_model(ds: Dataset, path: Path | None) -> dict[str, Any]:
    """The JSON model of ``ds`` as ``dump`` read it: the values it left unread are read first."""
    if path is not None:
        try:
            with _frames(path, ds) as (_meta, frame):
                elems = ds._dict
                for tag, raw in list(elems.items()):
                    if raw.__class__ is RawDataElement and raw.value is None and raw.length:
                        elems[tag] = _filled(raw, _read_deferred(raw, frame))
        except Exception:  # the file went away: the values left unread become InlineBinary-less
            pass
    return json_model(ds)


def json_model(ds: Dataset) -> dict[str, Any]:
    """The DICOM JSON model (PS3.18 Annex F) of ``ds``; an element pydicom cannot represent
    becomes its raw bytes (InlineBinary) or strings instead of an error."""
    out: dict[str, Any] = {}
    elems = ds._dict
    for tag in sorted(elems, key=int):
        key = f"{tag:08X}"
        try:
            raw = elems[tag]
            if raw.__class__ is RawDataElement and raw.value is None and raw.length:
                raise ValueError("value not read")  # not pydicom's deferred read: no file I/O
            elem = ds[tag]
        except Exception:
            out[key] = _raw_json(elems[tag])
            continue
        if elem.VR == "SQ":
            out[key] = {"vr": "SQ", "Value": [json_model(i) for i in elem.value or ()]}
            continue
        try:
            out[key] = elem.to_json_dict(None, _NO_BULK)
        except Exception:  # e.g. an IS value "1A" that is no JSON number
            out[key] = _fallback_json(elem)
    return out


def _raw_json(raw: Any) -> dict[str, Any]:
    vr = getattr(raw, "VR", None) or "UN"
    value = getattr(raw, "value", None)
    if isinstance(value, bytes) and value:
        return {"vr": vr, "InlineBinary": base64.b64encode(value).decode("ascii")}
    return {"vr": vr}


def _fallback_json(elem: DataElement) -> dict[str, Any]:
    value = elem.value
    if isinstance(value, bytes | bytearray):
        return {"vr": elem.VR, "InlineBinary": base64.b64encode(value).decode("ascii")}
    if value is None or value == "":
        return {"vr": elem.VR}
    values = value if isinstance(value, MultiValue | list | tuple) else [value]
    return {"vr": elem.VR, "Value": [None if v is None else str(v) for v in values]}


# --- fast path: straight from the bytes ----------------------------------------------------


class _Fallback(Exception):
    """Something the fast path leaves to pydicom: the file is dumped the pydicom way."""


# Transfer syntaxes whose data set the fast path reads (anything else goes through pydicom).
_IMPLICIT_LE = "1.2.840.10008.1.2"
_EXPLICIT_BE = "1.2.840.10008.1.2.2"
_PRIVATE_VRS: dict[tuple[int, str], str] = {}
_TS_TEXTS: dict[str, str] = {}


def _fast_dump(path: Path, max_depth: int | None, limit: int | None) -> str | None:
    """The dump of ``path`` from the validator's byte-level walk, or None when the file needs
    pydicom: anything unusual (no preamble, a structural defect, deflate, other character
    sets, ambiguous VRs...) is left to the pydicom path, which also reports broken files."""
    from dicom_tools.dicom.reader import parse_file

    if _AMBIGUOUS_OB_OW_TAGS is None:
        return None
    try:
        parsed = parse_file(path)
    except Exception:
        return None
    try:
        ts = parsed.transfer_syntax
        if (
            parsed.problems
            or not parsed.preamble
            or parsed.deflated
            or not ts
            or not parsed.meta.elements
            or not parsed.dataset.elements
            or parsed.explicit != (ts != _IMPLICIT_LE)
            or parsed.little != (ts != _EXPLICIT_BE)
        ):
            return None
        ts_text = _TS_TEXTS.get(ts)
        if ts_text is None:
            if not UID(ts).is_transfer_syntax:
                return None
            ts_text = _TS_TEXTS[ts] = f"# Used TransferSyntax: {_ts_name(ts, None)}"  # type: ignore[arg-type]
        dumper = _FastDumper(parsed, max_depth, limit, path)
        lines = dumper.lines
        lines += ["", "# Dicom-File-Format", "", "# Dicom-Meta-Information-Header"]
        lines.append("# Used TransferSyntax: Explicit VR Little Endian")
        dumper.item(parsed.meta, 0, parsed.meta_buffer, True, None, None)
        lines.append("")
        lines += ["# Dicom-Data-Set", ts_text]
        dumper.item(parsed.dataset, 0, parsed.buffer, parsed.little, None, None)
        return "\n".join(lines)
    except _Fallback:
        return None
    except InputError:
        raise
    except Exception:
        return None
    finally:
        with contextlib.suppress(BufferError):
            parsed.close()


class _FastDumper(_Dumper):
    def __init__(
        self, parsed: Any, max_depth: int | None, limit: int | None, path: Path | None
    ) -> None:
        super().__init__(None, max_depth, limit, path)  # type: ignore[arg-type]
        self.parsed = parsed

    def item(
        self,
        item: Any,
        depth: int,
        buf: Any,
        little: bool,
        encodings: Any,
        pixel_rep: int | None,
    ) -> None:
        """One data set (meta group, data set or sequence item) of the walker's tree.

        ``encodings`` and ``pixel_rep`` are the nearest character set and Pixel Representation
        (this data set's or its ancestors'), as pydicom applies them.
        """
        lines, limit = self.lines, self.limit
        indent = "  " * depth
        creators: dict[tuple[int, int], str] = {}
        raw_creators: dict[int, str] = {}
        public_names = _PUBLIC_NAMES
        tag_texts = _TAG_TEXTS
        implicit_vrs = _IMPLICIT_VRS
        endian = "<" if little else ">"
        elems = item.elements
        by_tag = {el.tag: el for el in elems}  # a repeated tag: the last one, as pydicom keeps
        if len(by_tag) != len(elems):
            raise _Fallback
        mv = memoryview(buf)
        charset = by_tag.get(0x00080005)
        if charset is not None:
            encodings = _encodings(charset, buf, little)
        rep = by_tag.get(0x00280103)
        if rep is not None and rep.length:
            if rep.length != 2:
                raise _Fallback
            (pixel_rep,) = struct.unpack_from(f"{endian}H", buf, rep.pos)
        for tag in sorted(by_tag):
            el = by_tag[tag]
            length = el.length
            pos = el.pos
            if el.explicit:
                vr = el.vr
                if vr == "UN":  # pydicom takes the dictionary's VR where it knows one
                    vr = _vr_of(tag, "UN", raw_creators)
                    if vr == "SQ" or len(vr) != 2:
                        raise _Fallback  # a sequence in UN, an ambiguous VR: pydicom's way
            elif not tag & 0x10000:
                vr = implicit_vrs.get(tag)
                if vr is None:
                    vr = implicit_vrs[tag] = _vr_of(tag, None, raw_creators)
            else:
                vr = _vr_of(tag, None, raw_creators)
            if len(vr) != 2:  # ambiguous: resolved as pydicom does for implicit VR
                if tag == 0x7FE00010 or tag in _AMBIGUOUS_OB_OW_TAGS:
                    vr = "OW"
                elif tag in _AMBIGUOUS_US_SS_TAGS and pixel_rep is not None:
                    vr = "US" if pixel_rep == 0 else "SS"
                else:
                    raise _Fallback
            if el.items is not None and vr == "SQ":
                self.sequence(el, tag, vr, depth, buf, little, creators, encodings, pixel_rep)
                continue
            if length == _UNDEFINED:
                if el.fragments is None or not el.explicit or not little:
                    raise _Fallback
                self.fragments(item, el, tag, vr, indent, mv, creators)
                continue
            if vr == "SQ":
                raise _Fallback
            if vr in _STRING_VRS:
                value = buf[pos : pos + length]
                if value.isascii() and b"\x1b" not in value:  # _text, inline
                    text = value.decode("ascii").rstrip("\0 ")
                    if not text:
                        shown = _EMPTY_TEXT
                    else:
                        vm = 1 if vr in _SINGLE_VALUE_VRS else text.count("\\") + 1
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
                if shown is None:  # other character sets: pydicom decodes them
                    if tag & 0x10000 and 0x10 <= tag & 0xFFFF <= 0xFF:
                        raise _Fallback
                    # As the pydicom path converts it: in a data set of its own that has this
                    # one's character set.
                    key = BaseTag(tag)
                    raw = RawDataElement(key, vr, length, value, 0, not el.explicit, little)
                    single = Dataset()
                    single._parent_encoding = encodings or default_encoding
                    single._dict[key] = raw
                    frame = _Frame(None, 0, endian, not el.explicit)
                    self._converted(single, key, raw, length, depth, (frame,), creators)
                    continue
            elif vr in _NUMBERS:
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
                if 0x10 <= element <= 0xFF and vm and vr in _STRING_VRS:
                    raw_value = bytes(buf[pos : pos + length])
                    if b"\\" in raw_value:
                        raise _Fallback
                    creators[(tag >> 16, element)] = raw_value.decode("ascii").strip(" \0")
                    raw_creators[tag] = raw_value.decode("ascii").rstrip("\0 ")
                name = _private_name(tag, creators)
            else:
                name = public_names.get(tag) or _public_name(tag)
            body = f"{vr} {text}"
            tag_text = tag_texts.get(tag) or _tag_text(tag)
            lines.append(f"{indent}{tag_text} {body:<{_PAD}} # {length:>3},{vm:>2} {name}")

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
        undefined = length == _UNDEFINED
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
            item_undefined = item_len == _UNDEFINED
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
        lines.append(_line(indent, tag, vr, f"(PixelSequence #={count + 1})", _UNDEFINED, 1, name))
        eot = "no Extended Offset Table"
        table = item.by_tag.get(_EXTENDED_OFFSET_TABLE)
        if table is not None:
            if table.length == _UNDEFINED:
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


class _Creators:
    """Enough of a Dataset for pydicom's private VR lookup: ``get`` of a private creator."""

    __slots__ = ("creators",)

    def __init__(self, creators: dict[int, str]) -> None:
        self.creators = creators

    def get(self, tag: int, default: Any = None) -> Any:
        value = self.creators.get(tag)
        return default if value is None else _CreatorValue(value)


class _CreatorValue(NamedTuple):
    value: str


def _encodings(charset: Any, buf: Any, little: bool) -> Any:
    """The encodings pydicom derives from a Specific Character Set element."""
    value = bytes(buf[charset.pos : charset.pos + charset.length])
    if not value.strip(b" \0"):
        raise _Fallback
    raw = RawDataElement(
        BaseTag(0x00080005), "CS", len(value), value, 0, not charset.explicit, little
    )
    return convert_encodings(convert_raw_data_element(raw).value)


def _vr_of(tag: int, vr: str | None, creators: dict[int, str]) -> str:
    """The VR pydicom gives an element written with ``vr`` (None: implicit VR)."""
    creator = ""
    if tag & 0x10000 and tag & 0xFF00:
        creator = creators.get((tag & 0xFFFF0000) | (tag & 0xFFFF) >> 8, "")
    key = (tag if vr is None else -tag, creator)
    known = _PRIVATE_VRS.get(key)
    if known is None:
        raw = RawDataElement(BaseTag(tag), vr, 0, None, 0, vr is None, True)
        known = _raw_vr(raw, _Creators(creators))  # type: ignore[arg-type]
        if len(_PRIVATE_VRS) < 100_000:
            _PRIVATE_VRS[key] = known
    return known
