"""Transfer syntaxes (PS3.5 section 10, PS3.6 Annex A): the one table every module asks.

Each syntax knows how its data set is encoded (explicit or implicit VR, byte order, deflated)
and how its pixel data is (native or encapsulated, lossy or not). Names are the ones users
type: a short name, common aliases and the standard's keyword, matched without regard to case,
hyphens, underscores or spaces (``jpeg-ls``, ``JPEGLSLossless``, ``j2k``...). Which codecs are
installed for a syntax is ``dicom_tools.dicom.codecs``'s business, not this table's.
"""

from __future__ import annotations

from dicom_tools.errors import UsageError

IMPLICIT_LE = "1.2.840.10008.1.2"
EXPLICIT_LE = "1.2.840.10008.1.2.1"
ENCAPSULATED_UNCOMPRESSED = "1.2.840.10008.1.2.1.98"
DEFLATED = "1.2.840.10008.1.2.1.99"
EXPLICIT_BE = "1.2.840.10008.1.2.2"
JPEG_BASELINE = "1.2.840.10008.1.2.4.50"
JPEG_EXTENDED = "1.2.840.10008.1.2.4.51"
JPEG_LOSSLESS_P14 = "1.2.840.10008.1.2.4.57"
JPEG_LOSSLESS = "1.2.840.10008.1.2.4.70"
JPEG_LS_LOSSLESS = "1.2.840.10008.1.2.4.80"
JPEG_LS_NEAR_LOSSLESS = "1.2.840.10008.1.2.4.81"
JPEG2000_LOSSLESS = "1.2.840.10008.1.2.4.90"
JPEG2000 = "1.2.840.10008.1.2.4.91"
HTJ2K_LOSSLESS = "1.2.840.10008.1.2.4.201"
HTJ2K_LOSSLESS_RPCL = "1.2.840.10008.1.2.4.202"
HTJ2K = "1.2.840.10008.1.2.4.203"
RLE_LOSSLESS = "1.2.840.10008.1.2.5"
PAPYRUS3_IMPLICIT_LE = "1.2.840.10008.1.20"

# Syntaxes whose pixel data is not stored in the data set at all (JPIP, SMPTE ST 2110): native
# for our purposes, nothing to decode.
_REFERENCED = ("1.2.840.10008.1.2.4.94", "1.2.840.10008.1.2.4.95", "1.2.840.10008.1.2.4.204")
_REFERENCED += ("1.2.840.10008.1.2.4.205", "1.2.840.10008.1.2.7.1", "1.2.840.10008.1.2.7.2")
_REFERENCED += ("1.2.840.10008.1.2.7.3",)


_KEY_CHARS = frozenset("0123456789abcdefghijklmnopqrstuvwxyz")


def _key(text: str) -> str:
    """``text`` lower-cased, without what is not an ASCII letter or digit."""
    return "".join(c for c in text.lower() if c in _KEY_CHARS)


class Syntax:
    """One transfer syntax.

    ``name`` is the short name dicom-tools prints and accepts (``jpeg-ls-lossless``);
    ``title`` the standard's name; ``keyword`` the standard's keyword (``JPEGLSLossless``).
    ``lossy`` says the syntax implies lossy compression (PS3.3 C.7.6.1.1.5), ``method`` is then
    the Lossy Image Compression Method (0028,2114) it records. ``suffix`` is the word a file
    transcoded to it is named with (``<stem>_<suffix>.dcm``): the word users type for it, so
    ``jpeg2000`` (lossy, as the alias means) and ``jpeg2000_lossless``.
    """

    # A plain immutable record (the header path loads this table; dataclasses cost start-up).
    _order = (
        "name",
        "uid",
        "title",
        "keyword",
        "aliases",
        "explicit_vr",
        "little_endian",
        "deflated",
        "encapsulated",
        "lossy",
        "method",
        "retired",
        "suffix",
    )
    __slots__ = tuple(sorted(_order))

    def __init__(
        self,
        name: str,
        uid: str,
        title: str,
        keyword: str = "",
        aliases: tuple[str, ...] = (),
        explicit_vr: bool = True,
        little_endian: bool = True,
        deflated: bool = False,
        encapsulated: bool = True,
        lossy: bool = False,
        method: str | None = None,
        retired: bool = False,
        suffix: str = "",
    ) -> None:
        values = (name, uid, title, keyword, aliases, explicit_vr, little_endian, deflated)
        values += (encapsulated, lossy, method, retired, suffix or _key(keyword or name))
        for name, value in zip(self._order, values, strict=True):
            object.__setattr__(self, name, value)

    def _fields(self) -> tuple:
        return tuple(getattr(self, name) for name in self._order)

    def __reduce__(self) -> tuple:  # pickled (to worker processes) by its fields
        return (type(self), self._fields())

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"cannot assign to field {name!r}")

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._fields() == other._fields()  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash(self._fields())

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={getattr(self, k)!r}" for k in self._order)
        return f"Syntax({fields})"

    @property
    def native(self) -> bool:
        """Pixel data stored uncompressed in the data set."""
        return not self.encapsulated

    @property
    def byte_order(self) -> str:
        """``"<"`` or ``">"`` for struct formats."""
        return "<" if self.little_endian else ">"

    def describe(self) -> str:
        """``Title (UID)`` for messages."""
        return f"{self.title} ({self.uid})"


