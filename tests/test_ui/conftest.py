"""UI tests: each test's widgets are destroyed at the end of that test, at a safe point.

Without this, Python's garbage collector may free a closed window's plot items in the middle
of a later test's paint, which pyqtgraph does not survive (a segfault in AxisItem.paint).
"""

from __future__ import annotations

import gc
from collections.abc import Callable
from typing import Any

import pytest


@pytest.fixture(autouse=True)
def _collect_widgets_after_each_test(qapp):
    yield
    qapp.processEvents()
    gc.collect()
    qapp.processEvents()


@pytest.fixture
def show_active(qtbot) -> Callable[..., Any]:
    """``show_active(window, size=(w, h))``: the window kept for this test, shown, and the
    active one (keys go to it) before the test goes on."""

    def show(win: Any, size: tuple[int, int] | None = (1280, 800)) -> Any:
        from PyQt6.QtWidgets import QApplication

        qtbot.addWidget(win)
        if size is not None:
            win.resize(*size)
        win.show()
        win.activateWindow()
        qtbot.waitUntil(lambda: QApplication.activeWindow() is win, timeout=3000)
        return win

    return show


@pytest.fixture
def main_window(show_active) -> Callable[..., Any]:
    """``main_window(spec, speed=10.0)``: a :class:`MainWindow` on ``spec`` that leaves the
    user's settings alone, shown and active at 1280x800."""
    from biofeedback.ui.main_window import MainWindow

    def make(spec: str, speed: float = 10.0) -> MainWindow:
        return show_active(MainWindow(spec, source_options={"speed": speed}, persist=False))

    return make
