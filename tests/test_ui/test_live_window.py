"""The live window on scripted simulated scenarios: the meter follows the muscle, Stop returns
every widget to idle, the line is kept, and the window fits a 1024x600 laptop."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("pytestqt")

from PyQt6.QtCore import QSize
from waiting import pace_by_refreshes

from biofeedback.app.live_types import LinkState, SessionPhase
from biofeedback.ui.controls import RECORD_TEXT, REST_TEXT
from biofeedback.ui.main_window import TITLE, MainWindow

SCENARIO = "simulated:rest:5,contract:4@0.6,rest:8"


def _window(qtbot, spec: str, speed: float = 10.0, paced: bool = False) -> MainWindow:
    options = {"speed": speed, "hold_at": 0} if paced else {"speed": speed}
    win = MainWindow(spec, source_options=options, persist=False)
    qtbot.addWidget(win)
    win.show()
    if paced:  # the window sees every half second of the scenario, however slow the machine
        pace_by_refreshes(win)
    return win


def test_meter_rises_with_a_contraction_and_falls_after(qtbot):
    win = _window(qtbot, SCENARIO, paced=True)
    trace: list[tuple[float, float, str]] = []
    win.timer.timeout.connect(lambda: trace.append(
        (win.last_snapshot.time_s, win.meter.view.level, win.meter.view.key)))
    assert win.start()
    qtbot.waitUntil(lambda: win.session.phase() is SessionPhase.ENDED, timeout=20_000)
    t = np.array([x[0] for x in trace])
    level = np.array([x[1] for x in trace])

    def mean_level(a: float, b: float) -> float:
        sel = (t >= a) & (t < b) & np.isfinite(level)
        assert sel.any(), f"no meter frames between {a} and {b} s"
        return float(level[sel].mean())

    assert mean_level(6.5, 8.8) > 0.6  # squeezing: the bar is high
    assert mean_level(12.0, 16.0) < 0.3  # let go: the bar is low
    assert {k for tt, _, k in trace if 6.5 <= tt < 8.8} <= {"tight", "letting_go", "settling"}
    assert "relaxed" in {k for tt, _, k in trace if tt >= 12.0}
    win.stop()


def test_bad_source_shows_one_banner_line_not_a_crash(qtbot):
    win = _window(qtbot, "simulated:walk:3")
    assert not win.start()
    assert "walk" in win.banner.text()
    assert win.banner.text().count("\n") == 0  # said once
    assert win.controls.start_button.isEnabled()
    assert win.meter.view.headline == "Not started"


def test_stop_returns_every_widget_to_idle(qtbot):
    win = _window(qtbot, "simulated:rest", speed=4.0)
    assert win.start()
    win.controls.record_button.click()
    assert win.session.recording
    qtbot.waitUntil(lambda: win.last_snapshot.time_s > 2.0 and win.meter.view.key != "no_signal",
                    timeout=10_000)
    win.controls.rest_button.click()
    assert win.controls.time_label.text() and win.link_status.state == "simulated"
    assert "SIMULATED DATA" in win.windowTitle()
    win.stop()
    assert not win.session.running
    assert win.meter.view.headline == "Not started" and not win.meter.simulated
    assert win.link_status.state == "idle" and win.link_status.state_label.text() == "○ Not streaming"
    assert win.controls.time_label.text() == ""
    c = win.controls
    assert not c.record_button.isEnabled() and not c.record_button.isChecked()
    assert c.record_button.text() == RECORD_TEXT
    assert not c.rest_button.isEnabled() and c.rest_button.text() == REST_TEXT
    assert not c.stop_button.isEnabled() and c.start_button.isEnabled()
    assert c.source_combo.isEnabled() and c.patient_edit.isEnabled()
    assert not c.marker_button.isEnabled()
    assert not any(a.isEnabled() for a in win.actions.markers)
    assert not win.actions.record.isEnabled() and not win.actions.play_pause.isEnabled()
    assert win.banner.lines() == []
    assert win.windowTitle() == TITLE
    assert win.last_snapshot.link is LinkState.IDLE
    assert "Recording saved" in win.statusBar().currentMessage()


def test_dragged_line_reaches_the_meter_and_is_kept_across_stop_and_start(qtbot):
    win = _window(qtbot, "simulated:rest", speed=4.0)
    assert win.start()
    assert not win.controls.auto_line_button.isEnabled()
    win.plots.sigLineMoved.emit(7.5)  # what a drag of the line emits
    qtbot.waitUntil(lambda: abs(win.meter.view.line_uv - 7.5) < 1e-9, timeout=5000)
    assert win.controls.auto_line_button.isEnabled()
    assert win.prefs.relax_line_manual and win.prefs.relax_line_uv == 7.5
    win.stop()
    assert win.start()
    qtbot.waitUntil(lambda: win.last_snapshot.status is not None
                    and win.last_snapshot.status.threshold_uv == 7.5, timeout=5000)
    assert win.meter.view.line_uv == 7.5
    win.controls.auto_line_button.click()  # back to automatic
    assert not win.session.line_is_manual and not win.prefs.relax_line_manual
    qtbot.waitUntil(lambda: not win.controls.auto_line_button.isEnabled(), timeout=5000)
    win.stop()


def test_end_of_a_scenario_resets_the_controls(qtbot):
    win = _window(qtbot, "simulated:rest:3", speed=10.0)
    assert win.start()
    qtbot.waitUntil(lambda: win.session.phase() is SessionPhase.ENDED, timeout=10_000)
    qtbot.waitUntil(lambda: win.controls.start_button.isEnabled(), timeout=2000)
    assert win.meter.view.headline == "Finished"
    assert win.link_status.state == "finished"
    assert not win.controls.record_button.isEnabled()
    assert not any(a.isEnabled() for a in win.actions.markers)
    win.stop()


def test_the_window_fits_a_1024x600_screen(qtbot):
    win = _window(qtbot, "simulated:demo")
    hint = win.minimumSizeHint()
    assert hint.width() <= 1024 and hint.height() <= 600, hint
    win.resize(QSize(1024, 600))
    qtbot.waitUntil(lambda: win.width() == 1024 and win.height() == 600, timeout=2000)
    c = win.controls
    for w in (c.start_button, c.stop_button, c.record_button, c.patient_view_button,
              c.rest_button, win.meter, win.plots):
        pos = w.mapTo(win, w.rect().bottomRight())
        assert pos.x() <= 1024 and pos.y() <= 600, (w, pos)
        assert w.width() >= min(w.minimumSizeHint().width(), 1), w
    # the meter's words are whole: not cut at 1024x600
    assert win.meter.width() >= 160 and win.meter.height() >= 220


def test_type_scales_with_the_screen():
    from biofeedback.ui.app import type_scale

    assert type_scale(1080) == pytest.approx(1.2)  # 1920x1080: larger type
    assert type_scale(900) == 1.0
    assert 0.85 <= type_scale(600) < 1.0  # 1024x600: a little smaller, never tiny
    assert type_scale(2160) <= 1.6
