"""Decoding pixel data frame by frame, with clear errors.

``open_pixels(path)`` reads the data set without its pixel data and checks the Image Pixel
module; ``PixelSource.frame(i)`` decodes one frame reading only that frame's bytes from disk
(pydicom 3 does this when given a path), and ``iter_frames()`` streams every frame.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dicom_tools.errors import InputError, MissingDependencyError, UsageError
from dicom_tools.io import describe_exception, read_dataset

if TYPE_CHECKING:
    import numpy as np
    from pydicom import Dataset

PIXEL_TAGS = (0x7FE00010, 0x7FE00008, 0x7FE00009)  # Pixel Data, Float, Double Float


@dataclass
class PixelSource:
    """One file's pixel data: the Image Pixel attributes and frame-wise decoding."""

    path: Path
    ds: Dataset  # the data set, pixel data not loaded
    rows: int
    columns: int
    frames: int
    samples: int
    bits_allocated: int
    bits_stored: int
    high_bit: int
    pixel_representation: int
    photometric: str
    planar_configuration: int
    transfer_syntax: str
    pixel_keyword: str

    @property
    def is_color(self) -> bool:
        return self.samples > 1

    def check_frame(self, index: int) -> int:
        if not 0 <= index < self.frames:
            raise UsageError(
                f"{self.path}: frame {index} out of range (the file has {self.frames} "
                f"frame{'s' if self.frames != 1 else ''}, numbered 0 to {self.frames - 1})"
            )
        return index

    def frame(self, index: int) -> np.ndarray:
        """Decode frame ``index`` (0-based); colour data comes back as RGB (rows, cols, 3)."""
        self.check_frame(index)
        return self._decode(index=index)

    def iter_frames(self) -> Iterator[np.ndarray]:
        """Decode every frame in turn, holding one frame in memory at a time."""
        from pydicom.pixels import iter_pixels

        if self._needs_dataset():
            for i in range(self.frames):
                yield self._decode(index=i)
            return
        with self._errors():
            yield from iter_pixels(self.path, **self._options())

    def _needs_dataset(self) -> bool:
        # pydicom decodes from the path only for Part 10 files that are not deflated.
        from dicom_tools.imaging.syntaxes import DEFLATED

        return self.transfer_syntax == DEFLATED or not self.ds.file_meta.get("TransferSyntaxUID")

    def _options(self) -> dict[str, Any]:
        return {"transfer_syntax_uid": self.transfer_syntax}

    def _decode(self, index: int) -> np.ndarray:
        from pydicom.pixels import pixel_array

        with self._errors():
            if self._needs_dataset():
                full = read_dataset(self.path)  # deflated/no-meta: must inflate/parse it all
                if not full.file_meta.get("TransferSyntaxUID"):
                    full.file_meta.TransferSyntaxUID = self.transfer_syntax
                return pixel_array(full, index=index)
            return pixel_array(self.path, index=index, **self._options())

    def _errors(self):
        return _decode_errors(self)


class _decode_errors:
    """Turn decoder exceptions into one-line errors naming the file and the syntax."""

    def __init__(self, src: PixelSource) -> None:
        self.src = src

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind, exc, tb) -> bool:
        if exc is None or isinstance(exc, InputError | UsageError | MissingDependencyError):
            return False
        if isinstance(exc, GeneratorExit | KeyboardInterrupt):
            return False
        src = self.src
        ts_name = _syntax_name(src.transfer_syntax)
        if isinstance(exc, NotImplementedError | RuntimeError) and _is_missing_plugin(exc):
            hint = _hint(src.transfer_syntax)
            raise MissingDependencyError(
                f"{src.path}: cannot decode {ts_name} pixel data: no decoder installed"
                + (f"; install {hint}" if hint else "")
            ) from exc
        raise InputError(
            f"{src.path}: cannot decode {ts_name} pixel data: {describe_exception(exc)}"
        ) from exc


def _is_missing_plugin(exc: BaseException) -> bool:
    text = str(exc)
    return "not supported" in text or "missing" in text or "plugins are available" in text


def _hint(uid: str) -> str | None:
    from dicom_tools.imaging.syntaxes import decode_hint

    hint = decode_hint(uid)
    return f"it with: pip install {hint}" if hint else None


def _syntax_name(uid: str) -> str:
    from dicom_tools.imaging.syntaxes import describe

    return describe(uid)


