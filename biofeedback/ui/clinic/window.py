"""The clinic window: the patient list, and a patient's page in its place (Esc goes back).

A separate top-level window beside the live window, so the therapist can keep a patient's
history open while the session runs. It holds no records itself: a
:class:`~biofeedback.app.clinic.ClinicModel` is handed in. A model with a logged-in user
(``ClinicModel.as_user``) puts a line on top: who is logged in, **Log out**, and for an
administrator **Audit log…** (``ui/audit_view.py``).
"""

from __future__ import annotations

from PyQt6.QtCore import Qt, pyqtSignal
from PyQt6.QtGui import QCloseEvent, QKeySequence, QShortcut
from PyQt6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QStackedWidget, QVBoxLayout, QWidget

from biofeedback.app.clinic import ClinicModel
from biofeedback.formats.errors import UserError
from biofeedback.ui.audit_view import AuditView
from biofeedback.ui.clinic.new_patient import NewPatientDialog
from biofeedback.ui.clinic.patient_list import PatientList
from biofeedback.ui.clinic.patient_page import PatientPageWidget

TITLE = "Patients — clinic"
DEFAULT_SIZE = (1024, 600)


class ClinicWindow(QWidget):
    """``replay_requested(uid)``, ``session_requested(code)`` and ``logout_requested`` go to
    the main window (``ui/clinic/link.py``)."""

    replay_requested = pyqtSignal(str)
    session_requested = pyqtSignal(str)
    logout_requested = pyqtSignal()

    def __init__(self, model: ClinicModel, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.model = model
        self.setWindowTitle(TITLE)
        self.dialog: NewPatientDialog | None = None
        self.audit_view: AuditView | None = None
        self.who = QLabel(f"Logged in as {model.who()}" if model.user is not None else "")
        self.who.setObjectName("hint")
        self.logout_button = QPushButton("Log out")
        self.logout_button.setToolTip("Close the patient records; the next person logs in")
        self.logout_button.clicked.connect(self.logout_requested.emit)
        self.audit_button = QPushButton("Audit log…")
        self.audit_button.setToolTip("Who opened, changed, exported or deleted which record")
        self.audit_button.clicked.connect(self.open_audit)
        self.list = PatientList()
        self.list.search_changed.connect(lambda _t: self.refresh_list())
        self.list.opened.connect(self.open_patient)
        self.list.new_requested.connect(self.new_patient)
        self.page = PatientPageWidget(model)
        self.page.back_requested.connect(self.show_list)
        self.page.replay_requested.connect(self.replay_requested.emit)
        self.page.session_requested.connect(self.session_requested.emit)
        self.page.message.connect(self.say)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.list)
        self.stack.addWidget(self.page)
        self.status = QLabel("")
        self.status.setObjectName("hint")
        self.status.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 6)
        if model.user is not None:
            self.setWindowTitle(f"{TITLE} — {model.user.account.username}")
            top = QHBoxLayout()
            top.addWidget(self.who, 1)
            if model.user.is_admin:
                top.addWidget(self.audit_button)
            top.addWidget(self.logout_button)
            layout.addLayout(top)
        layout.addWidget(self.stack, 1)
        layout.addWidget(self.status)
        for keys, slot in (("Ctrl+N", self.new_patient), ("Esc", self.show_list),
                           ("Ctrl+F", self.show_list)):
            sc = QShortcut(QKeySequence(keys), self)
            sc.activated.connect(slot)
        self.resize(*DEFAULT_SIZE)
        self.refresh_list()

    def say(self, text: str) -> None:
        self.status.setText(text)

    def refresh_list(self, keep: str | None = None) -> None:
        self.list.set_rows(self.model.patients(self.list.search.text()), keep)

    def show_list(self) -> None:
        self.refresh_list(self.page.code)
        self.stack.setCurrentWidget(self.list)
        self.list.search.setFocus()
        self.list.search.selectAll()

    def open_patient(self, code: str) -> None:
        try:
            self.page.show_patient(code)
            self.model.opened(code)
        except UserError as exc:
            self.say(str(exc))
            return
        self.stack.setCurrentWidget(self.page)
        self.page.tabs.setFocus()
        self.say("")

    def refresh(self, select: str | None = None) -> None:
        """Redraw what is shown (a session was stored meanwhile: ``select`` it)."""
        if self.stack.currentWidget() is self.page:
            self.page.refresh(select)
        else:
            self.refresh_list()

    def new_patient(self) -> NewPatientDialog:
        """Ctrl+N: the new-patient dialog; the patient's page opens once they are added."""
        self.dialog = NewPatientDialog(self.model.code_problem, self.model.add_patient, self)
        self.dialog.accepted.connect(self._added)
        self.dialog.open()
        return self.dialog

    def _added(self) -> None:
        p = self.dialog.patient if self.dialog is not None else None
        if p is None:
            return
        self.list.search.clear()
        self.refresh_list(p.code)
        self.say(f"Added {p.code}.")
        self.open_patient(p.code)

    def open_audit(self) -> AuditView | None:
        """The administrator's audit log, in a window of its own (raised when open)."""
        if self.model.user is None or not self.model.user.is_admin:
            return None
        if self.audit_view is None:
            self.audit_view = AuditView(self.model.user, self)
            self.audit_view.setWindowFlag(Qt.WindowType.Window)
            self.audit_view.resize(*DEFAULT_SIZE)
        else:
            self.audit_view.reload()
        self.audit_view.show()
        self.audit_view.raise_()
        return self.audit_view

    def closeEvent(self, event: QCloseEvent | None) -> None:
        if self.page.preview is not None:
            self.page.preview.close()
        if self.audit_view is not None:
            self.audit_view.close()
        super().closeEvent(event)

    def shutdown(self) -> None:
        self.page.shutdown()


__all__ = ["ClinicWindow"]
