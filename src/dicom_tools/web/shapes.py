"""The seed's JSON shapes (the Dicom-Tools web API), made from the operations' results.

Formatting only: every value comes from an operation's ``Result.data`` (``info``, ``stats``,
``histogram``, ``validate``); nothing here reads DICOM. The field names are the seed's
(``patient_name``, ``std_dev``, ``missing_tags`` ...); the values are ours, as ``info --json``,
``stats --json`` and ``validate --json`` give them.
"""

from __future__ import annotations

import math
from typing import Any

# The keywords of the seed's basic summary, in its names.
_INFO = {
    "patient_name": "PatientName",
    "patient_id": "PatientID",
    "study_date": "StudyDate",
    "modality": "Modality",
    "sop_class_uid": "SOPClassUID",
    "transfer_syntax": "TransferSyntaxUID",
    "rows": "Rows",
    "columns": "Columns",
    "number_of_frames": "NumberOfFrames",
}
# /api/metadata: the seed's four groups, label -> keyword.
_GROUPS = {
    "patient": {
        "Name": "PatientName",
        "ID": "PatientID",
        "Birth Date": "PatientBirthDate",
        "Sex": "PatientSex",
    },
    "study": {
        "Date": "StudyDate",
        "Time": "StudyTime",
        "Description": "StudyDescription",
        "Accession Number": "AccessionNumber",
    },
    "image": {
        "Modality": "Modality",
        "Rows": "Rows",
        "Columns": "Columns",
        "Pixel Representation": "PixelRepresentation",
        "Photometric Interpretation": "PhotometricInterpretation",
        "Number of Frames": "NumberOfFrames",
    },
    "misc": {
        "SOP Class UID": "SOPClassUID",
        "SOP Instance UID": "SOPInstanceUID",
        "Transfer Syntax": "TransferSyntaxUID",
    },
}
_PIXEL_KEYWORDS = ("PixelData", "FloatPixelData", "DoubleFloatPixelData")


def has_pixel_data(info_verbose: dict[str, Any]) -> bool:
    """From ``info --verbose``'s data: whether the top level holds a pixel data element."""
    elements = info_verbose.get("Elements") or {}
    return any(k in elements for k in _PIXEL_KEYWORDS)


def info(info_verbose: dict[str, Any]) -> dict[str, Any]:
    """The seed's ``info`` object of an upload."""
    out: dict[str, Any] = {name: info_verbose.get(kw) for name, kw in _INFO.items()}
    out["has_pixel_data"] = has_pixel_data(info_verbose)
    return {k: out[k] for k in (*list(_INFO)[:5], "has_pixel_data", *list(_INFO)[5:])}


def _text(value: Any) -> str:
    if isinstance(value, list):
        return "\\".join(_text(v) for v in value)
    return str(value)


def metadata(info_data: dict[str, Any]) -> dict[str, dict[str, str]]:
    """``/api/metadata``: ``{patient, study, image, misc}``, each label -> text; attributes
    the file does not hold are left out, as the seed leaves them out."""
    return {
        group: {
            label: _text(info_data[kw])
            for label, kw in labels.items()
            if info_data.get(kw) is not None
        }
        for group, labels in _GROUPS.items()
    }


def missing_tags(validate_data: dict[str, Any]) -> list[str]:
    """The attributes ``validate`` reports missing (Type 1, or Type 2 absent), by keyword."""
    out: list[str] = []
    for finding in validate_data.get("errors", []):
        if str(finding.get("code", "")).startswith("missing-"):
            name = finding.get("path") or finding.get("keyword") or finding.get("tag") or ""
            if name and name not in out:
                out.append(name)
    return out


def _line(finding: dict[str, Any]) -> str:
    where = finding.get("path") or finding.get("keyword") or ""
    tag = finding.get("tag") or ""
    head = " ".join(p for p in (tag, where) if p)
    return f"{head}: {finding.get('message', '')}" if head else str(finding.get("message", ""))


def validation(validate_data: dict[str, Any], pixels: bool) -> dict[str, Any]:
    """The upload's ``validation``: ``{valid, missing_tags, has_pixel_data}``."""
    return {
        "valid": bool(validate_data.get("valid")),
        "missing_tags": missing_tags(validate_data),
        "has_pixel_data": pixels,
    }


