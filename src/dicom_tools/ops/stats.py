"""stats and histogram: pixel statistics of one frame or of a whole file, streamed frame by frame.

Values are the modality values (after the Modality LUT stage of ``imaging.modality``, per frame),
or the stored values with ``stored=True``; colour images are described per channel (after
pydicom's conversion to RGB, the same array ``pydicom.dcmread(f).pixel_array`` gives).

What the numbers equal (the tests check them against numpy on the fully decoded array):

* min, max, count; mean and the *population* standard deviation (``np.std`` with ddof=0);
* median as ``np.median``; percentiles 1, 5, 25, 75, 95, 99 as ``np.percentile`` with its default
  ``method="linear"`` (Hyndman & Fan type 7: index (n-1)*p/100, linear between the neighbours);
* histogram counts and bin edges as ``np.histogram(values, bins, range)``: uniform bins, the last
  bin closed; without a range, the range is the data's (min, max) (min-0.5, max+0.5 if equal).

The streaming engine is ``imaging.statistics``.
"""

from __future__ import annotations

import itertools
import math
from pathlib import Path
from types import ModuleType
from typing import Any

from dicom_tools.context import DEFAULT, Context
from dicom_tools.dicom.pixels import PixelSource, open_pixels
from dicom_tools.dicom.source import Source, as_source
from dicom_tools.errors import UsageError, option
from dicom_tools.imaging import backend
from dicom_tools.imaging.modality import modality_params
from dicom_tools.imaging.statistics import (
    PERCENTILES,
    Stream,
    channel,
    channel_names,
    direct_histogram,
    direct_stats,
    frame_values,
    same_lut,
)
from dicom_tools.result import Result

# --------------------------------------------------------------------------- public operations


def _open(
    input: Source | Path, frame: int | None, stored: bool, device: str | None
) -> tuple[ModuleType, PixelSource, list[str], Stream]:
    """The backend, the pixel source (frame checked), channel names and the stream."""
    xp = backend.array_module(device)
    src = open_pixels(input)
    if frame is not None:
        src.check_frame(frame)
    return xp, src, channel_names(src), Stream(src, xp, stored, frame)


def stats(
    input: Source | Path,
    *,
    frame: int | None = None,
    stored: bool = False,
    device: str | None = None,
    context: Context = DEFAULT,
) -> Result:
    """Statistics of the modality (or stored) values of one frame or of the whole file."""
    xp, src, names, stream = _open(input, frame, stored, device or context.device)
    if stream.mode == "float" and stream.single:
        values = frame_values(src, frame or 0, xp, stored)
        channels = [direct_stats(channel(values, c, src), xp) for c in range(len(names))]
    else:
        channels = stream.stats()
    for name, ch in zip(names, channels, strict=True):
        ch["channel"] = name
    data = {
        "file": str(input),
        "frame": frame,
        "frames_used": 1 if frame is not None else src.frames,
        "values": "stored" if stored else "modality",
        "format": _format(src, frame),
        "percentile_method": "linear",
        "std_ddof": 0,
        "channels": [{"channel": ch.pop("channel"), **ch} for ch in channels],
    }
    return Result(data=data, text=_stats_text(data))


def histogram(
    input: Source | Path,
    *,
    bins: int = 256,
    range: list[float] | tuple[float, float] | None = None,
    frame: int | None = None,
    stored: bool = False,
    plot: str | Path | None = None,
    device: str | None = None,
    context: Context = DEFAULT,
) -> Result:
    """Histogram (counts, bin edges, min, max) of the modality (or stored) values."""
    bins = 256 if bins is None else int(bins)
    if bins <= 0:
        raise UsageError(f"{option('bins')} must be a positive number of bins, not {bins}")
    hist_range = _check_range(range)
    path = as_source(input).path  # None: an instance in memory, which a plot cannot replace
    if plot is not None and path is not None and Path(plot).resolve() == path.resolve():
        raise UsageError(f"histogram: plot {plot} would overwrite the input")
    xp, src, names, stream = _open(input, frame, stored, device or context.device)
    if stream.mode == "float" and stream.single:
        values = frame_values(src, frame or 0, xp, stored)
        channels = [
            direct_histogram(channel(values, c, src), bins, hist_range, xp)
            for c in builtins_range(len(names))
        ]
    else:
        channels = stream.histograms(bins, hist_range)
    data: dict[str, Any] = {
        "file": str(input),
        "frame": frame,
        "frames_used": 1 if frame is not None else src.frames,
        "values": "stored" if stored else "modality",
        "bins": bins,
        "range": list(hist_range) if hist_range else None,
        "channels": [{"channel": n, **ch} for n, ch in zip(names, channels, strict=True)],
        "plot": None,
    }
    outputs = []
    if plot is not None:
        _write_plot(Path(plot), data)
        data["plot"] = str(plot)
        outputs.append(str(plot))
    return Result(data=data, text=_histogram_text(data), output_files=outputs)


