"""The home start page: today's practice, one big Start button, progress, and the few other
things a person at home needs (programme import, sending sessions, reminders).

Without a programme it is a calm explanation of how to get one and a single "Import
programme..." button: practice is not offered (the clearance, ``app/home.py``).
"""

from __future__ import annotations

from PyQt6.QtCore import Qt, QTime, pyqtSignal
from PyQt6.QtWidgets import (
    QCheckBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTimeEdit,
    QVBoxLayout,
    QWidget,
)

from biofeedback.app.home import STOP_RULES, Clearance, TodayPlan
from biofeedback.app.home_progress import Progress
from biofeedback.ui import theme

START_TEXT = "Start practice"
STYLE = f"""
QLabel#homeTitle {{ font-size: 22pt; font-weight: 600; }}
QLabel#homeSection {{ font-size: 15pt; font-weight: 600; }}
QLabel#homeToday {{ font-size: 16pt; }}
QLabel#homeMessage {{ font-style: italic; color: {theme.MUTED}; }}
QLabel#homeNote {{ background: #EAF4FB; border: 1px solid {theme.SKY}; border-radius: 8px;
                   padding: 8px; }}
QFrame#homeCard {{ background: {theme.PANEL}; border: 1px solid {theme.GRID};
                   border-radius: 10px; }}
QFrame#homeCard QLabel, QFrame#homeCard QCheckBox {{ background: {theme.PANEL}; }}
"""


def _label(text: str = "", name: str = "") -> QLabel:
    w = QLabel(text)
    w.setWordWrap(True)
    w.setTextFormat(Qt.TextFormat.PlainText)
    if name:
        w.setObjectName(name)
    return w


def _card() -> tuple[QFrame, QVBoxLayout]:
    f = QFrame()
    f.setObjectName("homeCard")
    layout = QVBoxLayout(f)
    layout.setContentsMargins(18, 14, 18, 14)
    return f, layout


class StartPage(QWidget):
    """Shows what the window gives it (:meth:`show_state`); clicks leave by signals."""

    start_clicked = pyqtSignal()
    progress_clicked = pyqtSignal()
    import_clicked = pyqtSignal()
    export_clicked = pyqtSignal()
    reminders_changed = pyqtSignal(bool, QTime)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = _label("Your practice", "homeTitle")
        self.message = _label("", "homeMessage")
        self.today = _label("", "homeToday")
        self.hold = _label("", "homeNote")
        self.dilator = _label("", "hint")
        self.safety = _label(STOP_RULES, "hint")
        self.start_button = QPushButton(START_TEXT)
        self.start_button.setObjectName("primary")
        self.start_button.setMinimumHeight(72)
        self.start_button.setStyleSheet("font-size: 20pt;")
        self.start_button.setToolTip("Start today's practice (Space)")
        self.start_button.clicked.connect(self.start_clicked.emit)
        self.progress = _label("")
        self.progress.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.progress_button = QPushButton("Progress and calendar")
        self.progress_button.clicked.connect(self.progress_clicked.emit)
        self.import_button = QPushButton("Import programme\u2026")
        self.import_button.clicked.connect(self.import_clicked.emit)
        self.export_button = QPushButton("Send sessions to my clinician\u2026")
        self.export_button.setToolTip("Save your home sessions in one file to give to your "
                                      "clinician")
        self.export_button.clicked.connect(self.export_clicked.emit)
        self.reminders = QCheckBox("Remind me to practise")
        self.reminders.setToolTip("A gentle desktop notification on your programme days, "
                                  "if you have not practised yet that day")
        self.reminder_time = QTimeEdit()
        self.reminder_time.setDisplayFormat("HH:mm")
        self.reminder_next = _label("", "hint")
        self.reminders.toggled.connect(self._reminders)
        self.reminder_time.timeChanged.connect(self._reminders)
        self.status = _label("", "homeNote")
        self.status.hide()

        today_card, tl = _card()
        tl.addWidget(_label("Today", "homeSection"))
        tl.addWidget(self.today)
        tl.addWidget(self.hold)
        tl.addStretch(1)
        tl.addWidget(self.dilator)
        tl.addWidget(self.start_button)
        tl.addWidget(self.safety)
        progress_card, pl = _card()
        pl.addWidget(_label("Your progress", "homeSection"))
        pl.addWidget(self.progress, 1)
        pl.addWidget(self.progress_button, 0, Qt.AlignmentFlag.AlignLeft)
        body = QHBoxLayout()
        body.setSpacing(16)
        body.addWidget(today_card, 3)
        body.addWidget(progress_card, 2)
        self.body = QWidget()
        self.body.setLayout(body)
        remind = QHBoxLayout()
        remind.addWidget(self.reminders)
        remind.addWidget(self.reminder_time)
        remind.addWidget(self.reminder_next, 1)
        foot = QHBoxLayout()
        foot.addLayout(remind, 1)
        foot.addStretch(0)
        foot.addWidget(self.import_button)
        foot.addWidget(self.export_button)
        self.foot = QWidget()
        self.foot.setLayout(foot)
        self.no_programme = _label("", "homeNote")
        self.no_programme.setStyleSheet("font-size: 15pt;")
        outer = QVBoxLayout(self)
        outer.setContentsMargins(28, 18, 28, 14)
        outer.setSpacing(10)
        outer.addWidget(self.title)
        outer.addWidget(self.message)
        outer.addWidget(self.no_programme)
        outer.addWidget(self.body, 1)
        outer.addWidget(self.status)
        outer.addWidget(self.foot)
        outer.addStretch(0)  # without a programme: the explanation stays at the top

    def show_state(self, clearance: Clearance, plan: TodayPlan | None, progress: Progress,
                   hold: str, dilator: str | None) -> None:
        cleared = clearance.cleared and plan is not None
        self.no_programme.setVisible(not cleared)
        self.no_programme.setText("" if cleared else clearance.text)
        self.body.setVisible(cleared)
        for w in (self.export_button, self.reminders, self.reminder_time, self.reminder_next):
            w.setVisible(cleared)
        self.message.setVisible(cleared and bool(clearance.programme
                                                and clearance.programme.message))
        if not cleared or plan is None:
            self.start_button.setEnabled(False)
            return
        self.message.setText(f"From your clinician: \u201c{plan.message}\u201d"
                             if plan.message else "")
        self.today.setText("\n".join(plan.lines()))
        self.hold.setText(hold)
        self.hold.setVisible(bool(hold))
        self.start_button.setEnabled(True)
        self.progress.setText("\n".join(progress.lines()))
        self.dilator.setText(dilator or "")
        self.dilator.setVisible(bool(dilator))

    def show_reminders(self, on: bool, time: QTime, next_text: str) -> None:
        for w in (self.reminders, self.reminder_time):
            w.blockSignals(True)
        self.reminders.setChecked(on)
        self.reminder_time.setTime(time)
        self.reminder_time.setEnabled(on)
        for w in (self.reminders, self.reminder_time):
            w.blockSignals(False)
        self.reminder_next.setText(next_text)

    def say(self, text: str) -> None:
        """One calm line under the cards (an import, an export, a reminder)."""
        self.status.setText(text)
        self.status.setVisible(bool(text))

    def _reminders(self) -> None:
        self.reminder_time.setEnabled(self.reminders.isChecked())
        self.reminders_changed.emit(self.reminders.isChecked(), self.reminder_time.time())


__all__ = ["START_TEXT", "StartPage"]
