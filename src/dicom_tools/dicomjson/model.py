"""The in-memory DICOM JSON model that ``from-json`` validates and writes: parsed JSON in, checked
elements out. Number literals stay text (``JsonNumber``) so DS ``1.50`` keeps its digits."""

from __future__ import annotations

TYPE_CHECKING = False  # to-json loads this module: typing and dataclasses cost start-up
if TYPE_CHECKING:
    from typing import Any


class JsonNumber(str):
    """A JSON number, kept as its literal text (so DS "1.50" stays "1.50")."""


_CONSTANTS = {"NaN": "NaN", "Infinity": "Infinity", "-Infinity": "-Infinity"}


class ModelError(Exception):
    """A problem with the JSON model; the op turns it into an InputError naming the file."""


class Element:
    """One attribute of the model: its VR and value (None, bytes for binary VRs, a list of
    str/None/dict, or a list of items)."""

    __slots__ = ("value", "vr")

    def __init__(self, vr: str, value: Any) -> None:
        self.vr = vr
        self.value = value

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return (self.vr, self.value) == (other.vr, other.value)  # type: ignore[attr-defined]

    __hash__ = None  # type: ignore[assignment]  # mutable, compared by value

    def __repr__(self) -> str:
        return f"Element(vr={self.vr!r}, value={self.value!r})"


Model = dict[int, Element]


def _unique_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        keys = [k for k, _ in pairs]
        dup = next(k for k in keys if keys.count(k) > 1)
        raise ModelError(f"key {dup!r} appears twice in one object")
    return obj


def parse_json(text: str) -> Any:
    """Parse JSON keeping number literals (``JsonNumber``) and refusing duplicate keys."""
    import json  # from-json only: to-json writes its text without the json package

    return json.loads(
        text,
        parse_float=JsonNumber,
        parse_int=JsonNumber,
        parse_constant=lambda c: JsonNumber(_CONSTANTS[c]),
        object_pairs_hook=_unique_object,
    )


def where(path: str) -> str:
    """How messages name the element at ``path`` (``element 00100010``)."""
    return f"element {path}" if path else "data set"


def kind(v: Any) -> str:
    """The JSON type of ``v`` in words, for messages."""
    if isinstance(v, JsonNumber):
        return "a number"
    if v is None:
        return "null"
    return {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}.get(
        type(v), type(v).__name__
    )


def is_string(v: Any) -> bool:
    """A JSON string (not a number literal)."""
    return isinstance(v, str) and not isinstance(v, JsonNumber)


def short(v: Any) -> str:
    """``v`` as JSON, cut to 60 characters, for messages."""
    import json

    text = json.dumps(v, ensure_ascii=False) if not isinstance(v, JsonNumber) else str(v)
    return text if len(text) <= 60 else text[:57] + "..."
