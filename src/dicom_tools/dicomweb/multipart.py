"""multipart/related (RFC 2046 5.1, RFC 2387) as DICOMweb uses it: a streaming reader and a writer.

The reader is push-style (``MultipartReader.feed`` takes whatever chunks the transport gives
and returns events), so it serves an async request body and a plain iterable alike, and never
holds more than one chunk plus a boundary's length of the body. ``iter_parts`` and
``aiter_parts`` build on it: each part's body is spooled (memory up to ``spool_bytes``, then a
temporary file) and handed over once complete, so a 2 GB STOW request is never in memory.

A part that breaks a per-part rule (too big, a Content-Length that disagrees with its body)
is handed over with ``error`` set and its body dropped: the caller fails that part and goes on
with the next. What breaks the framing itself (no boundary, a header block too long, the body
ending before the close delimiter) raises ``MultipartError``: after it nothing can be trusted.
"""

from __future__ import annotations

import secrets
import tempfile
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator
from typing import IO, Any

from dicom_tools.dicomweb.mediatype import parse_media_type

# Per-part header blocks are a few hundred bytes; more than this is not a DICOMweb client.
MAX_HEADER_BYTES = 16 * 1024
SPOOL_BYTES = 8 * 1024 * 1024


class MultipartError(ValueError):
    """The multipart framing is broken (not a problem of one part)."""


def boundary_of(content_type: str | None) -> str:
    """The ``boundary`` parameter of a multipart Content-Type; MultipartError if there is none."""
    if not content_type:
        raise MultipartError("no Content-Type: expected multipart/related with a boundary")
    mtype, params = parse_media_type(content_type)
    if not mtype.startswith("multipart/"):
        raise MultipartError(f"Content-Type {mtype!r} is not multipart/related")
    boundary = params.get("boundary", "")
    # RFC 2046 5.1.1: 1 to 70 characters
    if not boundary or len(boundary) > 70:
        raise MultipartError("multipart Content-Type without a valid boundary parameter")
    return boundary


def new_boundary() -> str:
    return secrets.token_hex(16)


# Events MultipartReader.feed returns.
HEADERS, DATA, END = "headers", "data", "end"


class MultipartReader:
    """Incremental parser: ``feed(chunk)`` returns a list of events,
    ``("headers", {name: value})`` (names lower-cased) at the start of a part,
    ``("data", bytes)`` for its body, ``("end", None)`` at its end; ``close()`` checks that the
    close delimiter was seen."""

    def __init__(self, boundary: str, max_header_bytes: int = MAX_HEADER_BYTES) -> None:
        self._delim = b"\r\n--" + boundary.encode("latin-1")
        self._max_header = max_header_bytes
        # A CRLF in front lets the first delimiter (which may open the body) match like the rest.
        self._buf = bytearray(b"\r\n")
        self._state = "preamble"  # preamble, after_delim, headers, body, done
        self.done = False

    def feed(self, chunk: bytes) -> list[tuple[str, Any]]:
        if self._state == "done":
            return []  # the epilogue is ignored (RFC 2046)
        self._buf += chunk
        events: list[tuple[str, Any]] = []
        while self._step(events):
            pass
        return events

    def close(self) -> None:
        if self._state != "done":
            raise MultipartError("the multipart body ended before its closing boundary")

    def _step(self, events: list[tuple[str, Any]]) -> bool:
        buf, delim = self._buf, self._delim
        if self._state == "preamble":
            at = buf.find(delim)
            if at < 0:
                keep = len(delim) - 1
                if len(buf) > keep:
                    del buf[: len(buf) - keep]
                return False
            del buf[: at + len(delim)]
            self._state = "after_delim"
            return True
        if self._state == "after_delim":
            if len(buf) < 2:
                return False
            if buf[:2] == b"--":
                self._state = "done"
                self.done = True
                buf.clear()
                return False
            # transport padding (spaces, tabs) then CRLF
            end = buf.find(b"\r\n")
            if end < 0:
                if len(buf) > 1024:
                    raise MultipartError("malformed multipart boundary line")
                return False
            if buf[:end].strip(b" \t"):
                raise MultipartError("malformed multipart boundary line")
            del buf[: end + 2]
            self._state = "headers"
            return True
        if self._state == "headers":
            if buf[:2] == b"\r\n":  # a part without headers
                head, rest = b"", 2
            else:
                end = buf.find(b"\r\n\r\n")
                if end < 0:
                    if len(buf) > self._max_header:
                        raise MultipartError("a multipart part's header block is too long")
                    return False
                head, rest = bytes(buf[:end]), end + 4
            if rest - 4 > self._max_header:
                raise MultipartError("a multipart part's header block is too long")
            del buf[:rest]
            events.append((HEADERS, _parse_headers(head)))
            self._state = "body"
            return True
        if self._state == "body":
            at = buf.find(delim)
            if at < 0:
                keep = len(delim) - 1  # a delimiter may straddle two chunks
                if len(buf) > keep:
                    events.append((DATA, bytes(buf[: len(buf) - keep])))
                    del buf[: len(buf) - keep]
                return False
            if at:
                events.append((DATA, bytes(buf[:at])))
            events.append((END, None))
            del buf[: at + len(delim)]
            self._state = "after_delim"
            return True
        return False


