"""Adding a patient: a pseudonymous code, checked as it is typed (``storage/patient_code.py``:
a name, a date of birth or an e-mail address is named as such and refused), and an optional
name that stays in this computer's records only."""

from __future__ import annotations

from collections.abc import Callable

from PyQt6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from biofeedback.formats.errors import UserError
from biofeedback.storage.records import Patient

PRIVACY = ("The code is what the recordings, reports and exchange files carry. The name is "
           "optional and is kept in this computer's records only; it is never exported.")


class NewPatientDialog(QDialog):
    """``problem(code) -> str | None`` checks a code; ``add(code, name) -> Patient`` stores it
    (its one-line error is shown and the dialog stays open)."""

    def __init__(self, problem: Callable[[str], str | None],
                 add: Callable[[str, str | None], Patient], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("New patient")
        self._problem, self._add = problem, add
        self.patient: Patient | None = None
        self.code_edit = QLineEdit()
        self.code_edit.setPlaceholderText("e.g. P017")
        self.code_edit.setMaxLength(20)
        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText("optional, stays on this computer")
        self.message = QLabel("")
        self.message.setWordWrap(True)
        self.message.setObjectName("hint")
        note = QLabel(PRIVACY)
        note.setWordWrap(True)
        note.setObjectName("hint")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok.setText("Add patient")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        form = QFormLayout()
        form.addRow("Code", self.code_edit)
        form.addRow("Name", self.name_edit)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(note)
        layout.addWidget(self.buttons)
        self.code_edit.textChanged.connect(self._check)
        self.setMinimumWidth(420)
        self._check("")

    def _check(self, text: str) -> None:
        problem = self._problem(text)
        self.ok.setEnabled(problem is None)
        self.message.setText("" if not text.strip() else problem or "✓ a pseudonymous code")

    def accept(self) -> None:
        code = self.code_edit.text().strip()
        if self._problem(code) is not None:
            return
        try:
            self.patient = self._add(code, self.name_edit.text().strip() or None)
        except UserError as exc:  # RecordsError, PatientCodeError: e.g. the code exists
            self.message.setText(str(exc))
            return
        super().accept()


__all__ = ["PRIVACY", "NewPatientDialog"]
