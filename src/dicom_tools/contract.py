"""The JSON request/response contract of the Dicom-Tools project, over the registry.

Request ``{"op", "input", "output", "options"}``; response envelope ``RunResult``.
``handle`` never raises: every failure becomes ``ok: false`` with the message in ``stderr``,
options named as the contract names them (``window_center``, not ``--window-center``).
Warnings raised by an operation are dropped, as the command line drops them.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

from dicom_tools import registry
from dicom_tools.context import Context
from dicom_tools.errors import DicomToolsError

BACKEND = "python"


@dataclass
class RunResult:
    ok: bool
    returncode: int
    stdout: str = ""
    stderr: str = ""
    output_files: list[str] = field(default_factory=list)
    metadata: dict[str, Any] | None = None
    backend: str = BACKEND
    operation: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _fail(op: str, message: str, code: int = 2) -> RunResult:
    return RunResult(ok=False, returncode=code, stderr=message, operation=op)


def handle(request: Any, context: Context | None = None) -> RunResult:
    """Execute one contract request; never raises. ``context`` carries the caller's per-call
    settings (device, key, warnings); the options are named in the contract's words whatever
    its ``caller``."""
    if not isinstance(request, dict):
        return _fail("", "request must be a JSON object with an 'op' key")
    op = str(request.get("op") or "")
    try:
        if not op:
            raise DicomToolsError("request has no 'op'")
        spec = registry.get(op)
        raw_options = request.get("options") or {}
        if not isinstance(raw_options, dict):
            raise DicomToolsError("'options' must be a JSON object")
        raw_options = dict(raw_options)
        as_json = bool(raw_options.pop("json", False)) and spec.json_flag
        _, unknown = registry.coerce_options(spec, raw_options)
        result = registry.execute(
            spec,
            request.get("input"),
            request.get("output"),
            raw_options,
            context=(context or Context()).replace(caller="contract"),
        )
    except DicomToolsError as exc:
        return _fail(op, exc.render("api"), exc.exit_code)
    except Exception as exc:
        where = f"{request.get('input')}: " if request.get("input") else ""
        msg = " ".join(str(exc).split()) or type(exc).__name__
        return _fail(op, f"{where}{msg} ({type(exc).__name__})")

    stdout = result.render(as_json)
    warnings = [f"warning: option {k!r} is not an option of {spec.name}; ignored" for k in unknown]
    code = 1 if result.failed else 0
    return RunResult(
        ok=not result.failed,
        returncode=code,
        stdout=stdout,
        stderr="\n".join(warnings),
        output_files=list(result.output_files),
        metadata=result.data or None,
        operation=spec.name,
    )


def handle_json(text: str, context: Context | None = None) -> RunResult:
    """Parse a request from JSON text and handle it; malformed JSON is an ``ok: false``."""
    try:
        request = json.loads(text)
    except ValueError as exc:
        return _fail("", f"request is not valid JSON: {exc}")
    return handle(request, context)
