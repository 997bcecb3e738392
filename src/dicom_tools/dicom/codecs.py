"""The codec registry: what this installation can decode and encode, per transfer syntax.

An operation asks ``decoder(uid)`` or ``encoder(uid)`` and gets an object that says whether it
``is_available``, with which plugins, what to install when it is not, and that decodes or
encodes; operations never list UIDs themselves. Decoding is pydicom's decoder plugins (pylibjpeg,
pyjpegls, Pillow, gdcm...), with a preferred plugin where one is much faster; encoding is
pydicom's encoder plugins first, then the encoders dicom-tools adds for syntaxes pydicom cannot
write (``dicom_tools.dicom.encoders``, named by ``"module:function"`` strings as pydicom names
its plugins, and imported only when used). pydicom itself is imported lazily, on first use.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from functools import cache
from typing import Any

from dicom_tools.dicom import syntaxes as S
from dicom_tools.dicom.syntaxes import Syntax
from dicom_tools.errors import MissingDependencyError, option

# Native syntaxes pydicom reads and writes itself (no plugin involved).
_PYDICOM_NATIVE = (S.EXPLICIT_LE, S.IMPLICIT_LE, S.EXPLICIT_BE, S.DEFLATED)

# What to install (pip arguments) for each family of syntaxes, by UID prefix: the JPEG
# processes (4.5x, 4.7x), JPEG-LS (4.8x), JPEG 2000 (4.9x), HTJ2K (4.20x) and RLE.
_DECODE_HINT = (
    ("1.2.840.10008.1.2.4.5", "pylibjpeg pylibjpeg-libjpeg"),
    ("1.2.840.10008.1.2.4.7", "pylibjpeg pylibjpeg-libjpeg"),
    ("1.2.840.10008.1.2.4.8", "pyjpegls"),
    ("1.2.840.10008.1.2.4.9", "pylibjpeg pylibjpeg-openjpeg"),
    ("1.2.840.10008.1.2.4.20", "pylibjpeg 'pylibjpeg-openjpeg>=2.4'"),
    (S.RLE_LOSSLESS, "pylibjpeg pylibjpeg-rle"),
)
_ENCODE_HINT = (
    ("1.2.840.10008.1.2.4.8", "pyjpegls"),
    ("1.2.840.10008.1.2.4.9", "pylibjpeg pylibjpeg-openjpeg"),
    (S.RLE_LOSSLESS, "pylibjpeg pylibjpeg-rle"),
    (S.JPEG_BASELINE, "pillow"),
)

# CharLS decodes JPEG-LS about three times faster than libjpeg.
_PREFERRED_DECODER = {S.JPEG_LS_LOSSLESS: "pyjpegls", S.JPEG_LS_NEAR_LOSSLESS: "pyjpegls"}
# Lossy JPEG: its decoder's own YCbCr->RGB conversion is what every reader shows, so frames are
# decoded with it (as dcmdjpeg does); other syntaxes hand back the stored samples.
_CONVERTS_COLOUR = (S.JPEG_BASELINE, S.JPEG_EXTENDED)
# JPEG 2000 and HTJ2K store RGB through their component transform (YBR_RCT / YBR_ICT).
_COMPONENT_TRANSFORM = (
    S.JPEG2000_LOSSLESS,
    S.JPEG2000,
    S.HTJ2K_LOSSLESS,
    S.HTJ2K_LOSSLESS_RPCL,
    S.HTJ2K,
)
# openjpeg's fixed 6 resolution levels need 2^5 pixels in each direction.
_MIN_SIZE = {S.JPEG2000_LOSSLESS: 32, S.JPEG2000: 32}
# Lossy options each encoder takes.
_OPTIONS: dict[str, tuple[str, ...]] = {
    S.JPEG_BASELINE: ("quality",),
    S.JPEG2000: ("quality", "ratio"),
    S.HTJ2K: ("quality", "ratio"),
    S.JPEG_LS_NEAR_LOSSLESS: ("near_lossless",),
}
DEFAULT_JPEG_QUALITY = 90  # dcmcjpeg's default
DEFAULT_J2K_RATIO = 10.0
DEFAULT_NEAR = 2  # dcmcjpls's default

# Encoding profiles: (photometric, samples, pixel representations, bits allocated, bits stored).
Profile = tuple[str, int, tuple[int, ...], tuple[int, ...], range]
# RLE Lossless holds any sample size in byte segments (PS3.5 G.2); dcmtk and GDCM decode these,
# pydicom's profile stops at 16 bits.
_RLE_32: tuple[Profile, ...] = (
    ("MONOCHROME1", 1, (0, 1), (32,), range(1, 33)),
    ("MONOCHROME2", 1, (0, 1), (32,), range(1, 33)),
    ("RGB", 3, (0,), (32,), range(1, 33)),
)
_LOSSLESS_PROFILES: tuple[Profile, ...] = (
    ("MONOCHROME1", 1, (0, 1), (8, 16), range(1, 17)),
    ("MONOCHROME2", 1, (0, 1), (8, 16), range(1, 17)),
    ("PALETTE COLOR", 1, (0,), (8, 16), range(1, 17)),
    ("YBR_FULL", 3, (0,), (8, 16), range(1, 17)),
    ("RGB", 3, (0,), (8, 16), range(1, 17)),
)
_BASELINE_PROFILES: tuple[Profile, ...] = (
    ("MONOCHROME1", 1, (0,), (8,), range(8, 9)),
    ("MONOCHROME2", 1, (0,), (8,), range(8, 9)),
    ("YBR_FULL", 3, (0,), (8,), range(8, 9)),
    ("RGB", 3, (0,), (8,), range(8, 9)),
)


@dataclass(frozen=True)
class _Plugin:
    """An encoder of our own: ``"module:function"`` names, imported only when used."""

    name: str  # shown by --list
    encode: str  # (frame, bits_stored=, pixel_representation=, photometric=, **opts) -> (bytes, pi)
    available: str | None  # () -> bool; None: always
    profiles: tuple[Profile, ...]

    def is_available(self) -> bool:
        return self.available is None or bool(_load(self.available)())


_NUMPY_SV1 = _Plugin(
    "dicom-tools (numpy)",
    "dicom_tools.dicom.encoders:encode_jpeg_lossless_sv1",
    None,
    _LOSSLESS_PROFILES,
)
OWN_ENCODERS: dict[str, _Plugin] = {
    S.JPEG_LOSSLESS: _NUMPY_SV1,
    S.JPEG_LOSSLESS_P14: _NUMPY_SV1,  # any predictor: an SV1 stream is one of them
    S.JPEG_BASELINE: _Plugin(
        "pillow",
        "dicom_tools.dicom.encoders:encode_jpeg_baseline",
        "dicom_tools.dicom.encoders:pillow_jpeg_available",
        _BASELINE_PROFILES,
    ),
}


def _load(name: str) -> Any:
    module, _, attr = name.partition(":")
    return getattr(importlib.import_module(module), attr)


def _hint(table: tuple[tuple[str, str], ...], uid: str) -> str | None:
    return next((h for prefix, h in table if uid.startswith(prefix)), None)


def _syntax(uid: str) -> Syntax:
    """The table's syntax, or a bare one for a UID the table does not know."""
    return S.by_uid(uid) or Syntax(uid, uid, uid)


