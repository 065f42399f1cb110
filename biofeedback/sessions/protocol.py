"""What a guided-session protocol is: plain data, loaded from TOML files a therapist can edit.

A protocol is a list of steps. Each step has a kind (what the person does), a duration or a
completion condition with a time-out, instruction text, a target (what the feedback shows as
success) and the measurements to report. Repeated blocks (``repeat = 5`` with sub-steps) are
expanded when the file is loaded, so the runner only ever sees a flat list.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class StepKind(enum.StrEnum):
    REST = "rest"  # lie quietly (baselines)
    RELAX = "relax"  # let go after an effort, stay below the line
    CONTRACT = "contract"  # squeeze (quick flick or hold) at a share of the person's maximum
    HOLD = "hold"  # endurance: hold a level
    BREATHE = "breathe"  # follow the breathing pacer, soften on the in-breath
    RELEASE_DROP = "release_drop"  # reverse Kegel: gently bulge / drop on the out-breath
    DILATOR_INSERT = "dilator_insert"  # insert the dilator slowly, pausing to release
    DILATOR_HOLD = "dilator_hold"  # keep the dilator in place, stay relaxed
    RATING = "rating"  # the person rates pain (0-10) or anxiety (0-100)
    INSTRUCTION = "instruction"  # read / do something; no measurement


SIGNAL_KINDS = frozenset(StepKind) - {StepKind.RATING, StepKind.INSTRUCTION}


class TargetKind(enum.StrEnum):
    NONE = "none"
    BELOW_LINE = "below_line"  # stay below the "relax below" line
    PERCENT_MAX = "percent_max"  # reach a share of the person's own maximum contraction
    FOLLOW_PACER = "follow_pacer"  # breathe with the pacer


@dataclass(frozen=True)
class Target:
    kind: TargetKind = TargetKind.NONE
    percent: float = 0.0  # PERCENT_MAX: share of the person's maximum, 0-100
    line_factor: float | None = None  # BELOW_LINE: the line at baseline × factor for this step


@dataclass(frozen=True)
class Pacer:
    """Breathing pacer: in-breath then out-breath (clinical.md §5: about 6/min, longer exhale)."""

    inhale_s: float = 3.0
    exhale_s: float = 7.0

    @property
    def rate_per_min(self) -> float:
        return 60.0 / (self.inhale_s + self.exhale_s)

    @property
    def ie_ratio(self) -> float:
        return self.inhale_s / self.exhale_s


@dataclass(frozen=True)
class Rating:
    scale: str  # "pain" (NRS 0-10) or "anxiety" (SUDS 0-100)
    question: str
    low: int = 0
    high: int = 10


@dataclass(frozen=True)
class Until:
    """Completion condition: the step ends early once the person has been relaxed (below the
    line) for ``relaxed_s`` in a row, or at ``timeout_s`` whatever happens."""

    relaxed_s: float
    timeout_s: float


@dataclass(frozen=True)
class Step:
    name: str
    kind: StepKind
    instruction: str
    duration_s: float | None = None  # None: until the condition, the answer or "Next"
    until: Until | None = None
    target: Target = field(default_factory=Target)
    measure: tuple[str, ...] = ()
    pacer: Pacer | None = None
    rating: Rating | None = None
    effort: float | None = None  # CONTRACT/HOLD: share of the person's maximum (0-1)
    sets_baseline: bool = False  # this rest is the marked rest the session's baseline comes from
    group: str = ""  # the repeated block this step came from ("" at top level)
    repetition: int = 0  # 1..N inside a repeated block
    repetitions: int = 0

    @property
    def label(self) -> str:
        """What people see: ``Tonic hold 2 of 5``."""
        if self.repetitions:
            return f"{self.name} {self.repetition} of {self.repetitions}"
        return self.name

    @property
    def planned_s(self) -> float | None:
        if self.duration_s is not None:
            return self.duration_s
        return self.until.timeout_s if self.until is not None else None


@dataclass(frozen=True)
class Protocol:
    name: str
    title: str
    description: str
    steps: tuple[Step, ...]
    safety: str
    sources: tuple[str, ...] = ()
    path: str = ""  # the file it was read from ("builtin:NAME" for the shipped ones)

    @property
    def planned_s(self) -> float:
        return sum(s.planned_s or 0.0 for s in self.steps)

    @property
    def ratings(self) -> tuple[Step, ...]:
        return tuple(s for s in self.steps if s.kind is StepKind.RATING)


#: Every measurement a step may ask for (formulas in docs/sessions.md).
MEASURES = (
    "mean_uv", "sd_uv", "cv_percent", "peak_uv", "percent_below_line", "longest_below_s",
    "relaxation_latency_s", "end_level_ratio", "contractions", "contraction_peak_uv",
    "rise_time_s", "recovery_latency_s", "strain_s", "rating",
    "breathing",  # breathe steps: rate, in/out-breath, release on the in-breath (pressure)
)

DEFAULT_SAFETY = (
    "Stop if you feel sharp or increasing pain, see more than light spotting, or feel faint "
    "or panicky beyond what you can tolerate, and contact your clinician. This practice "
    "supports treatment guided by your clinician; it does not diagnose."
)

__all__ = ["DEFAULT_SAFETY", "MEASURES", "SIGNAL_KINDS", "Pacer", "Protocol", "Rating", "Step",
           "StepKind", "Target", "TargetKind", "Until"]
