"""Progress and the practice calendar: what was done, in calm colours (no red, no crosses).

A practice day is a soft green disc with the minutes; a programme day is a faint blue outline
(a plan, never a debt: an unpractised programme day looks like any other day); today is
underlined. Colour is never alone: practised days also carry the minutes in words.
"""

from __future__ import annotations

from PyQt6.QtCore import Qt, pyqtSignal
from PyQt6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from biofeedback.app.home import HomeModel
from biofeedback.app.home_progress import CalendarDay, Month, shift_month
from biofeedback.ui import theme

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
PRACTISED_FILL = "#D5EFE6"  # a light tint of the palette's green
PLANNED_EDGE = "#A9CBE3"  # a light tint of the palette's blue


def day_style(c: CalendarDay) -> str:
    border = f"2px dashed {PLANNED_EDGE}" if c.scheduled and not c.practised else \
        f"1px solid {theme.GRID}"
    fill = PRACTISED_FILL if c.practised else theme.PANEL
    colour = theme.TEXT if c.in_month else theme.GRID
    weight = "700" if c.today else "400"
    under = "underline" if c.today else "none"
    return (f"background: {fill}; border: {border}; border-radius: 10px; color: {colour}; "
            f"font-weight: {weight}; text-decoration: {under};")


def day_text(c: CalendarDay) -> str:
    if not c.practised or not c.in_month:
        return str(c.date.day)
    return f"{c.date.day}\n{c.minutes:.0f} min"


class MonthCalendar(QWidget):
    """A month grid, Monday first; :meth:`show_month` fills it."""

    def __init__(self, parent: QWidget | None = None, *, compact: bool = False) -> None:
        super().__init__(parent)
        self.grid = QGridLayout(self)
        self.grid.setSpacing(4 if compact else 6)
        self.grid.setContentsMargins(0, 0, 0, 0)
        for col, name in enumerate(WEEKDAYS):
            head = QLabel(name)
            head.setObjectName("hint")
            head.setAlignment(Qt.AlignmentFlag.AlignCenter)
            self.grid.addWidget(head, 0, col)
        self.cells: list[QLabel] = []
        for row in range(6):
            for col in range(7):
                cell = QLabel("")
                cell.setAlignment(Qt.AlignmentFlag.AlignCenter)
                cell.setMinimumSize(34 if compact else 64, 30 if compact else 48)
                self.grid.addWidget(cell, row + 1, col)
                self.cells.append(cell)
        for row in range(1, 7):
            self.grid.setRowStretch(row, 1)
        self.month: Month | None = None

    def show_month(self, m: Month) -> None:
        self.month = m
        days = [c for w in m.weeks for c in w]
        for i, cell in enumerate(self.cells):
            if i < len(days):
                c = days[i]
                cell.setText(day_text(c))
                cell.setStyleSheet(day_style(c))
                tip = c.date.strftime("%A %d %B")
                if c.practised:
                    tip += f": practised {c.minutes:.0f} min"
                elif c.scheduled:
                    tip += ": a programme day"
                cell.setToolTip(tip)
                cell.show()
            else:
                cell.hide()

    def day_cell(self, day: int) -> QLabel | None:
        """The cell of ``day`` of the shown month (tests)."""
        if self.month is None:
            return None
        days = [c for w in self.month.weeks for c in w]
        for c, cell in zip(days, self.cells, strict=False):
            if c.in_month and c.date.day == day:
                return cell
        return None


class ProgressView(QWidget):
    """The progress page: a few encouraging lines and the month calendar with navigation."""

    back_clicked = pyqtSignal()

    def __init__(self, model: HomeModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        title = QLabel("Your progress")
        title.setObjectName("homeTitle")
        self.lines = QLabel("")
        self.lines.setWordWrap(True)
        self.lines.setObjectName("homeLines")
        self.month_title = QLabel("")
        self.month_title.setObjectName("homeSection")
        self.month_note = QLabel("")
        self.month_note.setObjectName("hint")
        self.prev_button = QPushButton("\u2039 Earlier")
        self.next_button = QPushButton("Later \u203a")
        self.prev_button.clicked.connect(lambda: self.step(-1))
        self.next_button.clicked.connect(lambda: self.step(1))
        self.calendar = MonthCalendar()
        self.key = QLabel("Green: a day you practised. Dashed outline: a day in your programme.")
        self.key.setObjectName("hint")
        self.back_button = QPushButton("Back to today")
        self.back_button.setMinimumHeight(48)
        self.back_button.clicked.connect(self.back_clicked.emit)
        nav = QHBoxLayout()
        nav.addWidget(self.prev_button)
        nav.addStretch(1)
        nav.addWidget(self.month_title)
        nav.addStretch(1)
        nav.addWidget(self.next_button)
        left = QVBoxLayout()
        left.addWidget(self.lines)
        left.addStretch(1)
        left.addWidget(self.back_button, 0, Qt.AlignmentFlag.AlignLeft)
        right = QVBoxLayout()
        right.addLayout(nav)
        right.addWidget(self.calendar, 1)
        right.addWidget(self.month_note)
        right.addWidget(self.key)
        body = QHBoxLayout()
        body.addLayout(left, 2)
        body.addSpacing(24)
        body.addLayout(right, 3)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(32, 20, 32, 20)
        outer.addWidget(title)
        outer.addLayout(body, 1)
        now = model.now()
        self.year, self.month_no = now.year, now.month

    def refresh(self) -> None:
        self.lines.setText("\n\n".join(self.model.progress().lines()))
        m = self.model.month(self.year, self.month_no)
        self.month_title.setText(m.title)
        self.calendar.show_month(m)
        self.month_note.setText(
            f"{m.practice_days} practice day{'s' if m.practice_days != 1 else ''}, "
            f"{m.minutes:.0f} min this month." if m.practice_days else "")
        now = self.model.now()
        self.next_button.setEnabled((self.year, self.month_no) < (now.year, now.month))

    def step(self, delta: int) -> None:
        self.year, self.month_no = shift_month(self.year, self.month_no, delta)
        self.refresh()

    def show_current(self) -> None:
        now = self.model.now()
        self.year, self.month_no = now.year, now.month
        self.refresh()


__all__ = ["MonthCalendar", "ProgressView", "day_style", "day_text"]
