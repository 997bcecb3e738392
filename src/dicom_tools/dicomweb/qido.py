"""QIDO-RS query parameters (PS3.18 8.3.4) to the store's ``query()`` arguments.

``{attributeID}={value}`` where the attribute is a keyword (``PatientID``) or a tag as 8 hex
digits (``00100020``), ``includefield`` (keywords, tags, comma lists, ``all``), ``limit``,
``offset`` and ``fuzzymatching``. An attribute that is neither a known keyword nor a tag, a
repeated attribute and a malformed number are UsageErrors naming the parameter (400).
"""

from __future__ import annotations

from collections.abc import Iterable

from dicom_tools.dicom.dictionary import keyword, tag_for
from dicom_tools.errors import UsageError

# Answers are capped so a query without a limit cannot ask for the whole index at once.
MAX_LIMIT = 10_000

_RESERVED = {"limit", "offset", "fuzzymatching", "includefield"}


class QidoQuery:
    """A parsed query: ``filters`` {keyword or tag hex: value}, ``includefield`` (tags as
    8-hex strings; None for the default set, ``"all"`` for every attribute held), ``limit``,
    ``offset``, ``fuzzy``."""

    __slots__ = ("filters", "fuzzy", "includefield", "limit", "offset")

    def __init__(
        self,
        filters: dict[str, str],
        includefield: set[str] | str | None,
        limit: int | None,
        offset: int,
        fuzzy: bool,
    ) -> None:
        self.filters = filters
        self.includefield = includefield
        self.limit = limit
        self.offset = offset
        self.fuzzy = fuzzy

    def __repr__(self) -> str:
        return (
            f"QidoQuery(filters={self.filters!r}, includefield={self.includefield!r}, "
            f"limit={self.limit!r}, offset={self.offset!r}, fuzzy={self.fuzzy!r})"
        )


def attribute_tag(name: str) -> int:
    """The tag a QIDO attribute ID names: a keyword or 8 hex digits; UsageError otherwise.
    A dotted sequence path (``ReferencedSeriesSequence.SeriesInstanceUID``) is checked element
    by element and its last element's tag returned."""
    last = 0
    for piece in name.split("."):
        piece = piece.strip()
        if len(piece) == 8 and all(c in "0123456789abcdefABCDEF" for c in piece):
            last = int(piece, 16)
            continue
        tag = tag_for(piece)
        if tag is None:
            raise UsageError(f"unknown attribute {name!r} in the query")
        last = tag
    return last


def _attribute_key(name: str) -> str:
    """The key the store takes: the keyword for a known tag (so both spellings of one
    attribute meet), else the 8 hex digits; dotted paths keep their dots."""
    if "." in name:
        attribute_tag(name)  # checked
        return name
    tag = attribute_tag(name)
    kw = keyword(tag)
    return kw if kw else f"{tag:08X}"


def _int(name: str, value: str, minimum: int) -> int:
    try:
        number = int(value.strip())
    except ValueError:
        raise UsageError(f"{name}={value!r}: not an integer") from None
    if number < minimum:
        raise UsageError(f"{name}={value!r}: must be at least {minimum}")
    return number


def parse_query(params: Iterable[tuple[str, str]]) -> QidoQuery:
    """``params`` as (name, value) pairs in request order (a name may repeat)."""
    filters: dict[str, str] = {}
    include: set[str] = set()
    include_all = False
    limit: int | None = None
    offset = 0
    fuzzy = False
    for name, value in params:
        key = name.strip()
        low = key.lower()
        if low == "limit":
            limit = min(_int("limit", value, 0), MAX_LIMIT)
        elif low == "offset":
            offset = _int("offset", value, 0)
        elif low == "fuzzymatching":
            if value.strip().lower() not in ("true", "false", ""):
                raise UsageError(f"fuzzymatching={value!r}: must be true or false")
            fuzzy = value.strip().lower() == "true"
        elif low == "includefield":
            for field in value.split(","):
                field = field.strip()
                if not field:
                    continue
                if field.lower() == "all":
                    include_all = True
                else:
                    include.add(f"{attribute_tag(field):08X}")
        elif not key:
            continue
        else:
            attr = _attribute_key(key)
            if attr in filters:
                raise UsageError(f"attribute {key!r} is given more than once in the query")
            filters[attr] = value
    includefield: set[str] | str | None = "all" if include_all else (include or None)
    return QidoQuery(filters, includefield, limit, offset, fuzzy)


def is_reserved(name: str) -> bool:
    return name.lower() in _RESERVED
