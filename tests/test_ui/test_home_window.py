"""The home window's parts: the calm calendar (no red, nothing "missed"), the screening dialog,
reminders shown when due (clock injected), a bad programme file in one line, the start mode,
and tone/pace choices kept in the preferences."""

from __future__ import annotations

import argparse
import datetime as dt

import pytest

pytest.importorskip("pytestqt")

from PyQt6.QtCore import Qt, QTime

from biofeedback.app.home import SCREEN_HOLD, SCREENING
from biofeedback.app.preferences import Preferences, save_preferences
from biofeedback.app.programme import Programme, ProgrammeProtocol, Schedule, write_programme
from biofeedback.storage.records import SqliteDatabase
from biofeedback.ui import theme
from biofeedback.ui.app import home_mode
from biofeedback.ui.home.progress_view import day_style
from biofeedback.ui.home.screening import ScreeningDialog
from biofeedback.ui.home.window import HomeWindow

TZ = dt.timezone(dt.timedelta(hours=1))


class Clock:
    def __init__(self) -> None:
        self.t = dt.datetime(2026, 3, 18, 9, 0, tzinfo=TZ)  # a Wednesday

    def __call__(self) -> dt.datetime:
        return self.t


@pytest.fixture
def home(qtbot, tmp_path):
    db = SqliteDatabase(tmp_path / "records.sqlite3", backup_folder=tmp_path / "b")
    clock = Clock()
    prefs = Preferences(window_geometry="Y2xpbmlj", last_source="serial:/dev/ttyACM0")
    win = HomeWindow("simulated:rest", repo=db.repo, clock=clock, preferences=prefs,
                     persist=False, state_path=tmp_path / "state.json")
    qtbot.addWidget(win)
    win.resize(1024, 600)
    win.show()
    path = tmp_path / "H001.bfprog"
    write_programme(Programme("H001", (ProgrammeProtocol("down-training"),),
                              Schedule(3, 15, ("mon", "wed"))), path)
    yield win, clock, path
    win.close()
    # the clinic window's own settings are not changed by the home window's engine
    assert prefs.window_geometry == "Y2xpbmlj" and prefs.last_source == "serial:/dev/ttyACM0"
    db.close()


def test_a_bad_programme_file_is_one_calm_line_and_nothing_opens(home, tmp_path):
    win, _, _ = home
    bad = tmp_path / "bad.bfprog"
    bad.write_text('{"format": "biofeedback-programme", "version": 1}')
    assert not win.import_programme_file(bad)
    text = win.start_page.status.text()
    assert str(bad) in text and "Ask your clinician for a new programme file" in text
    assert "\n" not in text and not win.start_page.start_button.isEnabled()


def test_the_calendar_is_calm_and_navigates_months(home, qtbot):
    win, _, path = home
    win.import_programme_file(path)
    win.start_page.progress_button.click()
    view = win.progress_page
    assert win.stack.currentWidget() is view and view.month_title.text() == "March 2026"
    assert not view.next_button.isEnabled()  # no future months to look at
    wed = view.calendar.day_cell(18)
    assert wed is not None and "a programme day" in wed.toolTip()
    for cell in view.calendar.cells:
        style = cell.styleSheet().upper()
        assert theme.VERMILLION.upper() not in style and "RED" not in style
    view.prev_button.click()
    assert view.month_title.text() == "February 2026" and view.next_button.isEnabled()
    assert not win.start_action.isEnabled()  # Space starts only from the start page
    view.back_button.click()
    assert win.stack.currentWidget() is win.start_page and win.start_action.isEnabled()


def test_day_style_never_uses_an_alarm_colour():
    from biofeedback.app.home_progress import CalendarDay

    for practised in (0, 1):
        for scheduled in (False, True):
            c = CalendarDay(dt.date(2026, 3, 2), True, 10.0 * practised, practised, scheduled,
                            False)
            assert theme.VERMILLION not in day_style(c) and theme.ORANGE not in day_style(c)


