"""dump: checked line by line against dcmtk's dcmdump, the reference this layout imitates.

Both outputs go through the same parser (one line per element: depth, tag, VR, value, length,
VM); every element of every corpus file that dcmdump reads is compared, nested ones included.
Known, deliberate differences are normalised in ``_compare`` with the reason next to them.
"""

from __future__ import annotations

import html
import json
import math
import re
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from badinputs import make_bad_inputs
from conftest import (
    BROKEN,
    TEST_FILES,
    corpus_file,
    corpus_files,
    decode_iso2022_jp,
    require_tool,
    run_cli,
)

from dicom_tools.errors import InputError
from dicom_tools.ops.dump import FRAGMENT_LINES, dump

# One element line: "(gggg,eeee) VR value   # length, VM Keyword" (dcmdump writes "# 242,15").
_LINE = re.compile(
    r"^(?P<indent> *)\((?P<group>[0-9a-f]{4}),(?P<elem>[0-9a-f]{4})\) (?P<vr>\S\S) "
    r"(?P<value>.*) # +(?P<length>\d+|u/l|\?), *(?P<vm>\d+) (?P<name>.*)$"
)
# What may start a line of either output; anything else continues a multi-line value (dcmdump
# prints text with its line breaks, ours quotes them as &#10;).
_LINE_START = re.compile(r"^ *(\(|#|\.\.\.|$)")
DELIMITERS = {"fffee00d", "fffee0dd"}
FLOAT_VRS = {"FL": 1e-6, "OF": 1e-6, "FD": 1e-12, "OD": 1e-12}
TEXT_VRS = {"AE", "AS", "CS", "DA", "DS", "DT", "IS", "LO", "LT", "PN", "SH", "ST", "TM", "UC"}
TEXT_VRS |= {"UI", "UR", "UT"}


@dataclass
class Line:
    depth: int
    tag: str
    vr: str
    value: str
    length: int | None  # None: undefined length
    vm: int
    section: str  # "meta" or "data"


def parse(text: str) -> list[Line]:
    joined: list[str] = []
    for line in text.split("\n"):
        if joined and not _LINE_START.match(line):
            joined[-1] += "\n" + line
        else:
            joined.append(line)
    out, section = [], "meta"
    for line in joined:
        if line.startswith("# Dicom-Data-Set"):
            section = "data"
        m = _LINE.match(line.replace("\n", " "))
        if m:
            length = m["length"]
            out.append(
                Line(
                    depth=len(m["indent"]) // 2,
                    tag=m["group"] + m["elem"],
                    vr=m["vr"],
                    value=m["value"].rstrip(),
                    length=None if length == "u/l" else int(length) if length != "?" else -1,
                    vm=int(m["vm"]),
                    section=section,
                )
            )
    return out


def dcmdump(path: Path, *options: str, encoding: str = "utf-8") -> list[Line] | None:
    """dcmdump's lines: full values (+L), UIDs as numbers (-Un), UN converted to the dictionary
    VR where known (+uc, as pydicom does); values over 4 KB are "(not loaded)" (-M), which
    keeps multi-megabyte pixel data out of the comparison. None if dcmdump cannot read it."""
    tool = require_tool("dcmdump")
    proc = subprocess.run(
        [tool, "-q", "+L", "-M", "-Un", "+uc", *options, str(path)], capture_output=True, timeout=60
    )
    if proc.returncode != 0:
        return None
    return parse(proc.stdout.decode(encoding, "replace"))


# Longer than any value dcmdump -M shows (4 KB as hex), short of megabytes of pixel data.
FULL = 20_000


def ours(path: Path, **options) -> list[Line]:
    options.setdefault("max_value_len", FULL)
    return parse(dump(path, **options).text)


def _text(value: str) -> str:
    """A text value without brackets, padding (spaces, NUL) or line-break differences."""
    if value.startswith("[") and value.endswith("]"):
        value = value[1:-1]
    if "&#" in value:  # ours quotes control characters the way dcmdump +Qn does
        value = html.unescape(value)
    return " ".join(value.replace("\0", " ").split())


