"""dump: every element of a DICOM file in dcmdump's layout; the DICOM JSON model as data.

The text mirrors ``dcmdump`` so that dcmtk users can read it at a glance::

    (0010,0010) PN [Last^First]                             #  10, 1 PatientName
    (300a,0010) SQ (Sequence with explicit length #=2)      # 324, 1 DoseReferenceSequence
      (fffe,e000) na (Item with explicit length #=7)          # 170, 1 Item

It is made by ``dicom_tools.dump``: a stream of text chunks over the base reader's tree
(``dump.stream``; ``Result.stream`` hands them to a front end as they come), the layout and
value formatting (``dump.layout``), and pydicom's reading for the unusual files the stream
leaves to it (``dump.legacy``, imported only for them).

``Result.data``, the DICOM JSON model (PS3.18 Annex F), is built only when a front end asks
for it: it base64-encodes every binary value and costs more than the whole text dump. It is
``to-json``'s model, from the same encoder (``dicom_tools.dicomjson``), parsed into a dict.
"""

from __future__ import annotations

import itertools
import os
import stat

from dicom_tools.dicom.failures import check_parsed
from dicom_tools.dicom.reader import parse_source
from dicom_tools.dicom.source import Source, as_source
from dicom_tools.dump.layout import FRAGMENT_LINES
from dicom_tools.dump.stream import stream_dump
from dicom_tools.io import check_input
from dicom_tools.result import Result

TYPE_CHECKING = False  # typing costs start-up time
if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path
    from typing import Any

    from pydicom.dataset import Dataset

__all__ = ["FRAGMENT_LINES", "DumpResult", "dump", "json_text"]


def dump(
    input: Source | Path, *, max_depth: int | None = None, max_value_len: int | None = 64
) -> Result:
    """Dump ``input`` element by element (text) and as the DICOM JSON model (data).

    ``max_depth`` is the deepest sequence level shown (0: top level only; None: all);
    ``max_value_len`` cuts displayed values longer than this many characters (None or <= 0:
    no cut). Neither applies to the JSON model. The text comes as ``Result.stream`` (chunks,
    made as they are taken) or, joined, as ``Result.text``.
    """
    limit = max_value_len if max_value_len and max_value_len > 0 else None
    depth = max_depth if max_depth is None or max_depth >= 0 else 0
    src = as_source(input)
    try:
        st = os.stat(src.filename) if src.filename is not None else None
        regular = st is not None and stat.S_ISREG(st.st_mode) and st.st_size > 0
    except (OSError, ValueError):
        regular = False
    # One stat for the usual case; check_input gives the message for the others.
    if not regular:
        check_input(src)
    chunks = None
    try:
        parsed = parse_source(src)
    except (ValueError, OSError):
        parsed = None
    if parsed is not None:
        check_parsed(parsed, src)  # unreadable: the one-line error
        chunks = stream_dump(parsed, depth, limit, src)
        if chunks is None:
            parsed.close()
    if chunks is None:  # unusual or broken: pydicom's reading, which also gives the errors
        from dicom_tools.dump.legacy import dump_pydicom

        text, ds = dump_pydicom(src, depth, limit)
        return DumpResult(text=text, dataset=ds, path=src)
    # The first chunk is made here: a dump that fits in one (almost all) is complete, and any
    # error in it is raised by the operation, not by whoever prints.
    first = next(chunks)
    return DumpResult(stream=itertools.chain((first,), chunks), path=src)


class DumpResult(Result):
    """A ``Result`` whose text may come as a stream and whose ``data`` (the DICOM JSON model)
    is built on first access.

    ``stream`` hands the pending text chunks over once (a front end prints them as they come);
    ``text`` joins whatever was not handed over. Most callers want the text; building the JSON
    model first would double the cost of a dump. Assigning ``data`` (as ``Result.__init__``
    does) replaces the pending model.
    """

    def __init__(
        self,
        *args: Any,
        dataset: Dataset | None = None,
        path: Source | None = None,
        **kwargs: Any,
    ) -> None:
        self._json: str | None = None
        super().__init__(*args, **kwargs)
        self._pending = dataset
        self._path = path
        # Dumped from the bytes alone: the data set is read when ``data`` is first asked for.
        self._unread = dataset is None and path is not None

    @property  # type: ignore[override]
    def text(self) -> str:
        if self._chunks is not None:
            self._text = "".join(self._chunks)
            self._chunks = None
        return self._text

    @text.setter
    def text(self, value: str) -> None:
        self._text = value

    @property  # type: ignore[override]
    def stream(self) -> Iterator[str] | None:
        chunks, self._chunks = self._chunks, None
        return chunks

    @stream.setter
    def stream(self, value: Iterator[str] | None) -> None:
        self._chunks = value

    @property  # type: ignore[override]
    def data(self) -> dict[str, Any]:
        if self._pending is not None or self._unread:
            import json

            # The one DICOM JSON encoder, the same text as to-json's, as a dict.
            self._data = json.loads(self.json_text())
        return self._data

    @data.setter
    def data(self, value: dict[str, Any]) -> None:
        self._data = value
        self._json = None
        self._pending = None
        self._unread = False

    def spelled(self, style: str) -> DumpResult:
        """Itself: a dump is the file's content and names no option (spelling its text would
        read the stream and build the JSON model)."""
        return self

    def json_text(self) -> str:
        """The DICOM JSON of the file, byte for byte what ``to-json -o -`` prints."""
        if self._pending is not None or self._unread:
            self._json = json_text(self._path, self._pending)
            self._pending = None
            self._unread = False
        return self._json if self._json is not None else super().json_text()


# --- JSON model ----------------------------------------------------------------------------


def json_text(path: Source | Path | None, ds: Dataset | None = None) -> str:
    """The DICOM JSON of the input ``path`` (or of ``ds`` without one), exactly as
    ``to-json`` writes it: the same encoder, every binary value inline."""
    from dicom_tools.dicomjson.encoder import encode_file

    # A data set without a path is encoded from its Part 10 bytes (``Source.from_dataset``).
    return encode_file(path if path is not None else Source.from_dataset(ds)).text
