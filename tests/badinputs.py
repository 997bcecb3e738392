"""Bad inputs made by the tests themselves, for every operation's error handling."""

from __future__ import annotations

import random
import struct
import zlib
from pathlib import Path

from conftest import TEST_FILES


def _png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + data))
        return struct.pack(">I", len(data)) + kind + data + crc

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\x00"))
        + chunk(b"IEND", b"")
    )


def make_bad_inputs(folder: Path) -> dict[str, Path]:
    """Write one file per kind of bad input into ``folder``; returns name -> path."""
    ct = (TEST_FILES / "CT_small.dcm").read_bytes()
    rtplan = (TEST_FILES / "rtplan.dcm").read_bytes()
    item = rtplan.index(b"\xfe\xff\x00\xe0")  # first item of the first sequence
    rows = ct.index(b"\x28\x00\x10\x00US")  # (0028,0010), explicit VR little endian
    charset = ct.index(b"\x08\x00\x05\x00CS")  # (0008,0005)
    report = (TEST_FILES / "reportsi.dcm").read_bytes()  # sequences of undefined length
    nested = report.index(b"\xfe\xff\x00\xe0", report.index(b"\x40\x00\x30\xa7SQ") + 12)
    files = {
        "empty": b"",
        "text": b"hello, this is not DICOM\n",
        "random": random.Random(10).randbytes(4096),  # fixed: the same bytes every run
        "png": _png(),
        "truncated_meta": ct[:200],
        "truncated_header": ct[:1000],
        "truncated_pixels": ct[:30000],
        # Cut 3 bytes into an element header, inside Specific Character Set's value, and
        # inside an item of a sequence of undefined length (pydicom reads each as whole).
        "truncated_element_header": ct[: rows + 3],
        "truncated_charset": ct[: charset + 12],
        "truncated_item": report[: nested + 11],
        "broken_item_tag": rtplan[:item] + b"\x34\x12\x78\x56" + rtplan[item + 4 :],
        "broken_item_length": rtplan[: item + 4] + b"\xf0\xff\xff\x0f" + rtplan[item + 8 :],
        "json_malformed": b'{"00100010": {"vr": "PN", ',
        "json_not_dicom": b'{"foo": 1, "bar": [1, 2]}',
    }
    out = {}
    for name, data in files.items():
        p = folder / f"{name}.dcm"
        p.write_bytes(data)
        out[name] = p
    out["missing"] = folder / "does-not-exist.dcm"
    out["directory"] = folder
    return out