builtins_range = range  # ``range`` is shadowed by histogram's option of that name


# --------------------------------------------------------------------------- inputs


def _check_range(value: Any) -> tuple[float, float] | None:
    if value is None:
        return None
    try:
        lo, hi = (float(v) for v in value)
    except (TypeError, ValueError):
        raise UsageError(f"{option('range')} needs two numbers, LO HI") from None
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise UsageError(f"{option('range', f'{lo} {hi}')}: both ends must be finite")
    if lo >= hi:
        raise UsageError(f"{option('range', f'{lo:g} {hi:g}')}: LO must be less than HI")
    return lo, hi


# --------------------------------------------------------------------------- format and text


def _format(src: PixelSource, frame: int | None) -> dict[str, Any]:
    ds = src.ds
    index = frame or 0
    params = modality_params(ds, index)
    out: dict[str, Any] = {
        "rows": src.rows,
        "columns": src.columns,
        "frames": src.frames,
        "samples_per_pixel": src.samples,
        "bits_allocated": src.bits_allocated,
        "bits_stored": src.bits_stored,
        "high_bit": src.high_bit,
        "pixel_representation": src.pixel_representation,
        "photometric_interpretation": src.photometric,
        "transfer_syntax": src.transfer_syntax,
        "modality_lut": params.describe(),
        "rescale": (
            {"slope": params.slope, "intercept": params.intercept, "type": params.rescale_type}
            if params.kind == "rescale"
            else None
        ),
        "window": _window(ds, index),
    }
    if frame is None and src.frames > 1 and not src.is_color:
        first = params
        out["modality_lut_varies"] = any(
            not same_lut(modality_params(ds, i), first) for i in builtins_range(1, src.frames)
        )
    return out


def _window(ds: Any, index: int) -> dict[str, Any] | None:
    """Window center/width: per-frame, shared functional groups, then top level."""
    sources = []
    for seq_kw, i in (
        ("PerFrameFunctionalGroupsSequence", index),
        ("SharedFunctionalGroupsSequence", 0),
    ):
        seq = ds.get(seq_kw)
        if seq and 0 <= i < len(seq):
            voi = seq[i].get("FrameVOILUTSequence")
            if voi:
                sources.append(voi[0])
    sources.append(ds)
    for item in sources:
        if "WindowCenter" in item and "WindowWidth" in item:
            out = {"center": _floats(item.WindowCenter), "width": _floats(item.WindowWidth)}
            if item.get("WindowCenterWidthExplanation"):
                out["explanation"] = _strs(item.WindowCenterWidthExplanation)
            if item.get("VOILUTFunction"):
                out["function"] = str(item.VOILUTFunction)
            return out
    return None


def _floats(value: Any) -> list[float]:
    values = value if isinstance(value, list | tuple) or hasattr(value, "__iter__") else [value]
    if isinstance(value, str):
        values = [value]
    out = []
    for v in values:
        try:
            out.append(float(v))
        except (TypeError, ValueError):
            continue
    return out


def _strs(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value]


def _num(value: Any) -> str:
    if isinstance(value, int):
        return str(value)
    return f"{value:.6g}" if abs(value) < 1e15 else f"{value:.6e}"


def _stats_text(data: dict[str, Any]) -> str:
    f = data["format"]
    sign = "signed" if f["pixel_representation"] else "unsigned"
    lines = [
        f"File: {data['file']}",
        f"Format: {f['rows']} x {f['columns']}, {f['frames']} frame(s), "
        f"{f['samples_per_pixel']} sample(s)/pixel, {f['photometric_interpretation']}, "
        f"{f['bits_allocated']} bits allocated, {f['bits_stored']} stored, "
        f"high bit {f['high_bit']}, {sign}",
    ]
    m = f["modality_lut"]
    if m["kind"] == "rescale":
        unit = f" ({m['rescale_type']})" if m.get("rescale_type") else ""
        lines.append(f"Rescale: slope {_num(m['slope'])}, intercept {_num(m['intercept'])}{unit}")
    elif m["kind"] == "lut":
        lines.append(
            f"Modality LUT: {m['entries']} entries from stored value {m['first_mapped']}, "
            f"{m['bits']} bits"
        )
    if f.get("modality_lut_varies"):
        lines.append("  (varies per frame; shown for frame 0)")
    if f["window"]:
        w = f["window"]
        lines.append(
            "Window: center "
            + "\\".join(_num(c) for c in w["center"])
            + ", width "
            + "\\".join(_num(c) for c in w["width"])
        )
    which = "stored values" if data["values"] == "stored" else "modality values"
    where = f"frame {data['frame']}" if data["frame"] is not None else "all frames"
    lines.append(f"Statistics of the {which}, {where}:")
    chans = data["channels"]
    rows = [("count", "count"), ("min", "min"), ("max", "max"), ("mean", "mean")]
    rows += [("std", "std (ddof=0)"), ("median", "median")]
    width = max(14, *(len(_num(ch["max"])) + 2 for ch in chans))
    lines.append(" " * 14 + "".join(f"{ch['channel']:>{width}}" for ch in chans))
    for key, label in rows:
        lines.append(f"  {label:<12}" + "".join(f"{_num(ch[key]):>{width}}" for ch in chans))
    for p in PERCENTILES:
        label = f"p{p}"
        lines.append(
            f"  {label:<12}"
            + "".join(f"{_num(ch['percentiles'][str(p)]):>{width}}" for ch in chans)
        )
    return "\n".join(lines)


