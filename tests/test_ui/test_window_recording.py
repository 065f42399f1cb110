"""Recording from the window: the Record button, number-key markers, and recovery after a crash."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QMessageBox

from biofeedback.formats.edf import read_edf
from biofeedback.storage.paths import recordings_dir
from biofeedback.ui.main_window import MainWindow


def test_record_button_and_markers_end_up_in_the_file(qtbot):
    win = MainWindow("simulated:rest", source_options={"speed": 4.0})
    qtbot.addWidget(win)
    win.show()
    assert win.start()
    win.patient_edit.setText("P042")
    win.record_button.click()
    assert win.engine.recorder is not None
    qtbot.waitUntil(lambda: win.engine.emg_time_s > 3.0, timeout=10_000)
    qtbot.keyClick(win, Qt.Key.Key_4)
    win.marker_edit.setText("probe in")
    win.marker_button.click()
    qtbot.waitUntil(lambda: win.engine.emg_time_s > 5.0, timeout=10_000)
    win.record_button.click()  # stop recording, keep streaming
    assert win.engine.recorder is None
    saved = list(recordings_dir().glob("*P042*.bdf"))
    assert len(saved) == 1, win.statusBar().currentMessage()
    rec = read_edf(saved[0])
    assert rec.patient_code == "P042"
    assert any(a.text == "marker:4:" for a in rec.annotations)
    assert any(a.text == "marker:0:probe in" for a in rec.annotations)
    assert win.marker_edit.text() == ""
    assert rec.duration_s > 1.5
    win.stop()


def test_unfinished_recording_is_offered_and_recovered(qtbot, monkeypatch, tmp_path):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "biofeedback", "record", "--source", "simulated:rest",
         "--patient", "CRASH1", "--duration", "60"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not list(recordings_dir().glob("*.bfrec")):
        time.sleep(0.2)
    time.sleep(2.5)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(10)
    assert list(recordings_dir().glob("*.bfrec")), "the killed recording left no journal"

    win = MainWindow("simulated:rest")
    qtbot.addWidget(win)
    asked = []

    def answer(*args, **kwargs):
        asked.append(args[2])
        return QMessageBox.StandardButton.Yes

    monkeypatch.setattr(QMessageBox, "question", answer)
    saved = win.offer_recovery()
    assert asked and "CRASH1" in asked[0]
    assert len(saved) == 1 and saved[0].exists()
    rec = read_edf(saved[0])
    assert rec.duration_s >= 1.5
    assert not list(recordings_dir().glob("*.bfrec"))


def test_nothing_to_recover_asks_nothing(qtbot, monkeypatch):
    win = MainWindow("simulated:rest")
    qtbot.addWidget(win)
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: pytest.fail("asked"))
    assert win.offer_recovery() == []
