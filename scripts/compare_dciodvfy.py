"""Compare ``validate`` with dciodvfy (dicom3tools) over pydicom's test corpus.

Both tools' errors are reduced to (attribute keyword, kind) pairs per file, kinds being
``missing``, ``empty``, ``bad-value``, ``bad-vr``, ``condition-unsatisfied``, ``meta``,
``structure``, ``no-iod``, ``unreadable`` and ``sr-content``, and the pairs are matched: an error
both report, only ours, only dciodvfy's. Every difference left must match one entry of
``KNOWN`` (a documented reason); the corpus test (tests/validation/test_dciodvfy_agreement.py)
fails on any other, so a regression, or a new dciodvfy rule, shows up.

    python scripts/compare_dciodvfy.py            # the table, per file and total
    python scripts/compare_dciodvfy.py -v         # and each difference with its reason
    python scripts/compare_dciodvfy.py FILE...    # other files
"""

from __future__ import annotations

import argparse
import fnmatch
import functools
import re
import shutil
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

Key = tuple[str, str]  # (attribute keyword, kind)


# --- dciodvfy's side -------------------------------------------------------------------------

_ELEMENT = r"Element=<(\w+)>"
_TAG = r"\(0x([0-9a-f]{4}),0x([0-9a-f]{4})\)"
# (pattern, kind, fixed keyword); a pattern's first group is the keyword, or two groups a tag.
_DCIODVFY: list[tuple[re.Pattern[str], str, str | None]] = [
    (re.compile(r"Missing attribute Type \S+ \w+ " + _ELEMENT), "missing", None),
    (re.compile(r"Empty attribute \(no value\) Type \S+ \w+ " + _ELEMENT), "empty", None),
    (re.compile(r"Attribute present when condition unsatisfied.*" + _ELEMENT), "condition", None),
    (re.compile(r"Shall not be present .* attribute <(\w+)>"), "condition", None),
    (re.compile(r"Value invalid for this VR - " + _TAG), "bad-value", None),
    (re.compile(r"Illegal root for UID - .* in " + _TAG), "bad-value", None),
    (re.compile(r"Unrecognized enumerated value .* of attribute <([^>]+)>"), "bad-value", None),
    (re.compile(r"Value is zero for value \d+ of attribute <([^>]+)>"), "bad-value", None),
    (re.compile(r"Orientation vector.* vector of (\w+)"), "bad-value", None),
    (
        re.compile(r"StudyInstanceUID has same value as FrameOfReferenceUID"),
        "bad-value",
        "FrameOfReferenceUID",
    ),
    (re.compile(r"Bad attribute Value Multiplicity.*" + _ELEMENT), "bad-value", None),
    (re.compile(r"Bad Sequence number of Items.*" + _ELEMENT), "bad-value", None),
    (re.compile(r"Invalid Value Representation - Pixel Data"), "bad-vr", "PixelData"),
    (re.compile(r"PixelData has incorrect value length"), "structure", "PixelData"),
    (
        re.compile(r"Number of items in PerFrameFunctionalGroupsSequence"),
        "structure",
        "PerFrameFunctionalGroupsSequence",
    ),
    (re.compile(r"Tags out of order"), "structure", ""),
    (
        re.compile(r"MediaStorageSOPInstanceUID but missing SOPInstanceUID"),
        "missing",
        "SOPInstanceUID",
    ),
    (re.compile(r"MediaStorageSOPClassUID but missing SOPClassUID"), "missing", "SOPClassUID"),
    (
        re.compile(r"Metaheader present but doesn't contain Transfer Syntax UID"),
        "missing",
        "TransferSyntaxUID",
    ),
    (re.compile(r"MediaStorageSOP(Instance|Class)UID different from SOP"), "meta", None),
    (re.compile(r"Information Object Not found"), "no-iod", "SOPClassUID"),
    (re.compile(r"Dicom dataset read failed"), "unreadable", ""),
    (
        re.compile(r"Referenced SOP Instance is not listed in .*Evidence"),
        "sr-content",
        "CurrentRequestedProcedureEvidenceSequence",
    ),
    (
        re.compile(r"Content Item has missing or incorrect required child"),
        "sr-content",
        "ContentSequence",
    ),
]
# A summary line that repeats what the "Value invalid" lines say.
_IGNORED = ("Dicom dataset contains invalid data values",)


@functools.cache
def _name_to_keyword() -> dict[str, str]:
    from pydicom.datadict import DicomDictionary

    return {name: kw for _vr, _vm, name, _ret, kw in DicomDictionary.values()}


