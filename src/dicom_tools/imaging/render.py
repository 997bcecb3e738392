"""Rendering one decoded frame to an 8- or 16-bit image array, as a viewer would show it.

Grayscale: stored values -> Modality LUT (modality.py) -> VOI (window, VOI LUT, min-max, or
none) -> presentation (MONOCHROME1 / INVERSE shown inverted) -> rounded integers.
Colour: palette lookup for PALETTE COLOR, RGB samples scaled to the output depth (decoding has
already turned YBR_FULL, YBR_FULL_422, YBR_ICT and YBR_RCT into RGB).

For integer stored values the whole chain is evaluated once per distinct value in the frame's
range and applied as one table lookup: far less work than float math on every pixel, and no
frame-sized float temporaries (a 16-bit frame has at most 65536 distinct values).
"""

from __future__ import annotations

from collections.abc import Iterable
from types import ModuleType
from typing import TYPE_CHECKING, Any, NamedTuple

from dicom_tools.errors import InputError
from dicom_tools.imaging import lut as L
from dicom_tools.imaging.backend import to_numpy
from dicom_tools.imaging.modality import IDENTITY, ModalityLUT, apply_modality, modality_params

if TYPE_CHECKING:
    from dicom_tools.dicom.pixels import PixelSource

# Evaluate the chain per distinct value when the stored range is at most this wide (or no
# wider than the frame has pixels): 16-bit data always qualifies.
_TABLE_LIMIT = 1 << 16


class RenderSettings(NamedTuple):
    """What the user asked for; ``window`` is an explicit window (--window-center/-width)."""

    window: L.Window | None = None
    normalize: bool = False
    disable_modality_lut: bool = False
    disable_voi_lut: bool = False
    bits: int = 8


class _Gray(NamedTuple):
    """One grayscale frame's modality values (see ``Renderer._gray_values``)."""

    arr: Any  # stored values (NaN replaced)
    values: Any  # modality values: of lo..hi when ``table``, else of every pixel
    table: bool
    lo: int  # the table's first stored value
    params: ModalityLUT
    vmin: float
    vmax: float
    stored_min: float


class _Shared(NamedTuple):
    """The min/max of the modality values over every frame rendered, and the NaN fill."""

    vmin: float
    vmax: float
    fill: float | None


class RenderedFrame(NamedTuple):
    """A rendered frame on the host: uint8/uint16 (rows, cols) or uint8 (rows, cols, 3)."""

    pixels: Any
    mode: str  # Pillow mode: "L", "I;16" or "RGB"
    info: dict[str, Any]


