"""Shared by the store's tests: the database parameter, pydicom's reading of stored files (the
independent reference), synthesised instances, and the worker script's command line."""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pydicom

SRC = Path(__file__).resolve().parents[2] / "src"
WORKER = Path(__file__).resolve().parent / "store_worker.py"


def layout_path(data_dir: Path, uid: str) -> Path:
    """Where the store must keep the blob of ``uid`` (its documented layout, computed here)."""
    h = hashlib.sha256(uid.encode()).hexdigest()
    return data_dir / "blobs" / h[:2] / h[2:4] / h


def json_of(ds: pydicom.Dataset, keyword: str) -> Any:
    """The DICOM JSON ``Value`` of ``keyword`` as pydicom reads it (None when absent/empty)."""
    elem = ds.data_element(keyword) if keyword in ds else None
    if elem is None or elem.value is None or elem.value == "" or elem.VR == "SQ":
        return None
    values = list(elem.value) if elem.VM > 1 else [elem.value]
    if elem.VR == "PN":
        out = []
        for v in values:
            groups = str(v).split("=")
            names = dict(zip(("Alphabetic", "Ideographic", "Phonetic"), groups, strict=False))
            out.append({k: g for k, g in names.items() if g})
        return out
    if elem.VR in ("IS", "US"):  # kept as a number: one that is none ("1A") is not kept
        try:
            return [int(values[0])]
        except ValueError:
            return None
    return [str(v) for v in values]


def worker(*args: str, **kwargs: Any) -> subprocess.Popen[str]:
    """Start ``store_worker.py`` in a new Python process with this checkout's source."""
    env = dict(os.environ, PYTHONPATH=f"{SRC}{os.pathsep}{os.environ.get('PYTHONPATH', '')}")
    return subprocess.Popen(
        [sys.executable, str(WORKER), *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kwargs,
    )


def wildcard(pattern: str) -> re.Pattern[str]:
    """A QIDO wildcard as a regular expression (the test's own reading of C.2.2.2.4)."""
    return re.compile(
        "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern) + r"\Z",
        re.S,
    )
