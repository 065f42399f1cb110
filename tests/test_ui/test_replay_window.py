"""Replay for review: a file at 10x shows the contractions offline analysis finds, the overview
strip, the file's markers, file time everywhere, and "End of recording" resets the controls."""

from __future__ import annotations

import time

import numpy as np
import pytest

pytest.importorskip("pytestqt")

from biofeedback.app.live_types import LinkState, SessionPhase
from biofeedback.devices.scenario import Scenario
from biofeedback.devices.simulated import SimulatedConfig, SimulatedSignal, source_info
from biofeedback.formats.edf import read_edf, write_edf
from biofeedback.signal import analyze
from biofeedback.streams import Annotation, SignalSet
from biofeedback.ui.main_window import MainWindow
from biofeedback.ui.overview_strip import OverviewStrip
from biofeedback.ui.transport_bar import TransportBarWidget

SCRIPT = "rest:8,contract:3@0.6,rest:5,contract:3@0.7,rest:5,contract:2@0.5,rest:5"


def _write(path, script: str = SCRIPT, annotations: list[Annotation] | None = None):
    scenario = Scenario.parse(script)
    blocks = list(SimulatedSignal(scenario, SimulatedConfig(seed=11)).generate(scenario.duration_s))
    data = {s: np.concatenate([b.data for b in blocks if b.stream == s]) for s in ("emg",
                                                                                    "pressure")}
    ss = SignalSet(source_info(SimulatedConfig()).streams, data,
                   annotations=list(annotations or []))
    return write_edf(ss, path), scenario


def _window(qtbot, path, speed: float) -> MainWindow:
    win = MainWindow(f"replay:{path}", source_options={"speed": speed}, persist=False)
    qtbot.addWidget(win)
    win.show()
    return win


@pytest.mark.slow
def test_window_replay_at_10x_matches_offline_contractions(qtbot, tmp_path):
    path, scenario = _write(tmp_path / "r.bdf")
    offline = analyze(read_edf(path).data["emg"], 2000.0)
    complete = [e for e in offline.events if e.offset_index is not None and not e.truncated]
    assert len(complete) == 3

    win = _window(qtbot, path, 10.0)
    t0 = time.monotonic()
    assert win.start()
    assert win.review is not None and isinstance(win.review.transport, TransportBarWidget)
    # wait on the condition itself (the label the refresh writes), never a fixed time
    qtbot.waitUntil(lambda: win.controls.time_label.text().endswith(
        f"contractions: {len(complete)}") and win.session.phase() is SessionPhase.ENDED,
        timeout=20_000)
    took = time.monotonic() - t0
    assert took < scenario.duration_s / 10 + 3
    qtbot.waitUntil(lambda: win.review.transport.time_label.text() == "0:31 / 0:31",
                    timeout=2000)
    win.stop()


def test_end_of_recording_says_so_and_resets_the_controls(qtbot, tmp_path):
    path, _ = _write(tmp_path / "short.bdf", "rest:3,contract:2@0.6,rest:3")
    win = _window(qtbot, path, 0.0)  # as fast as possible
    assert win.start()
    c = win.controls
    assert not c.record_button.isEnabled() and not c.rest_button.isEnabled()  # a file
    assert not c.patient_edit.isEnabled()
    qtbot.waitUntil(lambda: win.meter.view.headline == "End of recording", timeout=10_000)
    assert win.link_status.state == "ended"
    assert win.link_status.state_label.text().endswith("End of recording")
    assert c.start_button.isEnabled() and c.start_button.text() == "Play again"
    assert not c.record_button.isEnabled()
    bar = win.review.transport
    assert bar.play_button.text() == "Ended" and not bar.play_button.isEnabled()
    assert not win.actions.play_pause.isEnabled()
    assert "End of recording" in win.statusBar().currentMessage()
    assert win.last_snapshot.link is LinkState.ENDED
    assert win.start()  # play it again (a fast replay may end again at once: wait for it)
    assert win.session.running and win.review is not None
    qtbot.waitUntil(lambda: win.meter.view.headline == "End of recording", timeout=10_000)
    assert c.start_button.text() == "Play again" and not c.patient_edit.isEnabled()
    win.stop()
    assert win.review is None


def test_overview_strip_seeks_and_markers_use_file_time(qtbot, tmp_path):
    marks = [Annotation(12.0, 0.0, "marker:2:probe in"), Annotation(20.0, 0.0, "marker:3:cue")]
    path, _ = _write(tmp_path / "m.bdf", annotations=marks)
    win = _window(qtbot, path, 1.0)
    seen: list = []
    original = win.plots.set_annotations
    win.plots.set_annotations = lambda anns: (seen.append(list(anns)), original(anns))
    assert win.start()
    assert seen and {a.text for a in seen[-1]} >= {"marker:2:probe in", "marker:3:cue"}
    strip = win.review.overview
    assert isinstance(strip, OverviewStrip) and strip.isVisible()
    strip.sigSeek.emit(18.0)  # a click on the strip at 0:18
    rp = win.session.replay
    qtbot.waitUntil(lambda: rp.position_s >= 18.0, timeout=3000)
    qtbot.waitUntil(lambda: win.last_snapshot.time_s >= 18.0, timeout=3000)
    assert win.last_snapshot.time_s < 24.0  # file time after the seek, not stream time
    win.add_marker(4, "review")
    assert "Marker 4 at 1" in win.statusBar().currentMessage()  # 18-19 s: file time
    win.stop()
