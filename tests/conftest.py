"""Shared fixtures: the real-file corpus (pydicom's test files and pydicom-data) and tool lookup.

The corpus is listed from the package folders directly: pydicom's ``get_testdata_files`` would try
to download files that pydicom-data does not hold, and nothing here reaches the internet.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pydicom.data
import pytest

PYDICOM_DATA = Path(pydicom.data.__file__).parent
TEST_FILES = PYDICOM_DATA / "test_files"
CHARSET_FILES = PYDICOM_DATA / "charset_files"


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


def corpus_files(include_broken: bool = False) -> list[Path]:
    """Every DICOM file of pydicom's test data, its charset files and pydicom-data."""
    folders = [TEST_FILES, CHARSET_FILES] + ([EXTERNAL_DATA] if EXTERNAL_DATA else [])
    files: list[Path] = []
    for folder in folders:
        for p in sorted(folder.iterdir()):
            if not p.is_file() or p.suffix.lower() in {".txt", ".json", ".dump", ".icc", ".gz"}:
                continue
            if not include_broken and p.name in BROKEN:
                continue
            files.append(p)
    return files


def corpus_file(name: str) -> Path:
    for folder in [TEST_FILES, CHARSET_FILES, EXTERNAL_DATA]:
        if folder and (folder / name).is_file():
            return folder / name
    raise FileNotFoundError(name)


def require_tool(name: str) -> str:
    """The path of an external reference tool, or skip the test with a visible reason."""
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} not installed (Debian package; `make test` installs it)")
    return path


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
    r"^(?P<indent>\s*)\((?P<group>[0-9a-f]{4}),(?P<elem>[0-9a-f]{4})\) (?P<vr>\w\w) "
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