def _keyword_of_tag(group: str, element: str) -> str:
    from dicom_tools.dicom.dictionary import keyword

    tag = int(group + element, 16)
    return keyword(tag) or f"({group.upper()},{element.upper()})"


def dciodvfy_key(line: str) -> Key | None:
    """One dciodvfy ``Error - ...`` line as (keyword, kind); None for a summary line.
    Raises ValueError on a line of a kind not known here (so new kinds are not lost)."""
    text = line.removeprefix("Error - ")
    if text.startswith(_IGNORED):
        return None
    for pattern, kind, fixed in _DCIODVFY:
        m = pattern.search(text)
        if not m:
            continue
        if kind == "meta":
            return ("MediaStorageSOP" + m.group(1) + "UID", kind)
        if fixed is not None:
            return (fixed, kind)
        if len(m.groups()) == 2:
            return (_keyword_of_tag(*m.groups()), kind)
        name = m.group(1)
        return (_name_to_keyword().get(name, name), kind)
    raise ValueError(f"unknown dciodvfy error: {line}")


@dataclass
class DciodvfyRun:
    lines: list[str]  # the Error lines
    crashed: bool  # dciodvfy aborted (it asserts on Bits Allocated 32)


def run_dciodvfy(path: Path, tool: str = "dciodvfy") -> DciodvfyRun:
    proc = subprocess.run([tool, str(path)], capture_output=True, text=True, errors="replace")
    out = proc.stdout + proc.stderr
    lines = [line for line in out.splitlines() if line.startswith("Error")]
    return DciodvfyRun(lines, "Assertion" in out or proc.returncode < 0)


# --- our side --------------------------------------------------------------------------------

_OUR_KINDS = {
    "missing-type1": "missing",
    "missing-type2": "missing",
    "empty-type1": "empty",
    "condition-unsatisfied": "condition",
    "bad-format": "bad-value",
    "bad-length": "bad-value",
    "bad-character": "bad-value",
    "bad-padding": "bad-value",
    "bad-enumerated": "bad-value",
    "bad-vm": "bad-value",
    "bad-orientation": "bad-value",
    "bad-vr": "bad-vr",
    "meta-mismatch": "meta",
    "bad-pixel-length": "structure",
    "bad-frame-count": "structure",
    "bad-fragments": "structure",
    "bad-pixel-module": "structure",
    "out-of-order": "structure",
    "duplicate": "structure",
    "odd-length": "structure",
    "bad-pixel-data": "pixel-data",
}


def our_key(finding) -> Key:
    kind = _OUR_KINDS.get(finding.code, finding.code)
    keyword = finding.keyword
    if finding.code == "meta-mismatch" and keyword.startswith("SOP"):
        keyword = "MediaStorage" + keyword
    elif not keyword and finding.tag is not None:  # private: named by tag, as dciodvfy does
        keyword = f"({finding.tag >> 16:04X},{finding.tag & 0xFFFF:04X})"
    return (keyword, kind)


# --- known differences -----------------------------------------------------------------------


@dataclass(frozen=True)
class Known:
    side: str  # "ours" or "dciodvfy": whose error the other does not report
    kind: str
    keyword: str = "*"  # fnmatch patterns
    file: str = "*"
    reason: str = ""

    def matches(self, side: str, name: str, key: Key) -> bool:
        keyword, kind = key
        return (
            side == self.side
            and fnmatch.fnmatchcase(kind, self.kind)
            and fnmatch.fnmatchcase(keyword, self.keyword)
            and fnmatch.fnmatchcase(name, self.file)
        )


