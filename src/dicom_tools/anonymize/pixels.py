"""Blanking rectangles of every frame (``--blank-rect x,y,w,h``: Clean Pixel Data by hand).

Natively encoded pixel data is blanked in place in its stored bytes: nothing else changes.
Compressed pixel data is decoded, blanked and re-encoded with the input's transfer syntax when
that syntax is lossless and one of pydicom's encoders is installed for it (RLE, JPEG-LS lossless,
JPEG 2000 lossless; the codec registry says which). Otherwise (JPEG baseline/extended/lossless,
lossy JPEG-LS and JPEG 2000, HTJ2K) the blanked frames are written uncompressed in Explicit VR
Little Endian: re-encoding lossy data would lose more of it, and pydicom has no encoder for the
others.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from dicom_tools.dicom import codecs
from dicom_tools.dicom import syntaxes as S
from dicom_tools.errors import InputError, UsageError, option
from dicom_tools.io import describe_exception

if TYPE_CHECKING:
    import numpy as np
    from pydicom import Dataset


@dataclass(frozen=True)
class Rect:
    x: int
    y: int
    w: int
    h: int


def parse_rects(values: list[str] | None) -> list[Rect]:
    """``["x,y,w,h", ...]`` as rectangles, or UsageError."""
    rects = []
    for text in values or ():
        m = re.fullmatch(r"\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)\s*", str(text))
        if not m:
            raise UsageError(
                f"{option('blank_rect', repr(text))}: "
                "expected x,y,w,h (non-negative integers, in pixels)"
            )
        rect = Rect(*(int(g) for g in m.groups()))
        if rect.w == 0 or rect.h == 0:
            raise UsageError(
                f"{option('blank_rect', repr(text))}: width and height must be at least 1"
            )
        rects.append(rect)
    return rects


def blank_regions(ds: Dataset, rects: list[Rect]) -> dict[str, Any]:
    """Blank ``rects`` in every frame of ``ds`` (its file meta names the transfer syntax)."""
    if "PixelData" not in ds:
        other = "FloatPixelData" in ds or "DoubleFloatPixelData" in ds
        raise UsageError(
            f"{option('blank_rect')}: "
            + ("float pixel data is not supported" if other else "the file has no pixel data")
        )
    rows, cols = _int(ds, "Rows"), _int(ds, "Columns")
    frames = max(_int(ds, "NumberOfFrames", 1), 1)
    for r in rects:
        if r.x >= cols or r.y >= rows:
            given = option("blank_rect", f"{r.x},{r.y},{r.w},{r.h}")
            raise UsageError(f"{given}: outside the {cols} x {rows} image")
    ts = str(ds.file_meta.TransferSyntaxUID)
    syntax = S.by_uid(ts)
    compressed = not S.is_native(ts)
    big_endian = ts == S.EXPLICIT_BE
    photometric = str(ds.get("PhotometricInterpretation", "")).strip()
    bits = _int(ds, "BitsAllocated")
    if not compressed and bits in (1, 8, 16, 32, 64) and photometric != "YBR_FULL_422":
        _blank_native(ds, rects, big_endian, frames)
        return {"frames": frames, "transfer_syntax": ts, "reencoded": False}
    arr, pi = _decode(ds, ts, compressed)
    samples = _int(ds, "SamplesPerPixel", 1)
    if pi == "YBR_FULL_422":  # decoded at full resolution: store it so
        pi = "YBR_FULL"
    _zero(arr, rects, _fill(pi, bits, samples), sample_axis=samples > 1)
    # Lossy data is not re-encoded (it would lose more); ds.compress uses pydicom's encoders.
    lossless = syntax is not None and not syntax.lossy
    if compressed and lossless and codecs.encoder(ts).uses_pydicom:
        try:
            ds.PhotometricInterpretation = pi
            ds.compress(ts, arr, generate_instance_uid=False)
            return {"frames": frames, "transfer_syntax": ts, "reencoded": True}
        except Exception:  # an encoder that refuses this image: fall back to uncompressed
            pass
    _store_native(ds, arr, pi, big_endian=big_endian)
    return {
        "frames": frames,
        "transfer_syntax": str(ds.file_meta.TransferSyntaxUID),
        "reencoded": compressed,
    }


def _int(ds: Dataset, keyword: str, default: int | None = None) -> int:
    value = ds.get(keyword, default)
    try:
        return int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise InputError(f"{option('blank_rect')}: invalid {keyword} {value!r}") from None


def _fill(photometric: str, bits: int, samples: int) -> tuple[int, ...]:
    """The blank value per sample: black (Y 0, chroma at its midpoint for YBR)."""
    if samples > 1 and photometric.startswith("YBR"):
        mid = 1 << (min(bits, 32) - 1)
        return (0, mid, mid)
    return (0,) * samples


def _decode(ds: Dataset, ts: str, compressed: bool) -> tuple[np.ndarray, str]:
    decoder = codecs.decoder(ts).require(option("blank_rect"))
    name = S.by_uid(ts).title if S.by_uid(ts) else ts
    try:
        # Native data stays in its colour space; compressed colour data comes back as RGB.
        arr, meta = decoder.as_array(ds, raw=not compressed)
    except Exception as exc:
        raise InputError(f"cannot decode {name} pixel data: {describe_exception(exc)}") from exc
    if not arr.flags.writeable:
        arr = arr.copy()
    return arr, str(meta.get("photometric_interpretation", ds.PhotometricInterpretation))


def _zero(arr: np.ndarray, rects: list[Rect], fill: tuple[int, ...], sample_axis: bool) -> None:
    """Fill the rectangles; ``arr`` is ([frames,] rows, cols) or ([frames,] rows, cols, s)."""
    for r in rects:
        if sample_axis:
            arr[..., r.y : r.y + r.h, r.x : r.x + r.w, :] = fill
        else:
            arr[..., r.y : r.y + r.h, r.x : r.x + r.w] = fill[0]


def _blank_native(ds: Dataset, rects: list[Rect], big_endian: bool, frames: int) -> None:
    """Blank in the stored bytes: the rest of the value stays byte for byte as it was."""
    import numpy as np

    samples = _int(ds, "SamplesPerPixel", 1)
    planar = _int(ds, "PlanarConfiguration", 0) if samples > 1 else 0
    rows, cols, bits = _int(ds, "Rows"), _int(ds, "Columns"), _int(ds, "BitsAllocated")
    fill = _fill(str(ds.get("PhotometricInterpretation", "")).strip(), bits, samples)
    count = frames * rows * cols * samples
    buf = bytearray(ds.PixelData)
    # 8-bit data in an OW value of a big endian file is stored as swapped byte pairs.
    swapped = big_endian and bits == 8 and ds["PixelData"].VR == "OW"
    if swapped:
        buf[0::2], buf[1::2] = buf[1::2], buf[0::2]
    need = (count + 7) // 8 if bits == 1 else count * bits // 8
    if len(buf) < need:
        raise InputError(f"pixel data is {len(buf)} bytes, shorter than the {need} the image needs")
    if bits == 1:
        flat = np.unpackbits(np.frombuffer(buf, np.uint8), bitorder="little")[:count].copy()
    else:
        dtype = np.dtype(f"u{bits // 8}").newbyteorder(">" if big_endian else "<")
        flat = np.frombuffer(buf, dtype=dtype, count=count)
    if planar:
        planes = flat.reshape(frames, samples, rows, cols)
        for i in range(samples):
            _zero(planes[:, i], rects, (fill[i],), sample_axis=False)
    else:
        _zero(flat.reshape(frames, rows, cols, samples), rects, fill, sample_axis=True)
    if bits == 1:
        packed = np.packbits(flat, bitorder="little").tobytes()
        buf[: len(packed)] = packed
    if swapped:
        buf[0::2], buf[1::2] = buf[1::2], buf[0::2]
    ds.PixelData = bytes(buf)


def _store_native(ds: Dataset, arr: np.ndarray, photometric: str, big_endian: bool) -> None:
    """Store decoded frames uncompressed (Explicit VR Little Endian unless big endian)."""
    from pydicom.pixels.utils import pack_bits

    bits = _int(ds, "BitsAllocated")
    if bits == 1:
        data = pack_bits(arr, pad=False)
    else:
        data = arr.astype(arr.dtype.newbyteorder(">" if big_endian else "<")).tobytes()
    if len(data) % 2:
        data += b"\0"
    ds.PixelData = data
    elem = ds["PixelData"]
    elem.VR = "OB" if bits <= 8 else "OW"
    elem.is_undefined_length = False
    ds.PhotometricInterpretation = photometric
    if _int(ds, "SamplesPerPixel", 1) > 1:
        ds.PlanarConfiguration = 0
    if not big_endian:
        ds.file_meta.TransferSyntaxUID = S.EXPLICIT_LE
