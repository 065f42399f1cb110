"""Parts the CBT views share: the explanation text, the one-line message, rating spin boxes,
and the consent toggle."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PyQt6.QtCore import pyqtSignal
from PyQt6.QtWidgets import QCheckBox, QLabel, QSpinBox, QVBoxLayout, QWidget

from biofeedback.app.cbt import ConsentModel
from biofeedback.formats.errors import UserError, user_message

NOT_RATED = -1  # an optional rating's spin box value meaning "not rated"


def explanation(text: str) -> QLabel:
    label = QLabel(text)
    label.setObjectName("hint")
    label.setWordWrap(True)
    return label


class MessageLine(QLabel):
    """One calm line: what was saved, or what to change (never a traceback)."""

    def __init__(self) -> None:
        super().__init__("")
        self.setObjectName("cbtMessage")
        self.setWordWrap(True)

    def run(self, action: Callable[[], Any], done: str) -> Any:
        """Run ``action``; show ``done`` or the problem's one line. Returns its result or
        None when it was refused."""
        try:
            result = action()
        except (UserError, ValueError) as exc:
            self.setText(user_message(exc))
            return None
        self.setText(done)
        return result


def rating_box(maximum: int, step: int, *, optional: bool = False, value: int = 0) -> QSpinBox:
    """A spin box 0..maximum; optional ones start at "not rated" (below 0)."""
    box = QSpinBox()
    box.setRange(NOT_RATED if optional else 0, maximum)
    box.setSingleStep(step)
    if optional:
        box.setSpecialValueText("not rated")
        box.setValue(NOT_RATED)
    else:
        box.setValue(value)
    return box


def rating_of(box: QSpinBox) -> float | None:
    return None if box.value() == NOT_RATED else float(box.value())


def text_or_none(text: str) -> str | None:
    return text.strip() or None


class ConsentToggle(QWidget):
    """"Include these pages in the report for my care team" (default off, clinical privacy)."""

    changed = pyqtSignal(bool)

    def __init__(self, model: ConsentModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.box = QCheckBox("Include the exposure ladder, thought records and partner steps in "
                             "the report for my care team")
        self.box.setChecked(model.get().reports)
        self.message = MessageLine()
        layout = QVBoxLayout(self)
        layout.addWidget(explanation(model.explanation))
        layout.addWidget(self.box)
        layout.addWidget(self.message)
        self.box.toggled.connect(self._toggled)

    def _toggled(self, on: bool) -> None:
        done = ("These pages will be in the next report." if on else
                "These pages stay private; the next report leaves them out.")
        if self.message.run(lambda: self.model.set(on), done) is not None:
            self.changed.emit(on)


__all__ = ["NOT_RATED", "ConsentToggle", "MessageLine", "explanation", "rating_box",
           "rating_of", "text_or_none"]
