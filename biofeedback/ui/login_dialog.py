"""Clinic mode login: user name and password against the records' accounts (``app/accounts.py``).

A failed login shows the app's one line ("user name or password not right", or that the account
is disabled) under the fields and clears the password; the server being unreachable says so
the same way. ``user`` holds the :class:`~biofeedback.app.accounts.ClinicUser` after ``accept``.
"""

from __future__ import annotations

from PyQt6.QtCore import Qt
from PyQt6.QtGui import QKeyEvent
from PyQt6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from biofeedback.app.accounts import ClinicUser, login
from biofeedback.storage.records import RecordsError, Repository
from biofeedback.ui import theme


class LoginDialog(QDialog):
    def __init__(self, repo: Repository, parent: QWidget | None = None, *,
                 where: str = "") -> None:
        super().__init__(parent)
        self.repo = repo
        self.user: ClinicUser | None = None
        self.setWindowTitle("Log in to clinic mode")
        self.username = QLineEdit()
        self.username.setPlaceholderText("e.g. t.smith")
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.message = QLabel("")
        self.message.setWordWrap(True)
        self.message.setStyleSheet(f"color: {theme.VERMILLION};")
        form = QFormLayout()
        form.addRow("User name", self.username)
        form.addRow("Password", self.password)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Log in")
        self.buttons.accepted.connect(self.try_login)
        self.buttons.rejected.connect(self.reject)
        self.password.returnPressed.connect(self.try_login)
        self.username.returnPressed.connect(self.password.setFocus)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setAutoDefault(False)
        layout = QVBoxLayout(self)
        if where:
            layout.addWidget(QLabel(f"Records: {where}"))
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)

    def keyPressEvent(self, event: QKeyEvent | None) -> None:
        """Return in a field was handled there (``returnPressed``); passed on, the dialog's
        default button would try again with the password already cleared."""
        if event is not None and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            event.accept()
            return
        super().keyPressEvent(event)

    def try_login(self) -> None:
        if not self.username.text().strip() or not self.password.text():
            self.message.setText("Enter your user name and password.")
            return
        try:
            self.user = login(self.repo, self.username.text(), self.password.text())
        except RecordsError as exc:
            self.message.setText(str(exc))
            self.password.clear()
            self.password.setFocus()
            return
        self.password.clear()
        self.accept()


__all__ = ["LoginDialog"]
