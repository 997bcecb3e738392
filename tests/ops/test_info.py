"""info: values checked against dcmtk's dcmdump, JSON shape, and pixel data left unread."""

from __future__ import annotations

import json
import math
import re
import struct
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import corpus_file, corpus_files, dcmdump_lines, decode_iso2022_jp, run_cli
from pydicom import dcmread

from dicom_tools import registry
from dicom_tools.ops.info import SECTIONS

KEYWORDS = [kw for kws in SECTIONS.values() for kw in kws]
SAMPLES = [
    "CT_small.dcm",
    "MR_small_bigendian.dcm",
    "MR_small_implicit.dcm",
    "JPEG2000.dcm",
    "rtplan.dcm",
    "SC_rgb_rle_2frame.dcm",
    "ExplVR_BigEndNoMeta.dcm",
    "chrFren.dcm",
    "emri_small.dcm",
    "color-pl.dcm",
]


def _same(ours, theirs: str) -> bool:
    if ours is None:
        return theirs == ""
    values = ours if isinstance(ours, list) else [ours]
    parts = theirs.split("\\")
    if len(values) != len(parts):
        return False
    for v, t in zip(values, parts, strict=True):
        if isinstance(v, int | float):
            if not math.isclose(float(v), float(t), rel_tol=1e-9):
                return False
        elif str(v).rstrip() != t.rstrip():
            return False
    return True


