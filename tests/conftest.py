"""Shared fixtures: the real-file corpus (pydicom's test files and pydicom-data) and tool lookup.

The corpus is listed from the package folders directly: pydicom's ``get_testdata_files`` would try
to download files that pydicom-data does not hold, and nothing here reaches the internet.

References must not drop out quietly. The corpus is counted (a missing pydicom-data, or a changed
pydicom, fails the collection instead of shrinking every corpus test), and the external tools
the tests compare with are looked up by ``require_tool``: with DICOM_TOOLS_REQUIRE_REFERENCES=1
(``make test``, and so CI) a missing one fails the test that needs it, naming the tool; without
the variable (a developer's quick run) it skips, and the skip counts are printed by reason at
the end of the run.
"""

from __future__ import annotations

import collections
import functools
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import NoReturn

import pydicom.data
import pytest

PYDICOM_DATA = Path(pydicom.data.__file__).parent
TEST_FILES = PYDICOM_DATA / "test_files"
CHARSET_FILES = PYDICOM_DATA / "charset_files"

# Set by `make test` (and so in CI): every reference (tool or file) must be there.
REQUIRE_REFERENCES = os.environ.get("DICOM_TOOLS_REQUIRE_REFERENCES", "") not in ("", "0")

# Every external program the tests run as a reference, with its Debian package.
# scripts/system-deps.sh installs and checks the same list; tests/test_references.py checks that
# the tests run no other tool, that the script names each one, and that each is on PATH.
REFERENCE_TOOLS = {
    "dcmdump": "dcmtk",
    "dcm2json": "dcmtk",
    "dcmodify": "dcmtk",
    "dcmconv": "dcmtk",
    "dcmdrle": "dcmtk",
    "dcmdjpeg": "dcmtk",
    "dcmdjpls": "dcmtk",
    "dcmcjpeg": "dcmtk",
    "dcmcjpls": "dcmtk",
    "dcmj2pnm": "dcmtk",
    "dcml2pnm": "dcmtk",
    "dciodvfy": "dicom3tools",
    "gdcmconv": "libgdcm-tools",
    # the store's scale-out index: a throw-away cluster per test session (tests/postgres.py)
    "initdb": "postgresql",
    "pg_ctl": "postgresql",
}


def _external_data() -> Path | None:
    try:
        import data_store  # the pydicom-data package
    except ImportError:
        return None
    return Path(data_store.__file__).parent / "data"


EXTERNAL_DATA = _external_data()

# Files in the corpus that are deliberately broken (dcmdump rejects each of them too);
# tests of bad input use them by name.
BROKEN = {
    "MR_truncated.dcm",
    "rtplan_truncated.dcm",
    "emri_small_jpeg_2k_lossless_too_short.dcm",
    "no_meta.dcm",  # starts mid-element: dcmtk reads a 173 MB length and gives up
}

# The corpus, counted: with pydicom 3.0.2 and pydicom-data 1.0.0 (the test extra) the folders
# hold 78 + 17 + 68 = 163 files, 159 of them readable (BROKEN are the other 4). A changed count
# means the references changed: look at which files came or went, then update these numbers.
CORPUS_COUNTS = {"pydicom test_files": 78, "pydicom charset_files": 17, "pydicom-data": 68}
CORPUS_SIZE = 159
_SKIPPED_SUFFIXES = {".txt", ".json", ".dump", ".icc", ".gz"}


@functools.cache
def _corpus_listing() -> tuple[Path, ...]:
    """Every file of the three folders, checked against the pinned counts (fails otherwise)."""
    if EXTERNAL_DATA is None or not EXTERNAL_DATA.is_dir():
        pytest.fail(
            "pydicom-data is not installed: 68 of the corpus files would drop out of every corpus "
            "test (install the test extra: pip install -e '.[test]')",
            pytrace=False,
        )
    folders = {
        "pydicom test_files": TEST_FILES,
        "pydicom charset_files": CHARSET_FILES,
        "pydicom-data": EXTERNAL_DATA,
    }
    files: list[Path] = []
    counts = {}
    for label, folder in folders.items():
        found = [
            p
            for p in sorted(folder.iterdir())
            if p.is_file() and p.suffix.lower() not in _SKIPPED_SUFFIXES
        ]
        counts[label] = len(found)
        files += found
    if counts != CORPUS_COUNTS:
        pytest.fail(f"corpus changed: {counts} files, expected {CORPUS_COUNTS}", pytrace=False)
    missing = BROKEN - {p.name for p in files}
    if missing:
        pytest.fail(f"corpus changed: broken files {sorted(missing)} are gone", pytrace=False)
    return tuple(files)


