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
jpeg-ls-near-lossless.

Lossless targets keep the instance: only pixel-related attributes change. A lossy re-encoding
makes a derived instance, as dcmcjpeg does by default (``dicom_tools.dicom.derived``): a new SOP
Instance UID (and Series Instance UID with ``new_series``), Image Type DERIVED, Derivation
Description, Source Image Sequence and the Lossy Image Compression attributes; ``keep_uid``
keeps the UID on request, with a warning.

Pixel data copied without decoding (the same encapsulated syntax in and out) are not checked:
the result warns so, and ``verify`` decodes every frame first (one at a time), failing with the
frame's number before anything is written.
"""

from __future__ import annotations

import contextlib
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from dicom_tools.context import DEFAULT, Context
from dicom_tools.dicom import codecs, derived
from dicom_tools.dicom import syntaxes as S
from dicom_tools.dicom.pixels import PIXEL_TAGS, PixelSource, dataset_syntax
from dicom_tools.dicom.source import Source, as_source
from dicom_tools.dicom.syntaxes import Syntax
from dicom_tools.dicom.vr import WORD_SIZES
from dicom_tools.dicom.writer import file_meta, write_part10
from dicom_tools.errors import InputError, UsageError, option
from dicom_tools.io import atomic_output, describe_exception, read_dataset
from dicom_tools.result import Result

if TYPE_CHECKING:
    import numpy as np
    from pydicom import Dataset

DEFAULT_SYNTAX = "explicit-vr-little-endian"
DEFER_SIZE = 4096  # larger values stay on disk until written (pixel data is read per frame)
EOT_THRESHOLD = 2**32 - 1  # a Basic Offset Table cannot address more (PS3.5 A.4)
SPOOL_SIZE = 64 * 2**20  # decoded pixel data larger than this goes through a temporary file
# The targets that take each lossy option.
_USERS = {
    "quality": "jpeg-baseline, jpeg2000, htj2k",
    "ratio": "jpeg2000, htj2k",
    "near_lossless": "jpeg-ls-near-lossless",
}


@dataclass
class _Target:
    syntax: Syntax
    options: dict[str, Any] = field(default_factory=dict)  # codec keyword arguments
    lossy: bool = False
    options_given: bool = False  # the user asked for specific lossy settings
    keep_uid: bool = False  # a lossy output keeps the SOP Instance UID (the user's choice)
    new_series: bool = False  # a lossy output gets a new Series Instance UID too
    verify: bool = False  # decode pixel data that would be copied without decoding


def transcode(
    input: Source | Path | None,
    output: Path | None,
    *,
    transfer_syntax: str = DEFAULT_SYNTAX,
    quality: int | None = None,
    ratio: float | None = None,
    near_lossless: int | None = None,
    keep_uid: bool = False,
    new_series: bool = False,
    verify: bool = False,
    list: bool = False,
    context: Context = DEFAULT,
) -> Result:
    """Re-encode ``input`` as ``transfer_syntax`` into ``output``; ``list`` shows capabilities.

    A lossy target makes a derived instance with a new SOP Instance UID unless ``keep_uid``;
    ``new_series`` gives it a new Series Instance UID too; ``verify`` decodes pixel data that
    would otherwise be copied unchecked. Warnings are in the result and go to
    ``context.on_warning``.
    """
    if list:
        rows = codecs.capabilities()
        return Result(data={"syntaxes": rows}, text=codecs.capabilities_text(rows))
    if input is None:
        raise UsageError(f"an input file is required (or {option('list')})")
    if output is None:
        raise UsageError(f"transcode: an output path is required ({option('output')})")
    target = _target(transfer_syntax or DEFAULT_SYNTAX, quality, ratio, near_lossless)
    if new_series and keep_uid:
        raise UsageError(f"give {option('new_series')} or {option('keep_uid')}, not both")
    if new_series and not target.lossy:
        raise UsageError(
            f"{option('new_series')} applies to lossy targets (a new instance); "
            f"{target.syntax.name} is lossless and keeps the instance's UIDs"
        )
    target.keep_uid, target.new_series, target.verify = bool(keep_uid), bool(new_series), verify
    codecs.encoder(target.syntax.uid).require()  # fail before reading anything
    result = _Job(as_source(input), Path(output), target).run()
    for warning in result.data["warnings"]:
        context.on_warning(warning)
    return result


def output_suffix(options: dict[str, Any]) -> str:
    """The inferred output's suffix: the target's word (``_rle.dcm``, ``_jpegls.dcm``...)."""
    return f"_{S.lookup(options.get('transfer_syntax') or DEFAULT_SYNTAX).suffix}.dcm"


# ---------------------------------------------------------------------------------------------
# Options


def _target(name: str, quality: int | None, ratio: float | None, near: int | None) -> _Target:
    syntax = S.lookup(name)
    encoder = codecs.encoder(syntax.uid)
    given = {"quality": quality, "ratio": ratio, "near_lossless": near}
    for name, value in given.items():
        if value is not None and name not in encoder.options:
            kind = "a lossless" if not syntax.lossy else "this"
            raise UsageError(
                f"{option(name)} does not apply to {syntax.name} ({kind} target); it is used "
                f"by {_USERS[name]}"
            )
    if quality is not None and ratio is not None:
        raise UsageError(f"give {option('quality')} or {option('ratio')}, not both")
    if quality is not None and not 1 <= quality <= 100:
        raise UsageError(f"{option('quality')} must be 1 to 100, not {quality}")
    if ratio is not None and not ratio > 1:
        raise UsageError(f"{option('ratio')} must be greater than 1, not {ratio:g}")
    if near is not None and not 1 <= near <= 255:
        raise UsageError(f"{option('near_lossless')} must be 1 to 255, not {near}")
    opts = encoder.codec_options(quality, ratio, near)
    given_any = any(v is not None for v in given.values())
    return _Target(syntax, opts, lossy=syntax.lossy, options_given=given_any)


# ---------------------------------------------------------------------------------------------
# The job


class _Job:
    def __init__(self, source: Source, output: Path, target: _Target) -> None:
        self.path = source  # a file or an instance in memory; str() is its name in messages
        self.output = output
        self.target = target
        self.warnings: list[str] = []
        self.copied = False
        self.ratio: float | None = None
        self.compressed_bytes = 0
        self.buffers: list[BinaryIO] = []  # decoded pixel data on its way to the file
        self.src_ts = ""
        self.derived_from: str | None = None  # the SOP Instance UID a lossy output replaced
        self.verified = False

    # -- reading ----------------------------------------------------------------------------

    def _read(self) -> Dataset:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ds = read_dataset(self.path, defer_size=DEFER_SIZE)
            syntax = S.by_uid(dataset_syntax(ds))
            if syntax is not None and syntax.deflated:
                # Deferred values would be re-read from the compressed file: read it all now.
                ds = read_dataset(self.path)
        return ds

    def _pixels(self, ds: Dataset) -> PixelSource | None:
        px = PixelSource.from_dataset(ds, self.path, self.src_ts)
        if px is not None:
            px.check_layout(display=False)
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
        src_ts = self.src_ts = dataset_syntax(ds)
        dst = self.target.syntax
        in_size = self.path.size
        if dst.uid == S.EXPLICIT_BE:
            self.warnings.append(
                "Explicit VR Big Endian is retired (PS3.5 A.3); many readers no longer accept it"
            )
        has_pixels = any(t in ds._dict for t in PIXEL_TAGS)
        px: PixelSource | None = None
        if not has_pixels:
            if dst.encapsulated:
                raise InputError(f"{self.path}: no pixel data to compress as {S.describe(dst.uid)}")
        elif _le_native(src_ts) and _le_native(dst.uid):
            # Bytes copied as they are: an incomplete Image Pixel module does not matter.
            with contextlib.suppress(InputError):
                px = self._pixels(ds)
            if px is not None:
                px.check_native_length()
                self._set_native(ds, px, self._raw_value(ds, px), px.photometric)
            self.copied = True
        else:
            px = self._pixels(ds)
            assert px is not None
            self._pixel_data(ds, px, src_ts)
        self._endianness(ds, src_ts, dst.uid)
        ds.file_meta = file_meta(
            dst.uid,
            sop_class=ds.get("SOPClassUID"),
            sop_instance=ds.get("SOPInstanceUID"),
            base=ds.file_meta,
        )
        with atomic_output(self.output) as tmp:
            self._write(ds, tmp)
        out_size = self.output.stat().st_size

        data: dict[str, Any] = {
            "input": self.path.name,
            "output": str(self.output),
            "source_transfer_syntax": src_ts,
            "source_transfer_syntax_name": S.describe(src_ts),
            "transfer_syntax": dst.uid,
            "transfer_syntax_name": S.describe(dst.uid),
            "frames": px.frames if px else None,
            "pixel_data": (
                "none" if not has_pixels else ("copied" if self.copied else "re-encoded")
            ),
            "photometric_interpretation": str(ds.get("PhotometricInterpretation", "")) or None,
            "lossy": bool(dst.lossy and has_pixels and not self.copied),
            "sop_instance_uid": str(ds.get("SOPInstanceUID", "")) or None,
            "derived_from": self.derived_from,
            "verified": self.verified,
            "input_bytes": in_size,
            "output_bytes": out_size,
            "warnings": self.warnings,
        }
        if self.ratio:
            data["compression_ratio"] = round(self.ratio, 2)
        text = (
            f"wrote {self.output}: {S.describe(dst.uid)} "
            f"(from {S.describe(src_ts)}), "
            + (f"{px.frames} frame(s), " if px else "" if has_pixels else "no pixel data, ")
            + f"{in_size} -> {out_size} bytes"
        )
        if self.derived_from:
            text += (
                f"\nnew SOP Instance UID {data['sop_instance_uid']} "
                f"(derived from {self.derived_from})"
            )
        if self.verified:
            text += "\nverified: every frame of the copied pixel data decodes"
        text += "".join(f"\nwarning: {w}" for w in self.warnings)
        return Result(data=data, text=text, output_files=[str(self.output)])

    # -- pixel data ---------------------------------------------------------------------------

    def _pixel_data(self, ds: Dataset, px: PixelSource, src_ts: str) -> None:
        dst = self.target.syntax
        source = S.by_uid(src_ts)
        if px.native:
            px.check_native_length()
        if src_ts == dst.uid and dst.encapsulated and not self.target.options_given:
            self.copied = True  # the same codec: the fragments are already right
            self._check_copied(px)
            return
        if px.pixel_keyword != "PixelData" and dst.encapsulated:
            raise InputError(
                f"{self.path}: {px.pixel_keyword} (floating point) cannot be compressed; "
                "only native transfer syntaxes can hold it"
            )
        if dst.encapsulated:
            self._encode(ds, px, src_ts)
        else:
            self._decompress(ds, px, src_ts)
        if source is not None and source.lossy and str(ds.get("LossyImageCompression", "")) != "01":
            # The stored pixels went through lossy compression; say so (PS3.3 C.7.6.1.1.5).
            ds.LossyImageCompression = "01"

    def _check_copied(self, px: PixelSource) -> None:
        """Fragments copied as they are: decode every frame with ``verify``, else say that
        nothing checked them."""
        if self.target.new_series:
            self.warnings.append(
                f"{option('new_series')} ignored: the pixel data are unchanged, the instance "
                "keeps its UIDs"
            )
        if not self.target.verify:
            self.warnings.append(
                f"the {S.describe(px.transfer_syntax)} pixel data were copied without decoding: "
                f"not checked (use {option('verify')} to decode every frame first)"
            )
            return
        try:
            for _frame in px.iter_stored():  # one frame in memory at a time
                pass
        except InputError as exc:
            raise InputError(f"{exc.message}; nothing written") from exc
        self.verified = True

    def _raw_value(self, ds: Dataset, px: PixelSource) -> bytes:
        try:
            value = ds[px.tag].value
        except Exception as exc:
            raise InputError(
                f"{self.path}: cannot read the pixel data: {describe_exception(exc)}"
            ) from exc
        return bytes(value or b"")

    def _decompress(self, ds: Dataset, px: PixelSource, src_ts: str) -> None:
        """Decode every frame into native pixel data, streamed into a buffer frame by frame.

        The buffer (memory for small data, a temporary file beside the output for large) is
        handed to pydicom as the element's value, so a big multi-frame file is never held
        decoded in memory.
        """
        import numpy as np
        from pydicom.pixels.utils import pack_bits

        big_endian = not self.target.syntax.little_endian
        buf = self._buffer(px.expected_bytes)
        pi = px.photometric
        bits: list[bytes] = []
        written = 0
        for arr, frame_pi in px.iter_stored():
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
                unit = 2 if px.pixel_keyword == "PixelData" else size
                data = data.view(f"<u{unit}").byteswap()
            written += buf.write(data.tobytes())
        if bits:
            # Bit-packed frames are not byte aligned: pack them all together.
            written += buf.write(pack_bits(np.frombuffer(b"".join(bits), np.uint8), pad=False))
        if written % 2:
            buf.write(b"\x00")  # PS3.5 8.1.1: an even length
        buf.seek(0)
        if big_endian and px.pixel_keyword == "PixelData" and px.bits_allocated > 16:
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
        px: PixelSource,
        value: bytes | BinaryIO,
        photometric: str,
        planar: int | None = None,
    ) -> None:
        """Store native pixel data: bytes, or a buffer pydicom streams into the file."""
        if isinstance(value, bytes) and len(value) % 2:
            value += b"\x00"  # PS3.5 8.1.1: pad to an even length
        vr = {"PixelData": "OB" if px.bits_allocated <= 8 else "OW"}.get(px.pixel_keyword)
        vr = vr or ("OF" if px.pixel_keyword == "FloatPixelData" else "OD")
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

    def _encode(self, ds: Dataset, px: PixelSource, src_ts: str) -> None:
        """Decode every frame and encode it in the target syntax, then encapsulate."""
        dst = self.target.syntax
        encoder = codecs.encoder(dst.uid)
        fragments: list[bytes] = []
        out_pi = px.photometric
        raw_total = 0
        for arr, pi in px.iter_stored():
            enc_pi = self._encoded_photometric(encoder, pi)
            self._check_profile(px, enc_pi, encoder)
            frame, out_pi = self._encode_frame(encoder, arr, px, enc_pi)
            fragments.append(frame + b"\x00" if len(frame) % 2 else frame)  # even items
            raw_total += arr.size * (px.bits_allocated // 8)
        value = self._encapsulate(ds, fragments)
        elem = _element(px.tag, "OB", value)
        elem.is_undefined_length = True
        ds[px.tag] = elem
        self._set_photometric(ds, out_pi)
        if px.samples > 1:
            ds.PlanarConfiguration = encoder.planar_configuration
        compressed = self.compressed_bytes
        self.ratio = raw_total / compressed if compressed else None
        if dst.lossy:
            self._derive(ds, dst, self.ratio)

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

    def _encoded_photometric(self, encoder: codecs.Encoder, pi: str) -> str:
        """The photometric interpretation the encoded data will have."""
        if pi == "RGB" and encoder.component_transform:
            # Use JPEG 2000's component transform: it compresses colour far better.
            return "YBR_ICT" if self.target.lossy else "YBR_RCT"
        return pi

    def _check_profile(self, px: PixelSource, pi: str, encoder: codecs.Encoder) -> None:
        """A one-line error when the target codec cannot hold this kind of image."""
        dst = self.target.syntax
        profiles = encoder.profiles()
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
            f"{self.path}: {S.describe(dst.uid)} cannot encode this image ({have}): "
            f"{detail}; nothing written"
        )

    def _encode_frame(
        self, encoder: codecs.Encoder, arr: np.ndarray, px: PixelSource, pi: str
    ) -> tuple[bytes, str]:
        desc = S.describe(self.target.syntax.uid)
        size = encoder.min_size
        if min(px.rows, px.columns) < size:
            raise InputError(
                f"{self.path}: cannot encode as {desc}: openjpeg needs at least {size} x {size} "
                f"pixels, the image is {px.columns} x {px.rows}; nothing written"
            )
        try:
            return encoder.encode_frame(
                arr,
                rows=px.rows,
                columns=px.columns,
                samples=px.samples,
                bits_allocated=px.bits_allocated,
                bits_stored=px.bits_stored,
                pixel_representation=px.pixel_representation,
                photometric=pi,
                **self.target.options,
            )
        except Exception as exc:
            message = codecs.error_message(exc) if encoder.uses_pydicom else describe_exception(exc)
            raise InputError(
                f"{self.path}: cannot encode as {desc}: {message}; nothing written"
            ) from exc

    def _derive(self, ds: Dataset, dst: Syntax, ratio: float | None) -> None:
        """The lossy output is a derived instance (PS3.3 C.7.6.1.1.5), as dcmcjpeg makes it."""
        source = S.by_uid(self.src_ts)
        lossy_before = derived.was_lossy(ds) or bool(source is not None and source.lossy)
        earlier = source.method if source is not None and source.method else ""
        derived.mark_lossy(ds, dst.method or "", ratio, earlier)
        settings = self._settings()
        description = f"Lossy compression with {dst.title}" + (f", {settings}" if settings else "")
        if ratio:
            description += f", compression ratio {derived.format_ratio(ratio)}"
        old_uid = str(ds.get("SOPInstanceUID", "")) or None
        new = derived.make_derived(
            ds,
            description,
            lossy_predecessor=lossy_before,
            new_instance=not self.target.keep_uid,
            new_series=self.target.new_series,
        )
        if new is not None:
            self.derived_from = old_uid
        elif old_uid:
            self.warnings.append(
                f"{option('keep_uid')}: the lossy output keeps SOP Instance UID {old_uid}; an "
                "archive that receives both files holds two different pixel sets under one UID"
            )

    def _settings(self) -> str:
        """The encoder settings, for the Derivation Description."""
        opts = self.target.options
        if "jls_error" in opts:
            return f"NEAR={opts['jls_error']}"
        if "j2k_cr" in opts:
            return f"target ratio {opts['j2k_cr'][0]:g}"
        if "quality" in opts:
            if self.target.syntax.method == "ISO_10918_1":
                return f"IJG quality factor {opts['quality']}"  # libjpeg's scale
            return f"quality {opts['quality']}"
        return ""

    # -- the rest of the data set -------------------------------------------------------------

    def _endianness(self, ds: Dataset, src_ts: str, dst_ts: str) -> None:
        """Byte-swap binary values (OW, OL, OF, OD, OV) when the byte order changes.

        pydicom re-encodes numbers and text itself but writes these values as stored.
        """
        src_little = src_ts != S.EXPLICIT_BE
        dst_little = dst_ts != S.EXPLICIT_BE
        if src_little != dst_little:
            from pydicom.filewriter import correct_ambiguous_vr

            correct_ambiguous_vr(ds, src_little)
            _swap_binary(ds)

    def _write(self, ds: Dataset, tmp: Path) -> None:
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
                write_part10(ds, tmp, enforce_standard=complete)
        except (InputError, UsageError):
            raise
        except OSError as exc:
            raise InputError(f"{self.output}: cannot write: {exc.strerror or exc}") from exc
        except Exception as exc:
            raise InputError(
                f"{self.path}: cannot write it as {S.describe(dst)}: {describe_exception(exc)}"
            ) from exc


# ---------------------------------------------------------------------------------------------
# Helpers


def _le_native(uid: str) -> bool:
    """Native little endian (explicit, implicit or deflated): pixel bytes copy unchanged."""
    syntax = S.by_uid(uid)
    return syntax is not None and syntax.native and syntax.little_endian


def _element(tag: int, vr: str, value: bytes):
    from pydicom.dataelem import DataElement

    return DataElement(tag, vr, value)


def _swapped(value: bytes, size: int) -> bytes:
    import numpy as np

    usable = len(value) - len(value) % size
    return np.frombuffer(value[:usable], dtype=f"u{size}").byteswap().tobytes() + value[usable:]


def _swap_binary(ds: Dataset) -> None:
    """Reverse the byte order of every OW/OL/OF/OD/OV value, in sequences too.

    Pixel data is left alone: it was re-encoded in the output's byte order already.
    """
    for elem in ds.iterall():
        size = WORD_SIZES.get(str(elem.VR))
        if size is None or elem.tag in PIXEL_TAGS:
            continue
        if isinstance(elem.value, bytes | bytearray) and elem.value:
            elem.value = _swapped(bytes(elem.value), size)