def _histogram_text(data: dict[str, Any], rows: int = 16, bar: int = 40) -> str:
    which = "stored values" if data["values"] == "stored" else "modality values"
    where = f"frame {data['frame']}" if data["frame"] is not None else "all frames"
    lines = [f"File: {data['file']}", f"Histogram of the {which}, {where}, {data['bins']} bins"]
    for ch in data["channels"]:
        counts, edges = ch["counts"], ch["bin_edges"]
        group = max(1, math.ceil(len(counts) / rows))
        lines.append(
            f"{ch['channel']}: {ch['count']} values, min {_num(ch['min'])}, max {_num(ch['max'])}"
            + (f" ({group} bins per row)" if group > 1 else "")
        )
        sums = [sum(counts[i : i + group]) for i in builtins_range(0, len(counts), group)]
        top = max(sums) or 1
        for r, total in enumerate(sums):
            lo = edges[r * group]
            hi = edges[min((r + 1) * group, len(counts))]
            length = round(total / top * bar)
            mark = "#" * length if length or not total else "."
            close = "]" if r == len(sums) - 1 else ")"  # numpy's last bin is [lo, hi]
            lines.append(f"  [{_num(lo):>11}, {_num(hi):>11}{close} {total:>11} {mark}")
    if data.get("plot"):
        lines.append(f"Plot written to {data['plot']}")
    return "\n".join(lines)


# --------------------------------------------------------------------------- plot

_COLOURS = {
    "gray": (70, 70, 70),
    "value": (70, 70, 70),
    "red": (200, 40, 40),
    "green": (40, 150, 40),
    "blue": (40, 70, 200),
    "alpha": (120, 120, 120),
}


# Plot geometry in pixels; text positions come from the font's measured boxes, so labels keep
# clear of each other and of the bars whatever font Pillow draws with.
_PLOT_WIDTH, _PLOT_HEIGHT, _MARGIN, _GAP, _TICK = 640, 180, 10, 4, 4


def _write_plot(path: Path, data: dict[str, Any]) -> None:
    """A PNG bar chart, one panel per channel, drawn with Pillow and written atomically.

    Bin i covers the pixel columns from its lower edge up to, not including, its upper edge's
    column: [lo, hi), as numpy counts it; the last bin is closed, [lo, hi], and its bar
    reaches the column of the top edge's tick.
    """
    from PIL import Image, ImageDraw

    from dicom_tools.io import atomic_output

    probe = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    font = probe.getfont()  # Pillow's default font (ImageDraw.ImageDraw.font if one is set)

    def size(text: str) -> tuple[int, int, int, int]:
        return probe.textbbox((0, 0), text, font=font)

    line = size("Ag0[]")
    line_h = line[3] - line[1]
    chans = data["channels"]
    tops = [max(ch["counts"]) or 1 for ch in chans]
    left = _MARGIN + max(_width(size(_num(t))) for t in [*tops, 0]) + _GAP + _TICK + 1
    which = "stored" if data["values"] == "stored" else "modality"
    panels = [_panel_texts(ch, top, which) for ch, top in zip(chans, tops, strict=True)]
    right_room = max(_width(size(p["ticks"][-1][1])) for p in panels) // 2 + _MARGIN
    width = max(
        left + _PLOT_WIDTH + 1 + right_room,
        *(_MARGIN + _width(size(t)) + _MARGIN for p in panels for t in (p["title"], p["axis"])),
    )
    # per panel: title, gap, plot, tick, gap, tick labels, gap, axis title, margin
    panel_h = line_h + _GAP + _PLOT_HEIGHT + 1 + _TICK + _GAP + line_h + _GAP + line_h + _MARGIN
    img = Image.new("RGB", (width, _MARGIN + len(chans) * panel_h), "white")
    draw = ImageDraw.Draw(img)
    draw.font = font
    y = _MARGIN
    for ch, top, texts in zip(chans, tops, panels, strict=True):
        y = _draw_panel(draw, size, ch, top, texts, left, y, line_h, width)
    with atomic_output(path) as tmp:
        img.save(tmp, format="PNG")


