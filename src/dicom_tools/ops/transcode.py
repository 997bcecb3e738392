"""transcode: re-encode a file in another transfer syntax (uncompressed, deflated, RLE, JPEG...).

How the pixel data travels:

* little endian native -> little endian native (explicit, implicit, deflated): the bytes are
  copied unchanged, so nothing about them (unused high bits, YBR_FULL_422 subsampling) is lost;
* the same encapsulated syntax in and out, without lossy options: the fragments are copied;
* anything else: frames are decoded one at a time with pydicom's decoders (read from the file,
  not from memory, when the value is large) and re-encoded frame by frame, so a big multi-frame
  file is never held decoded in memory all at once.

Frames are decoded without colour conversion (``raw``) so that lossless targets get exactly the
stored samples; lossy JPEG input is the exception: its decoder's own YCbCr->RGB conversion is
what every reader shows, so that is what is kept (with Photometric Interpretation RGB), as
dcmdjpeg does.

Lossy options: ``quality`` (1-100) for jpeg-baseline (libjpeg quality, default 90) and JPEG 2000
/ HTJ2K (a target PSNR of 20 + 0.3 * quality dB for 8-bit samples, 6 dB more per extra bit
stored, so the same quality looks alike at any bit depth); ``ratio`` (> 1) for JPEG 2000 / HTJ2K
(default 10 when neither is given); ``near_lossless`` (NEAR, default 2 as dcmcjpls) for
jpeg-ls-near-lossless. The SOP Instance UID is kept: only pixel-related attributes change.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from dicom_tools.errors import InputError, MissingDependencyError, UsageError
from dicom_tools.imaging import syntaxes
from dicom_tools.imaging.decode import pixel_int
from dicom_tools.imaging.syntaxes import DEFLATED, EXPLICIT_BE, EXPLICIT_LE, IMPLICIT_LE, Syntax
from dicom_tools.io import atomic_output, describe_exception, read_dataset
from dicom_tools.result import Result

if TYPE_CHECKING:
    import numpy as np
    from pydicom import Dataset

PIXEL_TAGS = {
    0x7FE00010: "PixelData",
    0x7FE00008: "FloatPixelData",
    0x7FE00009: "DoubleFloatPixelData",
}
NATIVE = (EXPLICIT_LE, IMPLICIT_LE, EXPLICIT_BE, DEFLATED)
JPEG_LOSSY_IN = ("1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.51")
J2K_LIKE = ("1.2.840.10008.1.2.4.90", "1.2.840.10008.1.2.4.91")
HTJ2K_LIKE = ("1.2.840.10008.1.2.4.201", "1.2.840.10008.1.2.4.202", "1.2.840.10008.1.2.4.203")
RLE = "1.2.840.10008.1.2.5"
JPEG_BASELINE = "1.2.840.10008.1.2.4.50"
JPEG_LS_NEAR = "1.2.840.10008.1.2.4.81"
JPEG2000_LOSSY = "1.2.840.10008.1.2.4.91"
HTJ2K_LOSSY = "1.2.840.10008.1.2.4.203"
LOSSY_INPUT = (*JPEG_LOSSY_IN, JPEG_LS_NEAR, JPEG2000_LOSSY, HTJ2K_LOSSY)
DEFER_SIZE = 4096  # larger values stay on disk until written (pixel data is read per frame)
EOT_THRESHOLD = 2**32 - 1  # a Basic Offset Table cannot address more (PS3.5 A.4)
SPOOL_SIZE = 64 * 2**20  # decoded pixel data larger than this goes through a temporary file
DEFAULT_J2K_RATIO = 10.0
DEFAULT_NEAR = 2
# CharLS decodes JPEG-LS about three times faster than libjpeg.
_PREFERRED_DECODER = {"1.2.840.10008.1.2.4.80": "pyjpegls", "1.2.840.10008.1.2.4.81": "pyjpegls"}


@dataclass
class _Target:
    syntax: Syntax
    options: dict[str, Any] = field(default_factory=dict)  # codec keyword arguments
    lossy: bool = False
    options_given: bool = False  # the user asked for specific lossy settings


def transcode(
    input: Path | None,
    output: Path | None,
    *,
    transfer_syntax: str = "explicit-vr-little-endian",
    quality: int | None = None,
    ratio: float | None = None,
    near_lossless: int | None = None,
    list: bool = False,
) -> Result:
    """Re-encode ``input`` as ``transfer_syntax`` into ``output``; ``list`` shows capabilities."""
    if list:
        rows = syntaxes.capabilities()
        return Result(data={"syntaxes": rows}, text=syntaxes.capabilities_text(rows))
    if input is None:
        raise UsageError("an input file is required (or --list)")
    if output is None:
        raise UsageError("transcode: an output path is required (--output)")
    target = _target(transfer_syntax or "explicit-vr-little-endian", quality, ratio, near_lossless)
    _require_encoder(target.syntax)
    return _Job(Path(input), Path(output), target).run()


# ---------------------------------------------------------------------------------------------
# Options


def _target(name: str, quality: int | None, ratio: float | None, near: int | None) -> _Target:
    syntax = syntaxes.resolve(name)
    uid = syntax.uid
    given = {"--quality": quality, "--ratio": ratio, "--near-lossless": near}
    allowed = {
        JPEG_BASELINE: ("--quality",),
        JPEG2000_LOSSY: ("--quality", "--ratio"),
        HTJ2K_LOSSY: ("--quality", "--ratio"),
        JPEG_LS_NEAR: ("--near-lossless",),
    }.get(uid, ())
    for flag, value in given.items():
        if value is not None and flag not in allowed:
            users = {
                "--quality": "jpeg-baseline, jpeg2000, htj2k",
                "--ratio": "jpeg2000, htj2k",
                "--near-lossless": "jpeg-ls-near-lossless",
            }[flag]
            kind = "a lossless" if not syntax.lossy else "this"
            raise UsageError(
                f"{flag} does not apply to {syntax.name} ({kind} target); it is used by {users}"
            )
    if quality is not None and ratio is not None:
        raise UsageError("give --quality or --ratio, not both")
    if quality is not None and not 1 <= quality <= 100:
        raise UsageError(f"--quality must be 1 to 100, not {quality}")
    if ratio is not None and not ratio > 1:
        raise UsageError(f"--ratio must be greater than 1, not {ratio:g}")
    if near is not None and not 1 <= near <= 255:
        raise UsageError(f"--near-lossless must be 1 to 255, not {near}")

    opts: dict[str, Any] = {}
    if uid == JPEG_BASELINE:
        opts["quality"] = 90 if quality is None else quality
    elif uid in (JPEG2000_LOSSY, HTJ2K_LOSSY):
        if quality is not None:
            opts["quality"] = quality  # a PSNR once the bit depth is known
        else:
            opts["j2k_cr"] = [DEFAULT_J2K_RATIO if ratio is None else float(ratio)]
    elif uid == JPEG_LS_NEAR:
        opts["jls_error"] = DEFAULT_NEAR if near is None else near
    given_any = any(v is not None for v in given.values())
    return _Target(syntax, opts, lossy=syntax.lossy, options_given=given_any)


def _require_encoder(syntax: Syntax) -> None:
    """Fail before reading anything when this installation cannot write ``syntax``."""
    if syntax.uid in NATIVE:
        return
    ok, _ = syntaxes.encode_plugins(syntax.uid)
    if ok:
        return
    hint = syntaxes.encode_hint(syntax.uid)
    encoder = syntaxes.pydicom_encoder(syntax.uid)
    if hint:
        raise MissingDependencyError(
            f"cannot encode {syntaxes.describe(syntax.uid)}: no encoder installed; "
            f"pip install {hint}"
        )
    if encoder is not None:
        missing = "; ".join(encoder.missing_dependencies)
        raise MissingDependencyError(f"cannot encode {syntaxes.describe(syntax.uid)}: {missing}")
    raise MissingDependencyError(
        f"cannot encode {syntaxes.describe(syntax.uid)}: no encoder for it is "
        "available in this installation (see `dicom-tools transcode --list`)"
    )


# ---------------------------------------------------------------------------------------------
# The job


@dataclass
class _Pixels:
    """The input's pixel data element and the Image Pixel attributes that describe it."""

    tag: int
    keyword: str
    rows: int
    columns: int
    frames: int
    samples: int
    bits_allocated: int
    bits_stored: int
    pixel_representation: int
    photometric: str
    planar_configuration: int

    @property
    def frame_bytes(self) -> int:
        bits = self.rows * self.columns * self.samples * self.bits_allocated
        if self.photometric == "YBR_FULL_422" and self.bits_allocated == 8:
            bits = bits * 2 // 3
        return (bits + 7) // 8 if self.bits_allocated == 1 else bits // 8

    @property
    def expected_bytes(self) -> int:
        if self.bits_allocated == 1:
            return (self.rows * self.columns * self.samples * self.frames + 7) // 8
        return self.frame_bytes * self.frames


