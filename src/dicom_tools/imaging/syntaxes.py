"""Transfer syntaxes by name, and what this installation can decode and encode.

The names are the ones ``transcode --transfer-syntax`` accepts; any transfer syntax UID is
accepted too. Capabilities come from the installed pydicom plugins (``get_decoder`` /
``get_encoder`` and ``.is_available``) plus the encoders dicom-tools adds itself
(``dicom_tools.imaging.encoders``) for syntaxes pydicom cannot write.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dicom_tools.errors import UsageError

EXPLICIT_LE = "1.2.840.10008.1.2.1"
IMPLICIT_LE = "1.2.840.10008.1.2"
EXPLICIT_BE = "1.2.840.10008.1.2.2"
DEFLATED = "1.2.840.10008.1.2.1.99"


@dataclass(frozen=True)
class Syntax:
    name: str
    uid: str
    title: str
    lossy: bool = False  # the syntax itself implies lossy compression
    method: str | None = None  # Lossy Image Compression Method (0028,2114) when lossy

    @property
    def encapsulated(self) -> bool:
        return self.uid not in (EXPLICIT_LE, IMPLICIT_LE, EXPLICIT_BE, DEFLATED)


SYNTAXES: tuple[Syntax, ...] = (
    Syntax("explicit-vr-little-endian", EXPLICIT_LE, "Explicit VR Little Endian"),
    Syntax("implicit-vr-little-endian", IMPLICIT_LE, "Implicit VR Little Endian"),
    Syntax("explicit-vr-big-endian", EXPLICIT_BE, "Explicit VR Big Endian (retired)"),
    Syntax("deflated", DEFLATED, "Deflated Explicit VR Little Endian"),
    Syntax("rle", "1.2.840.10008.1.2.5", "RLE Lossless"),
    Syntax("jpeg-ls-lossless", "1.2.840.10008.1.2.4.80", "JPEG-LS Lossless"),
    Syntax(
        "jpeg-ls-near-lossless",
        "1.2.840.10008.1.2.4.81",
        "JPEG-LS Near-Lossless",
        lossy=True,
        method="ISO_14495_1",
    ),
    Syntax("jpeg2000-lossless", "1.2.840.10008.1.2.4.90", "JPEG 2000 Lossless"),
    Syntax("jpeg2000", "1.2.840.10008.1.2.4.91", "JPEG 2000", lossy=True, method="ISO_15444_1"),
    Syntax("htj2k-lossless", "1.2.840.10008.1.2.4.201", "HTJ2K Lossless"),
    Syntax("htj2k-lossless-rpcl", "1.2.840.10008.1.2.4.202", "HTJ2K Lossless RPCL"),
    Syntax("htj2k", "1.2.840.10008.1.2.4.203", "HTJ2K", lossy=True, method="ISO_15444_15"),
    Syntax("jpeg-lossless", "1.2.840.10008.1.2.4.70", "JPEG Lossless, Process 14 SV1"),
    Syntax("jpeg-lossless-p14", "1.2.840.10008.1.2.4.57", "JPEG Lossless, Process 14"),
    Syntax(
        "jpeg-baseline",
        "1.2.840.10008.1.2.4.50",
        "JPEG Baseline (Process 1)",
        lossy=True,
        method="ISO_10918_1",
    ),
    Syntax(
        "jpeg-extended",
        "1.2.840.10008.1.2.4.51",
        "JPEG Extended (Process 2 & 4)",
        lossy=True,
        method="ISO_10918_1",
    ),
)

BY_NAME = {s.name: s for s in SYNTAXES}
BY_UID = {s.uid: s for s in SYNTAXES}

# What to install for each family of syntaxes (pip names), for error messages and --list.
_DECODE_HINT = {
    "1.2.840.10008.1.2.4.5": "pylibjpeg pylibjpeg-libjpeg",
    "1.2.840.10008.1.2.4.7": "pylibjpeg pylibjpeg-libjpeg",
    "1.2.840.10008.1.2.4.8": "pyjpegls",
    "1.2.840.10008.1.2.4.9": "pylibjpeg pylibjpeg-openjpeg",
    "1.2.840.10008.1.2.4.20": "pylibjpeg 'pylibjpeg-openjpeg>=2.4'",
    "1.2.840.10008.1.2.5": "pylibjpeg pylibjpeg-rle",
}
_ENCODE_HINT = {
    "1.2.840.10008.1.2.4.8": "pyjpegls",
    "1.2.840.10008.1.2.4.9": "pylibjpeg pylibjpeg-openjpeg",
    "1.2.840.10008.1.2.5": "pylibjpeg pylibjpeg-rle",
    "1.2.840.10008.1.2.4.50": "pillow",
}


def _hint(table: dict[str, str], uid: str) -> str | None:
    return next((h for prefix, h in table.items() if uid.startswith(prefix)), None)


def decode_hint(uid: str) -> str | None:
    """``pip install`` arguments that add a decoder for ``uid``, if known."""
    return _hint(_DECODE_HINT, uid)


def encode_hint(uid: str) -> str | None:
    """``pip install`` arguments that add an encoder for ``uid``, if known."""
    return _hint(_ENCODE_HINT, uid)


def valid_names() -> str:
    return ", ".join(s.name for s in SYNTAXES)


def resolve(value: str) -> Syntax:
    """A syntax from its name (any case, ``_`` or ``-``) or its UID, or raise UsageError."""
    from pydicom.uid import UID

    text = (value or "").strip()
    key = text.lower().replace("_", "-")
    if key in BY_NAME:
        return BY_NAME[key]
    if text in BY_UID:
        return BY_UID[text]
    uid = UID(text)
    if uid.is_valid and uid.is_transfer_syntax:
        # A syntax without a name here (e.g. MPEG): known to pydicom, listed by --list.
        return Syntax(uid.keyword or text, text, uid.name, lossy=False)
    raise UsageError(f"unknown transfer syntax {value!r}; use a UID or one of: {valid_names()}")


def describe(uid: str) -> str:
    """``Name (UID)`` for messages."""
    syntax = BY_UID.get(str(uid))
    if syntax is not None:
        return f"{syntax.title} ({uid})"
    from pydicom.uid import UID

    name = UID(uid).name
    return f"{name} ({uid})" if name != uid else str(uid)


def decode_plugins(uid: str) -> tuple[bool, list[str]]:
    """Whether pixel data in ``uid`` can be decoded, and by which installed plugins."""
    from pydicom.pixels import get_decoder

    if uid in (EXPLICIT_LE, IMPLICIT_LE, EXPLICIT_BE, DEFLATED):
        return True, ["pydicom"]
    try:
        decoder = get_decoder(uid)
    except NotImplementedError:
        return False, []
    return decoder.is_available, sorted(decoder.available_plugins)


def pydicom_encoder(uid: str) -> Any | None:
    """pydicom's encoder for ``uid``, or None when pydicom has none for it."""
    from pydicom.pixels import get_encoder

    try:
        return get_encoder(uid)
    except NotImplementedError:
        return None


