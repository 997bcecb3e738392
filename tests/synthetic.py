"""Distinct instances made by the tests from a real template file (no patient data)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pydicom
from pydicom.uid import generate_uid


def synthesise(
    count: int, template: Path, study: str | None = None, **attributes: Any
) -> list[bytes]:
    """``count`` distinct instances: ``template`` with new SOP Instance UIDs, in one new
    series of one new study (or of ``study``), with ``attributes`` (by keyword) set."""
    ds = pydicom.dcmread(template)
    for keyword, value in attributes.items():
        setattr(ds, keyword, value)
    ds.StudyInstanceUID = study or generate_uid()
    ds.SeriesInstanceUID = generate_uid()
    out = []
    for i in range(count):
        ds.SOPInstanceUID = generate_uid()
        ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
        ds.InstanceNumber = i + 1
        buf = io.BytesIO()
        ds.save_as(buf, enforce_file_format=True)
        out.append(buf.getvalue())
    return out
