"""How the clinic mode meets the main window: the "Patients…" action (Ctrl+P) opens the clinic
window; a guided session that ends in the main window is stored in the records of the patient
whose code is in the window's patient field (when that patient is in the records); "Open in
replay" plays a stored session's recording through the window's own replay path (the source
choice and Start, exactly as "Open recording…" does).

The records are opened once, lazily, through the app layer (``app/clinic.py:open_clinic``); the
window never opens SQL itself. Tests hand in their own ``factory``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from PyQt6.QtCore import QObject, Qt
from PyQt6.QtGui import QAction, QKeySequence

from biofeedback.app.clinic import ClinicModel, open_clinic
from biofeedback.formats.errors import UserError
from biofeedback.ui.clinic.window import ClinicWindow
from biofeedback.ui.session_control import FinishedSession

if TYPE_CHECKING:
    from biofeedback.ui.main_window import MainWindow

log = logging.getLogger(__name__)
SHORTCUT = "Ctrl+P"


class ClinicLink(QObject):
    def __init__(self, win: MainWindow, factory: Callable[[], ClinicModel] = open_clinic) -> None:
        super().__init__(win)
        self.win = win
        self.factory = factory
        self.model: ClinicModel | None = None
        self.window: ClinicWindow | None = None
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
        """The clinic model, opened on first use (None, and a banner, when it cannot be)."""
        if self.model is None:
            try:
                self.model = self.factory()
            except UserError as exc:
                self.win.banner.set_message(f"The patient records could not be opened: {exc}")
                return None
        return self.model

    def show(self) -> ClinicWindow | None:
        """Open (or raise) the clinic window."""
        model = self.open_model()
        if model is None:
            return None
        if self.window is None:
            self.window = ClinicWindow(model)
            self.window.replay_requested.connect(self.open_replay)
            self.window.session_requested.connect(self.use_for_session)
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
        model = self.open_model()
        if model is None:
            return
        bar = self.win.statusBar()
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

    def close(self) -> None:
        """The main window closes: the clinic window and the records with it."""
        if self.window is not None:
            self.window.shutdown()
            self.window.close()
        if self.model is not None:
            self.model.close()
            self.model = None


__all__ = ["SHORTCUT", "ClinicLink"]
