"""The home window: start page, progress, practice; the clearance and the screening first.

Pages in one stack: the start page (or, without a programme, how to get one), progress with
the calendar, and practice (the calm patient view, ``ui/home/practice.py``). **Space** starts
today's practice from the start page; **Esc** pauses and resumes a practice (and leaves its
summary). File dialogs are thin wrappers around :meth:`HomeWindow.import_programme_file` and
:meth:`HomeWindow.export_bundle_to`, which tests call directly.
"""

from __future__ import annotations

from pathlib import Path

from PyQt6.QtCore import QObject, Qt, QTime
from PyQt6.QtGui import QAction, QCloseEvent, QKeySequence
from PyQt6.QtWidgets import (
    QApplication,
    QFileDialog,
    QMainWindow,
    QStackedWidget,
    QWidget,
)

from biofeedback.app.home import Clock, HomeModel
from biofeedback.app.home_reminders import Reminder, ReminderSchedule, describe_next
from biofeedback.app.preferences import (
    Preferences,
    keep_preferences,
    load_preferences,
    parse_hhmm,
)
from biofeedback.formats.errors import user_message
from biofeedback.storage.records import RecordsError, Repository, SqliteDatabase, open_records
from biofeedback.ui.actions import ShortcutGuard
from biofeedback.ui.home.practice import PracticeHost, PracticeView
from biofeedback.ui.home.progress_view import ProgressView
from biofeedback.ui.home.reminders import ReminderNotifier
from biofeedback.ui.home.screening import ScreeningDialog
from biofeedback.ui.home.start_page import STYLE, StartPage

TITLE = "Biofeedback: home practice"
PROGRAMME_FILTER = "Programme files (*.bfprog);;All files (*)"
BUNDLE_FILTER = "Session bundles (*.bfbundle)"


