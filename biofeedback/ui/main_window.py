"""The clinician's window: controls, live plots, the relaxation meter, the patient view.

It subscribes to the Qt-free :class:`~biofeedback.app.live_session.LiveSession`: one ~30 Hz
timer calls ``poll()`` (typed events), ``snapshot()`` (what to show) and ``traces()`` (what to
plot). It never wires sources, engines or recorders itself, so the window, ``record`` and
headless runs behave the same, and a slow redraw can never stall acquisition.

Stop returns every widget to idle; a failed action says one line in the banner; shortcuts are
window-wide actions (``ui/actions.py``); preferences persist (``app/preferences.py``).
"""

from __future__ import annotations

from pathlib import Path

from PyQt6.QtCore import QTimer
from PyQt6.QtGui import QCloseEvent
from PyQt6.QtWidgets import QApplication, QMainWindow, QWidget

from biofeedback.app.live_session import LiveSession, LiveSnapshot
from biofeedback.app.live_types import (
    ContractionFinished,
    EndOfRecording,
    LinkChanged,
    LinkState,
    RecordingFailed,
    RecordingSaved,
    RecordingStarted,
    SessionError,
    SessionEvent,
    SessionPhase,
    SourceEventReceived,
)
from biofeedback.app.preferences import Preferences, keep_preferences, load_preferences
from biofeedback.ui import window_parts
from biofeedback.ui.actions import ShortcutGuard, WindowActions
from biofeedback.ui.clinic.link import ClinicLink
from biofeedback.ui.lsl_toggle import LslToggle
from biofeedback.ui.patient_view import PatientView
from biofeedback.ui.review import ReplayReview
from biofeedback.ui.session_control import GuidedController

TITLE = "Pelvic-floor biofeedback"


