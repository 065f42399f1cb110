"""`biofeedback run` without a screen says so in one line instead of letting Qt abort."""

from __future__ import annotations

import os
import subprocess
import sys


def test_no_display_gives_a_one_line_error():
    env = {k: v for k, v in os.environ.items()
           if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    res = subprocess.run([sys.executable, "-m", "biofeedback", "run"], env=env,
                         capture_output=True, text=True, timeout=60)
    assert res.returncode == 2
    assert res.stderr.strip().count("\n") == 0
    assert "no screen found" in res.stderr and "Traceback" not in res.stderr


def test_help_has_an_example():
    res = subprocess.run([sys.executable, "-m", "biofeedback", "run", "--help"],
                         capture_output=True, text=True, timeout=60)
    assert res.returncode == 0 and "Examples:" in res.stdout
