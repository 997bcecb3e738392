"""Encoders dicom-tools adds for transfer syntaxes pydicom has no encoder for.

* JPEG Lossless, Process 14, Selection Value 1 (also valid as Process 14 with any predictor):
  written here with numpy (ITU T.81 Annex H, predictor 1, one optimal Huffman table per frame).
  No C library in the Python ecosystem we depend on writes it; the format is simple enough to
  vectorise.
* JPEG Baseline: Pillow's libjpeg, 8-bit only.

Each encoder takes one frame as an array shaped (rows, columns) or (rows, columns, samples)
and returns the codestream with the Photometric Interpretation it implies. The codec registry
(``dicom_tools.dicom.codecs``) names these functions by ``"module:function"`` strings and
imports this module only when one of them is used.
"""

from __future__ import annotations

import io
import struct
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

# ---------------------------------------------------------------------------------------------
# JPEG Lossless SV1


def _optimal_code_lengths(freq: list[int]) -> list[int]:
    """Huffman code lengths (<= 16 bits, all-ones code reserved) as in T.81 Annex K.2/K.3.

    ``freq`` has one count per symbol; the result has one length per symbol (0 = unused).
    """
    n = len(freq)
    counts = [*freq, 1]  # a reserved pseudo-symbol keeps any real code from being all ones
    codesize = [0] * (n + 1)
    others = [-1] * (n + 1)
    while True:
        c1 = c2 = -1
        v1 = v2 = None
        for i, f in enumerate(counts):  # the two least frequent (ties: the highest index)
            if f == 0:
                continue
            if v1 is None or f <= v1:
                c2, v2 = c1, v1
                c1, v1 = i, f
            elif v2 is None or f <= v2:
                c2, v2 = i, f
        if c2 < 0:
            break
        counts[c1] += counts[c2]
        counts[c2] = 0
        codesize[c1] += 1
        while others[c1] >= 0:
            c1 = others[c1]
            codesize[c1] += 1
        others[c1] = c2
        codesize[c2] += 1
        while others[c2] >= 0:
            c2 = others[c2]
            codesize[c2] += 1
    bits = [0] * 33
    for size in codesize:
        if size:
            bits[size] += 1
    # K.3: move codes longer than 16 bits up the tree.
    for i in range(32, 16, -1):
        while bits[i] > 0:
            j = i - 2
            while bits[j] == 0:
                j -= 1
            bits[i] -= 2
            bits[i - 1] += 1
            bits[j + 1] += 2
            bits[j] -= 1
    i = 16
    while bits[i] == 0:
        i -= 1
    bits[i] -= 1  # drop the reserved symbol's code
    # Assign the lengths back to symbols, shortest codes to the most frequent symbols.
    order = sorted((s for s in range(n) if freq[s]), key=lambda s: (codesize[s], s))
    lengths = [0] * n
    pos = 0
    for size in range(1, 17):
        for _ in range(bits[size]):
            lengths[order[pos]] = size
            pos += 1
    return lengths


def _canonical_codes(lengths: list[int]) -> tuple[list[int], list[int], list[int]]:
    """BITS (16 counts), HUFFVAL (symbols in code order) and the code of each symbol."""
    huffval = sorted((s for s in range(len(lengths)) if lengths[s]), key=lambda s: (lengths[s], s))
    bits = [sum(1 for s in huffval if lengths[s] == n) for n in range(1, 17)]
    codes = [0] * len(lengths)
    code = 0
    size = lengths[huffval[0]] if huffval else 0
    for s in huffval:
        code <<= lengths[s] - size
        size = lengths[s]
        codes[s] = code
        code += 1
    return bits, huffval, codes


def _segment(marker: int, payload: bytes) -> bytes:
    return struct.pack(">HH", marker, len(payload) + 2) + payload


