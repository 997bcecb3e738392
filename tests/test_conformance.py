"""Every operation of the catalog, through every front end, gives the same result.

Front ends: the command line (a real ``dicom-tools`` subprocess), the JSON contract
(``contract.handle``), the Python API (``registry.execute`` on a path) and the in-memory input
(``registry.execute`` on the file's bytes, named as the file). On a CT slice and a multi-frame
MR, each must give the same text, the same JSON data, the same output file bytes, the same exit
code, and on failure the same message, options aside: ``--frame`` on the CLI is ``frame``
elsewhere.
"""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from conftest import TEST_FILES, corpus_file, run_cli

from dicom_tools import contract, registry
from dicom_tools.dicom.source import Source
from dicom_tools.errors import DicomToolsError

FILES = {"ct": TEST_FILES / "CT_small.dcm", "mf": corpus_file("emri_small.dcm")}
SPECS = registry.all_ops()


@dataclass
class Outcome:
    code: int
    text: str = ""
    data: object = None
    files: dict[str, bytes] = field(default_factory=dict)
    error: str = ""


def _flags_to_names(message: str) -> str:
    """Option spelling aside: ``--window-center`` and ``window_center`` compare equal."""
    return re.sub(r"--([a-z][a-z0-9-]*)", lambda m: m.group(1).replace("-", "_"), message)


def _collect(out: Path | None) -> dict[str, bytes]:
    if out is None:
        return {}
    paths = sorted(p for p in out.rglob("*") if p.is_file()) if out.is_dir() else [out]
    files = {p.name: p.read_bytes() for p in paths if p.exists()}
    if out.is_dir():
        shutil.rmtree(out)
        out.mkdir()
    elif out.exists():
        out.unlink()
    return files


def _cli(spec, path: Path, out: Path | None, options: dict, as_json: bool) -> Outcome:
    args: list[str] = [spec.verb, str(path)]
    if out is not None:
        args += ["-o", str(out)]
    for name, value in options.items():
        opt = spec.option(name)
        if opt.type == "bool":
            args += [opt.flag] if value else []
        else:
            args += [opt.flag, str(value)]
    if as_json:
        args.append("--json")
    proc = run_cli(*args)
    error = ""
    if proc.returncode == 2:
        prefix = f"dicom-tools {spec.verb}: error: "
        assert proc.stderr.startswith(prefix), proc.stderr
        error = proc.stderr[len(prefix) :].rstrip("\n")
        assert "\n" not in error
    text = proc.stdout.rstrip("\n")
    data = json.loads(text) if as_json and proc.returncode != 2 else None
    return Outcome(proc.returncode, "" if as_json else text, data, _collect(out), error)


def _contract(spec, path: Path, out: Path | None, options: dict, as_json: bool) -> Outcome:
    request = {"op": spec.name, "input": str(path), "options": {**options, "json": as_json}}
    if out is not None:
        request["output"] = str(out)
    res = contract.handle(request)
    if res.returncode == 2:
        return Outcome(2, error=res.stderr, files=_collect(out))
    text = res.stdout.rstrip("\n")
    data = json.loads(text) if as_json else None
    return Outcome(res.returncode, "" if as_json else text, data, _collect(out))


def _api(source, spec, out: Path | None, options: dict, as_json: bool) -> Outcome:
    try:
        result = registry.execute(spec, source, out, options)
    except DicomToolsError as exc:
        return Outcome(exc.exit_code, error=str(exc), files=_collect(out))
    code = 1 if result.failed else 0
    if as_json:
        return Outcome(code, "", json.loads(result.render(True)), _collect(out))
    return Outcome(code, result.render(False).rstrip("\n"), None, _collect(out))


def _front_ends(spec, path: Path, out: Path | None, options: dict, as_json: bool):
    yield "cli", _cli(spec, path, out, options, as_json)
    yield "contract", _contract(spec, path, out, options, as_json)
    yield "api", _api(path, spec, out, options, as_json)
    memory = Source.from_bytes(path.read_bytes(), name=str(path))
    yield "memory", _api(memory, spec, out, options, as_json)


def _assert_same(outcomes: dict[str, Outcome]) -> None:
    ref_name, ref = next(iter(outcomes.items()))
    for name, got in outcomes.items():
        where = f"{name} vs {ref_name}"
        assert got.code == ref.code, (where, got.error, ref.error)
        assert got.text == ref.text, where
        assert got.data == ref.data, where
        assert got.files.keys() == ref.files.keys(), where
        for fname in ref.files:
            assert got.files[fname] == ref.files[fname], (where, fname)
        assert _flags_to_names(got.error) == _flags_to_names(ref.error), where


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("conformance")
    inputs = {}
    for key, src in FILES.items():
        dcm = tmp / src.name
        shutil.copy(src, dcm)
        json_path = tmp / f"{dcm.stem}.json"
        registry.execute(registry.get("to_json"), dcm, json_path, {})
        inputs[key] = {"dicom": dcm, "json": json_path}
    secret = tmp / "secret.key"
    secret.write_text("conformance")
    return tmp, inputs, secret


CASES = [(spec, key) for spec in SPECS if spec.input == "file" for key in FILES]


@pytest.mark.parametrize(("spec", "key"), CASES, ids=lambda v: getattr(v, "name", v))
def test_every_operation_agrees_across_front_ends(spec, key, work):
    tmp, inputs, secret = work
    path = inputs[key]["json" if spec.name == "from_json" else "dicom"]
    options = {"key_file": str(secret)} if spec.name == "anonymize" else {}
    out = None
    if spec.output != "display":
        out = tmp / f"out_{spec.name}_{key}"
        out.mkdir(exist_ok=True)  # a folder: the inferred name inside it, frames included
    for as_json in (False, True) if spec.json_flag else (False,):
        outcomes = dict(_front_ends(spec, path, out, options, as_json))
        _assert_same(outcomes)
        first = next(iter(outcomes.values()))
        assert first.code in (0, 1), first.error
        assert first.files or spec.output == "display"
        assert first.data or first.text


def test_every_operation_is_covered():
    """No operation of the catalog escapes this test (a new input kind must be added here)."""
    assert {s.input for s in SPECS} <= {"file"}
    assert {spec.name for spec, _ in CASES} == {s.name for s in SPECS}


@pytest.mark.parametrize("spec", [s for s in SPECS if s.input == "file"], ids=lambda s: s.name)
def test_failures_agree_across_front_ends(spec, tmp_path):
    bad = tmp_path / "not-dicom.dcm"
    bad.write_text("this is not a DICOM file, nor JSON\n" * 10)
    out = None if spec.output == "display" else tmp_path / "out"
    if out is not None:
        out.mkdir()
    outcomes = dict(_front_ends(spec, bad, out, {}, False))
    _assert_same(outcomes)
    first = outcomes["cli"]
    assert first.code == 2 and str(bad) in first.error
    assert not first.files


@pytest.mark.parametrize(
    ("op", "options"),
    [
        ("to_image", {"window_center": 40.0}),
        ("histogram", {"bins": 0}),
        ("transcode", {"quality": 500, "transfer_syntax": "jpeg-baseline"}),
        ("to_image", {"frame": 99}),
    ],
)
def test_option_errors_agree_modulo_spelling(op, options, work):
    tmp, inputs, _ = work
    spec = registry.get(op)
    out = None if spec.output == "display" else tmp / f"bad_{op}"
    if out is not None:
        out.mkdir(exist_ok=True)
    outcomes = dict(_front_ends(spec, inputs["ct"]["dicom"], out, options, False))
    _assert_same(outcomes)
    assert outcomes["cli"].code == 2 and outcomes["cli"].error
