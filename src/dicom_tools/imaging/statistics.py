"""Exact pixel statistics and histograms, streamed one frame at a time.

Both one frame (``frame=N``) and a whole file go through the same engine, one frame in memory
at a time (a single frame of float values is simply handed to np.percentile & co.):

* Integer values (stored values, a Modality LUT, or one rescale shared by every frame): a single
  pass counts every distinct *stored* value in a dense integer histogram (at most 2**21 distinct
  keys, 16 MiB), then maps the distinct keys through the modality stage. Order statistics,
  percentiles, mean and std come from the (value, count) pairs exactly: the percentiles are the
  same numbers np.percentile gives on the whole array, the mean and variance are computed from
  exact integer sums (or with ``math.fsum`` for non-integer rescaled values), and the histogram
  is ``np.histogram(distinct values, weights=counts)``, which puts every value in the same bin.
  Enhanced objects whose integral rescale varies per frame key on the (integer) modality values.
* Anything else (float pixel data, non-integral rescale varying per frame, integers spanning
  more than 2**21 values): exact selection by radix refinement. A first pass gives count, min,
  max, and mean/variance (per-frame float64 moments combined with Chan's parallel formula, so
  within float rounding of numpy). Each further pass re-decodes the frames and counts the next
  16 bits of an order-preserving 64-bit key of the float64 values, only for values that share
  the bits already found for each wanted rank; once buckets are small enough (2**21 values in
  all per pass) their values are kept and sorted. Memory stays bounded (one frame, 64 Ki counts
  per wanted rank, at most 16 MiB of kept values); the price is re-decoding the file, typically
  2 to 4 more passes.

Medians and percentiles are computed in float64 (np.median of float32 data averages in float32,
so results on float pixel data can differ from numpy's in the 7th digit, ours being closer).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import numpy as np

from dicom_tools.dicom.pixels import PixelSource
from dicom_tools.imaging import backend
from dicom_tools.imaging.modality import IDENTITY, ModalityLUT, apply_modality, modality_params

PERCENTILES = (1, 5, 25, 75, 95, 99)
DENSE_LIMIT = 1 << 21  # most distinct integer keys the one-pass histogram holds
COLLECT_LIMIT = 1 << 21  # most values (all buckets together) a radix pass keeps to sort (16 MiB)
_SIGN = 1 << 63


def channel_names(src: PixelSource) -> list[str]:
    if src.samples == 1:
        return ["gray" if src.photometric.startswith("MONOCHROME") else "value"]
    # pydicom hands colour back as RGB (YBR converted), with an alpha-like 4th sample if any
    return ["red", "green", "blue", "alpha"][: src.samples]


def channel(values: Any, c: int, src: PixelSource) -> Any:
    return values if src.samples == 1 else values[..., c]


def frame_values(src: PixelSource, index: int, xp: ModuleType, stored: bool) -> Any:
    arr = xp.asarray(src.frame(index))
    if stored:
        return arr
    return apply_modality(arr, modality_params(src.ds, index), xp)


# --------------------------------------------------------------------------- one frame: numpy


def _py(value: Any) -> Any:
    """A numpy/cupy scalar as a JSON-friendly Python number."""
    value = backend.to_numpy(value)
    if isinstance(value, np.ndarray):
        value = value.item()
    if isinstance(value, np.generic):
        value = value.item()
    return value


def _native(value: Any) -> Any:
    """A numpy/cupy 0-d result as a numpy scalar of the same dtype."""
    return np.asarray(backend.to_numpy(value))[()]


def direct_stats(v: Any, xp: ModuleType) -> dict[str, Any]:
    qs = backend.to_numpy(xp.percentile(v, list(PERCENTILES)))
    return {
        "count": int(v.size),
        "min": _py(v.min()),
        "max": _py(v.max()),
        "mean": float(_py(xp.mean(v, dtype=xp.float64))),
        "std": float(_py(xp.std(v, dtype=xp.float64))),
        "median": float(_py(xp.median(v))),
        "percentiles": {str(p): float(q) for p, q in zip(PERCENTILES, qs, strict=True)},
    }


def direct_histogram(
    v: Any, bins: int, hist_range: tuple[float, float] | None, xp: ModuleType
) -> dict[str, Any]:
    counts, edges = xp.histogram(v, bins=bins, range=hist_range)
    return _hist_dict(int(v.size), _py(v.min()), _py(v.max()), counts, edges)


def _hist_dict(count: int, vmin: Any, vmax: Any, counts: Any, edges: Any) -> dict[str, Any]:
    counts = backend.to_numpy(counts)
    edges = backend.to_numpy(edges)
    return {
        "count": count,
        "min": vmin,
        "max": vmax,
        "in_range": int(counts.sum()),
        "counts": [int(c) for c in counts],
        "bin_edges": [float(e) for e in edges],
    }


# --------------------------------------------------------------------------- whole file: stream


@dataclass
class _Dense:
    """Counts of every integer key seen, in one array indexed by ``key - lo``."""

    xp: ModuleType
    counts: Any = None
    lo: int = 0
    failed: bool = False

    def add(self, keys: Any) -> None:
        xp = self.xp
        flat = keys.ravel()
        dt = np.dtype(str(flat.dtype))
        if dt in (np.uint8, np.uint16):  # the whole domain, no min/max needed
            if self.counts is None:
                self.counts = xp.zeros(1 << (8 * dt.itemsize), dtype=xp.int64)
            self.counts += xp.bincount(flat, minlength=len(self.counts))
            return
        if dt in (np.int8, np.int16):
            bias = 1 << (8 * dt.itemsize - 1)
            if self.counts is None:
                self.counts = xp.zeros(2 * bias, dtype=xp.int64)
                self.lo = -bias
            self.counts += xp.bincount(flat.astype(xp.int32) + bias, minlength=len(self.counts))
            return
        flat = flat.astype(xp.int64)
        kmin, kmax = int(flat.min()), int(flat.max())
        if self.counts is None:
            self.lo, self.counts = kmin, xp.zeros(0, dtype=xp.int64)
        lo = min(self.lo, kmin)
        hi = max(self.lo + len(self.counts) - 1, kmax)
        if hi - lo + 1 > DENSE_LIMIT:
            self.failed = True
            return
        if lo < self.lo or hi >= self.lo + len(self.counts):
            grown = xp.zeros(hi - lo + 1, dtype=xp.int64)
            start = self.lo - lo
            grown[start : start + len(self.counts)] = self.counts
            self.counts, self.lo = grown, lo
        self.counts += xp.bincount(flat - self.lo, minlength=len(self.counts))

    def pairs(self) -> tuple[np.ndarray, np.ndarray]:
        """(distinct keys, their counts), keys ascending, as numpy int64."""
        counts = backend.to_numpy(self.counts)
        idx = np.flatnonzero(counts)
        return idx.astype(np.int64) + self.lo, counts[idx].astype(np.int64)


@dataclass
class _Moments:
    """Streaming count, min, max, mean and M2 (Chan et al.'s pairwise combination)."""

    n: int = 0
    mean: float = 0.0
    m2: float = 0.0
    vmin: Any = None
    vmax: Any = None
    extra: dict[str, Any] = field(default_factory=dict)

    def add(self, v: Any, xp: ModuleType) -> None:
        nb = int(v.size)
        if nb == 0:
            return
        f = v.astype(xp.float64)
        mb = float(_py(f.mean()))
        f -= mb
        m2b = float(_py(xp.vdot(f.ravel(), f.ravel())))
        # native scalars (not Python floats): np.histogram's edge dtype follows the range's type
        lo, hi = _native(v.min()), _native(v.max())
        self.vmin = lo if self.vmin is None else min(self.vmin, lo)
        self.vmax = hi if self.vmax is None else max(self.vmax, hi)
        n = self.n + nb
        delta = mb - self.mean
        self.mean += delta * nb / n
        self.m2 += m2b + delta * delta * self.n * nb / n
        self.n = n


class Stream:
    """Statistics and histograms of one frame or of every frame, one frame in memory at a time."""

    def __init__(
        self, src: PixelSource, xp: ModuleType, stored: bool, frame: int | None = None
    ) -> None:
        self.src, self.xp, self.stored, self.frame = src, xp, stored, frame
        self.indices = [frame] if frame is not None else list(range(src.frames))
        self.single = len(self.indices) == 1
        self.nch = src.samples
        self.mode, self.lut = self._plan()

    def _plan(self) -> tuple[str, ModalityLUT]:
        """'keys' (dense over stored values, one LUT), 'int' (dense over values) or 'float'."""
        src = self.src
        if src.pixel_keyword != "PixelData":  # float pixel data
            return "float", IDENTITY
        if self.stored:
            return "keys", IDENTITY
        params = [modality_params(src.ds, i) for i in self.indices]
        first = params[0]
        if all(same_lut(p, first) for p in params[1:]):
            return "keys", first
        if all(p.is_integral for p in params):
            return "int", IDENTITY
        return "float", IDENTITY

    # -- passes

    def _frames(self) -> Iterator[tuple[int, Any]]:
        if self.frame is not None:
            yield self.frame, self.xp.asarray(self.src.frame(self.frame))
            return
        for i, arr in enumerate(self.src.iter_frames()):
            yield i, self.xp.asarray(arr)

    def _values(self, i: int, arr: Any) -> Any:
        if self.stored:
            return arr
        return apply_modality(arr, modality_params(self.src.ds, i), self.xp)

    def _channels(self, v: Any) -> list[Any]:
        return [v] if self.nch == 1 else [v[..., c] for c in range(self.nch)]

    def _dense_pass(self) -> list[tuple[np.ndarray, np.ndarray]] | None:
        """One pass of exact integer counting; None if the keys span too many values."""
        dense = [_Dense(self.xp) for _ in range(self.nch)]
        for i, arr in self._frames():
            key = arr if self.mode == "keys" else self._values(i, arr).astype(self.xp.int64)
            for d, ch in zip(dense, self._channels(key), strict=True):
                d.add(ch)
                if d.failed:
                    return None
        out = []
        for d in dense:
            keys, counts = d.pairs()
            values = apply_modality(keys, self.lut, np) if self.mode == "keys" else keys
            order = np.argsort(values, kind="stable")  # a LUT need not be monotonic
            out.append((values[order], counts[order]))
        return out

    def _moment_pass(
        self, hist: tuple[int, tuple[float, float] | None] | None = None
    ) -> tuple[list[_Moments], list[Any]]:
        """count/min/max/mean/M2 per channel; also histogram counts for a fixed range."""
        moments = [_Moments() for _ in range(self.nch)]
        counts: list[Any] = [None] * self.nch
        edges: list[Any] = [None] * self.nch
        for i, arr in self._frames():
            for c, ch in enumerate(self._channels(self._values(i, arr))):
                moments[c].add(ch, self.xp)
                if hist is not None:
                    h, edges[c] = self.xp.histogram(ch, bins=hist[0], range=hist[1])
                    counts[c] = h if counts[c] is None else counts[c] + h
        return moments, list(zip(counts, edges, strict=True))

    def _hist_pass(self, bins: int, ranges: list[tuple[Any, Any]]) -> list[tuple[Any, Any]]:
        counts: list[Any] = [None] * self.nch
        edges: list[Any] = [None] * self.nch
        for i, arr in self._frames():
            for c, ch in enumerate(self._channels(self._values(i, arr))):
                h, e = self.xp.histogram(ch, bins=bins, range=ranges[c])
                counts[c] = h if counts[c] is None else counts[c] + h
                edges[c] = e
        return list(zip(counts, edges, strict=True))

    # -- results

    def stats(self) -> list[dict[str, Any]]:
        dense = self._dense_pass() if self.mode != "float" else None
        if dense is not None:
            return [_stats_from_pairs(v, c) for v, c in dense]
        moments, _ = self._moment_pass()
        wanted = [_ranks(m.n) for m in moments]
        found = _radix_select(self, moments, wanted)
        out = []
        for m, got in zip(moments, found, strict=True):
            out.append(
                {
                    "count": m.n,
                    "min": _py(m.vmin),
                    "max": _py(m.vmax),
                    "mean": m.mean,
                    "std": math.sqrt(max(m.m2, 0.0) / m.n),
                    **_quantiles(m.n, got.__getitem__),
                }
            )
        return out

    def histograms(self, bins: int, hist_range: tuple[float, float] | None) -> list[dict]:
        dense = self._dense_pass() if self.mode != "float" else None
        if dense is not None:
            out = []
            for values, counts in dense:
                rng = hist_range if hist_range else (values[0], values[-1])
                h, e = np.histogram(values, bins=bins, range=rng, weights=counts)
                out.append(_hist_dict(int(counts.sum()), _py(values[0]), _py(values[-1]), h, e))
            return out
        if hist_range is not None:
            moments, done = self._moment_pass((bins, hist_range))
        else:
            moments, _ = self._moment_pass()
            done = self._hist_pass(bins, [(m.vmin, m.vmax) for m in moments])
        return [
            _hist_dict(m.n, _py(m.vmin), _py(m.vmax), h, e)
            for m, (h, e) in zip(moments, done, strict=True)
        ]


def same_lut(a: ModalityLUT, b: ModalityLUT) -> bool:
    if a is b:
        return True
    if a.kind != b.kind or a.slope != b.slope or a.intercept != b.intercept:
        return False
    return a.lut is b.lut or (
        a.lut is not None
        and b.lut is not None
        and a.first_mapped == b.first_mapped
        and np.array_equal(a.lut, b.lut)
    )


# --------------------------------------------------------------------------- exact quantiles


def _ranks(n: int) -> set[int]:
    """The 0-based order statistics np.percentile / np.median need for n values."""
    wanted = {(n - 1) // 2, n // 2}
    for p in PERCENTILES:
        prev, nxt, _ = _virtual(n, p)
        wanted.update((prev, nxt))
    return wanted


def _virtual(n: int, p: float) -> tuple[int, int, float]:
    # np.percentile, method "linear": virtual index (n - 1) * q, q = p / 100
    vi = (n - 1) * (np.float64(p) / 100)
    prev = int(np.floor(vi))
    prev = min(max(prev, 0), n - 1)
    return prev, min(prev + 1, n - 1), float(vi - prev)


def _lerp(a: float, b: float, t: float) -> float:
    # numpy's _lerp: a + (b - a) * t, or b - (b - a) * (1 - t) for t >= 0.5 (monotone, exact ends)
    diff = b - a
    return b - diff * (1 - t) if t >= 0.5 else a + diff * t


def _quantiles(n: int, at: Callable[[int], Any]) -> dict[str, Any]:
    """median and percentiles from a function giving the value of each 0-based rank."""
    lo, hi = at((n - 1) // 2), at(n // 2)
    median = float(lo) if n % 2 else (float(lo) + float(hi)) / 2  # np.median: mean of the two
    pct = {}
    for p in PERCENTILES:
        prev, nxt, t = _virtual(n, p)
        pct[str(p)] = _lerp(float(at(prev)), float(at(nxt)), t)
    return {"median": median, "percentiles": pct}


def _stats_from_pairs(values: np.ndarray, counts: np.ndarray) -> dict[str, Any]:
    """Exact statistics from distinct values (ascending) and their counts."""
    n = int(counts.sum())
    cum = np.cumsum(counts)

    def at(rank: int) -> Any:
        return values[int(np.searchsorted(cum, rank, side="right"))]

    if values.dtype.kind in "iu" or bool(np.all(np.mod(values, 1) == 0)):
        # Exact integer sums; Python ints never overflow, int/int division rounds correctly.
        ints = [int(v) for v in values]
        cs = [int(c) for c in counts]
        s1 = sum(c * v for c, v in zip(cs, ints, strict=True))
        s2 = sum(c * v * v for c, v in zip(cs, ints, strict=True))
        mean = s1 / n
        var = (n * s2 - s1 * s1) / (n * n)
    else:
        f = values.astype(np.float64)
        mean = math.fsum((f * counts).tolist()) / n
        dev = f - mean
        var = math.fsum((dev * dev * counts).tolist()) / n
    return {
        "count": n,
        "min": _py(values[0]),
        "max": _py(values[-1]),
        "mean": float(mean),
        "std": math.sqrt(max(var, 0.0)),
        **_quantiles(n, at),
    }


def _to_keys(v: Any, xp: ModuleType) -> Any:
    """Order-preserving uint64 keys of float64 values."""
    bits = xp.ascontiguousarray(v, dtype=xp.float64).ravel().view(xp.uint64)
    neg = (bits >> xp.uint64(63)).astype(bool)
    return xp.where(neg, ~bits, bits | xp.uint64(_SIGN))


def _from_key(key: int) -> float:
    bits = key & ~_SIGN if key & _SIGN else ~key & 0xFFFFFFFFFFFFFFFF
    return float(np.array([bits], dtype=np.uint64).view(np.float64)[0])


@dataclass
class _Target:
    rank: int  # wanted 0-based order statistic
    prefix: int  # the key's high bits found so far
    bits: int  # how many high bits are known
    base: int  # how many values lie below the prefix
    size: int  # how many values share the prefix
    value: float | None = None


def _radix_select(
    stream: Stream, moments: list[_Moments], wanted: list[set[int]]
) -> list[dict[int, float]]:
    """Exact order statistics of every channel by radix refinement over re-decoded passes."""
    xp = stream.xp
    targets: list[list[_Target]] = []
    for m, ranks in zip(moments, wanted, strict=True):
        kmin = _from_float_key(m.vmin)
        kmax = _from_float_key(m.vmax)
        common = 64 - (kmin ^ kmax).bit_length()
        prefix = kmin >> (64 - common) if common else 0
        ts = [_Target(r, prefix, common, 0, m.n) for r in sorted(ranks)]
        for t in ts:
            if common == 64:
                t.value = _from_key(prefix)
        targets.append(ts)

    while any(t.value is None for ts in targets for t in ts):
        # Groups of unresolved targets sharing a prefix: each needs one histogram (or a sort).
        groups: list[dict[tuple[int, int], dict[str, Any]]] = []
        for ts in targets:
            g: dict[tuple[int, int], dict[str, Any]] = {}
            for t in ts:
                if t.value is None:
                    entry = g.setdefault((t.prefix, t.bits), {"targets": [], "size": t.size})
                    entry["targets"].append(t)
            for (_prefix, bits), entry in g.items():
                entry["width"] = min(16, 64 - bits)
            groups.append(g)
        # Keep (and later sort) the smallest buckets within one memory budget for the pass;
        # the others get one more 16-bit digit histogram.
        budget = COLLECT_LIMIT
        for entry in sorted((e for g in groups for e in g.values()), key=lambda e: e["size"]):
            entry["collect"] = entry["size"] <= budget
            budget -= entry["size"] if entry["collect"] else 0
            entry["data"] = [] if entry["collect"] else None
        for i, arr in stream._frames():
            for c, ch in enumerate(stream._channels(stream._values(i, arr))):
                if not groups[c]:
                    continue
                keys = _to_keys(ch, xp)
                for (prefix, bits), entry in groups[c].items():
                    sel = (
                        keys
                        if bits == 0
                        else keys[(keys >> xp.uint64(64 - bits)) == xp.uint64(prefix)]
                    )
                    if entry["collect"]:
                        entry["data"].append(backend.to_numpy(sel))
                        continue
                    width = entry["width"]
                    shift = xp.uint64(64 - bits - width)
                    digits = ((sel >> shift) & xp.uint64((1 << width) - 1)).astype(xp.int64)
                    h = xp.bincount(digits, minlength=1 << width)
                    entry["data"] = h if entry["data"] is None else entry["data"] + h
        for g in groups:
            for (prefix, bits), entry in g.items():
                if entry["collect"]:
                    data = np.sort(np.concatenate(entry["data"]))
                    for t in entry["targets"]:
                        t.value = _from_key(int(data[t.rank - t.base]))
                    continue
                width = entry["width"]
                counts = backend.to_numpy(entry["data"])
                cum = np.cumsum(counts)
                for t in entry["targets"]:
                    d = int(np.searchsorted(cum, t.rank - t.base, side="right"))
                    t.base += int(cum[d - 1]) if d else 0
                    t.prefix = (prefix << width) | d
                    t.bits = bits + width
                    t.size = int(counts[d])
                    if t.bits == 64:
                        t.value = _from_key(t.prefix)
    return [{t.rank: t.value for t in ts} for ts in targets]


def _from_float_key(value: Any) -> int:
    return int(_to_keys(np.asarray([float(value)]), np)[0])
