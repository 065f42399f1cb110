"""Stored times: UTC text that round-trips to the same instant; a naive time is one clear error."""

from __future__ import annotations

import datetime as dt

import pytest

from biofeedback.storage.records import RecordsError
from biofeedback.storage.records.timestamps import ts, when


def test_a_time_is_stored_as_utc_text_and_read_back_as_the_same_instant():
    t = dt.datetime(2026, 3, 2, 18, 5, 0, 1234, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    text = ts(t)
    assert text == "2026-03-02T17:05:00.001234+00:00"
    assert when(text) == t and when(text).tzinfo is not None


def test_a_time_without_a_zone_is_refused_in_one_line():
    with pytest.raises(RecordsError, match="has no time zone"):
        ts(dt.datetime(2026, 3, 2, 18, 5))
