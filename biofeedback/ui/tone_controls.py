"""The tone's controls in the session view: on/off, volume, mute, silent below the line, and a
visible note when there is no sound (the tone is then off, never an error).

The controls only say what the person chose (signals); the controller applies it to the one
:class:`~biofeedback.ui.tone_output.ToneOutput` and mirrors it in the other view. The patient
view's calm variant shows Mute only (and the note).
"""

from __future__ import annotations

from dataclasses import dataclass

from PyQt6.QtCore import QObject, Qt, pyqtSignal
from PyQt6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from biofeedback.app.feedback import MeterView
from biofeedback.ui.tone_output import ToneOutput

MUTE_TEXT, UNMUTE_TEXT = "Mute tone", "Tone muted: unmute"


@dataclass
class ToneChoice:
    on: bool = True  # a session plays the tone (silent when relaxed)
    volume: float = 0.5
    muted: bool = False
    silent_below_line: bool = True


class ToneControls(QWidget):
    """``changed`` carries the whole :class:`ToneChoice` after any control moved."""

    changed = pyqtSignal(object)

    def __init__(self, parent: QWidget | None = None, *, calm: bool = False) -> None:
        super().__init__(parent)
        self.calm = calm
        self.choice = ToneChoice()
        self.on_box = QCheckBox("Tone")
        self.on_box.setToolTip("A tone whose pitch falls as the muscle lets go; silent when "
                               "relaxed; a soft chime after 10 s below the line")
        self.volume = QSlider(Qt.Orientation.Horizontal)
        self.volume.setRange(0, 100)
        self.volume.setPageStep(10)
        self.volume.setToolTip("Tone volume")
        self.volume.setAccessibleName("Tone volume")
        self.mute_button = QPushButton(MUTE_TEXT)
        self.mute_button.setCheckable(True)
        self.mute_button.setMinimumHeight(56 if calm else 34)
        self.silent_box = QCheckBox("Silent below the line")
        self.silent_box.setToolTip("Off: the tone goes on quietly, lower, below the line")
        self.note = QLabel("")
        self.note.setObjectName("hint")
        self.note.setWordWrap(True)
        self.note.hide()
        if calm:  # the patient: Mute (and why there is no sound), in the buttons column
            outer = QVBoxLayout(self)
            outer.setContentsMargins(0, 0, 0, 0)
            outer.addWidget(self.mute_button)
            outer.addWidget(self.note)
        else:  # the clinician: one row under the runner
            self.volume.setMaximumWidth(140)
            row = QHBoxLayout(self)
            row.setContentsMargins(0, 0, 0, 0)
            for w in (self.on_box, self.volume, self.mute_button, self.silent_box):
                row.addWidget(w)
            row.addWidget(self.note, 1)
        for w in (self.on_box, self.volume, self.silent_box):
            w.setVisible(not calm)
        self.show_choice(self.choice)
        self.on_box.toggled.connect(self._read)
        self.volume.valueChanged.connect(self._read)
        self.mute_button.toggled.connect(self._read)
        self.silent_box.toggled.connect(self._read)

    def show_choice(self, choice: ToneChoice) -> None:
        """Mirror ``choice`` without emitting ``changed``."""
        self.choice = ToneChoice(**choice.__dict__)
        for w in (self.on_box, self.volume, self.mute_button, self.silent_box):
            w.blockSignals(True)
        self.on_box.setChecked(choice.on)
        self.volume.setValue(int(round(choice.volume * 100)))
        self.mute_button.setChecked(choice.muted)
        self.mute_button.setText(UNMUTE_TEXT if choice.muted else MUTE_TEXT)
        self.silent_box.setChecked(choice.silent_below_line)
        for w in (self.on_box, self.volume, self.mute_button, self.silent_box):
            w.blockSignals(False)
        self.volume.setEnabled(choice.on)
        self.mute_button.setEnabled(choice.on)
        self.silent_box.setEnabled(choice.on)

    def set_note(self, text: str) -> None:
        """Why there is no sound ("No audio device: the tone is off"); "" hides it."""
        if self.note.text() != text:
            self.note.setText(text)
        self.note.setVisible(bool(text))

    def _read(self) -> None:
        choice = ToneChoice(self.on_box.isChecked(), self.volume.value() / 100.0,
                            self.mute_button.isChecked(), self.silent_box.isChecked())
        self.show_choice(choice)
        self.changed.emit(choice)


class SessionTone(QObject):
    """The one tone output of guided sessions and every view's :class:`ToneControls`.

    The output is made at the first session (loading Qt Multimedia takes a moment); it is fed
    the meter each frame, silent while paused or switched off, and stopped at the end.
    """

    chosen = pyqtSignal(object)  # the person changed the ToneChoice (to keep it)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.output: ToneOutput | None = None
        self.choice = ToneChoice()
        self.controls: list[ToneControls] = []
        self._muted: bool | None = None
        self.playing = False

    @property
    def note(self) -> str:
        return self.output.note if self.output is not None else ""

    def start(self) -> None:
        if self.output is None:
            c = self.choice
            self.output = ToneOutput(self, volume=c.volume, muted=c.muted,
                                     silent_below_line=c.silent_below_line)
            self.output.note_changed.connect(self._show_note)
        self._muted = None
        self.playing = True
        if self.choice.on:
            self.output.start()

    def attach(self, controls: ToneControls) -> None:
        controls.show_choice(self.choice)
        controls.set_note(self.note)
        controls.changed.connect(self._on_choice)
        self.controls.append(controls)

    def detach_all(self) -> None:
        self.controls = []

    def feed(self, view: MeterView, now_s: float, paused: bool) -> None:
        """The tone says what the meter says (``view`` at ``now_s`` on the session clock)."""
        out = self.output
        if out is None or not self.playing or not self.choice.on:
            return
        muted = self.choice.muted or paused
        if muted != self._muted:
            self._muted = muted
            out.set_muted(muted)
        out.update(view, now_s)

    def stop(self) -> None:
        self.playing = False
        if self.output is not None:
            self.output.set_muted(True)
            self.output.stop()

    def _on_choice(self, choice: ToneChoice) -> None:
        self.choice = choice
        for c in self.controls:
            c.show_choice(choice)
        self.chosen.emit(choice)
        out = self.output
        if out is None:
            return
        out.set_volume(choice.volume)
        out.set_silent_below_line(choice.silent_below_line)
        self._muted = None
        if choice.on and self.playing:
            out.start()
        elif not choice.on:
            out.set_muted(True)
            out.stop()

    def _show_note(self, note: str) -> None:
        for c in self.controls:
            c.set_note(note)


__all__ = ["SessionTone", "ToneChoice", "ToneControls"]
