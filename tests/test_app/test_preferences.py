"""Preferences persist in the per-user folder: atomic, private, and a broken file gives the
defaults with one warning."""

from __future__ import annotations

import json
import logging
import stat
import sys

import pytest

from biofeedback.app.preferences import (
    Preferences,
    keep_preferences,
    load_preferences,
    save_preferences,
)
from biofeedback.storage.paths import settings_file


def test_round_trip_in_the_per_user_folder():
    prefs = Preferences(last_source="simulated:slow-release", relax_line_uv=4.5,
                        relax_line_manual=True, notch_hz=50.0, patient_view=True)
    prefs.set_geometry_bytes(b"\x01\xd9\xd0\xcb\x00\x03")
    path = save_preferences(prefs)
    assert path == settings_file()
    loaded, warning = load_preferences()
    assert warning == "" and loaded == prefs
    assert loaded.manual_line == 4.5
    assert loaded.geometry_bytes() == b"\x01\xd9\xd0\xcb\x00\x03"
    assert json.loads(path.read_text())["version"] == 1


def test_a_window_keeps_its_settings_or_logs_why_not(tmp_path, monkeypatch, caplog):
    assert keep_preferences(Preferences(notch_hz=60.0))
    assert load_preferences()[0].notch_hz == 60.0
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the data folder should be")
    monkeypatch.setenv("BIOFEEDBACK_DATA_DIR", str(blocked))
    with caplog.at_level(logging.WARNING):
        assert not keep_preferences(Preferences(notch_hz=50.0))  # no exception
    assert "could not save the settings" in caplog.text


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX file modes")
def test_written_atomically_and_private(tmp_path):
    path = tmp_path / "sub" / "settings.json"
    save_preferences(Preferences(notch_hz=60.0), path)
    save_preferences(Preferences(notch_hz=50.0), path)  # replaces, never appends
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert [p.name for p in path.parent.iterdir()] == ["settings.json"]  # no temporary left
    assert load_preferences(path)[0].notch_hz == 50.0


def test_missing_file_gives_defaults_silently(tmp_path, caplog):
    with caplog.at_level(logging.WARNING):
        prefs, warning = load_preferences(tmp_path / "none.json")
    assert prefs == Preferences() and warning == "" and not caplog.records
    assert prefs.manual_line is None


@pytest.mark.parametrize("text", ["{not json", "[1, 2]", "", "null"])
def test_broken_file_gives_defaults_and_one_warning(tmp_path, caplog, text):
    path = tmp_path / "settings.json"
    path.write_text(text)
    with caplog.at_level(logging.WARNING):
        prefs, warning = load_preferences(path)
    assert prefs == Preferences()
    assert "using the defaults" in warning
    assert len([r for r in caplog.records if r.levelno == logging.WARNING]) == 1


def test_unusable_values_fall_back_one_by_one(tmp_path, caplog):
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"last_source": "serial:/dev/ttyACM0", "relax_line_uv": -3,
                                "relax_line_manual": True, "notch_hz": 55,
                                "patient_view": "yes", "unknown": 1}))
    with caplog.at_level(logging.WARNING):
        prefs, warning = load_preferences(path)
    assert prefs.last_source == "serial:/dev/ttyACM0"  # the good value is kept
    assert prefs.relax_line_uv is None and not prefs.relax_line_manual  # no line: automatic
    assert prefs.notch_hz is None and prefs.patient_view is False
    assert "relax_line_uv" in warning and "notch_hz" in warning
    assert len(caplog.records) == 1


def test_window_restores_line_notch_and_source(qtbot, monkeypatch):
    pytest.importorskip("pytestqt")
    from biofeedback.ui import window_parts
    from biofeedback.ui.main_window import MainWindow

    monkeypatch.setattr(window_parts, "discovered_ports", lambda: [])
    save_preferences(Preferences(last_source="simulated:slow-release", relax_line_uv=6.0,
                                 relax_line_manual=True, notch_hz=60.0))
    win = MainWindow("auto")
    qtbot.addWidget(win)
    assert win.controls.source_combo.currentData() == "simulated:slow-release"
    assert win.session.line_is_manual
    assert win.controls.notch_combo.currentData() == 60.0
    assert win.session.config.emg.notch_hz == 60.0
    assert win.controls.auto_line_button.isEnabled()  # a manual line can go back to automatic
    win.controls.auto_line_button.click()
    assert not win.session.line_is_manual and not win.controls.auto_line_button.isEnabled()
    win.close()
    prefs, _ = load_preferences()
    assert not prefs.relax_line_manual and prefs.geometry_bytes()


def test_start_mode_tone_pace_and_reminders_round_trip(tmp_path):
    path = tmp_path / "settings.json"
    prefs = Preferences(start_mode="home", tone_on=False, tone_volume=0.25, tone_muted=True,
                        tone_silent_below=False, pacer_inhale_s=4.0, pacer_exhale_s=6.0,
                        reminders_on=True, reminder_time="07:45")
    save_preferences(prefs, path)
    loaded, warning = load_preferences(path)
    assert warning == "" and loaded == prefs
    assert Preferences().start_mode == "clinic" and not Preferences().reminders_on  # defaults


def test_unusable_new_values_fall_back_to_the_defaults(tmp_path):
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"start_mode": "kiosk", "tone_volume": 3, "reminder_time": "25:00",
                                "reminders_on": "yes", "pacer_inhale_s": 4.0}))
    prefs, warning = load_preferences(path)
    assert prefs.start_mode == "clinic" and prefs.tone_volume == 0.5
    assert prefs.reminder_time == "18:00" and prefs.reminders_on is False
    assert prefs.pacer_inhale_s is None and prefs.pacer_exhale_s is None  # half a pace: none
    for name in ("start_mode", "tone_volume", "reminder_time", "reminders_on", "pacer_inhale_s"):
        assert name in warning
