"""The layer contracts of pyproject.toml ([tool.importlinter]) hold, and they do bite.

``lint-imports`` (import-linter) analyses the package's import graph, function-level imports
included, so an operation importing a front end, or the base importing an operation, fails here.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"


def _lint_imports(src: Path) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).with_name("lint-imports")
    if not exe.exists():
        pytest.fail("lint-imports not installed: pip install -e '.[test]' (import-linter)")
    env = {**os.environ, "PYTHONPATH": str(src)}
    return subprocess.run(
        [str(exe), "--no-cache"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )


def test_every_import_points_down():
    proc = _lint_imports(SRC)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert "0 broken" in proc.stdout


@pytest.mark.parametrize(
    ("where", "line", "contract"),
    [
        ("dicom/_upward.py", "import dicom_tools.ops.info\n", "Layers"),
        ("ops/_upward.py", "from dicom_tools import cli\n", "Layers"),
        ("dicom/_upward2.py", "import dicom_tools.result\n", "Layers"),
        ("dicom/_upward3.py", "import dicom_tools.registry\n", "Layers"),
        ("ops/info_extra.py", "import dicom_tools.ops.dump\n", "independent"),
    ],
)
def test_an_upward_import_fails(tmp_path, where, line, contract):
    """Proof the contracts are not vacuous: a copy of the package with one bad import fails."""
    copy = tmp_path / "dicom_tools"
    shutil.copytree(SRC / "dicom_tools", copy, ignore=shutil.ignore_patterns("__pycache__"))
    (copy / where).write_text(line)
    if contract == "independent":
        # make the new module part of an independent operation
        (copy / "ops" / "info.py").write_text(
            (copy / "ops" / "info.py").read_text() + "\nfrom dicom_tools.ops import info_extra\n"
        )
    proc = _lint_imports(tmp_path)
    assert proc.returncode != 0, proc.stdout[-2000:]
    assert "BROKEN" in proc.stdout
    assert contract in proc.stdout