class Renderer:
    """Renders the frames of one PixelSource with fixed settings (palette etc. read once)."""

    def __init__(self, src: PixelSource, settings: RenderSettings, xp: ModuleType) -> None:
        self.src = src
        self.settings = settings
        self.xp = xp
        self.ymax = (1 << settings.bits) - 1
        self.photometric = src.photometric
        if self.photometric.startswith("YBR_PARTIAL"):
            raise InputError(f"{src.name}: rendering {self.photometric} is not supported")
        self.inverted = not src.is_color and L.is_inverted(src.ds)
        self.shared: _Shared | None = None  # set by ``scan``: one min/max for all frames
        self._palette_table: Any = None
        self._palette: L.Palette | None = None
        if self.photometric == "PALETTE COLOR":
            self._palette = L.read_palette(src.ds, src.name)

    @property
    def is_color(self) -> bool:
        return self.src.is_color or self._palette is not None

    def render(self, index: int, stored: Any) -> RenderedFrame:
        """Render decoded frame ``index`` (a numpy array from PixelSource)."""
        if self._palette is not None:
            return self._render_palette(stored)
        if self.src.is_color:
            return self._render_rgb(stored)
        return self._render_gray(index, stored)

    # -- grayscale ------------------------------------------------------------------------------

    def _modality(self, index: int) -> ModalityLUT:
        if self.settings.disable_modality_lut:
            return IDENTITY
        return modality_params(self.src.ds, index)

    def _gray_values(self, index: int, stored: Any) -> _Gray:
        """Modality values of one frame, as a table over its stored range where that is
        cheaper, with their min and max (a LUT's only over the values present)."""
        xp = self.xp
        arr = xp.asarray(stored)
        if arr.dtype == bool:
            arr = arr.astype(xp.uint8)
        if arr.dtype.kind == "f":
            # Float Pixel Data may hold NaN or inf: show them as the lowest finite value (of
            # every frame rendered when one window spans them, else of this frame).
            finite = xp.isfinite(arr)
            if not bool(finite.all()):
                if self.shared is not None and self.shared.fill is not None:
                    fill = self.shared.fill
                else:
                    fill = arr[finite].min() if bool(finite.any()) else 0.0
                arr = xp.where(finite, arr, fill)
        params = self._modality(index)
        integer = arr.dtype.kind in "iu"
        lo = arr.min().item()
        hi = arr.max().item()
        table = integer and hi - lo < max(_TABLE_LIMIT, arr.size)
        if table:
            # The chain runs over lo..hi once; pixels then pick their entry.
            domain = xp.arange(int(lo), int(hi) + 1, dtype=xp.int64)
            values = apply_modality(domain, params, xp)
            if params.kind == "lut" and values.size > 1:
                # A LUT need not be monotonic: min/max only over values present in the frame.
                present = xp.bincount(
                    (arr.astype(xp.int64) - int(lo)).ravel(), minlength=values.size
                )
                used = values[present > 0]
                vmin, vmax = used.min().item(), used.max().item()
            else:
                vmin, vmax = values.min().item(), values.max().item()
        else:
            values = apply_modality(arr, params, xp)
            vmin, vmax = values.min().item(), values.max().item()
        return _Gray(arr, values, bool(table), int(lo) if table else 0, params, vmin, vmax, lo)

    def _render_gray(self, index: int, stored: Any) -> RenderedFrame:
        xp = self.xp
        g = self._gray_values(index, stored)
        info: dict[str, Any] = {"modality": g.params.describe()}
        y = self._voi(index, g.values, float(g.vmin), float(g.vmax), g.params, info)
        out = L.to_output(xp, y, self.ymax, self.inverted)
        if g.table:
            out = out[_index(xp, g.arr, g.lo)]
        info["inverted"] = self.inverted
        info["value_range"] = [_num(g.vmin), _num(g.vmax)]
        mode = "L" if self.ymax == 0xFF else "I;16"
        return RenderedFrame(to_numpy(out), mode, info)

    # -- one min/max over many frames -------------------------------------------------------------

    def uses_min_max(self, index: int) -> bool:
        """Whether frame ``index`` is windowed by a min/max (the file gives it no VOI)."""
        s = self.settings
        if self.is_color or s.window is not None:
            return False
        if s.normalize:
            return True
        if s.disable_voi_lut:
            return self.src.pixel_keyword != "PixelData"  # float data has no nominal range
        return L.file_voi(self.src.ds, index, self.src.name) is None

    def scan(self, frames: Iterable[tuple[int, Any]]) -> None:
        """First pass of an all-frames min/max window: the range of the modality values over
        ``frames`` ((index, decoded frame) pairs, consumed one at a time: memory stays at one
        frame), used by every later ``render`` in place of each frame's own range."""
        vmin = vmax = fill = None
        self.shared = None
        for index, stored in frames:
            g = self._gray_values(index, stored)
            vmin = g.vmin if vmin is None else min(vmin, g.vmin)
            vmax = g.vmax if vmax is None else max(vmax, g.vmax)
            if g.arr.dtype.kind == "f":
                fill = g.stored_min if fill is None else min(fill, g.stored_min)
        if vmin is not None and vmax is not None:
            self.shared = _Shared(float(vmin), float(vmax), fill)

    def _voi(
        self,
        index: int,
        values: Any,
        vmin: float,
        vmax: float,
        params: ModalityLUT,
        info: dict[str, Any],
    ) -> Any:
        xp, s = self.xp, self.settings
        if s.window is not None:
            info["voi"] = s.window.to_dict()
            return L.apply_window(xp, values, s.window, self.ymax)
        if s.disable_voi_lut and not s.normalize and self.src.pixel_keyword == "PixelData":
            lo, hi = self._full_range(params)
            info["voi"] = {"source": "none", "range": [_num(lo), _num(hi)]}
            return L.scale_range(xp, values, lo, hi, self.ymax)
        if not (s.normalize or s.disable_voi_lut):
            found = L.file_voi(self.src.ds, index, self.src.name)
            if isinstance(found, L.VoiTable):
                info["voi"] = found.to_dict()
                return L.apply_voi_table(xp, values, found, self.ymax)
            if found is not None:
                info["voi"] = found.to_dict()
                return L.apply_window(xp, values, found, self.ymax)
        # A window from the min and max: of every frame rendered after ``scan``, else this
        # frame's (float data with the VOI disabled too: it has no nominal range).
        source = "normalize" if s.normalize else "none" if s.disable_voi_lut else "min-max"
        if self.shared is not None:
            vmin, vmax = self.shared.vmin, self.shared.vmax
        window = L.min_max_window(vmin, vmax, source)
        info["voi"] = {
            **window.to_dict(),
            "min_max_of": "all frames" if self.shared is not None else "frame",
        }
        return L.apply_window(xp, values, window, self.ymax)

    def _full_range(self, params: ModalityLUT) -> tuple[float, float]:
        """Every value the modality stage can produce from the stored bits (for no VOI)."""
        src = self.src
        bits = src.bits_stored
        if src.pixel_representation == 1:
            smin, smax = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
        else:
            smin, smax = 0, (1 << bits) - 1
        if params.kind == "rescale":
            a = smin * params.slope + params.intercept
            b = smax * params.slope + params.intercept
            return min(a, b), max(a, b)
        if params.kind == "lut":
            return 0.0, float((1 << params.bits) - 1)
        return float(smin), float(smax)

    # -- colour ---------------------------------------------------------------------------------

    def _render_palette(self, stored: Any) -> RenderedFrame:
        xp = self.xp
        pal = self._palette
        assert pal is not None
        if self._palette_table is None:  # scaled to 8 bits once; frames are one lookup each
            self._palette_table = L.palette_table(xp, pal)
        n = self._palette_table.shape[0]
        out = L.apply_palette(xp, stored, self._palette_table, pal.first)
        info = {
            "palette": {
                "entries": n,
                "first": pal.first,
                "bits": pal.bits,
                "segmented": pal.segmented,
            }
        }
        return RenderedFrame(to_numpy(out), "RGB", info)

    def _render_rgb(self, stored: Any) -> RenderedFrame:
        xp = self.xp
        arr = xp.asarray(stored)
        bits = self.src.bits_stored
        if arr.dtype == xp.uint8 and bits == 8:
            out = arr
        else:
            out = L.to_output(xp, L.scale_color(xp, arr, bits, 0xFF), 0xFF, False)
        return RenderedFrame(to_numpy(out), "RGB", {"color": "RGB"})


def _index(xp: ModuleType, arr: Any, lo: int) -> Any:
    """Table indices for stored values: the values themselves when the range starts at 0."""
    if lo == 0 and arr.dtype.kind == "u":
        return arr
    return arr.astype(xp.int32 if arr.dtype.itemsize <= 2 else xp.int64) - lo


def _num(value: float) -> float | int:
    """A JSON-friendly number: integers without a trailing .0."""
    value = float(value)
    return int(value) if value.is_integer() else round(value, 6)
