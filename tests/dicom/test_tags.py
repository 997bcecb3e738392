"""Tag parsing and formatting against pydicom's Tag() and dcmdump's notation."""

from __future__ import annotations

import pytest
from pydicom.tag import Tag

from dicom_tools.dicom import tags
from dicom_tools.errors import UsageError


@pytest.mark.parametrize(
    "text",
    ["PatientName", "(0010,0010)", "0010,0010", "00100010", "0x00100010", "(0010, 0010)"],
)
def test_spellings_of_one_tag(text: str):
    assert tags.parse_tag(text) == int(Tag(0x0010, 0x0010))


@pytest.mark.parametrize("keyword", ["SOPInstanceUID", "PixelData", "Rows", "PatientID"])
def test_keywords_agree_with_pydicom(keyword: str):
    assert tags.parse_tag(keyword) == int(Tag(keyword))


def test_repeating_group_keyword_names_its_first_group():
    assert tags.parse_tag("OverlayData") == 0x60003000  # PS3.6: (60xx,3000)


def test_unknown_tag_is_a_usage_error():
    with pytest.raises(UsageError, match="NoSuchKeyword"):
        tags.parse_tag("NoSuchKeyword")


def test_formats():
    assert tags.format_tag(0x7FE00010) == "(7FE0,0010)"
    assert tags.format_tag_lower(0x7FE00010) == "(7fe0,0010)"  # dcmdump's spelling
    assert tags.tag_hex(0x00100010) == "00100010"  # PS3.18 F.2.1.1 key
    assert tags.is_private_creator(0x00090010) and not tags.is_private_creator(0x00091010)
    assert tags.private_block(0x00291008) == (0x0029, 0x10)
