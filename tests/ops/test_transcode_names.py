"""transcode without -o names its output after the target (issue 11): <stem>_rle.dcm,
_jpegls.dcm, _jpeg2000.dcm, _deflated.dcm..., and _explicit.dcm for the default target, the
seed contract's inference; the same name inside a folder given with -o DIR."""

from __future__ import annotations

import shutil
from pathlib import Path

import pydicom
import pytest
from conftest import corpus_file, run_cli

from dicom_tools import registry
from dicom_tools.dicom import syntaxes
from dicom_tools.errors import UsageError

# The names the issue asks for, by what the user types.
ISSUE_NAMES = {
    "rle": "ct_rle.dcm",
    "jpeg-ls": "ct_jpegls.dcm",
    "JPEGLSLossless": "ct_jpegls.dcm",
    "jpeg2000": "ct_jpeg2000.dcm",
    "deflate": "ct_deflated.dcm",
    "explicit-vr-little-endian": "ct_explicit.dcm",
}
SPEC = registry.get("transcode")


@pytest.fixture
def ct(tmp_path) -> Path:
    path = tmp_path / "ct.dcm"
    shutil.copy(corpus_file("CT_small.dcm"), path)
    return path


@pytest.mark.parametrize(("typed", "name"), ISSUE_NAMES.items())
def test_inferred_name_follows_the_target(ct, typed, name):
    assert SPEC.infer_output(ct, None, {"transfer_syntax": typed}) == ct.with_name(name)
    folder = ct.parent / "out"
    folder.mkdir()
    assert SPEC.infer_output(ct, folder, {"transfer_syntax": typed}) == folder / name


def test_default_target_keeps_the_contract_name(ct):
    assert SPEC.infer_output(ct, None, {}) == ct.with_name("ct_explicit.dcm")
    assert SPEC.infer_output(ct, None) == ct.with_name("ct_explicit.dcm")  # old signature


def test_every_named_syntax_has_its_own_name():
    suffixes = [s.suffix for s in syntaxes.NAMED]
    assert len(set(suffixes)) == len(suffixes)
    assert all(s.isidentifier() and s == s.lower() for s in suffixes)


def test_unknown_target_is_a_usage_error_listing_the_names(ct):
    with pytest.raises(UsageError) as err:
        SPEC.infer_output(ct, None, {"transfer_syntax": "jpeg9000"})
    assert "jpeg-ls-lossless" in str(err.value)


def test_cli_writes_the_inferred_names(ct):
    for typed in ("rle", "jpeg-ls"):
        proc = run_cli("transcode", ct, "--syntax", typed)
        assert proc.returncode == 0, proc.stderr
    out = ct.parent / "folder"
    out.mkdir()
    proc = run_cli("transcode", ct, "-o", out, "--syntax", "deflate")
    assert proc.returncode == 0, proc.stderr
    assert (out / "ct_deflated.dcm").is_file()
    uids = {
        "ct_rle.dcm": syntaxes.RLE_LOSSLESS,
        "ct_jpegls.dcm": syntaxes.JPEG_LS_LOSSLESS,
        "folder/ct_deflated.dcm": syntaxes.DEFLATED,
    }
    for name, uid in uids.items():
        meta = pydicom.dcmread(ct.parent / name, stop_before_pixels=True).file_meta
        assert meta.TransferSyntaxUID == uid


def test_contract_request_infers_the_same_name(ct):
    result = registry.execute(SPEC, ct, None, {"transfer_syntax": "rle"})
    assert result.output_files == [str(ct.with_name("ct_rle.dcm"))]
    # An instance held in memory, written into a folder, is named the same way.
    folder = ct.parent / "mem"
    folder.mkdir()
    data = ct.read_bytes()
    result = registry.execute(SPEC, data, folder, {"transfer_syntax": "jpegls"})
    assert Path(result.output_files[0]).name == "instance_jpegls.dcm"
