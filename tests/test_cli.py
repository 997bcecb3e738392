"""The CLI front end: help, version, verbs, seed-compatible flags, exit codes, bad input."""

from __future__ import annotations

import json
import shutil

import pytest
from badinputs import make_bad_inputs
from conftest import TEST_FILES, dcmdump_lines, require_tool, run_cli

from dicom_tools import __version__, registry

FILE_OPS = [s for s in registry.all_ops() if s.input == "file"]


def test_version():
    proc = run_cli("--version")
    assert proc.returncode == 0
    assert proc.stdout.strip() == f"dicom-tools {__version__}"


def test_help_lists_every_operation():
    proc = run_cli("--help")
    assert proc.returncode == 0
    for spec in registry.all_ops():
        assert spec.verb in proc.stdout


@pytest.mark.parametrize("verb", [s.verb for s in registry.all_ops()] + ["ops", "run"])
def test_every_verb_has_help_with_an_example(verb):
    proc = run_cli(verb, "--help")
    assert proc.returncode == 0
    assert "example:" in proc.stdout
    assert "dicom-tools" in proc.stdout.split("example:")[1]


def test_underscore_and_hyphen_spellings(tmp_path, ct_small):
    for verb in ("to-json", "to_json"):
        out = tmp_path / f"{verb}.json"
        proc = run_cli(verb, ct_small, "--output", out)
        assert proc.returncode == 0, proc.stderr
        assert json.loads(out.read_text())["00100010"]["Value"][0]["Alphabetic"]


def test_unknown_verb_and_bad_option_are_usage_errors(ct_small):
    for args in (["frobnicate", ct_small], ["info", ct_small, "--no-such-flag"], ["info"]):
        proc = run_cli(*args)
        assert proc.returncode == 2
        assert "Traceback" not in proc.stderr


def test_ops_catalog_text_and_json():
    text = run_cli("ops").stdout
    catalog = json.loads(run_cli("ops", "--json").stdout)
    names = [op["name"] for op in catalog]
    assert {"info", "dump", "to_json", "from_json"} <= set(names)
    for op in catalog:
        assert op["name"] in text
        assert op["input"] in ("file", "directory", "none")
        assert op["output"] in ("file", "directory", "display")
        for opt in op["options"]:
            assert {"name", "type", "default", "help"} <= set(opt)
    to_json = next(op for op in catalog if op["name"] == "to_json")
    assert to_json["output_suffix"] == ".json"


def test_seed_argument_forms(tmp_path, ct_small):
    """The flags a client of the seed's binary passes (interface/adapters/rust_cli.py)."""
    assert run_cli("info", ct_small, "--verbose").returncode == 0
    assert run_cli("info", ct_small, "--json").returncode == 0
    proc = run_cli("dump", ct_small, "--max-depth", "1", "--max-value-len", "20")
    assert proc.returncode == 0, proc.stderr
    out = tmp_path / "a.json"
    assert run_cli("to-json", ct_small, "--output", out).returncode == 0
    assert run_cli("from-json", out, "--output", tmp_path / "a.dcm").returncode == 0
    assert run_cli("from-json", out, "-o", tmp_path / "b.dcm").returncode == 0
    # the round-tripped file is a DICOM file dcmtk reads, with the original's patient
    names = {d["name"]: d["value"] for d in dcmdump_lines(tmp_path / "b.dcm")}
    assert names["PatientName"] == "CompressedSamples^CT1"


def test_output_inference(tmp_path, ct_small):
    src = tmp_path / "scan.dcm"
    shutil.copy(ct_small, src)
    assert run_cli("to-json", src).returncode == 0
    assert (tmp_path / "scan.json").is_file()
    assert run_cli("from-json", tmp_path / "scan.json", "-o", tmp_path / "back.dcm").returncode == 0
    outdir = tmp_path / "out"
    outdir.mkdir()
    assert run_cli("to-json", src, "-o", outdir).returncode == 0
    assert (outdir / "scan.json").is_file()
    # "-o -" streams text output to stdout
    proc = run_cli("to-json", src, "-o", "-")
    assert proc.returncode == 0
    assert "00100010" in json.loads(proc.stdout)


def test_missing_output_folder_is_a_usage_error(tmp_path, ct_small):
    proc = run_cli("to-json", ct_small, "-o", tmp_path / "nope" / "x.json")
    assert proc.returncode == 2
    assert "does not exist" in proc.stderr


@pytest.fixture(scope="module")
def bad_inputs(tmp_path_factory):
    return make_bad_inputs(tmp_path_factory.mktemp("bad"))


