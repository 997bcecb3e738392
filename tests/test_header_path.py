"""The header path (issue 10): what `info`, `dump`, `info --json` and `to-json` load.

A cold command costs its imports more than its work, so the header path keeps the heavy and
the merely slow modules out by construction: neither pydicom nor numpy, and none of argparse
(the CLI parses plain invocations itself), dataclasses (and the inspect, ast... it loads),
typing or pathlib (with the re, enum, urllib and ipaddress it loads: a third of a command's
start-up; paths are text on this path). Without json, contextlib, functools, collections and
re stay out too. Checked on a real 512 x 512 CT slice and on pydicom's CT_small.dcm, with
-X importtime's own list of what was imported.
"""

from __future__ import annotations

import subprocess
import sys

import pytest
from conftest import corpus_file

ABSENT = {"pydicom", "numpy", "argparse", "dataclasses", "inspect", "typing", "pathlib"}
# ...and what contextlib and functools load (collections: milliseconds of every start-up)
SLOW = {"contextlib", "functools", "collections", "re"}
# As the console script `dicom-tools` starts (`python -m` would load runpy and importlib.util).
SCRIPT = "import sys; from dicom_tools.cli import main; sys.exit(main())"
COMMANDS = [["info"], ["dump"], ["info", "--json"], ["to-json", "-o", "-"]]
# Without `import json` (whose decoder imports re, enum and with them functools and
# collections) not even the regular expressions are loaded.
NO_RE = {("info",), ("dump",), ("to-json", "-o", "-")}


@pytest.mark.parametrize("name", ["693_UNCI.dcm", "CT_small.dcm"])
@pytest.mark.parametrize("args", COMMANDS, ids=" ".join)
def test_header_path_imports_stay_light(name, args):
    path = str(corpus_file(name))
    cmd = [sys.executable, "-X", "importtime", "-c", SCRIPT, args[0], path, *args[1:]]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip()
    imported = {
        line.rsplit("|", 1)[-1].strip()
        for line in proc.stderr.splitlines()
        if line.startswith("import time:")
    }
    assert len(imported) > 20  # the list is there
    top = {m.split(".")[0] for m in imported}
    assert not ABSENT & top, ABSENT & top
    if tuple(args) in NO_RE:
        assert not SLOW & top, SLOW & top


def test_many_inputs_stay_on_the_header_path(tmp_path):
    files = [str(corpus_file(n)) for n in ("693_UNCI.dcm", "CT_small.dcm")]
    cmd = [sys.executable, "-X", "importtime", "-c", SCRIPT, "info", *files, str(tmp_path)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr[-2000:]
    imported = {
        line.rsplit("|", 1)[-1].strip().split(".")[0]
        for line in proc.stderr.splitlines()
        if line.startswith("import time:")
    }
    assert not ABSENT & imported, ABSENT & imported
