"""Files cut short (issue 11, section 6): a file is complete only when its last element ends
exactly at its end, as dcmtk reads it.

A cut inside an element header (1 to 7 bytes of it left, or 8 to 11 of a long VR's 12), inside
a value (short or long VR, Specific Character Set, a value in a sequence item, pixel data),
an undefined-length sequence or item left open, and bytes at the end that make no whole
element: every file operation, from the command line and through the contract, fails with one
line naming the file and saying it is truncated, exit 2, nothing written. dcmdump is the
independent reference: it rejects every cut file used here ("premature end of stream"), and
reads a file cut exactly between two top-level elements, as we do (nothing tells it apart from
a shorter whole file).
"""

from __future__ import annotations

import contextlib
import io
import random
import subprocess
from pathlib import Path

import pytest
from conftest import corpus_file, corpus_files, require_tool

from dicom_tools import contract, registry
from dicom_tools.cli import main
from dicom_tools.dicom.failures import check_source, read_failure
from dicom_tools.dicom.reader import UNDEFINED, Item, parse_bytes, parse_file
from dicom_tools.dicom.source import Source
from dicom_tools.errors import InputError

# Each file operation as a user runs it, with dump's JSON too; from-json reads JSON, not DICOM.
FILE_OPS = [s for s in registry.all_ops() if s.input == "file" and s.name != "from_json"]
RUNS = [[s.verb] for s in FILE_OPS] + [["dump", "--json"]]

# Explicit VR little endian headers in CT_small.dcm, found by their bytes.
ROWS = b"\x28\x00\x10\x00US\x02\x00"  # (0028,0010) US, 8-byte header, 2-byte value
CHARSET = b"\x08\x00\x05\x00CS"  # (0008,0005) CS
PIXELS = b"\xe0\x7f\x10\x00OW\x00\x00"  # (7FE0,0010) OW, 12-byte header


def _nested_item(data: bytes) -> Item:
    """reportsi.dcm's ContentSequence[0].ConceptNameCodeSequence[0]: an item of undefined
    length in a sequence of undefined length, itself in one."""
    top = parse_bytes(data).dataset.get(0x0040A730)
    assert top is not None and top.length == UNDEFINED
    inner = top.items[0].get(0x0040A043)
    assert inner is not None and inner.length == UNDEFINED
    return inner.items[0]


def cut_files() -> dict[str, bytes]:
    """Name -> bytes of each kind of cut, from real files."""
    ct = corpus_file("CT_small.dcm").read_bytes()
    rows, charset, pixels = ct.index(ROWS), ct.index(CHARSET), ct.index(PIXELS)
    cuts = {f"header_{k}": ct[: rows + k] for k in range(1, 8)}
    cuts |= {f"long_header_{k}": ct[: pixels + k] for k in (2, 6, 8, 11)}
    cuts["short_value"] = ct[: rows + 8 + 1]
    cuts["charset"] = ct[: charset + 8 + 4]  # "ISO_" of "ISO_IR 100"
    cuts["pixel_data"] = ct[: pixels + 12 + 1000]
    cuts["padding"] = ct + b"\x00" * 3  # bytes at the end that make no element
    sr = corpus_file("reportsi.dcm").read_bytes()
    item = _nested_item(sr)
    value = item.elements[0]
    cuts["item_value"] = sr[: value.pos + 1]
    cuts["item_header"] = sr[: item.offset + 3]
    last = item.elements[-1]
    cuts["item_open"] = sr[: last.pos + last.length]  # its delimiter is missing
    j2k = corpus_file("JPEG2000.dcm").read_bytes()
    cuts["fragment"] = j2k[:-100]
    cuts["delimiter"] = j2k[:-5]
    rtstruct = corpus_file("rtstruct.dcm").read_bytes()  # implicit VR little endian
    cuts["implicit_header"] = rtstruct[:1998]
    dfl = corpus_file("image_dfl.dcm").read_bytes()
    cuts["deflated"] = dfl[:2000]
    return cuts


