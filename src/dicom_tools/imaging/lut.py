"""VOI, presentation, palette and output scaling: the math between modality values and pixels.

Every function takes the array module ``xp`` (numpy or cupy, from ``backend.array_module``) and
uses only the API both share. Windows follow PS3.3 C.11.2.1.2 (LINEAR) and C.11.2.1.3
(LINEAR_EXACT, SIGMOID); outputs are floats in ``0..ymax`` until ``to_output`` rounds them.
"""

from __future__ import annotations

from types import ModuleType
from typing import TYPE_CHECKING, Any, NamedTuple

from dicom_tools.dicom.pixels import little_endian as _little_endian
from dicom_tools.errors import InputError

if TYPE_CHECKING:
    from pydicom import Dataset

FUNCTIONS = ("LINEAR", "LINEAR_EXACT", "SIGMOID")


# NamedTuples, not dataclasses: a frozen dataclass costs ~1 ms to create, at every cold start.
class Window(NamedTuple):
    """A VOI window: center, width and VOI LUT Function."""

    center: float
    width: float
    function: str = "LINEAR"
    source: str = "file"  # file, frame, option, min-max, normalize

    def is_valid(self) -> bool:
        # LINEAR needs width >= 1 (PS3.3 C.11.2.1.2); the others any width > 0.
        return self.width >= 1 if self.function == "LINEAR" else self.width > 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "center": self.center,
            "width": self.width,
            "function": self.function,
            "source": self.source,
        }


class VoiTable(NamedTuple):
    """A VOI LUT from the VOI LUT Sequence: input ``first`` maps to ``data[0]``."""

    first: int
    data: Any  # numpy array of LUT entries
    bits: int
    explanation: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "lut": {
                "entries": len(self.data),
                "first": self.first,
                "bits": self.bits,
                "explanation": self.explanation,
            },
            "source": "voi-lut-sequence",
        }


def min_max_window(lo: float, hi: float, source: str = "min-max") -> Window:
    """The LINEAR window that maps ``lo`` to 0 and ``hi`` to ymax exactly.

    Supplement 33: center 2^n-1, width 2^n selects 0..2^n-1; dcmtk's +Wm uses the same window.
    """
    return Window(center=(lo + hi + 1) / 2, width=hi - lo + 1, function="LINEAR", source=source)


def apply_window(xp: ModuleType, x: Any, window: Window, ymax: float) -> Any:
    """Map modality values ``x`` through ``window`` to floats in 0..ymax."""
    x = xp.asarray(x, dtype=xp.float64)
    c, w = float(window.center), float(window.width)
    if window.function == "SIGMOID":
        return ymax / (1.0 + xp.exp(-4.0 * (x - c) / w))
    if window.function == "LINEAR_EXACT":
        y = ((x - c) / w + 0.5) * ymax
        return xp.clip(y, 0.0, ymax)
    # LINEAR: below c - 0.5 - (w-1)/2 -> 0, above c - 0.5 + (w-1)/2 -> ymax.
    if w <= 1:  # a width of 1 is a threshold at c - 0.5
        return xp.where(x <= c - 0.5, 0.0, float(ymax))
    y = ((x - (c - 0.5)) / (w - 1) + 0.5) * ymax
    return xp.clip(y, 0.0, ymax)


def apply_voi_table(xp: ModuleType, x: Any, table: VoiTable, ymax: float) -> Any:
    """Map values through a VOI LUT (PS3.3 C.11.2.1.1), scaling its range 0..2^bits-1."""
    lut = xp.asarray(table.data, dtype=xp.float64) * (ymax / float((1 << table.bits) - 1))
    idx = xp.clip(xp.floor(xp.asarray(x, dtype=xp.float64)) - table.first, 0, len(table.data) - 1)
    return lut[idx.astype(xp.int64)]


def scale_range(xp: ModuleType, x: Any, lo: float, hi: float, ymax: float) -> Any:
    """Linear scaling of the range lo..hi onto 0..ymax with no window (dcmtk's "no VOI").

    The range is split into ymax + 1 equal bins, as dcmtk does, so every output value is used
    equally often by a full-range input.
    """
    span = float(hi) - float(lo) + 1.0
    y = xp.floor((xp.asarray(x, dtype=xp.float64) - lo) * ((ymax + 1) / span))
    return xp.clip(y, 0.0, ymax)


