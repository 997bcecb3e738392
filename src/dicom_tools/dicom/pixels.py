"""One pixel source: a file's Image Pixel description and its frames, decoded one at a time.

``open_pixels(source)`` reads the data set without its pixel data (the value stays on disk, or
in the caller's bytes for an instance held in memory) and checks that its frames can be decoded;
``PixelSource.frame(i)`` then reads and decodes only frame ``i``'s bytes (by offset in the file),
and ``iter_frames()`` streams every frame holding one in memory at a time. Both give
frames as readers show them (colour as RGB). ``iter_stored()`` gives the stored samples instead,
for re-encoding (transcode, anonymize). ``PixelSource.from_dataset`` describes a data set read
by the caller. Decoders come from the codec registry (``dicom_tools.dicom.codecs``); pydicom and
numpy are imported only when frames are decoded.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dicom_tools.dicom import codecs
from dicom_tools.dicom import syntaxes as S
from dicom_tools.dicom.source import Source, as_source
from dicom_tools.dicom.tags import DOUBLE_FLOAT_PIXEL_DATA, FLOAT_PIXEL_DATA, PIXEL_DATA
from dicom_tools.errors import InputError, MissingDependencyError, UsageError

if TYPE_CHECKING:
    import numpy as np
    from pydicom import Dataset

# The pixel data elements, in the order they are looked for.
PIXEL_KEYWORDS: dict[int, str] = {
    PIXEL_DATA: "PixelData",
    FLOAT_PIXEL_DATA: "FloatPixelData",
    DOUBLE_FLOAT_PIXEL_DATA: "DoubleFloatPixelData",
}
PIXEL_TAGS = tuple(PIXEL_KEYWORDS)
# Samples per pixel each Photometric Interpretation needs (PS3.3 C.7.6.3.1.2).
PHOTOMETRIC_SAMPLES: dict[str, int] = {
    "MONOCHROME1": 1,
    "MONOCHROME2": 1,
    "PALETTE COLOR": 1,
    "RGB": 3,
    "YBR_FULL": 3,
    "YBR_FULL_422": 3,
    "YBR_PARTIAL_420": 3,
    "YBR_PARTIAL_422": 3,
    "YBR_ICT": 3,
    "YBR_RCT": 3,
    "XYB": 3,
    "HSV": 3,
    "ARGB": 4,
    "CMYK": 4,
}
# The ones the decoders hand back in a form to render (the others are retired or unknown).
DECODABLE_PHOTOMETRICS = frozenset(
    (
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
    )
)


def dataset_syntax(ds: Dataset) -> str:
    """The transfer syntax UID of a data set read by pydicom: its meta's, else as it was read."""
    meta = getattr(ds, "file_meta", None)
    ts = meta.get("TransferSyntaxUID") if meta is not None else None
    if ts:
        return str(ts)
    implicit, little = getattr(ds, "original_encoding", (None, None))
    if implicit:
        return S.IMPLICIT_LE
    return S.EXPLICIT_LE if little is not False else S.EXPLICIT_BE


def little_endian(ds: Dataset) -> bool:
    """Whether the binary (OW) values of a data set read by pydicom are little endian."""
    return dataset_syntax(ds) != S.EXPLICIT_BE


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


