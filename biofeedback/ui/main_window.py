"""The live window: source picker, start/stop, live plots and the relaxation meter.

Data flow: the source's acquisition thread runs :class:`AcquisitionEngine` (signal core, ring
buffers, sinks). This window only *reads* those buffers and drains the engine's message queue
from a ~30 Hz timer, so a slow redraw can never stall acquisition.
"""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import numpy as np
from PyQt6.QtCore import QTimer
from PyQt6.QtGui import QKeyEvent
from PyQt6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from biofeedback.app.acquisition import DISPLAY_HZ, AcquisitionEngine
from biofeedback.devices.base import SourceError
from biofeedback.devices.factory import open_source
from biofeedback.devices.replay import ReplaySource
from biofeedback.formats.errors import FormatError
from biofeedback.signal import ContractionEvent, PipelineConfig, ProcessorStatus, QualityFlag
from biofeedback.storage.recorder import RecordingError
from biofeedback.storage.recovery import find_unfinished, recover
from biofeedback.streams import EventKind, SourceEvent
from biofeedback.ui.link_status import LinkStatusWidget
from biofeedback.ui.live_plots import LivePlotsWidget
from biofeedback.ui.meter import RelaxationMeterWidget
from biofeedback.ui.transport_bar import TransportBarWidget

SAFETY_TEXT = (
    "This shows muscle activity to support practice guided by your clinician; it does not "
    "diagnose. Stop if you feel sharp or increasing pain, see more than light spotting, or feel "
    "faint, and contact your clinician."
)

SIMULATED_CHOICES = [
    ("Simulated sensor — demo", "simulated:demo"),
    ("Simulated — contractions", "simulated:contractions"),
    ("Simulated — slow release", "simulated:slow-release"),
    ("Simulated — bearing down", "simulated:strain"),
    ("Simulated — rest only", "simulated:rest"),
]