def to_output(xp: ModuleType, y: Any, ymax: int, invert: bool) -> Any:
    """Round floats in 0..ymax to the output integer type, inverting for MONOCHROME1."""
    if invert:
        y = ymax - y
    out = xp.clip(xp.floor(y + 0.5), 0, ymax)
    return out.astype(xp.uint8 if ymax <= 0xFF else xp.uint16)


def is_inverted(ds: Dataset) -> bool:
    """Whether a viewer shows this grayscale image inverted (MONOCHROME1 or INVERSE shape)."""
    photometric = str(ds.get("PhotometricInterpretation", "") or "").strip().upper()
    shape = str(ds.get("PresentationLUTShape", "") or "").strip().upper()
    # For MONOCHROME1 the standard requires INVERSE (e.g. DX): one inversion, not two.
    return photometric == "MONOCHROME1" or shape == "INVERSE"


# -- finding the VOI of a frame ----------------------------------------------------------------


def _first(value: Any) -> float | None:
    """The first value of a possibly multi-valued DS element, or None."""
    if value is None or value == "":
        return None
    if not isinstance(value, str | bytes | int | float) and hasattr(value, "__len__"):
        if not len(value):
            return None
        value = value[0]
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _window_from(item: Dataset, source: str) -> Window | None:
    center = _first(item.get("WindowCenter"))
    width = _first(item.get("WindowWidth"))
    if center is None or width is None:
        return None
    function = str(item.get("VOILUTFunction", "") or "LINEAR").strip().upper()
    if function not in FUNCTIONS:
        function = "LINEAR"  # unknown functions: PS3.3 says LINEAR is the default
    window = Window(center, width, function, source)
    return window if window.is_valid() else None


