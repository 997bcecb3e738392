"""The STOW-RS response (PS3.18 10.5.3): one outcome per part, then the DICOM JSON or XML
data set with Referenced SOP Sequence, Failed SOP Sequence and the HTTP status."""

from __future__ import annotations

from typing import IO, Any

# Failure Reason (0008,1197) values (PS3.18 10.5.3 refers to the Storage statuses, PS3.4
# Table B.2-1, and the general statuses of PS3.7 Annex C).
OUT_OF_RESOURCES = 0xA700  # Refused: Out of Resources (here: a part over the size limit)
DOES_NOT_MATCH = 0xA900  # Error: Data Set does not match SOP Class (here: not of the study)
CANNOT_UNDERSTAND = 0xC000  # Error: Cannot understand (not DICOM, truncated, wrong media type)
PROCESSING_FAILURE = 0x0110  # Failure: Processing failure (anything unforeseen)
# Failure: Duplicate SOP Instance (PS3.7 C.4.x): the same SOP Instance UID with other content.
# PS3.18 names no code for this; 0111H is the standard's status for exactly this case.
DUPLICATE_SOP_INSTANCE = 0x0111

RETRIEVE_URL = "00081190"
FAILED_SOP_SEQUENCE = "00081198"
REFERENCED_SOP_SEQUENCE = "00081199"
REFERENCED_SOP_CLASS = "00081150"
REFERENCED_SOP_INSTANCE = "00081155"
FAILURE_REASON = "00081197"

_KEYWORDS = {
    RETRIEVE_URL: "RetrieveURL",
    FAILED_SOP_SEQUENCE: "FailedSOPSequence",
    REFERENCED_SOP_SEQUENCE: "ReferencedSOPSequence",
    REFERENCED_SOP_CLASS: "ReferencedSOPClassUID",
    REFERENCED_SOP_INSTANCE: "ReferencedSOPInstanceUID",
    FAILURE_REASON: "FailureReason",
}


class Outcome:
    """What became of one part: stored (``reason`` None, ``retrieve_url`` set) or failed
    (``reason`` a Failure Reason, ``message`` why, in one line, for the log)."""

    __slots__ = ("message", "reason", "retrieve_url", "sop_class_uid", "sop_instance_uid")

    def __init__(
        self,
        sop_class_uid: str | None,
        sop_instance_uid: str | None,
        *,
        reason: int | None = None,
        message: str = "",
        retrieve_url: str | None = None,
    ) -> None:
        self.sop_class_uid = sop_class_uid
        self.sop_instance_uid = sop_instance_uid
        self.reason = reason
        self.message = message
        self.retrieve_url = retrieve_url

    @property
    def ok(self) -> bool:
        return self.reason is None

    def __repr__(self) -> str:
        return (
            f"Outcome({self.sop_class_uid!r}, {self.sop_instance_uid!r}, reason={self.reason!r}, "
            f"message={self.message!r})"
        )


def _ui(value: str | None) -> dict[str, Any]:
    return {"vr": "UI", "Value": [value]} if value else {"vr": "UI"}


def response_dataset(outcomes: list[Outcome], study_url: str | None) -> dict[str, Any]:
    """The Store Instances Response Module (PS3.18 Table 10.5.3-3) as DICOM JSON."""
    ds: dict[str, Any] = {}
    if study_url is not None:
        ds[RETRIEVE_URL] = {"vr": "UR", "Value": [study_url]}
    failed = [o for o in outcomes if not o.ok]
    stored = [o for o in outcomes if o.ok]
    if failed:
        ds[FAILED_SOP_SEQUENCE] = {
            "vr": "SQ",
            "Value": [
                {
                    REFERENCED_SOP_CLASS: _ui(o.sop_class_uid),
                    REFERENCED_SOP_INSTANCE: _ui(o.sop_instance_uid),
                    FAILURE_REASON: {"vr": "US", "Value": [o.reason]},
                }
                for o in failed
            ],
        }
    if stored:
        items = []
        for o in stored:
            item = {
                REFERENCED_SOP_CLASS: _ui(o.sop_class_uid),
                REFERENCED_SOP_INSTANCE: _ui(o.sop_instance_uid),
            }
            if o.retrieve_url:
                item[RETRIEVE_URL] = {"vr": "UR", "Value": [o.retrieve_url]}
            items.append(item)
        ds[REFERENCED_SOP_SEQUENCE] = {"vr": "SQ", "Value": items}
    return dict(sorted(ds.items()))


def response_status(outcomes: list[Outcome]) -> int:
    """200 all stored, 202 some failed (PS3.18 10.5.3.1 "Accepted": a warning or failure on
    some), 409 all failed (the request was understood, no instance could be stored)."""
    failed = sum(1 for o in outcomes if not o.ok)
    if not failed:
        return 200
    return 409 if failed == len(outcomes) else 202


def to_xml(dataset: dict[str, Any]) -> str:
    """A DICOM JSON data set of the simple kinds STOW answers hold (UI, UR, US, SQ) as the
    Native DICOM Model (PS3.19 A.1)."""
    from xml.sax.saxutils import escape, quoteattr

    def attrs(ds: dict[str, Any], out: list[str]) -> None:
        for tag, element in ds.items():
            vr = element["vr"]
            kw = _KEYWORDS.get(tag)
            head = f"<DicomAttribute tag={quoteattr(tag)} vr={quoteattr(vr)}"
            head += f" keyword={quoteattr(kw)}>" if kw else ">"
            out.append(head)
            for n, value in enumerate(element.get("Value", []), 1):
                if vr == "SQ":
                    out.append(f'<Item number="{n}">')
                    attrs(value, out)
                    out.append("</Item>")
                else:
                    out.append(f'<Value number="{n}">{escape(str(value))}</Value>')
            out.append("</DicomAttribute>")

    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<NativeDicomModel xmlns="http://dicom.nema.org/PS3.19/models/NativeDICOM">',
    ]
    attrs(dataset, out)
    out.append("</NativeDicomModel>")
    return "\n".join(out) + "\n"


def peek_uids(fp: IO[bytes]) -> tuple[str | None, str | None, str | None]:
    """(SOP Class UID, SOP Instance UID, Study Instance UID) of a Part 10 instance in ``fp``,
    read without its pixel data; (None, None, None) when it cannot be read. ``fp`` is rewound."""
    from dicom_tools.io import _pydicom

    pydicom = _pydicom()
    try:
        ds = pydicom.dcmread(
            fp,
            stop_before_pixels=True,
            specific_tags=[0x00080016, 0x00080018, 0x0020000D],
        )
        values = (ds.get("SOPClassUID"), ds.get("SOPInstanceUID"), ds.get("StudyInstanceUID"))
        out = tuple(str(v).strip("\0 ") if v else None for v in values)
    except Exception:
        out = (None, None, None)
    finally:
        fp.seek(0)
    return out  # type: ignore[return-value]
