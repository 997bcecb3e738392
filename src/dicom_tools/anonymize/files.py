"""Writing what the anonymizer produced: the data set, and the data owner's map (CSV)."""

from __future__ import annotations

import csv
import io
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

from dicom_tools.errors import InputError
from dicom_tools.io import describe_exception

if TYPE_CHECKING:
    from pydicom import Dataset

IMPLICIT_LE, BIG_ENDIAN = "1.2.840.10008.1.2", "1.2.840.10008.1.2.2"
DEFLATED = "1.2.840.10008.1.2.1.99"
MAP_HEADER = ("kind", "original", "replacement")


def read_for_anonymization(path: str | Path) -> Dataset:
    """Read a file, parsing its sequences but leaving other values raw.

    Values the anonymizer does not touch are then written back exactly as read, and fast;
    sequences are parsed now, so that a broken item is an input error as for any operation.
    """
    from pydicom.datadict import dictionary_VR

    from dicom_tools.io import check_items, read_dataset

    ds = read_dataset(path, convert=False)
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
        check_items(Path(path), ds)
    except InputError:
        raise
    except Exception as exc:  # pydicom raises many types for malformed input
        raise InputError(f"{path}: cannot read DICOM data: {describe_exception(exc)}") from exc
    return ds


def write_dataset(ds: Dataset, path: Path) -> None:
    """Write ``ds`` as a Part 10 file in the transfer syntax its file meta names.

    The File Meta Information is written as the anonymizer built it (it names this tool; the
    group length is computed here) with an all-zero preamble. Calling pydicom's element
    writers directly skips dcmwrite's copy and re-validation of a meta we just made: a
    sizeable part of the time per file.
    """
    from pydicom import dcmwrite
    from pydicom.filebase import DicomFile
    from pydicom.filewriter import write_dataset as write_elements
    from pydicom.filewriter import write_file_meta_info
    from pydicom.uid import UID

    meta = ds.file_meta
    ts = str(meta.TransferSyntaxUID)
    implicit, little = ts == IMPLICIT_LE, ts != BIG_ENDIAN
    if _raw_encodings(ds) - {(implicit, little)}:
        for _elem in ds.iterall():
            pass  # values still raw are in the encoding read: convert them to re-encode
    if "PixelData" in ds:  # PS3.5 A.4: encapsulated pixel data has undefined length
        ds["PixelData"].is_undefined_length = UID(ts).is_compressed
    meta.FileMetaInformationGroupLength = 0  # computed on write
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if ts == DEFLATED:  # dcmwrite knows how to deflate
                dcmwrite(path, ds, implicit_vr=False, little_endian=True)
                return
            fp = DicomFile(path, "wb")
            try:
                fp.write((getattr(ds, "preamble", None) or b"\0" * 128) + b"DICM")
                write_file_meta_info(fp, meta, enforce_standard=False)
                fp.is_implicit_VR, fp.is_little_endian = implicit, little
                write_elements(fp, ds)
            finally:
                fp.close()
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
