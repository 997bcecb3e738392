"""The JSON contract: request -> envelope, in process and through `dicom-tools run`."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

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