def encode_jpeg_lossless_sv1(
    frame: np.ndarray,
    *,
    bits_stored: int,
    pixel_representation: int = 0,
    photometric: str = "MONOCHROME2",
    **_: Any,
) -> tuple[bytes, str]:
    """One frame as a JPEG Lossless Process 14 SV1 codestream (predictor 1, point transform 0)."""
    import numpy as np

    arr = frame if frame.ndim == 3 else frame[:, :, None]
    rows, cols, ncomp = arr.shape
    precision = max(2, bits_stored)
    mask = (1 << precision) - 1
    # Samples as unsigned P-bit values: two's complement for signed data (decoders hand them
    # back and DICOM's Pixel Representation restores the sign).
    x = arr.astype(np.int32) & mask

    # Predictor 1 (left); the first column uses the sample above, the first sample 2^(P-1).
    pred = np.empty_like(x)
    pred[:, 1:] = x[:, :-1]
    pred[1:, 0] = x[:-1, 0]
    pred[0, 0] = 1 << (precision - 1)
    # Differences modulo 2^16, in -32767..32768 (H.1.2.1).
    diff = ((x - pred + 32767) & 0xFFFF) - 32767
    mag = np.abs(diff)
    ssss = np.frexp(mag)[1].astype(np.int32)  # the bit length of |diff|: 0 for 0
    # Additional bits: the low SSSS bits of diff, or of diff - 1 when negative; none for 16.
    extra_len = np.where(ssss == 16, 0, ssss)
    extra = np.where(diff < 0, diff - 1, diff) & ((1 << extra_len) - 1)

    freq = np.bincount(ssss.ravel(), minlength=17).tolist()
    lengths = _optimal_code_lengths(freq)
    bits, huffval, codes = _canonical_codes(lengths)

    sym = ssss.ravel()  # raster order, components interleaved pixel by pixel
    code_len = np.asarray(lengths, dtype=np.int64)[sym]
    total_len = code_len + extra_len.ravel()
    value = (np.asarray(codes, dtype=np.int64)[sym] << extra_len.ravel()) | extra.ravel()
    # Expand every code to its bits (MSB first), then pack; pad the last byte with ones.
    nbits = int(total_len.sum())
    starts = np.cumsum(total_len) - total_len
    owner = np.repeat(np.arange(sym.size, dtype=np.int64), total_len)
    shift = total_len[owner] - 1 - (np.arange(nbits, dtype=np.int64) - starts[owner])
    bitarr = ((value[owner] >> shift) & 1).astype(np.uint8)
    pad = (-nbits) % 8
    if pad:
        bitarr = np.concatenate([bitarr, np.ones(pad, dtype=np.uint8)])
    data = np.packbits(bitarr)
    ff = np.flatnonzero(data == 0xFF)
    if ff.size:
        data = np.insert(data, ff + 1, 0)  # byte stuffing

    rgb = photometric == "RGB"
    ids = [82, 71, 66] if rgb and ncomp == 3 else list(range(1, ncomp + 1))
    out = io.BytesIO()
    out.write(b"\xff\xd8")
    if ncomp == 3:
        # Adobe APP14 with transform 0: the components are stored as given, never converted.
        out.write(_segment(0xFFEE, b"Adobe" + struct.pack(">HHHB", 100, 0, 0, 0)))
    sof = struct.pack(">BHHB", precision, rows, cols, ncomp)
    sof += b"".join(struct.pack(">BBB", c, 0x11, 0) for c in ids)
    out.write(_segment(0xFFC3, sof))
    out.write(_segment(0xFFC4, bytes([0x00, *bits, *huffval])))
    sos = bytes([ncomp]) + b"".join(struct.pack(">BB", c, 0x00) for c in ids)
    sos += bytes([1, 0, 0])  # Ss = predictor 1, Se = 0, Ah/Al = 0 (no point transform)
    out.write(_segment(0xFFDA, sos))
    out.write(data.tobytes())
    out.write(b"\xff\xd9")
    return out.getvalue(), photometric


# ---------------------------------------------------------------------------------------------
# JPEG Baseline with Pillow


def pillow_jpeg_available() -> bool:
    """Whether Pillow is installed with libjpeg."""
    try:
        from PIL import features
    except ImportError:
        return False
    return bool(features.check("jpg"))


def encode_jpeg_baseline(
    frame: np.ndarray,
    *,
    bits_stored: int,
    pixel_representation: int = 0,
    photometric: str = "MONOCHROME2",
    quality: int | None = None,
    **_: Any,
) -> tuple[bytes, str]:
    """One 8-bit frame as JPEG Baseline; colour is stored as YCbCr with 4:2:2 subsampling."""
    import numpy as np
    from PIL import Image

    arr = np.ascontiguousarray(frame, dtype=np.uint8)
    buf = io.BytesIO()
    q = 90 if quality is None else quality  # dcmcjpeg's default quality
    if arr.ndim == 2:
        Image.fromarray(arr, "L").save(buf, "JPEG", quality=q)
        return buf.getvalue(), photometric
    # YBR_FULL input is already YCbCr: Pillow then writes it without a colour conversion.
    mode = "YCbCr" if photometric.startswith("YBR") else "RGB"
    img = Image.frombytes(mode, (arr.shape[1], arr.shape[0]), arr.tobytes())
    img.save(buf, "JPEG", quality=q, subsampling=1)  # 1 = 4:2:2, what YBR_FULL_422 means
    return buf.getvalue(), "YBR_FULL_422"
