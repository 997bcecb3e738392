"""dicom/failures.py: unreadable files (the broken corpus files and the bad inputs) give their
one-line error from the reader's tree, without importing pydicom, and in the same words as
pydicom's reading (``io.read_dataset``) gives them. pydicom's reading now asks the reader first
(``check_source``: pydicom cannot tell a file cut inside an element header), so for the
defects the reader words this checks that both ways into a file say the same line; the
independent reference for cut files is dcmdump, in test_truncation.py."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from badinputs import make_bad_inputs
from conftest import BROKEN, corpus_files

from dicom_tools.errors import InputError
from dicom_tools.io import read_dataset

VERBS = (("info",), ("info", "--json"), ("info", "--verbose"), ("dump",), ("to-json", "-o", "-"))

# Runs each verb on each file in one interpreter; reports exit code, stderr and whether
# pydicom was imported along the way.
_RUNNER = """
import contextlib, io, json, sys
from dicom_tools.cli import main
out = []
for path in sys.argv[2:]:
    for verb in json.loads(sys.argv[1]):
        err, std = io.StringIO(), io.StringIO()
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(std):
            rc = main([*verb, path])
        out.append([path, verb, rc, std.getvalue(), err.getvalue(), "pydicom" in sys.modules])
print(json.dumps(out))
"""


def _unreadable(tmp_path) -> list[str]:
    bad = make_bad_inputs(tmp_path)
    names = [n for n in bad if n not in ("missing", "directory", "empty")]
    broken = [p for p in corpus_files(include_broken=True) if p.name in BROKEN]
    return [str(bad[n]) for n in names] + [str(p) for p in broken]


def test_unreadable_files_fail_without_pydicom(tmp_path):
    files = _unreadable(tmp_path)
    expected = {}
    for path in files:
        with pytest.raises(InputError) as caught:
            read_dataset(path, defer_size=1024)  # pydicom's reading: the reference wording
        expected[path] = str(caught.value)
    proc = subprocess.run(
        [sys.executable, "-c", _RUNNER, json.dumps(VERBS), *files],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    runs = json.loads(proc.stdout)
    assert len(runs) == len(files) * len(VERBS)
    for path, verb, rc, stdout, stderr, _pydicom in runs:
        assert (rc, stdout) == (2, ""), (path, verb)
        assert stderr == f"dicom-tools {verb[0]}: error: {expected[path]}\n", (path, verb)
    assert not any(run[5] for run in runs), "pydicom was imported"