def _width(box: tuple[int, int, int, int]) -> int:
    return box[2] - box[0]


def _panel_texts(ch: dict[str, Any], top: int, which: str) -> dict[str, Any]:
    """The words of one panel: title, x tick candidates (edge index, label), axis title."""
    edges = ch["bin_edges"]
    n = len(ch["counts"])
    width = _num(edges[1] - edges[0]) if n else "0"
    return {
        "title": f"{ch['channel']}: {ch['count']} values; bar height = count per bin (max {top})",
        "ticks": [(j, _num(edges[j])) for j in builtins_range(n + 1)],
        "axis": (
            f"{which} value: {n} bin{'s' if n != 1 else ''} of width {width}, each [lo, hi), "
            "the last [lo, hi] closed"
        ),
    }


def _draw_panel(
    draw: Any,
    size: Any,
    ch: dict[str, Any],
    top: int,
    texts: dict[str, Any],
    left: int,
    y: int,
    line_h: int,
    width: int,
) -> int:
    """Draw one channel's panel from ``y``; returns the ``y`` of the next panel."""
    counts = ch["counts"]
    n = len(counts)
    colour = _COLOURS.get(ch["channel"], (70, 70, 70))

    def text(x: float, y_top: float, words: str) -> None:
        box = size(words)  # place the ink box's top-left at (x, y_top)
        draw.text((x - box[0], y_top - box[1]), words, fill="black")

    text(_MARGIN, y, texts["title"])
    plot_top = y + line_h + _GAP
    base = plot_top + _PLOT_HEIGHT  # the x axis row; bars stand on it
    # Bin i spans columns col(i) .. col(i+1) - 1; the last bin also takes col(n): closed.
    col = [left + round(i * _PLOT_WIDTH / n) for i in builtins_range(n + 1)]
    for i, c in enumerate(counts):
        if not c:
            continue
        x1 = col[i + 1] if i == n - 1 else max(col[i], col[i + 1] - 1)
        h = max(1, round(c / top * (_PLOT_HEIGHT - 1)))
        draw.rectangle([col[i], base - h, x1, base - 1], fill=colour)
    draw.line([(left, base), (col[n], base)], fill="black")  # x axis
    draw.line([(left - 1, plot_top), (left - 1, base)], fill="black")  # y axis
    # y ticks and labels: 0 and the largest count, right-aligned left of the axis
    for value, row in ((0, base), (top, base - (_PLOT_HEIGHT - 1))):
        draw.line([(left - 1 - _TICK, row), (left - 1, row)], fill="black")
        box = size(_num(value))
        label_y = min(max(row - (box[3] - box[1]) // 2, plot_top), base - (box[3] - box[1]))
        text(left - 1 - _TICK - _GAP - _width(box), label_y, _num(value))
    # x ticks at bin edges: as many as fit side by side, always the first and the last
    label_y = base + 1 + _TICK + _GAP
    placed = _pick_ticks(texts["ticks"], col, size, width)
    for j, x, label in placed:
        draw.line([(col[j], base + 1), (col[j], base + _TICK)], fill="black")
        text(x, label_y, label)
    axis_y = label_y + line_h + _GAP
    text(_MARGIN, axis_y, texts["axis"])
    return axis_y + line_h + _MARGIN


def _pick_ticks(
    ticks: list[tuple[int, str]], col: list[int], size: Any, width: int
) -> list[tuple[int, int, str]]:
    """Ticks every ``step`` edges plus the last edge, with labels (centred on their tick, kept
    inside the image) that do not touch: (edge index, label x, label). The step starts near
    an eighth of the bins and doubles until the labels fit; the two ends are always shown."""
    n = len(ticks) - 1

    def place(j: int) -> tuple[int, int, str, int]:
        label = ticks[j][1]
        box = size(label)
        w = box[2] - box[0]
        return j, min(max(col[j] - w // 2, _MARGIN), width - _MARGIN - w), label, w

    def clear(a: tuple[int, int, str, int], b: tuple[int, int, str, int]) -> bool:
        return a[1] + a[3] + _GAP <= b[1]

    step = max(1, math.ceil(n / 8))
    while True:
        placed = [place(j) for j in builtins_range(0, n, step)] + [place(n)]
        if len(placed) > 2 and not clear(placed[-2], placed[-1]):
            del placed[-2]  # the last edge's label wins over its crowded neighbour
        if step >= n or all(clear(a, b) for a, b in itertools.pairwise(placed)):
            return [(j, x, label) for j, x, label, _ in placed]
        step *= 2