@cache
def _pydicom_decoder(uid: str) -> Any | None:
    from pydicom.pixels import get_decoder
    from pydicom.uid import UID

    try:
        return get_decoder(UID(uid))
    except NotImplementedError:
        return None


@cache
def _pydicom_encoder(uid: str) -> Any | None:
    from pydicom.pixels import get_encoder

    try:
        return get_encoder(uid)
    except NotImplementedError:
        return None


# ---------------------------------------------------------------------------------------------
# Decoding


@dataclass(frozen=True)
class _Codec:
    """What a decoder and an encoder of one transfer syntax share."""

    uid: str

    @property
    def syntax(self) -> Syntax:
        return _syntax(self.uid)

    @property
    def native(self) -> bool:
        return self.uid in _PYDICOM_NATIVE


@dataclass(frozen=True)
class Decoder(_Codec):
    """Decoding pixel data of one transfer syntax."""

    @property
    def pydicom(self) -> Any | None:
        """pydicom's decoder object, or None when pydicom knows no decoder for the syntax."""
        return _pydicom_decoder(self.uid)

    @property
    def is_available(self) -> bool:
        if self.native:
            return True
        dec = self.pydicom
        return dec is not None and bool(dec.is_available)

    @property
    def plugins(self) -> list[str]:
        """The installed plugins that decode this syntax."""
        if self.native:
            return ["pydicom"]
        dec = self.pydicom
        return sorted(dec.available_plugins) if dec is not None and dec.is_available else []

    @property
    def hint(self) -> str | None:
        """``pip install`` arguments that add a decoder, if known."""
        return _hint(_DECODE_HINT, self.uid)

    @property
    def preferred(self) -> str | None:
        """The installed plugin to try first (the others stay a fallback), or None."""
        plugin = _PREFERRED_DECODER.get(self.uid)
        return plugin if plugin in self.plugins else None

    @property
    def converts_colour(self) -> bool:
        """Whether frames are decoded with the codec's colour conversion (lossy JPEG)."""
        return self.uid in _CONVERTS_COLOUR

    def require(self, where: str) -> Any:
        """pydicom's decoder, or a MissingDependencyError naming ``where`` and what to install."""
        dec = self.pydicom
        install = f"it with: pip install {self.hint}" if self.hint else None
        desc = S.describe(self.uid)
        if dec is None:
            raise MissingDependencyError(
                f"{where}: pixel data in {desc} cannot be decoded by any installed plugin"
                + (f"; install {install}" if install else "")
            )
        if not dec.is_available:
            install = install or ", ".join(dec.missing_dependencies)
            raise MissingDependencyError(
                f"{where}: cannot decode {desc} pixel data; install {install}"
            )
        return dec


