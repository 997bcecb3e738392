"""dicom/reader.py: the element tree of every corpus file against dcmdump's element list, and
``parse_bytes`` (an instance in memory) against ``parse_file``."""

from __future__ import annotations

import re
import subprocess

import pytest
from conftest import corpus_files, require_tool

from dicom_tools.dicom.reader import UNDEFINED, Item, ParsedFile, parse_bytes, parse_file

CORPUS = corpus_files()
# "(gggg,eeee) VR value # length, VM name"; any VR (dcmdump writes ?? for unknown ones).
_LINE = re.compile(r"^( *)\(([0-9a-f]{4}),([0-9a-f]{4})\) (\S\S) .*# *(\d+|u/l), *\d+ ")


def dcmdump_elements(path) -> list[tuple[int, str, int | None]] | None:
    """(depth, tag, length) of each element line of dcmdump (items, delimiters and pixel
    fragments left out); None if dcmdump cannot read the file."""
    proc = subprocess.run(
        [require_tool("dcmdump"), "-q", "-M", str(path)], capture_output=True, timeout=60
    )
    if proc.returncode != 0:
        return None
    joined: list[str] = []
    for line in proc.stdout.decode("latin-1").split("\n"):
        if joined and not re.match(r" *(\(|#|$)", line):  # a text value's line break
            joined[-1] += " " + line
        else:
            joined.append(line)
    out = []
    for line in joined:
        m = _LINE.match(line)
        if m and m[2] != "fffe":
            length = None if m[5] == "u/l" else int(m[5])
            out.append((len(m[1]) // 2, f"({m[2].upper()},{m[3].upper()})", length))
    return out


def _flatten(item: Item, depth: int, out: list[tuple[int, str, int | None]]) -> None:
    """(depth, tag, length) of each element in tag order, as dcmdump lists them; items and
    delimiters are not listed (dcmdump's item lines are left out on its side too)."""
    for el in sorted(item.elements, key=lambda e: e.tag):
        length = None if el.length == UNDEFINED else el.length
        out.append((depth, f"({el.tag >> 16:04X},{el.tag & 0xFFFF:04X})", length))
        # dcmtk reads items in SQ values and in values of undefined length; a defined-length
        # UN that holds items (read tentatively here) is bytes to dcmdump.
        if el.items is not None and (el.vr == "SQ" or el.length == UNDEFINED):
            for sub in el.items:
                _flatten(sub, depth + 2, out)


def _tree(parsed: ParsedFile) -> list[tuple[int, str, int | None]]:
    out: list[tuple[int, str, int | None]] = []
    _flatten(parsed.meta, 0, out)
    _flatten(parsed.dataset, 0, out)
    return out


@pytest.mark.parametrize("path", CORPUS, ids=[p.name for p in CORPUS])
def test_elements_match_dcmdump(path):
    parsed = parse_file(path)
    try:
        if parsed.problems:
            pytest.skip(f"structural defect: {parsed.problems[0].message}")
        ref = dcmdump_elements(path)
        if ref is None:
            pytest.skip("dcmdump cannot read this file")
        got = _tree(parsed)
        assert [(d, t) for d, t, _ in got] == [(d, t) for d, t, _ in ref]
        for (_, tag, ours), (_, _, theirs) in zip(got, ref, strict=True):
            # dcmtk pads an odd length to even; UN/SQ read as a sequence shows no length
            assert ours == theirs or (ours is not None and ours + 1 == theirs), tag
    finally:
        parsed.close()


def _shape(parsed: ParsedFile) -> list:
    def walk(item: Item) -> list:
        return [
            (
                el.tag,
                el.vr,
                el.length,
                el.offset,
                el.pos,
                [walk(i) for i in el.items] if el.items is not None else None,
                el.fragments,
            )
            for el in item.elements
        ]

    return [
        walk(parsed.meta),
        walk(parsed.dataset),
        parsed.transfer_syntax,
        (parsed.preamble, parsed.prefix, parsed.explicit, parsed.little, parsed.deflated),
        [(p.code, p.message, p.tag, p.path) for p in parsed.problems],
    ]


def test_parse_bytes_gives_the_same_tree_as_parse_file():
    for path in corpus_files(include_broken=True):
        try:
            from_file = parse_file(path)
        except ValueError:
            with pytest.raises(ValueError):
                parse_bytes(path.read_bytes(), str(path))
            continue
        from_memory = parse_bytes(path.read_bytes(), str(path))
        assert _shape(from_memory) == _shape(from_file), path.name
        assert from_memory.path == from_file.path
        for el in from_file.dataset.elements[:20]:
            assert from_memory.value(el) == from_file.value(el)
        from_file.close()


def test_parse_bytes_names_the_instance():
    data = corpus_files()[0].read_bytes()
    assert str(parse_bytes(data).path) == "<memory>"
    assert str(parse_bytes(bytearray(data), "received.dcm").path) == "received.dcm"
