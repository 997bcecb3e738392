"""dump of text in other character sets: decoded by dicom/values.py + dicom/charsets.py, not
by pydicom, wherever one Python codec decodes the text (the lines themselves are checked
against dcmdump by the corpus tests of dump); ISO 2022 code extensions still go to pydicom's
decode_bytes, imported only for them."""

from __future__ import annotations

import json
import subprocess
import sys

from conftest import corpus_file

# One character set each (no ISO 2022 code extensions), text that is not ASCII.
SINGLE = ["chrArab", "chrFren", "chrFrenMulti", "chrGerm", "chrGreek", "chrHbrw", "chrRuss"]
SINGLE += ["chrX1", "chrX2", "test-SR", "examples_overlay", "MR-SIEMENS-DICOM-WithOverlays"]
ISO_2022 = ["chrH31", "chrJapMulti", "chrKoreanMulti", "chrSQEncoding"]

_RUNNER = """
import json, sys
from dicom_tools.ops.dump import dump
out = {}
for path in sys.argv[1:]:
    for cut in (64, None):
        dump(path, max_value_len=cut).text
    out[path] = "pydicom" in sys.modules
print(json.dumps(out))
"""


def _imports_pydicom(name: str) -> bool:
    path = str(corpus_file(f"{name}.dcm"))
    proc = subprocess.run(
        [sys.executable, "-c", _RUNNER, path], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)[path]


def test_text_in_one_character_set_is_dumped_without_pydicom():
    assert [n for n in SINGLE if _imports_pydicom(n)] == []


def test_iso_2022_text_is_decoded_by_pydicom():
    # The one remaining lazy use: the check above is not vacuous.
    assert all(_imports_pydicom(n) for n in ISO_2022)
