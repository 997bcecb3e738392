"""QIDO-RS attribute matching as SQL conditions (PS3.4 C.2.2.2, PS3.18 8.3.4.1).

- Universal matching (C.2.2.2.3): an empty value, or one of only ``*``, matches everything
  (the attribute is then a return key only).
- Single value matching (C.2.2.2.1): equality, case-sensitive except for PN: the standard
  leaves PN case to the SCP, and a viewer's ``PatientName=*smith*`` means any case (what
  dcm4chee and Orthanc do). PN values match on the whole value or its alphabetic group.
- Wildcard matching (C.2.2.2.4): ``*`` any run, ``?`` one character, for the text VRs where the
  standard allows it (not for DA, TM, DT, UI and numbers, C.2.2.2.4's list).
- UID list matching (C.2.2.2.2): UIDs separated by backslashes (or commas, PS3.18 8.3.4.1).
- Range matching (C.2.2.2.5): ``A-B``, ``-B``, ``A-`` for DA, TM and DT, inclusive, compared as
  the text DICOM stores (DA as YYYYMMDD, TM as HHMMSS.FFFFFF compare in order). A stored value
  that is empty never matches a range. Combined date-time matching (C.2.2.2.5.1, a StudyDate
  range with a StudyTime range) is not done: each is matched on its own.

A value that cannot be used for its VR (a wildcard in a date, a number that is no number) is
a ``UsageError`` naming the attribute.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_

from dicom_tools.errors import UsageError
from dicom_tools.store.attributes import Attribute

_RANGE_VRS = frozenset({"DA", "TM", "DT"})
_NO_WILDCARD = _RANGE_VRS | {"UI", "IS", "US", "UL", "SS", "SL", "DS", "FL", "FD", "AS", "AT"}
_DATE = re.compile(r"\d{8}\Z")
_TIME = re.compile(r"\d{2}(\d{2}(\d{2}(\.\d{1,6})?)?)?\Z")
_DATETIME = re.compile(r"\d{4}(\d{2}(\d{2}(\d{2}(\d{2}(\d{2}(\.\d{1,6})?)?)?)?)?)?([+-]\d{4})?\Z")
_FORMAT = {"DA": _DATE, "TM": _TIME, "DT": _DATETIME}
_ESCAPE = "!"


def condition(attr: Attribute, column: Any, text: str, fuzzy: bool = False) -> Any:
    """The SQL condition matching ``column`` (holding ``attr``) against the query value
    ``text``; None for universal matching."""
    text = text.strip(" ")  # padding is not part of a value (PS3.5 6.2)
    if text == "" or text.strip("*") == "":
        return None
    vr = attr.vr
    if vr == "UI":
        uids = [u.strip() for u in re.split(r"[\\,]", text) if u.strip()]
        return column == uids[0] if len(uids) == 1 else column.in_(uids)
    if vr in _RANGE_VRS:
        return _range(attr, column, text)
    if attr.integer:
        try:
            return column == int(text)
        except ValueError:
            raise UsageError(f"{attr.keyword}={text}: not a number ({vr})") from None
    if ("*" in text or "?" in text) and vr in _NO_WILDCARD:
        raise UsageError(f"{attr.keyword}={text}: wildcards are not allowed for VR {vr}")
    if vr == "PN" or fuzzy:
        return _text_match(func.lower(column), text.lower(), vr == "PN")
    return _text_match(column, text, False)


def _text_match(column: Any, text: str, person_name: bool) -> ColumnElement[bool]:
    if "*" in text or "?" in text:
        escaped = (
            text.replace(_ESCAPE, _ESCAPE * 2)
            .replace("%", _ESCAPE + "%")
            .replace("_", _ESCAPE + "_")
        )
        pattern = escaped.replace("*", "%").replace("?", "_")
        whole = column.like(pattern, escape=_ESCAPE)
        if person_name:  # or the alphabetic group alone: "Yamada^Tarou=山田^太郎" ~ "yamada*"
            return or_(whole, column.like(pattern + "=%", escape=_ESCAPE))
        return whole
    if person_name:
        return or_(column == text, column.like(_literal(text) + "=%", escape=_ESCAPE))
    return column == text


def _literal(text: str) -> str:
    return (
        text.replace(_ESCAPE, _ESCAPE * 2).replace("%", _ESCAPE + "%").replace("_", _ESCAPE + "_")
    )


def _range(attr: Attribute, column: Any, text: str) -> Any:
    vr = attr.vr
    low, dash, high = _split_range(text, vr)
    for bound in (low, high):
        if bound and not _FORMAT[vr].match(bound):
            raise UsageError(f"{attr.keyword}={text}: not a {vr} value or range")
    if not dash:
        return column == low
    if not low and not high:
        return None
    parts = []
    if low:
        parts.append(column >= low)
    if high:
        # "-20200101" includes the whole last day/second: anything starting with the bound
        parts.append(or_(column <= high, column.like(_literal(high) + "%", escape=_ESCAPE)))
    return and_(column.isnot(None), *parts)


def _split_range(text: str, vr: str) -> tuple[str, str, str]:
    """(low, "-" or "", high); a DT's own UTC offset ("...-0500") is not a range dash."""
    if vr != "DT":
        return text.partition("-")
    for i, c in enumerate(text):
        if c == "-" and (i == 0 or len(text[:i].split("+")[0]) >= 4) and not _offset_at(text, i):
            return text[:i], "-", text[i + 1 :]
    return text, "", ""


def _offset_at(text: str, i: int) -> bool:
    """Whether the dash at ``i`` starts a UTC offset: 4 digits after it, then the end or a
    range dash, and a date-time before it."""
    rest = text[i + 1 :]
    return i > 0 and len(rest) >= 4 and rest[:4].isdigit() and rest[4:5] in ("", "-")