def _same_value(vr: str, ref: str, got: str) -> bool:
    if ref == got:
        return True
    if vr == "na":  # items: dcmdump names DICOMDIR records ('"Directory Record" PATIENT #=7')
        return re.findall(r"#=\d+", ref) == re.findall(r"#=\d+", got)
    if vr in FLOAT_VRS and "(no value" not in ref:
        # dcmdump prints floats with its own routine (e.g. 178.0799255 for 178.079926).
        r, g = ref.split("\\"), got.split("\\")
        return len(r) == len(g) and all(
            math.isclose(float(a), float(b), rel_tol=FLOAT_VRS[vr])
            for a, b in zip(r, g, strict=True)
        )
    if vr == "PN":
        # pydicom drops empty trailing name groups ("Wang^XiaoDong=王^小東=" loses its "=").
        return _text(ref).rstrip("=") == _text(got).rstrip("=")
    return _text(ref) == _text(got)


def _compare(ref: list[Line], got: list[Line], *, utf8: bool = False) -> None:
    # Encapsulated pixel items are compared by test_encapsulated_pixel_data: we list the first
    # FRAGMENT_LINES of them only.
    ref = [r for r in ref if r.vr != "pi"]
    got = [g for g in got if g.vr != "pi"]
    assert [(r.depth, r.tag) for r in ref] == [(g.depth, g.tag) for g in got]
    for r, g in zip(ref, got, strict=True):
        where = f"{r.tag} at depth {r.depth}: dcmdump {r} / ours {g}"
        if utf8 and r.tag == "00080005":
            continue  # +U8 rewrites the Specific Character Set to ISO_IR 192
        if r.vr in ("??", "UN") and g.vr != "UN" and int(r.tag[:4], 16) % 2:
            # A private element dcmtk's dictionary does not know; pydicom's private dictionary
            # gives it a VR (and decodes the value), dcmdump leaves it UN: the length must agree.
            assert r.length == g.length, where
            continue
        if r.value.startswith("(PixelSequence"):
            # dcmtk reports a pixel sequence as OB whatever the file says; we show the file's VR
            # (some files write OW).
            assert g.vr in ("OB", "OW") and r.value == g.value and g.length is None, where
            continue
        expected_vr = {"??": "UN", "up": "UL"}.get(r.vr, r.vr)  # dcmtk-internal VR names
        if r.vr == "xs":  # dcmtk leaves "US or SS" unresolved where pydicom picks one
            assert g.vr in ("US", "SS"), where
        elif r.vr == "ox":
            assert g.vr in ("OB", "OW"), where
        else:
            assert g.vr == expected_vr, where
        assert g.vm == r.vm, where
        if (
            r.length is not None
            and g.length is not None
            and g.length % 2
            and r.length == g.length + 1
        ):
            continue  # dcmtk pads an odd-length value to even and shows the padding byte
        if not utf8:
            assert g.length == r.length, where
        if not utf8 and not g.value.isascii() and g.vr in TEXT_VRS:
            continue  # dcmdump prints raw bytes in the file's character set: see the +U8 test
        if r.value == "(not loaded)":
            assert g.value.endswith("...") or len(g.value) > 4096, where
            continue
        if len(g.value) > FULL:  # ours cut at FULL characters (dcmdump -M loads all of a
            assert r.value.startswith(g.value.removesuffix("...")), where  # deflated file)
            continue
        assert _same_value(g.vr, r.value, g.value), where


# --- the whole corpus against dcmdump ----------------------------------------------------------

CORPUS = corpus_files()
# Files dcmdump reads only with an extra option, and why (every other file: none).
DCMDUMP_OPTIONS = {
    # An implicit VR data set under an explicit VR transfer syntax: dcmdump stops at the first
    # element unless told to try implicit VR where it finds no valid VR (-vr); we detect it.
    "SC_rgb_jpeg.dcm": ["-vr"],
}


# SC_rgb_jpeg.dcm: an implicit VR data set whose encapsulated Pixel Data the dictionary calls
# "OB or OW"; dcmdump -vr shows OB, the VR of encapsulated pixel data (PS3.5 A.4).
@pytest.mark.parametrize("path", CORPUS, ids=[p.name for p in CORPUS])
def test_every_element_matches_dcmdump(path):
    ref = dcmdump(path, *DCMDUMP_OPTIONS.get(path.name, []))
    assert ref is not None, f"dcmdump cannot read {path.name}"
    _compare(ref, ours(path))