def test_the_screening_dialog_ticks_by_its_words_and_holds_calmly(home, qtbot):
    win, _, path = home
    win.import_programme_file(path)
    d = ScreeningDialog(win.model, win)
    qtbot.addWidget(d)
    assert len(d.boxes) == len(SCREENING)
    label = d.findChildren(type(d.stop_rules), "item")[1]
    qtbot.mouseClick(label, Qt.MouseButton.LeftButton)  # a click on the words ticks the box
    assert d.applies() == ["bleeding"] and d.continue_button.text() == "Continue"
    d.confirm()
    assert d.answer.text() == SCREEN_HOLD and not d.boxes["bleeding"].isEnabled()
    assert win.model.practice_hold() == SCREEN_HOLD
    win.show_start()
    assert win.start_page.hold.text() == SCREEN_HOLD and win.start_page.hold.isVisible()


def test_reminders_are_off_by_default_and_shown_once_when_due(home, qtbot):
    win, clock, path = home
    win.import_programme_file(path)
    page = win.start_page
    assert not page.reminders.isChecked() and "off" in page.reminder_next.text()
    assert win.notifier.check() is None  # off: nothing, even at any time
    page.reminders.setChecked(True)
    page.reminder_time.setTime(QTime(18, 30))
    assert win.prefs.reminders_on and win.prefs.reminder_time == "18:30"
    assert page.reminder_next.text() == "Next reminder: today at 18:30."
    win.notifier.send = lambda title, text: False  # no notify-send here: the window says it
    clock.t = clock.t.replace(hour=18, minute=31)
    shown: list[str] = []
    win.notifier.shown.connect(lambda r, how: shown.append(how))
    reminder = win.notifier.check()
    assert reminder is not None and shown in (["window"], ["tray"])
    if shown == ["window"]:
        assert "Time for your practice" in page.status.text()
    assert win.notifier.check() is None  # once a day


def test_home_mode_follows_the_flag_then_the_preference():
    ns = argparse.Namespace
    assert home_mode(ns(home=True, clinic=False))
    assert not home_mode(ns(home=False, clinic=True))
    assert not home_mode(ns(home=False, clinic=False))  # default preference: clinic
    save_preferences(Preferences(start_mode="home"))
    assert home_mode(ns(home=False, clinic=False))
    assert not home_mode(ns(home=False, clinic=True))


def test_tone_and_pace_choices_are_kept_in_the_preferences(qtbot, tmp_path):
    from biofeedback.sessions.protocol import Pacer
    from biofeedback.ui.main_window import MainWindow

    prefs = Preferences(tone_volume=0.3, pacer_inhale_s=4.0, pacer_exhale_s=6.0)
    win = MainWindow("simulated:rest", preferences=prefs, persist=False)
    qtbot.addWidget(win)
    ctl = win.guided
    assert ctl.tone.choice.volume == pytest.approx(0.3)
    assert ctl.begin_named("down-training")
    view = ctl.view
    assert view.pacer_choice.currentData() == Pacer(4.0, 6.0)  # the kept pace is chosen
    view.pacer_choice.setCurrentIndex(0)  # back to the protocol's own pace
    assert prefs.pacer_inhale_s is None and prefs.pacer_exhale_s is None
    view.tone.volume.setValue(70)
    view.tone.mute_button.click()
    assert prefs.tone_volume == pytest.approx(0.7) and prefs.tone_muted
    ctl.stop("stopped")
    win.stop()
    win.close()


def test_practice_without_a_sensor_says_it_shows_simulated_data(qtbot, tmp_path, monkeypatch):
    from biofeedback.ui import window_parts
    from biofeedback.ui.home.practice import NO_SENSOR_HINT

    monkeypatch.setattr(window_parts, "discovered_ports", lambda: [])
    db = SqliteDatabase(tmp_path / "records.sqlite3", backup_folder=tmp_path / "b")
    win = HomeWindow("auto", repo=db.repo, clock=Clock(), persist=False,
                     state_path=tmp_path / "state.json")
    qtbot.addWidget(win)
    win.show()
    path = tmp_path / "H001.bfprog"
    write_programme(Programme("H001", (ProgrammeProtocol("down-training"),),
                              Schedule(3, 15, ())), path)
    win.import_programme_file(path)
    win.model.confirm_screening([])  # answered already today: no dialog
    assert win.start_practice()
    assert win.practice_view.hint.text() == NO_SENSOR_HINT
    # what the clinic would say in its banner is said in the practice view too
    win.practice.window.banner.set_message("The sensor stopped answering.")
    qtbot.waitUntil(lambda: win.practice_view.notice.isVisible(), timeout=3000)
    assert "The sensor stopped answering." in win.practice_view.notice.text()
    win.practice.stop()
    win.close()
    db.close()
