"""What the CBT and partner-support records return: frozen dataclasses, no database types.

The psychological half of treatment (clinical.md §6 "Graded exposure / CBT"): an exposure
hierarchy ranked by anxiety (SUDS 0-100, Wolpe) and practised step by step, a simple thought
record, and the partner steps a couple agrees and ticks off together. Every row has a ``uid``
(32 hex) that stays the same on every computer, so a bundle imported twice adds nothing.
Times are timezone-aware UTC datetimes, as in :mod:`.models`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

SUDS = (0.0, 100.0)  # anxiety / feeling intensity, Wolpe 1969
PAIN = (0.0, 10.0)  # NRS
MAX_TEXT = 2000  # one step, situation, thought or note
MAX_FEELING = 80
MAX_STEPS = 200  # per patient and list


@dataclass(frozen=True)
class ExposurePractice:
    """One practice of a hierarchy step, rated before and after."""

    uid: str
    step_uid: str
    practised: dt.datetime
    anxiety_before: float  # SUDS 0-100
    anxiety_after: float
    pain: float | None = None  # NRS 0-10
    outcome: str | None = None  # what actually happened (the expectancy check)
    session_uid: str | None = None  # the biofeedback session it was practised in

    @property
    def peak(self) -> float:
        return max(self.anxiety_before, self.anxiety_after)


@dataclass(frozen=True)
class ExposureStep:
    uid: str
    patient_code: str
    position: int  # 1 = first (least feared) rung of the ladder
    text: str
    anxiety: float  # the initial rating, SUDS 0-100
    created: dt.datetime
    expectation: str | None = None  # what the person expects to happen
    practices: tuple[ExposurePractice, ...] = ()  # oldest first

    @property
    def current_anxiety(self) -> float:
        """The latest re-rating (the last practice's peak), else the initial rating."""
        return self.practices[-1].peak if self.practices else self.anxiety


@dataclass(frozen=True)
class ThoughtRecord:
    uid: str
    patient_code: str
    taken: dt.datetime
    situation: str
    thought: str  # the catastrophic thought
    feeling: str  # "afraid", "ashamed"...
    intensity: float  # 0-100
    balanced: str | None = None  # the balanced thought
    rerating: float | None = None  # the feeling's intensity after the balanced thought, 0-100


@dataclass(frozen=True)
class PartnerStep:
    uid: str
    patient_code: str
    position: int
    text: str
    created: dt.datetime
    agreed: dt.datetime | None = None  # when both agreed to this step
    done: dt.datetime | None = None  # when it was done together
    notes: str | None = None


@dataclass(frozen=True)
class CbtConsent:
    """Whether the patient agreed to CBT and partner content in reports (default: no)."""

    patient_code: str
    reports: bool = False
    changed: dt.datetime | None = None  # None: never asked


@dataclass(frozen=True)
class CbtContent:
    """A patient's whole CBT and partner content (exchange, report)."""

    steps: tuple[ExposureStep, ...] = ()
    thoughts: tuple[ThoughtRecord, ...] = ()
    partner: tuple[PartnerStep, ...] = ()

    @property
    def empty(self) -> bool:
        return not (self.steps or self.thoughts or self.partner)


@dataclass(frozen=True)
class CbtMerge:
    """What merging exchanged content changed: new rows, and partner steps whose agreed/done
    dates were filled in."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0


__all__ = ["MAX_FEELING", "MAX_STEPS", "MAX_TEXT", "PAIN", "SUDS", "CbtConsent", "CbtContent",
           "CbtMerge", "ExposurePractice", "ExposureStep", "PartnerStep", "ThoughtRecord"]
