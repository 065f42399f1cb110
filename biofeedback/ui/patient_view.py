"""The patient view: a calm, large, full-screen view with only the meter and the envelope.

For a second monitor in clinic (it opens full screen on the second screen when there is one)
or for practice at home. It has no controls: the clinician keeps them in the main window, and
every window-wide shortcut (markers, Start/Stop, F11) still works while it is in front. F11 or
Esc leaves it. It draws what the main window gives it (:meth:`PatientView.show_frame`), so the
two views can never disagree.
"""

from __future__ import annotations

from PyQt6.QtCore import Qt, pyqtSignal
from PyQt6.QtGui import QCloseEvent, QGuiApplication, QKeyEvent
from PyQt6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from biofeedback.app.live_session import LiveSnapshot
from biofeedback.app.live_types import Traces
from biofeedback.ui.live_plots import LivePlotsWidget
from biofeedback.ui.meter import RelaxationMeterWidget

PATIENT_SAFETY = ("Let go gently, keep breathing. Stop if it hurts and tell your clinician. "
                  "This supports your practice; it does not diagnose.")


class PatientView(QWidget):
    """Top-level window: the envelope (compact plots) on the left, the big meter on the right."""

    sigClosed = pyqtSignal()

    def __init__(self, window_s: float = 20.0) -> None:
        super().__init__(None, Qt.WindowType.Window)
        self.setObjectName("patientView")
        self.setWindowTitle("Biofeedback: patient view")
        self.plots = LivePlotsWidget(window_s=window_s, compact=True)
        self.plots.threshold_line.setMovable(False)  # the patient watches; the clinician sets it
        # the published group values are context for the clinician, not a target for the
        # patient (reference_values.py, clinical.md §1): not in the patient's view
        self.plots.reference_band.setVisible(False)
        legend = self.plots.env_plot.getPlotItem().legend
        if legend is not None:
            legend.setVisible(False)  # calm: the one trace needs no key
        self.meter = RelaxationMeterWidget(large=True)
        self.hint = QLabel(PATIENT_SAFETY)
        self.hint.setObjectName("hint")
        self.hint.setWordWrap(True)
        self.hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.leave_hint = QLabel("F11 or Esc: leave the patient view")
        self.leave_hint.setObjectName("hint")
        self.leave_hint.setAlignment(Qt.AlignmentFlag.AlignRight)
        # a guided session's calm runner goes here (ui/session_control.py)
        self.session_area = QWidget()
        QVBoxLayout(self.session_area).setContentsMargins(0, 0, 0, 0)
        self.session_area.hide()
        body = QHBoxLayout()
        body.setSpacing(24)
        body.addWidget(self.plots, 3)
        body.addWidget(self.meter, 2)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(32, 24, 32, 16)
        outer.addWidget(self.session_area)
        outer.addLayout(body, 1)
        outer.addWidget(self.hint)
        outer.addWidget(self.leave_hint)
        self._scale_type()

    def _scale_type(self) -> None:
        font = self.hint.font()
        font.setPointSizeF(font.pointSizeF() * 1.3)
        self.hint.setFont(font)

    def open_full_screen(self) -> None:
        """Full screen on the second screen if there is one, else on this one."""
        screens = QGuiApplication.screens()
        screen = screens[1] if len(screens) > 1 else QGuiApplication.primaryScreen()
        if screen is not None:
            self.setGeometry(screen.geometry())  # also where no window manager sizes it
        self.showFullScreen()
        self.raise_()
        self.activateWindow()

    def show_frame(self, snap: LiveSnapshot, traces: Traces | None) -> None:
        if not self.isVisible():
            return
        self.meter.set_view(snap.meter, snap.simulated)
        if traces is not None:
            self.plots.show_traces(traces)
        self.plots.show_status(snap)

    def keyPressEvent(self, event: QKeyEvent | None) -> None:
        if event is not None and event.key() == Qt.Key.Key_Escape:
            self.close()
            return
        super().keyPressEvent(event)

    def closeEvent(self, event: QCloseEvent | None) -> None:
        """Closing only hides it (F11 / the button bring it back); its plots are shut down
        with the main window (:meth:`shutdown`)."""
        self.sigClosed.emit()
        super().closeEvent(event)

    def shutdown(self) -> None:
        """The app is closing: tear the plots down in order, then close."""
        self.plots.shutdown()
        self.close()
