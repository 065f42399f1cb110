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


def test_qt_in_the_signal_core_breaks_the_contract(tmp_path):
    root = _copy_tree(tmp_path)
    target = root / "biofeedback" / "signal" / "filters.py"
    target.write_text("from PyQt6 import QtCore  # noqa\n" + target.read_text())
    result = _lint(root)
    assert result.returncode != 0
    assert "BROKEN" in result.stdout and "Qt only in biofeedback.ui" in result.stdout


def test_a_lower_layer_importing_the_ui_breaks_the_contract(tmp_path):
    root = _copy_tree(tmp_path)
    target = root / "biofeedback" / "devices" / "scenario.py"
    target.write_text("import biofeedback.ui.theme  # noqa\n" + target.read_text())
    result = _lint(root)
    assert result.returncode != 0
    assert "Layers" in result.stdout


def test_a_clock_in_the_signal_core_breaks_the_contract(tmp_path):
    root = _copy_tree(tmp_path)
    target = root / "biofeedback" / "signal" / "baseline.py"
    target.write_text("import time  # noqa\n" + target.read_text())
    result = _lint(root)
    assert result.returncode != 0
    assert "BROKEN" in result.stdout and "clocks" in result.stdout


def test_sessions_importing_the_app_layer_breaks_the_contract(tmp_path):
    root = _copy_tree(tmp_path)
    target = root / "biofeedback" / "sessions" / "__init__.py"
    target.write_text(target.read_text() + "\nimport biofeedback.app.feedback  # noqa\n")
    result = _lint(root)
    assert result.returncode != 0
    assert "Layers" in result.stdout
