"""Home progress and the practice calendar: encouraging, never punitive (pure, no Qt, no clock).

Everything here is computed from the patient's stored sessions and "now" (given by the caller,
a timezone-aware time: its zone is the person's, so "today" and "this week" are theirs). The
words follow the tone of voice of clinical.md §7 and the issue: what was done is counted and
welcomed; what was not done is never named ("missed", red marks, lost streaks), and a day
without practice is simply a day.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from biofeedback.storage.records import SessionRecord

RELAXED_PERCENT = 70.0  # [D] a session "reached relaxation": this much line time below the line


@dataclass(frozen=True)
class Progress:
    streak_days: int  # days in a row with practice, up to today (or yesterday: today is open)
    minutes_this_week: float  # ISO week (Monday first), the person's time zone
    sessions_this_week: int
    planned_per_week: int | None  # the programme's sessions per week (None: no programme)
    relaxed_sessions: int  # whole sessions that reached relaxation (below the line mostly)
    total_sessions: int
    best_below_percent: float | None  # the best time below the line in one session
    last_below_percent: float | None

    def lines(self) -> list[str]:
        """The progress in a few calm sentences."""
        if self.total_sessions == 0:
            return ["Your practice will show here after your first session."]
        out = []
        if self.streak_days >= 2:
            out.append(f"You have practised {self.streak_days} days in a row.")
        elif self.streak_days == 1:
            out.append("You practised today or yesterday: well done for making time.")
        week = f"This week: {minutes_text(self.minutes_this_week)} in {self.sessions_this_week} " \
               f"session{'s' if self.sessions_this_week != 1 else ''}"
        if self.planned_per_week:
            week += f" (your programme suggests about {self.planned_per_week} a week)"
        out.append(week + ".")
        if self.relaxed_sessions:
            out.append(f"You reached relaxation (below the line most of the time) in "
                       f"{self.relaxed_sessions} of {self.total_sessions} sessions.")
        if self.best_below_percent is not None:
            out.append(f"Your best so far: {self.best_below_percent:.0f} % of the time "
                       "below the line.")
        out.append("Every practice counts, however it went.")
        return out


@dataclass(frozen=True)
class CalendarDay:
    date: dt.date
    in_month: bool  # False: a day of the previous or next month filling the first/last week
    minutes: float  # practised that day
    sessions: int
    scheduled: bool  # a programme day (only a soft outline: nothing is "missed")
    today: bool

    @property
    def practised(self) -> bool:
        return self.sessions > 0


@dataclass(frozen=True)
class Month:
    year: int
    month: int
    weeks: tuple[tuple[CalendarDay, ...], ...]  # Monday first
    practice_days: int
    minutes: float

    @property
    def title(self) -> str:
        return f"{calendar.month_name[self.month]} {self.year}"


def minutes_text(minutes: float) -> str:
    """``"15 min"``; a short practice is "under 1 min", never "0 min"."""
    return "under 1 min" if 0 < minutes < 0.5 else f"{minutes:.0f} min"


def local_day(t: dt.datetime, tz: dt.tzinfo | None) -> dt.date:
    return t.astimezone(tz).date()


def below_percent(r: SessionRecord) -> float | None:
    v = r.summary.get("percent_below_line")
    return float(v) if isinstance(v, int | float) and not isinstance(v, bool) else None


def minutes_by_day(sessions: Sequence[SessionRecord],
                   tz: dt.tzinfo | None) -> dict[dt.date, tuple[float, int]]:
    out: dict[dt.date, tuple[float, int]] = {}
    for r in sessions:
        day = local_day(r.started, tz)
        m, n = out.get(day, (0.0, 0))
        out[day] = (m + max(0.0, r.duration_s) / 60.0, n + 1)
    return out


def progress(sessions: Sequence[SessionRecord], now: dt.datetime,
             planned_per_week: int | None = None) -> Progress:
    tz = now.tzinfo
    today = now.date()
    days = minutes_by_day(sessions, tz)
    streak = 0
    day = today if today in days else today - dt.timedelta(days=1)
    while day in days:
        streak += 1
        day -= dt.timedelta(days=1)
    monday = today - dt.timedelta(days=today.weekday())
    week = [r for r in sessions if monday <= local_day(r.started, tz) <= today]
    below = [(r.started, b) for r in sessions
             if r.ended == "finished" and (b := below_percent(r)) is not None]
    below.sort(key=lambda x: x[0])
    return Progress(
        streak_days=streak,
        minutes_this_week=sum(max(0.0, r.duration_s) for r in week) / 60.0,
        sessions_this_week=len(week), planned_per_week=planned_per_week,
        relaxed_sessions=sum(1 for _, b in below if b >= RELAXED_PERCENT),
        total_sessions=len(sessions),
        best_below_percent=max((b for _, b in below), default=None),
        last_below_percent=below[-1][1] if below else None)


def month(sessions: Sequence[SessionRecord], year: int, month_no: int, now: dt.datetime,
          scheduled_weekdays: Sequence[int] = ()) -> Month:
    """The month's weeks (Monday first) with practice marked; ``scheduled_weekdays`` are the
    programme's days (0 = Monday), drawn as a soft outline only."""
    days = minutes_by_day(sessions, now.tzinfo)
    today = now.date()
    weeks = []
    for week in calendar.Calendar(firstweekday=0).monthdatescalendar(year, month_no):
        row = []
        for d in week:
            m, n = days.get(d, (0.0, 0))
            row.append(CalendarDay(d, d.month == month_no, m, n,
                                   d.weekday() in scheduled_weekdays, d == today))
        weeks.append(tuple(row))
    inside = [c for w in weeks for c in w if c.in_month]
    return Month(year, month_no, tuple(weeks), sum(1 for c in inside if c.practised),
                 sum(c.minutes for c in inside))


def shift_month(year: int, month_no: int, delta: int) -> tuple[int, int]:
    """``(year, month)`` ``delta`` months away."""
    k = year * 12 + (month_no - 1) + delta
    return k // 12, k % 12 + 1


__all__ = ["RELAXED_PERCENT", "CalendarDay", "Month", "Progress", "below_percent",
           "minutes_text", "month", "progress", "shift_month"]
