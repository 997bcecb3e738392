"""Retrieval helpers that are not HTTP framework code: byte ranges (RFC 9110 14), instances in
another transfer syntax (through the registry's transcode), a zip streamed as it is written,
rendered images (the registry's to_image) sized to a viewport."""

from __future__ import annotations

import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

CHUNK = 256 * 1024


class RangeNotSatisfiable(ValueError):
    """The Range header names no byte of the representation (416)."""


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """The one byte range ``bytes=a-b`` / ``a-`` / ``-n`` asks for, as [start, end) within
    ``size``; None for no Range (or one we may ignore: another unit, several ranges, bad
    syntax, RFC 9110 14.2 lets a server send the whole representation then).
    RangeNotSatisfiable when the range starts past the end."""
    if not header:
        return None
    unit, _, spec = header.strip().partition("=")
    if unit.strip().lower() != "bytes" or "," in spec:
        return None
    first, dash, last = spec.strip().partition("-")
    if not dash:
        return None
    first, last = first.strip(), last.strip()
    if (first and not first.isdigit()) or (last and not last.isdigit()):
        return None
    if not first:
        if not last:
            return None
        n = int(last)
        if n == 0:
            raise RangeNotSatisfiable(f"bytes */{size}")
        return max(size - n, 0), size
    start = int(first)
    end = min(int(last) + 1, size) if last else size
    if last and int(last) < start:
        return None
    if start >= size:
        raise RangeNotSatisfiable(f"bytes */{size}")
    return start, end


def read_file_range(path: Path, start: int, end: int, chunk: int = CHUNK) -> Iterator[bytes]:
    """The bytes [start, end) of a file, in chunks."""
    with open(path, "rb") as f:
        f.seek(start)
        left = end - start
        while left > 0:
            data = f.read(min(chunk, left))
            if not data:
                break
            left -= len(data)
            yield data


def transcoded(source: Any, transfer_syntax: str, workdir: Path) -> Path:
    """``source`` re-encoded in ``transfer_syntax`` by the registry's transcode, written in
    ``workdir`` (the caller's temporary folder; the operation writes files, atomically)."""
    from dicom_tools import registry

    out = workdir / "instance.dcm"
    registry.execute(registry.get("transcode"), source, out, {"transfer_syntax": transfer_syntax})
    return out


class _Pipe:
    """A write-only, non-seekable file that zipfile writes into; ``take()`` hands out what was
    written so far. zipfile then writes data descriptors (no seeking back)."""

    def __init__(self) -> None:
        self.chunks: list[bytes] = []
        self.size = 0

    def write(self, data: bytes) -> int:
        if data:
            self.chunks.append(bytes(data))
            self.size += len(data)
        return len(data)

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        data = b"".join(self.chunks)
        self.chunks.clear()
        return data


def zip_stream(members: Iterable[tuple[str, Path]], chunk: int = CHUNK) -> Iterator[bytes]:
    """A zip of ``(name in the archive, file)`` pairs, produced as it is written: stored (DICOM
    pixel data rarely deflates well and the client wants throughput), ZIP64 so members and
    archives past 4 GB work, no temporary copy of anything."""
    pipe = _Pipe()
    with zipfile.ZipFile(pipe, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:  # type: ignore[arg-type]
        for name, path in members:
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_STORED
            with zf.open(info, "w", force_zip64=True) as dst, open(path, "rb") as src:
                while data := src.read(chunk):
                    dst.write(data)
                    if pipe.size >= chunk:
                        pipe.size = 0
                        yield pipe.take()
            pipe.size = 0
            yield pipe.take()
    yield pipe.take()


# --------------------------------------------------------------------------------------------
# rendered and thumbnail (PS3.18 8.3.5)


class RenderParams:
    """``window=center,width,function``, ``viewport=vw,vh[,sx,sy,sw,sh]`` and ``quality``."""

    __slots__ = ("quality", "viewport", "window")

    def __init__(
        self,
        window: tuple[float, float, str] | None,
        viewport: tuple[int, int] | None,
        quality: int | None,
    ) -> None:
        self.window = window
        self.viewport = viewport
        self.quality = quality


def parse_render_params(
    window: str | None, viewport: str | None, quality: str | None
) -> RenderParams:
    from dicom_tools.errors import UsageError

    win = None
    if window:
        parts = [p.strip() for p in window.split(",")]
        try:
            center, width = float(parts[0]), float(parts[1])
        except (ValueError, IndexError):
            raise UsageError(f"window={window!r}: expected center,width[,function]") from None
        function = (parts[2] if len(parts) > 2 else "linear").lower()
        if function not in ("linear", "linear-exact", "sigmoid") or width <= 0:
            raise UsageError(f"window={window!r}: expected center,width>0[,linear]")
        if function != "linear":
            raise UsageError(f"window={window!r}: only the linear function is supported")
        win = (center, width, function)
    vp = None
    if viewport:
        parts = [p.strip() for p in viewport.split(",")]
        try:
            vw, vh = int(parts[0]), int(parts[1])
        except (ValueError, IndexError):
            raise UsageError(f"viewport={viewport!r}: expected width,height") from None
        if not (0 < vw <= 8192 and 0 < vh <= 8192):
            raise UsageError(f"viewport={viewport!r}: width and height from 1 to 8192")
        vp = (vw, vh)
    q = None
    if quality:
        try:
            q = int(quality)
        except ValueError:
            raise UsageError(f"quality={quality!r}: an integer from 1 to 100") from None
        if not 1 <= q <= 100:
            raise UsageError(f"quality={quality!r}: an integer from 1 to 100")
    return RenderParams(win, vp, q)


def render(
    source: Any,
    media_type: str,
    params: RenderParams,
    workdir: Path,
    frame: int = 0,
) -> bytes:
    """Frame ``frame`` (from 0) rendered by the registry's to_image (the file's window unless
    ``params.window``), scaled to fit the viewport keeping its aspect ratio, encoded as
    ``media_type`` (image/png or image/jpeg with ``params.quality``)."""
    import io

    from PIL import Image

    from dicom_tools import registry

    options: dict[str, Any] = {"format": "png", "frame": frame}
    if params.window is not None:
        options["window_center"], options["window_width"] = params.window[:2]
    out = workdir / "rendered.png"
    registry.execute(registry.get("to_image"), source, out, options)
    with Image.open(out) as img:
        img.load()
        if params.viewport is not None:  # scaled to fit, aspect ratio kept (PS3.18 8.3.5.1.3)
            scale = min(params.viewport[0] / img.width, params.viewport[1] / img.height)
            size = (max(1, round(img.width * scale)), max(1, round(img.height * scale)))
            img = img.resize(size, Image.Resampling.LANCZOS)
        buf = io.BytesIO()
        if media_type == "image/jpeg":
            if img.mode not in ("L", "RGB"):
                img = img.convert("RGB")
            img.save(buf, "JPEG", quality=params.quality or 90)
        else:
            img.save(buf, "PNG")
    return buf.getvalue()
