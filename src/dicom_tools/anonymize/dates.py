"""Shifting DA and DT values by whole days (Retain Longitudinal Modified Dates).

A shift by whole days leaves times of day, and so every interval between two instants of one
patient, unchanged; TM values need no change and are kept. Values that are not dates (or ranges
of dates) cannot be shifted: the caller replaces them with a dummy.
"""

from __future__ import annotations

import datetime as _dt
import re

_DT = re.compile(r"^(\d{4})(\d{2})?(\d{2})?(.*)$")


def _shift_date(text: str, days: int) -> str | None:
    s = text.strip()
    if re.fullmatch(r"\d{4}\.\d{2}\.\d{2}", s):  # ACR-NEMA style, still seen
        s = s.replace(".", "")
    if not re.fullmatch(r"\d{8}", s):
        return None
    try:
        day = _dt.date(int(s[:4]), int(s[4:6]), int(s[6:8])) + _dt.timedelta(days=days)
    except (ValueError, OverflowError):
        return None
    return f"{day.year:04d}{day.month:02d}{day.day:02d}"


def _shift_datetime(text: str, days: int) -> str | None:
    s = text.strip()
    m = _DT.match(s)
    if not m:
        return None
    year, month, day, rest = m.groups()
    if rest and (day is None or not re.fullmatch(r"[0-9.]*([+-]\d{4})?", rest)):
        return None
    try:
        start = _dt.date(int(year), int(month or 1), int(day or 1))
        moved = start + _dt.timedelta(days=days)
    except (ValueError, OverflowError):
        return None
    out = f"{moved.year:04d}"
    if month is not None:
        out += f"{moved.month:02d}"
    if day is not None:
        out += f"{moved.day:02d}"
    return out + rest


def shift_value(value: str, vr: str, days: int) -> str | None:
    """One DA or DT value (or a range ``A-B``) moved by ``days``; None if it is not a date."""
    shift = _shift_date if vr == "DA" else _shift_datetime
    if vr == "DA" and "-" in value:
        parts = value.split("-")
        if len(parts) != 2:
            return None
        moved = [shift(p, days) if p.strip() else "" for p in parts]
        return None if any(m is None for m in moved) else "-".join(moved)  # type: ignore[arg-type]
    return shift(value, days)
