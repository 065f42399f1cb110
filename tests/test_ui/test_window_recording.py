"""Recording from the window: Record, number-key markers, SIGTERM finishes a recording, and
recovery after a crash."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

pytest.importorskip("pytestqt")

from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QApplication, QMessageBox
from waiting import journal_seconds, wait_until

from biofeedback.formats.edf import read_edf
from biofeedback.storage.paths import recordings_dir
from biofeedback.ui.app import install_signal_handlers
from biofeedback.ui.main_window import MainWindow


def _window(qtbot, spec: str = "simulated:rest", speed: float = 4.0) -> MainWindow:
    win = MainWindow(spec, source_options={"speed": speed}, persist=False)
    qtbot.addWidget(win)
    win.show()
    win.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is win, timeout=3000)
    return win


def test_record_button_and_markers_end_up_in_the_file(qtbot):
    win = _window(qtbot)
    win.controls.patient_edit.setText("P042")  # entered before Start
    assert win.start()
    win.controls.record_button.click()
    assert win.session.recording
    assert win.controls.record_button.text() == "■ Stop recording"
    qtbot.waitUntil(lambda: win.last_snapshot.time_s > 3.0, timeout=10_000)
    qtbot.keyClick(win, Qt.Key.Key_4)
    assert "(recorded)" in win.statusBar().currentMessage()
    win.controls.marker_edit.setText("probe in")
    win.controls.marker_button.click()
    qtbot.waitUntil(lambda: win.last_snapshot.time_s > 5.0, timeout=10_000)
    win.controls.record_button.click()  # stop recording, keep streaming
    assert not win.session.recording and win.session.running
    qtbot.waitUntil(lambda: "Recording saved" in win.statusBar().currentMessage(), timeout=3000)
    saved = list(recordings_dir().glob("*P042*.bdf"))
    assert len(saved) == 1, win.statusBar().currentMessage()
    rec = read_edf(saved[0])
    assert rec.patient_code == "P042"
    assert any(a.text == "marker:4:" for a in rec.annotations)
    assert any(a.text == "marker:0:probe in" for a in rec.annotations)
    assert win.controls.marker_edit.text() == ""
    assert rec.duration_s > 1.5
    win.stop()


def test_sigterm_closes_the_window_and_finishes_the_recording(qtbot):
    win = _window(qtbot)
    old = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        install_signal_handlers(win)
        win.controls.patient_edit.setText("SIG1")
        assert win.start()
        win.controls.record_button.click()
        qtbot.waitUntil(lambda: win.last_snapshot.time_s > 2.0, timeout=10_000)
        os.kill(os.getpid(), signal.SIGTERM)
        qtbot.waitUntil(lambda: not win.isVisible(), timeout=3000)
    finally:
        for s, h in old.items():
            signal.signal(s, h)
    assert not win.session.running
    saved = list(recordings_dir().glob("*SIG1*.bdf"))
    assert len(saved) == 1 and read_edf(saved[0]).duration_s > 1.0
    assert not list(recordings_dir().glob("*.bfrec"))  # nothing left unfinished


def test_unfinished_recording_is_offered_and_recovered(qtbot, monkeypatch):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "biofeedback", "record", "--source", "simulated:rest",
         "--patient", "CRSH1", "--duration", "60"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not list(recordings_dir().glob("*.bfrec")):
        time.sleep(0.2)
    journal = next(recordings_dir().glob("*.bfrec"))
    wait_until(lambda: journal_seconds(journal) >= 2.0, timeout=60,
               what="a couple of seconds in the journal")
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(10)
    assert list(recordings_dir().glob("*.bfrec")), "the killed recording left no journal"

    win = MainWindow("simulated:rest", persist=False)
    qtbot.addWidget(win)
    asked = []

    def answer(*args, **kwargs):
        asked.append(args[2])
        return QMessageBox.StandardButton.Yes

    monkeypatch.setattr(QMessageBox, "question", answer)
    saved = win.offer_recovery()
    assert asked and "CRSH1" in asked[0]
    assert len(saved) == 1 and saved[0].exists()
    rec = read_edf(saved[0])
    assert rec.duration_s >= 1.5
    assert not list(recordings_dir().glob("*.bfrec"))


def test_nothing_to_recover_asks_nothing(qtbot, monkeypatch):
    win = MainWindow("simulated:rest", persist=False)
    qtbot.addWidget(win)
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: pytest.fail("asked"))
    assert win.offer_recovery() == []