def test_dicomdir_matches_dcmdump():
    path = TEST_FILES / "dicomdirtests" / "DICOMDIR"
    _compare(dcmdump(path), ours(path))


@pytest.mark.parametrize(
    "name", ["chrX1.dcm", "chrX2.dcm", "chrFrenMulti.dcm", "chrI2.dcm", "chrKoreanMulti.dcm",
             "chrArab.dcm", "chrRuss.dcm", "chrGreek.dcm", "chrHbrw.dcm", "test-SR.dcm"]
)  # fmt: skip
def test_character_sets_match_dcmdump_utf8(name):
    # dcmdump +U8 converts the values to UTF-8 (lengths then change): the decoded text of every
    # element must be the same.
    path = corpus_file(name)
    ref = dcmdump(path, "+U8")
    assert ref is not None, "dcmdump +U8 failed"
    _compare(ref, ours(path), utf8=True)


@pytest.mark.parametrize(
    "name", ["chrH31.dcm", "chrH32.dcm", "chrJapMulti.dcm", "chrJapMultiExplicitIR6.dcm",
             "chrSQEncoding.dcm", "chrSQEncoding1.dcm"]
)  # fmt: skip
def test_japanese_iso2022_matches_python_codecs(name):
    # This dcmtk build cannot convert ISO 2022 IR 87 to UTF-8 (+U8 fails): dcmdump's raw bytes
    # are decoded with Python's iso2022_jp / shift_jis codecs instead.
    path = corpus_file(name)
    ref = dcmdump(path, encoding="latin-1")
    got = ours(path)
    assert [(r.depth, r.tag) for r in ref] == [(g.depth, g.tag) for g in got]
    decoded = 0
    for r, g in zip(ref, got, strict=True):
        raw = r.value.encode("latin-1")
        if r.vr in TEXT_VRS and (b"\x1b" in raw or not raw.isascii()):
            assert _text(g.value).rstrip("=") == _text(decode_iso2022_jp(raw)).rstrip("="), r
            decoded += 1
    assert decoded


def test_representative_files_cover_the_cases():
    # The corpus-wide comparison above includes, by design, these kinds of file.
    names = {p.name for p in CORPUS}
    for name in ["CT_small.dcm", "MR_small_bigendian.dcm", "MR_small_implicit.dcm", "rtplan.dcm",
                 "JPEG2000.dcm", "nested_priv_SQ.dcm", "ExplVR_BigEndNoMeta.dcm", "image_dfl.dcm",
                 "UN_sequence.dcm", "chrH31.dcm", "chrX1.dcm"]:  # fmt: skip
        assert name in names


# --- encapsulated pixel data -------------------------------------------------------------------


def _pixel_items(lines: list[Line]) -> tuple[str, list[int]]:
    i = next(i for i, x in enumerate(lines) if x.value.startswith("(PixelSequence"))
    sizes = []
    for x in lines[i + 1 :]:
        if x.vr != "pi":
            break
        sizes.append(x.length)
    return lines[i].value, sizes


@pytest.mark.parametrize(
    "name", ["JPEG2000.dcm", "SC_rgb_rle_2frame.dcm", "examples_ybr_color.dcm", "rtdose_rle.dcm"]
)
def test_encapsulated_pixel_data(name):
    path = corpus_file(name)
    header, ref_sizes = _pixel_items(dcmdump(path))
    result = dump(path)
    got_header, got_sizes = _pixel_items(parse(result.text))
    assert got_header == header  # "(PixelSequence #=N)": N items, the offset table included
    shown = min(len(ref_sizes), 1 + FRAGMENT_LINES)
    assert got_sizes == ref_sizes[:shown]
    fragments = len(ref_sizes) - 1
    summary = f"# {fragments} fragment(s), Basic Offset Table with {ref_sizes[0] // 4} entries"
    assert summary in result.text
    if fragments > FRAGMENT_LINES:
        assert f"... {fragments - FRAGMENT_LINES} more fragment(s) not shown" in result.text


