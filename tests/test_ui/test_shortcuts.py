"""Window-wide shortcuts: text fields cannot swallow them; digits become markers while
streaming; Space/arrows drive a replay; idle fields still take their digits."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("pytestqt")

from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QApplication

from biofeedback.app.live_types import SessionPhase
from biofeedback.devices.scenario import Scenario
from biofeedback.devices.simulated import SimulatedConfig, SimulatedSignal, source_info
from biofeedback.formats.edf import write_edf
from biofeedback.streams import SignalSet
from biofeedback.ui.main_window import MainWindow


def _active_window(qtbot, spec: str, speed: float = 4.0) -> MainWindow:
    win = MainWindow(spec, source_options={"speed": speed}, persist=False)
    qtbot.addWidget(win)
    win.show()
    win.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is win, timeout=3000)
    return win


def _recording(path, seconds: float = 30.0):
    scenario = Scenario.parse(f"rest:5,contract:3@0.6,rest:{seconds - 8:g}")
    blocks = list(SimulatedSignal(scenario, SimulatedConfig(seed=5)).generate(seconds))
    info = source_info(SimulatedConfig())
    data = {s.name: np.concatenate([b.data for b in blocks if b.stream == s.name])
            for s in info.streams}
    return write_edf(SignalSet(info.streams, data), path)


def test_digits_in_a_text_field_add_a_marker_and_type_nothing(qtbot):
    win = _active_window(qtbot, "simulated:rest")
    added: list[str] = []
    original = win.plots.add_marker
    win.plots.add_marker = lambda t, label: (added.append(label), original(t, label))
    assert win.start()
    assert QApplication.focusWidget() is not win.controls.marker_edit  # focus not in a field
    assert not win.controls.patient_edit.isEnabled()  # the code is entered before Start
    edit = win.controls.marker_edit
    edit.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is edit, timeout=2000)
    qtbot.keyClicks(edit, "probe in")
    qtbot.keyClick(edit, Qt.Key.Key_3)
    assert added == ["3 probe in"]  # the label typed so far goes with the marker
    assert edit.text() == ""  # and no "3" was typed
    qtbot.keyClick(edit, Qt.Key.Key_7)
    qtbot.keyClick(edit, Qt.Key.Key_5, Qt.KeyboardModifier.KeypadModifier)
    assert added[1:] == ["7", "5"] and edit.text() == ""
    assert "Marker 5 at" in win.statusBar().currentMessage()
    win.stop()


def test_digits_type_normally_while_idle(qtbot):
    win = _active_window(qtbot, "simulated:rest")
    edit = win.controls.patient_edit
    edit.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is edit, timeout=2000)
    qtbot.keyClicks(edit, "P042")
    assert edit.text() == "P042"


def test_start_stop_and_record_shortcuts_work_from_a_text_field(qtbot):
    win = _active_window(qtbot, "simulated:rest")
    edit = win.controls.patient_edit
    edit.setFocus()
    qtbot.keyClicks(edit, "P7")
    qtbot.keyClick(edit, Qt.Key.Key_F5)
    assert win.session.running
    focus = QApplication.focusWidget()
    assert focus is not None and focus is not edit and focus is not win.controls.marker_edit
    qtbot.keyClick(win.controls.marker_edit, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
    assert win.session.recording and win.controls.record_button.isChecked()
    qtbot.keyClick(win, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
    assert not win.session.recording
    qtbot.keyClick(win, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert not win.session.running


def test_space_toggles_pause_in_replay_and_arrows_seek(qtbot, tmp_path):
    path = _recording(tmp_path / "r.bdf")
    win = _active_window(qtbot, f"replay:{path}", speed=2.0)
    assert win.start()
    rp = win.session.replay
    assert rp is not None and win.actions.play_pause.isEnabled()
    # Space with the focus on a button (Stop) pauses: it does not press the button
    win.controls.stop_button.setFocus()
    qtbot.keyClick(win.controls.stop_button, Qt.Key.Key_Space)
    assert rp.paused and win.session.running
    qtbot.waitUntil(lambda: win.last_snapshot.phase is SessionPhase.PAUSED, timeout=2000)
    assert win.link_status.state == "paused"
    win.controls.marker_edit.setFocus()  # typing in the marker field: Space still resumes
    qtbot.keyClick(win.controls.marker_edit, Qt.Key.Key_Space)
    assert not rp.paused
    qtbot.keyClick(win, Qt.Key.Key_Space)
    assert rp.paused
    before = rp.position_s
    qtbot.keyClick(win, Qt.Key.Key_Right)
    qtbot.waitUntil(lambda: abs(rp.position_s - (before + 5.0)) < 0.05, timeout=2000)
    qtbot.keyClick(win, Qt.Key.Key_Left)
    qtbot.waitUntil(lambda: abs(rp.position_s - before) < 0.05, timeout=2000)
    win.stop()


def test_shortcuts_are_named_in_tooltips_and_menus(qtbot):
    win = _active_window(qtbot, "simulated:rest")
    c = win.controls
    assert "F5" in c.start_button.toolTip() and "F5" in c.stop_button.toolTip()
    assert "Ctrl+R" in c.record_button.toolTip()
    assert "F11" in c.patient_view_button.toolTip()
    assert "0-9" in c.marker_button.toolTip()
    assert win.actions.patient_view.shortcut().toString() == "F11"
    assert win.actions.play_pause.shortcut().toString() == "Space"
    menus = {a.text().replace("&", "") for a in win.menuBar().actions()}
    assert {"Session", "Markers", "Replay", "View"} <= menus
