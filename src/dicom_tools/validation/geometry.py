"""Direction cosines (PS3.3 C.7.6.2.1.1 and the attributes built the same way): each vector is a
unit vector, and an orientation's row and column vectors are orthogonal, at any depth."""

from __future__ import annotations

import math

from dicom_tools.dicom.dictionary import tag_for
from dicom_tools.dicom.reader import Item, ParsedFile
from dicom_tools.validation.decode import Values
from dicom_tools.validation.findings import Findings

# Keyword -> number of 3-vectors it holds (2: row and column, which must be orthogonal).
_VECTORS = {
    "ImageOrientationPatient": 2,
    "ImageOrientation": 2,
    "ImageOrientationSlide": 2,
    "VelocityEncodingDirection": 1,
    "DiffusionGradientOrientation": 1,
    "SlabOrientation": 1,
}
_TAGS = {tag: kw for kw in _VECTORS if (tag := tag_for(kw)) is not None}
# dciodvfy's tolerance on |v|^2 - 1 and on the dot product: values written as DS with a few
# digits (0.7071) still pass.
_TOLERANCE = 1e-4
_NAMES = ("row", "column")


def check_geometry(pf: ParsedFile, values: Values, findings: Findings) -> None:
    _walk(pf.dataset, "", values, findings)


def _walk(item: Item, prefix: str, values: Values, findings: Findings) -> None:
    for el in item.elements:
        if el.items is not None:
            from dicom_tools.dicom.dictionary import keyword

            name = prefix + (keyword(el.tag) or f"{el.tag:08X}")
            for i, sub in enumerate(el.items):
                _walk(sub, f"{name}[{i}].", values, findings)
            continue
        kw = _TAGS.get(el.tag)
        if kw is None:
            continue
        numbers = [float(v) for v in values.numbers(el)]
        count = _VECTORS[kw]
        if len(numbers) != 3 * count or not all(map(math.isfinite, numbers)):
            continue  # the value multiplicity and format are reported by the value checks
        vectors = [numbers[3 * i : 3 * i + 3] for i in range(count)]
        where = {"tag": el.tag, "keyword": kw, "path": prefix + kw}
        for i, v in enumerate(vectors):
            if abs(sum(c * c for c in v) - 1) > _TOLERANCE:
                which = f"{_NAMES[i]} vector " if count > 1 else ""
                shown = "\\".join(f"{c:g}" for c in v)
                findings.error("bad-orientation", f"{which}{shown} is not a unit vector", **where)
        if count == 2 and abs(sum(a * b for a, b in zip(*vectors, strict=True))) > _TOLERANCE:
            findings.error("bad-orientation", "row and column vectors are not orthogonal", **where)
