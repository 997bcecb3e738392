"""Accept negotiation (PS3.18 8.7): the headers real clients send."""

from __future__ import annotations

import pytest

from dicom_tools.dicom import syntaxes as S
from dicom_tools.dicomweb.mediatype import format_media_type, parse_accept, parse_media_type
from dicom_tools.dicomweb.negotiate import (
    Choice,
    choose_bulkdata,
    choose_frames,
    choose_instances,
    choose_json,
    choose_rendered,
)

OHIF_FRAMES = "multipart/related; type=application/octet-stream; transfer-syntax=*"


def test_parse_accept_orders_by_q_then_position_and_drops_q0():
    ranges = parse_accept('image/png;q=0.5, multipart/related; type="a,b;c", */*;q=0, image/jpeg')
    assert [r.media_type for r in ranges] == ["multipart/related", "image/jpeg", "image/png"]
    assert ranges[0].type_param == "a,b;c"


def test_media_type_round_trip():
    text = format_media_type("multipart/related", {"type": "application/dicom", "boundary": "x"})
    assert text == 'multipart/related; type="application/dicom"; boundary=x'
    assert parse_media_type(text) == (
        "multipart/related",
        {"type": "application/dicom", "boundary": "x"},
    )


@pytest.mark.parametrize(
    "stored,expected",
    [
        (S.EXPLICIT_LE, Choice("application/octet-stream", S.EXPLICIT_LE, True)),
        (S.IMPLICIT_LE, Choice("application/octet-stream", S.IMPLICIT_LE, True)),
        (S.JPEG_LS_LOSSLESS, Choice("image/jls", S.JPEG_LS_LOSSLESS, True)),
        (S.JPEG_BASELINE, Choice("image/jpeg", S.JPEG_BASELINE, True)),
        (S.RLE_LOSSLESS, Choice("image/dicom-rle", S.RLE_LOSSLESS, True)),
        (S.JPEG2000_LOSSLESS, Choice("image/jp2", S.JPEG2000_LOSSLESS, True)),
    ],
)
@pytest.mark.parametrize("accept", [OHIF_FRAMES, "*/*", 'multipart/related; type="*/*"', None])
def test_frames_as_stored_for_ohif_and_wildcards(accept, stored, expected):
    assert choose_frames(accept, stored) == expected


def test_frames_octet_stream_without_syntax_asks_for_decoded():
    accept = 'multipart/related; type="application/octet-stream"'
    assert choose_frames(accept, S.JPEG_LS_LOSSLESS) == Choice(
        "application/octet-stream", S.EXPLICIT_LE, True
    )
    assert choose_frames('multipart/related; type="image/jpeg"', S.RLE_LOSSLESS) is None
    assert choose_frames("multipart/related; type=image/x-jls", S.JPEG_LS_LOSSLESS) == Choice(
        "image/x-jls", S.JPEG_LS_LOSSLESS, True
    )
    assert choose_frames("application/json", S.EXPLICIT_LE) is None


def test_instances():
    dicom = 'multipart/related; type="application/dicom"'
    assert choose_instances(dicom, S.RLE_LOSSLESS, allow_single=False) == Choice(
        "application/dicom", S.EXPLICIT_LE, True
    )
    assert choose_instances(dicom + "; transfer-syntax=*", S.RLE_LOSSLESS, allow_single=False) == (
        Choice("application/dicom", S.RLE_LOSSLESS, True)
    )
    assert choose_instances("*/*", S.RLE_LOSSLESS, allow_single=False) == Choice(
        "application/dicom", S.RLE_LOSSLESS, True
    )
    assert choose_instances("application/dicom", S.EXPLICIT_LE, allow_single=True) == Choice(
        "application/dicom", S.EXPLICIT_LE, False
    )
    assert choose_instances("application/dicom", S.EXPLICIT_LE, allow_single=False) is None
    assert choose_instances("application/zip", S.EXPLICIT_LE, allow_single=False).media_type == (
        "application/zip"
    )
    # a lossy target is never made on retrieval; the next choice is taken
    lossy = f"{dicom}; transfer-syntax={S.JPEG_BASELINE}, {dicom}; transfer-syntax=*;q=0.5"
    assert choose_instances(lossy, S.EXPLICIT_LE, allow_single=False) == Choice(
        "application/dicom", S.EXPLICIT_LE, True
    )
    assert (
        choose_instances(f"{dicom}; transfer-syntax=1.2.3", S.EXPLICIT_LE, allow_single=False)
        is None
    )
    assert choose_instances("image/png", S.EXPLICIT_LE, allow_single=True) is None


def test_json_rendered_bulkdata():
    assert choose_json("application/dicom+json").media_type == "application/dicom+json"
    assert choose_json("application/json, application/dicom+json").media_type == (
        "application/dicom+json"
    )
    assert choose_json("application/dicom+xml") is None
    assert choose_json("application/dicom+xml", xml=True).media_type == "application/dicom+xml"
    assert choose_json(None).media_type == "application/dicom+json"
    assert choose_rendered("*/*").media_type == "image/jpeg"
    assert choose_rendered("image/png").media_type == "image/png"
    assert choose_rendered("application/dicom") is None
    assert choose_bulkdata('multipart/related; type="application/octet-stream"').multipart
    assert not choose_bulkdata("application/octet-stream").multipart
    assert choose_bulkdata("image/jpeg") is None
