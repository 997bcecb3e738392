"""WADO-RS frames (PS3.18 10.4.1.1.5): the frame list and each frame's bytes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from dicom_tools.dicomweb.mediatype import format_media_type
from dicom_tools.errors import UsageError

if TYPE_CHECKING:
    from dicom_tools.dicom.pixels import PixelSource
    from dicom_tools.dicom.source import Source
    from dicom_tools.dicomweb.negotiate import Choice

MAX_FRAMES_PER_REQUEST = 10_000


def parse_frame_list(text: str) -> list[int]:
    """``1,3,5`` to [1, 3, 5]: frame numbers count from 1 (PS3.18 8.1.1.1 ``{frameList}``)."""
    numbers: list[int] = []
    for piece in text.split(","):
        piece = piece.strip()
        if not piece.isdigit() or int(piece) < 1:
            raise UsageError(f"frame list {text[:60]!r}: frame numbers are integers from 1")
        numbers.append(int(piece))
    if not numbers or len(numbers) > MAX_FRAMES_PER_REQUEST:
        raise UsageError(f"frame list {text[:60]!r}: give 1 to {MAX_FRAMES_PER_REQUEST} frames")
    return numbers


def open_frames(source: Source, numbers: list[int]) -> PixelSource:
    """The instance's pixel source, with every requested frame checked to exist (a frame past
    the end is a UsageError: the caller answers 404, PS3.18 10.4.1.1.5 no such frame)."""
    from dicom_tools.dicom.pixels import open_pixels

    src = open_pixels(source)
    for n in numbers:
        src.check_frame(n - 1)
    return src


def frame_parts(
    src: PixelSource, numbers: list[int], choice: Choice
) -> Iterator[tuple[dict[str, str], list[bytes]]]:
    """(part headers, body) per frame in the negotiated representation: the stored bytes when
    the stored syntax was chosen, else the decoded frame (Explicit VR Little Endian layout)."""
    params = {"transfer-syntax": choice.transfer_syntax} if choice.transfer_syntax else {}
    ctype = format_media_type(choice.media_type, params)
    as_stored = choice.transfer_syntax == src.transfer_syntax
    for n in numbers:
        data = src.stored_frame(n - 1) if as_stored or src.native else None
        if data is None:
            arr = src.frame(n - 1)
            data = arr.astype(arr.dtype.newbyteorder("<"), copy=False).tobytes()
        yield {"Content-Type": ctype}, [data]
