"""Typed results of a guided session: one record per step and a summary (JSON-ready)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any


@dataclass
class StepResult:
    index: int
    name: str  # the step's label ("Tonic hold 2 of 5")
    step: str  # the step's own name ("Hold")
    group: str
    kind: str
    start_s: float  # sample clock of the session (the recording's time when recording)
    end_s: float
    completed: bool  # ran its course (False: stopped, or a condition that timed out)
    results: dict[str, Any] = field(default_factory=dict)

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s

    def to_json_dict(self) -> dict[str, Any]:
        return {"index": self.index, "name": self.name, "step": self.step, "group": self.group,
                "kind": self.kind, "start_s": _num(self.start_s), "end_s": _num(self.end_s),
                "completed": self.completed,
                "results": {k: _num(v) for k, v in self.results.items()}}


@dataclass
class SessionResult:
    protocol: str
    title: str
    steps: list[StepResult]
    summary: dict[str, Any]
    ended: str  # "finished", "stopped", "pain" (the "Stop, I'm in pain" button)

    def to_json_dict(self) -> dict[str, Any]:
        return {"protocol": self.protocol, "title": self.title, "ended": self.ended,
                "steps": [s.to_json_dict() for s in self.steps],
                "summary": {k: _jsonable(v) for k, v in self.summary.items()}}


def compare(current: SessionResult, previous: SessionResult) -> dict[str, dict[str, float]]:
    """Per step label: measurement → change since the previous session of the protocol."""
    before = {s.name: s.results for s in previous.steps}
    out: dict[str, dict[str, float]] = {}
    for s in current.steps:
        old = before.get(s.name)
        if not old:
            continue
        deltas = {k: float(v) - float(old[k]) for k, v in s.results.items()
                  if isinstance(v, int | float) and isinstance(old.get(k), int | float)}
        if deltas:
            out[s.name] = deltas
    return out


def _num(v: Any) -> Any:
    if isinstance(v, float):
        return round(v, 6) if math.isfinite(v) else None
    return v


def _jsonable(v: Any) -> Any:
    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [_jsonable(x) for x in v]
    return _num(v)


__all__ = ["SessionResult", "StepResult", "compare"]