def pixel_int(
    ds: Dataset, keyword: str, default: int | None = None, path: str | Path | None = None
) -> int:
    """An integer Image Pixel attribute, its default when absent, or a one-line InputError."""
    where = path if path is not None else ds.filename
    value = ds.get(keyword, default)
    if value is None or value == "":
        if default is None:
            raise InputError(f"{where}: the Image Pixel module has no {keyword}")
        return default
    try:
        return int(value)
    except (TypeError, ValueError):
        raise InputError(f"{where}: invalid {keyword} {value!r}") from None


def open_pixels(path: str | Path) -> PixelSource:
    """Read the data set (not its pixel data) and check that its pixels can be decoded."""
    from pydicom.dataelem import RawDataElement
    from pydicom.pixels.decoders.base import get_decoder
    from pydicom.uid import UID

    path = Path(path)
    ds = read_dataset(path, defer_size=1024)
    tag = next((t for t in PIXEL_TAGS if t in ds), None)
    if tag is None:
        raise InputError(f"{path}: no pixel data (the file has no Pixel Data element)")
    ts = ds.file_meta.get("TransferSyntaxUID")
    if not ts:
        # A bare data set: the transfer syntax pydicom detected while reading it.
        implicit, little = ds.original_encoding
        ts = (
            "1.2.840.10008.1.2"
            if implicit
            else ("1.2.840.10008.1.2.1" if little else "1.2.840.10008.1.2.2")
        )
    ts = str(ts)
    rows = pixel_int(ds, "Rows")
    columns = pixel_int(ds, "Columns")
    samples = pixel_int(ds, "SamplesPerPixel", 1)
    bits_allocated = pixel_int(ds, "BitsAllocated")
    src = PixelSource(
        path=path,
        ds=ds,
        rows=rows,
        columns=columns,
        frames=max(pixel_int(ds, "NumberOfFrames", 1), 1),
        samples=samples,
        bits_allocated=bits_allocated,
        bits_stored=pixel_int(ds, "BitsStored", bits_allocated),
        high_bit=pixel_int(ds, "HighBit", pixel_int(ds, "BitsStored", bits_allocated) - 1),
        pixel_representation=pixel_int(ds, "PixelRepresentation", 0),
        photometric=str(ds.get("PhotometricInterpretation", "") or "").strip().upper(),
        planar_configuration=pixel_int(ds, "PlanarConfiguration", 0),
        transfer_syntax=ts,
        pixel_keyword={0x7FE00010: "PixelData", 0x7FE00008: "FloatPixelData"}.get(
            tag, "DoubleFloatPixelData"
        ),
    )
    if rows <= 0 or columns <= 0:
        raise InputError(f"{path}: image has {rows} rows and {columns} columns; nothing to decode")
    if samples not in (1, 3, 4):
        raise InputError(f"{path}: unsupported Samples per Pixel {samples}")
    if bits_allocated not in (1, 8, 16, 32, 64):
        raise InputError(f"{path}: unsupported Bits Allocated {bits_allocated}")
    if not src.photometric:
        raise InputError(f"{path}: no Photometric Interpretation")
    known = {
        "MONOCHROME1",
        "MONOCHROME2",
        "PALETTE COLOR",
        "RGB",
        "YBR_FULL",
        "YBR_FULL_422",
        "YBR_ICT",
        "YBR_RCT",
        "YBR_PARTIAL_420",
        "YBR_PARTIAL_422",
    }
    if src.photometric not in known:
        raise InputError(f"{path}: unsupported Photometric Interpretation {src.photometric!r}")

    try:
        decoder = get_decoder(UID(ts))
    except NotImplementedError:
        raise MissingDependencyError(
            f"{path}: pixel data in {_syntax_name(ts)} cannot be decoded by any installed plugin"
            + (f"; install {_hint(ts)}" if _hint(ts) else "")
        ) from None
    if not decoder.is_available:
        hint = _hint(ts) or ", ".join(decoder.missing_dependencies)
        raise MissingDependencyError(
            f"{path}: cannot decode {_syntax_name(ts)} pixel data; install {hint}"
        )

    if not UID(ts).is_compressed:
        # Natively encoded: the value must hold every frame (pydicom would pad or fail later).
        raw = ds._dict.get(tag)
        length = raw.length if isinstance(raw, RawDataElement) else len(ds[tag].value or b"")
        bits = rows * columns * samples * bits_allocated * src.frames
        if src.photometric == "YBR_FULL_422" and bits_allocated == 8:
            bits = bits * 2 // 3
        expected = (bits + 7) // 8
        if length < expected:
            raise InputError(
                f"{path}: pixel data is {length} bytes, shorter than the {expected} bytes that "
                f"{rows} x {columns} x {samples} samples x {bits_allocated} bits x "
                f"{src.frames} frame(s) need"
            )
    return src
