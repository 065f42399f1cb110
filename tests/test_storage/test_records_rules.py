"""Trend points per session and week, and the dilator progression rule (pure functions)."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from biofeedback.storage.records import DilatorEntry, Rating
from biofeedback.storage.records.progression import (
    Attempt,
    ProgressionRule,
    attempts,
    meets,
    suggest,
)
from biofeedback.storage.records.trends import trends

T0 = dt.datetime(2026, 3, 2, 18, tzinfo=dt.UTC)  # Monday


def test_trend_points_and_practice_weeks(make_session):
    a = make_session(day=0, pain=4, size=2)
    b = dataclasses.replace(make_session(day=15, pain=1), ratings=(
        Rating("pain", 1, 0, "before"), Rating("pain", 3, 9, "after"),
        Rating("anxiety", 20, 0, "")), duration_s=1200.0)
    t = trends([b, a])
    p0, p1 = t.points
    assert p0.session_uid == a.uid and p1.session_uid == b.uid
    assert p0.baseline_uv == pytest.approx(3.0) and p1.baseline_uv == pytest.approx(4.5)
    assert p0.cv_percent == 10.0 and p0.max_contraction_uv == 42.0
    assert p0.recovery_latency_s == pytest.approx((1.1 + 1.2) / 2)
    assert (p0.pain, p0.anxiety, p0.dilator_size, p0.minutes) == (4.0, 40.0, 2, 10.0)
    assert (p1.pain, p1.anxiety, p1.dilator_size) == (3.0, 20.0, None)  # the highest rated
    assert [(w.week_start.isoformat(), w.minutes, w.sessions) for w in t.weeks] == [
        ("2026-03-02", 10.0, 1), ("2026-03-09", 0.0, 0), ("2026-03-16", 20.0, 1)]
    d = t.to_json_dict()
    assert d["points"][0]["started"] == a.started.isoformat()
    assert d["weeks"][1] == {"week_start": "2026-03-09", "minutes": 0.0, "sessions": 0}
    assert trends([]).points == () and trends([]).weeks == ()


def _a(day: int, size: int, *, pain: float = 1.0, full: bool = True, hold_min: float = 10.0,
       ratio: float = 1.1) -> Attempt:
    return Attempt(T0 + dt.timedelta(days=day),
                   DilatorEntry(size, full, hold_min * 60, pain, 3.0 * ratio, 3.0))


SIZES = [1, 2, 3, 4]


@pytest.mark.parametrize(("history", "action", "size"), [
    ([], "start", 1),
    ([_a(0, 2)], "stay", 2),  # one good session is not two
    ([_a(0, 2), _a(1, 2)], "advance", 3),  # two in a row: full, 10 min, pain <= 3, mu <= 1.2 mu_B
    ([_a(0, 2), _a(1, 2, pain=3.0)], "advance", 3),  # pain 3/10 is still within the rule
    ([_a(0, 2), _a(1, 2, pain=3.5)], "stay", 2),
    ([_a(0, 2), _a(1, 2, ratio=1.3)], "stay", 2),  # hold EMG above 1.2 x baseline
    ([_a(0, 2), _a(1, 2, full=False)], "stay", 2),
    ([_a(0, 2), _a(1, 2, hold_min=9)], "stay", 2),
    ([_a(0, 2), _a(1, 1), _a(2, 2)], "stay", 2),  # not consecutive at the size
    ([_a(0, 3), _a(1, 3, pain=6)], "step_back", 2),  # pain >= 6/10
    ([_a(0, 3, full=False), _a(1, 3, hold_min=2)], "step_back", 2),  # two failed attempts
    ([_a(0, 1, pain=7)], "step_back", 1),  # nothing smaller: stays at the smallest
    ([_a(0, 4), _a(1, 4)], "maintenance", 4),  # the largest of the set, comfortable
])
def test_the_progression_rule_suggests(history, action, size):
    s = suggest(history, SIZES)
    assert (s.action, s.size) == (action, size)
    assert s.text.startswith("Suggestion:") and s.text.endswith("You decide.")


def test_the_rule_is_configurable_and_conservative_without_data():
    h = [_a(0, 2, hold_min=5, pain=2)]
    assert suggest(h, SIZES).action == "stay"
    rule = ProgressionRule(sessions_required=1, hold_target_min=5)
    assert (suggest(h, SIZES, rule).action, suggest(h, SIZES, rule).size) == ("advance", 3)
    assert suggest([], SIZES, start_size=3).size == 3
    unknown = DilatorEntry(2, True, 600, None, None, None)
    assert not meets(unknown, ProgressionRule())
    assert ProgressionRule(pain_max=7, step_back_pain=6).problems()


def test_attempts_come_from_sessions_with_a_dilator_entry(make_session):
    s = [make_session(day=3, size=2), make_session(day=1), make_session(day=0, size=1)]
    assert [a.entry.size for a in attempts(s)] == [1, 2]
