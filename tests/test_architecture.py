"""The layering contracts hold, and they can fail: a Qt import in the signal core breaks them."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
LINT = Path(sys.executable).with_name("lint-imports")

pytestmark = pytest.mark.skipif(not LINT.exists(), reason="import-linter is not installed")


def _lint(root: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run([str(LINT), "--no-cache"], cwd=root, env=env, capture_output=True,
                          text=True, timeout=120)


def _copy_tree(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    shutil.copytree(REPO / "biofeedback", root / "biofeedback",
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / "pyproject.toml", root / "pyproject.toml")
    return root


def test_the_real_tree_keeps_its_contracts(tmp_path):
    result = _lint(_copy_tree(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(("module", "line", "contract"), [
    ("signal/filters.py", "from PyQt6 import QtCore", "Qt only in biofeedback.ui"),
    ("devices/scenario.py", "import biofeedback.ui.theme", "Layers"),
    ("signal/baseline.py", "import time", "clocks"),
    ("sessions/__init__.py", "import biofeedback.app.feedback", "Layers"),
])
def test_a_forbidden_import_breaks_its_contract(tmp_path, module, line, contract):
    """Qt in the signal core, a lower layer importing the UI, a clock in the signal core,
    sessions importing the app layer: each one is reported as broken."""
    root = _copy_tree(tmp_path)
    target = root / "biofeedback" / module
    target.write_text(f"{line}  # noqa\n" + target.read_text())
    result = _lint(root)
    assert result.returncode != 0
    assert "BROKEN" in result.stdout and contract in result.stdout
