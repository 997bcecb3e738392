"""Encapsulated pixel data: every frame is decoded, one at a time, by every installed decoder of
the transfer syntax (PixelSource, dicom/pixels.py; the codec registry, dicom/codecs.py).

Decoders differ in what they notice: libjpeg-turbo (Pillow) decodes a JPEG whose entropy-coded
data is damaged (it only warns, as dcmdjpeg does) while libjpeg (pylibjpeg) rejects it, and the
reverse for a truncated codestream; CharLS (pyjpegls) rejects a truncated JPEG-LS scan that
pylibjpeg accepts. So a frame is an error when any decoder rejects its data. Two kinds of
rejection are not: a decoder that cannot handle the encoding at all (12-bit JPEG in Pillow), and
Pillow's JPEG 2000 reader when another decoder reads the frame (it rejects codestreams that
OpenJPEG and GDCM decode). A frame no installed decoder can handle is a warning: not checked.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from dicom_tools.dicom import syntaxes as S
from dicom_tools.dicom.tags import PIXEL_DATA
from dicom_tools.errors import DicomToolsError, MissingDependencyError
from dicom_tools.validation.findings import Findings

if TYPE_CHECKING:
    from dicom_tools.dicom.pixels import PixelSource
    from dicom_tools.dicom.source import Source

MODULE = "image-pixel"
_SHOWN = 5  # frames reported one by one; the rest are counted
# A decoder that cannot handle the encoding (not a verdict on the data).
_CANNOT = re.compile(r"does not support|not supported|read-only", re.IGNORECASE)
_J2K = frozenset(f"1.2.840.10008.1.2.4.{n}" for n in (90, 91, 92, 93, 201, 202, 203))


def check_frames(source: Source, findings: Findings) -> None:
    from dicom_tools.dicom.pixels import open_pixels

    where = {"tag": PIXEL_DATA, "keyword": "PixelData", "module": MODULE}
    try:
        src = open_pixels(source)
    except MissingDependencyError as exc:
        findings.warning("pixels-not-decoded", f"frames not checked: {_tail(exc)}", **where)
        return
    except DicomToolsError:
        return  # no pixel data, or a pixel module no decoder can follow: reported elsewhere
    if src.native:
        return  # nothing to decode; the length is checked with the Image Pixel module
    dec = src.decoder()
    preferred = _preferred(src)
    plugins = sorted(dec.available_plugins, key=lambda p: (p != preferred, p))
    failures: dict[int, dict[str, str]] = {}
    decoded: dict[int, set[str]] = {}
    for plugin in plugins:
        for index, error in _decode_all(src, dec, plugin):
            if error is None:
                decoded.setdefault(index, set()).add(plugin)
            else:
                failures.setdefault(index, {})[plugin] = error
    desc = S.describe(src.transfer_syntax)
    bad: list[tuple[int, str]] = []
    unchecked: list[int] = []
    for index in range(src.frames):
        ok = decoded.get(index, set())
        rejected = {
            p: msg
            for p, msg in failures.get(index, {}).items()
            if not _CANNOT.search(msg)
            and not (p == "pillow" and ok and src.transfer_syntax in _J2K)
        }
        if rejected:
            bad.append((index, "; ".join(f"{p}: {m}" for p, m in sorted(rejected.items()))))
        elif not ok:
            unchecked.append(index)
    for index, why in bad[:_SHOWN]:
        findings.error(
            "bad-pixel-data",
            f"frame {index} of {desc} pixel data cannot be decoded: {why}",
            **where,
        )
    if len(bad) > _SHOWN:
        findings.error(
            "bad-pixel-data", f"{len(bad) - _SHOWN} more frame(s) cannot be decoded", **where
        )
    if unchecked:
        reasons = "; ".join(sorted(set(failures.get(unchecked[0], {}).values())))
        findings.warning(
            "pixels-not-decoded",
            f"{len(unchecked)} frame(s) not checked: no installed decoder handles this "
            f"{desc} data ({reasons})",
            **where,
        )


def _preferred(src: PixelSource) -> str | None:
    from dicom_tools.dicom import codecs

    return codecs.decoder(src.transfer_syntax).preferred


def _failed(exc: BaseException) -> bool:
    # Rust decoders (pylibjpeg-rle) panic on some damaged input: pyo3's PanicException derives
    # from BaseException, so everything but an interruption counts as a failed frame.
    return not isinstance(exc, KeyboardInterrupt | SystemExit | GeneratorExit)


def _decode_all(src: PixelSource, dec: Any, plugin: str) -> Iterator[tuple[int, str | None]]:
    """(frame index, None or the error) for every frame, one frame in memory at a time. A
    decoder that fails part way is asked for each remaining frame on its own."""
    done = 0
    try:
        with src._source() as (data, opts), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for _ in dec.iter_array(data, raw=True, decoding_plugin=plugin, **opts):
                yield done, None
                done += 1
        if done < src.frames:
            yield done, f"the pixel data holds {done} frame(s), Number of Frames is {src.frames}"
        return
    except BaseException as exc:
        if not _failed(exc):
            raise
        yield done, _tail(exc)
    for index in range(done + 1, src.frames):
        try:
            with src._source() as (data, opts), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                dec.as_array(data, index=index, raw=True, decoding_plugin=plugin, **opts)
            yield index, None
        except BaseException as exc:
            if not _failed(exc):
                raise
            yield index, _tail(exc)


def _tail(exc: BaseException) -> str:
    """The decoder's own words: pydicom wraps them in 'exceptions were raised by all
    available plugins: ...', so the last line is the informative one."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    text = lines[-1] if lines else type(exc).__name__
    return re.sub(r"^\w+: ", "", text, count=1) if ":" in text[:20] else text
