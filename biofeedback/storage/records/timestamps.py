"""Times as the records store them: ISO-8601 text in UTC with microseconds, the same on SQLite
and PostgreSQL, so stored rows sort and compare as text and two quick sessions keep their order.
"""

from __future__ import annotations

import datetime as dt

from biofeedback.storage.records.errors import RecordsError


def ts(t: dt.datetime) -> str:
    """``t`` as stored; a naive time is refused (its zone would be a guess)."""
    if t.tzinfo is None:
        raise RecordsError(f"time {t.isoformat()} has no time zone (use UTC)")
    return t.astimezone(dt.UTC).isoformat(timespec="microseconds")


def when(text: str) -> dt.datetime:
    """A stored time back as an aware :class:`~datetime.datetime`."""
    return dt.datetime.fromisoformat(text)


__all__ = ["ts", "when"]
