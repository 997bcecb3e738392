"""The to-json side of the package imports neither pydicom nor numpy (issue 10, header path)."""

from __future__ import annotations

import subprocess
import sys

_CHECK = (
    "import sys, dicom_tools.ops.dicomjson, dicom_tools.dicomjson.encoder; "
    "print(sorted(m for m in ('pydicom', 'numpy') if m in sys.modules))"
)


def test_to_json_modules_import_no_heavy_packages():
    out = subprocess.run([sys.executable, "-c", _CHECK], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
