"""dicomjson/values.py: tag keys and the JSON and DS number grammars, checked without ``re``,
against the grammars written as regular expressions (RFC 8259 section 6, PS3.5 6.2)."""

from __future__ import annotations

import itertools
import re

import pytest

from dicom_tools.dicomjson.values import is_dicom_number, is_json_number, is_tag_key

JSON_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?\Z")
DICOM_NUMBER = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\Z")
TAG = re.compile(r"[0-9A-Fa-f]{8}\Z")

PIECES = ["", " ", "+", "-", "0", "1", "09", ".", "e", "E", "x", "\u0663", "\u00b2", "a"]
SAMPLES = sorted({"".join(p) for n in range(1, 5) for p in itertools.product(PIECES, repeat=n)})
TAGS = ["0010000D", "0010000d", "0010000", "0010000DD", "0010000G", "\u0663" * 8, "", "x" * 8]


def test_samples_cover_both_answers():
    assert len(SAMPLES) > 10_000
    for grammar in (JSON_NUMBER, DICOM_NUMBER):
        assert any(grammar.match(s) for s in SAMPLES)
        assert not all(grammar.match(s) for s in SAMPLES)


@pytest.mark.parametrize("chunk", range(8))
def test_numbers_follow_the_grammars(chunk):
    for text in SAMPLES[chunk::8]:
        assert is_json_number(text) == bool(JSON_NUMBER.match(text)), repr(text)
        assert is_dicom_number(text) == bool(DICOM_NUMBER.match(text)), repr(text)


def test_tag_keys():
    for text in TAGS:
        assert is_tag_key(text) == bool(TAG.match(text)), repr(text)