class MainWindow(QMainWindow):
    REFRESH_MS = 33

    def __init__(self, source_spec: str = "auto", source_options: dict | None = None, *,
                 session: LiveSession | None = None, preferences: Preferences | None = None,
                 persist: bool = True) -> None:
        super().__init__()
        self.session = session or LiveSession()
        self.persist = persist
        warning = ""
        if preferences is None:
            preferences, warning = load_preferences() if persist else (Preferences(), "")
        self.prefs = preferences
        # options (e.g. replay speed) belong to the source named on the command line only
        self._source_options = {source_spec: dict(source_options or {})}
        self.review: ReplayReview | None = None
        self.patient_view: PatientView | None = None
        self._file_has_contractions = False
        self._ended_shown = False
        self.no_sensor_found = False  # "auto" found no sensor and chose simulated data
        self.setWindowTitle(TITLE)
        window_parts.build(self)
        self.guided = GuidedController(self)
        self.actions = WindowActions(self, window_parts.handlers(self), self._number_key)
        window_parts.add_menus(self, self.actions)
        self.clinic = ClinicLink(self)  # "Patients…" (Ctrl+P): the clinic mode's records
        self.lsl = LslToggle(self)  # Session menu: stream to LSL (off by default)
        self._guard = ShortcutGuard(self.actions.all(), self._owns)
        app = QApplication.instance()
        if isinstance(app, QApplication):
            self._guard.attach(app)
        self.timer = QTimer(self)
        self.timer.setInterval(self.REFRESH_MS)
        self.timer.timeout.connect(self.refresh)
        window_parts.connect(self)
        window_parts.choose_source(self, source_spec)
        window_parts.apply_preferences(self)
        self.lsl.apply_preferences()
        self._render_idle()
        if warning:
            self.statusBar().showMessage(warning, 15_000)

    # -- life cycle ----------------------------------------------------------------------
    def start(self) -> bool:
        """Open the chosen source and stream; returns False (and says why, once) on failure."""
        spec = window_parts.resolve_choice(self)
        if spec is None:
            return False
        self.stop()
        self.banner.set_message("")
        try:
            info = self.session.start(spec, **self._source_options.get(spec, {}))
        except SessionError as exc:
            self.banner.set_message(f"Could not start: {exc}")
            self._render_idle()
            return False
        self.link_status.set_source_info(info)
        self.sim_notice.setVisible(self.no_sensor_found and info.kind == "simulated")
        replay = self.session.replay
        if replay is not None:
            self.review = ReplayReview(replay, self.session.start_file_overview())
            self.review_slot.addWidget(self.review)
            self.review.show()
            annotations = self.session.file_annotations()
            self._file_has_contractions = any(a.text.startswith("contraction")
                                              for a in annotations)
            self.plots.set_annotations(annotations)
        else:
            self.prefs.last_source = spec
            self.save_preferences()
        self._ended_shown = False
        self._set_mode()
        self.setWindowTitle(window_parts.title(TITLE, info.name, info.kind))
        self.statusBar().showMessage(f"Streaming from {info.name}")
        self.timer.start()
        self.centralWidget().setFocus()  # never a text field: digits must become markers
        self.refresh()
        return True

    def stop(self) -> None:
        """Stop streaming (a recording is finished and saved); every widget back to idle."""
        if not self.session.running:
            return
        self.timer.stop()
        self.guided.stop("stopped")  # its last step is written before the recording closes
        self.session.stop()
        for ev in self.session.poll():
            self._on_event(ev)
        self._render_idle()

    def toggle_start_stop(self) -> None:
        if self.session.running and self.session.phase() not in (SessionPhase.ENDED,
                                                                 SessionPhase.FAILED):
            self.stop()
        else:
            self.start()

    def _render_idle(self) -> None:
        if self.review is not None:  # Qt deletes it once pending paints are done
            self.review_slot.removeWidget(self.review)
            self.review.hide()
            self.review.deleteLater()
            self.review = None
        self.plots.clear()
        self.link_status.reset()
        self.controls.set_mode(running=False)
        self._set_actions(running=False)
        snap = self.session.snapshot()
        self._render(snap, None)
        self.setWindowTitle(TITLE)
        if self.centralWidget() is not None:
            self.centralWidget().setFocus()

    def closeEvent(self, event: QCloseEvent | None) -> None:
        self.stop()
        self.prefs.patient_view = self.patient_view is not None and self.patient_view.isVisible()
        if self.patient_view is not None:
            self.patient_view.shutdown()
        self.prefs.set_geometry_bytes(bytes(self.saveGeometry().data()))
        self.save_preferences()
        app = QApplication.instance()
        if isinstance(app, QApplication):
            self._guard.detach(app)
        self.timer.stop()
        self.clinic.close()
        self.plots.shutdown()
        super().closeEvent(event)

    # -- user actions --------------------------------------------------------------------
    def _number_key(self, number: int) -> None:
        """Number keys: a rating while a guided session asks for one, else a marker."""
        if not self.guided.take_digit(number):
            self.add_marker(number)

    def add_marker(self, number: int, label: str | None = None) -> None:
        """Number keys 0-9 or the button: a marker on the plot and, when recording, in the file.
        Without an explicit ``label`` the marker field's text is used (then cleared)."""
        if label is None:
            label = self.controls.marker_edit.text().strip()
            self.controls.marker_edit.clear()
        ev = self.session.add_marker(number, label)
        if ev is None:
            return
        self.plots.add_marker(ev.time_s, f"{number} {label}".strip())
        where = " (recorded)" if ev.recorded else ""
        self.statusBar().showMessage(f"Marker {number} at {ev.time_s:.1f} s{where}")

    def toggle_record(self) -> None:
        if self.session.recording:
            self._stop_recording()
        elif self.controls.record_button.isEnabled():
            self._start_recording()

    def _start_recording(self) -> None:
        try:
            self.session.start_recording(self.controls.patient_edit.text().strip())
        except SessionError as exc:
            self.banner.set_message(f"Could not start recording: {exc}")
        self._set_mode()

    def _stop_recording(self) -> None:
        try:
            self.session.stop_recording()
        except SessionError as exc:
            self.banner.set_message(str(exc))
        self._set_mode()

    def set_line(self, value_uv: float | None) -> None:
        """A dragged line (µV) or ``None``: back to automatic. Kept across Stop/Start."""
        if value_uv is not None:
            value_uv = max(0.1, float(value_uv))
        self.session.set_line(value_uv)
        self.prefs.relax_line_manual = value_uv is not None
        if value_uv is not None:
            self.prefs.relax_line_uv = value_uv
        self.controls.set_line_manual(value_uv is not None)
        self.save_preferences()

    def show_error(self, text: str) -> None:
        """An error a person can act on, in the banner (used by the exception hook)."""
        self.banner.set_message(text)

    def toggle_patient_view(self) -> None:
        if self.patient_view is not None and self.patient_view.isVisible():
            self.patient_view.close()
            return
        if self.patient_view is None:
            self.patient_view = PatientView()
            self.patient_view.sigClosed.connect(self._on_patient_view_closed)
        self.patient_view.open_full_screen()
        self._sync_patient_view_checks(True)
        self.patient_view.show_frame(self.session.snapshot(), None)

    def _on_patient_view_closed(self) -> None:
        self._sync_patient_view_checks(False)
        self.activateWindow()

    def _sync_patient_view_checks(self, on: bool) -> None:
        for w in (self.actions.patient_view, self.controls.patient_view_button):
            w.blockSignals(True)
            w.setChecked(on)
            w.blockSignals(False)

    def save_preferences(self) -> None:
        if self.persist:
            keep_preferences(self.prefs)

    # -- the GUI timer -------------------------------------------------------------------
    def refresh(self) -> None:
        events = self.session.poll()
        for ev in events:
            self._on_event(ev)
        snap = self.session.snapshot()
        self.guided.frame(events, snap)  # a guided session advances on what was polled
        traces = (self.session.traces(self.plots.window_s, emg=self.plots.wants_raw)
                  if self.session.running else None)
        if snap.phase in (SessionPhase.ENDED, SessionPhase.FAILED) and not self._ended_shown:
            self._ended_shown = True
            self._set_mode()
        self._render(snap, traces)

    def _render(self, snap: LiveSnapshot, traces: object) -> None:
        self.last_snapshot = snap  # what is on screen now (tests, screenshots)
        self.meter.set_view(snap.meter, snap.simulated)
        if traces is not None:
            self.plots.show_traces(traces)  # type: ignore[arg-type]
        if snap.phase is not SessionPhase.IDLE:
            self.plots.show_status(snap)
        self.link_status.set_link(snap.link, source_kind=snap.source_kind,
                                  paused=snap.phase is SessionPhase.PAUSED)
        self.banner.set_notices(snap.notices)
        self.controls.set_line_manual(snap.line_is_manual)
        if snap.phase is not SessionPhase.IDLE:
            count = snap.status.contraction_count if snap.status is not None else 0
            window_parts.set_text(self.controls.time_label,
                                  f"{snap.time_s:6.1f} s · contractions: {count}")
        if self.review is not None:
            self.review.refresh(snap, self.plots.window_s)
        if self.patient_view is not None:
            self.patient_view.show_frame(snap, traces)  # type: ignore[arg-type]

    def _on_event(self, ev: SessionEvent) -> None:
        bar = self.statusBar()
        if isinstance(ev, ContractionFinished):
            e, rec = ev.event, ev.event.recovery_latency_s
            if not self._file_has_contractions and e.offset_s is not None:
                off = self.session.display_time(e.offset_s)
                self.plots.add_contraction(ev.onset_s, off, e.peak_uv)
            bar.showMessage(f"Contraction at {ev.onset_s:.1f} s: peak {e.peak_uv:.1f} µV"
                            + (f", back to rest after {rec:.1f} s" if rec is not None else ""))
        elif isinstance(ev, SourceEventReceived):
            self.link_status.on_event(ev.event)
        elif isinstance(ev, EndOfRecording):
            bar.showMessage(f"End of recording at {ev.time_s:.1f} s.")
        elif isinstance(ev, RecordingStarted):
            bar.showMessage(f"Recording to {ev.journal.parent}")
        elif isinstance(ev, RecordingSaved):
            bar.showMessage(f"Recording saved: {ev.path}")
        elif isinstance(ev, RecordingFailed):
            self.controls.set_recording(False)
            self._set_mode()
        elif isinstance(ev, LinkChanged) and ev.message and ev.state is not LinkState.ENDED:
            bar.showMessage(ev.message, 10_000)

    # -- helpers -------------------------------------------------------------------------
    def _set_mode(self) -> None:
        s = self.session
        phase = s.phase()
        ended = phase in (SessionPhase.ENDED, SessionPhase.FAILED)
        replay = s.replay is not None
        self.controls.set_mode(running=s.running, replay=replay, recording=s.recording,
                               ended=ended)
        self._set_actions(running=s.running and not ended, replay=replay)

    def _set_actions(self, *, running: bool, replay: bool = False) -> None:
        a = self.actions
        a.set_markers_enabled(running)
        a.set_replay_enabled(running and replay)
        a.record.setEnabled(self.controls.record_button.isEnabled())
        a.rest.setEnabled(self.controls.rest_button.isEnabled())

    def _owns(self, obj: object) -> bool:
        if not isinstance(obj, QWidget):
            return False
        top = obj.window()
        return top is self or (self.patient_view is not None and top is self.patient_view)

    def offer_recovery(self) -> list[Path]:
        """After a crash: tell the user about unfinished recordings and recover them."""
        return window_parts.offer_recovery(self)
