"""WADO-RS metadata (PS3.18 10.4.1.1.2): each instance's DICOM JSON without its file meta
group, binary values over ``BULK_THRESHOLD`` bytes (pixel data always) replaced by a
BulkDataURI under the instance's URL, and bulk data retrieval by that URI."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from dicom_tools.dicomjson.bulk import BulkSink

if TYPE_CHECKING:
    from dicom_tools.dicom.source import Source

# Binary values larger than this go by BulkDataURI (pixel data is far larger in practice).
BULK_THRESHOLD = 256


class _UriSink(BulkSink):
    """A BulkSink that keeps nothing: each value becomes ``{base}/bulkdata/{tag path}``, or is
    captured when it is the one asked for (``want``)."""

    __slots__ = ("captured", "prefix", "want")

    def __init__(self, prefix: str, want: str | None = None) -> None:
        super().__init__(BULK_THRESHOLD if want is None else -1, Path("."), Path("."))
        self.prefix = prefix
        self.want = want
        self.captured: bytes | None = None

    def add(self, path: str, data: bytes) -> str:
        if self.want is not None and path == self.want:
            self.captured = bytes(data)
        return f"{self.prefix}/{path}"

    def empty_copy(self) -> _UriSink:
        return _UriSink(self.prefix, self.want)


def _without_meta(text: str) -> str:
    """The JSON text without its group 0002 attributes. The encoder writes one top-level
    attribute per line, indented by two spaces; nested content is indented deeper."""
    lines = text.splitlines()
    out: list[str] = []
    skipping = False
    for line in lines:
        if line.startswith('  "') and not line.startswith("   "):
            skipping = line.startswith('  "0002')
        elif line.startswith("}"):
            skipping = False
        if not skipping:
            out.append(line)
    # the attribute now last may end with a comma that has nothing after it
    for i in range(len(out) - 1, -1, -1):
        if out[i].startswith("}"):
            if i > 0 and out[i - 1].endswith(","):
                out[i - 1] = out[i - 1][:-1]
            break
    return "\n".join(out)


def instance_metadata(source: Source | Path, bulk_prefix: str) -> str:
    """One instance's metadata as DICOM JSON text (an object); ``bulk_prefix`` is the URL the
    BulkDataURIs start with (``.../instances/{uid}/bulkdata``)."""
    from dicom_tools.dicomjson.encoder import encode_file

    return _without_meta(encode_file(source, _UriSink(bulk_prefix)).text).strip()


def bulk_value(source: Source | Path, path: str) -> bytes | None:
    """The bytes of the binary value at the tag path ``path`` (``7FE00010``,
    ``00540016.0.00280030``) as the metadata's BulkDataURI names it; None if there is none."""
    from dicom_tools.dicomjson.encoder import encode_file

    sink = _UriSink("", want=path)
    encode_file(source, sink)
    return sink.captured
