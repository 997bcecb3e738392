"""Converting element values to plain JSON-able Python values (shared by info and dump)."""

from __future__ import annotations

from typing import Any

from pydicom.dataelem import DataElement
from pydicom.multival import MultiValue
from pydicom.valuerep import PersonName

from dicom_tools.dicom.vr import BINARY_OR_AMBIGUOUS

_BINARY_VRS = BINARY_OR_AMBIGUOUS


def plain(value: Any) -> Any:
    """A JSON-able rendering of one element value (numbers stay numbers)."""
    if value is None:
        return None
    if isinstance(value, MultiValue | list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, PersonName):
        return str(value)
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    return str(value)


def element_value(elem: DataElement) -> Any:
    """The value of ``elem`` for summaries: None if empty, a scalar if VM 1, else a list."""
    if elem.VR == "SQ":
        return f"<sequence of {len(elem.value)} item(s)>"
    if elem.VR in _BINARY_VRS:
        length = len(elem.value) if elem.value is not None else 0
        return f"<{length} bytes>" if length else None
    if elem.is_empty:
        return None
    return plain(elem.value)