def encode_plugins(uid: str) -> tuple[bool, list[str]]:
    """Whether pixel data can be written in ``uid``, and by which installed plugins.

    pydicom's encoders come first; dicom-tools' own encoders fill in syntaxes it cannot write.
    """
    from dicom_tools.imaging import encoders

    if uid in (EXPLICIT_LE, IMPLICIT_LE, EXPLICIT_BE, DEFLATED):
        return True, ["pydicom"]
    encoder = pydicom_encoder(uid)
    if encoder is not None and encoder.is_available:
        return True, sorted(encoder.available_plugins)
    extra = encoders.extra_encoder(uid)
    if extra is not None and extra.is_available():
        return True, [extra.plugin]
    return False, []


def capabilities() -> list[dict[str, Any]]:
    """One row per named syntax: can this installation decode and encode it, and with what."""
    rows = []
    for s in SYNTAXES:
        dec, dec_plugins = decode_plugins(s.uid)
        enc, enc_plugins = encode_plugins(s.uid)
        row: dict[str, Any] = {
            "name": s.name,
            "uid": s.uid,
            "title": s.title,
            "lossy": s.lossy,
            "decode": dec,
            "decoders": dec_plugins,
            "encode": enc,
            "encoders": enc_plugins,
        }
        if not dec and decode_hint(s.uid):
            row["decode_install"] = f"pip install {decode_hint(s.uid)}"
        if not enc:
            hint = encode_hint(s.uid)
            row["encode_install"] = f"pip install {hint}" if hint else None
        rows.append(row)
    return rows


def capabilities_text(rows: list[dict[str, Any]]) -> str:
    width = max(len(r["name"]) for r in rows)
    lines = [
        f"{'NAME':<{width}}  {'DECODE':<6}  {'ENCODE':<6}  UID / PLUGINS",
    ]
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