def corpus_files(include_broken: bool = False) -> list[Path]:
    """Every DICOM file of pydicom's test data, its charset files and pydicom-data."""
    files = [p for p in _corpus_listing() if include_broken or p.name not in BROKEN]
    assert len(files) == CORPUS_SIZE + (len(BROKEN) if include_broken else 0)
    return files


def corpus_file(name: str) -> Path:
    for folder in [TEST_FILES, CHARSET_FILES, EXTERNAL_DATA]:
        if folder and (folder / name).is_file():
            return folder / name
    raise FileNotFoundError(name)


def require_tool(name: str) -> str:
    """The path of an external reference tool. When it is missing: with
    DICOM_TOOLS_REQUIRE_REFERENCES set the test fails, naming the tool; otherwise it skips."""
    if name not in REFERENCE_TOOLS:
        pytest.fail(f"{name} is not in conftest.REFERENCE_TOOLS: add it (and to system-deps.sh)")
    path = shutil.which(name)
    if path is None:
        missing_reference(
            f"reference tool {name} not on PATH (Debian package {REFERENCE_TOOLS[name]}; "
            "`make test` installs it)"
        )
    return path


def missing_reference(message: str, *, module: bool = False) -> NoReturn:
    """A reference (tool or file) is absent: fail under DICOM_TOOLS_REQUIRE_REFERENCES, else skip
    (visibly: the skips are counted by reason at the end of the run). ``module``: called while
    a test module is imported, for all of its tests."""
    if REQUIRE_REFERENCES:
        pytest.fail(f"{message} [DICOM_TOOLS_REQUIRE_REFERENCES is set]", pytrace=False)
    pytest.skip(message, allow_module_level=module)


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    """The skip count grouped by reason, whatever the verbosity."""
    reasons: collections.Counter[str] = collections.Counter()
    for report in terminalreporter.stats.get("skipped", []):
        longrepr = report.longrepr
        reason = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
        reasons[reason.removeprefix("Skipped: ")] += 1
    if not reasons:
        return
    total = sum(reasons.values())
    terminalreporter.write_sep("=", f"{total} skipped, by reason")
    for reason, count in sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0])):
        terminalreporter.write_line(f"{count:5d}  {reason}")


def run_cli(*args: str | os.PathLike[str], input: str | None = None, cwd=None):
    """Run ``python -m dicom_tools`` as a user would; returns the CompletedProcess."""
    return subprocess.run(
        [sys.executable, "-m", "dicom_tools", *map(str, args)],
        capture_output=True,
        text=True,
        input=input,
        cwd=cwd,
        timeout=120,
    )


@pytest.fixture
def ct_small() -> Path:
    return TEST_FILES / "CT_small.dcm"


_DCMDUMP_LINE = re.compile(
    r"^(?P<indent>\s*)\((?P<group>[0-9a-f]{4}),(?P<elem>[0-9a-f]{4})\) (?P<vr>\S\S) "
    r"(?P<value>.*?)\s*#\s*(?P<length>\d+|u/l),\s*(?P<vm>\d+) (?P<name>.*)$"
)


def dcmdump_lines(path: os.PathLike[str] | str, *options: str) -> list[dict[str, str]]:
    """Parse the output of the real ``dcmdump`` into one dict per element line."""
    tool = require_tool("dcmdump")
    proc = subprocess.run(
        [tool, "-q", "+L", "-Un", *options, str(path)], capture_output=True, timeout=60
    )
    text = proc.stdout.decode("latin-1")
    out = []
    for line in text.splitlines():
        m = _DCMDUMP_LINE.match(line)
        if m:
            d = m.groupdict()
            d["depth"] = len(d.pop("indent")) // 2
            d["tag"] = f"({d.pop('group').upper()},{d.pop('elem').upper()})"
            value = d["value"]
            if value.startswith("[") and value.endswith("]"):
                value = value[1:-1]
            elif value.startswith("(no value"):
                value = ""
            d["value"] = value
            out.append(d)
    return out


def decode_iso2022_jp(raw: bytes) -> str:
    """Japanese (ISO 2022 IR 13 / IR 87) decoded with Python's codecs, not pydicom's: the text
    between escape sequences is JIS X 0208 (ESC $ B), or ASCII / JIS X 0201 katakana."""
    out = []
    for i, part in enumerate(re.split(rb"(\x1b\$B|\x1b\(B|\x1b\(J)", raw)):
        if i % 2 or not part:
            continue
        escape = re.split(rb"(\x1b\$B|\x1b\(B|\x1b\(J)", raw)[i - 1] if i else b""
        if escape == b"\x1b$B":
            out.append((escape + part).decode("iso2022_jp"))
        else:
            out.append(part.decode("shift_jis"))  # ASCII, and 0xA1-0xDF half-width katakana
    return "".join(out)