def test_extended_offset_table_is_reported(tmp_path):
    import pydicom

    ds = pydicom.dcmread(corpus_file("JPEG2000.dcm"))
    ds.ExtendedOffsetTable = (0).to_bytes(8, "little")
    ds.ExtendedOffsetTableLengths = (250).to_bytes(8, "little")
    path = tmp_path / "eot.dcm"
    ds.save_as(path)
    result = dump(path)
    assert "Extended Offset Table with 1 entries" in result.text
    assert "no Extended Offset Table" in dump(corpus_file("JPEG2000.dcm")).text
    _compare(dcmdump(path), ours(path))


# --- options -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["rtplan.dcm", "test-SR.dcm"])
@pytest.mark.parametrize("depth", [0, 1, 2])
def test_max_depth(name, depth):
    path = corpus_file(name)
    ref = [r for r in dcmdump(path) if r.tag not in DELIMITERS]
    result = dump(path, max_depth=depth, max_value_len=None)
    got = [g for g in parse(result.text) if g.tag not in DELIMITERS]
    # Sequence level k holds the elements of the items of level k-1: text depth 2k.
    expected = [(r.depth, r.tag) for r in ref if r.depth <= 2 * depth]
    assert [(g.depth, g.tag) for g in got] == expected
    # Each sequence at the deepest shown level says how many items it hides.
    hidden = [r for r in ref if r.depth == 2 * depth and r.vr == "SQ" and "#=0)" not in r.value]
    notes = re.findall(r"^ *\.\.\. (\d+) item\(s\) not shown", result.text, re.M)
    assert [int(n) for n in notes] == [int(re.search(r"#=(\d+)", r.value)[1]) for r in hidden]


def test_max_value_len_cuts_values():
    path = corpus_file("CT_small.dcm")
    ref = dcmdump(path)
    got = ours(path, max_value_len=16)
    assert [(r.depth, r.tag) for r in ref] == [(g.depth, g.tag) for g in got]
    cut = 0
    for r, g in zip(ref, got, strict=True):
        full = r.value
        if full == "(not loaded)":
            continue
        if g.value.startswith("("):  # "(no value available)", "(Sequence ...)"
            continue
        if g.vr in TEXT_VRS:
            inner = full[1:-1]
            if len(inner) <= 16:
                assert g.value == full
            else:
                assert g.value == f"[{inner[:16]}...]"
                cut += 1
        elif g.vr in FLOAT_VRS and g.value.endswith("..."):
            cut += 1  # the last digits of floats differ (see _same_value): no prefix check
        elif len(full) <= 16 or g.vr in FLOAT_VRS:
            assert _same_value(g.vr, full, g.value)
        else:  # numbers and bytes are cut after the last whole value that fits
            shown = g.value.removesuffix("...")
            assert g.value.endswith("...") and len(shown) <= 16
            # One long value is cut inside it, like text.
            assert full.startswith(shown + "\\" if "\\" in full else shown)
            cut += 1
    assert cut > 10
    # 0 or less: no limit, as None.
    assert dump(path, max_value_len=0).text == dump(path, max_value_len=None).text


def test_default_cut_keeps_output_short():
    text = dump(corpus_file("CT_small.dcm")).text  # max_value_len=64
    pixel = next(line for line in text.splitlines() if line.startswith("(7fe0,0010)"))
    assert pixel.startswith("(7fe0,0010) OW 00af\\00b4") and "..." in pixel
    assert max(len(line) for line in text.splitlines()) < 200


# --- JSON ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["rtplan.dcm", "CT_small.dcm", "MR_small_bigendian.dcm"])
def test_json_model_against_dcmdump(name):
    path = corpus_file(name)
    if name == "rtplan.dcm":  # once as a user runs it; in-process (faster) for the others
        proc = run_cli("dump", path, "--json")
        assert proc.returncode == 0, proc.stderr
        data = json.loads(proc.stdout)
    else:
        data = json.loads(json.dumps(dump(path).data))
    # The model is to-json's (issue 10): File Meta Information included, group lengths not
    # (PS3.19 A.1.1, as dcm2json).
    top = {r.tag.upper(): r for r in dcmdump(path) if r.depth == 0}
    top = {k: v for k, v in top.items() if k.lower() not in DELIMITERS and k[4:] != "0000"}
    assert set(data) == set(top)
    for key, element in data.items():
        assert re.fullmatch(r"[0-9A-F]{8}", key)
        ref = top[key]
        if ref.vr == "SQ":
            assert len(element["Value"]) == int(re.search(r"#=(\d+)", ref.value)[1])
        elif ref.vr not in ("??", "xs", "ox") and not (ref.vr == "UN" and element["vr"] != "UN"):
            assert element["vr"] == ref.vr, key
        if ref.vr in ("OB", "OW", "UN") and ref.length:
            assert "InlineBinary" in element, key  # bulk data inline, whatever its size
    # max_value_len applies to the text only.
    assert dump(path, max_value_len=4).data == data


