"""Practice reminders for the prescribed schedule: when to remind, and what to say (pure).

Off by default (the person turns them on in home mode). On a programme day (every day when the
programme names no days) one gentle reminder at the chosen time of day, and none when the
person has already practised that day or was reminded already. The window asks
:meth:`ReminderSchedule.due` on a timer with the time *now*; nothing here reads a clock, so
tests step through days with an injected time. The wording invites, never scolds.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

DAY_INDEX = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}


@dataclass(frozen=True)
class Reminder:
    at: dt.datetime  # when it became due (the person's local time)
    title: str
    text: str


@dataclass(frozen=True)
class ReminderSchedule:
    enabled: bool = False
    hour: int = 18
    minute: int = 0
    days: tuple[str, ...] = ()  # the programme's days ("mon".."sun"); empty: every day
    minutes: int = 15  # the programme's practice length

    def practice_day(self, day: dt.date) -> bool:
        return not self.days or day.weekday() in {DAY_INDEX[d] for d in self.days}

    def time_on(self, day: dt.date, tz: dt.tzinfo | None) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(self.hour, self.minute), tzinfo=tz)

    def due(self, now: dt.datetime, practised_days: Sequence[dt.date],
            last_reminded: dt.datetime | None) -> Reminder | None:
        """The reminder to show now, if one is due (``now`` is timezone-aware)."""
        if not self.enabled:
            return None
        today = now.date()
        at = self.time_on(today, now.tzinfo)
        if not self.practice_day(today) or now < at or today in set(practised_days):
            return None
        if last_reminded is not None and last_reminded.astimezone(now.tzinfo).date() == today:
            return None
        return Reminder(at, "Time for your practice",
                        f"When it suits you today: about {self.minutes} min of practice from "
                        "your programme. Find a quiet, comfortable place.")

    def next_time(self, now: dt.datetime) -> dt.datetime | None:
        """When the next reminder could come (shown beside the switch), None when off."""
        if not self.enabled:
            return None
        for k in range(8):
            day = now.date() + dt.timedelta(days=k)
            at = self.time_on(day, now.tzinfo)
            if self.practice_day(day) and at > now:
                return at
        return None


def describe_next(at: dt.datetime | None, now: dt.datetime) -> str:
    """``"Next reminder: today at 18:00"`` (or tomorrow, or a weekday)."""
    if at is None:
        return "Reminders are off."
    days = (at.date() - now.date()).days
    when = "today" if days == 0 else "tomorrow" if days == 1 else at.strftime("%A")
    return f"Next reminder: {when} at {at:%H:%M}."


__all__ = ["Reminder", "ReminderSchedule", "describe_next"]
