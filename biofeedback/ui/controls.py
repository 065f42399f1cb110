"""The clinician's controls: source, Start/Stop, Record, patient code, rest, line, notch, markers.

Two rows, so the window fits a 1024x600 laptop: the session row (source, Start, Stop, Record,
patient code, time) and the tools row (Resting now, automatic line, notch, marker label,
patient view). :meth:`ControlPanel.set_mode` enables exactly what makes sense: a file cannot be
recorded or rested on; the patient code is entered *before* Start (it is locked while
streaming, so digits typed during a session always become markers, never text).
"""

from __future__ import annotations

from pathlib import Path

from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from biofeedback.ui.actions import with_keys

SIMULATED_CHOICES = [
    ("Simulated sensor: demo", "simulated:demo"),
    ("Simulated: contractions", "simulated:contractions"),
    ("Simulated: slow release", "simulated:slow-release"),
    ("Simulated: bearing down", "simulated:strain"),
    ("Simulated: rest only", "simulated:rest"),
]
ASK_PORT, ASK_FILE = "ask-port", "ask-file"
REST_TEXT, RESTING_TEXT = "Resting now", "Resting… press when done"
RECORD_TEXT, RECORDING_TEXT = "● Record", "■ Stop recording"


def _button(text: str, tip: str, *, checkable: bool = False) -> QPushButton:
    b = QPushButton(text)
    b.setToolTip(tip)
    b.setCheckable(checkable)
    b.setSizePolicy(QSizePolicy.Policy.Minimum, QSizePolicy.Policy.Fixed)
    return b