@dataclass
class PixelSource:
    """One data set's pixel data: the Image Pixel attributes and frame-wise decoding."""

    source: Source  # the file, or the bytes in memory, that deferred values are read from
    ds: Dataset  # the data set; a large pixel data value is deferred (left on disk)
    tag: int
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

    # -- description ------------------------------------------------------------------------

    @classmethod
    def from_dataset(
        cls, ds: Dataset, path: str | Path | Source, transfer_syntax: str | None = None
    ) -> PixelSource | None:
        """Describe ``ds``'s pixel data (None when it has none); invalid numbers: InputError.
        ``path``: the input ``ds`` was read from (its deferred values are read from it)."""
        tag = next((t for t in PIXEL_TAGS if t in ds._dict), None)
        if tag is None:
            return None
        source = as_source(path)

        def num(keyword: str, default: int | None = None) -> int:
            return pixel_int(ds, keyword, default, source.name)

        rows, columns = num("Rows"), num("Columns")
        samples = num("SamplesPerPixel", 1)
        bits_allocated = num("BitsAllocated")
        frames = max(num("NumberOfFrames", 1), 1)
        bits_stored = num("BitsStored", bits_allocated)
        try:
            high_bit = num("HighBit", bits_stored - 1)
        except InputError:
            high_bit = -1  # reported by check_layout(display=True); re-encoding ignores it
        return cls(
            source=source,
            ds=ds,
            tag=tag,
            rows=rows,
            columns=columns,
            frames=frames,
            samples=samples,
            bits_allocated=bits_allocated,
            bits_stored=bits_stored,
            high_bit=high_bit,
            pixel_representation=num("PixelRepresentation", 0),
            photometric=str(ds.get("PhotometricInterpretation", "") or "").strip().upper(),
            planar_configuration=num("PlanarConfiguration", 0),
            transfer_syntax=transfer_syntax or dataset_syntax(ds),
        )

    @property
    def name(self) -> str:
        """What messages call the input: its path, or an in-memory instance's name."""
        return self.source.name

    @property
    def pixel_keyword(self) -> str:
        return PIXEL_KEYWORDS[self.tag]

    @property
    def is_color(self) -> bool:
        return self.samples > 1

    @property
    def syntax(self) -> S.Syntax | None:
        return S.by_uid(self.transfer_syntax)

    @property
    def native(self) -> bool:
        return S.is_native(self.transfer_syntax)

    @property
    def frame_bytes(self) -> int:
        """Bytes of one native frame (YBR_FULL_422 shares chroma between pixel pairs)."""
        bits = self.rows * self.columns * self.samples * self.bits_allocated
        if self.photometric == "YBR_FULL_422" and self.bits_allocated == 8:
            bits = bits * 2 // 3
        return (bits + 7) // 8 if self.bits_allocated == 1 else bits // 8

    @property
    def expected_bytes(self) -> int:
        """Bytes of every native frame (bit-packed frames are not byte aligned)."""
        if self.bits_allocated == 1:
            return (self.rows * self.columns * self.samples * self.frames + 7) // 8
        return self.frame_bytes * self.frames

    def check_layout(self, *, display: bool = True) -> None:
        """One-line InputErrors for an Image Pixel module no decoder can follow.

        ``display``: also the checks rendering needs (a known Photometric Interpretation, a valid
        High Bit); without it, the Bits Stored check that re-encoding needs.
        """
        path = self.name
        if self.rows <= 0 or self.columns <= 0:
            raise InputError(
                f"{path}: image has {self.rows} rows and {self.columns} columns; nothing to decode"
            )
        if self.samples not in (1, 3, 4):
            raise InputError(f"{path}: unsupported Samples per Pixel {self.samples}")
        if self.bits_allocated not in (1, 8, 16, 32, 64):
            raise InputError(f"{path}: unsupported Bits Allocated {self.bits_allocated}")
        if not display:
            ba, bs = self.bits_allocated, self.bits_stored
            if not 1 <= bs <= ba:
                raise InputError(f"{path}: Bits Stored {bs} does not fit Bits Allocated {ba}")
            return
        if self.high_bit < 0:
            pixel_int(self.ds, "HighBit", self.bits_stored - 1, path)  # raises its message
        if not self.photometric:
            raise InputError(f"{path}: no Photometric Interpretation")
        if self.photometric not in DECODABLE_PHOTOMETRICS:
            raise InputError(f"{path}: unsupported Photometric Interpretation {self.photometric!r}")

    def stored_length(self) -> int:
        """The pixel data value's length as stored (0xFFFFFFFF: undefined, encapsulated)."""
        from pydicom.dataelem import RawDataElement

        raw = self.ds._dict[self.tag]
        if isinstance(raw, RawDataElement):
            return raw.length
        return len(self.ds[self.tag].value or b"")

    def check_native_length(self) -> None:
        """Native pixel data must hold every frame (pydicom would pad or fail later)."""
        length = self.stored_length()
        if length == 0xFFFFFFFF:
            raise InputError(
                f"{self.name}: pixel data is encapsulated (undefined length) but the transfer "
                "syntax is native"
            )
        if length < self.expected_bytes:
            raise InputError(
                f"{self.name}: pixel data is {length} bytes, shorter than the "
                f"{self.expected_bytes} bytes that {self.rows} x {self.columns} x "
                f"{self.samples} samples x {self.bits_allocated} bits x {self.frames} "
                "frame(s) need"
            )

    def check_frame(self, index: int) -> int:
        if not 0 <= index < self.frames:
            raise UsageError(
                f"{self.name}: frame {index} out of range (the file has {self.frames} "
                f"frame{'s' if self.frames != 1 else ''}, numbered 0 to {self.frames - 1})"
            )
        return index

    # -- decoding ----------------------------------------------------------------------------

    def decoder(self) -> Any:
        """pydicom's decoder for the syntax, or MissingDependencyError naming what to install."""
        return codecs.decoder(self.transfer_syntax).require(self.name)

    def frame(self, index: int) -> np.ndarray:
        """Frame ``index`` (0-based) as readers show it: colour comes back as RGB."""
        self.check_frame(index)
        dec = self.decoder()
        with _decode_errors(self), self._source() as (source, opts):
            return dec.as_array(source, index=index, validate=True, raw=False, **opts)[0]

    def iter_frames(self) -> Iterator[np.ndarray]:
        """Every frame in turn as readers show it, one frame in memory at a time."""
        dec = self.decoder()
        with _decode_errors(self), self._source() as (source, opts):
            for arr, _ in dec.iter_array(source, validate=True, raw=False, **opts):
                yield arr

    def stored_frame(self, index: int) -> bytes | None:
        """Frame ``index``'s bytes as stored, not decoded: an encapsulated frame's fragments
        joined (its codestream), or a native frame's bytes when the file stores them little
        endian and byte aligned; None for a native frame that must be decoded instead
        (big endian, 1-bit, deflated). Serves DICOMweb frame retrieval without re-encoding."""
        self.check_frame(index)
        syntax = self.syntax
        if self.native and (
            syntax is None
            or not syntax.little_endian
            or syntax.deflated
            or self.bits_allocated == 1
        ):
            return None
        size = self.frame_bytes
        with self._source() as (source, opts):
            direct = hasattr(source, "read")
            if self.native:
                if direct:
                    source.seek(index * size, 1)
                    data = source.read(size)
                else:
                    data = bytes(source[self.tag].value[index * size : (index + 1) * size])
                if len(data) != size:
                    raise InputError(f"{self.name}: pixel data ends inside frame {index}")
                return data
            from pydicom.encaps import get_frame

            buffer = source if direct else source[self.tag].value
            with _decode_errors(self):
                return get_frame(
                    buffer,
                    index,
                    extended_offsets=opts.get("extended_offsets"),
                    number_of_frames=self.frames,
                )

    def iter_stored(self) -> Iterator[tuple[np.ndarray, str]]:
        """(frame, its photometric interpretation) with the stored samples, for re-encoding.

        No colour conversion (lossless targets get exactly what was stored) except for lossy
        JPEG, whose decoder's YCbCr->RGB is what every reader shows (as dcmdjpeg keeps it).
        Frames come in native byte order; YBR_FULL_422 comes back at full resolution
        (YBR_FULL). The registry's preferred plugin is tried first, the others after it.
        """
        dec = self.decoder()
        info = codecs.decoder(self.transfer_syntax)
        plugins = [info.preferred, ""] if info.preferred else [""]
        desc = S.describe(self.transfer_syntax)
        index = 0
        for attempt, plugin in enumerate(plugins):
            try:
                with self._source() as (source, opts), warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    frames = dec.iter_array(
                        source, raw=not info.converts_colour, decoding_plugin=plugin, **opts
                    )
                    for i, (arr, meta) in enumerate(frames):
                        if i < index:
                            continue  # already handed out by the preferred plugin
                        pi = str(meta.get("photometric_interpretation", self.photometric))
                        if pi == "YBR_FULL_422":
                            pi = "YBR_FULL"  # decoders hand back full-resolution chroma
                        if not arr.dtype.isnative:
                            arr = arr.astype(arr.dtype.newbyteorder("="))
                        yield arr, pi
                        index += 1
                break
            except (InputError, MissingDependencyError):
                raise
            except Exception as exc:
                if attempt + 1 < len(plugins):
                    continue
                raise InputError(
                    f"{self.name}: cannot decode {desc} pixel data "
                    f"(frame {index}): {_describe(exc)}"
                ) from exc
        if index < self.frames:
            raise InputError(
                f"{self.name}: pixel data holds {index} frame(s), Number of Frames says "
                f"{self.frames}"
            )

    @contextlib.contextmanager
    def _source(self) -> Iterator[tuple[Any, dict[str, Any]]]:
        """What pydicom decodes from, and its options.

        A deferred value is decoded from the file (or from the instance's bytes in memory),
        positioned at the value, so that only the frames asked for are read; a value already
        read from the data set. A deflated file's data
        set must be inflated whole: it is read once, on first use.
        """
        from pydicom.dataelem import RawDataElement
        from pydicom.pixels.utils import as_pixel_options
        from pydicom.uid import UID

        ds = self.ds
        elem = ds._dict[self.tag]
        deferred = isinstance(elem, RawDataElement) and elem.value is None
        syntax = self.syntax
        if deferred and (syntax is None or syntax.deflated):
            ds = self.ds = _read_whole(self.source)
            elem = ds._dict[self.tag]
            deferred = False
        opts = as_pixel_options(
            ds, transfer_syntax_uid=UID(self.transfer_syntax), pixel_keyword=self.pixel_keyword
        )
        if not deferred or elem.value_tell is None:
            meta = getattr(ds, "file_meta", None)
            if meta is not None and not meta.get("TransferSyntaxUID"):
                meta.TransferSyntaxUID = self.transfer_syntax  # pydicom decodes by it
            yield ds, opts
            return
        path = self.source.path
        # A file is read by offset; an instance in memory is read from its bytes, not copied.
        with open(path, "rb") if path is not None else self.source.open() as f:
            f.seek(elem.value_tell)
            if (syntax is None or syntax.explicit_vr) and elem.VR:
                opts["pixel_vr"] = str(elem.VR)
            yield f, opts


