"""A recording replayed at 10x in the live window shows the contractions offline analysis finds."""

from __future__ import annotations

import time

import numpy as np
import pytest

from biofeedback.devices.scenario import Scenario
from biofeedback.devices.simulated import SimulatedConfig, SimulatedSignal, source_info
from biofeedback.formats.edf import read_edf, write_edf
from biofeedback.signal import analyze
from biofeedback.streams import SignalSet
from biofeedback.ui.main_window import MainWindow
from biofeedback.ui.transport_bar import TransportBarWidget


@pytest.mark.slow
def test_window_replay_at_10x_matches_offline_contractions(qtbot, tmp_path):
    scenario = Scenario.parse("rest:8,contract:3@0.6,rest:5,contract:3@0.7,rest:5,"
                              "contract:2@0.5,rest:5")
    blocks = list(SimulatedSignal(scenario, SimulatedConfig(seed=11)).generate(scenario.duration_s))
    data = {s: np.concatenate([b.data for b in blocks if b.stream == s]) for s in ("emg",
                                                                                    "pressure")}
    path = write_edf(SignalSet(source_info(SimulatedConfig()).streams, data), tmp_path / "r.bdf")
    offline = analyze(read_edf(path).data["emg"], 2000.0)
    complete = [e for e in offline.events if e.offset_index is not None and not e.truncated]
    assert len(complete) == 3

    win = MainWindow(f"replay:{path}", source_options={"speed": 10.0})
    qtbot.addWidget(win)
    win.show()
    t0 = time.monotonic()
    assert win.start()
    assert isinstance(win.transport, TransportBarWidget)
    qtbot.waitUntil(lambda: "End of recording" in win.statusBar().currentMessage(),
                    timeout=20_000)
    took = time.monotonic() - t0
    qtbot.wait(100)
    assert took < scenario.duration_s / 10 + 3
    assert win.time_label.text().endswith(f"contractions: {len(complete)}")
    assert win.transport.time_label.text().startswith("0:31")
    win.stop()
