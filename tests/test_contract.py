"""The JSON contract: request -> envelope, in process and through `dicom-tools run`."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import dcmdump_lines, run_cli

from dicom_tools import contract

ENVELOPE_KEYS = {
    "ok",
    "returncode",
    "stdout",
    "stderr",
    "output_files",
    "metadata",
    "backend",
    "operation",
}


def test_info_request_in_process(ct_small):
    res = contract.handle({"op": "info", "input": str(ct_small), "options": {"json": True}})
    d = res.to_dict()
    assert set(d) == ENVELOPE_KEYS
    assert d["ok"] and d["returncode"] == 0 and d["backend"] == "python"
    assert d["operation"] == "info"
    assert json.loads(d["stdout"]) == d["metadata"]
    dumped = {x["name"]: x["value"] for x in dcmdump_lines(ct_small) if x["depth"] == 0}
    assert d["metadata"]["PatientID"] == dumped["PatientID"]


def test_output_inferred_as_the_contract_defines(tmp_path, ct_small):
    src = tmp_path / "input.dcm"
    shutil.copy(ct_small, src)
    res = contract.handle({"op": "to_json", "input": str(src)})
    assert res.ok, res.stderr
    assert res.output_files == [str(tmp_path / "input.json")]
    res = contract.handle({"op": "from_json", "input": str(tmp_path / "input.json")})
    assert res.ok, res.stderr
    assert res.output_files == [str(tmp_path / "input.dcm")]


def test_hyphenated_op_and_option_names_accepted(ct_small):
    res = contract.handle(
        {"op": "dump", "input": str(ct_small), "options": {"max-depth": 0, "max_value_len": 8}}
    )
    assert res.ok, res.stderr


def test_failures_never_raise(tmp_path, ct_small):
    cases = [
        ({"op": "frobnicate", "input": str(ct_small)}, "unknown operation"),
        ({"op": "info"}, "input"),
        ({"op": "info", "input": str(tmp_path / "missing.dcm")}, "no such file"),
        ({"input": str(ct_small)}, "op"),
        ({"op": "dump", "input": str(ct_small), "options": {"max_depth": "deep"}}, "max_depth"),
        ({"op": "info", "input": str(ct_small), "options": [1]}, "options"),
        ("not an object", "JSON object"),
    ]
    for request, needle in cases:
        res = contract.handle(request)
        assert not res.ok and res.returncode == 2, request
        assert needle in res.stderr, (request, res.stderr)
        assert res.backend == "python"


def test_unknown_options_are_reported_not_fatal(ct_small):
    res = contract.handle({"op": "info", "input": str(ct_small), "options": {"colour": "red"}})
    assert res.ok
    assert "colour" in res.stderr


def test_run_subcommand_file_and_stdin(tmp_path, ct_small):
    req = {"op": "info", "input": str(ct_small), "options": {"verbose": True}}
    path = tmp_path / "req.json"
    path.write_text(json.dumps(req))
    for args, stdin in (((path,), None), (("-",), json.dumps(req)), ((), json.dumps(req))):
        proc = run_cli("run", *args, input=stdin)
        assert proc.returncode == 0, proc.stderr
        env = json.loads(proc.stdout)
        assert set(env) == ENVELOPE_KEYS and env["ok"]
        assert "Elements" in env["metadata"]


def test_run_subcommand_failure_envelope(tmp_path):
    proc = run_cli("run", "-", input="{not json")
    env = json.loads(proc.stdout)
    assert proc.returncode == 2 and not env["ok"] and "not valid JSON" in env["stderr"]
    proc = run_cli("run", "-", input=json.dumps({"op": "info", "input": str(tmp_path)}))
    env = json.loads(proc.stdout)
    assert proc.returncode == 2 and not env["ok"] and "directory" in env["stderr"]


def test_every_file_operation_runs_through_the_contract(tmp_path, ct_small):
    """Each registered operation, with its defaults, through the contract on a real CT file."""
    from dicom_tools import registry

    src = tmp_path / "ct.dcm"
    shutil.copy(ct_small, src)
    key = tmp_path / "key"
    key.write_text("secret")
    extra = {"anonymize": {"key_file": str(key)}}
    for spec in registry.all_ops():
        if spec.input != "file":
            continue
        inp = src
        if spec.name == "from_json":  # its input is the JSON to_json wrote, renamed
            inp = tmp_path / "rt.json"
            shutil.copy(tmp_path / "ct.json", inp)
        res = contract.handle(
            {"op": spec.name, "input": str(inp), "options": extra.get(spec.name, {})}
        )
        assert res.ok, (spec.name, res.stderr)
        assert res.operation == spec.name and res.backend == "python"
        assert res.metadata, spec.name
        for path in res.output_files:
            assert Path(path).is_file(), (spec.name, path)
        if spec.output_suffix:
            # the contract's inferred name, next to the input
            expected = tmp_path / f"{inp.stem}{spec.output_suffix}"
            assert res.output_files[0] == str(expected), spec.name
    # what dcmtk makes of the written DICOM outputs
    for name in ("ct_anonymized.dcm", "ct_explicit.dcm", "rt.dcm"):
        names = {d["name"] for d in dcmdump_lines(tmp_path / name)}
        assert "PixelData" in names, name


# --- hostile requests: the contract answers every one with an envelope, exit 2 ---------------


def _run_request_bytes(data: bytes):
    import subprocess
    import sys

    return subprocess.run(
        [sys.executable, "-m", "dicom_tools", "run", "-"],
        input=data,
        capture_output=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
        (b'{"op": "info", "options": ' + b'{"a": ' * 100_000 + b"1" + b"}" * 100_001, "nested"),
        (b'{"op": "info", "input": "caf\xe9.dcm"}', "not UTF-8"),
        (b"\xff\xfe{\x00}\x00", "not UTF-8"),
        (b'{"op": "info", "input": 123}', "'input' must be a file path (a string), got a number"),
        (
            b'{"op": "info", "input": ["a.dcm"]}',
            "'input' must be a file path (a string), got a list",
        ),
        (b'{"op": "to_json", "input": "a.dcm", "output": {}}', "'output' must be a file path"),
        (b'{"op": ["info"]}', "'op' must be an operation name (a string), got a list"),
        (b'{"op": "histogram", "input": "a.dcm", "options": {"bins": true}}', "expected int"),
        (b'{"op": "dump", "input": "a.dcm", "options": {"max_depth": -1}}', "out of range"),
    ],
)
def test_hostile_requests_get_an_envelope_and_exit_2(data, words):
    proc = _run_request_bytes(data)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr == b""
    envelope = json.loads(proc.stdout)
    assert envelope["ok"] is False and envelope["returncode"] == 2
    assert words in envelope["stderr"]
    assert "TypeError" not in envelope["stderr"]


def test_an_unreadable_request_file_still_gets_an_envelope(tmp_path):
    proc = run_cli("run", tmp_path / "missing.json")
    assert proc.returncode == 2
    envelope = json.loads(proc.stdout)
    assert envelope["ok"] is False and "missing.json" in envelope["stderr"]
