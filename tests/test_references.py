"""The references themselves: every external tool the tests compare with is listed, installed by
scripts/system-deps.sh and on PATH, and that script fails loudly when it cannot install one."""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import tokenize
from pathlib import Path

import pytest
from conftest import (
    CORPUS_SIZE,
    REFERENCE_TOOLS,
    corpus_files,
    missing_reference,
    require_tool,
)

TESTS = Path(__file__).resolve().parent
SCRIPT = TESTS.parent / "scripts" / "system-deps.sh"
# Words of the tests' string literals that name a reference program.
_TOOL_WORD = re.compile(r"\b(dcm[a-z0-9]+|gdcm[a-z0-9]+|dciodvfy|initdb|pg_ctl)\b")
NOT_TOOLS = {"dcmtk", "dcmread", "dcmwrite"}  # the toolkit and pydicom functions, not programs


def _tools_named_in_tests() -> dict[str, set[str]]:
    """Program names in the string literals of every test module -> the modules naming them."""
    found: dict[str, set[str]] = {}
    for path in sorted(TESTS.rglob("*.py")):
        tokens = tokenize.generate_tokens(io.StringIO(path.read_text()).readline)
        for tok in tokens:
            if tok.type not in (tokenize.STRING, getattr(tokenize, "FSTRING_MIDDLE", -1)):
                continue
            for word in _TOOL_WORD.findall(tok.string):
                if word not in NOT_TOOLS:
                    found.setdefault(word, set()).add(path.name)
    return found


def test_every_tool_the_tests_run_is_listed():
    named = _tools_named_in_tests()
    assert {"dcmdump", "dciodvfy", "gdcmconv", "dcm2json"} <= set(named)  # the scan works
    assert {t: sorted(m) for t, m in named.items() if t not in REFERENCE_TOOLS} == {}
    assert set(REFERENCE_TOOLS) <= set(named)  # and nothing listed that no test runs


def test_system_deps_script_checks_every_tool():
    text = SCRIPT.read_text()
    block = text[text.index("TOOLS=(") : text.index(")", text.index("TOOLS=("))]
    pairs = dict(re.findall(r"^\s+([\w-]+):([\w-]+)$", block, re.M))
    assert pairs == REFERENCE_TOOLS


@pytest.mark.parametrize("tool", sorted(REFERENCE_TOOLS))
def test_reference_tool_is_on_path(tool):
    """Fails (naming the tool) under DICOM_TOOLS_REQUIRE_REFERENCES, skips otherwise."""
    assert os.access(require_tool(tool), os.X_OK)


def test_make_test_requires_the_references():
    makefile = (TESTS.parent / "Makefile").read_text()
    recipe = makefile[makefile.index("\ntest:") :].split("\n\n")[0]
    assert "bash scripts/system-deps.sh" in recipe
    assert re.search(r"DICOM_TOOLS_REQUIRE_REFERENCES=1 \S+ -m pytest", recipe), recipe


def test_corpus_is_complete():
    # conftest fails the collection when a folder's count changes; this names the total.
    assert len(corpus_files()) == CORPUS_SIZE
    assert len({p.name for p in corpus_files()}) == CORPUS_SIZE  # names are unique


# --- scripts/system-deps.sh with a PATH that lacks the tools -----------------------------------


def _fake_path(folder: Path, apt_rc: int) -> str:
    """A PATH holding only what the script needs besides the tools, and an apt-get that logs
    its arguments and exits with ``apt_rc`` (it installs nothing)."""
    folder.mkdir()
    for name in ("id", "sort", "tail", "cat"):
        (folder / name).symlink_to(shutil.which(name))
    apt = folder / "apt-get"
    apt.write_text(f'#!/bin/sh\necho "apt-get $*" >> "$TMPDIR/apt-calls"\nexit {apt_rc}\n')
    apt.chmod(0o755)
    return str(folder)


def _run_script(tmp_path: Path, apt_rc: int) -> subprocess.CompletedProcess[str]:
    env = {"PATH": _fake_path(tmp_path / "bin", apt_rc), "TMPDIR": str(tmp_path)}
    return subprocess.run(
        [shutil.which("bash") or "/bin/bash", str(SCRIPT)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_system_deps_fails_naming_the_packages_when_apt_fails(tmp_path):
    proc = _run_script(tmp_path, apt_rc=100)
    assert proc.returncode != 0, proc.stdout + proc.stderr
    for package in ("dcmtk", "dicom3tools", "libgdcm-tools"):
        assert package in proc.stderr, proc.stderr
    assert "apt-get update" in (tmp_path / "apt-calls").read_text()


def test_system_deps_fails_naming_the_tool_still_missing(tmp_path):
    proc = _run_script(tmp_path, apt_rc=0)  # "succeeds" without installing anything
    assert proc.returncode != 0, proc.stdout + proc.stderr
    for tool, package in REFERENCE_TOOLS.items():
        assert f"{tool} is still not on PATH after installing Debian package {package}" in (
            proc.stderr
        )


def test_system_deps_passes_when_every_tool_is_there():
    missing = [t for t in REFERENCE_TOOLS if not shutil.which(t)]
    if missing:
        missing_reference(f"reference tools {missing} not on PATH: the script would install them")
    proc = subprocess.run(["bash", str(SCRIPT)], capture_output=True, text=True, timeout=60)
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "", "")
