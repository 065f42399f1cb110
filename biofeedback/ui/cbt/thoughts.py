"""The thought record form: situation, the worrying thought, the feeling and its strength
(0-100), a balanced thought and the feeling re-rated; past records listed below, newest first.
"""

from __future__ import annotations

from PyQt6.QtCore import Qt, pyqtSignal
from PyQt6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QLineEdit,
    QListWidget,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from biofeedback.app.cbt import ThoughtModel
from biofeedback.storage.records.models_cbt import ThoughtRecord
from biofeedback.ui.cbt.common import (
    MessageLine,
    explanation,
    rating_box,
    rating_of,
    text_or_none,
)

FEELINGS = ("afraid", "anxious", "ashamed", "embarrassed", "sad", "frustrated", "guilty")


def _short_box(placeholder: str) -> QPlainTextEdit:
    box = QPlainTextEdit()
    box.setPlaceholderText(placeholder)
    box.setFixedHeight(64)
    return box


def summary(t: ThoughtRecord) -> str:
    """One line of a record for the list."""
    again = "" if t.rerating is None else f" → {t.rerating:g}"
    balanced = f" | balanced: {t.balanced}" if t.balanced else ""
    return (f"{t.taken:%d %b %Y}  {t.situation}: “{t.thought}”  {t.feeling} "
            f"{t.intensity:g}{again}{balanced}")


class ThoughtRecordForm(QWidget):
    """Write a thought record; ``saved`` carries the stored :class:`ThoughtRecord`."""

    saved = pyqtSignal(object)

    def __init__(self, model: ThoughtModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.situation = QLineEdit()
        self.situation.setPlaceholderText("Where were you, what was happening?")
        self.thought = _short_box("The thought that came up")
        self.feeling = QComboBox()
        self.feeling.setEditable(True)
        self.feeling.addItems(FEELINGS)
        self.intensity = rating_box(100, 5, value=50)
        self.balanced = _short_box("A more balanced thought (optional)")
        self.rerating = rating_box(100, 5, optional=True)
        self.save = QPushButton("Save thought record")
        self.save.setObjectName("primary")
        self.history = QListWidget()
        self.history.setWordWrap(True)
        self.history.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.message = MessageLine()
        form = QFormLayout()
        form.addRow("Situation", self.situation)
        form.addRow("Thought", self.thought)
        form.addRow("Feeling", self.feeling)
        form.addRow("How strong (0-100)", self.intensity)
        form.addRow("Balanced thought", self.balanced)
        form.addRow("The feeling now (0-100)", self.rerating)
        layout = QVBoxLayout(self)
        layout.addWidget(explanation(model.explanation))
        layout.addLayout(form)
        layout.addWidget(self.save)
        layout.addWidget(self.message)
        layout.addWidget(self.history, 1)
        self.save.clicked.connect(self._save)
        self.refresh()

    def refresh(self) -> None:
        self.history.clear()
        self.history.addItems([summary(t) for t in reversed(self.model.records())])

    def _save(self) -> None:
        t = self.message.run(lambda: self.model.add(
            self.situation.text(), self.thought.toPlainText(), self.feeling.currentText(),
            self.intensity.value(), text_or_none(self.balanced.toPlainText()),
            rating_of(self.rerating)), "Thought record saved.")
        if t is None:
            return
        for box in (self.situation, self.thought, self.balanced):
            box.clear()
        self.rerating.setValue(self.rerating.minimum())
        self.refresh()
        self.saved.emit(t)


__all__ = ["FEELINGS", "ThoughtRecordForm", "summary"]
