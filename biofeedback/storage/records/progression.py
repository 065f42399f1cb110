"""Dilator progression: a pure rule that *suggests* the next size; the person decides.

Defaults from clinical.md §6 (dilator module [D], clinical lore, no trial-tested criterion):
*advance* when, on 2 consecutive sessions at the current size, insertion was full, the hold
lasted at least the target (10 min) with pain ≤ 3/10 and the EMG mean during the hold
≤ 1.2·μ_B; *step back* if pain ≥ 6/10 or after two failed attempts in a row; once the largest
size of the set is met, *maintenance*: a weekly session at the largest comfortable size.
Every threshold is a field of :class:`ProgressionRule` the therapist can change (the programme
file carries it, ``app/programme.py``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from biofeedback.storage.records.models import DilatorEntry, SessionRecord


@dataclass(frozen=True)
class ProgressionRule:
    sessions_required: int = 2  # consecutive sessions meeting the criteria at one size
    hold_target_min: float = 10.0  # clinical.md §6: 10 min (5-15 configurable)
    pain_max: float = 3.0  # NRS: advance only with pain <= this
    emg_hold_ratio_max: float = 1.2  # hold μ <= ratio · μ_B
    step_back_pain: float = 6.0  # NRS: a session with pain >= this suggests a smaller size
    failed_attempts_back: int = 2  # failed attempts in a row at one size suggest a smaller size
    maintenance_per_week: int = 1

    def problems(self) -> list[str]:
        out = []
        if not 1 <= self.sessions_required <= 20:
            out.append("sessions_required must be 1-20")
        if not 0 < self.hold_target_min <= 60:
            out.append("hold_target_min must be more than 0 and at most 60 minutes")
        if not 0 <= self.pain_max < self.step_back_pain <= 10:
            out.append("need 0 <= pain_max < step_back_pain <= 10 (pain NRS)")
        if not 1.0 <= self.emg_hold_ratio_max <= 5.0:
            out.append("emg_hold_ratio_max must be 1-5")
        if not 1 <= self.failed_attempts_back <= 20:
            out.append("failed_attempts_back must be 1-20")
        if not 1 <= self.maintenance_per_week <= 7:
            out.append("maintenance_per_week must be 1-7")
        return out


@dataclass(frozen=True)
class Attempt:
    """One dilator practice, as the rule sees it."""

    started: dt.datetime
    entry: DilatorEntry


@dataclass(frozen=True)
class Suggestion:
    action: str  # "start", "stay", "advance", "step_back", "maintenance"
    size: int  # the size suggested for the next practice
    reason: str  # one sentence, ends with "you decide" wording in `text`

    @property
    def text(self) -> str:
        return f"Suggestion: {_WORDS[self.action]} size {self.size}. {self.reason} You decide."


_WORDS = {"start": "start with", "stay": "stay at", "advance": "move on to",
          "step_back": "go back to", "maintenance": "weekly maintenance with"}


def attempts(sessions: Sequence[SessionRecord]) -> list[Attempt]:
    """The dilator practices among ``sessions``, oldest first."""
    return sorted((Attempt(r.started, r.dilator) for r in sessions if r.dilator is not None),
                  key=lambda a: a.started)


def meets(entry: DilatorEntry, rule: ProgressionRule) -> bool:
    """Full insertion, hold ≥ target, pain ≤ limit and hold μ ≤ ratio·μ_B (unknown pain or
    EMG never meets the rule: the suggestion stays conservative)."""
    if not entry.full_insertion or entry.hold_s < rule.hold_target_min * 60.0 - 1e-6:
        return False
    if entry.pain_max is None or entry.pain_max > rule.pain_max:
        return False
    if entry.hold_mean_uv is None or not entry.baseline_uv or entry.baseline_uv <= 0:
        return False
    return entry.hold_mean_uv <= rule.emg_hold_ratio_max * entry.baseline_uv


def suggest(history: Sequence[Attempt], sizes: Sequence[int], rule: ProgressionRule | None = None,
            start_size: int | None = None) -> Suggestion:
    """The next size for ``history`` (oldest first) within the set ``sizes`` (size numbers)."""
    rule = rule or ProgressionRule()
    ladder = sorted(set(sizes))
    if not ladder:
        raise ValueError("the dilator set has no sizes")
    if not history:
        first = start_size if start_size in ladder else ladder[0]
        return Suggestion("start", first, "No dilator practice is recorded yet.")
    last = history[-1].entry
    size = last.size
    smaller = max((s for s in ladder if s < size), default=size)
    larger = min((s for s in ladder if s > size), default=None)
    if last.pain_max is not None and last.pain_max >= rule.step_back_pain:
        return Suggestion("step_back", smaller,
                          f"The last practice hurt ({last.pain_max:g}/10).")
    run = _run_at(history, size)
    fails = 0
    for a in reversed(run):
        if meets(a.entry, rule):
            break
        fails += 1
    if fails >= rule.failed_attempts_back and smaller != size:
        return Suggestion("step_back", smaller,
                          f"The last {fails} practices at size {size} did not meet the goal.")
    good = 0
    for a in reversed(run):
        if not meets(a.entry, rule):
            break
        good += 1
    if good >= rule.sessions_required:
        if larger is None:
            return Suggestion("maintenance", size,
                              f"Size {size} is the largest of the set and is comfortable; "
                              f"practise {rule.maintenance_per_week}x a week to keep it.")
        return Suggestion("advance", larger,
                          f"The last {good} practices at size {size} met the goal "
                          f"(full insertion, {rule.hold_target_min:g} min hold, pain "
                          f"<= {rule.pain_max:g}/10, relaxed hold).")
    need = rule.sessions_required - good
    return Suggestion("stay", size, f"{need} more practice(s) meeting the goal at size {size} "
                      "before moving on.")


def _run_at(history: Sequence[Attempt], size: int) -> list[Attempt]:
    """The latest consecutive attempts at ``size``."""
    out: list[Attempt] = []
    for a in reversed(history):
        if a.entry.size != size:
            break
        out.append(a)
    return out[::-1]


__all__ = ["Attempt", "ProgressionRule", "Suggestion", "attempts", "meets", "suggest"]