def _native(
    name: str, uid: str, title: str, keyword: str, aliases: tuple[str, ...], **kw
) -> Syntax:
    return Syntax(name, uid, title, keyword, aliases, encapsulated=False, **kw)


# The syntaxes dicom-tools names (transcode targets, --list rows), in the order they are listed.
NAMED: tuple[Syntax, ...] = (
    _native(
        "explicit-vr-little-endian",
        EXPLICIT_LE,
        "Explicit VR Little Endian",
        "ExplicitVRLittleEndian",
        ("explicit", "explicit-le", "ele"),
        suffix="explicit",
    ),
    _native(
        "implicit-vr-little-endian",
        IMPLICIT_LE,
        "Implicit VR Little Endian",
        "ImplicitVRLittleEndian",
        ("implicit", "implicit-le", "ile"),
        explicit_vr=False,
        suffix="implicit",
    ),
    _native(
        "explicit-vr-big-endian",
        EXPLICIT_BE,
        "Explicit VR Big Endian (retired)",
        "ExplicitVRBigEndian",
        ("big-endian", "explicit-be"),
        little_endian=False,
        retired=True,
        suffix="bigendian",
    ),
    _native(
        "deflated",
        DEFLATED,
        "Deflated Explicit VR Little Endian",
        "DeflatedExplicitVRLittleEndian",
        ("deflate",),
        deflated=True,
        suffix="deflated",
    ),
    Syntax("rle", RLE_LOSSLESS, "RLE Lossless", "RLELossless", ("rle-lossless",), suffix="rle"),
    Syntax(
        "jpeg-ls-lossless",
        JPEG_LS_LOSSLESS,
        "JPEG-LS Lossless",
        "JPEGLSLossless",
        ("jpeg-ls", "jpegls", "jls"),
        suffix="jpegls",
    ),
    Syntax(
        "jpeg-ls-near-lossless",
        JPEG_LS_NEAR_LOSSLESS,
        "JPEG-LS Near-Lossless",
        "JPEGLSNearLossless",
        ("jpegls-near", "jls-near"),
        lossy=True,
        method="ISO_14495_1",
        suffix="jpegls_near",
    ),
    Syntax(
        "jpeg2000-lossless",
        JPEG2000_LOSSLESS,
        "JPEG 2000 Lossless",
        "JPEG2000Lossless",
        ("j2k-lossless", "jp2k-lossless"),
        suffix="jpeg2000_lossless",
    ),
    Syntax(
        "jpeg2000",
        JPEG2000,
        "JPEG 2000",
        "JPEG2000",
        ("j2k", "jp2k"),
        lossy=True,
        method="ISO_15444_1",
        suffix="jpeg2000",
    ),
    Syntax(
        "htj2k-lossless", HTJ2K_LOSSLESS, "HTJ2K Lossless", "HTJ2KLossless", suffix="htj2k_lossless"
    ),
    Syntax(
        "htj2k-lossless-rpcl",
        HTJ2K_LOSSLESS_RPCL,
        "HTJ2K Lossless RPCL",
        "HTJ2KLosslessRPCL",
        suffix="htj2k_rpcl",
    ),
    Syntax("htj2k", HTJ2K, "HTJ2K", "HTJ2K", lossy=True, method="ISO_15444_15", suffix="htj2k"),
    Syntax(
        "jpeg-lossless",
        JPEG_LOSSLESS,
        "JPEG Lossless, Process 14 SV1",
        "JPEGLosslessSV1",
        ("jpeg-lossless-sv1",),
        suffix="jpeg_lossless",
    ),
    Syntax(
        "jpeg-lossless-p14",
        JPEG_LOSSLESS_P14,
        "JPEG Lossless, Process 14",
        "JPEGLossless",
        suffix="jpeg_lossless_p14",
    ),
    Syntax(
        "jpeg-baseline",
        JPEG_BASELINE,
        "JPEG Baseline (Process 1)",
        "JPEGBaseline8Bit",
        ("jpeg", "jpeg-8bit"),
        lossy=True,
        method="ISO_10918_1",
        suffix="jpeg",
    ),
    Syntax(
        "jpeg-extended",
        JPEG_EXTENDED,
        "JPEG Extended (Process 2 & 4)",
        "JPEGExtended12Bit",
        ("jpeg-12bit",),
        lossy=True,
        method="ISO_10918_1",
        suffix="jpeg12",
    ),
)

