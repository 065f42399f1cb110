"""The safety screening before practice (clinical.md §7), as a calm dialog with big targets.

The person ticks what applies (usually nothing) and continues; the model decides (``app/home.py``).
If anything applies, the dialog says, without alarm, to contact the clinician before practising.
The stop rules are shown every time.
"""

from __future__ import annotations

from PyQt6.QtCore import Qt
from PyQt6.QtGui import QMouseEvent
from PyQt6.QtWidgets import (
    QCheckBox,
    QDialog,
    QHBoxLayout,
    QLabel,
    QLayout,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from biofeedback.app.home import SCREENING, STOP_RULES, HomeModel, ScreeningOutcome
from biofeedback.ui import theme

INTRO = ("Before you practise today, please check. Tick anything that applies to you now. "
         "If nothing applies, just continue.")
CONTINUE_TEXT = "Nothing applies: continue"
CONTINUE_TICKED = "Continue"
WIDTH = 760  # fits a 1024x600 screen


class _ItemLabel(QLabel):
    """An item's words, wrapped; a click ticks its box (a big target)."""

    def __init__(self, text: str, box: QCheckBox) -> None:
        super().__init__(text)
        self.box = box
        self.setObjectName("item")
        self.setWordWrap(True)
        self.setBuddy(box)

    def mousePressEvent(self, event: QMouseEvent | None) -> None:
        if self.box.isEnabled():
            self.box.toggle()


class ScreeningDialog(QDialog):
    """``exec()`` returns Accepted when practice may start (``outcome`` holds the answer)."""

    def __init__(self, model: HomeModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.outcome: ScreeningOutcome | None = None
        self.setWindowTitle("Before you practise")
        self.setObjectName("screening")
        self.setStyleSheet(f"QLabel#item {{ font-size: 14pt; padding: 4px; }}"
                           f"QCheckBox::indicator {{ width: 26px; height: 26px; }}"
                           f"QLabel#stopRules {{ background: #EAF4FB; border: 1px solid "
                           f"{theme.SKY}; border-radius: 8px; padding: 8px; }}")
        intro = QLabel(INTRO)
        intro.setWordWrap(True)
        self.boxes: dict[str, QCheckBox] = {}
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        for key, text in SCREENING:
            box = QCheckBox()
            box.setAccessibleName(text)
            box.toggled.connect(self._update)
            self.boxes[key] = box
            label = _ItemLabel(text, box)
            row = QHBoxLayout()
            row.addWidget(box, 0, Qt.AlignmentFlag.AlignTop)
            row.addWidget(label, 1)
            layout.addLayout(row)
        self.stop_rules = QLabel(STOP_RULES)
        self.stop_rules.setObjectName("stopRules")
        self.stop_rules.setWordWrap(True)
        layout.addWidget(self.stop_rules)
        self.answer = QLabel("")
        self.answer.setWordWrap(True)
        self.answer.setObjectName("stopRules")
        self.answer.hide()
        layout.addWidget(self.answer)
        self.continue_button = QPushButton(CONTINUE_TEXT)
        self.continue_button.setObjectName("primary")
        self.continue_button.setMinimumHeight(56)
        self.continue_button.setDefault(True)
        self.continue_button.clicked.connect(self.confirm)
        self.cancel_button = QPushButton("Not now")
        self.cancel_button.setMinimumHeight(56)
        self.cancel_button.clicked.connect(self.reject)
        row = QHBoxLayout()
        row.addWidget(self.cancel_button)
        row.addStretch(1)
        row.addWidget(self.continue_button)
        layout.addLayout(row)
        for w in self.findChildren(QLabel):  # a known width: wrapped text gets its height
            w.setMinimumWidth(WIDTH - (80 if isinstance(w, _ItemLabel) else 40))
        layout.setSizeConstraint(QLayout.SizeConstraint.SetFixedSize)
        self.continue_button.setFocus(Qt.FocusReason.OtherFocusReason)

    def applies(self) -> list[str]:
        return [k for k, b in self.boxes.items() if b.isChecked()]

    def _update(self) -> None:
        self.continue_button.setText(CONTINUE_TICKED if self.applies() else CONTINUE_TEXT)

    def confirm(self) -> None:
        """Give the answer to the model: practice opens, or the calm advice is shown."""
        if self.outcome is not None and not self.outcome.clear:
            self.reject()  # "Close" after the advice
            return
        self.outcome = self.model.confirm_screening(self.applies())
        if self.outcome.clear:
            self.accept()
            return
        self.answer.setText(self.outcome.text)
        self.answer.show()
        for b in self.boxes.values():
            b.setEnabled(False)
        self.cancel_button.hide()
        self.continue_button.setText("Close")


__all__ = ["CONTINUE_TEXT", "INTRO", "ScreeningDialog"]
