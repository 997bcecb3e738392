"""dicom/charsets.py and vr.NUMBER_SIZES against independent references (pydicom, numpy)."""

from __future__ import annotations

import numpy as np
import pytest
from pydicom.charset import convert_encodings, python_encoding

from dicom_tools.dicom.charsets import CODECS, python_codecs
from dicom_tools.dicom.vr import NUMBER_FORMATS, NUMBER_SIZES


@pytest.mark.parametrize("term", sorted(python_encoding))
def test_one_defined_term_gives_pydicoms_codec(term):
    assert term in CODECS
    assert python_codecs([term]) == convert_encodings([term])


def test_empty_and_extensions():
    assert python_codecs([]) == convert_encodings([""])
    assert python_codecs([""]) == convert_encodings([""])
    # Code extensions and misspellings are pydicom's to resolve.
    assert python_codecs(["", "ISO 2022 IR 87"]) is None
    assert python_codecs(["ISO-IR 100"]) is None


def test_number_sizes_are_the_standard_ones():
    # PS3.5 Table 6.2-1: UL/SL are 4 bytes, whatever the platform's C long is.
    dtypes = {"US": "<u2", "SS": "<i2", "UL": "<u4", "SL": "<i4", "UV": "<u8", "SV": "<i8"}
    dtypes |= {"FL": "<f4", "FD": "<f8"}
    assert set(NUMBER_FORMATS) == set(dtypes)
    for vr, dtype in dtypes.items():
        assert NUMBER_SIZES[vr] == np.dtype(dtype).itemsize, vr