def _read_whole(source: Source) -> Dataset:
    from dicom_tools.io import read_dataset

    return read_dataset(source)


def _describe(exc: BaseException) -> str:
    from dicom_tools.io import describe_exception

    return describe_exception(exc)


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
        info = codecs.decoder(src.transfer_syntax)
        desc = S.describe(src.transfer_syntax)
        if isinstance(exc, NotImplementedError | RuntimeError) and _is_missing_plugin(exc):
            raise MissingDependencyError(
                f"{src.name}: cannot decode {desc} pixel data: no decoder installed"
                + (f"; install it with: pip install {info.hint}" if info.hint else "")
            ) from exc
        raise InputError(f"{src.name}: cannot decode {desc} pixel data: {_describe(exc)}") from exc


def _is_missing_plugin(exc: BaseException) -> bool:
    text = str(exc)
    return "not supported" in text or "missing" in text or "plugins are available" in text


def open_pixels(path: str | Path | Source) -> PixelSource:
    """Read the data set (not its pixel data) and check that its frames can be decoded.
    ``path`` is a file or a ``Source``: an instance held in memory is read from its bytes."""
    from dicom_tools.io import read_dataset

    source = as_source(path)
    ds = read_dataset(source, defer_size=1024)
    src = PixelSource.from_dataset(ds, source)
    if src is None:
        raise InputError(f"{source.name}: no pixel data (the file has no Pixel Data element)")
    src.check_layout(display=True)
    src.decoder()
    if src.native:
        src.check_native_length()
    return src
