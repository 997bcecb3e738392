"""One Part 10 writer (PS3.10 7.1) and the File Meta Information builder every writer uses.

``file_meta`` builds group 0002 naming this implementation; ``write_part10`` writes a data set
with its meta as a Part 10 file (128-byte preamble, ``DICM``, the meta in Explicit VR Little
Endian with its group length computed, then the data set in the transfer syntax the meta names,
deflated when it says so). ``part10_bytes`` gives the same bytes in memory. Callers that must not
leave partial files write to a temporary path (``io.atomic_output``) and rename it. pydicom is
imported lazily, when a file is built or written.
"""

from __future__ import annotations

import os
import zlib
from typing import TYPE_CHECKING, Any, BinaryIO

from dicom_tools import __version__
from dicom_tools.dicom import syntaxes as S

if TYPE_CHECKING:
    from pydicom import Dataset
    from pydicom.dataset import FileMetaDataset

# Implementation Class UID (0002,0012): a UUID-derived UID (PS3.5 B.2) that names dicom-tools.
IMPLEMENTATION_CLASS_UID = "2.25.38385214002927055243139204167892016491"
# Implementation Version Name (0002,0013): SH, at most 16 characters.
IMPLEMENTATION_VERSION_NAME = f"DICOMTOOLS_{__version__}"[:16]
FILE_META_VERSION = b"\x00\x01"  # File Meta Information Version (0002,0001)


def file_meta(
    transfer_syntax: str,
    *,
    sop_class: Any = None,
    sop_instance: Any = None,
    base: FileMetaDataset | None = None,
) -> FileMetaDataset:
    """File Meta Information for a file written by dicom-tools in ``transfer_syntax``.

    ``base``: an existing meta to update (its other elements, e.g. Source Application Entity
    Title, are kept; a missing version is left for the writer to add); without it the meta is
    new. ``sop_class`` / ``sop_instance`` set the Media Storage SOP Class / Instance UID when
    given (else ``base``'s stay). The group length is left out: the writer computes it.
    """
    from pydicom.dataset import FileMetaDataset

    meta = base if base is not None else FileMetaDataset()
    if base is None:
        meta.FileMetaInformationVersion = FILE_META_VERSION
    if sop_class:
        meta.MediaStorageSOPClassUID = sop_class
    if sop_instance:
        meta.MediaStorageSOPInstanceUID = sop_instance
    meta.TransferSyntaxUID = transfer_syntax
    meta.ImplementationClassUID = IMPLEMENTATION_CLASS_UID
    meta.ImplementationVersionName = IMPLEMENTATION_VERSION_NAME
    if "FileMetaInformationGroupLength" in meta:
        del meta.FileMetaInformationGroupLength  # computed on write
    return meta


def write_part10(
    ds: Dataset, dest: str | os.PathLike[str] | BinaryIO, *, enforce_standard: bool = True
) -> None:
    """Write ``ds`` and ``ds.file_meta`` as a Part 10 file to a path or binary file object.

    ``enforce_standard``: the meta must hold every Type 1 element (pydicom raises ValueError
    otherwise) and gets a version and implementation UID when missing; without it the meta's
    elements are written as they are, plus the group length. Values still in another encoding
    are converted by pydicom; a value it cannot encode raises its exception.
    """
    from copy import deepcopy

    from pydicom.filebase import DicomBytesIO, DicomFile, DicomFileLike
    from pydicom.filewriter import write_dataset, write_file_meta_info

    meta = deepcopy(ds.file_meta)  # the group length and defaults go into a copy
    ts = str(meta.TransferSyntaxUID)
    syntax = S.by_uid(ts)
    # A private syntax: its data set is Explicit VR Little Endian (PS3.5 10.1 allows others;
    # nothing here can know them), its pixel data left as it is.
    implicit, little = (not syntax.explicit_vr, syntax.little_endian) if syntax else (False, True)
    if "PixelData" in ds and syntax is not None:
        # PS3.5 A.4: encapsulated pixel data has undefined length and VR OB, whatever the input
        # said (some files carry OW there; dcmconv and gdcmconv write OB too).
        pixel_data = ds["PixelData"]
        pixel_data.is_undefined_length = syntax.encapsulated
        if syntax.encapsulated:
            pixel_data.VR = "OB"
    meta.FileMetaInformationGroupLength = 0  # computed by write_file_meta_info

    own = isinstance(dest, str | os.PathLike)
    fp: Any = DicomFile(dest, "wb") if own else DicomFileLike(dest)
    try:
        fp.write((getattr(ds, "preamble", None) or b"\0" * 128) + b"DICM")
        write_file_meta_info(fp, meta, enforce_standard=enforce_standard)
        fp.is_implicit_VR, fp.is_little_endian = implicit, little
        if syntax is not None and syntax.deflated:
            buffer = DicomBytesIO()
            buffer.is_implicit_VR, buffer.is_little_endian = implicit, little
            write_dataset(buffer, ds)
            compressor = zlib.compressobj(wbits=-zlib.MAX_WBITS)
            deflated = compressor.compress(buffer.getvalue()) + compressor.flush()
            fp.write(deflated + (b"\0" if len(deflated) % 2 else b""))
        else:
            write_dataset(fp, ds)
    finally:
        if own:
            fp.close()


def part10_bytes(ds: Dataset, *, enforce_standard: bool = True) -> bytes:
    """The Part 10 file of ``ds`` as bytes (for an instance that stays in memory)."""
    import io

    buf = io.BytesIO()
    write_part10(ds, buf, enforce_standard=enforce_standard)
    return buf.getvalue()
