"""Writing what the anonymizer produced: the data set, and the data owner's map (CSV)."""

from __future__ import annotations

import csv
import io
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

from dicom_tools.dicom import syntaxes as S
from dicom_tools.dicom.source import Source, as_source
from dicom_tools.errors import InputError
from dicom_tools.io import describe_exception

if TYPE_CHECKING:
    from pydicom import Dataset

MAP_HEADER = ("kind", "original", "replacement")


def read_for_anonymization(path: str | Path | Source) -> Dataset:
    """Read a file (or a ``Source`` held in memory), parsing its sequences but leaving other
    values raw.

    Values the anonymizer does not touch are then written back exactly as read, and fast;
    sequences are parsed now, so that a broken item is an input error as for any operation.
    """
    from pydicom.datadict import dictionary_VR

    from dicom_tools.io import check_items, read_dataset

    src = as_source(path)
    ds = read_dataset(src, convert=False)
    try:
        for tag in list(ds.keys()):
            raw = ds.get_item(tag)
            vr = getattr(raw, "VR", None)
            if vr is None or vr == "UN":
                try:
                    vr = dictionary_VR(tag)
                except KeyError:
                    vr = None
            if vr == "SQ" or getattr(raw, "length", 0) == 0xFFFFFFFF:
                ds[tag]  # converting parses the items
        check_items(src, ds)
    except InputError:
        raise
    except Exception as exc:  # pydicom raises many types for malformed input
        raise InputError(f"{path}: cannot read DICOM data: {describe_exception(exc)}") from exc
    return ds


def write_dataset(ds: Dataset, path: Path) -> None:
    """Write ``ds`` as a Part 10 file in the transfer syntax its file meta names.

    The File Meta Information is written as the anonymizer built it (it names this tool; the
    writer computes the group length) with an all-zero preamble.
    """
    from dicom_tools.dicom.writer import write_part10

    syntax = S.by_uid(str(ds.file_meta.TransferSyntaxUID))
    encoding = (not syntax.explicit_vr, syntax.little_endian) if syntax else (False, True)
    if _raw_encodings(ds) - {encoding}:
        for _elem in ds.iterall():
            pass  # values still raw are in the encoding read: convert them to re-encode
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            write_part10(ds, path, enforce_standard=False)
    except OSError as exc:
        raise InputError(f"{path}: cannot write: {exc.strerror or exc}") from exc
    except Exception as exc:  # a value pydicom cannot encode
        raise InputError(
            f"cannot write the anonymized data set: {describe_exception(exc)}"
        ) from exc


def _raw_encodings(ds: Dataset) -> set[tuple[bool, bool]]:
    """The encodings of the top-level values still raw (as read; a file may lie about it)."""
    out = set()
    for tag in list(ds.keys()):  # iterating the data set itself would convert every value
        raw = ds.get_item(tag)
        if getattr(raw, "is_raw", False):
            out.add((bool(raw.is_implicit_VR), bool(raw.is_little_endian)))
    return out


def map_csv(mapping: dict[tuple[str, str], str]) -> str:
    """original -> replacement rows (kind: PatientID, PatientName, UID, DateShiftDays)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(MAP_HEADER)
    for (kind, original), replacement in sorted(mapping.items()):
        writer.writerow((kind, original, replacement))
    return out.getvalue()