class _Job:
    def __init__(self, path: Path, output: Path, target: _Target) -> None:
        self.path = path
        self.output = output
        self.target = target
        self.warnings: list[str] = []
        self.copied = False
        self.ratio: float | None = None
        self.compressed_bytes = 0
        self.buffers: list[BinaryIO] = []  # decoded pixel data on its way to the file
        self.src_ts = ""

    # -- reading ----------------------------------------------------------------------------

    def _read(self) -> Dataset:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ds = read_dataset(self.path, defer_size=DEFER_SIZE)
            if self._source_ts(ds) == DEFLATED:
                # Deferred values would be re-read from the compressed file: read it all now.
                ds = read_dataset(self.path)
        return ds

    @staticmethod
    def _source_ts(ds: Dataset) -> str:
        ts = ds.file_meta.get("TransferSyntaxUID") if ds.file_meta is not None else None
        if ts:
            return str(ts)
        implicit, little = ds.original_encoding
        if implicit:
            return IMPLICIT_LE
        return EXPLICIT_LE if little is not False else EXPLICIT_BE

    def _pixels(self, ds: Dataset) -> _Pixels | None:
        tag = next((t for t in PIXEL_TAGS if t in ds._dict), None)
        if tag is None:
            return None

        def num(keyword: str, default: int | None = None) -> int:
            return pixel_int(ds, keyword, default, self.path)

        ba = num("BitsAllocated")
        bs = num("BitsStored", ba)
        px = _Pixels(
            tag=tag,
            keyword=PIXEL_TAGS[tag],
            rows=num("Rows"),
            columns=num("Columns"),
            frames=max(num("NumberOfFrames", 1), 1),
            samples=num("SamplesPerPixel", 1),
            bits_allocated=ba,
            bits_stored=bs,
            pixel_representation=num("PixelRepresentation", 0),
            photometric=str(ds.get("PhotometricInterpretation", "") or "").strip().upper(),
            planar_configuration=num("PlanarConfiguration", 0),
        )
        if px.rows <= 0 or px.columns <= 0:
            raise InputError(f"{self.path}: image has {px.rows} rows and {px.columns} columns")
        if px.samples not in (1, 3, 4):
            raise InputError(f"{self.path}: unsupported Samples per Pixel {px.samples}")
        if ba not in (1, 8, 16, 32, 64):
            raise InputError(f"{self.path}: unsupported Bits Allocated {ba}")
        if not 1 <= bs <= ba:
            raise InputError(f"{self.path}: Bits Stored {bs} does not fit Bits Allocated {ba}")
        return px

    # -- the run ------------------------------------------------------------------------------

    def run(self) -> Result:
        try:
            return self._run()
        finally:
            for buf in self.buffers:
                buf.close()

    def _run(self) -> Result:
        parent = self.output.parent if str(self.output.parent) else Path(".")
        if not parent.is_dir():
            raise UsageError(f"{self.output}: output folder {parent} does not exist")
        ds = self._read()
        src_ts = self.src_ts = self._source_ts(ds)
        dst = self.target.syntax
        in_size = self.path.stat().st_size
        if dst.uid == EXPLICIT_BE:
            self.warnings.append(
                "Explicit VR Big Endian is retired (PS3.5 A.3); many readers no longer accept it"
            )
        has_pixels = any(t in ds._dict for t in PIXEL_TAGS)
        px: _Pixels | None = None
        if not has_pixels:
            if dst.encapsulated:
                raise InputError(
                    f"{self.path}: no pixel data to compress as {syntaxes.describe(dst.uid)}"
                )
        elif _le_native(src_ts) and _le_native(dst.uid):
            # Bytes copied as they are: an incomplete Image Pixel module does not matter.
            with contextlib.suppress(InputError):
                px = self._pixels(ds)
            if px is not None:
                self._check_native_length(ds, px)
                self._set_native(ds, px, self._raw_value(ds, px), px.photometric)
            self.copied = True
        else:
            px = self._pixels(ds)
            assert px is not None
            self._pixel_data(ds, px, src_ts)
        self._endianness(ds, src_ts, dst.uid)
        self._file_meta(ds, dst.uid)
        with atomic_output(self.output) as tmp:
            self._write(ds, tmp)
        out_size = self.output.stat().st_size

        data: dict[str, Any] = {
            "input": str(self.path),
            "output": str(self.output),
            "source_transfer_syntax": src_ts,
            "source_transfer_syntax_name": syntaxes.describe(src_ts),
            "transfer_syntax": dst.uid,
            "transfer_syntax_name": syntaxes.describe(dst.uid),
            "frames": px.frames if px else None,
            "pixel_data": (
                "none" if not has_pixels else ("copied" if self.copied else "re-encoded")
            ),
            "photometric_interpretation": str(ds.get("PhotometricInterpretation", "")) or None,
            "lossy": bool(dst.lossy and has_pixels and not self.copied),
            "input_bytes": in_size,
            "output_bytes": out_size,
            "warnings": self.warnings,
        }
        if self.ratio:
            data["compression_ratio"] = round(self.ratio, 2)
        text = (
            f"wrote {self.output}: {syntaxes.describe(dst.uid)} "
            f"(from {syntaxes.describe(src_ts)}), "
            + (f"{px.frames} frame(s), " if px else "" if has_pixels else "no pixel data, ")
            + f"{in_size} -> {out_size} bytes"
        )
        text += "".join(f"\nwarning: {w}" for w in self.warnings)
        return Result(data=data, text=text, output_files=[str(self.output)])

    # -- pixel data ---------------------------------------------------------------------------

    def _pixel_data(self, ds: Dataset, px: _Pixels, src_ts: str) -> None:
        dst = self.target.syntax
        src_native = src_ts in NATIVE
        if src_native:
            self._check_native_length(ds, px)
        if src_ts == dst.uid and dst.encapsulated and not self.target.options_given:
            self.copied = True  # the same codec: the fragments are already right
            return
        if px.keyword != "PixelData" and dst.encapsulated:
            raise InputError(
                f"{self.path}: {px.keyword} (floating point) cannot be compressed; "
                "only native transfer syntaxes can hold it"
            )
        if dst.encapsulated:
            self._encode(ds, px, src_ts)
        else:
            self._decompress(ds, px, src_ts)
        if src_ts in LOSSY_INPUT and str(ds.get("LossyImageCompression", "")) != "01":
            # The stored pixels went through lossy compression; say so (PS3.3 C.7.6.1.1.5).
            ds.LossyImageCompression = "01"

    def _raw_value(self, ds: Dataset, px: _Pixels) -> bytes:
        try:
            value = ds[px.tag].value
        except Exception as exc:
            raise InputError(
                f"{self.path}: cannot read the pixel data: {describe_exception(exc)}"
            ) from exc
        return bytes(value or b"")

    def _check_native_length(self, ds: Dataset, px: _Pixels) -> None:
        from pydicom.dataelem import RawDataElement

        raw = ds._dict[px.tag]
        length = raw.length if isinstance(raw, RawDataElement) else len(ds[px.tag].value or b"")
        if length == 0xFFFFFFFF:
            raise InputError(
                f"{self.path}: pixel data is encapsulated (undefined length) but the transfer "
                "syntax is native"
            )
        if length < px.expected_bytes:
            raise InputError(
                f"{self.path}: pixel data is {length} bytes, shorter than the "
                f"{px.expected_bytes} bytes that {px.rows} x {px.columns} x {px.samples} "
                f"samples x {px.bits_allocated} bits x {px.frames} frame(s) need"
            )

    def _decoder(self, src_ts: str) -> Any:
        from pydicom.pixels import get_decoder

        try:
            decoder = get_decoder(src_ts)
        except NotImplementedError:
            hint = syntaxes.decode_hint(src_ts)
            raise MissingDependencyError(
                f"{self.path}: pixel data in {syntaxes.describe(src_ts)} cannot be decoded by "
                "any installed plugin" + (f"; install {hint}" if hint else "")
            ) from None
        if not decoder.is_available:
            hint = syntaxes.decode_hint(src_ts) or ", ".join(decoder.missing_dependencies)
            raise MissingDependencyError(
                f"{self.path}: cannot decode {syntaxes.describe(src_ts)} pixel data; install {hint}"
            )
        return decoder

    def _frames(self, ds: Dataset, px: _Pixels, src_ts: str) -> Iterator[tuple[Any, str]]:
        """Yield (frame array in native byte order, its photometric interpretation)."""
        decoder = self._decoder(src_ts)
        preferred = _PREFERRED_DECODER.get(src_ts)
        plugins = [""]
        if preferred in decoder.available_plugins:
            plugins.insert(0, preferred)  # faster; the others stay as a fallback
        index = 0
        for attempt, plugin in enumerate(plugins):
            try:
                for i, (arr, meta) in enumerate(self._decode(decoder, ds, px, src_ts, plugin)):
                    if i < index:
                        continue  # already handed out by the preferred plugin
                    pi = str(meta.get("photometric_interpretation", px.photometric))
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
                    f"{self.path}: cannot decode {syntaxes.describe(src_ts)} pixel data "
                    f"(frame {index}): {describe_exception(exc)}"
                ) from exc
        if index < px.frames:
            raise InputError(
                f"{self.path}: pixel data holds {index} frame(s), Number of Frames says {px.frames}"
            )

    def _decode(
        self, decoder: Any, ds: Dataset, px: _Pixels, src_ts: str, plugin: str
    ) -> Iterator[tuple[Any, dict[str, Any]]]:
        from pydicom.dataelem import RawDataElement
        from pydicom.pixels.utils import as_pixel_options
        from pydicom.uid import UID

        raw = src_ts not in JPEG_LOSSY_IN
        opts = as_pixel_options(ds, transfer_syntax_uid=UID(src_ts), pixel_keyword=px.keyword)
        elem = ds._dict[px.tag]
        deferred = isinstance(elem, RawDataElement) and elem.value is None
        with contextlib.ExitStack() as stack:
            if deferred and src_ts != DEFLATED and elem.value_tell is not None:
                # Decode from the file so only one frame's worth is read at a time.
                f = stack.enter_context(open(self.path, "rb"))
                f.seek(elem.value_tell)
                if src_ts != IMPLICIT_LE and elem.VR:
                    opts["pixel_vr"] = str(elem.VR)
                source: Any = f
            else:
                source = ds
            stack.enter_context(warnings.catch_warnings())
            warnings.simplefilter("ignore")
            yield from decoder.iter_array(source, raw=raw, decoding_plugin=plugin, **opts)

    def _decompress(self, ds: Dataset, px: _Pixels, src_ts: str) -> None:
        """Decode every frame into native pixel data, streamed into a buffer frame by frame.

        The buffer (memory for small data, a temporary file beside the output for large) is
        handed to pydicom as the element's value, so a big multi-frame file is never held
        decoded in memory.
        """
        import numpy as np
        from pydicom.pixels.utils import pack_bits

        big_endian = self.target.syntax.uid == EXPLICIT_BE
        buf = self._buffer(px.expected_bytes)
        pi = px.photometric
        bits: list[bytes] = []
        written = 0
        for arr, frame_pi in self._frames(ds, px, src_ts):
            pi = frame_pi
            if px.bits_allocated == 1:
                bits.append(np.ascontiguousarray(arr, dtype=np.uint8).tobytes())
                continue
            if arr.dtype.kind not in "fiu":
                raise InputError(f"{self.path}: unexpected decoded data type {arr.dtype}")
            size = px.bits_allocated // 8
            data = np.ascontiguousarray(arr).astype(f"<{arr.dtype.kind}{size}", copy=False)
            if big_endian and size > 1:
                # OW is a string of 16-bit words (PS3.5 7.3): wider samples are swapped word by
                # word, as dcmtk and GDCM read them; OF/OD values by their own size.
                unit = 2 if px.keyword == "PixelData" else size
                data = data.view(f"<u{unit}").byteswap()
            written += buf.write(data.tobytes())
        if bits:
            # Bit-packed frames are not byte aligned: pack them all together.
            written += buf.write(pack_bits(np.frombuffer(b"".join(bits), np.uint8), pad=False))
        if written % 2:
            buf.write(b"\x00")  # PS3.5 8.1.1: an even length
        buf.seek(0)
        if big_endian and px.keyword == "PixelData" and px.bits_allocated > 16:
            self.warnings.append(
                f"{px.bits_allocated}-bit pixel data in big endian OW is written as 16-bit "
                "words (PS3.5 7.3), as dcmtk and GDCM read it; pydicom reads it in another "
                "byte order"
            )
        self._set_native(ds, px, buf, pi, planar=0)

    def _buffer(self, size: int) -> BinaryIO:
        import io
        import tempfile

        buf: BinaryIO
        if size <= SPOOL_SIZE:
            buf = io.BytesIO()
        else:
            # Unlinked at once: nothing is left behind, whatever happens. Closed by run().
            buf = tempfile.TemporaryFile(dir=self.output.parent, prefix=".transcode.")  # noqa: SIM115
        self.buffers.append(buf)
        return buf

    def _set_native(
        self,
        ds: Dataset,
        px: _Pixels,
        value: bytes | BinaryIO,
        photometric: str,
        planar: int | None = None,
    ) -> None:
        """Store native pixel data: bytes, or a buffer pydicom streams into the file."""
        if isinstance(value, bytes) and len(value) % 2:
            value += b"\x00"  # PS3.5 8.1.1: pad to an even length
        vr = {"PixelData": "OB" if px.bits_allocated <= 8 else "OW"}.get(px.keyword)
        vr = vr or ("OF" if px.keyword == "FloatPixelData" else "OD")
        ds[px.tag] = _element(px.tag, vr, value)
        for kw in ("ExtendedOffsetTable", "ExtendedOffsetTableLengths"):
            if kw in ds:
                del ds[kw]
        self._set_photometric(ds, photometric)
        if px.samples > 1 and planar is not None:
            ds.PlanarConfiguration = planar

    def _set_photometric(self, ds: Dataset, photometric: str) -> None:
        if photometric and photometric != str(ds.get("PhotometricInterpretation", "")):
            ds.PhotometricInterpretation = photometric

    def _encode(self, ds: Dataset, px: _Pixels, src_ts: str) -> None:
        """Decode every frame and encode it in the target syntax, then encapsulate."""
        from dicom_tools.imaging import encoders

        dst = self.target.syntax
        extra = encoders.extra_encoder(dst.uid)
        pyd = syntaxes.pydicom_encoder(dst.uid)
        use_pydicom = pyd is not None and pyd.is_available
        fragments: list[bytes] = []
        out_pi = px.photometric
        raw_total = 0
        for arr, pi in self._frames(ds, px, src_ts):
            enc_pi = self._encoded_photometric(pi)
            self._check_profile(px, enc_pi, extra if not use_pydicom else None)
            if use_pydicom:
                frame = self._encode_pydicom(pyd, arr, px, enc_pi)
                out_pi = enc_pi
            else:
                frame, out_pi = self._encode_extra(extra, arr, px, enc_pi)
            fragments.append(frame + b"\x00" if len(frame) % 2 else frame)  # even items
            raw_total += arr.size * (px.bits_allocated // 8)
        value = self._encapsulate(ds, fragments)
        elem = _element(px.tag, "OB", value)
        elem.is_undefined_length = True
        ds[px.tag] = elem
        self._set_photometric(ds, out_pi)
        if px.samples > 1:
            # RLE segments are always colour-by-plane (PS3.5 G.2); the JPEG family interleave.
            ds.PlanarConfiguration = 1 if dst.uid == RLE else 0
        compressed = self.compressed_bytes
        self.ratio = raw_total / compressed if compressed else None
        if dst.lossy:
            self._mark_lossy(ds, dst, self.ratio)

    def _encapsulate(self, ds: Dataset, fragments: list[bytes]) -> BinaryIO:
        """Write the items (PS3.5 A.4) into a buffer pydicom streams into the file.

        One fragment per frame; a Basic Offset Table, or an empty one plus the Extended Offset
        Table when the offsets do not fit 32 bits. Fragments are released as they are copied.
        """
        import struct

        import numpy as np

        lengths = [len(f) for f in fragments]
        offsets = np.cumsum([0] + [n + 8 for n in lengths[:-1]], dtype=np.uint64)
        total = int(offsets[-1]) + 8 + lengths[-1]
        extended = total > EOT_THRESHOLD
        buf = self._buffer(total + 8 + 4 * len(fragments))
        item = b"\xfe\xff\x00\xe0"
        if extended:
            buf.write(item + struct.pack("<L", 0))
            ds.ExtendedOffsetTable = offsets.astype("<u8").tobytes()
            ds.ExtendedOffsetTableLengths = np.asarray(lengths, dtype="<u8").tobytes()
        else:
            buf.write(item + struct.pack("<L", 4 * len(fragments)))
            buf.write(offsets.astype("<u4").tobytes())
            for kw in ("ExtendedOffsetTable", "ExtendedOffsetTableLengths"):
                if kw in ds:
                    del ds[kw]
        self.compressed_bytes = sum(lengths)
        for i in range(len(fragments)):
            buf.write(item + struct.pack("<L", lengths[i]))
            buf.write(fragments[i])
            fragments[i] = b""
        buf.seek(0)
        return buf

    def _encoded_photometric(self, pi: str) -> str:
        """The photometric interpretation the encoded data will have."""
        uid = self.target.syntax.uid
        if pi == "RGB" and (uid in J2K_LIKE or uid in HTJ2K_LIKE):
            # Use JPEG 2000's component transform: it compresses colour far better.
            return "YBR_ICT" if self.target.lossy else "YBR_RCT"
        return pi

    def _check_profile(self, px: _Pixels, pi: str, extra: Any) -> None:
        """A one-line error when the target codec cannot hold this kind of image."""
        from pydicom.pixels.encoders.base import ENCODING_PROFILES

        dst = self.target.syntax
        profiles = extra.profiles if extra is not None else ENCODING_PROFILES.get(dst.uid)
        if dst.uid == RLE:
            profiles = [*profiles, *_RLE_32]
        if not profiles:
            return
        for p_pi, p_spp, p_pr, p_ba, p_bs in profiles:
            if (
                pi == p_pi
                and px.samples == p_spp
                and px.pixel_representation in p_pr
                and px.bits_allocated in p_ba
                and px.bits_stored in p_bs
            ):
                return
        fits = [p for p in profiles if p[0] == pi and p[1] == px.samples]
        signed = "signed" if px.pixel_representation else "unsigned"
        have = (
            f"{pi}, {px.samples} sample(s), {signed}, {px.bits_allocated} bits allocated, "
            f"{px.bits_stored} stored"
        )
        if not fits:
            takes = sorted({p[0] for p in profiles})
            detail = f"it takes {', '.join(takes)}"
        else:
            ba = sorted({b for p in fits for b in p[3]})
            bs = sorted({b for p in fits for b in p[4]})
            prs = sorted({r for p in fits for r in p[2]})
            detail = (
                f"for {pi} it takes {'/'.join(map(str, ba))} bits allocated, "
                f"{bs[0]}-{bs[-1]} bits stored" + (", unsigned only" if prs == [0] else "")
            )
        raise InputError(
            f"{self.path}: {syntaxes.describe(dst.uid)} cannot encode this image ({have}): "
            f"{detail}; nothing written"
        )

    def _encode_pydicom(self, encoder: Any, arr: np.ndarray, px: _Pixels, pi: str) -> bytes:
        kwargs = dict(self.target.options)
        quality = kwargs.pop("quality", None)
        if quality is not None:
            kwargs["j2k_psnr"] = [20 + 0.3 * quality + 6.02 * (px.bits_stored - 8)]
        uid = self.target.syntax.uid
        if uid in J2K_LIKE and min(px.rows, px.columns) < 32:
            # openjpeg's fixed 6 resolution levels need 2^5 pixels in each direction.
            raise InputError(
                f"{self.path}: cannot encode as {syntaxes.describe(uid)}: openjpeg needs at "
                f"least 32 x 32 pixels, the image is {px.columns} x {px.rows}; nothing written"
            )
        try:
            return encoder.encode(
                arr,
                # pydicom's RLE profile stops at 16 bits; its encoders (and PS3.5 G) go to 32.
                validate=not (uid == RLE and px.bits_allocated == 32),
                rows=px.rows,
                columns=px.columns,
                number_of_frames=1,
                samples_per_pixel=px.samples,
                bits_allocated=px.bits_allocated,
                bits_stored=px.bits_stored,
                pixel_representation=px.pixel_representation,
                photometric_interpretation=pi,
                planar_configuration=0,
                **kwargs,
            )
        except Exception as exc:
            raise InputError(
                f"{self.path}: cannot encode as {syntaxes.describe(self.target.syntax.uid)}: "
                f"{_encoder_message(exc)}; nothing written"
            ) from exc

    def _encode_extra(self, extra: Any, arr: np.ndarray, px: _Pixels, pi: str) -> tuple[bytes, str]:
        try:
            return extra.encode(
                arr,
                bits_stored=px.bits_stored,
                pixel_representation=px.pixel_representation,
                photometric=pi,
                **self.target.options,
            )
        except Exception as exc:
            raise InputError(
                f"{self.path}: cannot encode as {syntaxes.describe(self.target.syntax.uid)}: "
                f"{describe_exception(exc)}; nothing written"
            ) from exc

    def _mark_lossy(self, ds: Dataset, dst: Syntax, ratio: float | None) -> None:
        """Lossy Image Compression 01; Ratio and Method appended to any earlier values."""
        ds.LossyImageCompression = "01"
        ratios = _values(ds.get("LossyImageCompressionRatio"))
        methods = _values(ds.get("LossyImageCompressionMethod"))
        if len(methods) < len(ratios):
            # Earlier ratios without methods: the input's own lossy syntax says which.
            earlier = syntaxes.BY_UID.get(self.src_ts)
            fill = earlier.method if earlier is not None and earlier.method else ""
            methods += [fill] * (len(ratios) - len(methods))
        ratios.append(f"{ratio:.2f}" if ratio else "1")
        methods.append(dst.method or "")
        ds.LossyImageCompressionRatio = ratios
        ds.LossyImageCompressionMethod = methods

    # -- the rest of the data set -------------------------------------------------------------

    def _endianness(self, ds: Dataset, src_ts: str, dst_ts: str) -> None:
        """Byte-swap binary values (OW, OL, OF, OD, OV) when the byte order changes.

        pydicom re-encodes numbers and text itself but writes these values as stored.
        """
        src_little = src_ts != EXPLICIT_BE
        dst_little = dst_ts != EXPLICIT_BE
        if src_little != dst_little:
            from pydicom.filewriter import correct_ambiguous_vr

            correct_ambiguous_vr(ds, src_little)
            _swap_binary(ds)

    def _file_meta(self, ds: Dataset, dst_ts: str) -> None:
        from pydicom.dataset import FileMetaDataset

        from dicom_tools.dicomjson import IMPLEMENTATION_CLASS_UID, IMPLEMENTATION_VERSION_NAME

        meta = ds.file_meta if ds.file_meta is not None else FileMetaDataset()
        meta.TransferSyntaxUID = dst_ts
        if "MediaStorageSOPClassUID" not in meta and "SOPClassUID" in ds:
            meta.MediaStorageSOPClassUID = ds.SOPClassUID
        if "MediaStorageSOPInstanceUID" not in meta and "SOPInstanceUID" in ds:
            meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
        meta.ImplementationClassUID = IMPLEMENTATION_CLASS_UID
        meta.ImplementationVersionName = IMPLEMENTATION_VERSION_NAME
        for kw in ("FileMetaInformationGroupLength",):
            if kw in meta:
                del meta[kw]  # recomputed on write
        ds.file_meta = meta

    def _write(self, ds: Dataset, tmp: Path) -> None:
        from pydicom import dcmwrite

        dst = self.target.syntax.uid
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                meta = ds.file_meta
                complete = all(
                    meta.get(kw) for kw in ("MediaStorageSOPClassUID", "MediaStorageSOPInstanceUID")
                )
                if not complete:
                    # pydicom's Part 10 check wants both UIDs; dcmtk writes such files anyway.
                    self.warnings.append(
                        "the data set has no SOP Class/Instance UID: the file meta information "
                        "lacks Media Storage SOP Class/Instance UID"
                    )
                    ds.preamble = ds.preamble or b"\x00" * 128
                dcmwrite(
                    tmp,
                    ds,
                    enforce_file_format=complete,
                    implicit_vr=dst == IMPLICIT_LE,
                    little_endian=dst != EXPLICIT_BE,
                )
        except (InputError, UsageError):
            raise
        except OSError as exc:
            raise InputError(f"{self.output}: cannot write: {exc.strerror or exc}") from exc
        except Exception as exc:
            raise InputError(
                f"{self.path}: cannot write it as {syntaxes.describe(dst)}: "
                f"{describe_exception(exc)}"
            ) from exc


# ---------------------------------------------------------------------------------------------
# Helpers


def _le_native(uid: str) -> bool:
    return uid in (EXPLICIT_LE, IMPLICIT_LE, DEFLATED)


def _element(tag: int, vr: str, value: bytes):
    from pydicom.dataelem import DataElement

    return DataElement(tag, vr, value)


def _values(elem_value: Any) -> list[str]:
    if elem_value is None or elem_value == "":
        return []
    if isinstance(elem_value, str | bytes | int | float):
        return [str(elem_value)]
    return [str(v) for v in elem_value]


# RLE Lossless holds any sample size in byte segments (PS3.5 G.2); dcmtk and GDCM decode these.
_RLE_32 = (
    ("MONOCHROME1", 1, (0, 1), (32,), range(1, 33)),
    ("MONOCHROME2", 1, (0, 1), (32,), range(1, 33)),
    ("RGB", 3, (0,), (32,), range(1, 33)),
)

_SWAP_SIZES = {"OW": 2, "OL": 4, "OF": 4, "OD": 8, "OV": 8}


def _swapped(value: bytes, size: int) -> bytes:
    import numpy as np

    usable = len(value) - len(value) % size
    return np.frombuffer(value[:usable], dtype=f"u{size}").byteswap().tobytes() + value[usable:]


def _swap_binary(ds: Dataset) -> None:
    """Reverse the byte order of every OW/OL/OF/OD/OV value, in sequences too.

    Pixel data is left alone: it was re-encoded in the output's byte order already.
    """
    for elem in ds.iterall():
        size = _SWAP_SIZES.get(str(elem.VR))
        if size is None or elem.tag in PIXEL_TAGS:
            continue
        if isinstance(elem.value, bytes | bytearray) and elem.value:
            elem.value = _swapped(bytes(elem.value), size)


def _encoder_message(exc: BaseException) -> str:
    """pydicom's multi-line 'all plugins failed' message, cut to its first useful line."""
    text = str(exc)
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    if len(lines) > 1 and lines[0].startswith("Unable to encode"):
        lines = lines[1:]
    msg = " ".join(lines) or type(exc).__name__
    if "destination buffer is too small" in msg:
        msg += " (pyjpegls sizes its output at twice the raw frame: the image is too small)"
    return msg if len(msg) <= 300 else msg[:297] + "..."
