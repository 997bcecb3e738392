"""The array backend seam: numpy on the CPU, CuPy on a GPU.

Array math of the pixel pipeline (LUTs, windowing, normalisation, statistics, histograms) takes
an ``xp`` module from ``array_module(device)`` and uses only the numpy API both share.

The device is chosen per call: the operation's option, else ``Context.device``. Nothing here
reads the environment (the command line reads ``$DICOM_TOOLS_DEVICE`` into its Context), so a
server can run calls on different devices at once.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

from dicom_tools.errors import MissingDependencyError, UsageError, option

DEVICES = ("auto", "cpu", "gpu")


def _cupy() -> ModuleType | None:
    """CuPy if it imports and sees at least one CUDA device, else None."""
    try:
        import cupy
    except Exception:  # ImportError, or a CUDA library that fails to load
        return None
    try:
        if cupy.cuda.runtime.getDeviceCount() < 1:
            return None
    except Exception:
        return None
    return cupy


def resolve_device(device: str | None) -> str:
    """The device asked for ('cpu' when none is)."""
    chosen = (device or "cpu").strip().lower()
    if chosen not in DEVICES:
        raise UsageError(f"unknown device {chosen!r} (choose from {', '.join(DEVICES)})")
    return chosen


def array_module(device: str | None = None) -> ModuleType:
    """numpy or cupy for ``device`` ('cpu', 'gpu' or 'auto', which falls back to the CPU)."""
    chosen = resolve_device(device)
    if chosen == "cpu":
        import numpy

        return numpy
    cupy = _cupy()
    if cupy is not None:
        return cupy
    if chosen == "gpu":
        raise MissingDependencyError(
            f"{option('device', 'gpu')} needs CuPy and a CUDA GPU, and none was found "
            "(pip install 'dicom-tools[gpu]' on a machine with an NVIDIA GPU; "
            f"or use {option('device', 'auto')} to fall back to the CPU)"
        )
    import numpy

    return numpy


def to_numpy(array: Any) -> Any:
    """Bring an array back to host memory as a numpy array."""
    get = getattr(array, "get", None)  # cupy.ndarray.get() copies to the host
    return get() if callable(get) else array
