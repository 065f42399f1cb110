"""The shared record table: row picking or none, the stretched columns, centred numbers."""

from __future__ import annotations

import pytest

pytest.importorskip("pytestqt")

from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QAbstractItemView, QHeaderView

from biofeedback.ui.tables import record_table, set_row


def test_a_record_table_picks_whole_read_only_rows_and_stretches_the_text(qtbot):
    t = record_table(("#", "Step", "Now"), stretch=(1,))
    qtbot.addWidget(t)
    assert t.columnCount() == 3 and t.horizontalHeaderItem(1).text() == "Step"
    assert not t.verticalHeader().isVisible()
    assert t.selectionBehavior() is QAbstractItemView.SelectionBehavior.SelectRows
    assert t.editTriggers() == QAbstractItemView.EditTrigger.NoEditTriggers
    header = t.horizontalHeader()
    assert header.sectionResizeMode(1) is QHeaderView.ResizeMode.Stretch
    assert header.sectionResizeMode(2) is QHeaderView.ResizeMode.ResizeToContents
    t.setRowCount(1)
    set_row(t, 0, ["1", "Smallest dilator", "40"], left=(1,))
    assert t.item(0, 1).text() == "Smallest dilator"
    assert t.item(0, 1).textAlignment() != Qt.AlignmentFlag.AlignCenter.value
    assert t.item(0, 2).textAlignment() == Qt.AlignmentFlag.AlignCenter.value


def test_a_table_of_controls_selects_nothing(qtbot):
    t = record_table(("Step", "Done"), stretch=(0,), pick_rows=False)
    qtbot.addWidget(t)
    assert t.selectionMode() is QAbstractItemView.SelectionMode.NoSelection
