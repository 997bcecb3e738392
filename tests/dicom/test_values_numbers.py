"""dicom/values.py: DS and IS values that are not plain numbers ("1A" in badVR.dcm, "1.5" as
IS, an empty value among others), decoded as pydicom's reading converts them, pydicom (in the
lenient reading mode the toolkit sets) being the reference."""

from __future__ import annotations

import itertools
import math

import pytest

from dicom_tools.dicom.values import Undecodable, decode
from dicom_tools.io import _pydicom
from dicom_tools.values import element_value

PIECES = ["", " ", "+", "-", "1", "23", ".", "e", "x", "_", "nan", "\\", "\x00", "\xb2"]
SAMPLES = sorted(
    {"".join(p) for n in range(1, 4) for p in itertools.product(PIECES, repeat=n)} - {""}
)


def _pydicom_value(vr: str, raw: bytes):
    from pydicom.dataelem import RawDataElement
    from pydicom.dataset import Dataset

    _pydicom()  # the toolkit's reading mode
    ds = Dataset()  # read as a file's element is: raw, converted on access
    ds._dict[0x00280008] = RawDataElement(0x00280008, vr, len(raw), raw, 0, False, True)
    return element_value(ds[0x00280008])


def _same(a, b) -> bool:
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(map(_same, a, b))
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a):
        return math.isnan(b)
    return type(a) is type(b) and a == b


def test_samples_include_values_that_are_no_numbers():
    assert len(SAMPLES) > 2000
    assert isinstance(decode("IS", b"1A"), str) and decode("IS", b"1.5 ") == 1.5


@pytest.mark.parametrize("vr", ["DS", "IS"])
def test_ds_and_is_as_pydicom_reads_them(vr):
    checked = 0
    for text in SAMPLES:
        raw = text.encode("latin-1")
        try:
            mine = decode(vr, raw)
        except Undecodable:
            continue  # left to pydicom's reading by the caller
        checked += 1
        assert _same(mine, _pydicom_value(vr, raw)), (vr, raw, mine)
    assert checked > 0.99 * len(SAMPLES)
