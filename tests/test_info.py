"""info: values checked against dcmtk's dcmdump, JSON shape, and pixel data left unread."""

from __future__ import annotations

import json
import math
import struct
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import corpus_file, corpus_files, dcmdump_lines, run_cli

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
    """The peak resident memory of a fresh interpreter that runs ``code``, in MB."""
    script = "\n".join([*code, "import resource", "print(resource.getrusage(0).ru_maxrss)"])
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return int(proc.stdout.split()[-1]) / 1024


def test_info_does_not_read_pixel_data(tmp_path):
    """info on a file with 1 GB of pixel data: the value is neither read nor mapped in."""
    path = big_sparse_file(tmp_path, 1 << 30)
    code = f"from dicom_tools.ops.info import info; r = info({str(path)!r}, verbose=True)"
    peak = peak_rss_mb(code, "assert r.data['Elements']['PixelData'].endswith('not read>')")
    assert peak < 200, f"{peak:.0f} MB"


def test_info_whole_corpus_in_process():
    spec = registry.get("info")
    for path in corpus_files():
        result = registry.execute(spec, path, None, {"verbose": True})
        json.dumps(result.data)  # always serialisable
