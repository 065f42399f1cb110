"""How the clinic mode meets the main window: the "Patients…" action (Ctrl+P) opens the clinic
window; a guided session that ends in the main window is stored in the records of the patient
whose code is in the window's patient field (when that patient is in the records); "Open in
replay" plays a stored session's recording through the window's own replay path (the source
choice and Start, exactly as "Open recording…" does).

The records are opened once, lazily, through the app layer (``app/clinic.py:open_clinic``); the
window never opens SQL itself. Tests hand in their own ``factory``.

Records with accounts (a clinic, always so on the server) are worked on only after a login
(``ui/login_dialog.py``; ``ask_login`` is injectable): the clinic window then works as that
person until **Log out**, which closes it and forgets them. Cancelling the login leaves the
window closed. Records without accounts (one therapist's laptop) open directly.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from PyQt6.QtCore import QObject, Qt
from PyQt6.QtGui import QAction, QKeySequence
from PyQt6.QtWidgets import QWidget

from biofeedback.app.accounts import ClinicUser
from biofeedback.app.clinic import ClinicModel, open_clinic
from biofeedback.formats.errors import UserError
from biofeedback.storage.records import Repository
from biofeedback.ui.clinic.window import ClinicWindow
from biofeedback.ui.login_dialog import LoginDialog
from biofeedback.ui.session_control import FinishedSession

if TYPE_CHECKING:
    from biofeedback.ui.main_window import MainWindow

log = logging.getLogger(__name__)
SHORTCUT = "Ctrl+P"
NOT_LOGGED_IN = "Not logged in: the patient records stay closed."

AskLogin = Callable[[Repository, QWidget], ClinicUser | None]


class ClinicLink(QObject):
    """``records`` is the model as this computer's user (it owns the database); ``model`` is
    what the window works on: ``records`` itself, or ``records.as_user(user)`` after a login."""

    def __init__(self, win: MainWindow, factory: Callable[[], ClinicModel] = open_clinic, *,
                 ask_login: AskLogin | None = None) -> None:
        super().__init__(win)
        self.win = win
        self.factory = factory
        self.ask_login = ask_login or self.login_with_dialog
        self.records: ClinicModel | None = None
        self.model: ClinicModel | None = None
        self.user: ClinicUser | None = None
        self.window: ClinicWindow | None = None
        self.login_dialog: LoginDialog | None = None
        self.action = QAction("&Patients…", win)
        self.action.setShortcut(QKeySequence(SHORTCUT))
        self.action.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)
        self.action.setToolTip(f"Patient records: history, trends, notes, report ({SHORTCUT})")
        self.action.triggered.connect(lambda _=False: self.show())
        menu = win.menuBar().addMenu("P&atients")
        menu.addAction(self.action)
        win.addAction(self.action)
        win.guided.finished.connect(self.store)

    def open_model(self) -> ClinicModel | None:
        """The clinic model, opened on first use and logged in to when the records have
        accounts (None when it cannot be opened, with a banner, or the login was cancelled)."""
        if self.model is not None:
            return self.model
        try:
            if self.records is None:
                self.records = self.factory()
            needs_login = self.records.needs_login()
        except UserError as exc:
            self.win.banner.set_message(f"The patient records could not be opened: {exc}")
            return None
        if not needs_login:
            self.model = self.records
            return self.model
        user = self.ask_login(self.records.repo, self.win)
        if user is None:
            self.win.statusBar().showMessage(NOT_LOGGED_IN, 15_000)
            return None
        self.user = user
        self.model = self.records.as_user(user)
        self.win.statusBar().showMessage(f"Logged in to clinic mode as {self.model.who()}.",
                                         15_000)
        return self.model

    def login_with_dialog(self, repo: Repository, parent: QWidget) -> ClinicUser | None:
        """The login dialog, modal (kept in ``login_dialog`` while it is open, for tests)."""
        self.login_dialog = LoginDialog(repo, parent, where=repo.where)
        try:
            accepted = self.login_dialog.exec() == LoginDialog.DialogCode.Accepted
            return self.login_dialog.user if accepted else None
        finally:
            self.login_dialog.deleteLater()
            self.login_dialog = None

    def log_out(self) -> None:
        """Close the clinic window and forget who was logged in (the next open asks again)."""
        if self.user is None:
            return
        self._close_window()
        if self.model is not None:
            try:
                self.model.log_out()
            except UserError as exc:
                log.warning("the log-out could not be audited: %s", exc)
        self.model = None
        self.user = None
        self.win.statusBar().showMessage("Logged out of clinic mode.", 15_000)

    def show(self) -> ClinicWindow | None:
        """Open (or raise) the clinic window."""
        model = self.open_model()
        if model is None:
            return None
        if self.window is None:
            self.window = ClinicWindow(model)
            self.window.replay_requested.connect(self.open_replay)
            self.window.session_requested.connect(self.use_for_session)
            self.window.logout_requested.connect(self.log_out)
        self.window.show()
        self.window.raise_()
        self.window.activateWindow()
        self.window.list.search.setFocus()
        return self.window

    def use_for_session(self, code: str) -> None:
        """The patient page's "Next session for this patient": the code goes in the window's
        patient field (recordings carry it; finished sessions are stored for it)."""
        edit = self.win.controls.patient_edit
        if not edit.isEnabled():
            self._say("Stop the current stream first: the patient code is set before Start.")
            return
        edit.setText(code)
        self.win.statusBar().showMessage(f"The next guided session is stored for {code} "
                                         "(Session ▸ Guided session…, Ctrl+G).")
        self._say(f"Next session: {code}. Start a guided session in the main window (Ctrl+G).")

    def open_replay(self, uid: str) -> bool:
        """Play a stored session's recording in the main window (after its checksum check)."""
        model = self.open_model()
        if model is None:
            return False
        try:
            path = model.replay_path(uid)
        except UserError as exc:
            self._say(str(exc))
            return False
        win = self.win
        win.stop()
        win.controls.select_spec(f"replay:{path}")
        if not win.start():
            self._say(f"Could not open the recording: {win.banner.text()}")
            return False
        win.raise_()
        win.activateWindow()
        self._say(f"Replaying {path.name} in the main window.")
        return True

    def store(self, done: FinishedSession) -> None:
        """A guided session ended in the main window: store it for the code in the patient
        field, if that patient is in the records (else say why it was not)."""
        code = self.win.controls.patient_edit.text().strip()
        if not code or self.win.guided.origin != "clinic":  # home practice keeps its own
            return
        model = self.open_model()  # asks for the login when the records have accounts
        bar = self.win.statusBar()
        if model is None:
            if self.records is not None:
                bar.showMessage(f"This session is not in the records: nobody is logged in to "
                                f"clinic mode (Patients, {SHORTCUT}).", 15_000)
            return
        if not model.has_patient(code):
            bar.showMessage(f"This session is not in the records: {code} is not a patient there "
                            f"(add them in Patients, {SHORTCUT}).", 15_000)
            return
        engine = self.win.session.engine
        try:
            rec = model.store_finished(code, done.result, done.protocol, recording=done.recording,
                                       started=done.started,
                                       emg_fs=engine.emg_fs if engine else None,
                                       pressure_fs=engine.pressure_fs if engine else None)
        except UserError as exc:
            self.win.banner.set_message(f"The session could not be stored in the records: {exc}")
            return
        log.info("stored session %s for %s", rec.uid, code)
        bar.showMessage(f"Stored in {code}'s records.", 15_000)
        if self.window is not None:
            self.window.refresh(select=rec.uid)

    def _say(self, text: str) -> None:
        if self.window is not None:
            self.window.say(text)
        else:
            self.win.statusBar().showMessage(text)

    def _close_window(self) -> None:
        if self.window is not None:
            self.window.shutdown()
            self.window.close()
            self.window = None  # unparented: gone with the last reference

    def close(self) -> None:
        """The main window closes: the clinic window, the login and the records with it."""
        self.log_out()
        self._close_window()
        self.model = None
        if self.records is not None:
            self.records.close()
            self.records = None


__all__ = ["SHORTCUT", "ClinicLink"]
