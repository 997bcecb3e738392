"""multipart/related: our writer and streaming reader, against dicomweb-client's own encoder and
decoder (an independent implementation of the same RFC 2046 framing)."""

from __future__ import annotations

import asyncio
import os

import pytest
import requests
from dicomweb_client.api import DICOMwebClient

from dicom_tools.dicomweb.multipart import (
    MultipartError,
    aiter_parts,
    boundary_of,
    iter_parts,
    write_parts,
)

BODIES = [b"", b"x", os.urandom(70_000), b"\r\n--not-the-boundary\r\n" * 3, b"--\r\n\r\n"]


def _chunks(data: bytes, size: int) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]


def _read_all(body: bytes, boundary: str, size: int, **kw) -> list:
    parts = list(iter_parts(_chunks(body, size), boundary, **kw))
    out = [(p.headers, p.body.read() if p.body else None, p.error) for p in parts]
    for p in parts:
        p.close()
    return out


@pytest.mark.parametrize("size", [1, 7, 4096, 1 << 20])
def test_dicomweb_client_encoded_body_is_read_back(size):
    ctype = 'multipart/related; type="application/dicom"; boundary=0f3cf5c0-70e0'
    body = DICOMwebClient._encode_multipart_message(BODIES, ctype)
    got = _read_all(body, boundary_of(ctype), size)
    assert [g[1] for g in got] == BODIES
    assert all(g[0]["content-type"] == "application/dicom" for g in got)
    assert all(g[2] is None for g in got)


def test_our_body_is_read_by_dicomweb_client():
    boundary = "b0undary"
    parts = [({"Content-Type": "application/octet-stream"}, [b[:5], b[5:]]) for b in BODIES]
    body = b"".join(write_parts(parts, boundary))
    response = requests.models.Response()
    response._content = body
    response.headers["content-type"] = f"multipart/related; boundary={boundary}"
    client = DICOMwebClient("http://127.0.0.1:9")
    decoded = list(client._decode_multipart_message(response, stream=False))
    # dicomweb-client gives None for an empty part
    assert [d or b"" for d in decoded] == BODIES
    assert _read_all(body, boundary, 3)[1][1] == BODIES[1]


def test_async_reader_matches_sync():
    body = b"".join(
        write_parts([({"Content-Type": "application/dicom"}, [b]) for b in BODIES], "q")
    )

    async def stream():
        for c in _chunks(body, 5):
            yield c

    async def collect():
        return [p.body.read() async for p in aiter_parts(stream(), "q")]

    assert asyncio.run(collect()) == BODIES


def test_preamble_epilogue_padding_and_folded_headers():
    body = (
        b"preamble text\r\n--B  \t\r\nContent-Type: application/dicom;\r\n"
        b' transfer-syntax="1.2.840.10008.1.2.1"\r\n\r\nDATA\r\n--B--\r\nepilogue'
    )
    [(headers, data, error)] = _read_all(body, "B", 3)
    assert data == b"DATA" and error is None
    assert headers["content-type"] == 'application/dicom; transfer-syntax="1.2.840.10008.1.2.1"'


def test_truncated_body_raises():
    body = b"--B\r\nContent-Type: application/dicom\r\n\r\nDATA without its end"
    with pytest.raises(MultipartError, match="before its closing boundary"):
        _read_all(body, "B", 4)


def test_part_claiming_a_huge_length_fails_alone():
    body = (
        b"--B\r\nContent-Type: application/dicom\r\nContent-Length: 4294967296\r\n\r\nshort"
        b"\r\n--B\r\nContent-Type: application/dicom\r\nContent-Length: 4\r\n\r\ngood\r\n--B--"
    )
    got = _read_all(body, "B", 2)
    assert got[0][1] is None and "4294967296" in got[0][2]
    assert got[1][1:] == (b"good", None)


def test_part_over_the_limit_fails_alone():
    parts = [({"Content-Type": "application/dicom"}, [b]) for b in (b"x" * 100, b"ok")]
    body = b"".join(write_parts(parts, "B"))
    got = _read_all(body, "B", 9, max_part_bytes=50)
    assert got[0][1] is None and "limit of 50" in got[0][2]
    assert got[1][1] == b"ok"


def test_header_block_too_long_raises():
    body = b"--B\r\n" + b"X-A: " + b"a" * 20_000 + b"\r\n\r\nx\r\n--B--"
    with pytest.raises(MultipartError, match="too long"):
        _read_all(body, "B", 1000)


@pytest.mark.parametrize(
    "ctype,boundary",
    [
        ('multipart/related; type="application/dicom"; boundary="a b;c"', "a b;c"),
        ("Multipart/Related; BOUNDARY=xyz; type=application/dicom", "xyz"),
    ],
)
def test_boundary_of(ctype, boundary):
    assert boundary_of(ctype) == boundary


@pytest.mark.parametrize("ctype", [None, "application/dicom", "multipart/related; type=x"])
def test_boundary_of_refuses(ctype):
    with pytest.raises(MultipartError):
        boundary_of(ctype)
