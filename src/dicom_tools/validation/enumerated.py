"""Enumerated Values (PS3.3) of commonly used attributes.

Neither pydicom's dictionary nor highdicom's tables carry value sets, so this lists attributes
whose values the standard gives as *Enumerated Values* (not Defined Terms, which may be
extended) in every module that uses them. Keys are keywords; each maps a value index (0-based,
or None for every value) to the allowed values.
"""

from __future__ import annotations

_YES_NO = frozenset(("YES", "NO"))

ENUMERATED: dict[str, dict[int | None, frozenset[str]]] = {
    # C.7.1.1 Patient
    "PatientSex": {None: frozenset(("M", "F", "O"))},
    "PatientIdentityRemoved": {None: _YES_NO},
    "PatientSexNeutered": {None: frozenset(("ALTERED", "UNALTERED"))},
    # C.7.3.1 General Series, C.7.6.1 General Image
    "Laterality": {None: frozenset(("R", "L"))},
    "ImageLaterality": {None: frozenset(("R", "L", "U", "B"))},
    "AnatomicalOrientationType": {None: frozenset(("BIPED", "QUADRUPED"))},
    "ImageType": {0: frozenset(("ORIGINAL", "DERIVED")), 1: frozenset(("PRIMARY", "SECONDARY"))},
    "BurnedInAnnotation": {None: _YES_NO},
    "RecognizableVisualFeatures": {None: _YES_NO},
    "QualityControlImage": {None: frozenset(("YES", "NO", "BOTH"))},
    "LossyImageCompression": {None: frozenset(("00", "01"))},
    # C.7.6.3 Image Pixel (retired HSV, ARGB, CMYK and YBR_PARTIAL_422 still recognised)
    "PhotometricInterpretation": {
        None: frozenset(
            (
                "MONOCHROME1",
                "MONOCHROME2",
                "PALETTE COLOR",
                "RGB",
                "YBR_FULL",
                "YBR_FULL_422",
                "YBR_PARTIAL_420",
                "YBR_PARTIAL_422",
                "YBR_ICT",
                "YBR_RCT",
                "XYB",
                "HSV",
                "ARGB",
                "CMYK",
            )
        )
    },
    "PixelRepresentation": {None: frozenset(("0", "1"))},
    "PlanarConfiguration": {None: frozenset(("0", "1"))},
    # C.11.6 Softcopy Presentation LUT, C.7.6.16.2.23 Frame content
    "PresentationLUTShape": {None: frozenset(("IDENTITY", "INVERSE"))},
    # C.12.1 SOP Common
    "ContentQualification": {None: frozenset(("PRODUCT", "RESEARCH", "SERVICE"))},
}