def decoder(uid: str) -> Decoder:
    """The decoder of a transfer syntax (whether or not one is installed: ask ``is_available``)."""
    return Decoder(str(uid).rstrip("\0 "))


# ---------------------------------------------------------------------------------------------
# Encoding


@dataclass(frozen=True)
class Encoder(_Codec):
    """Encoding pixel data in one transfer syntax."""

    @property
    def _pydicom(self) -> Any | None:
        enc = _pydicom_encoder(self.uid)
        return enc if enc is not None and enc.is_available else None

    @property
    def _extra(self) -> _Plugin | None:
        plugin = OWN_ENCODERS.get(self.uid)
        return plugin if plugin is not None and plugin.is_available() else None

    @property
    def is_available(self) -> bool:
        return self.native or self._pydicom is not None or self._extra is not None

    @property
    def plugins(self) -> list[str]:
        """The installed plugins that encode this syntax (pydicom's first, then ours)."""
        if self.native:
            return ["pydicom"]
        enc = self._pydicom
        if enc is not None:
            return sorted(enc.available_plugins)
        extra = self._extra
        return [extra.name] if extra is not None else []

    @property
    def uses_pydicom(self) -> bool:
        """Whether frames go to one of pydicom's encoder plugins (else to one of ours)."""
        return self._pydicom is not None

    @property
    def hint(self) -> str | None:
        """``pip install`` arguments that add an encoder, if known."""
        return _hint(_ENCODE_HINT, self.uid)

    @property
    def options(self) -> tuple[str, ...]:
        """The lossy options (``quality``, ``ratio``, ``near_lossless``) this encoder takes."""
        return _OPTIONS.get(self.uid, ())

    @property
    def component_transform(self) -> bool:
        """Whether RGB is best stored through the codec's colour transform (JPEG 2000)."""
        return self.uid in _COMPONENT_TRANSFORM

    @property
    def planar_configuration(self) -> int:
        """Planar Configuration of encoded colour data: RLE segments are by plane (PS3.5 G.2)."""
        return 1 if self.uid == S.RLE_LOSSLESS else 0

    @property
    def min_size(self) -> int:
        """The fewest rows and columns the installed encoder accepts."""
        return _MIN_SIZE.get(self.uid, 1) if self._pydicom is not None else 1

    def profiles(self) -> tuple[Profile, ...]:
        """The kinds of image the encoder takes; empty when it does not say."""
        if self._pydicom is None and self._extra is not None:
            return self._extra.profiles
        from pydicom.pixels.encoders.base import ENCODING_PROFILES

        found = tuple(ENCODING_PROFILES.get(self.uid, ()))
        return found + _RLE_32 if self.uid == S.RLE_LOSSLESS else found

    def require(self) -> None:
        """Nothing when available, else MissingDependencyError saying what to install."""
        if self.is_available:
            return
        desc = S.describe(self.uid)
        if self.hint:
            raise MissingDependencyError(
                f"cannot encode {desc}: no encoder installed; pip install {self.hint}"
            )
        enc = _pydicom_encoder(self.uid)
        if enc is not None:
            missing = "; ".join(enc.missing_dependencies)
            raise MissingDependencyError(f"cannot encode {desc}: {missing}")
        raise MissingDependencyError(
            f"cannot encode {desc}: no encoder for it is available in this installation "
            f"(transcode's {option('list')} shows what is)"
        )

    def codec_options(
        self, quality: int | None = None, ratio: float | None = None, near: int | None = None
    ) -> dict[str, Any]:
        """Keyword arguments for ``encode_frame`` from the user's lossy options (or defaults)."""
        takes = self.options
        if "ratio" in takes:
            if quality is not None:
                return {"quality": quality}  # a PSNR once the bit depth is known
            return {"j2k_cr": [DEFAULT_J2K_RATIO if ratio is None else float(ratio)]}
        if "quality" in takes:
            return {"quality": DEFAULT_JPEG_QUALITY if quality is None else quality}
        if "near_lossless" in takes:
            return {"jls_error": DEFAULT_NEAR if near is None else near}
        return {}

    def encode_frame(
        self,
        frame: Any,
        *,
        rows: int,
        columns: int,
        samples: int,
        bits_allocated: int,
        bits_stored: int,
        pixel_representation: int,
        photometric: str,
        **options: Any,
    ) -> tuple[bytes, str]:
        """One frame's codestream and the Photometric Interpretation of the encoded data."""
        enc = self._pydicom
        if enc is None:
            extra = self._extra
            if extra is None:
                self.require()
            assert extra is not None
            return _load(extra.encode)(
                frame,
                bits_stored=bits_stored,
                pixel_representation=pixel_representation,
                photometric=photometric,
                **options,
            )
        quality = options.pop("quality", None)
        if quality is not None:
            # The same quality looks alike at any bit depth: 6 dB more per extra bit stored.
            options["j2k_psnr"] = [20 + 0.3 * quality + 6.02 * (bits_stored - 8)]
        data = enc.encode(
            frame,
            # pydicom's RLE profile stops at 16 bits; its encoders (and PS3.5 G) go to 32.
            validate=not (self.uid == S.RLE_LOSSLESS and bits_allocated == 32),
            rows=rows,
            columns=columns,
            number_of_frames=1,
            samples_per_pixel=samples,
            bits_allocated=bits_allocated,
            bits_stored=bits_stored,
            pixel_representation=pixel_representation,
            photometric_interpretation=photometric,
            planar_configuration=0,
            **options,
        )
        return data, photometric