def validate(validate_data: dict[str, Any], pixels: bool) -> dict[str, Any]:
    """``/api/validate``: ``{valid, errors, warnings, missing_tags, has_pixel_data}``, the
    findings as one line of text each."""
    return {
        "valid": bool(validate_data.get("valid")),
        "errors": [_line(f) for f in validate_data.get("errors", [])],
        "warnings": [_line(f) for f in validate_data.get("warnings", [])],
        "missing_tags": missing_tags(validate_data),
        "has_pixel_data": pixels,
    }


def _first(value: Any) -> Any:
    if isinstance(value, list):
        return value[0] if value else None
    return value


def pixel_format(stats_data: dict[str, Any] | None, info_verbose: dict[str, Any]) -> Any:
    """The upload's ``pixel_format`` from ``stats``' format block; None without pixel data."""
    if stats_data is None:
        return None
    fmt = stats_data.get("format") or {}
    rescale = fmt.get("rescale") or {}
    window = fmt.get("window") or {}
    spp = fmt.get("samples_per_pixel")
    planar = (info_verbose.get("Elements") or {}).get("PlanarConfiguration")
    return {
        "rows": fmt.get("rows"),
        "columns": fmt.get("columns"),
        "number_of_frames": fmt.get("frames"),
        "samples_per_pixel": spp,
        "photometric_interpretation": fmt.get("photometric_interpretation"),
        "planar_configuration": planar if spp and spp > 1 else None,
        "bits_allocated": fmt.get("bits_allocated"),
        "bits_stored": fmt.get("bits_stored"),
        "high_bit": fmt.get("high_bit"),
        "pixel_representation": fmt.get("pixel_representation"),
        "rescale_slope": rescale.get("slope"),
        "rescale_intercept": rescale.get("intercept"),
        "window_center": _first(window.get("center")),
        "window_width": _first(window.get("width")),
    }


def shape(fmt: dict[str, Any]) -> list[int]:
    """The decoded array's shape as numpy (and pydicom's ``pixel_array``) lays it out:
    (frames,) rows, columns (, samples) with the frames and samples axes only when > 1."""
    dims = [fmt.get("rows") or 0, fmt.get("columns") or 0]
    if (fmt.get("frames") or 1) > 1:
        dims.insert(0, fmt["frames"])
    if (fmt.get("samples_per_pixel") or 1) > 1:
        dims.append(fmt["samples_per_pixel"])
    return dims


def stats(stats_data: dict[str, Any]) -> dict[str, Any]:
    """``/api/stats``: ``{min, max, mean, median, std_dev, total_pixels, shape}`` over every
    value of every frame (and sample). Colour channels are pooled exactly for min, max, mean
    and the population standard deviation (equal counts per channel); the median of pooled
    channels is not derivable from per-channel medians and is null there."""
    channels = stats_data.get("channels") or []
    fmt = stats_data.get("format") or {}
    total = sum(c["count"] for c in channels)
    if len(channels) == 1:
        c = channels[0]
        mean, std, median = c["mean"], c["std"], c["median"]
    else:
        mean = sum(c["mean"] * c["count"] for c in channels) / total
        var = sum(c["count"] * (c["std"] ** 2 + (c["mean"] - mean) ** 2) for c in channels) / total
        std, median = math.sqrt(var), None
    return {
        "min": min(c["min"] for c in channels),
        "max": max(c["max"] for c in channels),
        "mean": mean,
        "median": median,
        "std_dev": std,
        "total_pixels": total,
        "shape": shape(fmt),
    }


def histogram(histogram_data: dict[str, Any]) -> dict[str, Any]:
    """``/api/histogram``: ``{bins: [counts], min, max}``; colour channels, binned over one
    common range (the route asks for it), are summed."""
    channels = histogram_data.get("channels") or []
    counts = [sum(col) for col in zip(*(c["counts"] for c in channels), strict=True)]
    low = min((c["min"] for c in channels), default=None)
    high = max((c["max"] for c in channels), default=None)
    return {"bins": counts, "min": low, "max": high}
