"""Media types and the Accept header (RFC 9110 12.5.1, PS3.18 8.7).

Parameters may be quoted or not (OHIF sends ``type=application/octet-stream`` unquoted, as
``transfer-syntax=*``); a quoted value may hold ``;`` or ``,``. Names are matched without
regard to case; values keep theirs except ``type``, a media type and so case-insensitive.
"""

from __future__ import annotations


class MediaRange:
    """One element of an Accept header: ``type/subtype`` (lower-case), its parameters (the
    ``q`` weight apart) and its position in the header (to keep the client's order on ties)."""

    __slots__ = ("media_type", "order", "params", "q")

    def __init__(self, media_type: str, params: dict[str, str], q: float, order: int) -> None:
        self.media_type = media_type
        self.params = params
        self.q = q
        self.order = order

    def __repr__(self) -> str:
        return f"MediaRange({self.media_type!r}, {self.params!r}, q={self.q})"

    @property
    def type_param(self) -> str | None:
        """The multipart/related ``type`` parameter, lower-case."""
        value = self.params.get("type")
        return value.strip().lower() if value is not None else None

    @property
    def transfer_syntax(self) -> str | None:
        value = self.params.get("transfer-syntax")
        return value.strip() if value is not None else None

    def matches(self, media_type: str) -> bool:
        """Whether this range admits ``media_type`` (``*/*``, ``image/*``)."""
        return media_range_matches(self.media_type, media_type)


def media_range_matches(pattern: str, media_type: str) -> bool:
    if pattern in ("*/*", "*"):
        return True
    if pattern.endswith("/*"):
        return media_type.split("/", 1)[0] == pattern[:-2]
    return pattern == media_type


def _split(text: str, sep: str) -> list[str]:
    """``text`` split at ``sep`` outside double quotes."""
    out, cur, quoted, escaped = [], [], False, False
    for c in text:
        if escaped:
            cur.append(c)
            escaped = False
        elif quoted and c == "\\":
            cur.append(c)
            escaped = True
        elif c == '"':
            quoted = not quoted
            cur.append(c)
        elif c == sep and not quoted:
            out.append("".join(cur))
            cur = []
        else:
            cur.append(c)
    out.append("".join(cur))
    return out


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        inner = value[1:-1]
        out, escaped = [], False
        for c in inner:
            if escaped or c != "\\":
                out.append(c)
                escaped = False
            else:
                escaped = True
        return "".join(out)
    return value


def parse_media_type(value: str) -> tuple[str, dict[str, str]]:
    """``type/subtype`` (lower-case) and the parameters (names lower-case, values unquoted)."""
    pieces = _split(value, ";")
    mtype = pieces[0].strip().lower()
    params: dict[str, str] = {}
    for piece in pieces[1:]:
        name, sep, val = piece.partition("=")
        name = name.strip().lower()
        if name:
            params[name] = _unquote(val) if sep else ""
    return mtype, params


def parse_accept(header: str | None) -> list[MediaRange]:
    """The media ranges of an Accept header, most preferred first (q, then the client's order);
    ranges with q=0 are dropped. No header (or an empty one) is ``*/*``."""
    if header is None or not header.strip():
        return [MediaRange("*/*", {}, 1.0, 0)]
    ranges: list[MediaRange] = []
    for order, item in enumerate(_split(header, ",")):
        if not item.strip():
            continue
        mtype, params = parse_media_type(item)
        if "/" not in mtype and mtype != "*":
            continue  # not a media range: ignored, as an unknown one would be
        q = 1.0
        if "q" in params:
            try:
                q = float(params.pop("q"))
            except ValueError:
                q = 1.0
            q = min(max(q, 0.0), 1.0)
        if q > 0:
            ranges.append(MediaRange("*/*" if mtype == "*" else mtype, params, q, order))
    ranges.sort(key=lambda r: (-r.q, r.order))
    return ranges


def format_media_type(media_type: str, params: dict[str, str] | None = None) -> str:
    """``type/subtype; name=value`` with values quoted where RFC 9110 requires it."""
    out = media_type
    for name, value in (params or {}).items():
        if value and all(c.isalnum() or c in "!#$&-^_.+*" for c in value):
            out += f"; {name}={value}"
        else:
            out += '; {}="{}"'.format(name, value.replace("\\", "\\\\").replace('"', '\\"'))
    return out
