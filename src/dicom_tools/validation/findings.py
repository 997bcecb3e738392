"""What a check reports: one ``Finding`` per problem, collected by a ``Findings`` list."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dicom_tools.dicom.tags import format_tag

SEVERITIES = ("error", "warning", "info")
_RANK = {s: i for i, s in enumerate(SEVERITIES)}


tag_str = format_tag  # (GGGG,EEEE), as the standard writes tags


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem: where it is (tag, keyword, path inside sequences, module) and what it is.

    ``path`` names the element from the top of the data set, e.g.
    ``ReferencedSeriesSequence[0].SeriesInstanceUID`` (items counted from 0); ``code`` is a
    stable short name for the kind of problem (``missing-type1``, ``bad-format`` ...).
    """

    severity: str
    tag: int | None
    keyword: str
    path: str
    module: str
    code: str
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "tag": tag_str(self.tag) if self.tag is not None else None,
            "keyword": self.keyword,
            "path": self.path,
            "module": self.module,
            "code": self.code,
            "message": self.message,
        }

    def line(self) -> str:
        tag = tag_str(self.tag) if self.tag is not None else "-"
        where = self.path or self.keyword or "-"
        return f"{self.severity:<8} {tag} {where}  {self.module or '-'}  {self.message}"


@dataclass
class Findings:
    """The findings of one file, each reported once (a module listing an attribute that another
    module lists too would otherwise report the same problem twice)."""

    items: list[Finding] = field(default_factory=list)
    _seen: set[tuple[str, str, str, int | None, str]] = field(default_factory=set)

    def add(
        self,
        severity: str,
        code: str,
        message: str,
        *,
        tag: int | None = None,
        keyword: str = "",
        path: str = "",
        module: str = "",
    ) -> None:
        key = (severity, path or keyword, code, tag, message)
        if key in self._seen:
            return
        self._seen.add(key)
        self.items.append(Finding(severity, tag, keyword, path or keyword, module, code, message))

    def error(self, code: str, message: str, **where: Any) -> None:
        self.add("error", code, message, **where)

    def warning(self, code: str, message: str, **where: Any) -> None:
        self.add("warning", code, message, **where)

    def info(self, code: str, message: str, **where: Any) -> None:
        self.add("info", code, message, **where)

    def at_least(self, level: str) -> list[Finding]:
        """The findings of severity ``level`` or worse."""
        limit = _RANK[level]
        return [f for f in self.items if _RANK[f.severity] <= limit]