# --- command line and bad input ------------------------------------------------------------------


def test_cli_prints_the_dump():
    proc = run_cli("dump", corpus_file("rtplan.dcm"), "--max-depth", "1", "--max-value-len", "20")
    assert proc.returncode == 0, proc.stderr
    assert "(300a,0010) SQ (Sequence with explicit length #=2)" in proc.stdout
    assert "# Dicom-Data-Set" in proc.stdout and not proc.stderr


def _bad_inputs(folder: Path) -> dict[str, Path]:
    bad = make_bad_inputs(folder)
    # Truncated copies made here: inside a nested sequence, and inside encapsulated pixel data.
    rtplan = corpus_file("rtplan.dcm").read_bytes()
    jpeg = corpus_file("JPEG2000.dcm").read_bytes()
    for name, data in {
        "rtplan_cut": rtplan[: rtplan.index(b"\xfe\xff\x00\xe0") + 40],
        "jpeg_cut": jpeg[: len(jpeg) - 100],
    }.items():
        (folder / f"{name}.dcm").write_bytes(data)
        bad[name] = folder / f"{name}.dcm"
    return {k: v for k, v in bad.items() if not k.startswith("json")}


def test_bad_input_is_one_line_exit_2(tmp_path):
    bad = _bad_inputs(tmp_path)
    # The command line as a user runs it, one process per file, in parallel to save time.
    with ThreadPoolExecutor(max_workers=4) as pool:
        procs = dict(zip(bad, pool.map(lambda p: run_cli("dump", p), bad.values()), strict=True))
    for name, path in bad.items():
        proc = procs[name]
        assert proc.returncode == 2, (name, proc.stdout[:200], proc.stderr)
        assert "Traceback" not in proc.stderr, name
        lines = proc.stderr.strip().splitlines()
        if path.is_dir():  # a folder is many inputs: each bad file reported on its own line
            assert len(lines) == sum(1 for p in path.iterdir() if p.is_file()), proc.stderr
        else:
            assert len(lines) == 1 and str(path) in lines[0], (name, proc.stderr)
        assert not proc.stdout, name


def test_bad_input_in_process_raises_input_error(tmp_path):
    for name, path in _bad_inputs(tmp_path).items():
        with pytest.raises(InputError):
            dump(path)
        assert name


# --- every file of the corpus --------------------------------------------------------------


def test_whole_corpus():
    """Every corpus file dumps, with parseable lines and JSON, except the broken ones (which
    dcmdump refuses too): exactly those are refused, with an InputError naming the file."""
    refused = set()
    for path in corpus_files(include_broken=True):
        try:
            result = dump(path)
        except InputError as exc:
            assert str(path) in str(exc) and "\n" not in str(exc), exc
            refused.add(path.name)
            continue
        for line in result.text.splitlines():
            if line.strip() and not line.lstrip().startswith(("#", "...")):
                assert _LINE.match(line), (path.name, line)
        json.dumps(result.data)
    assert refused == BROKEN


def test_value_pydicom_cannot_convert_is_shown_as_bytes(monkeypatch):
    # A value whose conversion fails is shown as its bytes, with the reason, instead of a crash.
    import pydicom.dataset

    original = pydicom.dataset.Dataset.__getitem__

    def failing(self, key):
        if key == 0x00100010:
            raise ValueError("cannot decode this")
        return original(self, key)

    monkeypatch.setattr(pydicom.dataset.Dataset, "__getitem__", failing)
    # Text in another character set is decoded by dicom.values; what it leaves to pydicom
    # (made so here) goes through pydicom's conversion.
    monkeypatch.setattr("dicom_tools.dump.stream._decoded_text", lambda *args: None)
    path = corpus_file("chrFren.dcm")  # its PatientName is not ASCII
    result = dump(path)
    raw = b"Buc^J\xe9r\xf4me"
    assert f"(0010,0010) PN {raw.hex(chr(92))}" in result.text
    assert "# cannot convert the value: cannot decode this" in result.text
    # The JSON model is to-json's (issue 10), decoded from the bytes without pydicom's
    # conversion: the name itself, in the file's ISO_IR 100 (Latin-1).
    assert result.data["00100010"] == {"vr": "PN", "Value": [{"Alphabetic": raw.decode("latin-1")}]}


