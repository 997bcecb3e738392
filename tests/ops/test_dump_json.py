"""dump's data is to-json's DICOM JSON (issue 10: one encoder), and both match dcm2json.

Before, ``dump --json`` had an encoder of its own that left out the File Meta Information and
formatted FL values differently from ``to-json`` (CT_small.dcm).
"""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from conftest import corpus_file, corpus_files, run_cli
from test_dicomjson import _dcm2json, compare_models

from dicom_tools.errors import InputError
from dicom_tools.ops.dicomjson import to_json
from dicom_tools.ops.dump import dump

pytestmark = [pytest.mark.filterwarnings("ignore::UserWarning")]


def test_dump_json_is_to_json_on_the_corpus():
    compared, differ = 0, []
    for path in corpus_files():
        try:
            expected = json.loads(to_json(path, None).payload)
        except InputError:
            continue  # to-json refuses it (dump does too: tests/ops/test_dump.py)
        if dump(path).data != expected:
            differ.append(path.name)
        compared += 1
    assert differ == []
    assert compared >= 150  # the whole corpus, not a few files that happened to load


@pytest.mark.parametrize("name", ["CT_small.dcm", "MR_small_bigendian.dcm", "rtplan.dcm"])
def test_cli_dump_json_equals_to_json_and_dcm2json(name, tmp_path):
    path = corpus_file(name)
    dumped = run_cli("dump", path, "--json")
    converted = run_cli("to-json", path, "-o", "-")
    assert dumped.returncode == 0 and converted.returncode == 0, dumped.stderr + converted.stderr
    assert dumped.stdout == converted.stdout  # the same text, byte for byte
    ours = json.loads(dumped.stdout, parse_float=Decimal)
    assert any(key.startswith("0002") for key in ours)  # the meta group is there
    theirs, stripped, reason = _dcm2json(path, tmp_path)  # dcm2json +m: with group 0002
    assert theirs is not None and not stripped, reason
    assert compare_models(ours, theirs) == []
