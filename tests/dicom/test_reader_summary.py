"""The summary walk (``parse_file(keep=...)``, what `info` reads) against the full walk.

It must find every problem the full walk finds (a file is complete only when its last
element ends at its end: the walk checks every element, it only records fewer), record the
kept top-level elements exactly as the full walk does, and read a value that lies past the
head it read from the file.
"""

from __future__ import annotations

import struct

import pytest
from conftest import corpus_file, corpus_files

from dicom_tools.dicom import reader
from dicom_tools.dicom.reader import parse_bytes, parse_file
from dicom_tools.ops.info import _KEEP

CORPUS = corpus_files(include_broken=True)


def _facts(parsed):
    return [(p.code, p.message) for p in parsed.problems]


def _kept(parsed):
    return [(e.tag, e.vr, e.length, e.pos) for e in parsed.dataset.elements if e.tag in _KEEP]


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.name)
def test_summary_walk_finds_what_the_full_walk_finds(path):
    try:
        full = parse_file(path)
    except ValueError:
        with pytest.raises(ValueError):
            parse_file(path, keep=_KEEP)
        return
    summary = parse_file(path, keep=_KEEP)
    try:
        assert _facts(summary) == _facts(full)
        assert summary.transfer_syntax == full.transfer_syntax
        assert [e.tag for e in summary.meta.elements] == [e.tag for e in full.meta.elements]
        assert _kept(summary) == _kept(full)
        for el in summary.dataset.elements:
            if el.tag in _KEEP:
                assert summary.value(el) == full.value(full.dataset.by_tag[el.tag])
    finally:
        full.close()
        summary.close()


def test_a_large_file_is_read_by_its_head(tmp_path):
    parsed = parse_file(corpus_file("693_UNCI.dcm"), keep=_KEEP)
    assert parsed.head_only and len(parsed.buffer) == reader._HEAD


def test_cuts_are_found_by_the_summary_walk_too(tmp_path):
    data = corpus_file("693_UNCI.dcm").read_bytes()  # 512 x 512: pixel data past the head
    for k in (len(data) - 1, len(data) - 4000, len(data) + 0):
        cut = tmp_path / "cut.dcm"
        cut.write_bytes(data[:k])
        summary, full = parse_file(cut, keep=_KEEP), parse_bytes(data[:k], str(cut))
        assert _facts(summary) == _facts(full), k
        assert any(p.code == "truncated" for p in summary.problems) == (k < len(data))


def test_values_past_the_head_are_read_from_the_file():
    """Pixel Data's header is in the head, its value past it: read from the file."""
    path = corpus_file("693_UNCI.dcm")
    summary, full = parse_file(path, keep=_KEEP), parse_file(path)
    try:
        assert summary.head_only
        el = summary.dataset.by_tag[0x7FE00010]
        assert el.pos + el.length > len(summary.buffer)
        assert summary.value(el) == path.read_bytes()[el.pos : el.pos + el.length]
        assert summary.value(el) == full.value(full.dataset.by_tag[0x7FE00010])
    finally:
        summary.close()
        full.close()


def test_headers_past_the_head_walk_the_whole_file(tmp_path):
    """A private value larger than the head before Rows: the walk needs the whole file."""
    src = corpus_file("CT_small.dcm").read_bytes()
    full = parse_bytes(src, "x")
    blob_len = reader._HEAD + 1000
    creator = struct.pack("<HH2sH", 0x0009, 0x0010, b"LO", 4) + b"TEST"
    blob = struct.pack("<HH2sHL", 0x0009, 0x1000, b"OB", 0, blob_len) + b"\x01" * blob_len
    at = next(e.offset for e in full.dataset.elements if e.tag >> 16 > 0x0009)
    path = tmp_path / "big.dcm"
    path.write_bytes(src[:at] + creator + blob + src[at:])
    summary = parse_file(path, keep=_KEEP)
    assert not summary.head_only and not summary.problems
    el = summary.dataset.by_tag[0x00280010]
    assert summary.value(el) == full.value(full.dataset.by_tag[0x00280010])
