"""Conditions of Type 1C/2C attributes and conditional modules that can be decided from the file.

highdicom's tables give each attribute's type but not the text of its condition, so the
decidable conditions are written out here, each quoting PS3.3. A condition answers True
(required), False (not required) or None (cannot be decided from the data set: unchecked).
``exclusive`` marks conditions whose text adds "shall not be present otherwise".
Any condition not listed is treated as undecidable.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from dicom_tools.dicom.dictionary import tag_for

if TYPE_CHECKING:
    from dicom_tools.dicom.reader import Item
    from dicom_tools.validation.decode import Values


@dataclass
class Context:
    """What conditions look at: the top data set, the item being checked, the SOP Class."""

    values: Values
    root: Item
    sop_class: str
    mandatory_modules: frozenset[str]  # the IOD's modules of usage M
    non_ascii_text: bool  # some text value uses bytes beyond the default repertoire


Predicate = Callable[[Context, "Item"], "bool | None"]


@dataclass(frozen=True)
class Condition:
    test: Predicate
    exclusive: bool = False


def _t(keyword: str) -> int:
    tag = tag_for(keyword)
    assert tag is not None, keyword
    return tag


def _present(keyword: str) -> Predicate:
    tag = _t(keyword)
    return lambda ctx, item: tag in item


def _absent(keyword: str) -> Predicate:
    tag = _t(keyword)
    return lambda ctx, item: tag not in item


def _equals(keyword: str, *values: str) -> Predicate:
    tag = _t(keyword)
    return lambda ctx, item: ctx.values.text(item, tag) in values


def _all(*tests: Predicate) -> Predicate:
    return lambda ctx, item: all(t(ctx, item) for t in tests)


def _samples_over_one(ctx: Context, item: Item) -> bool | None:
    n = ctx.values.number(item, _t("SamplesPerPixel"))
    return None if n is None else n > 1


def _palette(ctx: Context, item: Item) -> bool | None:
    # "Required if Photometric Interpretation has a value of PALETTE COLOR or Pixel
    # Presentation has a value of COLOR or MIXED": only the first half is decidable here.
    return (
        True if ctx.values.text(item, _t("PhotometricInterpretation")) == "PALETTE COLOR" else None
    )


def _multi_frame(ctx: Context, item: Item) -> bool | None:
    n = ctx.values.number(item, _t("NumberOfFrames"))
    return None if n is None else n > 1


# SOP Classes whose General Series module requires Patient Position (PS3.3 C.7.3.1).
_PATIENT_POSITION_SOPS = frozenset(
    (
        "1.2.840.10008.5.1.4.1.1.2",  # CT
        "1.2.840.10008.5.1.4.1.1.4",  # MR
        "1.2.840.10008.5.1.4.1.1.2.1",  # Enhanced CT
        "1.2.840.10008.5.1.4.1.1.4.1",  # Enhanced MR
        "1.2.840.10008.5.1.4.1.1.4.3",  # Enhanced MR Color
        "1.2.840.10008.5.1.4.1.1.4.2",  # MR Spectroscopy
    )
)


def _patient_position(ctx: Context, item: Item) -> bool:
    # "Required for images where Patient Orientation Code Sequence is not present and whose SOP
    # Class is one of: CT, MR, Enhanced CT, Enhanced MR, Enhanced Color MR, MR Spectroscopy."
    return (
        ctx.sop_class in _PATIENT_POSITION_SOPS and _t("PatientOrientationCodeSequence") not in item
    )


def _patient_orientation(ctx: Context, item: Item) -> bool | None:
    # "Required if image does not require Image Orientation (Patient) and Image Position
    # (Patient)": those are required where the IOD's Image Plane module is mandatory, or
    # by the Plane Orientation functional group of a multi-frame IOD.
    if _t("SharedFunctionalGroupsSequence") in item:
        return None
    return "image-plane" not in ctx.mandatory_modules and _t("ImageOrientationPatient") not in item


def _original_or_mixed(ctx: Context, item: Item) -> bool | None:
    # MR Image and Spectroscopy Instance macro (C.8.13.3): "Required if Image Type (0008,0008)
    # Value 1 is ORIGINAL or MIXED. May be present otherwise."
    el = ctx.root.get(_t("ImageType"))
    if el is None:
        return None
    values = ctx.values.strings(el)
    return bool(values) and values[0].upper() in ("ORIGINAL", "MIXED")


def _safety_agency(ctx: Context, item: Item) -> bool | None:
    # Applicable Safety Standard Agency: required at least for ORIGINAL or MIXED images (the
    # acquisition's own safety standard). dciodvfy requires it for DERIVED images too; which
    # edition's condition applies there is not decided here, so DERIVED is left unchecked.
    return _original_or_mixed(ctx, item) or None


def _dimension_index(ctx: Context, item: Item) -> bool:
    # C.7.6.17 Multi-frame Dimension: "Required if the value of Dimension Organization Type
    # (0020,9311) is not TILED_FULL. May be present otherwise."
    return ctx.values.text(item, _t("DimensionOrganizationType")) != "TILED_FULL"


# Attributes whose presence satisfies the Laterality condition (C.7.3.1), and where they sit.
_LATERALITIES = ("ImageLaterality", "MeasurementLaterality")
_FRAME_GROUPS = ("SharedFunctionalGroupsSequence", "PerFrameFunctionalGroupsSequence")


# Segmentation: the anatomy and laterality belong to each segment (Segment Description's
# Anatomic Region Sequence), not to the series; dciodvfy does not apply the condition there.
_SEGMENTATION = "1.2.840.10008.5.1.4.1.1.66.4"


def _laterality(ctx: Context, item: Item) -> bool | None:
    # C.7.3.1 General Series: "Required if the body part examined is a paired structure and
    # Image Laterality (0020,0062) or Frame Laterality (0020,9072) or Measurement Laterality
    # (0024,0113) are not sent." Whether the part is paired comes from PS3.16 Table L-1
    # (highdicom's anatomic_regions.json), by Body Part Examined or the Anatomic Region
    # Sequence code. A part not recorded, or not in the table, may be paired: Laterality is
    # then required as dciodvfy requires it (Type 2: it may be sent empty when unknown).
    from dicom_tools.validation.tables import body_part_paired, code_paired

    if ctx.sop_class == _SEGMENTATION:
        return None
    if any(_t(k) in item for k in _LATERALITIES) or _frame_laterality(ctx, item):
        return False
    paired = None
    part = ctx.values.text(item, _t("BodyPartExamined"))
    if part:
        paired = body_part_paired(part)
    region = item.get(_t("AnatomicRegionSequence"))
    if paired is None and region is not None and region.items:
        first = region.items[0]
        scheme = ctx.values.text(first, _t("CodingSchemeDesignator")) or ""
        code = ctx.values.text(first, _t("CodeValue")) or ""
        paired = code_paired(scheme, code)
    return paired is not False


def _frame_laterality(ctx: Context, item: Item) -> bool:
    """Frame Laterality in the Frame Anatomy functional group (shared or first frame)."""
    for name in _FRAME_GROUPS:
        groups = item.get(_t(name))
        if groups is None or not groups.items:
            continue
        anatomy = groups.items[0].get(_t("FrameAnatomySequence"))
        if anatomy is not None and anatomy.items and _t("FrameLaterality") in anatomy.items[0]:
            return True
    return False


def _code_value(ctx: Context, item: Item) -> bool:
    # Basic Code Sequence macro: "Required if the value of Code Value is 16 characters or less,
    # and the code value is not a URN or URL" - i.e. when neither alternative is sent.
    return _t("LongCodeValue") not in item and _t("URNCodeValue") not in item


def _coding_scheme(ctx: Context, item: Item) -> bool:
    # "Required if Code Value or Long Code Value is present."
    return _t("CodeValue") in item or _t("LongCodeValue") in item


# (module key, keyword) -> condition; module None applies wherever the keyword is listed
# (macros included in many modules, such as the Basic Code Sequence macro).
ATTRIBUTE_CONDITIONS: dict[tuple[str | None, str], Condition] = {
    # C.7.6.3 Image Pixel: "Required if Samples per Pixel has a value greater than 1. It shall
    # not be present otherwise."
    (None, "PlanarConfiguration"): Condition(_samples_over_one, exclusive=True),
    (None, "RedPaletteColorLookupTableDescriptor"): Condition(_palette),
    (None, "GreenPaletteColorLookupTableDescriptor"): Condition(_palette),
    (None, "BluePaletteColorLookupTableDescriptor"): Condition(_palette),
    ("image-pixel", "RedPaletteColorLookupTableData"): Condition(_palette),
    ("image-pixel", "GreenPaletteColorLookupTableData"): Condition(_palette),
    ("image-pixel", "BluePaletteColorLookupTableData"): Condition(_palette),
    # "Required if Pixel Data Provider URL is not present."
    ("image-pixel", "PixelData"): Condition(_absent("PixelDataProviderURL")),
    # "Required if Extended Offset Table is present."
    ("image-pixel", "ExtendedOffsetTableLengths"): Condition(_present("ExtendedOffsetTable")),
    # C.7.1.1 Patient: "Required if Patient Identity Removed is present and has a value of YES
    # and De-identification Method Code Sequence (resp. Method) is not present."
    ("patient", "DeidentificationMethod"): Condition(
        _all(
            _equals("PatientIdentityRemoved", "YES"), _absent("DeidentificationMethodCodeSequence")
        )
    ),
    ("patient", "DeidentificationMethodCodeSequence"): Condition(
        _all(_equals("PatientIdentityRemoved", "YES"), _absent("DeidentificationMethod"))
    ),
    ("general-series", "PatientPosition"): Condition(_patient_position),
    ("general-image", "PatientOrientation"): Condition(_patient_orientation),
    # C.11.2 VOI LUT: "Required if Window Center is present" / "if VOI LUT Sequence is not
    # present"; C.11.1 Modality LUT likewise with the Modality LUT Sequence.
    ("voi-lut", "WindowWidth"): Condition(_present("WindowCenter")),
    ("voi-lut", "WindowCenter"): Condition(_absent("VOILUTSequence")),
    ("modality-lut", "RescaleIntercept"): Condition(_absent("ModalityLUTSequence")),
    ("modality-lut", "RescaleSlope"): Condition(_absent("ModalityLUTSequence")),
    ("modality-lut", "RescaleType"): Condition(_absent("ModalityLUTSequence")),
    ("modality-lut", "ModalityLUTSequence"): Condition(_absent("RescaleIntercept")),
    # C.8.5.6 US Image: "Required if the Multi-frame Module is present" (Number of Frames > 1).
    ("us-image", "FrameIncrementPointer"): Condition(_multi_frame),
    # C.12.1 SOP Common: "Required if an expanded or replacement character set is used."
    ("sop-common", "SpecificCharacterSet"): Condition(lambda ctx, item: ctx.non_ascii_text or None),
    # C.7.6.16 Multi-frame Functional Groups: older editions make it Type 1; it is needed at
    # least whenever there is more than one frame.
    (None, "PerFrameFunctionalGroupsSequence"): Condition(
        lambda ctx, item: _multi_frame(ctx, item) or None
    ),
    # C.8.8.9 RT General Plan: "Required if RT Plan Geometry is PATIENT."
    ("rt-general-plan", "ReferencedStructureSetSequence"): Condition(
        _equals("RTPlanGeometry", "PATIENT")
    ),
    (None, "CodeValue"): Condition(_code_value),
    ("general-series", "Laterality"): Condition(_laterality),
    ("multi-frame-dimension", "DimensionIndexSequence"): Condition(_dimension_index),
    (None, "ApplicableSafetyStandardAgency"): Condition(_safety_agency),
    (None, "ResonantNucleus"): Condition(_original_or_mixed),
    (None, "KSpaceFiltering"): Condition(_original_or_mixed),
    (None, "MagneticFieldStrength"): Condition(_original_or_mixed),
    (None, "CodingSchemeDesignator"): Condition(_coding_scheme),
}

# Conditional modules whose condition can be decided (others count as present when any of
# their own attributes is).
MODULE_CONDITIONS: dict[str, Predicate] = {
    # "Required if Photometric Interpretation has a value of PALETTE COLOR"
    "palette-color-lookup-table": _palette,
    # "Required if pixel data is multi-frame data" (NM, US, XA ... multi-frame IODs)
    "multi-frame": _multi_frame,
}


def attribute_condition(module: str, keyword: str) -> Condition | None:
    return ATTRIBUTE_CONDITIONS.get((module, keyword)) or ATTRIBUTE_CONDITIONS.get((None, keyword))