# Each remaining difference, with its reason. Keep entries as narrow as the reason allows.
KNOWN: list[Known] = [
    # --- dciodvfy reports, we do not ---
    Known("dciodvfy", "missing", "FrameOfReferenceUID", "rtstruct.dcm",
          "the current standard (highdicom's tables) has the Frame of Reference module U in the RT "
          "Structure Set IOD; dciodvfy's 2022 tables have it M"),
    Known("dciodvfy", "missing", "PositionReferenceIndicator", "rtstruct.dcm",
          "the current standard (highdicom's tables) has the Frame of Reference module U in the RT "
          "Structure Set IOD; dciodvfy's 2022 tables have it M"),
    Known("dciodvfy", "sr-content", reason="SR content tree and evidence "
          "rules (templates, references listed in the evidence sequences): not checked"),
    Known("dciodvfy", "condition", "ReferencedFrameNumber", "test-SR.dcm", "its condition depends "
          "on whether the referenced SOP Class is multi-frame: not decided from the file"),
    Known("dciodvfy", "bad-value", "FrameOfReferenceUID", "ExplVR_*.dcm", "a Frame of "
          "Reference UID equal to the Study Instance UID: dciodvfy's plausibility rule, the "
          "standard does not forbid it"),
    Known("dciodvfy", "unreadable", file="SC_rgb_jpeg.dcm", reason="dciodvfy fails to read this "
          "file (dcmdump, gdcm and pydicom read it, its JPEG frames decode)"),
    Known("dciodvfy", "*", file="image_dfl.dcm", reason="Deflated Explicit VR Little Endian: "
          "dciodvfy cannot inflate the data set; its read failure and the missing attributes "
          "that follow from it"),
    Known("dciodvfy", "*", file="meta_missing_tsyntax.dcm", reason="no Transfer Syntax UID in the "
          "meta: dciodvfy guesses another encoding, reads the data set wrong and reports what "
          "follows; we report the missing Transfer Syntax UID and read the data set"),
    Known("dciodvfy", "*", file="nested_priv_SQ.dcm", reason="a private sequence of undefined "
          "length in implicit VR: dciodvfy loses its place and reports tags out of order and "
          "missing attributes; the data set is well-formed (dcmdump reads it)"),
    Known("dciodvfy", "no-iod", "SOPClassUID", "color-p[lx].dcm", "retired US Image Storage "
          "(1.2.840.10008.5.1.4.1.1.6) is not in the current standard's tables: we warn "
          "(unknown-iod) and check the values only; dciodvfy calls it an error"),
    Known("dciodvfy", "bad-value", "PhotometricInterpretation", "SC_*", "dciodvfy restricts "
          "Photometric Interpretation per IOD and transfer syntax (YBR_FULL in JPEG Baseline, "
          "native YBR_FULL_422); we check it against the standard's list of values only"),
    Known("dciodvfy", "structure", "PixelData", "SC_ybr_full_422_uncompressed.dcm", "dciodvfy "
          "sizes native YBR_FULL_422 as three full samples per pixel; the file's length is the "
          "4:2:2 size (two samples per pixel on average), which we check"),
    Known("dciodvfy", "bad-value", "NumberOfFrames", "*2frame*", "two frames in a single-frame "
          "SOP Class (US Image, SC Image): dciodvfy enumerates Number of Frames as 1; the "
          "current tables have no Multi-frame module there, so we report the attribute as "
          "outside the IOD (info)"),
    Known("dciodvfy", "bad-value", "PixelSpacing", "RG1_*", "Pixel Spacing 0\\0: dciodvfy's "
          "plausibility rule (a spacing must be positive); not checked"),
    Known("dciodvfy", "bad-value", "RescaleType", "eCT_Supplemental.dcm", "an IOD-specific "
          "enumerated value (HU in the CT Pixel Value Transformation); our enumerated values are "
          "the module-independent ones"),
    Known("dciodvfy", "condition", "Laterality", reason="Laterality present with an unpaired body "
          "part: dciodvfy treats the condition as exclusive, PS3.3 C.7.3.1 does not say 'shall "
          "not be present otherwise'"),
    Known("dciodvfy", "condition", "PixelAspectRatio", "chr*Multi*.dcm", "dciodvfy's rule that "
          "Pixel Aspect Ratio shall not accompany Imager Pixel Spacing (CR): not checked"),
    Known("dciodvfy", "condition", "MultiplexGroupTimeOffset", "waveform_ecg.dcm", "a Waveform "
          "module 1C condition that validate does not decide"),
    Known("dciodvfy", "missing", "[LU]*CodeValue", "JPGLosslessP14SV1_1s_1f_8b.dcm", "alternatives "
          "to Code Value: a code with none of the three is reported once, as missing Code Value"),
    Known("dciodvfy", "bad-value", "RequestAttributesSequence", "JPGLosslessP14SV1_1s_1f_8b.dcm",
          "a Type 3 sequence with zero items: PS3.5 7.5 allows an empty sequence, dciodvfy wants "
          "one item or more"),
    # --- we report, dciodvfy does not ---
    Known("ours", "missing", reason="attributes the current standard (highdicom's tables) "
          "requires that dciodvfy's 2022 tables do not, modules dciodvfy does not check for "
          "that IOD, or files whose IOD dciodvfy does not find (no SOP Class UID in the data "
          "set; we fall back on the meta's)"),
    Known("ours", "empty", reason="Type 1 in the current standard, not in dciodvfy's tables"),
    Known("ours", "structure", reason="encoding rules dciodvfy does not check (odd lengths, "
          "fragment structure, Pixel Data length of an encapsulated object)"),
    Known("ours", "bad-value", reason="value rules dciodvfy does not check or reports as a "
          "warning: calendar dates, control characters, lengths counted in characters of a "
          "multi-byte character set, private values against their explicit VR"),
    Known("ours", "bad-vr", reason="VR in the file differs from the dictionary: dciodvfy reports "
          "it as a warning, we as an error"),
    Known("ours", "illegal-group", reason="odd groups 0001-0007 and FFFF are not allowed (PS3.5 "
          "7.8.1); dciodvfy says nothing"),
    Known("ours", "no-private-creator", reason="private elements without their creator: dciodvfy "
          "does not check private creators"),
    Known("ours", "no-meta", reason="no File Meta Information: dciodvfy reads such files without "
          "a word"),
    Known("ours", "transfer-syntax-mismatch", reason="the encoding contradicts the Transfer "
          "Syntax UID: dciodvfy follows the encoding silently"),
    Known("ours", "meta", reason="MediaStorage UIDs differ from the data set's; dciodvfy skips the "
          "comparison when the data set lacks them"),
    Known("ours", "condition", reason="a conditional attribute present against an exclusive "
          "condition that dciodvfy's tables do not mark exclusive"),
    Known("ours", "pixel-data", reason="frames that fail to decode: dciodvfy does not decode "
          "pixel data"),
]  # fmt: skip


