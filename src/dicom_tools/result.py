"""The result object every operation returns."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from dicom_tools.errors import render


@dataclass
class Result:
    """What an operation produced.

    ``data`` is the machine-readable result (JSON-serialisable), ``text`` the human rendering,
    ``output_files`` the files written, ``payload`` content meant for stdout when the user
    asked for ``-o -``, and ``failed`` marks an operation that ran but reports a failure
    (exit code 1, e.g. a file that does not validate).

    ``stream``, when set, is the text in chunks made as they are taken (``dump`` of a large
    file): a front end that prints may write them one by one instead of asking for ``text``;
    ``render`` joins them.
    """

    data: dict[str, Any] = field(default_factory=dict)
    text: str = ""
    output_files: list[str] = field(default_factory=list)
    payload: str | bytes | None = None
    failed: bool = False
    stream: Iterator[str] | None = field(default=None, repr=False, compare=False)

    def render(self, as_json: bool = False) -> str:
        """What a front end shows: the stdout payload, the data as JSON, or the text."""
        if self.payload is not None:
            return self.payload if isinstance(self.payload, str) else ""
        if as_json:
            return self.json_text()
        stream = self.stream
        return self.text if stream is None else "".join(stream)

    def json_text(self) -> str:
        """``data`` as JSON text; an operation whose data has a canonical text of its own (the
        DICOM JSON of ``dump``) returns that instead."""
        import json

        return json.dumps(self.data, indent=2, ensure_ascii=False)

    def spelled(self, style: str) -> Result:
        """This result with the option markers (``errors.option``) of ``text`` and ``data``
        spelled in ``style`` ("cli" or "api"); ``payload`` and ``stream`` are content, not
        messages, and are left alone."""
        return replace(self, text=render(self.text, style), data=_spelled(self.data, style))

    def to_dict(self) -> dict[str, Any]:
        return {
            "data": self.data,
            "text": self.text,
            "output_files": list(self.output_files),
            "failed": self.failed,
        }


def _spelled(value: Any, style: str) -> Any:
    if isinstance(value, str):
        return render(value, style)
    if isinstance(value, dict):
        return {k: _spelled(v, style) for k, v in value.items()}
    if isinstance(value, list):
        return [_spelled(v, style) for v in value]
    return value
