"""DICOM JSON to the model: parsed JSON checked strictly, element by element.

Unknown members, duplicate keys, values of the wrong JSON type and a backslash inside a value of
a multi-valued VR are errors, not guesses. Our JSON, dcm2json's and DICOMweb metadata (an array
holding exactly one data set) are accepted. ``part10.build_file`` writes the model as a file.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from dicom_tools.dicom.vr import BINARY, NUMBER_FORMATS, VRS
from dicom_tools.dicomjson.bulk import inline_binary, read_bulk_data
from dicom_tools.dicomjson.model import (
    Element,
    JsonNumber,
    Model,
    ModelError,
    is_string,
    kind,
    short,
    where,
)
from dicom_tools.dicomjson.values import PN_GROUPS, is_tag_key


def model_from_json(obj: Any, base_dir: Path | None) -> tuple[Model, int, str | None]:
    """Validate a parsed DICOM JSON document; returns the model, element count and a note."""
    note = None
    if isinstance(obj, list):  # DICOMweb metadata: an array of data sets
        if len(obj) != 1:
            raise ModelError(
                f"a JSON array of {len(obj)} data sets; from-json converts exactly one "
                "(split the array first)"
                if obj
                else "an empty JSON array, no data set"
            )
        obj = obj[0]
        note = "took the data set from a one-element array (DICOMweb metadata)"
    if not isinstance(obj, dict):
        raise ModelError(f"expected a JSON object of DICOM attributes, got {kind(obj)}")
    counter = [0]
    model = _dataset_from_json(obj, base_dir, "", counter)
    if not model:
        raise ModelError("an empty object: no DICOM attributes")
    return model, counter[0], note


def _dataset_from_json(
    obj: dict[str, Any], base_dir: Path | None, path: str, counter: list[int]
) -> Model:
    model: Model = {}
    for key, attr in obj.items():
        if not is_tag_key(key):
            raise ModelError(
                f"{'item ' + path + ': ' if path else ''}key {key!r} is not a tag "
                '(8 hex digits such as "00100010")'
            )
        tag = int(key, 16)
        epath = f"{path}.{key.upper()}" if path else key.upper()
        if tag >> 16 == 0xFFFE:
            raise ModelError(f"{where(epath)}: item and delimiter tags are not attributes")
        if not isinstance(attr, dict):
            raise ModelError(f'{where(epath)}: expected an object with "vr", got {kind(attr)}')
        counter[0] += 1
        model[tag] = _element_from_json(attr, base_dir, epath, counter)
    return model


def _element_from_json(
    attr: dict[str, Any], base_dir: Path | None, path: str, counter: list[int]
) -> Element:
    vr = attr.get("vr")
    if not isinstance(vr, str) or vr not in VRS:
        raise ModelError(f'{where(path)}: missing or unknown "vr" {vr!r}')
    members = set(attr) - {"vr"}
    unknown = members - {"Value", "InlineBinary", "BulkDataURI"}
    if unknown:
        raise ModelError(f"{where(path)}: unknown member {sorted(unknown)[0]!r}")
    if len(members) > 1:
        raise ModelError(f"{where(path)}: more than one of Value, InlineBinary, BulkDataURI")
    if "InlineBinary" in attr or "BulkDataURI" in attr:
        if vr not in BINARY:
            raise ModelError(f"{where(path)}: VR {vr} cannot have InlineBinary/BulkDataURI")
        if "InlineBinary" in attr:
            return Element(vr, inline_binary(attr["InlineBinary"], path))
        return Element(vr, read_bulk_data(attr["BulkDataURI"], base_dir, path))
    values = attr.get("Value")
    if values is None or values == []:
        return Element(vr, None)
    if not isinstance(values, list):
        raise ModelError(f'{where(path)}: "Value" must be an array, got {kind(values)}')
    if vr in BINARY:
        raise ModelError(f"{where(path)}: VR {vr} needs InlineBinary or BulkDataURI, not Value")
    if vr == "SQ":
        items = []
        for n, item in enumerate(values):
            if not isinstance(item, dict):
                raise ModelError(f"{where(path)}: item {n} is {kind(item)}, not an object")
            items.append(_dataset_from_json(item, base_dir, f"{path}.{n}", counter))
        return Element(vr, items)
    check = _VALUE_CHECKS.get(vr, _check_string)
    for v in values:
        problem = check(v)
        if problem:
            raise ModelError(f"{where(path)}: bad {vr} value {short(v)}: {problem}")
    return Element(vr, values)


def _check_string(v: Any) -> str | None:
    if v is None or is_string(v):
        return None
    return f"expected a string or null, got {kind(v)}"


def _check_number_string(v: Any) -> str | None:  # DS, IS: numbers (or strings we kept)
    if v is None or isinstance(v, str):
        return None
    return f"expected a number, string or null, got {kind(v)}"


def _check_binary_number(v: Any) -> str | None:
    if isinstance(v, str):  # JsonNumber, or a number written as a string
        try:
            float(v)
            return None
        except ValueError:
            return "not a number"
    return f"expected a number, got {kind(v)}"


def _check_at(v: Any) -> str | None:
    if is_string(v) and is_tag_key(v):
        return None
    return "expected a tag as 8 hex digits"


def _check_pn(v: Any) -> str | None:
    if v is None or is_string(v):
        return None
    if not isinstance(v, dict):
        return f"expected an object with Alphabetic/Ideographic/Phonetic, got {kind(v)}"
    for key, group in v.items():
        if key not in PN_GROUPS:
            return f"unknown person name group {key!r}"
        if group is not None and not is_string(group):
            return f"group {key} must be a string"
        if group and "=" in group:
            return f"group {key} contains '=', the group delimiter"
    return None


_VALUE_CHECKS: dict[str, Callable[[Any], str | None]] = {
    "DS": _check_number_string,
    "IS": _check_number_string,
    "AT": _check_at,
    "PN": _check_pn,
    **{vr: _check_binary_number for vr in NUMBER_FORMATS},
}

__all__ = ["JsonNumber", "ModelError", "model_from_json"]
