"""The record tables the clinic and CBT views share: one place for how a list of stored rows
looks (no row numbers, columns sized to their text, the wordy ones stretched) and is filled."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem


def record_table(columns: Sequence[str], stretch: Collection[int], *,
                 pick_rows: bool = True) -> QTableWidget:
    """A table of ``columns``; ``stretch`` takes the spare width. ``pick_rows``: one whole row
    is chosen at a time and cells are read-only; otherwise nothing is selected (the cells
    themselves are the controls)."""
    table = QTableWidget(0, len(columns))
    table.setHorizontalHeaderLabels(list(columns))
    table.verticalHeader().setVisible(False)
    if pick_rows:
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    else:
        table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    for col in stretch:
        header.setSectionResizeMode(col, QHeaderView.ResizeMode.Stretch)
    return table


def set_row(table: QTableWidget, row: int, cells: Sequence[str],
            left: Collection[int]) -> None:
    """Fill ``row`` with new items: numbers centred, the ``left`` (text) columns not."""
    for col, text in enumerate(cells):
        item = QTableWidgetItem(text)
        if col not in left:
            item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
        table.setItem(row, col, item)


__all__ = ["record_table", "set_row"]
