"""info: a patient/study/series/instance/image summary, read without pixel data."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydicom.dataelem import RawDataElement

from dicom_tools.io import read_dataset
from dicom_tools.result import Result
from dicom_tools.values import element_value

SECTIONS: dict[str, tuple[str, ...]] = {
    "Patient": ("PatientName", "PatientID", "PatientBirthDate", "PatientSex"),
    "Study": (
        "StudyInstanceUID",
        "StudyDate",
        "StudyTime",
        "StudyDescription",
        "AccessionNumber",
    ),
    "Series": ("SeriesInstanceUID", "SeriesNumber", "SeriesDescription", "Modality"),
    "Instance": ("SOPClassUID", "SOPInstanceUID", "InstanceNumber", "TransferSyntaxUID"),
    "Image": (
        "Rows",
        "Columns",
        "NumberOfFrames",
        "SamplesPerPixel",
        "PhotometricInterpretation",
        "BitsAllocated",
        "BitsStored",
        "PixelRepresentation",
    ),
}


def _uid_name(uid: str | None) -> str | None:
    if not uid:
        return None
    from pydicom.uid import UID

    name = UID(uid).name
    return None if name == uid else name


def info(input: Path, *, verbose: bool = False) -> Result:
    # Large values (pixel data) are skipped, not read, yet still checked against the file size.
    ds = read_dataset(input, defer_size=1024)
    meta = ds.file_meta
    data: dict[str, Any] = {"File": str(input), "FileSize": input.stat().st_size}
    for keywords in SECTIONS.values():
        for kw in keywords:
            if kw == "TransferSyntaxUID":
                ts = meta.get("TransferSyntaxUID") if meta else None
                data[kw] = str(ts) if ts else None
                continue
            elem = ds.data_element(kw) if kw in ds else None
            data[kw] = element_value(elem) if elem is not None else None
    if data["SOPClassUID"] is None and meta and "MediaStorageSOPClassUID" in meta:
        data["SOPClassUID"] = str(meta.MediaStorageSOPClassUID)
    data["SOPClassName"] = _uid_name(data["SOPClassUID"])
    data["TransferSyntaxName"] = _uid_name(data["TransferSyntaxUID"])

    if verbose:
        data["Elements"] = {}
        for tag in list(ds._dict):
            raw = ds._dict[tag]  # unlike ds[tag] or get_item, does not load a deferred value
            if isinstance(raw, RawDataElement) and raw.value is None and raw.length:
                value: Any = f"<{raw.length} bytes, not read>"
            else:
                value = element_value(ds[tag])
            data["Elements"][_tag_name(tag)] = value
    return Result(data=data, text=_text(data, verbose))


def _tag_name(tag: int) -> str:
    from pydicom.datadict import keyword_for_tag

    return keyword_for_tag(tag) or f"({tag >> 16:04X},{tag & 0xFFFF:04X})"


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, list):
        return "\\".join(_fmt(v) for v in value)
    return str(value)


def _text(data: dict[str, Any], verbose: bool) -> str:
    lines = [f"File: {data['File']} ({data['FileSize']} bytes)"]
    for section, keywords in SECTIONS.items():
        lines.append(f"{section}:")
        for kw in keywords:
            value = _fmt(data[kw])
            if kw == "SOPClassUID" and data["SOPClassName"]:
                value += f" ({data['SOPClassName']})"
            if kw == "TransferSyntaxUID" and data["TransferSyntaxName"]:
                value += f" ({data['TransferSyntaxName']})"
            lines.append(f"  {kw:<26} {value}")
    if verbose:
        lines.append("Elements:")
        lines.extend(f"  {k:<40} {_fmt(v)}" for k, v in data["Elements"].items())
    return "\n".join(lines)
