"""QIDO-RS query parameters (PS3.18 8.3.4)."""

from __future__ import annotations

import pytest

from dicom_tools.dicomweb.qido import MAX_LIMIT, parse_query
from dicom_tools.errors import UsageError


def test_ohif_study_search():
    # OHIF's study list request, verbatim (with a PatientName filter)
    q = parse_query(
        [
            ("limit", "101"),
            ("offset", "0"),
            ("fuzzymatching", "false"),
            ("includefield", "00081030,00080060"),
            ("PatientName", "*x*"),
        ]
    )
    assert q.filters == {"PatientName": "*x*"}
    assert q.includefield == {"00081030", "00080060"}
    assert (q.limit, q.offset, q.fuzzy) == (101, 0, False)


def test_tags_and_keywords_meet():
    q = parse_query([("0020000D", "1.2"), ("00100020", "P1"), ("includefield", "PatientAge")])
    assert q.filters == {"StudyInstanceUID": "1.2", "PatientID": "P1"}
    assert q.includefield == {"00101010"}
    assert parse_query([("includefield", "all")]).includefield == "all"
    assert parse_query([("00091001", "x")]).filters == {"00091001": "x"}  # a private tag


@pytest.mark.parametrize(
    "params,message",
    [
        ([("PatientNam", "x")], "unknown attribute 'PatientNam'"),
        ([("includefield", "Nope")], "unknown attribute 'Nope'"),
        ([("limit", "ten")], "limit='ten': not an integer"),
        ([("offset", "-1")], "offset='-1': must be at least 0"),
        ([("PatientID", "a"), ("00100020", "b")], "more than once"),
        ([("fuzzymatching", "maybe")], "fuzzymatching"),
    ],
)
def test_errors_name_the_parameter(params, message):
    with pytest.raises(UsageError, match=message.replace("(", r"\(")):
        parse_query(params)


def test_limit_is_capped():
    assert parse_query([("limit", str(MAX_LIMIT * 10))]).limit == MAX_LIMIT
