"""Derived instances: what an image whose pixels were changed by lossy compression records.

PS3.3 C.7.6.1.1.5: once an image has been lossy compressed, Lossy Image Compression (0028,2110)
is "01" for good, and each compression appends its ratio (0028,2112) and method (0028,2114),
keeping the earlier values. Pixel data that differ make a new instance: a new SOP Instance UID
(two pixel sets under one UID corrupt any archive that receives both), Image Type (0008,0008)
value 1 DERIVED (C.7.6.1.1.2), a Derivation Description (0008,2111) and Derivation Code
Sequence (0008,9215, CID 7203), and a Source Image Sequence (0008,2112) referencing the instance
it came from with its Purpose of Reference (CID 7202).

dcmtk's codecs (dcmcjpeg, dcmcjpls) are the model, and the tests compare with their output:
the same elements, the description appended as ``new [old]`` and cut at 1024 characters (ST),
the ratio with 5 significant digits, the Source Image Sequence replaced by one item for the
immediate predecessor. Two deliberate differences: a predecessor that was itself lossy
compressed is referenced as "Lossy compressed predecessor" (121330) rather than dcmtk's fixed
"Uncompressed predecessor" (121320), and earlier Derivation Code Sequence items are kept (dcmtk
replaces the sequence), as the earlier derivation descriptions are.

Works on a pydicom ``Dataset``; pydicom is imported only to build sequences.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pydicom import Dataset

# (Code Value, Coding Scheme Designator, Code Meaning), PS3.16.
LOSSY_COMPRESSION = ("113040", "DCM", "Lossy Compression")  # CID 7203 Image Derivation
UNCOMPRESSED_PREDECESSOR = ("121320", "DCM", "Uncompressed predecessor")  # CID 7202
LOSSY_COMPRESSED_PREDECESSOR = ("121330", "DCM", "Lossy compressed predecessor")  # CID 7202
ST_MAX = 1024  # characters in an ST value (PS3.5 6.2): Derivation Description


def new_uid() -> str:
    """A new UID from a random UUID: ``2.25.<128-bit integer>`` (PS3.5 B.2)."""
    return f"2.25.{uuid.uuid4().int}"


def format_ratio(ratio: float) -> str:
    """A compression ratio for Lossy Image Compression Ratio (DS): 5 significant digits, as
    dcmcjpeg writes it (``8.8006``, ``14.234``)."""
    return f"{ratio:.5g}"


def values(value: Any) -> list[str]:
    """A multi-valued element's values as strings ([] when absent or empty)."""
    if value is None or value == "":
        return []
    if isinstance(value, str | bytes | int | float):
        return [str(value)]
    return [str(v) for v in value]


def mark_lossy(ds: Dataset, method: str, ratio: float | None, earlier_method: str = "") -> None:
    """Lossy Image Compression 01; this compression's Ratio and Method appended to any earlier
    values. Earlier ratios without a method get ``earlier_method`` (the input's own lossy
    syntax's), so that both stay aligned value for value."""
    ds.LossyImageCompression = "01"
    ratios = values(ds.get("LossyImageCompressionRatio"))
    methods = values(ds.get("LossyImageCompressionMethod"))
    if len(methods) < len(ratios):
        methods += [earlier_method] * (len(ratios) - len(methods))
    ratios.append(format_ratio(ratio) if ratio else "1")
    methods.append(method)
    ds.LossyImageCompressionRatio = ratios
    ds.LossyImageCompressionMethod = methods


def was_lossy(ds: Dataset) -> bool:
    """Whether the data set says its pixels already went through lossy compression."""
    return str(ds.get("LossyImageCompression", "")).strip() == "01"


def make_derived(
    ds: Dataset,
    description: str,
    *,
    lossy_predecessor: bool,
    new_instance: bool = True,
    new_series: bool = False,
) -> str | None:
    """Turn ``ds`` into the lossy derived instance of itself; returns the new SOP Instance UID
    (None when ``new_instance`` is false: the caller keeps the UID on the user's request).

    ``description`` is this derivation's text, placed before the earlier one (``new [old]``);
    ``lossy_predecessor``: the source's pixels were already lossy (chooses the purpose of
    reference); ``new_series``: a new Series Instance UID as well.
    """
    from pydicom.dataset import Dataset as PydicomDataset
    from pydicom.sequence import Sequence

    def code_item(code: tuple[str, str, str]) -> PydicomDataset:
        item = PydicomDataset()
        item.CodeValue, item.CodingSchemeDesignator, item.CodeMeaning = code
        return item

    # Image Type: DERIVED, then the earlier values from the second on (dcmtk's updateImageType).
    image_type = ["DERIVED", *values(ds.get("ImageType"))[1:]]
    ds.ImageType = image_type if len(image_type) > 1 else image_type[0]

    old = str(ds.get("DerivationDescription", "") or "").strip()
    text = f"{description} [{old}]" if old else description
    if len(text) > ST_MAX:
        text = text[: ST_MAX - 4] + "...]"
    ds.DerivationDescription = text

    codes = list(ds.get("DerivationCodeSequence") or [])
    if not any(_is_code(item, LOSSY_COMPRESSION) for item in codes):
        codes.append(code_item(LOSSY_COMPRESSION))
    ds.DerivationCodeSequence = Sequence(codes)

    if not new_instance:
        return None
    sop_class, sop_instance = ds.get("SOPClassUID"), ds.get("SOPInstanceUID")
    if sop_class and sop_instance:
        source = PydicomDataset()
        source.ReferencedSOPClassUID = sop_class
        source.ReferencedSOPInstanceUID = sop_instance
        purpose = LOSSY_COMPRESSED_PREDECESSOR if lossy_predecessor else UNCOMPRESSED_PREDECESSOR
        source.PurposeOfReferenceCodeSequence = Sequence([code_item(purpose)])
        ds.SourceImageSequence = Sequence([source])  # the immediate predecessor only
    uid = new_uid()
    ds.SOPInstanceUID = uid
    if new_series:
        ds.SeriesInstanceUID = new_uid()
    return uid


def _is_code(item: Any, code: tuple[str, str, str]) -> bool:
    return (
        str(item.get("CodeValue", "")) == code[0]
        and str(item.get("CodingSchemeDesignator", "")) == code[1]
    )
