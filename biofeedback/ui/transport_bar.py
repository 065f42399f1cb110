"""Transport bar for file replay: play/pause, speed, a position slider and the time.

The widget only talks to the :class:`~biofeedback.devices.replay.ReplaySource` through its
thread-safe transport API (``pause``/``resume``/``seek``/``speed``/``position_s``). It has no
timer of its own: the window's refresh calls :meth:`TransportBarWidget.refresh` (one timer for
the whole window), with ``ended=True`` once the file has played to its end. Times are file
time. Keyboard (window-wide actions, see ``ui/actions.py``): Space plays/pauses, Left/Right
seek 5 s.
"""

from __future__ import annotations

from typing import Protocol

from PyQt6.QtCore import Qt, pyqtSignal
from PyQt6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QPushButton, QSlider, QWidget

SPEEDS = [("1×", 1.0), ("2×", 2.0), ("10×", 10.0), ("max", 0.0)]
TICKS_PER_S = 10  # slider resolution: 0.1 s
SEEK_STEP_S = 5.0  # Left / Right


class Transport(Protocol):
    """What the bar needs from a replay source."""

    speed: float

    @property
    def position_s(self) -> float: ...

    @property
    def duration_s(self) -> float: ...

    @property
    def paused(self) -> bool: ...

    def pause(self) -> None: ...

    def resume(self) -> None: ...

    def seek(self, seconds: float) -> None: ...


class TransportBarWidget(QWidget):
    """``[Pause] [1× v] [=====|------] 0:12 / 1:10`` for one replay source."""

    sigSeeked = pyqtSignal(float)
    sigSpeedChanged = pyqtSignal(float)
    sigPausedChanged = pyqtSignal(bool)

    def __init__(self, source: Transport, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.source = source
        self.play_button = QPushButton()
        self.play_button.setToolTip("Play or pause the recording (Space)")
        self.play_button.clicked.connect(self.toggle_play)
        self.ended = False
        self.speed_combo = QComboBox()
        self.speed_combo.setToolTip("Playback speed; 'max' plays as fast as the computer can")
        for label, value in SPEEDS:
            self.speed_combo.addItem(label, value)
        self.speed_combo.currentIndexChanged.connect(self._on_speed_index)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setToolTip("Position in the recording: drag to jump (Left / Right: 5 s)")
        self.slider.setRange(0, max(1, int(round(source.duration_s * TICKS_PER_S))))
        self.slider.sliderReleased.connect(self._on_slider_released)
        self.slider.actionTriggered.connect(self._on_slider_action)
        self.time_label = QLabel()
        self.time_label.setMinimumWidth(120)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.play_button)
        layout.addWidget(self.speed_combo)
        layout.addWidget(self.slider, 1)
        layout.addWidget(self.time_label)
        self._select_speed(source.speed)
        self.refresh()

    # -- actions ---------------------------------------------------------------------------
    def toggle_play(self) -> None:
        if self.ended:
            return
        if self.source.paused:
            self.source.resume()
        else:
            self.source.pause()
        self.sigPausedChanged.emit(self.source.paused)
        self.refresh()

    def set_speed(self, value: float) -> None:
        self.source.speed = value
        self._select_speed(value)
        self.sigSpeedChanged.emit(value)

    def seek(self, seconds: float) -> None:
        if self.ended:
            return
        seconds = min(max(0.0, seconds), self.source.duration_s)
        self.source.seek(seconds)
        self.slider.setValue(int(round(seconds * TICKS_PER_S)))
        self.sigSeeked.emit(seconds)
        self.refresh()

    def seek_by(self, seconds: float) -> None:
        """Left / Right: jump ``seconds`` (file time) from where playback is."""
        self.seek(self.source.position_s + seconds)

    # -- view ------------------------------------------------------------------------------
    def refresh(self, ended: bool = False) -> None:
        """Show the position; ``ended``: the file played to its end (controls off until the
        window plays it again)."""
        self.ended = self.ended or ended
        pos, dur = self.source.position_s, self.source.duration_s
        if self.ended:
            pos = dur
            self.play_button.setText("Ended")
        else:
            self.play_button.setText("Play" if self.source.paused else "Pause")
        for w in (self.play_button, self.slider, self.speed_combo):
            w.setEnabled(not self.ended)
        if not self.slider.isSliderDown():
            self.slider.blockSignals(True)
            self.slider.setValue(int(round(pos * TICKS_PER_S)))
            self.slider.blockSignals(False)
        text = f"{_clock(pos)} / {_clock(dur)}"
        if text != self.time_label.text():
            self.time_label.setText(text)

    def _select_speed(self, value: float) -> None:
        for i in range(self.speed_combo.count()):
            if self.speed_combo.itemData(i) == value:
                self.speed_combo.blockSignals(True)
                self.speed_combo.setCurrentIndex(i)
                self.speed_combo.blockSignals(False)
                return

    def _on_speed_index(self, index: int) -> None:
        self.set_speed(float(self.speed_combo.itemData(index)))

    def _on_slider_released(self) -> None:
        self.seek(self.slider.value() / TICKS_PER_S)

    def _on_slider_action(self, action: int) -> None:
        """Clicks on the groove and keyboard steps seek too (dragging seeks on release)."""
        if not self.slider.isSliderDown():
            self.seek(self.slider.sliderPosition() / TICKS_PER_S)


def _clock(seconds: float) -> str:
    m, s = divmod(int(round(max(0.0, seconds))), 60)
    return f"{m}:{s:02d}"
