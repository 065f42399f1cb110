"""The patient view: full screen, only the meter and the envelope, the same words as the
clinician's meter, shortcuts still work while it is in front, F11/Esc leave it."""

from __future__ import annotations

import pytest

pytest.importorskip("pytestqt")

from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QApplication, QLineEdit, QPushButton

from biofeedback.ui.main_window import MainWindow
from biofeedback.ui.patient_view import PatientView


def _window(qtbot) -> MainWindow:
    win = MainWindow("simulated:contractions", source_options={"speed": 4.0}, persist=False)
    qtbot.addWidget(win)
    win.show()
    win.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is win, timeout=3000)
    return win


def test_f11_opens_a_calm_full_screen_view_that_mirrors_the_meter(qtbot):
    win = _window(qtbot)
    assert win.start()
    qtbot.keyClick(win, Qt.Key.Key_F11)
    pv = win.patient_view
    assert isinstance(pv, PatientView)
    qtbot.addWidget(pv)
    qtbot.waitUntil(pv.isVisible, timeout=2000)
    assert pv.isFullScreen()
    assert win.actions.patient_view.isChecked() and win.controls.patient_view_button.isChecked()
    # only the meter and the envelope: no controls, no raw EMG, no pressure
    assert not pv.findChildren(QPushButton) and not pv.findChildren(QLineEdit)
    assert pv.plots.compact and not pv.plots.raw_plot.isVisible()
    assert not pv.plots.pressure_plot.isVisible() and pv.plots.env_plot.isVisible()
    assert not pv.plots.threshold_line.movable  # the clinician sets the line
    assert not pv.plots.reference_band.isVisible()  # group values are not the patient's target
    qtbot.waitUntil(lambda: win.last_snapshot.time_s > 1.0, timeout=5000)
    qtbot.waitUntil(lambda: pv.meter.view == win.meter.view, timeout=2000)
    assert pv.meter.simulated and pv.meter.large
    win.stop()
    assert pv.meter.view.headline == "Not started"


def test_shortcuts_work_while_the_patient_view_is_in_front_and_esc_leaves(qtbot):
    win = _window(qtbot)
    assert win.start()
    win.controls.patient_view_button.click()
    pv = win.patient_view
    assert pv is not None
    qtbot.addWidget(pv)
    pv.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is pv, timeout=3000)
    labels: list[str] = []
    original = win.plots.add_marker
    win.plots.add_marker = lambda t, label: (labels.append(label), original(t, label))
    qtbot.keyClick(pv, Qt.Key.Key_2)
    assert labels == ["2"]
    qtbot.keyClick(pv, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not pv.isVisible(), timeout=2000)
    assert not win.actions.patient_view.isChecked()
    assert not win.controls.patient_view_button.isChecked()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is win, timeout=3000)  # back in front
    qtbot.keyClick(win, Qt.Key.Key_F11)  # and back
    qtbot.waitUntil(pv.isVisible, timeout=2000)
    qtbot.keyClick(pv, Qt.Key.Key_F11)  # F11 leaves it too
    qtbot.waitUntil(lambda: not pv.isVisible(), timeout=2000)
    win.stop()


def test_closing_the_window_closes_the_patient_view_and_remembers_it(qtbot):
    win = MainWindow("simulated:rest", persist=True)
    qtbot.addWidget(win)
    win.show()
    win.toggle_patient_view()
    pv = win.patient_view
    assert pv is not None
    qtbot.addWidget(pv)
    win.close()
    assert not pv.isVisible()
    from biofeedback.app.preferences import load_preferences

    prefs, warning = load_preferences()
    assert prefs.patient_view and warning == ""
