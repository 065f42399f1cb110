"""Qt-free models of the CBT and partner-support views: the exposure hierarchy with its
re-ratings, the thought record, the partner steps, and the report consent.

Each model is bound to one patient of a repository and returns the records' frozen dataclasses,
so the Qt views (``ui/cbt/``) and the command line show the same thing. The explanations and the
default ladder come from clinical.md §6 ("Graded exposure / CBT"; "Implications for the app");
wording is calm and never judges: a step is never "failed", a hint only says what the ratings
show, and the person decides. Errors are :class:`RecordsError`, one line each.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from biofeedback.storage.records import Repository
from biofeedback.storage.records.models_cbt import (
    CbtConsent,
    ExposurePractice,
    ExposureStep,
    PartnerStep,
    ThoughtRecord,
)

#: clinical.md §6: repeat a step until the predicted catastrophe seems <= 20 % likely and the
#: SUDS peak is <= 40; progress is not gated on the drop within one practice alone.
CALM_PEAK = 40.0

#: clinical.md §6, "Exposure hierarchy builder": the usual ladder, offered as suggestions
DEFAULT_LADDER = (
    "Look at and touch the vulva (with a mirror)",
    "Fingertip at the entrance",
    "Own finger inside",
    "Tampon or the smallest dilator",
    "Larger dilators",
    "Partner's finger",
    "Partner-held dilator",
    "Penile contact without penetration",
    "Penetration",
)

EXPLANATIONS = {
    "hierarchy": (
        "Your ladder: small steps from the least to the most feared, each rated 0-100 for "
        "how anxious it makes you (0 = calm, 100 = the most anxious you can imagine). Write "
        "what you expect to happen, practise a step, then rate it before and after and note "
        "what actually happened. Many people repeat a step several times; the next one can "
        "wait until a step feels manageable (around 40 or less) and the feared outcome seems "
        "unlikely. You decide when to move on."),
    "thoughts": (
        "A thought record helps to look at a worrying thought calmly. Note the situation, "
        "the thought that came up, the feeling and how strong it was (0-100); then write a "
        "more balanced thought and rate the feeling again. Every entry helps, short or long."),
    "partner": (
        "Steps to share with your partner: closeness without penetration first, then the "
        "partner joining in step by step. Agree on each step together and tick it off when "
        "you have done it together. Pausing or going back a step is always fine."),
    "consent": (
        "These pages are private. They appear in the report for your care team only if you "
        "agree, and you can change your mind at any time."),
}


def step_hint(step: ExposureStep) -> str | None:
    """A calm remark on what the last practice's ratings show, or None."""
    if not step.practices:
        return None
    last = step.practices[-1]
    if last.peak <= CALM_PEAK:
        return ("The last practice stayed at 40 or below. When the feared outcome also seems "
                "unlikely, this step may be ready for the next one; repeating it is fine too.")
    return "Practising this step again is a good next step, whenever you feel ready."


class _Bound:
    def __init__(self, repo: Repository, code: str) -> None:
        self.repo = repo
        self.code = repo.get_patient(code).code


class HierarchyModel(_Bound):
    """The exposure hierarchy of one patient (clinical.md §6)."""

    explanation = EXPLANATIONS["hierarchy"]
    suggestions = DEFAULT_LADDER

    def steps(self) -> list[ExposureStep]:
        return self.repo.exposure_steps(self.code)

    def add(self, text: str, anxiety: float, expectation: str | None = None,
            position: int | None = None) -> ExposureStep:
        return self.repo.add_exposure_step(self.code, text, anxiety, expectation=expectation,
                                           position=position)

    def rate(self, step_uid: str, before: float, after: float, *, pain: float | None = None,
             outcome: str | None = None, session_uid: str | None = None) -> ExposurePractice:
        """Record one practice of a step with its ratings before and after."""
        return self.repo.add_exposure_practice(step_uid, before, after, pain=pain,
                                               outcome=outcome, session_uid=session_uid)

    def move(self, step_uid: str, delta: int) -> list[ExposureStep]:
        """Move a step up (delta < 0) or down the ladder; the ends stay where they are."""
        uids = [s.uid for s in self.steps()]
        i = uids.index(step_uid)
        j = min(max(i + delta, 0), len(uids) - 1)
        uids.insert(j, uids.pop(i))
        return self.repo.reorder_exposure_steps(self.code, uids)

    def rank_by_anxiety(self) -> list[ExposureStep]:
        """Order the ladder by each step's latest anxiety rating, calmest first (stable)."""
        ranked = sorted(self.steps(), key=lambda s: s.current_anxiety)
        return self.repo.reorder_exposure_steps(self.code, [s.uid for s in ranked])

    def remove(self, step_uid: str) -> None:
        self.repo.delete_exposure_step(step_uid)

    def hint(self, step: ExposureStep) -> str | None:
        return step_hint(step)


class ThoughtModel(_Bound):
    """The thought records of one patient."""

    explanation = EXPLANATIONS["thoughts"]

    def records(self) -> list[ThoughtRecord]:
        return self.repo.thoughts(self.code)

    def add(self, situation: str, thought: str, feeling: str, intensity: float,
            balanced: str | None = None, rerating: float | None = None) -> ThoughtRecord:
        return self.repo.add_thought(self.code, situation, thought, feeling, intensity,
                                     balanced=balanced, rerating=rerating)

    def remove(self, uid: str) -> None:
        self.repo.delete_thought(uid)


class PartnerModel(_Bound):
    """The partner steps of one patient (agreed and ticked off together)."""

    explanation = EXPLANATIONS["partner"]

    def steps(self) -> list[PartnerStep]:
        return self.repo.partner_steps(self.code)

    def add(self, text: str, notes: str | None = None) -> PartnerStep:
        return self.repo.add_partner_step(self.code, text, notes=notes)

    def set_agreed(self, uid: str, agreed: bool) -> PartnerStep:
        return self.repo.set_partner_agreed(uid, agreed)

    def set_done(self, uid: str, done: bool) -> PartnerStep:
        return self.repo.set_partner_done(uid, done)

    def set_notes(self, uid: str, notes: str | None) -> PartnerStep:
        return self.repo.set_partner_notes(uid, notes)

    def remove(self, uid: str) -> None:
        self.repo.delete_partner_step(uid)

    def progress(self) -> tuple[int, int, int]:
        """``(steps, agreed, done)``: counts, for a calm "3 of 5 done together" line."""
        steps = self.steps()
        return (len(steps), sum(s.agreed is not None for s in steps),
                sum(s.done is not None for s in steps))


class ConsentModel(_Bound):
    """Whether CBT and partner content may appear in reports (default: no)."""

    explanation = EXPLANATIONS["consent"]

    def get(self) -> CbtConsent:
        return self.repo.cbt_consent(self.code)

    def set(self, reports: bool) -> CbtConsent:
        return self.repo.set_cbt_consent(self.code, reports)


@dataclass(frozen=True)
class CbtModels:
    """All four models of one patient, for a window that shows them together."""

    hierarchy: HierarchyModel
    thoughts: ThoughtModel
    partner: PartnerModel
    consent: ConsentModel


def cbt_models(repo: Repository, code: str) -> CbtModels:
    args: tuple[Any, ...] = (repo, code)
    return CbtModels(HierarchyModel(*args), ThoughtModel(*args), PartnerModel(*args),
                     ConsentModel(*args))


__all__ = ["CALM_PEAK", "DEFAULT_LADDER", "EXPLANATIONS", "CbtModels", "ConsentModel",
           "HierarchyModel", "PartnerModel", "ThoughtModel", "cbt_models", "step_hint"]