# Lossy families among the syntaxes without a short name (by UID prefix): retired DCT JPEG
# processes, JPEG 2000 Part 2 irreversible, MPEG-2/4 and HEVC video.
_LOSSY_OTHERS = {
    "1.2.840.10008.1.2.4.52": "ISO_10918_1",
    "1.2.840.10008.1.2.4.53": "ISO_10918_1",
    "1.2.840.10008.1.2.4.54": "ISO_10918_1",
    "1.2.840.10008.1.2.4.55": "ISO_10918_1",
    "1.2.840.10008.1.2.4.56": "ISO_10918_1",
    "1.2.840.10008.1.2.4.59": "ISO_10918_1",
    "1.2.840.10008.1.2.4.60": "ISO_10918_1",
    "1.2.840.10008.1.2.4.61": "ISO_10918_1",
    "1.2.840.10008.1.2.4.62": "ISO_10918_1",
    "1.2.840.10008.1.2.4.63": "ISO_10918_1",
    "1.2.840.10008.1.2.4.64": "ISO_10918_1",
    "1.2.840.10008.1.2.4.93": "ISO_15444_2",
    "1.2.840.10008.1.2.4.10": "ISO_13818_2",  # MPEG2 4.100.x, 4.101.x
    "1.2.840.10008.1.2.4.102": "ISO_14496_10",  # MPEG-4 AVC 4.102-4.106
    "1.2.840.10008.1.2.4.103": "ISO_14496_10",
    "1.2.840.10008.1.2.4.104": "ISO_14496_10",
    "1.2.840.10008.1.2.4.105": "ISO_14496_10",
    "1.2.840.10008.1.2.4.106": "ISO_14496_10",
    "1.2.840.10008.1.2.4.107": "ISO_23008_2",  # HEVC
    "1.2.840.10008.1.2.4.108": "ISO_23008_2",
}

_BY_UID: dict[str, Syntax] = {s.uid: s for s in NAMED}
_BY_KEY: dict[str, Syntax] = {}


def _index(s: Syntax) -> None:
    for spelling in (s.name, s.keyword, *s.aliases):
        if spelling:
            _BY_KEY.setdefault(_key(spelling), s)


for _s in NAMED:
    _index(_s)
_LOADED_ALL = False


def _load_registered() -> None:
    """Add every transfer syntax of the UID table (PS3.6 Annex A) that has no short name."""
    global _LOADED_ALL
    if _LOADED_ALL:
        return
    from dicom_tools.dicom.data.uids import UIDS

    for uid, (title, kind, keyword, retired) in UIDS.items():
        if kind != "Transfer Syntax" or uid in _BY_UID:
            continue
        method = next((m for p, m in _LOSSY_OTHERS.items() if uid.startswith(p)), None)
        s = Syntax(
            name=keyword,
            uid=uid,
            title=title,
            keyword=keyword,
            explicit_vr=uid != PAPYRUS3_IMPLICIT_LE,
            deflated=uid.endswith(("4.95", "4.205")),
            encapsulated=uid not in _REFERENCED and uid != PAPYRUS3_IMPLICIT_LE,
            lossy=method is not None,
            method=method,
            retired=bool(retired),
        )
        _BY_UID[uid] = s
        _index(s)
    _LOADED_ALL = True


def by_uid(uid: str | None) -> Syntax | None:
    """The syntax of a UID (trailing NUL/space padding ignored), or None if it is not one."""
    if not uid:
        return None
    uid = uid.rstrip("\0 ")
    s = _BY_UID.get(uid)
    if s is None and not _LOADED_ALL:
        _load_registered()
        s = _BY_UID.get(uid)
    return s


def all_syntaxes() -> list[Syntax]:
    """Every transfer syntax of the standard, the named ones first."""
    _load_registered()
    return list(_BY_UID.values())


def valid_names() -> str:
    return ", ".join(s.name for s in NAMED)


def lookup(value: str) -> Syntax:
    """A syntax from its name, an alias, its keyword or its UID; else UsageError listing names."""
    text = (value or "").strip()
    s = by_uid(text) or _BY_KEY.get(_key(text))
    if s is None and not _LOADED_ALL:
        _load_registered()
        s = _BY_KEY.get(_key(text))
    if s is None:
        raise UsageError(f"unknown transfer syntax {value!r}; use a UID or one of: {valid_names()}")
    return s


def describe(uid: str) -> str:
    """``Title (UID)`` for messages, also for UIDs that are not transfer syntaxes."""
    s = by_uid(uid)
    return s.describe() if s is not None else str(uid)


def is_native(uid: str | None) -> bool:
    """Whether pixel data in ``uid`` is stored uncompressed (unknown UIDs: encapsulated)."""
    s = by_uid(uid)
    return s is not None and not s.encapsulated
