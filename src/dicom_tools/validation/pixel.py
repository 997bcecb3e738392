"""Image Pixel module consistency (PS3.3 C.7.6.3, PS3.5 8 and A.4): the pixel description
attributes agree with each other and with the Pixel Data value or its fragments."""

from __future__ import annotations

import struct

from dicom_tools.dicom.pixels import PHOTOMETRIC_SAMPLES as _SAMPLES
from dicom_tools.dicom.reader import Element, ParsedFile
from dicom_tools.dicom.tags import DOUBLE_FLOAT_PIXEL_DATA, FLOAT_PIXEL_DATA, PIXEL_DATA
from dicom_tools.validation.decode import Values
from dicom_tools.validation.findings import Findings

MODULE = "image-pixel"
_FLOAT_PIXELS = {
    FLOAT_PIXEL_DATA: ("FloatPixelData", 4),
    DOUBLE_FLOAT_PIXEL_DATA: ("DoubleFloatPixelData", 8),
}
_TAGS = {
    "SamplesPerPixel": 0x00280002,
    "PhotometricInterpretation": 0x00280004,
    "NumberOfFrames": 0x00280008,
    "Rows": 0x00280010,
    "Columns": 0x00280011,
    "BitsAllocated": 0x00280100,
    "BitsStored": 0x00280101,
    "HighBit": 0x00280102,
    "PixelRepresentation": 0x00280103,
    "ExtendedOffsetTable": 0x7FE00001,
}


class _Report:
    def __init__(self, findings: Findings) -> None:
        self.findings = findings

    def error(self, keyword: str, code: str, message: str, severity: str = "error") -> None:
        tag = _TAGS.get(keyword) or (PIXEL_DATA if keyword == "PixelData" else None)
        self.findings.add(severity, code, message, tag=tag, keyword=keyword, module=MODULE)


def check_pixels(pf: ParsedFile, values: Values, findings: Findings) -> None:
    ds = pf.dataset
    report = _Report(findings)
    pixel_tag = next((t for t in (PIXEL_DATA, *_FLOAT_PIXELS) if t in ds), None)
    if pixel_tag is None:
        return

    def number(keyword: str) -> int | None:
        n = values.number(ds, _TAGS[keyword])
        return int(n) if isinstance(n, int | float) else None

    rows, cols = number("Rows"), number("Columns")
    samples = number("SamplesPerPixel")
    allocated, stored, high = number("BitsAllocated"), number("BitsStored"), number("HighBit")
    photometric = values.text(ds, _TAGS["PhotometricInterpretation"])
    frames_el = ds.get(_TAGS["NumberOfFrames"])
    frames = number("NumberOfFrames") if frames_el is not None else 1

    for name, value in (("Rows", rows), ("Columns", cols)):
        if value == 0:
            report.error(name, "bad-pixel-module", f"{name} is 0")
    if samples is not None and samples not in (1, 3, 4):
        report.error("SamplesPerPixel", "bad-pixel-module", f"Samples per Pixel {samples}")
    if photometric and samples is not None and _SAMPLES.get(photometric, samples) != samples:
        report.error(
            "PhotometricInterpretation",
            "bad-pixel-module",
            f"{photometric} needs {_SAMPLES[photometric]} sample(s) per pixel, "
            f"Samples per Pixel is {samples}",
        )
    if allocated is not None and allocated != 1 and (allocated <= 0 or allocated % 8):
        report.error("BitsAllocated", "bad-pixel-module", f"Bits Allocated {allocated}")
    if stored is not None and allocated is not None and not 1 <= stored <= allocated:
        report.error(
            "BitsStored",
            "bad-pixel-module",
            f"Bits Stored {stored} is not between 1 and Bits Allocated ({allocated})",
        )
    if high is not None and stored is not None and high != stored - 1:
        report.error(
            "HighBit", "bad-pixel-module", f"High Bit {high} is not Bits Stored - 1 ({stored - 1})"
        )
    if frames_el is not None and (frames is None or frames < 1):
        report.error("NumberOfFrames", "bad-pixel-module", "Number of Frames is not 1 or more")
        frames = None
    per_frame = ds.get(0x52009230)
    if per_frame is not None and per_frame.items is not None and frames is not None:  # noqa: SIM102
        if len(per_frame.items) != frames:
            findings.error(
                "bad-frame-count",
                f"{len(per_frame.items)} Per-Frame Functional Groups item(s) for {frames} frame(s)",
                tag=0x52009230,
                keyword="PerFrameFunctionalGroupsSequence",
                module="multi-frame-functional-groups",
            )

    pixels = ds.by_tag[pixel_tag]
    if pixel_tag in _FLOAT_PIXELS:
        name, size = _FLOAT_PIXELS[pixel_tag]
        if None not in (rows, cols, samples, frames) and pixels.fragments is None:
            expected = rows * cols * samples * frames * size  # type: ignore[operator]
            if pixels.length != expected:
                report.error(name, "bad-pixel-length", _length_text(pixels.length, expected))
        return
    if pixels.fragments is not None:
        if pixels.explicit and pixels.vr != "OB":
            # PS3.5 A.4 asks for OB; dciodvfy and decoders accept OW, so only a warning.
            report.error(
                "PixelData",
                "bad-vr",
                f"encapsulated Pixel Data has VR {pixels.vr}, not OB",
                "warning",
            )
        _check_fragments(pf, values, pixels, frames, report)
        return
    if pixels.explicit and pixels.vr == "OB" and allocated is not None and allocated > 8:
        report.error(
            "PixelData",
            "bad-vr",
            f"native Pixel Data with Bits Allocated {allocated} must be OW, not OB",
        )
    if None in (rows, cols, samples, allocated, frames):
        return  # the missing attributes are reported by the IOD checks
    bits = rows * cols * samples * allocated * frames  # type: ignore[operator]
    if photometric in ("YBR_FULL_422", "YBR_PARTIAL_422"):
        bits = bits * 2 // 3  # two chroma samples are shared by each pair of pixels
    expected = (bits + 7) // 8
    if pixels.length not in (expected, expected + (expected & 1)):
        report.error("PixelData", "bad-pixel-length", _length_text(pixels.length, expected))


