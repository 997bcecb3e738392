"""QIDO-RS query parameters (PS3.18 8.3.4) to the store's ``query()`` arguments.

``{attributeID}={value}`` where the attribute is a keyword (``PatientID``) or a tag as 8 hex
digits (``00100020``), ``includefield`` (keywords, tags, comma lists, ``all``), ``limit``,
``offset`` and ``fuzzymatching``. An attribute that is neither a known keyword nor a tag, a
repeated attribute and a malformed number are UsageErrors naming the parameter (400).

``finish`` shapes the store's answer (every attribute it keeps at the level and above) into the
response of PS3.18 10.6.3.3: each result carries its level's default attributes (Tables
10.6.3-3, -4 and -5), the upper levels' defaults where the target resource asks for them (All
Series: the study's; a study's instances: the series'; All Instances: both), the unique keys of
its level and the levels above (as a C-FIND response carries them, and as viewers read them to
place a series in its study), the attributes matched on, the ``includefield`` ones, and its
Retrieve URL; ``includefield=all`` keeps every attribute the index holds. An ``includefield``
attribute the index does not keep is left out ("supported by the origin server", 10.6.3.3).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from dicom_tools.dicom.dictionary import keyword, tag_for
from dicom_tools.errors import UsageError

# Answers are capped so a query without a limit cannot ask for the whole index at once.
MAX_LIMIT = 10_000

_RESERVED = {"limit", "offset", "fuzzymatching", "includefield"}

# PS3.18 Tables 10.6.3-3 (study), 10.6.3-4 (series) and 10.6.3-5 (instance): the attributes
# every result of the level carries, of those the index keeps (Retrieve URL is added apart;
# Instance Availability, Timezone Offset From UTC and Request Attribute Sequence are not kept).
DEFAULT_RETURN: dict[str, tuple[str, ...]] = {
    "study": (
        "StudyDate",
        "StudyTime",
        "AccessionNumber",
        "ModalitiesInStudy",
        "ReferringPhysicianName",
        "PatientName",
        "PatientID",
        "PatientBirthDate",
        "PatientSex",
        "StudyInstanceUID",
        "StudyID",
        "NumberOfStudyRelatedSeries",
        "NumberOfStudyRelatedInstances",
    ),
    "series": (
        "Modality",
        "SeriesDescription",
        "SeriesInstanceUID",
        "SeriesNumber",
        "NumberOfSeriesRelatedInstances",
        "PerformedProcedureStepStartDate",
        "PerformedProcedureStepStartTime",
    ),
    "instance": (
        "SOPClassUID",
        "SOPInstanceUID",
        "InstanceNumber",
        "Rows",
        "Columns",
        "BitsAllocated",
        "NumberOfFrames",
    ),
}
_UNIQUE = {"study": "0020000D", "series": "0020000E", "instance": "00080018"}
RETRIEVE_URL = "00081190"


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


def _hex(keyword_: str) -> str:
    tag = tag_for(keyword_)
    assert tag is not None, keyword_  # the tables above are dictionary keywords
    return f"{tag:08X}"


_DEFAULT_TAGS = {level: frozenset(map(_hex, kws)) for level, kws in DEFAULT_RETURN.items()}


def return_tags(
    level: str, query: QidoQuery, study: str | None = None, series: str | None = None
) -> frozenset[str] | None:
    """The tags (8 hex digits) each result of a ``level`` search carries, the target resource
    being the study ``study`` and/or the series ``series`` when given; None for everything the
    index holds (``includefield=all``). See the module's docstring."""
    if query.includefield == "all" or level not in _DEFAULT_TAGS:
        return None
    levels = [level]
    if level == "series" and study is None:  # All Series
        levels.append("study")
    if level == "instance":
        if series is None:  # a study's instances, or All Instances
            levels.append("series")
        if study is None:  # All Instances
            levels.append("study")
    keep = set().union(*(_DEFAULT_TAGS[lvl] for lvl in levels))
    scope = ("study", "series", "instance")
    keep.update(_UNIQUE[lvl] for lvl in scope[: scope.index(level) + 1])
    keep.update(f"{attribute_tag(name):08X}" for name in query.filters)
    keep.update(query.includefield or ())
    keep.add(RETRIEVE_URL)
    return frozenset(keep)


def _uid(result: dict[str, Any], tag: str) -> str:
    return str(result.get(tag, {}).get("Value", [""])[0])


def finish(
    results: list[dict[str, Any]],
    level: str,
    query: QidoQuery,
    base: str,
    study: str | None = None,
    series: str | None = None,
) -> list[dict[str, Any]]:
    """The store's ``results`` of a ``level`` search as the response's objects: the attributes
    ``return_tags`` names, each result's Retrieve URL under ``base`` (the ``/dicomweb`` URL)."""
    keep = return_tags(level, query, study, series)
    out = []
    for result in results:
        url = f"{base}/studies/{_uid(result, _UNIQUE['study'])}"
        if level in ("series", "instance"):
            url += f"/series/{_uid(result, _UNIQUE['series'])}"
        if level == "instance":
            url += f"/instances/{_uid(result, _UNIQUE['instance'])}"
        items = result.items() if keep is None else [(k, v) for k, v in result.items() if k in keep]
        shaped = dict(items)
        shaped[RETRIEVE_URL] = {"vr": "UR", "Value": [url]}
        out.append(dict(sorted(shaped.items())))
    return out