class HomeWindow(QMainWindow):
    def __init__(self, source_spec: str = "auto", source_options: dict | None = None, *,
                 repo: Repository | None = None, clock: Clock | None = None,
                 preferences: Preferences | None = None, persist: bool = True,
                 state_path: Path | None = None) -> None:
        super().__init__()
        self.setWindowTitle(TITLE)
        self.setStyleSheet(STYLE)
        self.resize(1100, 720)  # a first size; the window manager keeps it on small screens
        self.persist = persist
        if preferences is None:
            preferences = load_preferences()[0] if persist else Preferences()
        self.prefs = preferences
        self._db: SqliteDatabase | None = None
        if repo is None:
            self._db = open_records()
            repo = self._db.repo
        self.model = HomeModel(repo, clock=clock, state_path=state_path)
        self.stack = QStackedWidget()
        self.start_page = StartPage()
        self.progress_page = ProgressView(self.model)
        self.practice_view = PracticeView()
        for page in (self.start_page, self.progress_page, self.practice_view):
            self.stack.addWidget(page)
        self.setCentralWidget(self.stack)
        # the engine never saves settings itself (its hidden window's geometry is not the
        # clinic's); this window saves the shared preferences (tone, pace, reminders)
        self.practice = PracticeHost(self.practice_view, repo, source_spec, source_options,
                                     self.prefs, False, self)
        self.practice.finished.connect(self.show_start)
        self.notifier = ReminderNotifier(self.model, self.reminder_schedule, self)
        self.notifier.shown.connect(self._reminded)
        self._connect()
        self._actions()
        self.show_start()

    # -- wiring ----------------------------------------------------------------------------
    def _connect(self) -> None:
        s = self.start_page
        s.start_clicked.connect(self.start_practice)
        s.progress_clicked.connect(self.show_progress)
        s.import_clicked.connect(self.ask_import)
        s.export_clicked.connect(self.ask_export)
        s.reminders_changed.connect(self.set_reminders)
        self.progress_page.back_clicked.connect(self.show_start)

    def _actions(self) -> None:
        self.start_action = QAction("Start practice", self)
        self.start_action.setShortcut(QKeySequence(Qt.Key.Key_Space))
        self.start_action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        self.start_action.triggered.connect(self.start_practice)
        self.pause_action = QAction("Pause or resume", self)
        self.pause_action.setShortcut(QKeySequence(Qt.Key.Key_Escape))
        self.pause_action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        self.pause_action.triggered.connect(self.practice.escape)
        self.addActions([self.start_action, self.pause_action])
        self._guard = ShortcutGuard([self.start_action, self.pause_action], self._owns)
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self._guard)

    def _owns(self, obj: QObject) -> bool:
        return isinstance(obj, QWidget) and obj.window() is self

    # -- pages -------------------------------------------------------------------------------
    def show_start(self) -> None:
        m = self.model
        clearance = m.clearance()
        plan = m.today()
        self.start_page.show_state(clearance, plan, m.progress(), m.practice_hold(),
                                   m.dilator())
        self._show_reminders()
        self.stack.setCurrentWidget(self.start_page)
        self.start_action.setEnabled(plan is not None)
        self.pause_action.setEnabled(False)
        self.start_page.start_button.setFocus()

    def show_progress(self) -> None:
        self.progress_page.show_current()
        self.stack.setCurrentWidget(self.progress_page)
        self.start_action.setEnabled(False)

    # -- practice --------------------------------------------------------------------------
    def start_practice(self) -> bool:
        """Space or Start: the screening when due, then today's practice."""
        if self.stack.currentWidget() is not self.start_page:
            return False
        plan = self.model.today()
        code = self.model.patient_code()
        if plan is None or code is None:
            return False
        if self.model.screening_due():
            dialog = ScreeningDialog(self.model, self)
            self.screening = dialog  # tests answer it
            ok = dialog.exec()
            self.screening = None
            if not ok:
                self.show_start()
                return False
        self.stack.setCurrentWidget(self.practice_view)
        self.start_action.setEnabled(False)
        self.pause_action.setEnabled(True)
        if not self.practice.begin(code, plan.protocol):
            self.show_start()
            self.start_page.say(f"The practice could not start: {self.practice.error}")
            return False
        self.start_page.say("")
        return True

    screening: ScreeningDialog | None = None

    # -- files -------------------------------------------------------------------------------
    def ask_import(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Import your programme", str(Path.home()),
                                              PROGRAMME_FILTER)
        if path:
            self.import_programme_file(Path(path))

    def import_programme_file(self, path: Path) -> bool:
        try:
            out = self.model.import_programme(path)
        except (RecordsError, OSError) as exc:
            self.start_page.say(f"This file could not be used: {user_message(exc)}. Ask your "
                                "clinician for a new programme file.")
            return False
        self.show_start()
        self.start_page.say(out.text)
        return True

    def ask_export(self) -> None:
        code = self.model.patient_code() or "sessions"
        path, _ = QFileDialog.getSaveFileName(self, "Save your sessions for your clinician",
                                              str(Path.home() / f"{code}-home.bfbundle"),
                                              BUNDLE_FILTER)
        if path:
            self.export_bundle_to(Path(path))

    def export_bundle_to(self, path: Path) -> bool:
        try:
            text = self.model.export_bundle(path)
        except (RecordsError, OSError) as exc:
            self.start_page.say(f"The sessions could not be saved: {user_message(exc)}")
            return False
        self.start_page.say(text)
        return True

    # -- reminders -------------------------------------------------------------------------
    def reminder_schedule(self) -> ReminderSchedule:
        hour, minute = parse_hhmm(self.prefs.reminder_time) or (18, 0)
        return self.model.reminder_schedule(self.prefs.reminders_on, hour, minute)

    def set_reminders(self, on: bool, time: QTime) -> None:
        self.prefs.reminders_on = on
        self.prefs.reminder_time = f"{time.hour():02d}:{time.minute():02d}"
        self._save_preferences()
        self._show_reminders()

    def _show_reminders(self) -> None:
        hour, minute = parse_hhmm(self.prefs.reminder_time) or (18, 0)
        sched = self.reminder_schedule()
        now = self.model.now()
        self.start_page.show_reminders(self.prefs.reminders_on, QTime(hour, minute),
                                       describe_next(sched.next_time(now), now))

    def _reminded(self, reminder: Reminder, how: str) -> None:
        if how == "window" or self.isActiveWindow():
            self.start_page.say(f"{reminder.title}. {reminder.text}")

    def _save_preferences(self) -> None:
        if self.persist:
            keep_preferences(self.prefs)

    def show_error(self, text: str) -> None:
        """An error a person can act on (the exception hook of ``ui/app.py``)."""
        self.start_page.say(text)

    # -- closing ---------------------------------------------------------------------------
    def closeEvent(self, event: QCloseEvent | None) -> None:
        self.notifier.stop()
        self.practice.shutdown()  # a practice in progress is ended and its recording saved
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self._guard)
        self._save_preferences()
        if self._db is not None:
            self._db.close()
            self._db = None
        super().closeEvent(event)


__all__ = ["HomeWindow"]