class ControlPanel(QWidget):
    """The control rows; the window connects their signals and calls :meth:`set_mode`."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.source_combo = QComboBox()
        self.source_combo.setMinimumContentsLength(16)
        self.source_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.source_combo.setToolTip("Where the signal comes from: the sensor, a recording, or "
                                     "the simulated sensor (made-up data, for trying the app)")
        self.start_button = _button("Start", with_keys("Start streaming", "start_stop"))
        self.start_button.setObjectName("primary")
        self.stop_button = _button("Stop", with_keys("Stop streaming; a recording is saved",
                                                     "start_stop"))
        self.record_button = _button(RECORD_TEXT, with_keys(
            "Record raw signals and markers to the private data folder (BDF+, crash-safe)",
            "record"), checkable=True)
        self.patient_edit = QLineEdit()
        self.patient_edit.setPlaceholderText("patient code")
        self.patient_edit.setToolTip("A pseudonymous code, never a name. Type it before Start: "
                                     "while streaming, number keys place markers")
        self.patient_edit.setMaximumWidth(150)
        self.patient_edit.setMinimumWidth(90)
        self.time_label = QLabel("")
        self.time_label.setObjectName("timeLabel")
        # a fixed size: the text changes ten times a second, and a label that may change size
        # asks its whole row to lay out again at every change
        self.time_label.ensurePolished()
        self.time_label.setFixedSize(
            self.time_label.fontMetrics().horizontalAdvance("0000.0 s · contractions: 00") + 8,
            self.time_label.sizeHint().height())
        self.time_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)

        self.rest_button = _button(REST_TEXT, with_keys(
            "Press while the patient rests quietly (30-60 s), press again when done: the "
            "marked rest sets the resting level and the line", "rest"), checkable=True)
        self.auto_line_button = _button("Automatic line", "Put the \u201crelax below\u201d line "
                                        "back to automatic (resting level + 1 SD)")
        self.notch_combo = QComboBox()
        for label, hz in (("off", None), ("50 Hz", 50.0), ("60 Hz", 60.0)):
            self.notch_combo.addItem(label, hz)
        self.notch_combo.setToolTip("Removes mains hum (and harmonics). Off by default: a notch "
                                    "also removes some real muscle signal.")
        self.marker_edit = QLineEdit()
        self.marker_edit.setPlaceholderText("marker label (words)")
        self.marker_edit.setToolTip("A short label for the next marker, e.g. 'probe in'; press "
                                    "Enter or a number key 0-9 to place it")
        self.marker_edit.setMaximumWidth(220)
        self.marker_edit.setMinimumWidth(76)  # the second row must fit 1024 px
        self.marker_button = _button("Add marker", "Mark this moment (number keys 0-9 do the "
                                     "same, even while typing a label)")
        self.guided_button = _button("Guided session\u2026", with_keys(
            "Run a guided practice (down-training, assessment, dilator practice\u2026) or a "
            "protocol file of your own; starts streaming and recording if needed", "guided"))
        self.patient_view_button = _button("Patient view", with_keys(
            "Full-screen calm view for the patient: the meter and the activity only",
            "patient_view"), checkable=True)
        self._layout()

    def _layout(self) -> None:
        row1 = QHBoxLayout()
        row1.addWidget(QLabel("Source"))
        row1.addWidget(self.source_combo, 1)
        for w in (self.start_button, self.stop_button, self.record_button, self.patient_edit):
            row1.addWidget(w)
        row1.addWidget(self.time_label)
        row2 = QHBoxLayout()
        for w in (self.rest_button, self.auto_line_button):
            row2.addWidget(w)
        notch = QGridLayout()
        notch.addWidget(QLabel("Mains notch"), 0, 0)
        notch.addWidget(self.notch_combo, 0, 1)
        row2.addLayout(notch)
        row2.addStretch(1)
        for w in (self.marker_edit, self.marker_button, self.guided_button,
                  self.patient_view_button):
            row2.addWidget(w)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(6)
        outer.addLayout(row1)
        outer.addLayout(row2)

    # -- state --------------------------------------------------------------------------
    def set_mode(self, *, running: bool, replay: bool = False, recording: bool = False,
                 ended: bool = False) -> None:
        """Enable what makes sense now (idle / live / recording / replay / end of file)."""
        live = running and not replay and not ended
        self.source_combo.setEnabled(not running or ended)
        self.start_button.setEnabled(not running or ended)
        self.start_button.setText("Play again" if ended and replay else "Start")
        self.stop_button.setEnabled(running)
        self.record_button.setEnabled(live)
        self.set_recording(recording and live)
        self.patient_edit.setEnabled(not running or (ended and not replay))  # files: no code
        self.rest_button.setEnabled(live)
        if not live:
            self.set_resting(False)
        self.marker_button.setEnabled(running and not ended)
        self.marker_edit.setEnabled(running and not ended)
        if not running:
            self.time_label.setText("")

    def set_recording(self, on: bool) -> None:
        self.record_button.blockSignals(True)
        self.record_button.setChecked(on)
        self.record_button.blockSignals(False)
        self.record_button.setText(RECORDING_TEXT if on else RECORD_TEXT)

    def set_resting(self, on: bool) -> None:
        self.rest_button.blockSignals(True)
        self.rest_button.setChecked(on)
        self.rest_button.blockSignals(False)
        self.rest_button.setText(RESTING_TEXT if on else REST_TEXT)

    def set_line_manual(self, manual: bool) -> None:
        self.auto_line_button.setEnabled(manual)

    def select_spec(self, spec: str) -> None:
        idx = self.source_combo.findData(spec)
        if idx < 0:
            self.source_combo.insertItem(0, label_for(spec), spec)
            self.source_combo.setItemData(0, spec.partition(":")[2] or spec,
                                          Qt.ItemDataRole.ToolTipRole)
            idx = 0
        self.source_combo.setCurrentIndex(idx)

    def fill_sources(self, ports: list[tuple[str, str]]) -> None:
        current = self.source_combo.currentData()
        self.source_combo.blockSignals(True)
        self.source_combo.clear()
        for label, spec in [*SIMULATED_CHOICES, *ports]:
            self.source_combo.addItem(label, spec)
        self.source_combo.addItem("Serial port…", ASK_PORT)
        self.source_combo.addItem("Open recording…", ASK_FILE)
        self.source_combo.blockSignals(False)
        if current is not None:
            self.select_spec(current)


class SimulatedNotice(QWidget):
    """"No sensor found: showing simulated data" with the choice to connect one."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("simulatedNotice")
        self.label = QLabel("No sensor found: showing simulated data (made up, not from a "
                            "person).")
        self.label.setObjectName("simulatedText")
        self.label.setWordWrap(True)
        self.connect_button = _button("Connect a sensor…", "Look for a sensor again, or type "
                                      "its port")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.connect_button)


def label_for(spec: str) -> str:
    for label, s in SIMULATED_CHOICES:
        if s == spec:
            return label
    kind, _, arg = spec.partition(":")
    if kind == "simulated":
        return f"Simulated: {arg or 'demo'}"
    if kind == "replay":
        return f"Recording {Path(arg).name}"
    return {"serial": f"Sensor on {arg}"}.get(kind, spec)
