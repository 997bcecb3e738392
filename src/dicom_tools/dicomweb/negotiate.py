"""Which representation a WADO-RS request gets, from its Accept header (PS3.18 8.7).

Each ``choose_*`` returns the first acceptable choice in the client's order of preference, or
None (the caller answers 406). The decisions where PS3.18 leaves room are in the package
docstring.
"""

from __future__ import annotations

from dicom_tools.dicom import syntaxes as S
from dicom_tools.dicomweb.mediatype import MediaRange, parse_accept

DICOM = "application/dicom"
DICOM_JSON = "application/dicom+json"
DICOM_XML = "application/dicom+xml"
OCTET = "application/octet-stream"
ZIP = "application/zip"
MULTIPART = "multipart/related"

# PS3.18 Table 8.7.3-5 (single-frame and multi-frame media types for compressed pixel data);
# the x- spellings are the ones earlier editions and clients used.
FRAME_MEDIA_TYPES: dict[str, tuple[str, ...]] = {
    S.JPEG_BASELINE: ("image/jpeg",),
    S.JPEG_EXTENDED: ("image/jpeg",),
    S.JPEG_LOSSLESS_P14: ("image/jpeg",),
    S.JPEG_LOSSLESS: ("image/jpeg",),
    S.JPEG_LS_LOSSLESS: ("image/jls", "image/x-jls"),
    S.JPEG_LS_NEAR_LOSSLESS: ("image/jls", "image/x-jls"),
    S.JPEG2000_LOSSLESS: ("image/jp2",),
    S.JPEG2000: ("image/jp2",),
    S.HTJ2K_LOSSLESS: ("image/jphc",),
    S.HTJ2K_LOSSLESS_RPCL: ("image/jphc",),
    S.HTJ2K: ("image/jphc",),
    S.RLE_LOSSLESS: ("image/dicom-rle", "image/x-dicom-rle"),
}


class Choice:
    """A negotiated representation: ``media_type`` of the body (or of each part when
    ``multipart``), ``transfer_syntax`` the UID the content is in (None where none applies)."""

    __slots__ = ("media_type", "multipart", "transfer_syntax")

    def __init__(self, media_type: str, transfer_syntax: str | None, multipart: bool) -> None:
        self.media_type = media_type
        self.transfer_syntax = transfer_syntax
        self.multipart = multipart

    def __repr__(self) -> str:
        return f"Choice({self.media_type!r}, {self.transfer_syntax!r}, multipart={self.multipart})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Choice):
            return NotImplemented
        return (self.media_type, self.transfer_syntax, self.multipart) == (
            other.media_type,
            other.transfer_syntax,
            other.multipart,
        )

    __hash__ = None  # type: ignore[assignment]


def can_transcode_to(uid: str, stored: str) -> bool:
    """Whether an instance stored in ``stored`` is served in ``uid``: the stored syntax itself,
    or a lossless syntax this installation encodes. A lossy target is never made on retrieval
    (it would be a new, derived instance with another SOP Instance UID)."""
    if uid == stored:
        return True
    syntax = S.by_uid(uid)
    if syntax is None or syntax.lossy or syntax.retired or syntax not in S.NAMED:
        return False
    if syntax.native:
        return True
    from dicom_tools.dicom import codecs

    return codecs.encoder(uid).is_available


def _part_type(r: MediaRange) -> str | None:
    """The media type a range asks for in each part: the ``type`` of multipart/related (or of a
    ``multipart/*``, ``*/*`` range), else the range itself."""
    if r.media_type in (MULTIPART, "multipart/*"):
        return r.type_param or "*/*"
    return r.media_type


