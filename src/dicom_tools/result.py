"""The result object every operation returns."""

from __future__ import annotations

from dicom_tools.errors import OPTION_MARK, render

# Every command makes one: a plain class, no dataclasses or typing at run time (start-up).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import Any


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

    def __init__(
        self,
        data: dict[str, Any] | None = None,
        text: str = "",
        output_files: list[str] | None = None,
        payload: str | bytes | None = None,
        failed: bool = False,
        stream: Iterator[str] | None = None,
    ) -> None:
        self.data = {} if data is None else data
        self.text = text
        self.output_files = [] if output_files is None else output_files
        self.payload = payload
        self.failed = failed
        self.stream = stream

    def _fields(self) -> tuple[Any, ...]:  # ``stream`` is neither compared nor shown
        return (self.data, self.text, self.output_files, self.payload, self.failed)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._fields() == other._fields()  # type: ignore[attr-defined]

    __hash__ = None  # type: ignore[assignment]  # mutable, compared by value

    def __repr__(self) -> str:
        data, text, files, payload, failed = self._fields()
        return (
            f"{type(self).__name__}(data={data!r}, text={text!r}, output_files={files!r}, "
            f"payload={payload!r}, failed={failed!r})"
        )

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
        return type(self)(
            data=_spelled(self.data, style),
            text=render(self.text, style),
            output_files=self.output_files,
            payload=self.payload,
            failed=self.failed,
            stream=self.stream,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "data": self.data,
            "text": self.text,
            "output_files": list(self.output_files),
            "failed": self.failed,
        }


def _spelled(value: Any, style: str) -> Any:
    """``value`` with its option markers spelled; the same object where it holds none (a
    result's data is walked for every file of a many-files command: no copies for nothing)."""
    if isinstance(value, str):
        return render(value, style) if OPTION_MARK in value else value
    if isinstance(value, dict):
        out = None
        for key, item in value.items():
            new = _spelled(item, style) if isinstance(item, str | dict | list) else item
            if new is not item:
                if out is None:
                    out = dict(value)
                out[key] = new
        return value if out is None else out
    if isinstance(value, list):
        items = [_spelled(item, style) for item in value]
        return value if all(a is b for a, b in zip(items, value, strict=True)) else items
    return value