def test_large_file_is_streamed_in_bounded_memory(tmp_path):
    """dump of a file with 2 GB of pixel data: printed as it is read, the value never read
    into memory (the reader maps the file; the dump shows the first bytes only)."""
    import subprocess
    import sys

    from test_info import big_sparse_file, extra_rss_mb

    path = big_sparse_file(tmp_path, (2 << 30) - 2)
    code = (
        "import io, contextlib; from dicom_tools.cli import main; out = io.StringIO()\n"
        "with contextlib.redirect_stdout(out): rc = main(['dump', {path}])\n"
        "assert rc == 0 and '(7fe0,0010) OW ' in out.getvalue(), out.getvalue()[-500:]"
    )
    extra = extra_rss_mb(code, path)
    assert extra < 64, f"{extra:.0f} MB more than for a small file"
    assert "(7fe0,0010) OW 0000\\0000" in dump(path).text
    # The CLI writes the chunks of Result.stream as they come.
    proc = subprocess.run(
        [sys.executable, "-m", "dicom_tools", "dump", str(path)], capture_output=True, text=True
    )
    assert proc.returncode == 0 and proc.stdout.endswith("PixelData\n"), proc.stderr
    assert proc.stdout == dump(path).text + "\n"


def _long_file(tmp_path: Path, items: int, tail: bytes = b"") -> Path:
    """A file whose dump runs to several chunks: a sequence of ``items`` items (4 lines each),
    and ``tail``, raw explicit VR little endian elements appended after the data set."""
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian, generate_uid

    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
    ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.SOPClassUID = ds.file_meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID
    ds.PatientName = "Long^Dump"
    seq = []
    for i in range(items):
        item = Dataset()
        item.ReferencedSOPClassUID = "1.2.840.10008.5.1.4.1.1.2"
        item.ReferencedSOPInstanceUID = f"1.2.3.{i}"
        seq.append(item)
    ds.ReferencedImageSequence = seq
    path = tmp_path / "long.dcm"
    ds.save_as(path, enforce_file_format=True)
    with open(path, "ab") as f:
        f.write(tail)
    return path


def test_long_dump_comes_in_chunks(tmp_path):
    """A dump of several chunks: the chunks make the whole text, which is dcmdump's."""
    from dicom_tools.dump.stream import FLUSH_LINES

    path = _long_file(tmp_path, FLUSH_LINES // 4 + 100)
    chunks = list(dump(path).stream)
    assert len(chunks) >= 2  # handed out between top-level elements, past FLUSH_LINES lines
    assert all(c.count("\n") >= FLUSH_LINES for c in chunks[:-1])
    text = "".join(chunks)
    assert text == dump(path).text
    _compare(dcmdump(path), parse(text))


def test_case_left_to_pydicom_after_the_first_chunk(tmp_path):
    """A case the stream leaves to pydicom (here a sequence written as UN) met after more
    than a chunk of lines: the pydicom path dumps the whole file, nothing half printed."""
    import struct

    from dicom_tools.dump.legacy import dump_pydicom
    from dicom_tools.dump.stream import FLUSH_LINES

    # (0040,0275) Request Attributes Sequence, written as UN with no value, after the sequence.
    tail = struct.pack("<HH2sHI", 0x0040, 0x0275, b"UN", 0, 0)
    path = _long_file(tmp_path, FLUSH_LINES // 4 + 100, tail)
    result = dump(path)
    chunks = list(result.stream or [result.text])
    text = "".join(chunks)
    assert text == dump_pydicom(path, None, 64)[0]
    assert text.count("\n") > FLUSH_LINES
    lines = parse(text)
    assert [(g.tag, g.vr) for g in lines if g.tag == "00400275"] == [("00400275", "SQ")]
    _compare(dcmdump(path), parse(dump(path, max_value_len=FULL).text))
