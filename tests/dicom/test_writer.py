"""The one Part 10 writer and File Meta builder against pydicom's dcmwrite, dcmdump and the
standard's layout of group 0002 (PS3.10 7.1), for every transfer syntax family it writes."""

from __future__ import annotations

import struct
import subprocess
import zlib
from pathlib import Path

import pydicom
import pytest
from conftest import corpus_file, require_tool

from dicom_tools.dicom import syntaxes, writer
from dicom_tools.ops.anonymize import anonymize
from dicom_tools.ops.transcode import transcode

NATIVE = [s for s in syntaxes.NAMED if s.native]


def _meta_group(data: bytes) -> tuple[dict[int, bytes], int]:
    """Group 0002 parsed from the bytes (Explicit VR LE, PS3.10 7.1) and where it ends."""
    assert data[128:132] == b"DICM"
    pos, out = 132, {}
    while True:
        group, elem, vr = struct.unpack_from("<HH2s", data, pos)
        if group != 2:
            return out, pos
        if vr in (b"OB", b"OW", b"UN", b"SQ", b"UT"):
            (length,) = struct.unpack_from("<L", data, pos + 8)
            start = pos + 12
        else:
            (length,) = struct.unpack_from("<H", data, pos + 6)
            start = pos + 8
        out[(group << 16) | elem] = data[start : start + length]
        pos = start + length


@pytest.mark.parametrize("syntax", NATIVE, ids=lambda s: s.name)
def test_same_bytes_as_pydicom_dcmwrite(syntax, tmp_path):
    ds = pydicom.dcmread(corpus_file("CT_small.dcm"))
    ds.file_meta = writer.file_meta(
        syntax.uid, sop_class=ds.SOPClassUID, sop_instance=ds.SOPInstanceUID
    )
    ours = tmp_path / "ours.dcm"
    writer.write_part10(ds, ours)
    theirs = tmp_path / "theirs.dcm"
    pydicom.dcmwrite(
        theirs,
        ds,
        enforce_file_format=True,
        implicit_vr=not syntax.explicit_vr,
        little_endian=syntax.little_endian,
    )
    assert ours.read_bytes() == theirs.read_bytes()
    assert writer.part10_bytes(ds) == ours.read_bytes()


def test_group_length_and_elements(tmp_path):
    """What PS3.10 7.1 asks for, read from the bytes: every Type 1 element, a true length."""
    ds = pydicom.dcmread(corpus_file("MR_small.dcm"))
    ds.file_meta = writer.file_meta(
        syntaxes.DEFLATED, sop_class=ds.SOPClassUID, sop_instance=ds.SOPInstanceUID
    )
    data = writer.part10_bytes(ds)
    meta, end = _meta_group(data)
    (length,) = struct.unpack("<L", meta[0x00020000])
    assert length == end - (132 + 12)  # after the group length element itself
    assert meta[0x00020001] == b"\x00\x01"
    assert meta[0x00020002].rstrip(b"\0").decode() == ds.SOPClassUID
    assert meta[0x00020003].rstrip(b"\0").decode() == ds.SOPInstanceUID
    assert meta[0x00020010].rstrip(b"\0").decode() == syntaxes.DEFLATED
    assert meta[0x00020012].decode().startswith("2.25.")
    assert meta[0x00020013].rstrip(b" ").decode().startswith("DICOMTOOLS_")
    # Deflated: the rest is a raw deflate stream of the data set (PS3.5 A.5).
    body = zlib.decompressobj(-zlib.MAX_WBITS).decompress(data[end:])
    assert struct.unpack_from("<HH", body, 0)[0] == 0x0008


def test_transcode_and_anonymize_write_one_meta(tmp_path):
    """Both operations' files name the same implementation and pass dcmdump without a word."""
    src = corpus_file("CT_small.dcm")
    outputs = [tmp_path / "t.dcm", tmp_path / "a.dcm"]
    transcode(src, outputs[0], transfer_syntax="implicit")
    anonymize(src, outputs[1])
    dcmdump = require_tool("dcmdump")
    metas = []
    for out in outputs:
        proc = subprocess.run([dcmdump, str(out)], capture_output=True, text=True)
        assert proc.returncode == 0 and proc.stderr == "", proc.stderr
        meta, _ = _meta_group(out.read_bytes())
        metas.append((meta[0x00020001], meta[0x00020012], meta[0x00020013]))
    assert metas[0] == metas[1]


def test_to_a_binary_file_object(tmp_path):
    ds = pydicom.dcmread(corpus_file("rtplan.dcm"))
    ds.file_meta = writer.file_meta(syntaxes.EXPLICIT_LE, base=ds.file_meta)
    path = tmp_path / "x.dcm"
    with open(path, "wb") as f:
        writer.write_part10(ds, f)
    assert Path(path).read_bytes() == writer.part10_bytes(ds)
    assert pydicom.dcmread(path).SOPInstanceUID == ds.SOPInstanceUID
