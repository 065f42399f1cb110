"""The partner steps checklist: non-penetrative intimacy goals and the partner's involvement,
step by step, each agreed and ticked off together (two check boxes per row), with notes.
"""

from __future__ import annotations

from PyQt6.QtCore import Qt, pyqtSignal
from PyQt6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from biofeedback.app.cbt import PartnerModel
from biofeedback.storage.records.models_cbt import PartnerStep
from biofeedback.ui.cbt.common import MessageLine, explanation, text_or_none
from biofeedback.ui.tables import record_table

COLUMNS = ("Step", "Agreed", "Done together", "Notes")
AGREED, DONE, NOTES = 1, 2, 3


_CHECKABLE = Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsEnabled
_EDITABLE = Qt.ItemFlag.ItemIsEditable | Qt.ItemFlag.ItemIsEnabled


class PartnerChecklist(QWidget):
    """The partner steps of one patient; ``changed`` after every stored change."""

    changed = pyqtSignal()

    def __init__(self, model: PartnerModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self._steps: list[PartnerStep] = []
        self._filling = False
        self.table = record_table(COLUMNS, stretch=(0, NOTES), pick_rows=False)
        self.progress = QLabel("")
        self.new_text = QLineEdit()
        self.new_text.setPlaceholderText("A step to share, e.g. a massage without genital touch")
        self.new_notes = QLineEdit()
        self.new_notes.setPlaceholderText("Notes (optional)")
        self.add_button = QPushButton("Add step")
        self.message = MessageLine()
        add = QHBoxLayout()
        add.addWidget(self.new_text, 3)
        add.addWidget(self.new_notes, 2)
        add.addWidget(self.add_button)
        layout = QVBoxLayout(self)
        layout.addWidget(explanation(model.explanation))
        layout.addWidget(self.table, 1)
        layout.addWidget(self.progress)
        layout.addLayout(add)
        layout.addWidget(self.message)
        self.add_button.clicked.connect(self._add)
        self.table.itemChanged.connect(self._item_changed)
        self.refresh()

    def steps(self) -> list[PartnerStep]:
        return self._steps

    def refresh(self) -> None:
        self._filling = True
        try:
            self._steps = self.model.steps()
            self.table.setRowCount(len(self._steps))
            for i, s in enumerate(self._steps):
                self._cell(i, 0, f"{s.position}. {s.text}", Qt.ItemFlag.ItemIsEnabled)
                for col, when in ((AGREED, s.agreed), (DONE, s.done)):
                    item = self._cell(i, col, "" if when is None else f"{when:%d %b}",
                                      _CHECKABLE)
                    item.setCheckState(Qt.CheckState.Unchecked if when is None
                                       else Qt.CheckState.Checked)
                self._cell(i, NOTES, s.notes or "", _EDITABLE)
        finally:
            self._filling = False
        n, agreed, done = self.model.progress()
        self.progress.setText(f"{done} of {n} done together, {agreed} agreed." if n else
                              "No steps yet: add the first one together.")

    def _cell(self, row: int, col: int, text: str, flags: Qt.ItemFlag) -> QTableWidgetItem:
        """Update the cell in place (an item is never replaced while its signal runs)."""
        item = self.table.item(row, col)
        if item is None:
            item = QTableWidgetItem()
            self.table.setItem(row, col, item)
        item.setFlags(flags)
        item.setText(text)
        return item

    def _item_changed(self, item: QTableWidgetItem) -> None:
        if self._filling:
            return
        s = self._steps[item.row()]
        on = item.checkState() == Qt.CheckState.Checked
        if item.column() == AGREED:
            ok = self.message.run(lambda: self.model.set_agreed(s.uid, on),
                                  "Agreed together." if on else "Marked as not agreed yet.")
        elif item.column() == DONE:
            ok = self.message.run(lambda: self.model.set_done(s.uid, on),
                                  "Done together: ticked off." if on else "Tick taken back.")
        else:
            ok = self.message.run(lambda: self.model.set_notes(s.uid, text_or_none(item.text())),
                                  "Notes saved.")
        self.refresh()
        if ok is not None:
            self.changed.emit()

    def _add(self) -> None:
        step = self.message.run(lambda: self.model.add(self.new_text.text(),
                                                       text_or_none(self.new_notes.text())),
                                "Step added.")
        if step is not None:
            self.new_text.clear()
            self.new_notes.clear()
            self.refresh()
            self.changed.emit()


__all__ = ["PartnerChecklist"]
