"""Practice reminders as desktop notifications (off by default; the switch is on the start page).

The schedule and the wording are Qt-free (``app/home_reminders.py``); here a minute timer asks
the model whether one is due and shows it: through the system tray's balloon
(``QSystemTrayIcon.showMessage``) when the desktop has a tray, else through freedesktop's
``notify-send`` when it is installed, else as a line on the start page. A reminder is shown at
most once a day and never after that day's practice.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
from collections.abc import Callable

from PyQt6.QtCore import QObject, QTimer, pyqtSignal
from PyQt6.QtGui import QIcon
from PyQt6.QtWidgets import QApplication, QStyle, QSystemTrayIcon

from biofeedback.app.home import HomeModel
from biofeedback.app.home_reminders import Reminder, ReminderSchedule

log = logging.getLogger(__name__)
CHECK_MS = 60_000


def notify_send(title: str, text: str) -> bool:
    """A freedesktop notification through ``notify-send`` (False: not installed or failed)."""
    exe = shutil.which("notify-send")
    if exe is None:
        return False
    try:
        subprocess.run([exe, "--app-name=biofeedback", title, text], check=True, timeout=5,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    except (OSError, subprocess.SubprocessError) as exc:
        log.info("notify-send did not show the reminder: %s", exc)
        return False
    return True


class ReminderNotifier(QObject):
    """Checks every minute while the home window is open; ``shown`` carries the reminder and
    how it was shown (``"tray"``, ``"notify-send"`` or ``"window"``)."""

    shown = pyqtSignal(object, str)

    def __init__(self, model: HomeModel, schedule: Callable[[], ReminderSchedule],
                 parent: QObject | None = None, *, interval_ms: int = CHECK_MS) -> None:
        super().__init__(parent)
        self.model = model
        self.schedule = schedule
        self.tray: QSystemTrayIcon | None = None
        self.send: Callable[[str, str], bool] = notify_send
        self.timer = QTimer(self)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self.check)
        self.timer.start()

    def check(self) -> Reminder | None:
        """Show the reminder that is due now, if any."""
        schedule = self.schedule()
        if not schedule.enabled:
            return None
        reminder = self.model.reminder_due(schedule)
        if reminder is None:
            return None
        how = self._show(reminder)
        self.model.mark_reminded()
        self.shown.emit(reminder, how)
        return reminder

    def _show(self, r: Reminder) -> str:
        if QSystemTrayIcon.isSystemTrayAvailable() and QSystemTrayIcon.supportsMessages():
            if self.tray is None:
                self.tray = QSystemTrayIcon(self._icon(), self)
                self.tray.setToolTip("Biofeedback practice")
            self.tray.show()
            self.tray.showMessage(r.title, r.text, QSystemTrayIcon.MessageIcon.Information,
                                  15_000)
            return "tray"
        if self.send(r.title, r.text):
            return "notify-send"
        return "window"

    @staticmethod
    def _icon() -> QIcon:
        app = QApplication.instance()
        style = app.style() if isinstance(app, QApplication) else None
        return style.standardIcon(QStyle.StandardPixmap.SP_MessageBoxInformation) \
            if style is not None else QIcon()

    def stop(self) -> None:
        self.timer.stop()
        if self.tray is not None:
            self.tray.hide()


__all__ = ["ReminderNotifier", "notify_send"]