def _length_text(actual: int, expected: int) -> str:
    pad = " (+1 padding byte)" if expected & 1 else ""
    return (
        f"Pixel Data is {actual} bytes, Rows x Columns x Samples x Bits x Frames gives "
        f"{expected}{pad}"
    )


def _check_fragments(
    pf: ParsedFile, values: Values, pixels: Element, frames: int | None, report: _Report
) -> None:
    fragments = pixels.fragments or []
    if not fragments:
        report.error(
            "PixelData", "bad-fragments", "encapsulated Pixel Data has no Basic Offset Table item"
        )
        return
    (bot_pos, bot_length), data = fragments[0], fragments[1:]
    if not data:
        report.error("PixelData", "bad-fragments", "encapsulated Pixel Data has no fragments")
        return
    for i, (_, length) in enumerate(data, 1):
        if length & 1:
            report.error("PixelData", "bad-fragments", f"fragment {i} has odd length {length}")
            break
    if frames is not None and len(data) < frames:
        report.error(
            "PixelData",
            "bad-fragments",
            f"{len(data)} fragment(s) for {frames} frame(s): each frame needs its own",
        )
    has_eot = 0x7FE00001 in pf.dataset
    if bot_length and has_eot:
        report.error(
            "ExtendedOffsetTable",
            "bad-fragments",
            "Basic Offset Table must be empty when an Extended Offset Table is present",
        )
    if not bot_length:
        return
    if bot_length % 4:
        report.error("PixelData", "bad-fragments", f"Basic Offset Table length {bot_length}")
        return
    buffer = pf.buffer
    order = "<" if pixels.le else ">"
    offsets = struct.unpack(
        f"{order}{bot_length // 4}L", bytes(buffer[bot_pos : bot_pos + bot_length])
    )
    if frames is not None and len(offsets) != frames:
        report.error(
            "PixelData",
            "bad-fragments",
            f"Basic Offset Table has {len(offsets)} offset(s) for {frames} frame(s)",
        )
    first = data[0][0] - 8  # offsets count from the first fragment's item tag
    starts = {pos - 8 - first for pos, _ in data}
    if any(o not in starts for o in offsets) or list(offsets) != sorted(offsets):
        report.error(
            "PixelData",
            "bad-fragments",
            "Basic Offset Table offsets do not point at fragment starts in ascending order",
        )
