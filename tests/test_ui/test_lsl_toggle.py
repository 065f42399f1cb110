"""The window's LSL setting: off by default, one checkable action in the Session menu that
publishes the running session's streams (a real inlet finds them) and withdraws them."""

from __future__ import annotations

import uuid
from dataclasses import replace

import pytest

pytest.importorskip("pytestqt")

from biofeedback.app.live_session import LiveSession
from biofeedback.app.lsl_outlet import LslOutlet, configure
from biofeedback.app.preferences import Preferences
from biofeedback.devices.simulated import SimulatedSensor
from biofeedback.ui.main_window import MainWindow


def _window(qtbot, prefs: Preferences, serial: str) -> MainWindow:
    class Sensor(SimulatedSensor):
        def _open(self):
            return replace(super()._open(), serial_number=serial)

    session = LiveSession(opener=lambda spec, **_: Sensor("demo"))
    win = MainWindow("simulated:demo", session=session, preferences=prefs, persist=False)
    qtbot.addWidget(win)
    return win


def _outlets(win: MainWindow) -> list[LslOutlet]:
    engine = win.session.engine
    return [s for s in engine.sinks if isinstance(s, LslOutlet)] if engine else []


def test_off_by_default_and_the_action_publishes_then_withdraws(qtbot):
    pylsl = configure("machine")
    serial = f"UI-{uuid.uuid4().hex[:10]}"
    win = _window(qtbot, Preferences(), serial)
    action = win.lsl.action
    session_menu = next(a.menu() for a in win.menuBar().actions() if a.text() == "&Session")
    assert action in session_menu.actions() and action.isCheckable()
    assert not action.isChecked()
    assert win.start() and _outlets(win) == []  # off: nothing published, no port opened
    action.trigger()
    assert action.isChecked() and win.prefs.lsl_enabled
    assert len(_outlets(win)) == 1  # attached to the running session at once
    found = pylsl.resolve_byprop("source_id", f"biofeedback-{serial}-emg", 1, 10.0)
    assert found and found[0].type() == "EMG"
    inlet = pylsl.StreamInlet(found[0])
    inlet.open_stream(10.0)
    chunk, _ = inlet.pull_chunk(timeout=10.0, max_samples=40)
    assert len(chunk) == 40 and len(chunk[0]) == 2
    inlet.close_stream()
    action.trigger()
    assert not action.isChecked() and not win.prefs.lsl_enabled and _outlets(win) == []
    assert win.session.running  # withdrawing the streams never stops the session
    win.stop()


def test_a_saved_setting_switches_it_on_for_the_next_start(qtbot):
    configure("machine")
    win = _window(qtbot, Preferences(lsl_enabled=True), f"UI-{uuid.uuid4().hex[:10]}")
    assert win.lsl.action.isChecked()
    assert win.start()
    assert len(_outlets(win)) == 1
    win.stop()
    assert _outlets(win) == []
