"""Validation of a DICOM file against the standard: file meta, IOD, values and pixel module.

``validate_file(path)`` runs every check on one file (or a ``Source``: an instance held in memory
is walked from its bytes) and returns a ``Report``; the standard's
tables (highdicom's JSON) are loaded on first use only, so importing this package is cheap.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from dicom_tools.validation.findings import Finding, Findings

if TYPE_CHECKING:
    from dicom_tools.dicom.source import Source

__all__ = ["Finding", "Report", "validate_file"]


@dataclass
class Report:
    path: Path | str  # the file, or the name of an instance held in memory
    sop_class: str
    iod: str | None
    findings: list[Finding] = field(default_factory=list)

    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]


def validate_file(path: Path | Source) -> Report:
    """Check ``path``; raises ValueError if its bytes cannot be walked at all."""
    from dicom_tools.dicom.dictionary import tag_for
    from dicom_tools.dicom.reader import parse_source
    from dicom_tools.dicom.source import as_source
    from dicom_tools.validation.decode import Values
    from dicom_tools.validation.frames import check_frames
    from dicom_tools.validation.geometry import check_geometry
    from dicom_tools.validation.iod import check_iod, sop_class_of
    from dicom_tools.validation.meta import check_meta
    from dicom_tools.validation.pixel import check_pixels
    from dicom_tools.validation.values import check_values

    src = as_source(path)
    pf = parse_source(src)
    try:
        values = Values(pf)
        findings = Findings()
        for p in pf.problems:
            findings.error(p.code, p.message, tag=p.tag, path=p.path, keyword=p.path.split(".")[-1])
        non_ascii = check_values(pf, values, findings)
        iod, owner = check_iod(pf, values, findings, non_ascii)
        check_pixels(pf, values, findings)
        check_geometry(pf, values, findings)
        check_meta(pf, values, findings)
        sop_class = sop_class_of(pf, values)
    finally:
        pf.close()
    check_frames(src, findings)  # decodes every frame, one at a time
    items = []
    for f in findings.items:
        if not f.module and f.path:
            # Name the module of the top-level attribute the finding sits in.
            top = f.path.split(".", 1)[0].split("[", 1)[0]
            tag = f.tag if top == f.path else tag_for(top)
            module = owner.get(tag) if tag is not None else None
            if tag is not None and tag >> 16 == 2:
                module = "file-meta"
            if module:
                f = Finding(f.severity, f.tag, f.keyword, f.path, module, f.code, f.message)
        items.append(f)
    rank = {"error": 0, "warning": 1, "info": 2}
    items.sort(key=lambda f: rank[f.severity])
    return Report(path=src.path or src.name, sop_class=sop_class, iod=iod, findings=items)
