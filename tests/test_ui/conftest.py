"""UI tests: each test's widgets are destroyed at the end of that test, at a safe point.

Without this, Python's garbage collector may free a closed window's plot items in the middle
of a later test's paint, which pyqtgraph does not survive (a segfault in AxisItem.paint).
"""

from __future__ import annotations

import gc

import pytest


@pytest.fixture(autouse=True)
def _collect_widgets_after_each_test(qapp):
    yield
    qapp.processEvents()
    gc.collect()
    qapp.processEvents()
