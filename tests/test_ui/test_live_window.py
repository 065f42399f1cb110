"""The live window on a scripted simulated scenario: the envelope and the meter follow the muscle."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("pytestqt")

from biofeedback.app.acquisition import DISPLAY_HZ
from biofeedback.ui.main_window import MainWindow

SCENARIO = "simulated:rest:5,contract:4@0.6,rest:8"


def test_envelope_and_meter_rise_with_contraction_and_fall_after(qtbot):
    win = MainWindow(SCENARIO, source_options={"speed": 4.0})
    qtbot.addWidget(win)
    win.show()
    trace: list[tuple[float, float]] = []
    win.timer.timeout.connect(
        lambda: win.engine is not None and trace.append((win.engine.emg_time_s, win.meter.activity))
    )
    assert win.start()
    engine = win.engine
    qtbot.waitUntil(lambda: engine.emg_time_s >= 16.5, timeout=20_000)
    idx, env = engine.envelope.latest(int(30 * DISPLAY_HZ))
    t = idx / DISPLAY_HZ

    def mean_env(a: float, b: float) -> float:
        return float(np.nanmean(env[(t >= a) & (t < b), 0]))

    rest, squeeze, after = mean_env(2.0, 4.8), mean_env(6.0, 8.8), mean_env(12.0, 16.0)
    assert squeeze > 4 * rest
    assert after < 1.5 * rest

    tt = np.array([x[0] for x in trace])
    act = np.array([x[1] for x in trace])

    def mean_act(a: float, b: float) -> float:
        sel = (tt >= a) & (tt < b) & np.isfinite(act)
        assert sel.any(), f"no meter samples between {a} and {b} s"
        return float(act[sel].mean())

    assert mean_act(6.5, 8.8) > 0.6
    assert mean_act(12.0, 16.0) < 0.3
    assert mean_act(6.5, 8.8) > mean_act(2.5, 4.8) + 0.4
    win.stop()
    assert win.engine is None and win.start_button.isEnabled()


def test_bad_source_shows_a_banner_not_a_crash(qtbot):
    win = MainWindow("simulated:walk:3")
    qtbot.addWidget(win)
    assert not win.start()
    assert "walk" in win.banner.text()
    assert win.start_button.isEnabled()


def test_threshold_line_drag_reaches_the_processor(qtbot):
    win = MainWindow("simulated:rest", source_options={"speed": 4.0})
    qtbot.addWidget(win)
    assert win.start()
    win.plots.threshold_line.setValue(7.5)
    win.plots.sigThresholdMoved.emit(7.5)
    qtbot.waitUntil(lambda: abs(win.engine.status().threshold_uv - 7.5) < 1e-9, timeout=5000)
    win.stop()
