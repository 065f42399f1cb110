"""Practice at home on the clinic's own runner: one guided-session loop for both modes.

:class:`PracticeHost` keeps a clinic :class:`~biofeedback.ui.main_window.MainWindow` hidden as
the engine (its live session, refresh timer, recording and
:class:`~biofeedback.ui.session_control.GuidedController`), and shows only the calm patient
view inside the home window: the meter, the envelope with the line, the calm runner (pacer,
countdown, ratings, Pause, End session, "Stop, I'm in pain") and the words-only summary. No
thresholds, no raw EMG, no source list. Sessions are recorded with the programme's patient
code and kept in the home records with ``origin="home"`` (the bundle for the clinician takes
them from there); the previous session and the line's shaping come from the same records.
"""

from __future__ import annotations

import contextlib

from PyQt6.QtCore import QObject, Qt, pyqtSignal
from PyQt6.QtGui import QKeyEvent
from PyQt6.QtWidgets import QLabel, QVBoxLayout, QWidget

from biofeedback.app.preferences import Preferences
from biofeedback.sessions.protocol import Protocol
from biofeedback.storage.records import Repository
from biofeedback.ui import window_parts
from biofeedback.ui.main_window import MainWindow
from biofeedback.ui.patient_view import PatientView

NO_SENSOR_HINT = ("No sensor found: this shows simulated data, not your muscles. Plug in your "
                  "sensor, end the session and start again.")
PRACTICE_HINT = ("Let go gently, keep breathing. Stop if it hurts and tell your clinician. "
                 "Esc pauses.")


class PracticeView(PatientView):
    """The patient view as a page of the home window (not full screen; Esc pauses)."""

    escape_pressed = pyqtSignal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__()
        self.setParent(parent, Qt.WindowType.Widget)
        self.hint.setText(PRACTICE_HINT)  # one line: the home window may be 600 px high
        self.leave_hint.hide()
        # what the clinic shows in its banner (the sensor stopped answering, a recording
        # could not be written...), here in the same words
        self.notice = QLabel("")
        self.notice.setObjectName("banner")
        self.notice.setWordWrap(True)
        self.notice.hide()
        layout = self.layout()
        if isinstance(layout, QVBoxLayout):
            layout.setContentsMargins(16, 8, 16, 6)
            layout.insertWidget(0, self.notice)

    def show_notice(self, text: str) -> None:
        if text != self.notice.text():
            self.notice.setText(text)
            self.notice.setVisible(bool(text))

    def keyPressEvent(self, event: QKeyEvent | None) -> None:
        if event is not None and event.key() == Qt.Key.Key_Escape:
            self.escape_pressed.emit()
            return
        QWidget.keyPressEvent(self, event)


class PracticeHost(QObject):
    """Runs one practice at a time in ``view``; ``finished`` when the person leaves it."""

    finished = pyqtSignal()

    def __init__(self, view: PracticeView, repo: Repository, source_spec: str,
                 source_options: dict | None, prefs: Preferences, persist: bool,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.view = view
        self.repo = repo
        self.window = MainWindow(source_spec, source_options=source_options,
                                 preferences=prefs, persist=persist)
        self.window.patient_view = view  # the guided controller attaches its calm runner here
        self.source_spec = source_spec
        g = self.window.guided
        g.records = lambda _code: contextlib.nullcontext(repo)
        g.origin = "home"
        g.save_recording_always = True
        view.escape_pressed.connect(self.escape)
        self.window.timer.timeout.connect(self._mirror_banner)
        self.error = ""

    @property
    def guided(self):  # the controller (tests and the window read its state)
        return self.window.guided

    @property
    def active(self) -> bool:
        return self.window.guided.guided is not None

    def begin(self, code: str, protocol: Protocol) -> bool:
        """Start streaming, recording and the protocol; False (``error`` says why) if not."""
        w = self.window
        if self.source_spec == "auto":  # a sensor plugged in since the window opened
            w.no_sensor_found = False
            window_parts.choose_source(w, "auto")
        w.controls.patient_edit.setText(code)
        self.view.show_notice("")
        self.error = ""
        if not w.guided.begin(protocol):
            self.error = w.banner.text() or "The practice could not start."
            w.stop()
            return False
        simulated = w.no_sensor_found and w.session.snapshot().simulated
        self.view.hint.setText(NO_SENSOR_HINT if simulated else PRACTICE_HINT)
        calm = w.guided.patient
        if calm is not None:
            calm.close_clicked.connect(self._leave)
        return True

    def _mirror_banner(self) -> None:
        self.view.show_notice("  \u00b7  ".join(self.window.banner.lines()))

    def escape(self) -> None:
        g = self.window.guided
        if g.active:
            g.toggle_pause()
        elif g.guided is not None:
            g.close()
            self._leave()

    def _leave(self) -> None:
        """After the summary: stop streaming (a recording still open is saved), go home."""
        self.window.stop()
        self.finished.emit()

    def stop(self, reason: str = "stopped") -> None:
        self.window.guided.stop(reason)

    def shutdown(self) -> None:
        """Stop and free the engine (a recording is saved); the view's plots shut down."""
        p = self.window.prefs
        clinic = (p.window_geometry, p.patient_view, p.last_source)
        self.window.patient_view = None
        self.window.close()
        # the hidden engine's geometry and source are not the clinic window's to keep
        p.window_geometry, p.patient_view, p.last_source = clinic
        self.view.plots.shutdown()


__all__ = ["PracticeHost", "PracticeView"]
