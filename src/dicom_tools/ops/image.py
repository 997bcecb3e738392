"""to-image: render pixel data to PNG or JPEG through the modality, VOI and presentation LUTs."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

from dicom_tools.context import DEFAULT, Context
from dicom_tools.dicom.source import Source
from dicom_tools.errors import InputError, UsageError, option
from dicom_tools.io import atomic_output
from dicom_tools.result import Result

_JPEG_SUFFIXES = (".jpg", ".jpeg")


def to_image(
    input: Source | Path,
    output: Path,
    *,
    format: str = "png",
    frame: int | None = None,
    window_center: float | None = None,
    window_width: float | None = None,
    normalize: bool = False,
    disable_modality_lut: bool = False,
    disable_voi_lut: bool = False,
    force_8bit: bool = False,
    force_16bit: bool = False,
    window_per_frame: bool = False,
    device: str | None = None,
    context: Context = DEFAULT,
) -> Result:
    """Render ``input`` (a file, or a ``Source`` that may be held in memory) to ``output``
    (every frame of a multi-frame file unless ``frame``, frame N to ``<stem>_NNNN``, N counted
    from 0 as ``frame`` is); the device is the option, else the context's.

    Frames the file gives no window (and every frame with ``normalize``) are windowed by one
    min/max over all the frames written, found in a first pass over the frames one at a time,
    so that a cine loop does not flicker; ``window_per_frame`` uses each frame's own min/max.
    """
    # Heavy imports here, not at module level: the CLI imports nothing of this for other verbs.
    from dicom_tools.dicom.pixels import open_pixels
    from dicom_tools.imaging.backend import array_module, resolve_device
    from dicom_tools.imaging.render import Renderer, RenderSettings

    fmt = (format or "png").lower()
    if fmt == "jpg":
        fmt = "jpeg"
    if fmt not in ("png", "jpeg"):
        raise UsageError(f"unknown format {format!r} (choose png or jpeg)")
    output = Path(output)
    if fmt == "png" and output.suffix.lower() in _JPEG_SUFFIXES:
        fmt = "jpeg"  # "-o x.jpg": the name says what the user wants
    elif fmt == "jpeg" and output.suffix.lower() == ".png":
        output = output.with_suffix(".jpg")  # the inferred default name is <stem>.png
    window = _check_options(
        fmt, window_center, window_width, normalize, disable_voi_lut, force_8bit, force_16bit
    )
    if window is not None and window_per_frame:
        raise UsageError(f"an explicit window and {option('window_per_frame')} exclude each other")
    bits = 16 if force_16bit else 8
    device = device or context.device
    xp = array_module(device)

    src = open_pixels(input)
    if frame is not None:
        src.check_frame(frame)
    settings = RenderSettings(
        window=window,
        normalize=normalize,
        disable_modality_lut=disable_modality_lut,
        disable_voi_lut=disable_voi_lut,
        bits=bits,
    )
    renderer = Renderer(src, settings, xp)
    if bits == 16 and renderer.is_color:
        raise UsageError(
            f"{input}: {option('force_16bit')} writes 16-bit grayscale; "
            f"this is a {src.photometric} image"
        )
    # The grayscale pipeline's options have no meaning for colour; say so rather than fail.
    ignored = [
        name
        for name, given in (
            ("window_center", window_center is not None),
            ("window_width", window_width is not None),
            ("normalize", normalize),
            ("disable_modality_lut", disable_modality_lut),
            ("disable_voi_lut", disable_voi_lut),
        )
        if given and renderer.is_color
    ]

    if frame is not None:
        indices = [frame]
        frames = iter([src.frame(frame)])
        targets = [output]
    else:
        indices = list(range(src.frames))
        frames = src.iter_frames() if src.frames > 1 else iter([src.frame(0)])
        targets = [output] if src.frames == 1 else _frame_names(output, src.frames)

    if not window_per_frame and len(indices) > 1 and any(map(renderer.uses_min_max, indices)):
        # One window for the whole loop: a first pass for the min/max, one frame in memory.
        renderer.scan(zip(indices, src.iter_frames(), strict=False))
        frames = src.iter_frames()

    per_frame: list[dict[str, Any]] = []
    _write_all(targets, indices, frames, renderer, fmt, per_frame)

    device_used = "gpu" if xp.__name__ == "cupy" else "cpu"
    data: dict[str, Any] = {
        "input": str(input),
        "format": fmt,
        "photometric": src.photometric,
        "number_of_frames": src.frames,
        "frames_written": len(targets),
        "bit_depth": bits,
        "device": device_used,
        "requested_device": resolve_device(device),
        "output_files": [str(t) for t in targets],
        "frames": per_frame,
    }
    if ignored:
        data["ignored_options"] = ignored  # grayscale options given for a colour image
    text = "\n".join(_line(src.frames, f) for f in per_frame)
    return Result(data=data, text=text, output_files=[str(t) for t in targets])


def _check_options(
    fmt: str,
    center: float | None,
    width: float | None,
    normalize: bool,
    disable_voi_lut: bool,
    force_8bit: bool,
    force_16bit: bool,
) -> Any:
    from dicom_tools.imaging.lut import Window

    if force_8bit and force_16bit:
        raise UsageError(f"{option('force_8bit')} and {option('force_16bit')} exclude each other")
    if force_16bit and fmt == "jpeg":
        raise UsageError(f"{option('force_16bit')} needs PNG output: JPEG output is 8-bit")
    if (center is None) != (width is None):
        raise UsageError(
            f"{option('window_center')} and {option('window_width')} go together: "
            "give both or neither"
        )
    if center is None:
        return None
    if normalize or disable_voi_lut:
        other = option("normalize" if normalize else "disable_voi_lut")
        raise UsageError(f"an explicit window and {other} exclude each other")
    if not width >= 1:  # type: ignore[operator]
        raise UsageError(f"{option('window_width')} must be at least 1 (got {width:g})")
    return Window(float(center), float(width), "LINEAR", "option")  # type: ignore[arg-type]


def _frame_names(output: Path, count: int) -> list[Path]:
    """<stem>_0000<suffix> ... for every frame: file _N holds the frame ``frame=N`` selects
    (numbered from 0, as dcmj2pnm's default frame counter), at least 4 digits."""
    digits = max(4, len(str(count - 1)))
    return [output.with_name(f"{output.stem}_{i:0{digits}d}{output.suffix}") for i in range(count)]


def _write_all(
    targets: list[Path],
    indices: list[int],
    frames: Any,
    renderer: Any,
    fmt: str,
    per_frame: list[dict[str, Any]],
) -> None:
    """Render and write every frame to a temporary file; rename them all only at the end.

    If any frame fails, every temporary is removed and no output file appears; if a rename
    fails, the frames already renamed are removed too.
    """
    pairs: list[tuple[Path, Path]] = []
    encoded = False
    try:
        with contextlib.ExitStack() as stack:
            for target, index, stored in zip(targets, indices, frames, strict=False):
                rendered = renderer.render(index, stored)
                tmp = stack.enter_context(atomic_output(target))
                pairs.append((tmp, target))
                _save(rendered, tmp, fmt)
                per_frame.append(_frame_info(target, index, rendered, fmt))
            if len(pairs) != len(targets):
                raise InputError(
                    f"{renderer.src.name}: pixel data holds {len(pairs)} of {len(targets)} frames"
                )
            encoded = True
    except BaseException:
        if encoded:
            for tmp, target in pairs:
                if not tmp.exists():
                    with contextlib.suppress(OSError):
                        target.unlink()
        raise


def _save(rendered: Any, path: Path, fmt: str) -> None:
    from PIL import Image

    image = Image.fromarray(rendered.pixels)  # uint8 -> L/RGB, uint16 -> I;16
    if fmt == "jpeg":
        # quality 90, dcmj2pnm's default
        image.save(path, format="JPEG", quality=90)
    else:
        image.save(path, format="PNG", compress_level=_PNG_LEVEL)


# zlib level 1 is several times faster than the default 6 and ~10-20 % larger for images.
_PNG_LEVEL = 1


def _frame_info(target: Path, index: int, rendered: Any, fmt: str) -> dict[str, Any]:
    rows, cols = rendered.pixels.shape[:2]
    bits = 16 if rendered.mode == "I;16" else 8
    info = {
        "frame": index,
        "file": str(target),
        "width": int(cols),
        "height": int(rows),
        "bit_depth": bits,
        "mode": {"L": "grayscale", "I;16": "grayscale", "RGB": "rgb"}[rendered.mode],
    }
    info.update(rendered.info)
    return info


def _line(total: int, f: dict[str, Any]) -> str:
    what = f"{f['width']}x{f['height']} {f['bit_depth']}-bit {f['mode']}"
    voi = f.get("voi")
    if voi and "center" in voi:
        source = voi["source"]
        if voi.get("min_max_of") == "all frames":
            source += " of all frames"
        what += f", window {voi['center']:g}/{voi['width']:g} ({source})"
    elif voi and "lut" in voi:
        what += ", VOI LUT"
    elif voi:
        what += ", no VOI"
    if f.get("inverted"):
        what += ", inverted"
    frame = f" frame {f['frame']}" if total > 1 else ""
    return f"{f['file']}:{frame} {what}"