def _table_from(item: Dataset, path: str, little: bool) -> VoiTable | None:
    import numpy as np

    desc = item.get("LUTDescriptor")
    data = item.get("LUTData")
    if desc is None or data is None or len(desc) < 3:
        return None
    entries = int(desc[0]) or 65536
    first = int(desc[1])
    bits = int(desc[2])
    if isinstance(data, bytes):
        # OW data is read as bytes; entries are 8 or 16 bits (PS3.3 C.11.2.1.1).
        dtype = np.dtype("<u2" if little else ">u2")
        values = (
            np.frombuffer(data, dtype=np.uint8)
            if len(data) == entries
            else np.frombuffer(data[: len(data) // 2 * 2], dtype=dtype)
        )
    else:
        values = np.asarray(data if isinstance(data, list | tuple) else [data], dtype=np.int64)
    values = np.asarray(values, dtype=np.int64)[:entries]
    if len(values) == 0:
        raise InputError(f"{path}: VOI LUT Sequence item has no LUT Data")
    # Descriptors with bits outside 8..16, or smaller than the data, are common; use the data.
    top = int(values.max()) if len(values) else 0
    if not 8 <= bits <= 16 or top >= (1 << bits):
        bits = max(8, min(16, top.bit_length()))
    explanation = str(item.get("LUTExplanation", "") or "")
    return VoiTable(first=first, data=values, bits=bits, explanation=explanation)


def _frame_group(ds: Dataset, index: int, keyword: str) -> Dataset | None:
    """The item of functional group ``keyword`` for frame ``index`` (per-frame, else shared)."""
    for seq_kw, pick in (
        ("PerFrameFunctionalGroupsSequence", index),
        ("SharedFunctionalGroupsSequence", 0),
    ):
        seq = ds.get(seq_kw)
        if not seq or pick >= len(seq):
            continue
        group = seq[pick].get(keyword)
        if group:
            return group[0]
    return None


def file_voi(ds: Dataset, index: int, path: str = "") -> Window | VoiTable | None:
    """The VOI the file gives frame ``index``: Frame VOI LUT, Window, else VOI LUT Sequence."""
    little = _little_endian(ds)
    frame_item = _frame_group(ds, index, "FrameVOILUTSequence")
    if frame_item is not None:
        window = _window_from(frame_item, "frame")
        if window is not None:
            return window
        seq = frame_item.get("VOILUTSequence")
        if seq:
            table = _table_from(seq[0], path, little)
            if table is not None:
                return table
    window = _window_from(ds, "file")
    if window is not None:
        return window
    seq = ds.get("VOILUTSequence")
    if seq:
        return _table_from(seq[0], path, little)
    return None


# -- colour -------------------------------------------------------------------------------------


class Palette(NamedTuple):
    """The three palette LUTs (numpy, same length); input ``first`` maps to entry 0."""

    first: int
    red: Any
    green: Any
    blue: Any
    bits: int
    segmented: bool


def _lut_values(data: bytes, entries: int, little: bool) -> Any:
    import numpy as np

    # 8-bit entries are stored one per byte only when the length says so (PS3.3 C.7.6.3.1.6).
    if len(data) == entries:
        return np.frombuffer(data, dtype=np.uint8).astype(np.uint16)
    dtype = np.dtype("<u2" if little else ">u2")
    return np.frombuffer(data[: len(data) // 2 * 2], dtype=dtype).astype(np.uint16)


def read_palette(ds: Dataset, path: str = "") -> Palette:
    """The Palette Color LUTs of ``ds`` (normal or segmented), checked for consistency."""
    import struct

    import numpy as np

    try:
        desc = ds.RedPaletteColorLookupTableDescriptor
        entries = int(desc[0]) or 65536
        first = int(desc[1])
        bits = int(desc[2])
    except (AttributeError, IndexError, TypeError, ValueError, KeyError):
        raise InputError(
            f"{path}: PALETTE COLOR image without a usable palette descriptor"
        ) from None
    if int(ds.get("PixelRepresentation", 0) or 0) == 1 and 0x8000 <= first <= 0xFFFF:
        first -= 0x10000  # the descriptor is US even when stored values are signed
    little = _little_endian(ds)
    luts = []
    segmented = "RedPaletteColorLookupTableData" not in ds
    for colour in ("Red", "Green", "Blue"):
        if not segmented:
            data = ds.get(f"{colour}PaletteColorLookupTableData")
            if data is None:
                raise InputError(f"{path}: PALETTE COLOR image has no {colour} palette data")
            data = bytes(data)
            if len(data) == entries:
                bits = 8  # one byte per entry: 8-bit values whatever the descriptor says
            luts.append(_lut_values(data, entries, little))
            continue
        data = ds.get(f"Segmented{colour}PaletteColorLookupTableData")
        if data is None:
            raise InputError(f"{path}: PALETTE COLOR image has no {colour} palette data")
        from pydicom.pixels.processing import _expand_segmented_lut

        fmt_char = "B" if bits == 8 else "H"
        size = 1 if bits == 8 else 2
        fmt = f"{'<' if little else '>'}{len(data) // size}{fmt_char}"
        try:
            expanded = _expand_segmented_lut(
                struct.unpack(fmt, bytes(data)[: len(data) // size * size]), fmt
            )
        except (ValueError, IndexError, struct.error) as exc:
            raise InputError(f"{path}: broken segmented {colour} palette: {exc}") from None
        luts.append(np.asarray(expanded, dtype=np.uint16))
    n = min(len(lut) for lut in luts)
    if n == 0:
        raise InputError(f"{path}: PALETTE COLOR image has an empty palette")
    luts = [lut[:n] for lut in luts]
    top = max(int(lut.max()) for lut in luts)
    # A depth outside 8/16, or too small for the values, is wrong: use the values' depth.
    if bits not in (8, 16) or top >= (1 << bits):
        bits = 16 if top > 0xFF else 8
    return Palette(first, luts[0], luts[1], luts[2], bits, segmented)


def palette_table(xp: ModuleType, palette: Palette, ymax: int = 0xFF) -> Any:
    """The palette as one (entries, 3) table of output integers, built once per file."""
    table = xp.stack([xp.asarray(c) for c in (palette.red, palette.green, palette.blue)], axis=-1)
    scaled = table.astype(xp.float64) * (ymax / float((1 << palette.bits) - 1))
    return to_output(xp, scaled, ymax, False)


def apply_palette(xp: ModuleType, x: Any, table: Any, first: int) -> Any:
    """Look stored values up in a ``palette_table``: below the first entry and past the last
    entry map to those entries (PS3.3 C.7.6.3.1.5); the result has shape (..., 3)."""
    idx = xp.clip(xp.asarray(x).astype(xp.int64) - first, 0, table.shape[0] - 1)
    return table[idx]


def scale_color(xp: ModuleType, rgb: Any, bits_stored: int, ymax: int) -> Any:
    """Scale RGB samples of ``bits_stored`` bits to 0..ymax (identity for 8-bit data)."""
    top = float((1 << bits_stored) - 1)
    return xp.asarray(rgb, dtype=xp.float64) * (ymax / top)
