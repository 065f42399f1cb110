"""Trend points per session and practice per week, from stored sessions (pure, no I/O).

For the CLI (``patients show --json``), the PDF report and the clinic window's charts. Each
point is one session; a value is None when that session did not measure it:

* ``baseline_uv``: the session's resting baseline μ_B (``summary.baseline_uv``);
* ``cv_percent``: variability of the resting baseline, the first rest step's ``cv_percent``
  (else 100·sd/mean of that step);
* ``recovery_latency_s``: mean of the steps' ``recovery_latency_s`` (release → back within
  μ + 2σ);
* ``max_contraction_uv``: the largest ``contraction_peak_uv`` (else ``peak_uv`` of contract
  steps) of the session;
* ``pain``, ``anxiety``: the highest pain NRS (0-10) and anxiety SUDS (0-100) rated in it;
* ``dilator_size``: the size practised (dilator log);
* ``minutes``: time practised (``duration_s`` / 60).

Weeks are ISO weeks (Monday, UTC): minutes and sessions per week, weeks without practice
included as zero between the first and the last session.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from biofeedback.storage.records.models import SessionRecord, StepRecord


@dataclass(frozen=True)
class TrendPoint:
    session_uid: str
    started: dt.datetime
    protocol: str
    baseline_uv: float | None
    cv_percent: float | None
    recovery_latency_s: float | None
    max_contraction_uv: float | None
    pain: float | None
    anxiety: float | None
    dilator_size: int | None
    minutes: float


@dataclass(frozen=True)
class WeekPoint:
    week_start: dt.date  # Monday
    minutes: float
    sessions: int


@dataclass(frozen=True)
class Trends:
    points: tuple[TrendPoint, ...]
    weeks: tuple[WeekPoint, ...]

    def to_json_dict(self) -> dict[str, Any]:
        def clean(d: dict[str, Any]) -> dict[str, Any]:
            return {k: (v.isoformat() if isinstance(v, dt.date | dt.datetime) else
                        (round(v, 6) if isinstance(v, float) else v)) for k, v in d.items()}
        return {"points": [clean(asdict(p)) for p in self.points],
                "weeks": [clean(asdict(w)) for w in self.weeks]}


def trends(sessions: Sequence[SessionRecord]) -> Trends:
    ordered = sorted(sessions, key=lambda r: (r.started, r.uid))
    return Trends(tuple(trend_point(r) for r in ordered), _weeks(ordered))


def trend_point(r: SessionRecord) -> TrendPoint:
    pains = [x.value for x in r.ratings if x.scale == "pain"]
    anx = [x.value for x in r.ratings if x.scale == "anxiety"]
    recs = [v for st in r.steps if (v := _num(st.metrics.get("recovery_latency_s"))) is not None]
    return TrendPoint(
        session_uid=r.uid, started=r.started, protocol=r.protocol,
        baseline_uv=_num(r.summary.get("baseline_uv")), cv_percent=_rest_cv(r.steps),
        recovery_latency_s=sum(recs) / len(recs) if recs else None,
        max_contraction_uv=_max_contraction(r.steps),
        pain=max(pains) if pains else None, anxiety=max(anx) if anx else None,
        dilator_size=r.dilator.size if r.dilator is not None else None,
        minutes=r.duration_s / 60.0)


def week_start(t: dt.datetime) -> dt.date:
    day = t.astimezone(dt.UTC).date()
    return day - dt.timedelta(days=day.weekday())


def _weeks(ordered: Sequence[SessionRecord]) -> tuple[WeekPoint, ...]:
    if not ordered:
        return ()
    minutes: dict[dt.date, float] = {}
    count: dict[dt.date, int] = {}
    for r in ordered:
        w = week_start(r.started)
        minutes[w] = minutes.get(w, 0.0) + r.duration_s / 60.0
        count[w] = count.get(w, 0) + 1
    first, last = min(minutes), max(minutes)
    out = []
    w = first
    while w <= last:
        out.append(WeekPoint(w, minutes.get(w, 0.0), count.get(w, 0)))
        w += dt.timedelta(days=7)
    return tuple(out)


def _num(v: object) -> float | None:
    if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
        return None
    return float(v)


def _rest_cv(steps: Sequence[StepRecord]) -> float | None:
    for st in steps:
        if st.kind != "rest":
            continue
        cv = _num(st.metrics.get("cv_percent"))
        if cv is not None:
            return cv
        mean, sd = _num(st.metrics.get("mean_uv")), _num(st.metrics.get("sd_uv"))
        if mean and sd is not None:
            return 100.0 * sd / mean
    return None


def _max_contraction(steps: Sequence[StepRecord]) -> float | None:
    peaks = [v for st in steps if (v := _num(st.metrics.get("contraction_peak_uv"))) is not None]
    if not peaks:
        peaks = [v for st in steps if st.kind in ("contract", "hold")
                 and (v := _num(st.metrics.get("peak_uv"))) is not None]
    return max(peaks) if peaks else None


__all__ = ["TrendPoint", "Trends", "WeekPoint", "trend_point", "trends", "week_start"]