@pytest.fixture(scope="module")
def cuts(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("cut")
    out = {}
    for name, data in cut_files().items():
        out[name] = folder / f"{name}.dcm"
        out[name].write_bytes(data)
    return out


def test_dcmdump_rejects_every_cut_file(cuts):
    """The reference: each of these files is damaged for dcmtk too."""
    dcmdump = require_tool("dcmdump")
    for name, path in cuts.items():
        proc = subprocess.run([dcmdump, "-q", str(path)], capture_output=True, timeout=60)
        assert proc.returncode != 0, name


def _run(args: list[str]) -> tuple[int, str, str]:
    err, out = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
        rc = main(args)
    return rc, out.getvalue(), err.getvalue()


@pytest.mark.parametrize("run", RUNS, ids=" ".join)
def test_every_operation_refuses_a_cut_file(run, cuts, tmp_path):
    spec = registry.get(run[0].replace("-", "_"))
    for name, path in cuts.items():
        args = [*run, str(path)]
        out = tmp_path / f"{name}.out"
        if spec.output != "display":
            args += ["-o", str(out)]
        rc, stdout, stderr = _run(args)
        assert (rc, stdout) == (2, ""), (name, stderr)
        [line] = stderr.splitlines()
        assert line.startswith(f"dicom-tools {run[0]}: error: {path}: file is truncated: "), (
            name,
            line,
        )
    assert not list(tmp_path.iterdir()), "an output (or a temp file) was left"


def test_the_contract_refuses_a_cut_file(cuts, tmp_path):
    for name in ("header_3", "long_header_8", "charset", "item_open", "delimiter", "deflated"):
        folder = tmp_path / name
        folder.mkdir()
        path = folder / "cut.dcm"
        path.write_bytes(cuts[name].read_bytes())
        for spec in FILE_OPS:
            res = contract.handle({"op": spec.name, "input": str(path)})
            assert (res.ok, res.returncode, res.output_files) == (False, 2, []), (name, spec.name)
            [line] = res.stderr.splitlines()
            assert line.startswith(f"{path}: file is truncated: "), (name, spec.name, line)
        assert [p.name for p in folder.iterdir()] == ["cut.dcm"], name  # nothing written


def test_an_instance_in_memory_is_refused_as_the_file_is(cuts):
    from dicom_tools.ops.info import info
    from dicom_tools.ops.stats import stats

    for name in ("header_5", "charset", "item_value"):
        for op in (info, stats):
            src = Source.from_bytes(cuts[name].read_bytes(), "cut.dcm")
            with pytest.raises(InputError) as caught:
                op(src)
            assert str(caught.value).startswith("cut.dcm: file is truncated: "), (name, op)


def test_the_message_says_where_the_file_ends():
    cuts = cut_files()
    ct = corpus_file("CT_small.dcm").read_bytes()
    rows, charset, pixels = ct.index(ROWS), ct.index(CHARSET), ct.index(PIXELS)

    def message(name: str) -> str:
        data = cuts[name]
        return read_failure(parse_bytes(data, "f"), "f", len(data))

    # With fewer than 4 bytes the tag is not known yet.
    assert (
        message("header_3")
        == f"f: file is truncated: element header cut after 3 of 8 bytes at byte {rows}"
    )
    assert message("header_5") == (
        f"f: file is truncated: element (0028,0010) header cut after 5 of 8 bytes at byte {rows}"
    )
    assert message("long_header_8") == (
        f"f: file is truncated: element (7FE0,0010) header cut after 8 of 12 bytes at byte {pixels}"
    )
    assert (
        message("short_value")
        == "f: file is truncated: element (0028,0010) needs 2 bytes, 1 remain"
    )
    assert (
        message("charset") == "f: file is truncated: element (0008,0005) needs 10 bytes, 4 remain"
    )
    assert message("padding") == (
        f"f: file is truncated: element header cut after 3 of 8 bytes at byte {len(ct)}"
    )
    assert message("item_open") == (
        "f: file is truncated: end of file inside ContentSequence[0].ConceptNameCodeSequence[0] "
        "before its Item Delimitation Item"
    )
    assert message("deflated") == (
        "f: file is truncated: the deflated data set ends before its compressed stream does"
    )
    assert charset < rows < pixels


# Files with each kind of container: nested undefined-length sequences and items (reportsi,
# rtstruct in implicit VR), a sequence in UN, encapsulated and native pixel data, big endian,
# RLE, deflated, and a data set without meta information.
SWEPT = [
    "CT_small.dcm",
    "reportsi.dcm",
    "rtstruct.dcm",
    "UN_sequence.dcm",
    "nested_priv_SQ.dcm",
    "JPEG2000.dcm",
    "MR_small_bigendian.dcm",
    "SC_rgb_rle.dcm",
    "image_dfl.dcm",
    "rtplan.dcm",
    "ExplVR_LitEndNoMeta.dcm",
]


def _boundaries(path: Path) -> set[int]:
    """Where a cut leaves a shorter whole file: between two top-level elements (of the meta
    group, or of a data set that is not deflated)."""
    parsed = parse_file(path)
    try:
        out = {e.offset for e in parsed.meta.elements} | {parsed.meta_end}
        if not parsed.deflated:
            out |= {e.offset for e in parsed.dataset.elements}
        return out
    finally:
        parsed.close()


@pytest.mark.parametrize("name", SWEPT)
def test_every_cut_position_is_truncation(name, tmp_path):
    """Cut at every byte: anywhere but between two top-level elements, the file is truncated;
    dcmdump agrees on a sample of the positions (boundaries included)."""
    path = corpus_file(name)
    data = path.read_bytes()
    whole = parse_bytes(data, "f")
    assert read_failure(whole, "f", len(data)) is None
    boundaries = _boundaries(path)
    start = 132 if data[128:132] == b"DICM" else 8  # a shorter file is no DICOM at all
    if whole.deflated:
        # Once the meta group names the deflated syntax, its stream must follow and end
        # (image_dfl.dcm has 8 bytes after that end, ignored as dcmtk does).
        syntax = whole.meta.get(0x00020010)
        boundaries = {b for b in boundaries if b <= syntax.offset}
        boundaries |= set(range(len(data) - 8, len(data)))
    verdicts = {}
    for k in range(start + 1, len(data)):
        message = read_failure(parse_bytes(data[:k], "f"), "f", k)
        truncated = message is not None and message.startswith("f: file is truncated: ")
        assert truncated == (k not in boundaries), (k, message)
        verdicts[k] = truncated
    dcmdump = require_tool("dcmdump")
    rng = random.Random(name)  # the same sample every run
    sample = rng.sample(sorted(verdicts), 15) + rng.sample(sorted(boundaries & set(verdicts)), 5)
    cut = tmp_path / name
    for k in sample:
        cut.write_bytes(data[:k])
        proc = subprocess.run([dcmdump, "-q", str(cut)], capture_output=True, timeout=60)
        assert (proc.returncode != 0) == verdicts[k], (k, proc.stderr[:200])


def test_bytes_after_the_last_element_are_truncation_as_dcmtk_says(tmp_path):
    """1 to 7 bytes that make no element: dcmdump reports "premature end of stream"; so do we
    (a file padded to a block size with fewer than 8 bytes is damaged for dcmtk as well)."""
    dcmdump = require_tool("dcmdump")
    ct = corpus_file("CT_small.dcm").read_bytes()
    for n in range(1, 8):
        path = tmp_path / f"pad{n}.dcm"
        path.write_bytes(ct + b"\x00" * n)
        proc = subprocess.run([dcmdump, str(path)], capture_output=True, timeout=60)
        assert proc.returncode != 0 and b"premature end of stream" in proc.stderr, n
        cut = r"file is truncated: element (\(0000,0000\) )?header cut"
        with pytest.raises(InputError, match=cut):
            check_source(Source.from_path(path))


def test_no_whole_file_of_the_corpus_is_truncated():
    for path in corpus_files():
        check_source(Source.from_path(path))  # raises for an unreadable file
        parsed = parse_file(path)
        assert not [p for p in parsed.problems if p.code == "truncated"], path.name
        parsed.close()


def test_validate_reports_the_cut_as_an_error(cuts):
    from dicom_tools.validation import validate_file

    report = validate_file(cuts["header_5"])
    [finding] = [f for f in report.errors() if f.code == "truncated"]
    assert "header cut after 5 of 8 bytes" in finding.message


def test_a_length_past_its_container_is_a_broken_structure_not_a_cut(tmp_path):
    """An item longer than its defined-length sequence, which fits in the file: the sequence
    was not cut, its item's length is wrong (the wording pydicom's reading has always given)."""
    rtplan = corpus_file("rtplan.dcm").read_bytes()
    item = rtplan.index(b"\xfe\xff\x00\xe0")  # the first item of a defined-length sequence
    path = tmp_path / "long_item.dcm"
    path.write_bytes(rtplan[: item + 4] + b"\xf0\x0f\x00\x00" + rtplan[item + 8 :])
    with pytest.raises(InputError) as caught:
        check_source(Source.from_path(path))
    assert str(caught.value) == (
        f"{path}: broken sequence (300A,0010): item 1 claims 4080 bytes, more than the file holds"
    )