def choose_instances(accept: str | None, stored: str, *, allow_single: bool) -> Choice | None:
    """Instances (study, series or one instance): multipart/related application/dicom, a lone
    application/dicom (``allow_single``: one instance), or application/zip.

    ``transfer-syntax`` absent on application/dicom means Explicit VR Little Endian (PS3.18
    8.7.3.5.2), ``*`` the stored syntax; ``*/*`` (no type asked for) gets the stored syntax.
    """
    for r in parse_accept(accept):
        if r.media_type == ZIP:
            return Choice(ZIP, stored, False)
        if r.media_type in (MULTIPART, "multipart/*"):
            part, multipart = _part_type(r), True
        elif r.media_type == DICOM and allow_single:
            part, multipart = DICOM, False
        elif r.media_type in ("*/*", "application/*"):
            part, multipart = "*/*", True
        else:
            continue
        if part not in (DICOM, "application/*", "*/*"):
            continue
        ts = r.transfer_syntax
        # "*", or no syntax asked for a wildcard type: as stored
        uid = stored if ts == "*" or (ts is None and part != DICOM) else ts or S.EXPLICIT_LE
        if can_transcode_to(uid, stored):
            return Choice(DICOM, uid, multipart)
    return None


def choose_frames(accept: str | None, stored: str) -> Choice | None:
    """Frames: octet-stream (native, Explicit VR Little Endian) or the stored compressed
    syntax's media type (PS3.18 Table 8.7.3-5). ``transfer-syntax=*`` and ``*/*`` get what is
    stored: octet-stream for a native instance, the compressed media type otherwise (no
    decoding on the server); octet-stream without ``transfer-syntax`` asks for decoded frames."""
    stored_types = FRAME_MEDIA_TYPES.get(stored, ())
    as_stored = Choice(stored_types[0] if stored_types else OCTET, stored, True)
    decoded = Choice(OCTET, S.EXPLICIT_LE, True)
    for r in parse_accept(accept):
        if r.media_type in (MULTIPART, "multipart/*", "*/*"):
            part = _part_type(r)
        elif r.media_type == OCTET or r.media_type.startswith("image/"):
            part = r.media_type  # a lone part asked for: still sent as multipart/related
        else:
            continue
        ts = r.transfer_syntax
        if part in ("*/*", "*", "application/*"):
            if ts in (None, "*", stored):
                return as_stored
            if ts == S.EXPLICIT_LE:
                return decoded
        elif part == OCTET:
            if ts == "*":
                return as_stored
            if ts in (None, S.EXPLICIT_LE):
                return decoded
        elif (
            stored_types
            and (part in stored_types or part == "image/*")
            and ts in (None, "*", stored)
        ):
            return Choice(stored_types[0] if part == "image/*" else part, stored, True)
    return None


def choose_bulkdata(accept: str | None) -> Choice | None:
    """Bulk data: multipart/related application/octet-stream, or a lone octet-stream."""
    for r in parse_accept(accept):
        if r.media_type in (MULTIPART, "multipart/*"):
            if _part_type(r) in (OCTET, "application/*", "*/*"):
                return Choice(OCTET, None, True)
        elif r.matches(OCTET):
            return Choice(OCTET, None, r.media_type != OCTET and r.media_type == "*/*")
    return None


def choose_json(accept: str | None, *, xml: bool = False) -> Choice | None:
    """DICOM JSON (application/json accepted as well), or DICOM XML where ``xml`` is offered
    (STOW responses); ``*/*`` gets JSON."""
    for r in parse_accept(accept):
        if r.media_type in (DICOM_JSON, "application/json") or r.media_type in (
            "*/*",
            "application/*",
        ):
            return Choice(DICOM_JSON, None, False)
        if xml and r.media_type in (DICOM_XML, "application/xml", "text/xml"):
            return Choice(DICOM_XML, None, False)
        if xml and r.media_type == MULTIPART and r.type_param == DICOM_XML:
            return Choice(DICOM_XML, None, False)
    return None


def choose_rendered(accept: str | None) -> Choice | None:
    """Rendered and thumbnail: image/jpeg (PS3.18's default, so ``*/*`` gets it) or image/png."""
    for r in parse_accept(accept):
        if r.media_type in ("image/jpeg", "image/png"):
            return Choice(r.media_type, None, False)
        if r.media_type in ("*/*", "image/*"):
            return Choice("image/jpeg", None, False)
    return None
