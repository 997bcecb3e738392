"""validate decodes every frame of encapsulated pixel data: a corrupt codestream is an error
(exit 1) naming the frame, and dcmtk's decoder fails on the same file (the independent reference
that it is really corrupt); the files as shipped stay free of such errors."""

from __future__ import annotations

import re
import struct
import subprocess
from pathlib import Path

import pytest
from conftest import corpus_file, corpus_files, require_tool, run_cli

from dicom_tools.dicom.reader import parse_source
from dicom_tools.dicom.source import as_source
from dicom_tools.dicom.tags import PIXEL_DATA
from dicom_tools.validation import validate_file

# file -> the dcmtk decoder that reads its syntax
CASES = {
    "SC_rgb_jpeg_dcmtk.dcm": "dcmdjpeg",
    "JPEG2000.dcm": None,  # dcmtk has no JPEG 2000 decoder: gdcmconv is the reference
    "emri_small_jpeg_ls_lossless.dcm": "dcmdjpls",
    "emri_small_RLE.dcm": "dcmdrle",
    "SC_rgb_rle.dcm": "dcmdrle",
}


def _fragments(path: Path) -> list[tuple[int, int]]:
    pf = parse_source(as_source(path))
    try:
        return list(pf.dataset.by_tag[PIXEL_DATA].fragments[1:])  # after the offset table
    finally:
        pf.close()


def corrupt(src: Path, out: Path, how: str) -> Path:
    """The last fragment's bytes flipped in its middle, or the fragment cut to half its length
    (its item length rewritten: the file stays well-formed, dcmdump reads it)."""
    data = bytearray(src.read_bytes())
    pos, length = _fragments(src)[-1]
    if how == "flip":
        span = max(2, min(64, length // 4))
        start = pos + length // 2 - span // 2
        data[start : start + span] = bytes(b ^ 0xFF for b in data[start : start + span])
    else:
        new = (length // 2) & ~1
        data[pos - 4 : pos + length] = struct.pack("<I", new) + data[pos : pos + new]
    out.write_bytes(bytes(data))
    return out


# What the reference decoders say when they decode a damaged stream anyway (exit status 0):
# libjpeg's "Corrupt JPEG data", dcmdrle's "insufficient data", GDCM's "Invalid ...".
_COMPLAINT = re.compile(r"Corrupt JPEG data|insufficient data|Invalid")


def _fails(args: list[str]) -> bool:
    proc = subprocess.run(args, capture_output=True, text=True, timeout=120)
    return proc.returncode != 0 or bool(_COMPLAINT.search(proc.stdout + proc.stderr))


def _reference_fails(tool_name: str | None, path: Path, tmp_path: Path) -> bool:
    """dcmtk's decoder fails or complains; where it decodes the damaged stream silently (an RLE
    run that overruns its segment fills the frame), GDCM is asked too."""
    out = str(tmp_path / "ref.dcm")
    if tool_name is not None:
        # dcmdrle decodes every frame only when it writes a new instance (+ua)
        extra = ["+ua"] if tool_name == "dcmdrle" else []
        if _fails([require_tool(tool_name), *extra, str(path), out]):
            return True
    return _fails([require_tool("gdcmconv"), "--raw", str(path), out])


def _frame_errors(path: Path) -> list:
    return [f for f in validate_file(path).errors() if f.code == "bad-pixel-data"]


@pytest.mark.parametrize("name", sorted(CASES))
def test_shipped_files_decode_cleanly(name):
    assert _frame_errors(corpus_file(name)) == []


@pytest.mark.parametrize("how", ["flip", "truncate"])
@pytest.mark.parametrize("name", sorted(CASES))
def test_corrupt_codestream_is_an_error(tmp_path, name, how):
    path = corrupt(corpus_file(name), tmp_path / f"{how}.dcm", how)
    require_tool("dcmdump")
    assert subprocess.run(["dcmdump", "-q", str(path)], capture_output=True).returncode == 0
    assert _reference_fails(CASES[name], path, tmp_path)  # really corrupt
    found = _frame_errors(path)
    assert found
    last = len(_fragments(path)) - 1 if "emri" in name else 0  # one fragment per frame there
    assert any(f"frame {last} " in f.message for f in found)
    proc = run_cli("validate", path)
    assert proc.returncode == 1, proc.stderr
    assert "cannot be decoded" in proc.stdout


def test_no_corpus_file_has_undecodable_frames_that_a_reference_decodes(tmp_path):
    """Over the corpus, a frame error is only reported where GDCM fails to decode too."""
    tool = require_tool("gdcmconv")
    for path in corpus_files():
        if not _frame_errors(path):
            continue
        proc = subprocess.run(
            [tool, "--raw", str(path), str(tmp_path / "o.dcm")],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert proc.returncode != 0 or _COMPLAINT.search(proc.stderr + proc.stdout), path.name


def test_missing_decoder_is_a_warning(monkeypatch):
    from dicom_tools.dicom import pixels
    from dicom_tools.errors import MissingDependencyError

    def missing(self):
        raise MissingDependencyError("x.dcm: cannot decode JPEG 2000 pixel data; install it")

    monkeypatch.setattr(pixels.PixelSource, "decoder", missing)
    report = validate_file(corpus_file("JPEG2000.dcm"))
    assert [f.code for f in report.findings if f.code.startswith("pixels-")] == [
        "pixels-not-decoded"
    ]
    assert not [f for f in report.errors() if f.code == "bad-pixel-data"]
