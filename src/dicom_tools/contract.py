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
from dicom_tools.errors import DicomToolsError, UsageError

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
    op = request.get("op")
    if not isinstance(op, str):
        return _fail("", f"'op' must be an operation name (a string), got {_kind(op)}")
    try:
        if not op:
            raise DicomToolsError("request has no 'op'")
        spec = registry.get(op)
        _check_field("input", request.get("input"), in_memory=True)
        _check_field("output", request.get("output"))
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
    except RecursionError:
        return _fail(op, "request is nested too deeply")
    except Exception as exc:
        where = f"{request.get('input')}: " if isinstance(request.get("input"), str) else ""
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


def handle_json(text: str | bytes, context: Context | None = None) -> RunResult:
    """Parse a request from JSON text (or UTF-8 bytes) and handle it; malformed JSON, text
    that is not UTF-8 and nesting too deep for the parser are an ``ok: false``."""
    try:
        if isinstance(text, bytes):  # RFC 8259: JSON exchanged between systems is UTF-8
            text = text.decode("utf-8-sig")
        request = json.loads(text)
    except UnicodeDecodeError as exc:
        return _fail("", f"request is not UTF-8 text (byte {exc.start}: {exc.reason})")
    except ValueError as exc:
        return _fail("", f"request is not valid JSON: {exc}")
    except RecursionError:
        return _fail("", "request is nested too deeply")
    return handle(request, context)


def _kind(value: Any) -> str:
    """A JSON value's kind in the contract's words: "a number", "an object"..."""
    kinds = {bool: "a boolean", int: "a number", float: "a number", str: "a string"}
    kinds.update({list: "a list", dict: "an object", type(None): "null"})
    return kinds.get(type(value), type(value).__name__)


def _check_field(name: str, value: Any, in_memory: bool = False) -> None:
    """Refuse a request field of the wrong kind in the request's words (not Python's
    TypeError). From Python, ``input`` may also be an instance held in memory."""
    import os

    if value is None or isinstance(value, str | os.PathLike):
        return
    if in_memory and (isinstance(value, bytes | bytearray | memoryview) or _in_memory(value)):
        return
    raise UsageError(f"'{name}' must be a file path (a string), got {_kind(value)}")


def _in_memory(value: Any) -> bool:
    """A ``Source`` or a pydicom ``Dataset`` (only a Python caller can hand one over)."""
    return type(value).__name__ in ("Source", "Dataset", "FileDataset")
