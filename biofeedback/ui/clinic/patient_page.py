"""A patient's page: the header (code, name, the dilator suggestion), then tabs for the session
history, the trend charts (all on one screen), the cotton-swab map and the notes, and the
report (previewed before saving). Everything shown comes from ``ClinicModel.page``; every
action writes through the model and redraws the page."""

from __future__ import annotations

from collections.abc import Callable

from PyQt6.QtCore import pyqtSignal
from PyQt6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from biofeedback.app.clinic import ClinicModel, PatientPage
from biofeedback.formats.errors import UserError
from biofeedback.ui.clinic.history import SessionHistory
from biofeedback.ui.clinic.report_preview import ReportPreview
from biofeedback.ui.clinic.swab_map import SwabPanel
from biofeedback.ui.clinic.trend_charts import TrendCharts


class PatientPageWidget(QWidget):
    """``show_patient(code)``; ``message(text)`` says what happened (the window's status)."""

    back_requested = pyqtSignal()
    replay_requested = pyqtSignal(str)  # session uid
    session_requested = pyqtSignal(str)  # patient code: the next guided session is theirs
    message = pyqtSignal(str)

    def __init__(self, model: ClinicModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.data: PatientPage | None = None
        self.preview: ReportPreview | None = None
        self.title = QLabel("")
        self.suggestion = QLabel("")
        self.suggestion.setWordWrap(True)
        self.suggestion.setObjectName("hint")
        self.back_button = QPushButton("◀ Patients")
        self.back_button.setToolTip("Back to the patient list (Esc)")
        self.back_button.clicked.connect(self.back_requested.emit)
        self.session_button = QPushButton("Next session for this patient")
        self.session_button.setToolTip("Puts this code in the main window: the guided sessions "
                                       "you run there are stored in this patient's records")
        self.session_button.clicked.connect(self._use_for_session)
        self.report_button = QPushButton("Report…")
        self.report_button.setObjectName("primary")
        self.report_button.setToolTip("Preview the PDF report for the care team, then save it")
        self.report_button.clicked.connect(self.open_report)
        self.history = SessionHistory()
        self.history.replay_requested.connect(self.replay_requested.emit)
        self.history.note_requested.connect(self._session_note)
        self.charts = TrendCharts()
        self.swab = SwabPanel()
        self.swab.entry.saved.connect(self._save_swab)
        self.notes = QListWidget()
        self.note_edit = QLineEdit()
        self.note_edit.setPlaceholderText("A note about this patient (Enter adds it)")
        self.note_edit.returnPressed.connect(self._patient_note)
        notes_tab = QWidget()
        n = QVBoxLayout(notes_tab)
        n.addWidget(self.notes, 1)
        n.addWidget(self.note_edit)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.history, "Sessions")
        self.tabs.addTab(self.charts, "Trends")
        self.tabs.addTab(self.swab, "Cotton-swab map")
        self.tabs.addTab(notes_tab, "Notes")
        head = QHBoxLayout()
        head.addWidget(self.back_button)
        head.addWidget(self.title, 1)
        head.addWidget(self.session_button)
        head.addWidget(self.report_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addLayout(head)
        layout.addWidget(self.suggestion)
        layout.addWidget(self.tabs, 1)

    @property
    def code(self) -> str | None:
        return self.data.patient.code if self.data is not None else None

    def show_patient(self, code: str, keep_session: str | None = None) -> None:
        page = self.model.page(code)
        self.data = page
        p = page.patient
        self.title.setText(f"<b>{p.code}</b>" + (f" · {p.name}" if p.name else "")
                           + f"  <span style='color:gray'>since {p.created.astimezone():%Y-%m-%d}"
                           f", {len(page.sessions)} session(s)</span>")
        self.suggestion.setText(f"Dilator progression. {page.suggestion}" if page.suggestion
                                else "")
        self.suggestion.setVisible(bool(page.suggestion))
        self.history.set_sessions(page.sessions, keep=keep_session)
        self.charts.set_series(page.series)
        self.swab.set_maps(page.swabs)
        self.notes.clear()
        for note in reversed(page.notes):
            about = ""
            if note.session_uid is not None:
                s = next((s for s in page.sessions if s.uid == note.session_uid), None)
                about = f" (session of {s.started.astimezone():%Y-%m-%d %H:%M})" if s else ""
            self.notes.addItem(f"{note.created.astimezone():%Y-%m-%d}{about}: {note.text}")
        if not page.notes:
            self.notes.addItem("No notes yet.")

    def refresh(self, select: str | None = None) -> None:
        """Redraw from the records, keeping the chosen session (or choosing ``select``)."""
        if self.code is not None:
            current = self.history.current()
            self.show_patient(self.code, select or (current.uid if current else None))

    # -- actions -----------------------------------------------------------------------
    def _use_for_session(self) -> None:
        if self.code is not None:
            self.session_requested.emit(self.code)

    def _session_note(self, uid: str, text: str) -> None:
        self._write(lambda: self.model.add_note(self.code or "", text, session_uid=uid),
                    "Note added.", keep=uid)

    def _patient_note(self) -> None:
        text = self.note_edit.text().strip()
        if text and self._write(lambda: self.model.add_note(self.code or "", text),
                                "Note added."):
            self.note_edit.clear()

    def _save_swab(self, pains: dict) -> None:
        if self._write(lambda: self.model.add_swab_map(self.code or "", pains),
                       "Cotton-swab map saved."):
            self.swab.entry.clear()

    def _write(self, action: Callable[[], object], done: str, keep: str | None = None) -> bool:
        try:
            action()
        except UserError as exc:
            self.message.emit(f"Not saved: {exc}")
            return False
        if self.code is not None:
            self.show_patient(self.code, keep)
        self.message.emit(done)
        return True

    def open_report(self) -> ReportPreview | None:
        """Build the report and show the preview (non-modal: the page stays usable)."""
        if self.data is None:
            return None
        code = self.data.patient.code
        if self.preview is not None:
            self.preview.close()
        self.preview = ReportPreview(
            code, lambda named: self.model.report_pdf(code, include_name=named),
            self.model.save_report, self, has_name=self.data.patient.name is not None)
        self.preview.show()
        return self.preview

    def shutdown(self) -> None:
        self.charts.shutdown()
        self.history.shutdown()
        self.swab.shutdown()
        if self.preview is not None:
            self.preview.close()


__all__ = ["PatientPageWidget"]