def explain(side: str, name: str, key: Key) -> str | None:
    return next((k.reason for k in KNOWN if k.matches(side, name, key)), None)


# --- comparison ------------------------------------------------------------------------------


@dataclass
class FileComparison:
    name: str
    both: set[Key] = field(default_factory=set)
    ours: set[Key] = field(default_factory=set)  # only ours
    theirs: set[Key] = field(default_factory=set)  # only dciodvfy's
    crashed: bool = False


def compare_file(path: Path, tool: str = "dciodvfy") -> FileComparison:
    from dicom_tools.validation import validate_file

    run = run_dciodvfy(path, tool)
    result = FileComparison(path.name, crashed=run.crashed)
    if run.crashed:
        return result
    theirs = {k for line in run.lines if (k := dciodvfy_key(line)) is not None}
    try:
        ours = {our_key(f) for f in validate_file(path).errors()}
    except ValueError:  # not walkable at all: validate exits 2
        ours = {("", "unreadable")}
    if ("SOPClassUID", "missing") in ours | theirs:
        # Without a SOP Class UID dciodvfy finds no IOD: one problem, reported twice.
        theirs.discard(("SOPClassUID", "no-iod"))
    result.both = ours & theirs
    result.ours = ours - theirs
    result.theirs = theirs - ours
    return result


def corpus() -> list[Path]:
    sys.path.insert(0, str(ROOT / "tests"))
    from conftest import corpus_files

    return corpus_files()


def table(results: Iterable[FileComparison], verbose: bool = False) -> str:
    rows = [f"{'file':<48} {'both':>5} {'ours':>5} {'dciodvfy':>8}"]
    totals = [0, 0, 0]
    crashed = []
    reasons: dict[tuple[str, str], int] = {}
    unexplained = []
    for r in results:
        if r.crashed:
            crashed.append(r.name)
            continue
        counts = (len(r.both), len(r.ours), len(r.theirs))
        totals = [a + b for a, b in zip(totals, counts, strict=True)]
        if any(counts):
            rows.append(f"{r.name:<48} {counts[0]:>5} {counts[1]:>5} {counts[2]:>8}")
        for side, keys in (("ours", r.ours), ("dciodvfy", r.theirs)):
            for key in sorted(keys):
                why = explain(side, r.name, key)
                if why is None:
                    unexplained.append(f"  {side}-only {r.name}: {key[0]} ({key[1]})")
                else:
                    reasons[side, why] = reasons.get((side, why), 0) + 1
                if verbose:
                    rows.append(f"    {side}-only {key[0]} ({key[1]}): {why or 'UNEXPLAINED'}")
    rows.append(f"{'total':<48} {totals[0]:>5} {totals[1]:>5} {totals[2]:>8}")
    rows.append(f"dciodvfy crashed (not compared): {', '.join(crashed) or 'none'}")
    rows.append("\nDifferences by reason:")
    for (side, why), n in sorted(reasons.items(), key=lambda kv: (kv[0][0], -kv[1])):
        rows.append(f"  {n:4d} only {side}: {why}")
    if unexplained:
        rows.append("\nUNEXPLAINED:")
        rows.extend(unexplained)
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="*", type=Path)
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args(argv)
    tool = shutil.which("dciodvfy")
    if tool is None:
        print("dciodvfy (dicom3tools) is not on PATH", file=sys.stderr)
        return 2
    files = args.files or corpus()
    print(table((compare_file(p, tool) for p in files), args.verbose))
    return 0


if __name__ == "__main__":
    sys.exit(main())
