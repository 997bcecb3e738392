"""Many inputs per command: files, folders, quoted patterns; text, JSON Lines, -o FOLDER.

References: dcmdump reads the same files (which file each section or line belongs to is
checked against the SOP Instance UID dcmdump prints for it), and the outputs are read back
with dcmdump.
"""

from __future__ import annotations

import json
import shutil

import pytest
from conftest import TEST_FILES, dcmdump_lines, run_cli

GOOD = ["CT_small.dcm", "MR_small.dcm", "rtplan.dcm"]


def _uid(path) -> str:
    return next(e["value"] for e in dcmdump_lines(path) if e["tag"] == "(0008,0018)")


@pytest.fixture
def folder(tmp_path):
    """Three good files, one bad one, a hidden file and a subfolder with one more file."""
    root = tmp_path / "in"
    (root / "sub").mkdir(parents=True)
    for name in GOOD:
        shutil.copy(TEST_FILES / name, root / name)
    (root / "notes.dcm").write_text("not DICOM\n")
    shutil.copy(TEST_FILES / "CT_small.dcm", root / ".hidden.dcm")
    shutil.copy(TEST_FILES / "MR_small.dcm", root / "sub" / "deep.dcm")
    return root


def test_info_json_lines_one_object_per_file_with_its_name(folder):
    files = [folder / n for n in GOOD]
    proc = run_cli("info", *files, "--json")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert len(lines) == len(files)
    for line, path in zip(lines, files, strict=True):
        record = json.loads(line)
        assert record["file"] == str(path)
        assert record["ok"] is True
        assert record["data"]["SOPInstanceUID"] == _uid(path)


def test_text_output_has_a_header_line_per_file_in_order(folder):
    files = [folder / n for n in GOOD]
    proc = run_cli("dump", *files)
    assert proc.returncode == 0, proc.stderr
    headers = [line for line in proc.stdout.splitlines() if line.startswith("# dicom-tools ")]
    assert headers == [f"# dicom-tools dump ({i}/3): {p}" for i, p in enumerate(files, 1)]
    # each section holds its own file's dump: its SOP Instance UID, as dcmdump reads it
    sections = proc.stdout.split("# dicom-tools dump (")[1:]
    for section, path in zip(sections, files, strict=True):
        assert f"[{_uid(path)}]" in section


def test_a_folder_lists_its_files_sorted_and_skips_hidden_ones(folder):
    proc = run_cli("info", folder, "--json")
    assert proc.returncode == 1  # notes.dcm fails
    names = [json.loads(line)["file"] for line in proc.stdout.splitlines()]
    assert names == [str(folder / n) for n in sorted(GOOD)]
    assert proc.stderr.count("\n") == 1 and "notes.dcm" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_recursive_descends_into_subfolders(folder):
    proc = run_cli("info", folder, "--recursive", "--json")
    names = [json.loads(line)["file"] for line in proc.stdout.splitlines()]
    assert str(folder / "sub" / "deep.dcm") in names
    assert not any(".hidden" in n for n in names)
    short = run_cli("info", folder, "-r", "--json")
    assert short.stdout == proc.stdout


def test_quoted_pattern_is_expanded_as_a_shell_would(folder):
    proc = run_cli("info", str(folder / "*_small.dcm"), "--json")
    assert proc.returncode == 0, proc.stderr
    names = [json.loads(line)["file"] for line in proc.stdout.splitlines()]
    assert names == sorted(str(p) for p in folder.glob("*_small.dcm"))
    none = run_cli("info", str(folder / "*.nothing"))
    assert none.returncode == 2
    assert "no file matches" in none.stderr


def test_exit_codes_all_some_none(folder):
    good = [folder / n for n in GOOD]
    assert run_cli("info", *good).returncode == 0
    some = run_cli("info", *good, folder / "notes.dcm", folder / "missing.dcm")
    assert some.returncode == 1
    assert len(some.stderr.splitlines()) == 2
    none = run_cli("info", folder / "notes.dcm", folder / "missing.dcm")
    assert none.returncode == 2


def test_validate_failures_count_as_failed_files(folder):
    # validate reports a file with errors as a failure (exit 1) and keeps going
    proc = run_cli("validate", *[folder / n for n in GOOD], "--json", "--level", "error")
    records = [json.loads(line) for line in proc.stdout.splitlines()]
    assert len(records) == 3
    expected = 1 if any(not r["ok"] for r in records) else 0
    assert proc.returncode == expected


