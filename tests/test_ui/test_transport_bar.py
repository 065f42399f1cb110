"""The replay transport bar drives a real ReplaySource: pause, speed, seek, position."""

from __future__ import annotations

import threading

import numpy as np
from PyQt6.QtCore import Qt

from biofeedback.devices.replay import ReplaySource
from biofeedback.devices.scenario import get_scenario
from biofeedback.devices.simulated import SimulatedConfig, SimulatedSignal, source_info
from biofeedback.streams import EventKind, SignalSet
from biofeedback.ui.transport_bar import TransportBarWidget


def _source(seconds: float = 6.0) -> ReplaySource:
    blocks = list(SimulatedSignal(get_scenario("demo")).generate(seconds))
    data = {s: np.concatenate([b.data for b in blocks if b.stream == s]) for s in ("emg",
                                                                                    "pressure")}
    return ReplaySource(SignalSet(source_info(SimulatedConfig()).streams, data), speed=1.0)


class _Sink:
    def __init__(self) -> None:
        self.first_seconds: list[float] = []
        self.ended = threading.Event()

    def on_block(self, block):
        if block.stream == "emg":
            self.first_seconds.append(block.t0)

    def on_event(self, event):
        if event.kind is EventKind.END:
            self.ended.set()


def test_transport_bar_controls_replay(qtbot):
    src = _source()
    bar = TransportBarWidget(src)
    qtbot.addWidget(bar)
    bar.show()
    sink = _Sink()
    src.start(sink)
    assert bar.time_label.text().endswith("/ 0:06")
    assert bar.play_button.text() == "Pause"

    qtbot.mouseClick(bar.play_button, Qt.MouseButton.LeftButton)  # pause
    assert src.paused and bar.play_button.text() == "Play"
    n = len(sink.first_seconds)
    qtbot.wait(300)  # an absence (no blocks while paused) can only be seen over time
    assert len(sink.first_seconds) <= n + 1  # at most the block already in flight
    bar.refresh()
    assert bar.play_button.text() == "Play"

    with qtbot.waitSignal(bar.sigSeeked) as seek:
        bar.slider.setSliderDown(True)  # the user drags the handle to 4.5 s, then lets go
        bar.slider.setSliderPosition(45)
        assert src.position_s < 4.0  # no seek while dragging
        bar.slider.setSliderDown(False)
    assert seek.args == [4.5]
    qtbot.waitUntil(lambda: abs(src.position_s - 4.5) < 1e-9, timeout=2000)

    with qtbot.waitSignal(bar.sigSpeedChanged) as sp:
        bar.speed_combo.setCurrentIndex(2)  # 10x
    assert sp.args == [10.0] and src.speed == 10.0

    bar.seek_by(-5.0)  # Left: back 5 s (clamped at the start)
    qtbot.waitUntil(lambda: src.position_s < 0.5, timeout=2000)
    bar.seek_by(5.0)  # Right
    qtbot.waitUntil(lambda: abs(src.position_s - 5.0) < 0.05, timeout=2000)

    qtbot.mouseClick(bar.play_button, Qt.MouseButton.LeftButton)  # play
    assert not src.paused
    assert sink.ended.wait(5)  # 1 s left at 10x
    bar.refresh(ended=True)  # what the window does on "End of recording"
    assert bar.time_label.text() == "0:06 / 0:06"
    assert bar.slider.value() == bar.slider.maximum()
    assert bar.play_button.text() == "Ended" and not bar.play_button.isEnabled()
    bar.toggle_play()  # nothing to play: no resume of a finished source
    assert not src.paused
    src.close()
