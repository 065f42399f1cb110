"""The exposure hierarchy editor: the ladder (ranked by anxiety 0-100), adding steps, moving
them, and recording a practice with its ratings before and after (clinical.md §6).

It shows what the ratings say and never judges: the hint under the ladder is
:func:`biofeedback.app.cbt.step_hint` for the chosen step.
"""

from __future__ import annotations

from PyQt6.QtCore import pyqtSignal
from PyQt6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from biofeedback.app.cbt import HierarchyModel
from biofeedback.storage.records.models_cbt import ExposureStep
from biofeedback.ui.cbt.common import (
    MessageLine,
    explanation,
    rating_box,
    rating_of,
    text_or_none,
)
from biofeedback.ui.tables import record_table, set_row

COLUMNS = ("#", "Step", "I expect", "First", "Now", "Practised")  # ratings: SUDS 0-100
_TEXT = (1, 2)  # the wordy columns: stretched, not centred


class HierarchyEditor(QWidget):
    """The ladder of one patient; ``changed`` after every stored change."""

    changed = pyqtSignal()

    def __init__(self, model: HierarchyModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.session_uid: str | None = None  # set by a window running a session
        self._steps: list[ExposureStep] = []
        self.table = record_table(COLUMNS, stretch=_TEXT)
        self.hint = QLabel("")
        self.hint.setObjectName("hint")
        self.hint.setWordWrap(True)
        self.message = MessageLine()
        self.up, self.down = QPushButton("Move up"), QPushButton("Move down")
        self.rank = QPushButton("Order by anxiety")
        self.remove = QPushButton("Remove step")
        moves = QHBoxLayout()
        for b in (self.up, self.down, self.rank, self.remove):
            moves.addWidget(b)
        moves.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(explanation(model.explanation))
        layout.addWidget(self.table, 1)
        layout.addLayout(moves)
        layout.addWidget(self.hint)
        layout.addWidget(self._add_box())
        layout.addWidget(self._rate_box())
        layout.addWidget(self.message)
        self.up.clicked.connect(lambda: self._move(-1))
        self.down.clicked.connect(lambda: self._move(1))
        self.rank.clicked.connect(self._rank)
        self.remove.clicked.connect(self._remove)
        self.table.itemSelectionChanged.connect(self._selection_changed)
        self.refresh()

    # -- building -------------------------------------------------------------------------
    def _add_box(self) -> QGroupBox:
        box = QGroupBox("Add a step")
        self.step_text = QComboBox()
        self.step_text.setEditable(True)
        self.step_text.addItems(self.model.suggestions)
        self.step_text.setCurrentText("")
        self.step_anxiety = rating_box(100, 5, value=50)
        self.step_expect = QLineEdit()
        self.step_expect.setPlaceholderText("What do you expect to happen? (optional)")
        self.add_button = QPushButton("Add step")
        form = QFormLayout(box)
        form.addRow("Step", self.step_text)
        form.addRow("Anxiety now (0-100)", self.step_anxiety)
        form.addRow("I expect", self.step_expect)
        form.addRow(self.add_button)
        self.add_button.clicked.connect(self._add)
        return box

    def _rate_box(self) -> QGroupBox:
        box = QGroupBox("After practising the chosen step")
        self.before = rating_box(100, 5, value=50)
        self.after = rating_box(100, 5, value=30)
        self.pain = rating_box(10, 1, optional=True)
        self.outcome = QLineEdit()
        self.outcome.setPlaceholderText("What actually happened? (optional)")
        self.save_practice = QPushButton("Save practice")
        self.save_practice.setObjectName("primary")
        form = QFormLayout(box)
        form.addRow("Anxiety before (0-100)", self.before)
        form.addRow("Anxiety after (0-100)", self.after)
        form.addRow("Pain (0-10)", self.pain)
        form.addRow("What happened", self.outcome)
        form.addRow(self.save_practice)
        self.save_practice.clicked.connect(self._rate)
        return box

    # -- state ----------------------------------------------------------------------------
    def steps(self) -> list[ExposureStep]:
        return self._steps

    def selected(self) -> ExposureStep | None:
        rows = self.table.selectionModel().selectedRows()
        return self._steps[rows[0].row()] if rows else None

    def select(self, uid: str) -> None:
        for i, s in enumerate(self._steps):
            if s.uid == uid:
                self.table.selectRow(i)

    def refresh(self) -> None:
        chosen = self.selected()
        self._steps = self.model.steps()
        self.table.setRowCount(len(self._steps))
        for i, s in enumerate(self._steps):
            cells = (str(s.position), s.text, s.expectation or "", f"{s.anxiety:g}",
                     f"{s.current_anxiety:g}", f"{len(s.practices)}×")
            set_row(self.table, i, cells, left=_TEXT)
        if chosen is not None:
            self.select(chosen.uid)
        self._selection_changed()

    def _selection_changed(self) -> None:
        s = self.selected()
        for b in (self.up, self.down, self.remove, self.save_practice):
            b.setEnabled(s is not None)
        self.rank.setEnabled(len(self._steps) > 1)
        if s is None:
            self.hint.setText("Choose a step to record a practice." if self._steps else
                              "Start with a step that feels manageable.")
        else:
            self.hint.setText(self.model.hint(s) or "Not practised yet. Take your time.")

    # -- actions --------------------------------------------------------------------------
    def _stored(self, uid: str | None = None) -> None:
        self.refresh()
        if uid is not None:
            self.select(uid)
        self.changed.emit()

    def _add(self) -> None:
        step = self.message.run(
            lambda: self.model.add(self.step_text.currentText(), self.step_anxiety.value(),
                                   text_or_none(self.step_expect.text())), "Step added.")
        if step is not None:
            self.step_text.setCurrentText("")
            self.step_expect.clear()
            self._stored(step.uid)

    def _rate(self) -> None:
        s = self.selected()
        if s is None:
            return
        done = self.message.run(
            lambda: self.model.rate(s.uid, self.before.value(), self.after.value(),
                                    pain=rating_of(self.pain),
                                    outcome=text_or_none(self.outcome.text()),
                                    session_uid=self.session_uid),
            "Practice saved. Well done for practising.")
        if done is not None:
            self.outcome.clear()
            self.pain.setValue(self.pain.minimum())
            self._stored(s.uid)

    def _move(self, delta: int) -> None:
        s = self.selected()
        if s is not None and self.message.run(lambda: self.model.move(s.uid, delta), ""
                                              ) is not None:
            self._stored(s.uid)

    def _rank(self) -> None:
        if self.message.run(self.model.rank_by_anxiety, "Ordered by the latest ratings, "
                            "calmest first.") is not None:
            self._stored()

    def _remove(self) -> None:
        s = self.selected()
        if s is not None and self.message.run(lambda: self.model.remove(s.uid),
                                              "Step removed.") is not None:
            self.table.clearSelection()
            self._stored()


__all__ = ["HierarchyEditor"]