@pytest.mark.parametrize("spec", FILE_OPS, ids=lambda s: s.name)
def test_bad_input_gives_one_line_exit_2_and_no_output(spec, bad_inputs, tmp_path):
    for kind, path in bad_inputs.items():
        if spec.name == "from_json" and kind.startswith("truncated"):
            continue  # truncated DICOM is not a JSON input's failure mode
        args = [spec.verb, path]
        out = None
        if spec.output != "display":
            out = tmp_path / f"{kind}.out"
            args += ["-o", out]
        proc = run_cli(*args)
        assert proc.returncode == 2, (kind, proc.stdout[:200], proc.stderr)
        assert "Traceback" not in proc.stderr, kind
        lines = proc.stderr.strip().splitlines()
        if path.is_dir():  # a folder of bad files: one line per file, each named
            inside = sorted(p for p in path.iterdir() if p.is_file())
            assert len(lines) == len(inside), (kind, proc.stderr)
            for line, file in zip(lines, inside, strict=True):
                assert str(file) in line, (file, line)
        else:
            assert len(lines) == 1, (kind, proc.stderr)
            assert str(path) in lines[0] or path.name in lines[0], (kind, lines[0])
        if out is not None:
            assert not out.exists(), kind
            assert not list(tmp_path.glob(f".{out.name}*")), kind  # no temp file left


def test_debug_shows_a_traceback(bad_inputs):
    proc = run_cli("--debug", "info", bad_inputs["text"])
    assert proc.returncode != 0
    assert "Traceback" in proc.stderr


@pytest.mark.parametrize("name", ["ExplVR_BigEndNoMeta.dcm", "ExplVR_LitEndNoMeta.dcm"])
def test_files_without_meta_are_read_as_dcmtk_reads_them(name):
    require_tool("dcmdump")
    path = TEST_FILES / name
    ours = json.loads(run_cli("info", path, "--json", "--verbose").stdout)
    theirs = [d for d in dcmdump_lines(path) if d["depth"] == 0]
    assert len(ours["Elements"]) == len(theirs)


def test_raw_dataset_rejected_by_dcmtk_is_rejected(tmp_path):
    """no_meta.dcm starts mid-element; dcmdump reads a 173 MB length and fails, as do we."""
    path = TEST_FILES / "no_meta.dcm"
    assert run_cli("info", path).returncode == 2


@pytest.mark.parametrize("columns", [*range(40, 130, 3), 150, 200, 300])
def test_top_level_help_is_what_argparse_prints(columns, monkeypatch):
    """`--help` is printed without argparse; it must stay byte-for-byte argparse's help."""
    from dicom_tools import cli

    monkeypatch.setenv("COLUMNS", str(columns))
    expected = cli.build_parser().format_help()
    fast = cli.top_help()
    assert fast is None or fast == expected  # None: too narrow, argparse answers
    if columns >= 72:
        assert fast == expected


def test_help_wrapping_matches_textwrap():
    import textwrap

    from dicom_tools import cli

    texts = [s.summary for s in registry.all_ops()] + [
        "De-identify per DICOM re-encode to-image multi-frame a-b-c x-y 0-based ab-c-de",
    ]
    for text in texts:
        for width in range(12, 90):
            assert cli._wrap(text, width) in (None, textwrap.wrap(text, width)), (text, width)


@pytest.mark.parametrize(
    ("args", "absent"),
    [
        (["--help"], {"argparse", "dataclasses", "pathlib", "typing", "json", "pydicom"}),
        (["ops"], {"argparse", "dataclasses", "pathlib", "typing", "json", "pydicom"}),
        (["info", "--help"], {"dataclasses", "pydicom", "numpy"}),
    ],
)
def test_start_up_imports_stay_light(args, absent):
    """What `--help`, `ops` and a verb's help load: the cheap start-up is kept by construction."""
    import subprocess
    import sys

    code = (
        "import sys, contextlib, io\n"
        "from dicom_tools import cli\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    try:\n"
        f"        cli.main({args!r})\n"
        "    except SystemExit:\n"
        "        pass\n"
        "print(' '.join(sorted(sys.modules)))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    loaded = set(proc.stdout.split())
    assert not (absent & loaded), absent & loaded


def test_info_builds_only_its_own_parser():
    from dicom_tools import cli

    parser = cli.build_parser("info")
    sub = next(a for a in parser._actions if a.dest == "verb")
    assert set(sub.choices) == {"info"}
    parser = cli.build_parser("to_json")
    sub = next(a for a in parser._actions if a.dest == "verb")
    assert set(sub.choices) == {"to-json", "to_json"}
