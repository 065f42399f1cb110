"""Merging exchanged CBT and partner content into a patient's records (bundle import).

Rows are matched by ``uid``: a new one is added (checked like a new entry), one already here is
kept as it is, so importing the same bundle twice adds nothing. The only updates are a partner
step's agreed/done dates and notes that this copy does not have yet (ticked off at home, say).
"""

from __future__ import annotations

from sqlalchemy import Connection, Table, select

from biofeedback.storage.records import schema as s
from biofeedback.storage.records.cbt import (
    check_rating,
    check_text,
    count_rows,
    insert_practice,
    insert_thought,
    make_room,
)
from biofeedback.storage.records.errors import RecordsError
from biofeedback.storage.records.models_cbt import (
    MAX_FEELING,
    PAIN,
    SUDS,
    CbtContent,
    CbtMerge,
    ExposurePractice,
    ExposureStep,
    PartnerStep,
    ThoughtRecord,
)
from biofeedback.storage.records.timestamps import ts

_STEPS, _PRACTICE, _THOUGHTS, _PARTNER = (s.exposure_steps, s.exposure_practice,
                                          s.thought_records, s.partner_steps)


class _Tally:
    def __init__(self) -> None:
        self.added = self.updated = self.unchanged = 0

    def result(self) -> CbtMerge:
        return CbtMerge(self.added, self.updated, self.unchanged)


def merge_content(c: Connection, pid: int, content: CbtContent, where: str) -> CbtMerge:
    """See the module docstring; runs in the caller's transaction on connection ``c``."""
    n = _Tally()
    for step in sorted(content.steps, key=lambda x: x.position):
        if _known(c, _STEPS, step.uid, pid, where, "hierarchy step"):
            n.unchanged += 1
        else:
            _add_step(c, pid, step)
            n.added += 1
        for p in step.practices:
            if _practice_known(c, p.uid, pid, where):
                n.unchanged += 1
            else:
                _add_practice(c, pid, p, step.uid)
                n.added += 1
    for t in content.thoughts:
        if _known(c, _THOUGHTS, t.uid, pid, where, "thought record"):
            n.unchanged += 1
        else:
            insert_thought(c, pid, _checked_thought(t))
            n.added += 1
    for ps in sorted(content.partner, key=lambda x: x.position):
        if _known(c, _PARTNER, ps.uid, pid, where, "partner step"):
            if _fill_partner(c, ps):
                n.updated += 1
            else:
                n.unchanged += 1
        else:
            _add_partner(c, pid, ps)
            n.added += 1
    return n.result()


def _known(c: Connection, table: Table, uid: str, pid: int, where: str, what: str) -> bool:
    owner = c.execute(select(table.c.patient_id).where(table.c.uid == uid)).scalar_one_or_none()
    if owner is not None and owner != pid:
        raise RecordsError(f"{where}: {what} {uid} belongs to another patient")
    return owner is not None


def _practice_known(c: Connection, uid: str, pid: int, where: str) -> bool:
    owner = c.execute(select(_STEPS.c.patient_id)
                      .join(_PRACTICE, _PRACTICE.c.step_id == _STEPS.c.id)
                      .where(_PRACTICE.c.uid == uid)).scalar_one_or_none()
    if owner is not None and owner != pid:
        raise RecordsError(f"{where}: practice {uid} belongs to another patient")
    return owner is not None


def _add_step(c: Connection, pid: int, st: ExposureStep) -> None:
    position = min(max(1, st.position), count_rows(c, _STEPS, pid) + 1)
    c.execute(_STEPS.insert().values(
        uid=st.uid, patient_id=pid, position=make_room(c, _STEPS, pid, position),
        text=check_text(st.text, "a hierarchy step"),
        expectation=check_text(st.expectation, "an expectation", optional=True),
        anxiety=check_rating(st.anxiety, "anxiety", SUDS), created=ts(st.created)))


def _add_practice(c: Connection, pid: int, p: ExposurePractice, step_uid: str) -> None:
    link = p.session_uid
    if link is not None and c.execute(select(s.sessions.c.patient_id)
                                      .where(s.sessions.c.uid == link)
                                      ).scalar_one_or_none() != pid:
        link = None  # the session is not in this patient's records here
    insert_practice(c, ExposurePractice(
        p.uid, step_uid, p.practised, check_rating(p.anxiety_before, "anxiety before", SUDS),
        check_rating(p.anxiety_after, "anxiety after", SUDS),
        check_rating(p.pain, "pain", PAIN, optional=True),
        check_text(p.outcome, "an outcome", optional=True), link))


def _checked_thought(t: ThoughtRecord) -> ThoughtRecord:
    check_text(t.situation, "a situation")
    check_text(t.thought, "a thought")
    check_text(t.feeling, "a feeling", limit=MAX_FEELING)
    check_rating(t.intensity, "the feeling's intensity", SUDS)
    check_text(t.balanced, "a balanced thought", optional=True)
    check_rating(t.rerating, "the re-rating", SUDS, optional=True)
    return t


def _add_partner(c: Connection, pid: int, ps: PartnerStep) -> None:
    position = min(max(1, ps.position), count_rows(c, _PARTNER, pid) + 1)
    c.execute(_PARTNER.insert().values(
        uid=ps.uid, patient_id=pid, position=make_room(c, _PARTNER, pid, position),
        text=check_text(ps.text, "a partner step"),
        notes=check_text(ps.notes, "a note", optional=True), created=ts(ps.created),
        agreed=ts(ps.agreed) if ps.agreed else None, done=ts(ps.done) if ps.done else None))


def _fill_partner(c: Connection, ps: PartnerStep) -> bool:
    row = c.execute(select(_PARTNER).where(_PARTNER.c.uid == ps.uid)).mappings().one()
    values: dict[str, str] = {}
    if row["agreed"] is None and ps.agreed is not None:
        values["agreed"] = ts(ps.agreed)
    if row["done"] is None and ps.done is not None:
        values["done"] = ts(ps.done)
        if row["agreed"] is None and "agreed" not in values:
            values["agreed"] = ts(ps.done)
    if not row["notes"] and ps.notes:
        values["notes"] = check_text(ps.notes, "a note")
    if values:
        c.execute(_PARTNER.update().where(_PARTNER.c.uid == ps.uid).values(**values))
    return bool(values)


__all__ = ["merge_content"]
