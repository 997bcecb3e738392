"""dicom/values.py: the DS and IS number grammars, checked without ``re``, against the
grammar of PS3.5 6.2 (DS, IS) written as a regular expression."""

from __future__ import annotations

import itertools
import re

import pytest

from dicom_tools.dicom.values import is_plain_decimal, is_plain_integer

DS = re.compile(r"\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*\Z")
IS = re.compile(r"\s*[+-]?\d+\s*\Z")

PIECES = ["", " ", "\t", "+", "-", "1", "23", ".", "e", "E", "x", "\u0663", "\u00a0", "_", "inf"]
SAMPLES = sorted({"".join(p) for n in range(1, 5) for p in itertools.product(PIECES, repeat=n)})


def test_grammar_samples_cover_both_answers():
    assert len(SAMPLES) > 10_000
    assert any(DS.match(s) for s in SAMPLES) and not all(DS.match(s) for s in SAMPLES)


@pytest.mark.parametrize("chunk", range(8))
def test_ds_and_is_accept_what_the_grammar_accepts(chunk):
    for text in SAMPLES[chunk::8]:
        assert is_plain_decimal(text) == bool(DS.match(text)), repr(text)
        assert is_plain_integer(text) == bool(IS.match(text)), repr(text)
