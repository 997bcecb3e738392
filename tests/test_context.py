"""What varies per call travels in the Context: device, key, warnings, the spelling of options.

The command line reads $DICOM_TOOLS_DEVICE into its Context; operations read the Context, never
the environment, so two calls in one process can use different devices and keys.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pydicom
import pytest
from conftest import TEST_FILES, run_cli

from dicom_tools import contract, registry
from dicom_tools.context import Context
from dicom_tools.errors import MissingDependencyError, UsageError

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "dicom_tools"
CT = TEST_FILES / "CT_small.dcm"
PIXEL_OPS = ("to_image", "stats", "histogram")
# What anonymize says without a key, as the command line has always printed it.
NO_KEY_CLI = (
    "no --key or --key-file: a random key was used, so UIDs, pseudonyms and date shifts will "
    "not match those of other runs"
)
NO_KEY_API = NO_KEY_CLI.replace("--key-file", "key_file").replace("--key", "key")


def _cupy_present() -> bool:
    try:
        import cupy

        return cupy.cuda.runtime.getDeviceCount() > 0
    except Exception:
        return False


def _run(op: str, tmp_path: Path, options: dict | None = None, context: Context | None = None):
    spec = registry.get(op)
    out = None if spec.output == "display" else tmp_path / f"{op}.out"
    if out is not None and spec.name == "to_image":
        out = tmp_path / "ct.png"
    return registry.execute(spec, CT, out, options or {}, context=context)


# --- device ------------------------------------------------------------------------------------


@pytest.mark.parametrize("op", PIXEL_OPS)
def test_pixel_operations_take_the_device_from_the_context(op, tmp_path):
    with pytest.raises(UsageError, match="unknown device 'quantum'"):
        _run(op, tmp_path, context=Context(device="quantum"))
    # The option, when given, wins over the context.
    _run(op, tmp_path, {"device": "cpu"}, Context(device="quantum"))
    if _cupy_present():
        gpu = _run(op, tmp_path, context=Context(device="gpu"))
        cpu = _run(op, tmp_path, {"device": "cpu"}, Context(device="gpu"))
        assert gpu.text == cpu.text
    else:
        with pytest.raises(MissingDependencyError, match="CuPy"):
            _run(op, tmp_path, context=Context(device="gpu"))


def test_operations_do_not_read_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("DICOM_TOOLS_DEVICE", "quantum")
    for op in PIXEL_OPS:
        _run(op, tmp_path)  # the default context: the CPU, whatever the environment says
    assert _run("to_image", tmp_path).data["requested_device"] == "cpu"


def test_the_command_line_reads_the_device_from_its_environment(tmp_path):
    env = {**os.environ, "DICOM_TOOLS_DEVICE": "quantum"}
    proc = subprocess.run(
        [sys.executable, "-m", "dicom_tools", "stats", str(CT)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert proc.returncode == 2
    assert proc.stderr == (
        "dicom-tools stats: error: unknown device 'quantum' (choose from auto, cpu, gpu)\n"
    )
    # ... and so does `run`, the contract on the command line
    request = json.dumps({"op": "stats", "input": str(CT)})
    proc = subprocess.run(
        [sys.executable, "-m", "dicom_tools", "run", "-"],
        input=request,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    envelope = json.loads(proc.stdout)
    assert proc.returncode == 2 and not envelope["ok"]
    assert envelope["stderr"] == "unknown device 'quantum' (choose from auto, cpu, gpu)"


def test_only_front_ends_read_the_environment():
    """Per-call settings come in the Context; ``os.environ`` is read by the front ends (cli/;
    web/ hands its settings to its worker processes that way), and for two locations that
    are no setting of any call: validation/tables.py, where to keep its cache of the
    standard's tables, and store/core.py, the default data folder ($XDG_DATA_HOME)."""
    readers = set()
    for path in PACKAGE.rglob("*.py"):
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and node.attr in ("environ", "getenv")) or (
                isinstance(node, ast.Name) and node.id in ("environ", "getenv")
            ):
                readers.add(str(path.relative_to(PACKAGE)))
    front_ends = {r for r in readers if r.startswith(("cli/", "web/"))}
    assert front_ends and readers - front_ends == {"validation/tables.py", "store/core.py"}


# --- key -----------------------------------------------------------------------------------


def test_anonymize_takes_its_key_from_the_context(tmp_path):
    spec = registry.get("anonymize")
    by_context = registry.execute(spec, CT, tmp_path / "ctx.dcm", {}, context=Context(key="k1"))
    proc = run_cli("anonymize", CT, "-o", tmp_path / "cli.dcm", "--key", "k1")
    assert proc.returncode == 0, proc.stderr
    assert by_context.data["key"] == "given" and not any(
        "random key" in w for w in by_context.data["warnings"]
    )
    ctx_ds, cli_ds = (pydicom.dcmread(tmp_path / n) for n in ("ctx.dcm", "cli.dcm"))
    assert ctx_ds.StudyInstanceUID == cli_ds.StudyInstanceUID
    assert ctx_ds.PatientID == cli_ds.PatientID
    # A key option wins over the context's.
    registry.execute(spec, CT, tmp_path / "opt.dcm", {"key": "k2"}, context=Context(key="k1"))
    opt_ds = pydicom.dcmread(tmp_path / "opt.dcm")
    assert opt_ds.StudyInstanceUID != ctx_ds.StudyInstanceUID
    assert opt_ds.StudyInstanceUID != pydicom.dcmread(CT).StudyInstanceUID


# --- warnings and their words --------------------------------------------------------------


def test_operation_warnings_reach_the_context_in_its_words(tmp_path):
    spec = registry.get("anonymize")
    for caller, expected in (("web", NO_KEY_API), ("cli", NO_KEY_CLI)):
        seen: list[str] = []
        ctx = Context(on_warning=seen.append, caller=caller)
        result = registry.execute(spec, CT, tmp_path / f"{caller}.dcm", {}, context=ctx)
        assert expected in seen, seen
        assert result.data["warnings"] == [expected]
        assert f"Warning: {expected}" in result.text.splitlines()


def test_result_warnings_keep_the_command_line_text_and_use_option_names_elsewhere(tmp_path):
    proc = run_cli("anonymize", CT, "-o", tmp_path / "a.dcm")
    assert proc.returncode == 0 and proc.stderr == ""
    assert proc.stdout.splitlines()[-1] == f"Warning: {NO_KEY_CLI}"
    res = contract.handle({"op": "anonymize", "input": str(CT), "output": str(tmp_path / "b.dcm")})
    assert res.ok
    assert res.stdout.splitlines()[-1] == f"Warning: {NO_KEY_API}"
    assert res.metadata["warnings"] == [NO_KEY_API]
    assert "\x02" not in res.stdout + json.dumps(res.metadata) + proc.stdout