def test_output_folder_gets_one_distinct_output_per_input(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    shutil.copy(TEST_FILES / "CT_small.dcm", a / "scan.dcm")
    shutil.copy(TEST_FILES / "MR_small.dcm", b / "scan.dcm")
    out = tmp_path / "out"  # made by the command
    proc = run_cli("transcode", a / "scan.dcm", b / "scan.dcm", "-o", out, "--syntax", "rle")
    assert proc.returncode == 0, proc.stderr
    written = sorted(p.name for p in out.iterdir())
    assert len(written) == 2 and len(set(written)) == 2
    # each output holds its own input (its SOP Instance UID, as dcmdump reads it)
    uids = {_uid(p) for p in out.iterdir()}
    assert uids == {_uid(a / "scan.dcm"), _uid(b / "scan.dcm")}


def test_outputs_never_replace_an_input_still_to_be_read(tmp_path):
    src = tmp_path / "ct.dcm"
    shutil.copy(TEST_FILES / "CT_small.dcm", src)
    # ct_anonymized.dcm is also an input: ct.dcm's output must not overwrite it first
    other = tmp_path / "ct_anonymized.dcm"
    shutil.copy(TEST_FILES / "MR_small.dcm", other)
    before = other.read_bytes()
    proc = run_cli("anonymize", src, other, "--key", "k")
    assert proc.returncode == 0, proc.stderr
    assert other.read_bytes() == before
    assert len(list(tmp_path.iterdir())) == 4


def test_no_output_folder_is_left_when_every_input_fails(tmp_path):
    bad = tmp_path / "bad.dcm"
    bad.write_text("no")
    out = tmp_path / "out"
    proc = run_cli("to-json", bad, tmp_path / "missing.dcm", "-o", out)
    assert proc.returncode == 2
    assert not out.exists()


def test_stdout_output_and_single_output_options_take_one_input(folder, tmp_path):
    files = [folder / n for n in GOOD]
    proc = run_cli("to-json", *files, "-o", "-")
    assert proc.returncode == 2 and "takes one input" in proc.stderr
    proc = run_cli("histogram", *files, "--plot", tmp_path / "h.png")
    assert proc.returncode == 2 and "--plot" in proc.stderr
    assert not (tmp_path / "h.png").exists()


def test_output_file_for_several_inputs_is_refused(folder, tmp_path):
    target = tmp_path / "one.json"
    target.write_text("{}")
    proc = run_cli("to-json", folder / GOOD[0], folder / GOOD[1], "-o", target)
    assert proc.returncode == 2 and "folder" in proc.stderr
    assert target.read_text() == "{}"


def test_repeated_options_never_eat_the_inputs(tmp_path, ct_small):
    out = tmp_path / "x.dcm"
    proc = run_cli("anonymize", "--keep", "PatientSex", ct_small, "-o", out, "--key", "k")
    assert proc.returncode == 0, proc.stderr
    comma = tmp_path / "y.dcm"
    proc = run_cli(
        "anonymize", ct_small, "--keep", "StudyDate,StudyTime", "--keep", "PatientSex",
        "-o", comma, "--key", "k",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    original = {e["tag"]: e["value"] for e in dcmdump_lines(ct_small)}
    kept = {e["tag"]: e["value"] for e in dcmdump_lines(comma)}
    for tag in ("(0008,0020)", "(0008,0030)", "(0010,0040)"):  # StudyDate, StudyTime, Sex
        assert kept[tag] == original[tag]
    first = {e["tag"]: e["value"] for e in dcmdump_lines(out)}
    assert first["(0010,0040)"] == original["(0010,0040)"]
    assert first["(0008,0020)"] != original["(0008,0020)"]  # not kept: changed by the profile


def _closed_stdout_run(*args, stdin: bytes | None = None):
    """Run the CLI with a stdout whose reader is already gone (``| head`` that has exited)."""
    import os
    import subprocess
    import sys

    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        return subprocess.run(
            [sys.executable, "-m", "dicom_tools", *map(str, args)],
            stdout=write_end,
            stderr=subprocess.PIPE,
            input=stdin,
            timeout=120,
        )
    finally:
        os.close(write_end)


VERB_ARGS = {
    "info": [], "dump": [], "stats": [], "histogram": [], "validate": [],
    "to-json": ["-o", "-"], "transcode": ["--list"],
}  # fmt: skip


@pytest.mark.parametrize("verb", [*VERB_ARGS, "ops", "run", "many"])
def test_a_closed_stdout_ends_every_verb_quietly(verb, ct_small):
    if verb == "ops":
        proc = _closed_stdout_run("ops")
    elif verb == "run":
        request = json.dumps({"op": "dump", "input": str(ct_small)}).encode()
        proc = _closed_stdout_run("run", "-", stdin=request)
    elif verb == "many":
        proc = _closed_stdout_run("dump", *[TEST_FILES / n for n in GOOD])
    elif verb == "transcode":
        proc = _closed_stdout_run("transcode", "--list")
    else:
        proc = _closed_stdout_run(verb, ct_small, *VERB_ARGS[verb])
    assert proc.stderr == b"", proc.stderr.decode()
    assert proc.returncode in (0, 1)  # validate may report the file's own errors
