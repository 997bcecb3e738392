"""The attributes the index keeps at each level: what QIDO-RS matches and returns.

PS3.18 Table 6.7.1-1 (the required matching keys) and Table 6.7.1-2 / 2a / 2b (the required
return keys), plus what a viewer asks for at once (Study Description, Series Description...).
Tags and VRs come from the data dictionary (``dicom.dictionary``), not spelled here. Patient
attributes live on the study row (the Study Root model: a patient is the group of studies
sharing a Patient ID). Counts and Modalities in Study are computed by the queries, never kept.
"""

from __future__ import annotations

from dataclasses import dataclass

from dicom_tools.dicom.dictionary import tag_for, vr_of

LEVELS = ("patient", "study", "series", "instance")

_KEYWORDS = {
    "patient": ("PatientName", "PatientID", "PatientBirthDate", "PatientSex"),
    "study": (
        "StudyInstanceUID",
        "StudyDate",
        "StudyTime",
        "AccessionNumber",
        "ReferringPhysicianName",
        "StudyID",
        "StudyDescription",
    ),
    "series": (
        "SeriesInstanceUID",
        "Modality",
        "SeriesNumber",
        "SeriesDescription",
        "SeriesDate",
        "SeriesTime",
        "BodyPartExamined",
        "PerformedProcedureStepStartDate",
        "PerformedProcedureStepStartTime",
    ),
    "instance": (
        "SOPInstanceUID",
        "SOPClassUID",
        "InstanceNumber",
        "ContentDate",
        "ContentTime",
        "Rows",
        "Columns",
        "BitsAllocated",
        "NumberOfFrames",
    ),
}
# Where a level's rows live: patients and studies share the study table.
TABLE_OF_LEVEL = {
    "patient": "studies",
    "study": "studies",
    "series": "series",
    "instance": "instances",
}

# Computed at query time (PS3.18 Table 6.7.1-2: counts and Modalities in Study).
COUNTS = {
    "patient": (
        "NumberOfPatientRelatedStudies",
        "NumberOfPatientRelatedSeries",
        "NumberOfPatientRelatedInstances",
    ),
    "study": ("ModalitiesInStudy", "NumberOfStudyRelatedSeries", "NumberOfStudyRelatedInstances"),
    "series": ("NumberOfSeriesRelatedInstances",),
    "instance": ("AvailableTransferSyntaxUID", "TransferSyntaxUID"),
}
# VRs kept as integers (sorting and matching by number), every other value as text.
INTEGER_VRS = frozenset({"IS", "US", "UL", "SS", "SL"})


@dataclass(frozen=True)
class Attribute:
    keyword: str
    tag: int
    vr: str
    level: str

    @property
    def hex(self) -> str:
        return f"{self.tag:08X}"

    @property
    def integer(self) -> bool:
        return self.vr in INTEGER_VRS


def _attribute(keyword: str, level: str) -> Attribute:
    tag = tag_for(keyword)
    vr = vr_of(tag) if tag is not None else None
    if tag is None or vr is None:  # a typo in the tables above, caught by the tests at import
        raise KeyError(keyword)
    return Attribute(keyword, tag, vr, level)


ATTRIBUTES: dict[str, tuple[Attribute, ...]] = {
    level: tuple(_attribute(k, level) for k in keywords) for level, keywords in _KEYWORDS.items()
}
COMPUTED: dict[str, tuple[Attribute, ...]] = {
    level: tuple(_attribute(k, level) for k in keywords) for level, keywords in COUNTS.items()
}
BY_KEYWORD: dict[str, Attribute] = {
    a.keyword: a for group in (*ATTRIBUTES.values(), *COMPUTED.values()) for a in group
}
STORED_TAGS = frozenset(a.tag for level in ATTRIBUTES.values() for a in level)


def levels_up_to(level: str) -> tuple[str, ...]:
    """``level`` and the levels above it: whose attributes a query at ``level`` matches and
    returns (a series carries its study's and patient's attributes)."""
    if level == "patient":
        return ("patient",)
    return LEVELS[: LEVELS.index(level) + 1]