@pytest.mark.parametrize("name", SAMPLES)
def test_info_matches_dcmdump(name):
    path = corpus_file(name)
    proc = run_cli("info", path, "--json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert set(KEYWORDS) <= set(data)
    dumped = {d["name"]: d for d in dcmdump_lines(path) if d["depth"] == 0}
    for kw in KEYWORDS:
        if kw in dumped:
            assert _same(data[kw], dumped[kw]["value"]), (kw, data[kw], dumped[kw]["value"])
        else:
            assert data[kw] is None, kw
    assert data["FileSize"] == path.stat().st_size


def test_info_human_names_and_text(ct_small):
    proc = run_cli("info", ct_small)
    assert proc.returncode == 0
    assert "CT Image Storage" in proc.stdout
    assert "Explicit VR Little Endian" in proc.stdout
    assert "CompressedSamples^CT1" in proc.stdout


def test_info_verbose_lists_every_top_level_element(ct_small):
    data = json.loads(run_cli("info", ct_small, "--verbose", "--json").stdout)
    # dcmdump prints the meta group and delimiters too; --verbose lists the data set's elements
    dumped = [
        d
        for d in dcmdump_lines(ct_small)
        if d["depth"] == 0 and not d["tag"].startswith(("(0002", "(FFFE"))
    ]
    # private elements are keyed by tag, public ones by keyword (dcmdump's name column)
    expected = [d["tag"] if int(d["tag"][1:5], 16) % 2 else d["name"] for d in dumped]
    assert list(data["Elements"]) == expected
    assert data["Elements"]["PixelData"] == "<32768 bytes, not read>"


def big_sparse_file(folder: Path, pixel_bytes: int) -> Path:
    """CT_small.dcm with its Pixel Data grown to ``pixel_bytes`` (zeros, a sparse file: no
    disk space used). Rows and Columns do not match it, which the header path does not read."""
    ct = corpus_file("CT_small.dcm").read_bytes()
    header = b"\xe0\x7f\x10\x00OW\x00\x00"
    at = ct.index(header)
    path = folder / "big.dcm"
    with open(path, "wb") as f:
        f.write(ct[:at] + header + struct.pack("<L", pixel_bytes))
        f.truncate(at + 12 + pixel_bytes)
    return path


def peak_rss_mb(*code: str) -> float:
    """The peak resident memory of a fresh interpreter that runs ``code``, in MB.

    Read as VmHWM, the peak of the child's own address space: ``ru_maxrss`` would carry over
    the peak of the pytest process that spawned it (Linux keeps it across vfork and exec)."""
    hwm = "[int(l.split()[1]) for l in open('/proc/self/status') if l.startswith('VmHWM:')][0]"
    script = "\n".join([*code, f"print({hwm})"])
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return int(proc.stdout.split()[-1]) / 1024


def extra_rss_mb(code: str, big: Path) -> float:
    """How much more memory ``code`` (a template with ``{path}``) peaks at on ``big`` than on
    CT_small.dcm: what reading the large value would cost, whatever the interpreter and its
    imports take (which vary, e.g. with whether the generated tables are byte-compiled)."""
    small = corpus_file("CT_small.dcm")
    return peak_rss_mb(code.format(path=repr(str(big)))) - peak_rss_mb(
        code.format(path=repr(str(small)))
    )


def test_info_does_not_read_pixel_data(tmp_path):
    """info on a file with 1 GB of pixel data: the value is neither read nor mapped in."""
    path = big_sparse_file(tmp_path, 1 << 30)
    code = (
        "from dicom_tools.ops.info import info; r = info({path}, verbose=True)\n"
        "assert r.data['Elements']['PixelData'].endswith('not read>')"
    )
    extra = extra_rss_mb(code, path)
    assert extra < 64, f"{extra:.0f} MB more than for a small file"


# --- every file of the corpus against dcmdump, in process ---------------------------------------

CORPUS = corpus_files()
# dcmdump's options for this comparison: +uc gives UN elements their dictionary VR (as pydicom
# reads them), +U8 converts text to UTF-8, +Qn prints non-ASCII and control characters as
# &#n; (one line per element, multi-line text included). Files that need other options:
DCMDUMP_OPTIONS = {
    "SC_rgb_jpeg.dcm": ["-vr"],  # an implicit VR data set under an explicit VR syntax
}
# ISO 2022 IR 87 (Japanese): this dcmtk build's iconv cannot convert it (+U8 fails); dcmdump's
# raw bytes are decoded with Python's codecs instead.
JAPANESE = {
    "J2K_pixelrep_mismatch.dcm",
    "chrH31.dcm",
    "chrH32.dcm",
    "chrJapMulti.dcm",
    "chrJapMultiExplicitIR6.dcm",
    "chrSQEncoding.dcm",
    "chrSQEncoding1.dcm",
}
# Files whose info legitimately differs from dcmdump, and how.
TRAILING_EMPTY_NAME_GROUP = {
    # "Wang^XiaoDong=王^小東=": pydicom, which info reads with, drops the empty phonetic group.
    "chrX1.dcm",
    "chrX2.dcm",
}
_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"', "apos": "'"}


def _unquote(value: str) -> bytes:
    """dcmdump +Qn's value back to its bytes (&#n; is one byte; html.unescape would map
    &#128;-&#159; to Windows-1252 characters)."""
    text = re.sub(
        r"&(#\d+|\w+);", lambda m: chr(int(m[1][1:])) if m[1][0] == "#" else _ENTITIES[m[1]], value
    )
    return text.encode("latin-1")


def _exactly(ours, theirs: str) -> bool:
    """No tolerance: integers as integers, text as text (trailing space padding aside)."""
    if ours is None:
        return theirs == ""
    values = ours if isinstance(ours, list) else [ours]
    parts = theirs.split("\\")
    if len(values) != len(parts):
        return False
    for v, t in zip(values, parts, strict=True):
        if isinstance(v, bool) or not isinstance(v, int | str):
            return False
        if isinstance(v, int) and v != int(t):
            return False
        if isinstance(v, str) and v.rstrip(" ") != t.rstrip(" "):
            return False
    return True


@pytest.mark.parametrize("path", CORPUS, ids=[p.name for p in CORPUS])
def test_info_whole_corpus_matches_dcmdump(path):
    """Every file: the summary fields and the --verbose element list, exactly as dcmdump."""
    result = registry.execute(registry.get("info"), path, None, {"verbose": True})
    data = json.loads(json.dumps(result.data))  # always serialisable
    japanese = path.name in JAPANESE
    options = DCMDUMP_OPTIONS.get(path.name, [] if japanese else ["+U8"])
    lines = dcmdump_lines(path, "-M", "+uc", "+Qn", *options)  # -M: large values unloaded
    assert lines, f"dcmdump read nothing from {path.name}"
    for d in lines:
        raw = _unquote(d["value"])
        d["value"] = decode_iso2022_jp(raw) if japanese else raw.decode("utf-8")
    dumped = {d["name"]: d for d in lines if d["depth"] == 0}
    for kw in KEYWORDS:
        ref = dumped.get(kw)
        if ref is None and kw == "SOPClassUID":  # info falls back to the meta's
            ref = dumped.get("MediaStorageSOPClassUID")
        if ref is None:
            assert data[kw] is None, kw
            continue
        theirs = ref["value"]
        if kw == "PatientName" and path.name in TRAILING_EMPTY_NAME_GROUP:
            theirs = theirs.rstrip("=")
        assert _exactly(data[kw], theirs), (kw, data[kw], theirs)
    assert data["FileSize"] == path.stat().st_size
    top = [d for d in lines if d["depth"] == 0 and not d["tag"].startswith(("(0002", "(FFFE"))]
    if "+U8" in options and "SpecificCharacterSet" not in dcmread(
        path, force=True, stop_before_pixels=True
    ):
        top = [d for d in top if d["tag"] != "(0008,0005)"]  # +U8 adds it (ISO_IR 192)
    # Private and unnamed elements are keyed by tag; dcmtk prefixes retired names.
    expected = [
        d["tag"]
        if int(d["tag"][1:5], 16) % 2 or d["name"] in ("GenericGroupLength", "Unknown Tag & Data")
        else d["name"].removeprefix("RETIRED_")
        for d in top
    ]
    assert list(data["Elements"]) == expected


def test_summary_tags_are_the_dictionarys():
    from dicom_tools.dicom.dictionary import tag_for
    from dicom_tools.ops.info import _SECTION_TAGS, SECTIONS

    keywords = [kw for kws in SECTIONS.values() for kw in kws]
    assert sorted(_SECTION_TAGS) == sorted(keywords)
    for kw, tag in _SECTION_TAGS.items():
        assert tag_for(kw) == tag, kw
