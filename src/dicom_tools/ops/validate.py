"""validate: check a file against the standard (file meta, IOD modules and attribute types,
value formats, pixel module), as dciodvfy does; exit 1 when it has errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dicom_tools.dicom.source import Source, as_source
from dicom_tools.errors import InputError
from dicom_tools.io import read_dataset
from dicom_tools.result import Result

_KEYS = {"error": "errors", "warning": "warnings", "info": "info"}
_SHOWN = {
    "error": ("error",),
    "warning": ("error", "warning"),
    "info": ("error", "warning", "info"),
}


def validate(input: Source | Path, *, level: str = "warning") -> Result:
    """Validate one file (or an instance held in memory); findings below ``level``
    (error > warning > info) are left out."""
    from dicom_tools.validation import validate_file

    # The file must be readable as other operations read it (same exit 2 for the same input);
    # large values are skipped yet checked against the file size.
    input = as_source(input)
    read_dataset(input, defer_size=1024)
    try:
        report = validate_file(input)
    except ValueError as exc:
        raise InputError(f"{input}: {exc}") from None

    shown = _SHOWN.get(level, _SHOWN["warning"])
    grouped: dict[str, list[dict[str, Any]]] = {"errors": [], "warnings": []}
    if "info" in shown:
        grouped["info"] = []
    lines = []
    for f in report.findings:
        if f.severity in shown:
            grouped[_KEYS[f.severity]].append(f.to_dict())
            lines.append(f.line())
    errors = sum(f.severity == "error" for f in report.findings)
    data: dict[str, Any] = {
        "file": input.name,
        "sop_class": report.sop_class or None,
        "iod": report.iod,
        "valid": errors == 0,
        **grouped,
    }
    warnings = sum(f.severity == "warning" for f in report.findings)
    iod = report.iod or "unknown IOD"
    verdict = "valid" if errors == 0 else "INVALID"
    lines.append(
        f"{input}: {iod}: {errors} error{'s' * (errors != 1)}, "
        f"{warnings} warning{'s' * (warnings != 1)}: {verdict}"
    )
    return Result(data=data, text="\n".join(lines), failed=errors > 0)
