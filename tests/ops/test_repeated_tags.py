"""A tag written twice in one data set: dump and info show the last copy, as pydicom keeps it
(dcmdump keeps the first and warns), read by the base reader without pydicom."""

from __future__ import annotations

import json
import struct
import subprocess
import sys

from conftest import corpus_file

_RUNNER = """
import json, sys
from dicom_tools.ops.dump import dump
from dicom_tools.ops.info import info
text = dump(sys.argv[1]).text
data = info(sys.argv[1], verbose=True).data
print(json.dumps([text, data["PatientName"], "pydicom" in sys.modules]))
"""


def _repeated(tmp_path):
    data = corpus_file("CT_small.dcm").read_bytes()
    at = data.index(b"\x10\x00\x10\x00PN")
    (length,) = struct.unpack_from("<H", data, at + 6)
    end = at + 8 + length
    again = b"\x10\x00\x10\x00PN" + struct.pack("<H", 8) + b"Other^Nm"
    path = tmp_path / "repeated.dcm"
    path.write_bytes(data[:end] + again + data[end:])
    return path


def test_repeated_tag_keeps_the_last_copy_without_pydicom(tmp_path):
    import pydicom

    path = _repeated(tmp_path)
    expected = str(pydicom.dcmread(path).PatientName)  # the reference: pydicom's reading
    assert expected == "Other^Nm"
    proc = subprocess.run(
        [sys.executable, "-c", _RUNNER, str(path)], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    text, name, pydicom_loaded = json.loads(proc.stdout)
    lines = [line for line in text.splitlines() if line.startswith("(0010,0010)")]
    assert len(lines) == 1 and f"PN [{expected}]" in lines[0]
    assert name == expected
    assert not pydicom_loaded
