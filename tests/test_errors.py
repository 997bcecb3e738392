"""Errors name options neutrally; each front end spells them its own way.

An operation is called from the CLI, the contract, the web API and batch alike, so its messages
may not say ``--window-center``: they carry ``errors.option("window_center")`` and the CLI renders
``--window-center`` where the contract renders ``window_center``.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from conftest import run_cli

from dicom_tools import contract, registry
from dicom_tools.errors import DicomToolsError, UsageError, option, render

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "dicom_tools"


def test_option_marker_renders_per_front_end():
    msg = f"with {option('window_center')} give {option('window_width')}"
    assert render(msg, "cli") == "with --window-center give --window-width"
    assert render(msg, "api") == "with window_center give window_width"
    assert render(f"({option('output', '-', flag='-o')})", "cli") == "(-o -)"
    assert render(f"({option('output', '-', flag='-o')})", "api") == "(output=-)"
    assert render("no markers -- here", "cli") == "no markers -- here"


def test_exception_keeps_the_message_and_str_is_the_api_spelling():
    exc = UsageError(f"bad {option('frame')}")
    assert exc.render("cli") == "bad --frame"
    assert str(exc) == exc.render("api") == "bad frame"
    assert isinstance(exc, DicomToolsError) and exc.exit_code == 2


def test_cli_and_contract_spell_the_same_error_differently(tmp_path, ct_small):
    json_path = tmp_path / "ct.json"
    assert run_cli("to-json", ct_small, "-o", json_path).returncode == 0
    proc = run_cli("from-json", json_path, "-o", "-")
    assert proc.returncode == 2
    assert proc.stderr.strip() == (
        "dicom-tools from-json: error: from-json: cannot write its output to stdout ('-o -')"
    )
    res = contract.handle({"op": "from_json", "input": str(json_path), "output": "-"})
    assert not res.ok and res.returncode == 2
    assert res.stderr == "from-json: cannot write its output to stdout ('output=-')"
    assert "--" not in res.stderr


# A flag (``--window-center``, ``--{name}`` in an f-string) or the CLI's ``-o -``.
_FLAG = re.compile(r"--[a-z{]|(?<![\w-])-o -")


def _literal_text(node: ast.AST) -> str | None:
    """A string literal's text; an f-string's with ``{}`` for each replacement field."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)
    return None


def _flag_messages(root: Path) -> list[str]:
    """Every string literal naming a CLI flag (``--name``, ``-o -``), docstrings aside.

    Not only literals inside ``raise``: messages are also assembled from parts held in
    variables and dicts (transcode's option table) or returned as warnings.
    """
    found: list[str] = []
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text(), str(path))
        docstrings = {
            id(node.body[0].value)
            for node in ast.walk(tree)
            if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
            and node.body
            and isinstance(node.body[0], ast.Expr)
            and isinstance(node.body[0].value, ast.Constant)
        }
        for sub in ast.walk(tree):
            text = _literal_text(sub)
            if text is not None and id(sub) not in docstrings and _FLAG.search(text):
                rel = path.relative_to(PACKAGE.parent)
                found.append(f"{rel}:{sub.lineno}: {text.strip()!r}")
    return sorted(set(found), key=lambda m: (m.split(":")[0], int(m.split(":")[1])))


OWNED_ELSEWHERE = ["ops", "imaging", "anonymize", "validation", "dicomjson", "dump", "values.py"]


def test_operation_messages_name_no_cli_flag():
    found: list[str] = []
    for name in OWNED_ELSEWHERE:
        target = PACKAGE / name
        if target.is_dir():
            found += _flag_messages(target)
        elif target.is_file():
            found += [m for m in _flag_messages(PACKAGE) if m.startswith(f"dicom_tools/{name}:")]
    assert not found, "use errors.option(name) instead of a flag:\n" + "\n".join(found)


def test_front_end_and_base_messages_name_no_cli_flag():
    """The files converted already: registry, io, contract, context and dicom/.

    (The catalog's help texts and examples are command-line documentation and keep their flags.)
    """
    found = [
        m
        for m in _flag_messages(PACKAGE)
        if m.split(":")[0]
        in {
            "dicom_tools/registry.py",
            "dicom_tools/io.py",
            "dicom_tools/contract.py",
            "dicom_tools/context.py",
            "dicom_tools/result.py",
        }
        or m.startswith("dicom_tools/dicom/")
    ]
    assert not found, found


# Representative operation errors: (verb, CLI arguments, contract options, the words each front
# end must use, the message without them). The CLI's spelling is the catalog's flag; the
# contract's is the option name.
REPRESENTATIVE = [
    (
        "to-image",
        ["--window-center", "40"],
        {"window_center": 40},
        ("--window-center", "--window-width"),
        ("window_center", "window_width"),
        "{} and {} go together: give both or neither",
    ),
    (
        "histogram",
        ["--range", "4", "2"],
        {"range": [4, 2]},
        ("--range 4 2",),
        ("range=4 2",),
        "{}: LO must be less than HI",
    ),
    (
        "anonymize",
        ["--blank-rect", "1,2"],
        {"blank_rect": ["1,2"]},
        ("--blank-rect '1,2'",),
        ("blank_rect='1,2'",),
        "{}: expected x,y,w,h (non-negative integers, in pixels)",
    ),
    (
        "to-json",
        ["--bulk-data-dir", "bulk"],
        {"bulk_data_dir": "bulk"},
        ("--bulk-data-dir", "--bulk-data-threshold"),
        ("bulk_data_dir", "bulk_data_threshold"),
        "{} is only used with {}",
    ),
    (
        "transcode",
        ["--transfer-syntax", "rle", "--quality", "50"],
        {"transfer_syntax": "rle", "quality": 50},
        ("--quality",),
        ("quality",),
        "{} does not apply to rle (a lossless target); it is used by "
        "jpeg-baseline, jpeg2000, htj2k",
    ),
]


@pytest.mark.parametrize(
    ("verb", "argv", "options", "cli_words", "api_words", "template"),
    REPRESENTATIVE,
    ids=[r[0] for r in REPRESENTATIVE],
)
def test_each_front_end_names_options_in_its_own_words(
    verb, argv, options, cli_words, api_words, template, tmp_path, ct_small
):
    out = tmp_path / "out"
    out.mkdir()
    writes = registry.get(verb).output != "display"
    proc = run_cli(verb, ct_small, *(["-o", out] if writes else []), *argv)
    assert proc.returncode == 2 and not list(out.iterdir()), proc.stderr
    assert proc.stderr == f"dicom-tools {verb}: error: {template.format(*cli_words)}\n"

    request = {"op": verb.replace("-", "_"), "input": str(ct_small), "options": options}
    res = contract.handle({**request, **({"output": str(out)} if writes else {})})
    assert not res.ok and res.returncode == 2 and not list(out.iterdir())
    assert res.stderr == template.format(*api_words)

    for flag, name in zip(cli_words, api_words, strict=True):
        assert flag.split()[0] not in res.stderr
        bare = re.escape(name.split("=")[0])  # the name alone, not inside its flag
        assert not re.search(rf"(?<![\w-]){bare}(?![\w-])", proc.stderr)
    assert "\x02" not in proc.stderr + res.stderr
