"""The transfer-syntax table against pydicom's independent UID properties and the UID registry."""

from __future__ import annotations

import pytest
from pydicom.uid import UID

from dicom_tools.dicom import syntaxes
from dicom_tools.errors import UsageError

ALL = syntaxes.all_syntaxes()


def test_every_registered_transfer_syntax_is_in_the_table():
    from pydicom._uid_dict import UID_dictionary

    registered = {uid for uid, row in UID_dictionary.items() if row[1] == "Transfer Syntax"}
    assert registered == {s.uid for s in ALL}


# Where pydicom's UID properties are known to fall back to a default, the standard decides:
# Papyrus 3 is implicit VR with native pixels by its name (PS3.6 Annex A), and the JPIP
# Referenced Deflate syntaxes deflate the data set (PS3.5 A.5, A.8).
PYDICOM_DEFAULTS = {"1.2.840.10008.1.20", "1.2.840.10008.1.2.4.95", "1.2.840.10008.1.2.4.205"}


def test_where_pydicom_defaults_the_standard_decides():
    papyrus = syntaxes.by_uid("1.2.840.10008.1.20")
    assert not papyrus.explicit_vr and not papyrus.encapsulated
    for uid in ("1.2.840.10008.1.2.4.95", "1.2.840.10008.1.2.4.205"):
        assert syntaxes.by_uid(uid).deflated and "Deflate" in syntaxes.by_uid(uid).title


@pytest.mark.parametrize(
    "s", [s for s in ALL if s.uid not in PYDICOM_DEFAULTS], ids=lambda s: s.uid
)
def test_encoding_properties_match_pydicom(s: syntaxes.Syntax):
    uid = UID(s.uid)
    assert s.explicit_vr == (not uid.is_implicit_VR)
    assert s.little_endian == uid.is_little_endian
    assert s.deflated == uid.is_deflated
    # pydicom calls every syntax but the four native ones "compressed"; the referenced-pixel
    # syntaxes (JPIP, SMPTE ST 2110) carry no pixel data to decode, and Papyrus is native.
    referenced = s.keyword.startswith(("JPIP", "SMPTE")) or s.keyword.startswith("Papyrus")
    assert s.encapsulated == (uid.is_compressed and not referenced)
    assert s.title == uid.name or s in syntaxes.NAMED


@pytest.mark.parametrize(
    ("typed", "uid"),
    [
        ("jpeg-ls", "1.2.840.10008.1.2.4.80"),
        ("JPEGLSLossless", "1.2.840.10008.1.2.4.80"),
        ("jpegls", "1.2.840.10008.1.2.4.80"),
        ("j2k", "1.2.840.10008.1.2.4.91"),
        ("jpeg2000", "1.2.840.10008.1.2.4.91"),
        ("jp2k-lossless", "1.2.840.10008.1.2.4.90"),
        ("RLE", "1.2.840.10008.1.2.5"),
        ("deflate", "1.2.840.10008.1.2.1.99"),
        ("explicit", "1.2.840.10008.1.2.1"),
        ("implicit", "1.2.840.10008.1.2"),
        ("big-endian", "1.2.840.10008.1.2.2"),
        ("explicit_vr_little_endian", "1.2.840.10008.1.2.1"),
        ("1.2.840.10008.1.2.4.100", "1.2.840.10008.1.2.4.100"),
        ("MPEG2MPML", "1.2.840.10008.1.2.4.100"),
    ],
)
def test_names_and_aliases(typed: str, uid: str):
    assert syntaxes.lookup(typed).uid == uid


# The aliases issue 11 lists, typed in any case and with any separator.
ISSUE_ALIASES = {
    "jpeg-ls": "1.2.840.10008.1.2.4.80",
    "jpegls": "1.2.840.10008.1.2.4.80",
    "JPEGLSLossless": "1.2.840.10008.1.2.4.80",
    "j2k": "1.2.840.10008.1.2.4.91",
    "jpeg2000": "1.2.840.10008.1.2.4.91",
    "jp2k-lossless": "1.2.840.10008.1.2.4.90",
    "rle": "1.2.840.10008.1.2.5",
    "deflate": "1.2.840.10008.1.2.1.99",
    "explicit": "1.2.840.10008.1.2.1",
    "implicit": "1.2.840.10008.1.2",
    "big-endian": "1.2.840.10008.1.2.2",
}


@pytest.mark.parametrize(("typed", "uid"), ISSUE_ALIASES.items())
@pytest.mark.parametrize("spell", [str.lower, str.upper, str.title, lambda t: t.replace("-", "_")])
def test_aliases_in_any_case(typed: str, uid: str, spell):
    assert syntaxes.lookup(spell(typed)).uid == uid
    assert syntaxes.lookup(f"  {spell(typed)} ").uid == uid


def test_unknown_name_lists_the_valid_ones():
    with pytest.raises(UsageError) as err:
        syntaxes.lookup("jpeg-xl")
    assert "jpeg-ls-lossless" in str(err.value) and "rle" in str(err.value)
    for s in syntaxes.NAMED:
        assert s.name in str(err.value)


def test_lossy_syntaxes_record_a_method_from_ps33():
    # PS3.3 C.7.6.1.1.5.1: Lossy Image Compression Method defined terms.
    methods = {"ISO_10918_1", "ISO_14495_1", "ISO_15444_1", "ISO_15444_2", "ISO_15444_15"}
    methods |= {"ISO_13818_2", "ISO_14496_10", "ISO_23008_2"}
    for s in ALL:
        assert (s.method is not None) == s.lossy, s.uid
        assert s.method is None or s.method in methods
