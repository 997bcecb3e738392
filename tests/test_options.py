"""Option types and ranges: declared once in the catalog, enforced by every front end alike.

The expectations come from the declarations (minimum, maximum) and from the kind of value
(a JSON ``true`` is no number; NaN and infinity are no window), not from the code under test.
"""

from __future__ import annotations

import math

import pytest
from conftest import run_cli

from dicom_tools import contract, registry

NUMERIC = [
    (spec, opt)
    for spec in registry.all_ops()
    for opt in spec.options
    if opt.type in ("int", "float") and not opt.nargs
]
RANGED = [(s, o) for s, o in NUMERIC if o.minimum is not None or o.maximum is not None]


def _outside(opt: registry.Option) -> list[float]:
    values = []
    if opt.minimum is not None:
        values.append(opt.minimum if opt.exclusive_minimum else opt.minimum - 1)
    if opt.maximum is not None:
        values.append(opt.maximum + 1)
    return values


def _cli_args(spec: registry.OpSpec, ct_small, tmp_path) -> list:
    args = [spec.verb, ct_small]
    if spec.output != "display":
        args += ["-o", tmp_path / "out"]
    return args


def test_the_options_the_issue_names_have_ranges():
    ranged = {(s.name, o.name) for s, o in RANGED}
    named = [
        ("histogram", "bins"),
        ("dump", "max_depth"),
        ("dump", "max_value_len"),
        ("to_image", "frame"),
        ("to_image", "window_width"),
        ("transcode", "quality"),
    ]
    for key in named:
        assert key in ranged, key
    assert registry.get("histogram").option("bins").maximum is not None  # a documented cap


@pytest.mark.parametrize(("spec", "opt"), RANGED, ids=lambda x: getattr(x, "name", ""))
def test_out_of_range_is_refused_alike_by_cli_and_contract(spec, opt, ct_small, tmp_path):
    for value in _outside(opt):
        text = str(int(value)) if opt.type == "int" else str(value)
        proc = run_cli(*_cli_args(spec, ct_small, tmp_path), f"{opt.flag}={text}")
        assert proc.returncode == 2, (opt.name, value, proc.stderr)
        assert f"option {opt.flag}: " in proc.stderr and "out of range" in proc.stderr
        request = {"op": spec.name, "input": str(ct_small), "options": {opt.name: value}}
        if spec.output != "display":
            request["output"] = str(tmp_path / "out")
        result = contract.handle(request)
        assert result.returncode == 2 and not result.ok
        # the same message, the option named in each front end's words
        cli_message = proc.stderr.strip().split("error: ", 1)[1]
        assert result.stderr == cli_message.replace(opt.flag, opt.name)
        assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("spec", "opt"),
    [(s, o) for s, o in NUMERIC if o.type == "float"],
    ids=lambda x: getattr(x, "name", ""),
)
def test_floats_must_be_finite(spec, opt, ct_small, tmp_path):
    for text in ("nan", "inf", "-inf"):
        proc = run_cli(*_cli_args(spec, ct_small, tmp_path), f"{opt.flag}={text}")
        assert proc.returncode == 2 and "finite" in proc.stderr, (opt.name, proc.stderr)
    result = contract.handle(
        {"op": spec.name, "input": str(ct_small), "options": {opt.name: math.inf}}
    )
    assert result.returncode == 2 and "finite" in result.stderr


@pytest.mark.parametrize(("spec", "opt"), NUMERIC, ids=lambda x: getattr(x, "name", ""))
def test_a_json_boolean_is_not_a_number(spec, opt, ct_small):
    result = contract.handle({"op": spec.name, "input": str(ct_small), "options": {opt.name: True}})
    assert result.returncode == 2
    assert f"option {opt.name}: expected {opt.type}" in result.stderr


def test_histogram_above_the_cap_is_refused_at_once(ct_small):
    proc = run_cli("histogram", ct_small, "--bins", "1000000000")
    assert proc.returncode == 2
    assert "--bins" in proc.stderr and "65536" in proc.stderr


def test_ops_json_declares_the_ranges():
    proc = run_cli("ops", "--json")
    ops = {op["name"]: op for op in __import__("json").loads(proc.stdout)}
    bins = next(o for o in ops["histogram"]["options"] if o["name"] == "bins")
    assert (
        bins["minimum"] == 1 and bins["maximum"] == registry.get("histogram").option("bins").maximum
    )