def encoder(uid: str) -> Encoder:
    """The encoder of a transfer syntax (whether or not one is installed: ask ``is_available``)."""
    return Encoder(str(uid).rstrip("\0 "))


def error_message(exc: BaseException) -> str:
    """A codec's exception in one line; pydicom's 'all plugins failed' cut to the useful part."""
    text = str(exc)
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    if len(lines) > 1 and lines[0].startswith("Unable to encode"):
        lines = lines[1:]
    msg = " ".join(lines) or type(exc).__name__
    if "destination buffer is too small" in msg:
        msg += " (pyjpegls sizes its output at twice the raw frame: the image is too small)"
    return msg if len(msg) <= 300 else msg[:297] + "..."


# ---------------------------------------------------------------------------------------------
# The registry as a table (transcode --list)


def decode_plugins(uid: str) -> tuple[bool, list[str]]:
    """Whether pixel data in ``uid`` can be decoded, and by which installed plugins."""
    dec = decoder(uid)
    return dec.is_available, dec.plugins


def encode_plugins(uid: str) -> tuple[bool, list[str]]:
    """Whether pixel data can be written in ``uid``, and by which installed plugins."""
    enc = encoder(uid)
    return enc.is_available, enc.plugins


def capabilities() -> list[dict[str, Any]]:
    """One row per named syntax: can this installation decode and encode it, and with what."""
    rows = []
    for s in S.NAMED:
        dec, enc = decoder(s.uid), encoder(s.uid)
        row: dict[str, Any] = {
            "name": s.name,
            "uid": s.uid,
            "title": s.title,
            "lossy": s.lossy,
            "decode": dec.is_available,
            "decoders": dec.plugins,
            "encode": enc.is_available,
            "encoders": enc.plugins,
        }
        if not row["decode"] and dec.hint:
            row["decode_install"] = f"pip install {dec.hint}"
        if not row["encode"]:
            row["encode_install"] = f"pip install {enc.hint}" if enc.hint else None
        rows.append(row)
    return rows


def capabilities_text(rows: list[dict[str, Any]]) -> str:
    """The rows of ``capabilities()`` as the table ``transcode --list`` prints."""
    width = max(len(r["name"]) for r in rows)
    lines = [f"{'NAME':<{width}}  {'DECODE':<6}  {'ENCODE':<6}  UID / PLUGINS"]
    for r in rows:
        dec = "yes" if r["decode"] else "no"
        enc = "yes" if r["encode"] else "no"
        plugins = []
        if r["encoders"]:
            plugins.append("encode: " + ", ".join(r["encoders"]))
        elif r.get("encode_install"):
            plugins.append(f"encode: {r['encode_install']}")
        else:
            plugins.append("encode: no encoder available")
        if r["decoders"]:
            plugins.append("decode: " + ", ".join(r["decoders"]))
        elif r.get("decode_install"):
            plugins.append(f"decode: {r['decode_install']}")
        lines.append(
            f"{r['name']:<{width}}  {dec:<6}  {enc:<6}  {r['uid']:<24} ({'; '.join(plugins)})"
        )
    lines.append("Any transfer syntax UID is accepted as well as these names.")
    return "\n".join(lines)