def _parse_headers(block: bytes) -> dict[str, str]:
    headers: dict[str, str] = {}
    text = block.decode("latin-1")
    lines: list[str] = []
    for line in text.split("\r\n"):
        if line[:1] in (" ", "\t") and lines:  # obsolete line folding
            lines[-1] += " " + line.strip()
        elif line:
            lines.append(line)
    for line in lines:
        name, sep, value = line.partition(":")
        if not sep or not name.strip():
            raise MultipartError(f"malformed multipart part header {line[:60]!r}")
        headers[name.strip().lower()] = value.strip()
    return headers


class Part:
    """One complete part: its headers, its body (a file positioned at 0) and its size, or
    ``error`` (why it was refused; body None then)."""

    __slots__ = ("body", "error", "headers", "index", "size")

    def __init__(
        self,
        index: int,
        headers: dict[str, str],
        body: IO[bytes] | None,
        size: int,
        error: str | None = None,
    ) -> None:
        self.index = index
        self.headers = headers
        self.body = body
        self.size = size
        self.error = error

    @property
    def content_type(self) -> str:
        """The part's media type, lower-case, without parameters ("" when absent)."""
        value = self.headers.get("content-type")
        return parse_media_type(value)[0] if value else ""

    @property
    def params(self) -> dict[str, str]:
        value = self.headers.get("content-type")
        return parse_media_type(value)[1] if value else {}

    def close(self) -> None:
        if self.body is not None:
            self.body.close()


class _Assembler:
    """Turns reader events into Parts, spooling bodies and enforcing per-part limits."""

    def __init__(self, max_part_bytes: int | None, spool_bytes: int) -> None:
        self.max_part = max_part_bytes
        self.spool = spool_bytes
        self.index = 0
        self.headers: dict[str, str] | None = None
        self.body: Any = None
        self.size = 0
        self.error: str | None = None

    def events(self, events: list[tuple[str, Any]]) -> list[Part]:
        done: list[Part] = []
        for kind, value in events:
            if kind == HEADERS:
                self.headers, self.size, self.error = value, 0, None
                self.body = tempfile.SpooledTemporaryFile(max_size=self.spool)  # noqa: SIM115
            elif kind == DATA:
                self.size += len(value)
                if self.error is None and self.max_part is not None and self.size > self.max_part:
                    self.error = f"part larger than the limit of {self.max_part} bytes"
                    self.body.close()
                    self.body = None
                if self.error is None:
                    self.body.write(value)
            else:
                done.append(self._finish())
        return done

    def _finish(self) -> Part:
        headers, body, error = self.headers or {}, self.body, self.error
        declared = headers.get("content-length")
        if error is None and declared is not None:
            if not declared.strip().isdigit():
                error = f"part's Content-Length {declared[:30]!r} is not a number"
            elif int(declared) != self.size:
                error = f"part claims a Content-Length of {declared} bytes but holds {self.size}"
        if error is not None and body is not None:
            body.close()
            body = None
        if body is not None:
            body.seek(0)
        part = Part(self.index, headers, body, self.size, error)
        self.index += 1
        self.headers, self.body = None, None
        return part

    def abort(self) -> None:
        if self.body is not None:
            self.body.close()
            self.body = None


def iter_parts(
    chunks: Iterable[bytes],
    boundary: str,
    *,
    max_part_bytes: int | None = None,
    spool_bytes: int = SPOOL_BYTES,
) -> Iterator[Part]:
    """The parts of a multipart body given as an iterable of chunks, each once complete."""
    reader = MultipartReader(boundary)
    asm = _Assembler(max_part_bytes, spool_bytes)
    try:
        for chunk in chunks:
            yield from asm.events(reader.feed(chunk))
        reader.close()
    finally:
        asm.abort()


async def aiter_parts(
    chunks: AsyncIterable[bytes],
    boundary: str,
    *,
    max_part_bytes: int | None = None,
    spool_bytes: int = SPOOL_BYTES,
) -> AsyncIterator[Part]:
    """``iter_parts`` for an async stream (a request body)."""
    reader = MultipartReader(boundary)
    asm = _Assembler(max_part_bytes, spool_bytes)
    try:
        async for chunk in chunks:
            for part in asm.events(reader.feed(chunk)):
                yield part
        reader.close()
    finally:
        asm.abort()


def part_head(boundary: str, headers: dict[str, str], first: bool) -> bytes:
    """The delimiter and header block that open one part of a body we write."""
    lines = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    return f"{'' if first else chr(13) + chr(10)}--{boundary}\r\n{lines}\r\n".encode("latin-1")


def close_delimiter(boundary: str) -> bytes:
    return f"\r\n--{boundary}--\r\n".encode("latin-1")


def write_parts(
    parts: Iterable[tuple[dict[str, str], Iterable[bytes]]], boundary: str
) -> Iterator[bytes]:
    """A multipart body as chunks: each part is its headers and its body's chunks (streamed).
    A body that holds the delimiter would break the framing: the boundary is random (128 bits)."""
    first = True
    for headers, body in parts:
        yield part_head(boundary, headers, first)
        first = False
        yield from body
    if first:  # RFC 2046 wants at least one part; an empty result still closes properly
        yield f"--{boundary}--\r\n".encode("latin-1")
    else:
        yield close_delimiter(boundary)
