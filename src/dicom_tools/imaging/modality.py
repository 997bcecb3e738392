"""The Modality LUT stage: stored values to modality values (e.g. Hounsfield units), per frame.

API (array math goes through the backend seam: ``xp = backend.array_module(device)``)::

    params = modality_params(ds, frame_index)        # -> ModalityLUT, cheap per frame
    values = apply_modality(arr, params, xp)         # arr: xp array of stored values
    values = modality_values(src, i, arr, xp)        # the two above for a PixelSource

``ModalityLUT.kind`` is one of

* ``"identity"``: no transformation (no rescale and no LUT, a colour image, or ``disable=True``);
  ``apply_modality`` returns ``arr`` itself, unchanged (dtype kept).
* ``"rescale"``: ``value = stored * slope + intercept``, computed as
  ``arr.astype(float64) * slope + intercept`` exactly as ``pydicom.pixels.apply_modality_lut``
  does, so the result is always float64 (exact for every integer stored value up to 2**53;
  float64 even for slope 1 and intercept 0 so that callers see one dtype per kind).
  ``params.is_integral`` says whether every result is an integer (integral slope and intercept).
* ``"lut"``: the Modality LUT Sequence. ``lut`` is the LUT Data (numpy, uint8 or uint16 as the
  descriptor's bits say), ``first_mapped`` the first stored value mapped (signed when Pixel
  Representation is 1, whatever the descriptor's VR). Stored values below ``first_mapped`` map to
  the first entry, values past the end to the last one (the standard's clipping); the result has
  the LUT's dtype. An entry count of 0 in the descriptor means 65536.

Where the values come from, for frame ``i`` (first found wins):

1. Per-Frame Functional Groups Sequence[i] > Pixel Value Transformation Sequence[0]
2. Shared Functional Groups Sequence[0] > Pixel Value Transformation Sequence[0]
3. the top level: Modality LUT Sequence[0] (it takes precedence over rescale, as in pydicom),
   else Rescale Slope / Rescale Intercept (a missing one of the pair defaults to 1 / 0).

Rescale Type (and the LUT's LUT Explanation / Modality LUT Type) is informational only and
is reported in ``ModalityLUT.rescale_type``. The Modality LUT applies to monochrome data only:
for colour images (Samples per Pixel > 1) ``modality_params`` returns the identity.

The shared and top-level values are parsed once per data set, and each frame's own values once
per frame, then cached (keyed on the data set object, held weakly); frames with equal rescale
values share one ``ModalityLUT`` object. A LUT is copied to a GPU once per device module, not
once per frame. Treat the returned objects as read-only, and do not edit the data set's Modality
LUT or functional groups after the first call (or pass a copy): the cache would not see it.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field
from types import ModuleType
from typing import TYPE_CHECKING, Any

import numpy as np

from dicom_tools.dicom.pixels import little_endian as _little_endian
from dicom_tools.errors import InputError

if TYPE_CHECKING:
    from pydicom import Dataset

    from dicom_tools.dicom.pixels import PixelSource

KINDS = ("identity", "rescale", "lut")


@dataclass(eq=False)
class ModalityLUT:
    """The Modality LUT of one frame (see the module docstring)."""

    kind: str = "identity"
    slope: float = 1.0
    intercept: float = 0.0
    lut: np.ndarray | None = None
    first_mapped: int = 0
    bits: int = 0
    rescale_type: str | None = None
    source: str = "none"  # "per-frame", "shared", "top-level" or "none": where it was found
    _device_luts: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def is_integral(self) -> bool:
        """True when every modality value is an integer for integer stored values."""
        if self.kind == "rescale":
            return float(self.slope).is_integer() and float(self.intercept).is_integer()
        return True

    @property
    def output_range(self) -> tuple[float, float] | None:
        """(lowest, highest) value a LUT can produce; None for the other kinds."""
        if self.kind != "lut" or self.lut is None or not len(self.lut):
            return None
        return float(self.lut.min()), float(self.lut.max())

    def device_lut(self, xp: ModuleType) -> Any:
        """The LUT as an ``xp`` array, copied to the device once."""
        key = xp.__name__
        if key not in self._device_luts:
            self._device_luts[key] = self.lut if xp is np else xp.asarray(self.lut)
        return self._device_luts[key]

    def describe(self) -> dict[str, Any]:
        """A JSON-friendly summary (for stats / info output)."""
        out: dict[str, Any] = {"kind": self.kind, "source": self.source}
        if self.kind == "rescale":
            out.update(slope=self.slope, intercept=self.intercept)
        elif self.kind == "lut" and self.lut is not None:
            out.update(entries=len(self.lut), first_mapped=self.first_mapped, bits=self.bits)
        if self.rescale_type:
            out["rescale_type"] = self.rescale_type
        return out


IDENTITY = ModalityLUT()


def apply_modality(arr: Any, params: ModalityLUT, xp: ModuleType = np) -> Any:
    """Stored values (an ``xp`` array) to modality values; see the module docstring for dtypes."""
    if params.kind == "rescale":
        out = arr.astype(xp.float64)
        out *= params.slope  # in place: one float64 temporary per frame, not two
        out += params.intercept
        return out
    if params.kind == "lut":
        lut = params.device_lut(xp)
        # Index arithmetic in int64 so that negative stored values and first_mapped never wrap.
        idx = arr.astype(xp.int64)
        idx -= params.first_mapped
        xp.clip(idx, 0, len(params.lut) - 1, out=idx)
        return lut[idx]
    return arr


def modality_params(ds: Dataset, frame_index: int = 0) -> ModalityLUT:
    """The Modality LUT that applies to frame ``frame_index`` (0-based) of ``ds``."""
    return _resolver(ds).params(frame_index)


def modality_values(
    src: PixelSource, frame_index: int, arr: Any, xp: ModuleType = np, disable: bool = False
) -> Any:
    """Modality values of one decoded frame ``arr`` (an ``xp`` array) of ``src``.

    ``disable=True`` (e.g. ``--stored``) returns ``arr`` unchanged.
    """
    if disable:
        return arr
    return apply_modality(arr, modality_params(src.ds, frame_index), xp)


class _Resolver:
    """Per data set: the shared/top-level parameters parsed once, per-frame ones on demand."""

    def __init__(self, ds: Dataset) -> None:
        self.ds = ds
        self.color = _int(ds.get("SamplesPerPixel", 1), 1) > 1
        self.signed = _int(ds.get("PixelRepresentation", 0), 0) == 1
        self.little_endian = _little_endian(ds)
        self.per_frame = ds.get("PerFrameFunctionalGroupsSequence") or None
        shared = ds.get("SharedFunctionalGroupsSequence") or None
        self.name = getattr(ds, "filename", None)
        self.shared = _from_group(shared[0], "shared", self.name) if shared else None
        self._top: ModalityLUT | None = None
        # frame -> its own rescale (None: it has none); equal rescales share one object
        self._per_frame: dict[int, ModalityLUT | None] = {}
        self._unique: dict[tuple, ModalityLUT] = {}

    @property
    def top(self) -> ModalityLUT:
        if self._top is None:
            self._top = _from_item(self.ds, "top-level", self.signed, self.little_endian)
        return self._top

    def params(self, frame_index: int) -> ModalityLUT:
        if self.color:
            return IDENTITY
        if self.per_frame is not None and 0 <= frame_index < len(self.per_frame):
            if frame_index not in self._per_frame:
                found = _from_group(self.per_frame[frame_index], "per-frame", self.name)
                if found is not None:
                    key = (found.slope, found.intercept, found.rescale_type)
                    found = self._unique.setdefault(key, found)
                self._per_frame[frame_index] = found
            found = self._per_frame[frame_index]
            if found is not None:
                return found
        return self.shared if self.shared is not None else self.top


# id(ds) -> (weak reference to ds, resolver): Dataset is not hashable, so no WeakKeyDictionary.
_CACHE: dict[int, tuple[weakref.ref, _Resolver]] = {}


def _resolver(ds: Dataset) -> _Resolver:
    key = id(ds)
    hit = _CACHE.get(key)
    if hit is not None and hit[0]() is ds:
        return hit[1]
    resolver = _Resolver(ds)
    try:
        # pop bound now: at interpreter shutdown the module global may already be None
        ref = weakref.ref(ds, lambda _r, key=key, pop=_CACHE.pop: pop(key, None))
    except TypeError:  # not weak-referenceable: do not cache
        return resolver
    _CACHE[key] = (ref, resolver)
    return resolver


def _from_group(item: Any, source: str, name: Any) -> ModalityLUT | None:
    """The Pixel Value Transformation of one functional groups item, or None if it has none."""
    seq = item.get("PixelValueTransformationSequence") if item is not None else None
    if not seq:
        return None
    pvt = seq[0]
    if "RescaleSlope" not in pvt and "RescaleIntercept" not in pvt:
        return None
    return _rescale(pvt, source, name)


def _from_item(ds: Dataset, source: str, signed: bool, little_endian: bool) -> ModalityLUT:
    seq = ds.get("ModalityLUTSequence")
    if seq:
        return _lut(seq[0], source, signed, little_endian, getattr(ds, "filename", None))
    if "RescaleSlope" in ds or "RescaleIntercept" in ds:
        return _rescale(ds, source, getattr(ds, "filename", None))
    return IDENTITY


def _rescale(item: Any, source: str, name: Any) -> ModalityLUT:
    where = f"{name}: " if name else ""
    slope = _float(item.get("RescaleSlope"), 1.0, f"{where}invalid Rescale Slope")
    intercept = _float(item.get("RescaleIntercept"), 0.0, f"{where}invalid Rescale Intercept")
    rtype = item.get("RescaleType")
    return ModalityLUT(
        kind="rescale",
        slope=slope,
        intercept=intercept,
        rescale_type=(str(rtype).strip() or None) if rtype else None,
        source=source,
    )


def _lut(item: Any, source: str, signed: bool, little_endian: bool, name: Any) -> ModalityLUT:
    where = f"{name}: " if name else ""
    desc = item.get("LUTDescriptor")
    if desc is None or not hasattr(desc, "__len__") or len(desc) != 3:
        raise InputError(f"{where}Modality LUT Sequence has no valid LUT Descriptor")
    # The descriptor's VR may be US or SS whatever the data is: normalise all three values.
    entries = int(desc[0]) & 0xFFFF or 65536  # always unsigned; 0 means 2**16
    first = int(desc[1]) & 0xFFFF
    if signed and first >= 0x8000:
        first -= 0x10000
    bits = int(desc[2])
    if bits not in (8, 16):
        bits = 16 if bits > 8 else 8
    elem = item.get(0x00283006)  # LUT Data: the element (a tag, not a keyword, gives one)
    if elem is None or elem.value is None:
        raise InputError(f"{where}Modality LUT Sequence has no LUT Data")
    value = elem.value
    if isinstance(value, bytes | bytearray):
        if len(value) == entries and bits == 8:  # 8-bit data packed as OB
            data = np.frombuffer(value, dtype=np.uint8)
        else:
            data = np.frombuffer(
                value[: len(value) // 2 * 2], dtype="<u2" if little_endian else ">u2"
            )
    else:
        data = np.asarray([value] if isinstance(value, int) else list(value), dtype=np.int64)
        data &= 0xFFFF
    data = data[:entries].astype(np.uint16 if bits == 16 else np.uint8)  # as pydicom: uint{bits}
    if len(data) < entries:
        if not len(data):
            raise InputError(f"{where}Modality LUT Sequence has empty LUT Data")
        entries = len(data)  # a short LUT: clip to what is there
    mtype = item.get("ModalityLUTType")
    return ModalityLUT(
        kind="lut",
        lut=data,
        first_mapped=first,
        bits=bits,
        rescale_type=(str(mtype).strip() or None) if mtype else None,
        source=source,
    )


def _int(value: Any, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _float(value: Any, default: float, label: str) -> float:
    if value is None or value == "":
        return default
    if isinstance(value, list | tuple) or (
        hasattr(value, "__len__") and not isinstance(value, str)
    ):
        value = value[0] if len(value) else default  # a multi-valued DS: use the first
    try:
        result = float(value)
    except (TypeError, ValueError):
        raise InputError(f"{label} {value!r}") from None
    if result != result or result in (float("inf"), float("-inf")):
        raise InputError(f"{label} {value!r}")
    return result
