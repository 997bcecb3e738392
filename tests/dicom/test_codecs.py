"""The codec registry against what really happens: every syntax it says it can encode produces a
file dcmtk and GDCM read, lossless ones decode (by GDCM, read back by numpy) to the source's
samples; what it says it cannot encode is refused; --list says the same as the attempts.
"""

from __future__ import annotations

import re
import subprocess
import warnings
from pathlib import Path

import numpy as np
import pydicom
import pytest
from conftest import corpus_file, require_tool, run_cli

from dicom_tools.dicom import codecs, syntaxes
from dicom_tools.dicom.pixels import open_pixels
from dicom_tools.errors import MissingDependencyError
from dicom_tools.ops.transcode import transcode

ENCAPSULATED = [s for s in syntaxes.NAMED if s.encapsulated]
SOURCES = {"mono16": "CT_small.dcm", "rgb8": "SC_rgb.dcm"}


def _stored(path: Path) -> np.ndarray:
    """Stored samples as pydicom's native reader gives them (no plugin involved)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ds = pydicom.dcmread(path)
        return ds.pixel_array


def _fits(syntax: syntaxes.Syntax, kind: str) -> bool:
    profiles = codecs.encoder(syntax.uid).profiles()
    ds = pydicom.dcmread(corpus_file(SOURCES[kind]), stop_before_pixels=True)
    pi, spp = str(ds.PhotometricInterpretation), int(ds.SamplesPerPixel)
    pr, ba, bs = int(ds.PixelRepresentation), int(ds.BitsAllocated), int(ds.BitsStored)
    return not profiles or any(
        p[0] == pi and p[1] == spp and pr in p[2] and ba in p[3] and bs in p[4] for p in profiles
    )


@pytest.mark.parametrize("kind", sorted(SOURCES))
@pytest.mark.parametrize("syntax", ENCAPSULATED, ids=lambda s: s.name)
def test_what_the_registry_encodes_the_references_read(syntax, kind, tmp_path):
    encoder = codecs.encoder(syntax.uid)
    src = corpus_file(SOURCES[kind])
    out = tmp_path / "out.dcm"
    if not encoder.is_available:
        with pytest.raises(MissingDependencyError):
            transcode(src, out, transfer_syntax=syntax.name)
        assert not out.exists()
        return
    if not _fits(syntax, kind):
        pytest.skip(f"{syntax.name} takes no {kind} images (its encoding profile)")
    transcode(src, out, transfer_syntax=syntax.name)

    dcmdump = require_tool("dcmdump")
    proc = subprocess.run(
        [dcmdump, "-Un", "+P", "0002,0010", str(out)], capture_output=True, text=True
    )
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
    assert syntax.uid in proc.stdout
    gdcmconv = require_tool("gdcmconv")
    raw = tmp_path / "raw.dcm"
    proc = subprocess.run([gdcmconv, "--raw", str(out), str(raw)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    decoded, source = _stored(raw), _stored(src)
    assert decoded.shape == source.shape
    if syntax.lossy:
        return
    ds = pydicom.dcmread(raw, stop_before_pixels=True)
    if str(ds.PhotometricInterpretation) != "RGB" and kind == "rgb8":
        pytest.skip(f"GDCM keeps {ds.PhotometricInterpretation}: not comparable sample by sample")
    assert np.array_equal(decoded, source), f"{syntax.name}: GDCM decodes other samples"


def test_list_agrees_with_the_attempts(tmp_path):
    result = transcode(None, None, list=True)
    rows = {r["name"]: r for r in result.data["syntaxes"]}
    assert [r["name"] for r in result.data["syntaxes"]] == [s.name for s in syntaxes.NAMED]
    for s in syntaxes.NAMED:
        kind = "mono16" if _fits(s, "mono16") else "rgb8"
        src = corpus_file(SOURCES[kind])
        row = rows[s.name]
        line = next(ln for ln in result.text.splitlines() if ln.startswith(s.name + " "))
        assert line.split()[1:4] == [
            "yes" if row["decode"] else "no",
            "yes" if row["encode"] else "no",
            s.uid,
        ]
        out = tmp_path / f"{s.name}.dcm"
        try:
            transcode(src, out, transfer_syntax=s.name)
            encoded = True
        except MissingDependencyError:
            encoded = False
        assert encoded == row["encode"], s.name
        if encoded and row["decode"]:
            # What it wrote, it can read back: the registry's decoder for the syntax works.
            frame = open_pixels(out).frame(0)
            assert frame.shape == _stored(src).shape
    proc = run_cli("transcode", "--list")
    assert proc.returncode == 0 and proc.stdout.strip() == result.text


def test_decoders_named_by_the_registry_are_pydicoms():
    from pydicom.pixels import get_decoder

    for s in syntaxes.NAMED:
        dec = codecs.decoder(s.uid)
        if s.native:
            assert dec.is_available and dec.plugins == ["pydicom"]
            continue
        assert dec.plugins == sorted(get_decoder(s.uid).available_plugins)


def test_missing_decoder_says_what_to_install():
    dec = codecs.decoder("1.2.840.10008.1.2.4.100")  # MPEG2: no decoder exists for pydicom
    assert not dec.is_available
    with pytest.raises(MissingDependencyError, match=r"f\.dcm: pixel data in MPEG2"):
        dec.require("f.dcm")


# Modules that asked for syntaxes by UID before the registry; none may spell one now.
OWNED = [
    "imaging",
    "ops/transcode.py",
    "ops/image.py",
    "ops/stats.py",
    "anonymize",
    "validation/pixel.py",
    "validation/meta.py",
]


def test_no_operation_spells_a_transfer_syntax_uid():
    root = Path(__file__).resolve().parents[2] / "src" / "dicom_tools"
    uid = re.compile(r"1\.2\.840\.10008\.1\.2")
    for name in OWNED:
        path = root / name
        for f in sorted(path.rglob("*.py")) if path.is_dir() else [path]:
            assert not uid.search(f.read_text()), f"{f} spells a transfer syntax UID"