class MainWindow(QMainWindow):
    REFRESH_MS = 33

    def __init__(self, source_spec: str = "auto", source_options: dict | None = None) -> None:
        super().__init__()
        # options (e.g. replay speed) belong to the source named on the command line only
        self._source_options = {source_spec: dict(source_options or {})}
        self.setWindowTitle("Pelvic-floor biofeedback")
        self.resize(1280, 800)
        self.engine: AcquisitionEngine | None = None
        self._source_spec = source_spec

        central = QWidget()
        outer = QVBoxLayout(central)
        outer.setContentsMargins(16, 12, 16, 8)
        outer.addLayout(self._build_toolbar())
        self.link_status = LinkStatusWidget()
        status_row = QHBoxLayout()
        status_row.addWidget(self.link_status, 1)
        self.marker_edit = QLineEdit()
        self.marker_edit.setPlaceholderText("marker label")
        self.marker_edit.setToolTip("Short label for the next marker, e.g. 'probe in' or 'cue: let go'")
        self.marker_edit.setMaximumWidth(240)
        self.marker_edit.returnPressed.connect(lambda: self.add_marker(0))
        self.marker_button = QPushButton("Add marker")
        self.marker_button.setToolTip("Mark this moment (number keys 0-9 do the same)")
        self.marker_button.clicked.connect(lambda: self.add_marker(0))
        self.marker_button.setEnabled(False)
        status_row.addWidget(QLabel("Mains notch"))
        self.notch_combo = QComboBox()
        for label, hz in (("off", None), ("50 Hz", 50.0), ("60 Hz", 60.0)):
            self.notch_combo.addItem(label, hz)
        self.notch_combo.setToolTip("Removes mains hum (and harmonics). Off by default: a notch "
                                    "also removes some real muscle signal.")
        self.notch_combo.currentIndexChanged.connect(self._on_notch_changed)
        status_row.addWidget(self.notch_combo)
        status_row.addSpacing(16)
        status_row.addWidget(self.marker_edit)
        status_row.addWidget(self.marker_button)
        outer.addLayout(status_row)
        self.transport: TransportBarWidget | None = None
        self._transport_slot = QVBoxLayout()
        outer.addLayout(self._transport_slot)
        self.banner = QLabel("")
        self.banner.setObjectName("banner")
        self.banner.setWordWrap(True)
        self.banner.setVisible(False)
        outer.addWidget(self.banner)
        body = QHBoxLayout()
        self.plots = LivePlotsWidget(window_s=10.0)
        self.plots.sigThresholdMoved.connect(self._on_threshold_moved)
        self.meter = RelaxationMeterWidget()
        body.addWidget(self.plots, 4)
        body.addWidget(self.meter, 1)
        outer.addLayout(body, 1)
        hint = QLabel(SAFETY_TEXT)
        hint.setObjectName("hint")
        hint.setWordWrap(True)
        outer.addWidget(hint)
        self.setCentralWidget(central)
        self.statusBar().showMessage("Choose a source and press Start.")

        self.timer = QTimer(self)
        self.timer.setInterval(self.REFRESH_MS)
        self.timer.timeout.connect(self.refresh)
        self._select_spec(source_spec)

    # -- construction ---------------------------------------------------------------------
    def _build_toolbar(self) -> QHBoxLayout:
        bar = QHBoxLayout()
        bar.addWidget(QLabel("Source"))
        self.source_combo = QComboBox()
        self.source_combo.setMinimumWidth(280)
        for label, spec in SIMULATED_CHOICES:
            self.source_combo.addItem(label, spec)
        for label, spec in _discovered_ports():
            self.source_combo.addItem(label, spec)
        self.source_combo.addItem("Serial port…", "ask-port")
        self.source_combo.addItem("Open recording…", "ask-file")
        bar.addWidget(self.source_combo)
        self.start_button = QPushButton("Start")
        self.start_button.setObjectName("primary")
        self.start_button.clicked.connect(self.start)
        self.stop_button = QPushButton("Stop")
        self.stop_button.clicked.connect(self.stop)
        self.stop_button.setEnabled(False)
        self.rest_button = QPushButton("Resting now — set baseline")
        self.rest_button.setCheckable(True)
        self.rest_button.setToolTip("Hold while resting quietly (30-60 s) to (re)measure the baseline")
        self.rest_button.toggled.connect(self._on_rest_toggled)
        self.rest_button.setEnabled(False)
        self.record_button = QPushButton("● Record")
        self.record_button.setCheckable(True)
        self.record_button.setToolTip("Record raw signals and markers to the private data folder "
                                      "(BDF+, crash-safe)")
        self.record_button.toggled.connect(self._on_record_toggled)
        self.record_button.setEnabled(False)
        self.patient_edit = QLineEdit()
        self.patient_edit.setPlaceholderText("patient code")
        self.patient_edit.setToolTip("A pseudonymous code, never a name")
        self.patient_edit.setMaximumWidth(140)
        for b in (self.start_button, self.stop_button, self.rest_button, self.record_button):
            bar.addWidget(b)
        bar.addWidget(self.patient_edit)
        bar.addStretch(1)
        self.time_label = QLabel("")
        bar.addWidget(self.time_label)
        return bar

    def _select_spec(self, spec: str) -> None:
        if spec == "auto":
            ports = _discovered_ports()
            spec = ports[0][1] if ports else "simulated:demo"
        idx = self.source_combo.findData(spec)
        if idx < 0:
            self.source_combo.insertItem(0, _label_for(spec), spec)
            idx = 0
        self.source_combo.setCurrentIndex(idx)

    # -- actions --------------------------------------------------------------------------
    def start(self) -> bool:
        """Open the chosen source and start streaming; returns False (and says why) on failure."""
        spec = self.source_combo.currentData()
        if spec == "ask-port":
            port, ok = QInputDialog.getText(self, "Serial port", "Port (e.g. /dev/ttyACM0):")
            if not ok or not port.strip():
                return False
            spec = f"serial:{port.strip()}"
            self._select_spec(spec)
        elif spec == "ask-file":
            path, _ = QFileDialog.getOpenFileName(
                self, "Open recording", "", "Recordings (*.edf *.bdf *.csv *.bfrec);;All files (*)"
            )
            if not path:
                return False
            spec = f"replay:{path}"
            self._select_spec(spec)
        self.stop()
        try:
            source = open_source(spec, **self._source_options.get(spec, {}))
            self.engine = AcquisitionEngine(source, self._pipeline_config())
            self.engine.start()
        except (SourceError, OSError, ValueError) as exc:
            self.engine = None
            self.show_banner(f"Could not start {_label_for(spec)}: {exc}")
            return False
        self.show_banner("")
        self.link_status.set_source_info(self.engine.info)
        if isinstance(source, ReplaySource):
            self.transport = TransportBarWidget(source)
            self._transport_slot.addWidget(self.transport)
        self.start_button.setEnabled(False)
        self.stop_button.setEnabled(True)
        self.rest_button.setEnabled(True)
        self.record_button.setEnabled(True)
        self.marker_button.setEnabled(True)
        self.source_combo.setEnabled(False)
        self.statusBar().showMessage(f"Streaming from {self.engine.info.name}")
        self.timer.start()
        return True

    def stop(self) -> None:
        if self.engine is None:
            return
        self.timer.stop()
        engine, self.engine = self.engine, None
        if self.transport is not None:
            self.transport.timer.stop()
            self.transport.deleteLater()
            self.transport = None
        recording = engine.recorder is not None
        try:
            engine.close()
        except RecordingError as exc:
            self.show_banner(str(exc))
        self.refresh_from(engine)
        if recording:
            self._set_record_checked(False)
            self.statusBar().showMessage("Stopped; recording saved.")
            return
        self.start_button.setEnabled(True)
        self.stop_button.setEnabled(False)
        self.rest_button.setChecked(False)
        self.rest_button.setEnabled(False)
        self.record_button.setEnabled(False)
        self.marker_button.setEnabled(False)
        self.source_combo.setEnabled(True)
        self.statusBar().showMessage("Stopped.")

    def closeEvent(self, event: object) -> None:
        self.stop()
        super().closeEvent(event)  # type: ignore[arg-type]

    def keyPressEvent(self, event: QKeyEvent) -> None:
        text = event.text()
        if self.engine is not None and len(text) == 1 and text.isdigit():
            self.add_marker(int(text))
            return
        super().keyPressEvent(event)

    def add_marker(self, number: int, label: str | None = None) -> None:
        """Number keys 0-9 or the button: a marker on the plot and, when recording, in the file.

        Without an explicit ``label`` the text typed in the marker field is used (then cleared).
        """
        if self.engine is None:
            return
        if label is None:
            label = self.marker_edit.text().strip()
            self.marker_edit.clear()
        t = self.engine.add_marker(number, label)
        self.plots.add_marker(t, f"{number} {label}".strip())
        where = " (recorded)" if self.engine.recorder is not None else ""
        self.statusBar().showMessage(f"Marker {number} at {t:.1f} s{where}")

    def _set_record_checked(self, on: bool) -> None:
        self.record_button.blockSignals(True)
        self.record_button.setChecked(on)
        self.record_button.blockSignals(False)
        self.record_button.setText("■ Stop recording" if on else "● Record")
        self.patient_edit.setEnabled(not on)

    def _on_record_toggled(self, on: bool) -> None:
        if self.engine is None:
            self._set_record_checked(False)
            return
        if on:
            try:
                journal = self.engine.start_recording(self.patient_edit.text().strip())
            except RecordingError as exc:
                self._set_record_checked(False)
                self.show_banner(f"Could not start recording: {exc}")
                return
            self._set_record_checked(True)
            self.statusBar().showMessage(f"Recording to {journal.parent}")
        else:
            try:
                path = self.engine.stop_recording()
            except RecordingError as exc:
                self.show_banner(str(exc))
                path = None
            self._set_record_checked(False)
            if path is not None:
                self.statusBar().showMessage(f"Recording saved: {path}")

    def _on_recording_failed(self, message: str) -> None:
        """Disk full, folder gone...: keep what was written, tell the user, keep the live view."""
        text = f"Recording stopped: {message}."
        if self.engine is not None and self.engine.recorder is not None:
            try:
                path = self.engine.stop_recording()
                text += f" What was recorded until then is saved in {path}."
            except RecordingError as exc:
                text += f" {exc}"
        self._set_record_checked(False)
        self.show_banner(text)

    def offer_recovery(self) -> list[Path]:
        """After a crash: tell the user about unfinished recordings and recover them."""
        try:
            found = find_unfinished()
        except OSError as exc:
            self.show_banner(f"Could not look for unfinished recordings: {exc}")
            return []
        if not found:
            return []
        listing = "\n".join(f"• {u.describe()}" for u in found)
        answer = QMessageBox.question(
            self, "Unfinished recording found",
            "The app stopped while recording last time. These recordings were not finished:\n\n"
            f"{listing}\n\nRecover them now? At most the last second is lost.",
        )
        if answer != QMessageBox.StandardButton.Yes:
            return []
        saved, problems = [], []
        for u in found:
            try:
                saved.append(recover(u.journal))
            except (RecordingError, FormatError, OSError) as exc:
                problems.append(f"{u.journal.name}: {exc}")
        if problems:
            self.show_banner("Some recordings could not be recovered: " + "; ".join(problems))
        if saved:
            self.statusBar().showMessage("Recovered: " + ", ".join(str(p) for p in saved))
        return saved

    def show_banner(self, text: str) -> None:
        self.banner.setText(text)
        self.banner.setVisible(bool(text))

    def _on_threshold_moved(self, value: float) -> None:
        if self.engine is not None:
            self.engine.set_threshold_uv(max(0.1, value))

    def _pipeline_config(self) -> PipelineConfig:
        base = PipelineConfig()
        return replace(base, emg=replace(base.emg, notch_hz=self.notch_combo.currentData()))

    def _on_notch_changed(self, _index: int) -> None:
        if self.engine is not None:
            self.engine.set_notch(self.notch_combo.currentData())
        self.statusBar().showMessage(f"Mains notch {self.notch_combo.currentText()}")

    def _on_rest_toggled(self, on: bool) -> None:
        if self.engine is not None:
            self.engine.mark_rest(on)
        self.rest_button.setText("Resting — press when done" if on else "Resting now — set baseline")

    # -- the GUI timer --------------------------------------------------------------------
    def refresh(self) -> None:
        if self.engine is not None:
            self.refresh_from(self.engine)

    def refresh_from(self, engine: AcquisitionEngine) -> None:
        for msg in engine.drain():
            self._on_message(msg.kind, msg.payload)
        window = self.plots.window_s
        ei, emg = engine.emg.latest(int(window * engine.emg_fs))
        vi, env = engine.envelope.latest(int(window * DISPLAY_HZ))
        _, relax = engine.relaxation.latest(1)
        pi, pressure = engine.pressure.latest(int(window * (engine.pressure_fs or 1)))
        self.plots.update_traces(
            ei / engine.emg_fs, emg, vi / DISPLAY_HZ, env,
            pi / (engine.pressure_fs or 1), pressure,
        )
        st = engine.status()
        if math.isfinite(st.threshold_uv):
            self.plots.set_threshold(st.threshold_uv)
        if st.baseline_ready:
            self.plots.set_baseline(st.baseline_mean_uv, st.baseline_sd_uv)
        last_env = float(env[-1, 0]) if env.size and np.isfinite(env[-1, 0]) else math.nan
        last_relax = float(relax[-1, 0]) if relax.size else math.nan
        self.meter.set_state(last_relax, st.relaxed_for_s, last_env)
        self.time_label.setText(f"{engine.emg_time_s:6.1f} s   contractions: {st.contraction_count}")
        self._show_flags(st)

    def _show_flags(self, st: ProcessorStatus) -> None:
        notes = []
        if st.strain:
            notes.append("Pressure rose without a pelvic-floor squeeze (bearing down?) — try not "
                         "to push or tighten your belly; let the breath go.")
        if st.suggestion:
            notes.append(st.suggestion)
        if st.quality != QualityFlag.OK and st.quality_message:
            notes.append(st.quality_message)
        if notes or self.banner.property("from_flags"):
            self.banner.setProperty("from_flags", bool(notes))
            self.show_banner("  ".join(notes))

    def _on_message(self, kind: str, payload: object) -> None:
        if kind == "contraction" and isinstance(payload, ContractionEvent) and payload.complete:
            rec = payload.recovery_latency_s
            self.statusBar().showMessage(
                f"Contraction at {payload.onset_s:.1f} s: peak {payload.peak_uv:.1f} µV"
                + (f", back to rest after {rec:.1f} s" if rec is not None else "")
            )
        elif kind == "sink_error":
            self._on_recording_failed(str(payload))
        elif kind == "source" and isinstance(payload, SourceEvent):
            ev = payload
            self.link_status.on_event(ev)
            if ev.kind in (EventKind.DISCONNECTED, EventKind.RECONNECTING, EventKind.ERROR):
                self.show_banner(ev.message)
            elif ev.kind is EventKind.CONNECTED:
                self.show_banner("")
            elif ev.kind is EventKind.END:
                self.statusBar().showMessage("End of recording.")
            elif ev.kind is EventKind.GAP:
                self.statusBar().showMessage(ev.message)


def _discovered_ports() -> list[tuple[str, str]]:
    try:
        from biofeedback.devices.discovery import find_sensors
    except ImportError:
        return []
    try:
        return [(f"Sensor on {p.device}", f"serial:{p.device}") for p in find_sensors()]
    except OSError:
        return []


def _label_for(spec: str) -> str:
    for label, s in SIMULATED_CHOICES:
        if s == spec:
            return label
    kind, _, arg = spec.partition(":")
    return {"serial": f"Sensor on {arg}", "replay": f"Recording {arg}"}.get(kind, spec)
