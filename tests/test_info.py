"""info: values checked against dcmtk's dcmdump, JSON shape, and pixel data left unread."""

from __future__ import annotations

import json
import math

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


def test_info_does_not_read_pixel_data(tmp_path, monkeypatch):
    """Reading for info must not pull the pixel data value into memory."""
    import pydicom.filereader as fr

    reads: list[int] = []
    real_open = open

    class Spy:
        def __init__(self, f):
            self._f = f

        def read(self, n=-1):
            data = self._f.read(n)
            reads.append(len(data))
            return data

        def __getattr__(self, name):
            return getattr(self._f, name)

        def __enter__(self):
            return self

        def __exit__(self, *a):
            self._f.close()

    path = corpus_file("emri_small.dcm")  # 10 frames, ~80 kB of pixels
    monkeypatch.setattr(fr, "open", lambda *a, **k: Spy(real_open(*a, **k)), raising=False)
    registry.execute(registry.get("info"), path, None, {})
    pixel_bytes = 64 * 64 * 2 * 10
    assert max(reads) < pixel_bytes


def test_info_whole_corpus_in_process():
    spec = registry.get("info")
    for path in corpus_files():
        result = registry.execute(spec, path, None, {"verbose": True})
        json.dumps(result.data)  # always serialisable
