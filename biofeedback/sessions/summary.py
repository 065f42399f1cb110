"""The end-of-session summary: what a person and a clinician read first.

* ``baseline_uv``: the resting level of the step that set it (the marked rest), else the one in
  force; ``after_before_ratio``: the last rest's mean over that baseline (Glazer post/pre
  baseline, "relaxation after work", clinical.md §2 [D]);
* ``percent_below_line``: time-weighted over the steps that measured it;
* ``ratings``: each rating step's answer by its name (pain NRS 0-10, anxiety SUDS 0-100);
* ``blocks``: for repeated blocks, each measurement averaged over the repetitions per sub-step
  (Glazer: "averaged over the 5 reps", clinical.md §2);
* ``breathing``: per breathing step, the breath rate, in/out-breath times and the share of
  breaths released on the in-breath (``signal/breathing.py``, clinical.md §5).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from biofeedback.sessions.protocol import Protocol, StepKind
from biofeedback.sessions.results import StepResult


def summarize(protocol: Protocol, results: Sequence[StepResult],
              baseline_uv: float) -> dict[str, Any]:
    steps = protocol.steps
    base = math.nan
    for r in results:
        if steps[r.index].sets_baseline and isinstance(r.results.get("mean_uv"), float):
            base = float(r.results["mean_uv"])
            break
    if not math.isfinite(base):
        base = baseline_uv
    rests = [r for r in results if steps[r.index].kind is StepKind.REST
             and not steps[r.index].sets_baseline and not steps[r.index].group
             and isinstance(r.results.get("mean_uv"), float)]
    ratio = None
    if rests and math.isfinite(base) and base > 0:
        ratio = float(rests[-1].results["mean_uv"]) / base
    below = [(r.duration_s, r.results["percent_below_line"]) for r in results
             if isinstance(r.results.get("percent_below_line"), float) and r.duration_s > 0]
    total = sum(d for d, _ in below)
    return {
        "planned_s": protocol.planned_s,
        "practised_s": sum(r.duration_s for r in results),
        "steps_completed": sum(1 for r in results if r.completed),
        "steps_total": len(steps),
        "baseline_uv": base if math.isfinite(base) else None,
        "after_before_ratio": ratio,
        "percent_below_line": sum(d * p for d, p in below) / total if total else None,
        "ratings": {r.step: r.results.get("rating") for r in results
                    if steps[r.index].kind is StepKind.RATING},
        "blocks": _blocks(results),
        "breathing": {r.name: {k[len("breathing_"):]: v for k, v in r.results.items()
                               if k.startswith("breathing_")}
                      for r in results if any(k.startswith("breathing_") for k in r.results)},
    }


def _blocks(results: Sequence[StepResult]) -> dict[str, dict[str, dict[str, float]]]:
    acc: dict[str, dict[str, dict[str, list[float]]]] = defaultdict(
        lambda: defaultdict(lambda: defaultdict(list)))
    for r in results:
        if not r.group:
            continue
        for k, v in r.results.items():
            if isinstance(v, int | float) and math.isfinite(v):
                acc[r.group][r.step][k].append(float(v))
    return {g: {s: {k: sum(v) / len(v) for k, v in m.items()} for s, m in subs.items()}
            for g, subs in acc.items()}


__all__ = ["summarize"]
