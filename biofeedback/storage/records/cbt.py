"""CBT and partner-support records: the exposure hierarchy and its practice, thought records,
partner steps and the patient's consent to show them in reports (schema version 3).

A mixin of :class:`~biofeedback.storage.records.repository.Repository`, so these calls join
``repo.transaction()`` like every other call and run on any SQLAlchemy backend. Validation is
one :class:`RecordsError` line each: ratings in range (SUDS 0-100, pain NRS 0-10, clinical.md
§6), texts of 1 to :data:`MAX_TEXT` characters. Positions of a list stay 1..n (inserting,
deleting and reordering renumber them).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Table, delete, func, select

from biofeedback.storage.records import schema as s
from biofeedback.storage.records.errors import RecordsError
from biofeedback.storage.records.models import new_session_uid, utc_now
from biofeedback.storage.records.models_cbt import (
    MAX_FEELING,
    MAX_STEPS,
    MAX_TEXT,
    PAIN,
    SUDS,
    CbtConsent,
    CbtContent,
    CbtMerge,
    ExposurePractice,
    ExposureStep,
    PartnerStep,
    ThoughtRecord,
)
from biofeedback.storage.records.timestamps import ts, when

_STEPS, _PRACTICE, _THOUGHTS, _PARTNER = (s.exposure_steps, s.exposure_practice,
                                          s.thought_records, s.partner_steps)


class CbtRecordsMixin:
    """The CBT part of the repository (see the module docstring)."""

    if TYPE_CHECKING:  # provided by Repository
        where: str

        def _read(self) -> AbstractContextManager[Connection]: ...
        def _write(self) -> AbstractContextManager[Connection]: ...
        def _patient_id(self, c: Connection, code: str) -> int: ...
        def _session_of(self, c: Connection, uid: str, pid: int) -> None: ...
        def _audit(self, c: Connection, action: str, code: str | None, detail: str) -> None: ...

    def _changed(self, c: Connection, pid: int, detail: str) -> None:
        """Audit a change of the patient's CBT records in the same transaction. The detail
        names what kind of entry changed, never its words (they stay in the record)."""
        code = c.execute(select(s.patients.c.code).where(s.patients.c.id == pid)).scalar_one()
        self._audit(c, "changed", code, detail)

    # -- exposure hierarchy ---------------------------------------------------------------
    def add_exposure_step(self, code: str, text: str, anxiety: float, *,
                          expectation: str | None = None, position: int | None = None,
                          uid: str | None = None, created: dt.datetime | None = None
                          ) -> ExposureStep:
        """A new rung of the ladder at ``position`` (1-based; default: the end)."""
        row = {"text": check_text(text, "a hierarchy step"),
               "expectation": check_text(expectation, "an expectation", optional=True),
               "anxiety": check_rating(anxiety, "anxiety", SUDS),
               "uid": uid or new_session_uid(), "created": ts(created or utc_now())}
        with self._write() as c:
            pid = self._patient_id(c, code)
            row["position"] = make_room(c, _STEPS, pid, position)
            c.execute(_STEPS.insert().values(patient_id=pid, **row))
            self._changed(c, pid, "exposure step added")
            return self._steps(c, pid, code, _STEPS.c.uid == row["uid"])[0]

    def exposure_steps(self, code: str) -> list[ExposureStep]:
        """The ladder in order, each step with its practices (oldest first)."""
        with self._read() as c:
            return self._steps(c, self._patient_id(c, code), code)

    def reorder_exposure_steps(self, code: str, uids: Sequence[str]) -> list[ExposureStep]:
        """Put the ladder in the order of ``uids`` (every step of the patient, once)."""
        with self._write() as c:
            pid = self._patient_id(c, code)
            _reorder(c, _STEPS, pid, uids, self.where)
            self._changed(c, pid, "exposure steps reordered")
            return self._steps(c, pid, code)

    def delete_exposure_step(self, uid: str) -> None:
        with self._write() as c:
            pid = _owner(c, _STEPS, uid, self.where, "hierarchy step")
            c.execute(delete(_STEPS).where(_STEPS.c.uid == uid))
            _renumber(c, _STEPS, pid)
            self._changed(c, pid, "exposure step deleted")

    def add_exposure_practice(self, step_uid: str, anxiety_before: float, anxiety_after: float,
                              *, pain: float | None = None, outcome: str | None = None,
                              session_uid: str | None = None,
                              practised: dt.datetime | None = None, uid: str | None = None
                              ) -> ExposurePractice:
        """One practice of a step, re-rated before and after (SUDS 0-100)."""
        p = ExposurePractice(
            uid or new_session_uid(), step_uid, practised or utc_now(),
            check_rating(anxiety_before, "anxiety before", SUDS),
            check_rating(anxiety_after, "anxiety after", SUDS),
            check_rating(pain, "pain", PAIN, optional=True),
            check_text(outcome, "an outcome", optional=True), session_uid)
        with self._write() as c:
            pid = _owner(c, _STEPS, step_uid, self.where, "hierarchy step")
            if session_uid is not None:
                self._session_of(c, session_uid, pid)
            insert_practice(c, p)
            self._changed(c, pid, "exposure practice added")
        return p

    def _steps(self, c: Connection, pid: int, code: str, where: Any = None
               ) -> list[ExposureStep]:
        q = select(_STEPS).where(_STEPS.c.patient_id == pid)
        if where is not None:
            q = q.where(where)
        rows = c.execute(q.order_by(_STEPS.c.position, _STEPS.c.id)).mappings().all()
        practices: dict[int, list[ExposurePractice]] = {r["id"]: [] for r in rows}
        if rows:
            for r in c.execute(select(_PRACTICE, _STEPS.c.uid.label("step_uid"))
                               .join(_STEPS, _STEPS.c.id == _PRACTICE.c.step_id)
                               .where(_PRACTICE.c.step_id.in_(list(practices)))
                               .order_by(_PRACTICE.c.practised, _PRACTICE.c.id)).mappings():
                practices[r["step_id"]].append(ExposurePractice(
                    r["uid"], r["step_uid"], when(r["practised"]), r["anxiety_before"],
                    r["anxiety_after"], r["pain"], r["outcome"], r["session_uid"]))
        return [ExposureStep(r["uid"], code.strip(), r["position"], r["text"], r["anxiety"],
                             when(r["created"]), r["expectation"], tuple(practices[r["id"]]))
                for r in rows]

    # -- thought records --------------------------------------------------------------------
    def add_thought(self, code: str, situation: str, thought: str, feeling: str,
                    intensity: float, *, balanced: str | None = None,
                    rerating: float | None = None, taken: dt.datetime | None = None,
                    uid: str | None = None) -> ThoughtRecord:
        t = ThoughtRecord(
            uid or new_session_uid(), code.strip(), taken or utc_now(),
            check_text(situation, "a situation"), check_text(thought, "a thought"),
            check_text(feeling, "a feeling", limit=MAX_FEELING),
            check_rating(intensity, "the feeling's intensity", SUDS),
            check_text(balanced, "a balanced thought", optional=True),
            check_rating(rerating, "the re-rating", SUDS, optional=True))
        with self._write() as c:
            pid = self._patient_id(c, code)
            insert_thought(c, pid, t)
            self._changed(c, pid, "thought record added")
        return t

    def thoughts(self, code: str) -> list[ThoughtRecord]:
        """The patient's thought records, oldest first."""
        with self._read() as c:
            pid = self._patient_id(c, code)
            rows = c.execute(select(_THOUGHTS).where(_THOUGHTS.c.patient_id == pid)
                             .order_by(_THOUGHTS.c.taken, _THOUGHTS.c.id)).mappings().all()
        return [ThoughtRecord(r["uid"], code.strip(), when(r["taken"]), r["situation"],
                              r["thought"], r["feeling"], r["intensity"], r["balanced"],
                              r["rerating"]) for r in rows]

    def delete_thought(self, uid: str) -> None:
        with self._write() as c:
            pid = _owner(c, _THOUGHTS, uid, self.where, "thought record")
            c.execute(delete(_THOUGHTS).where(_THOUGHTS.c.uid == uid))
            self._changed(c, pid, "thought record deleted")

    # -- partner steps ------------------------------------------------------------------------
    def add_partner_step(self, code: str, text: str, *, notes: str | None = None,
                         position: int | None = None, uid: str | None = None,
                         created: dt.datetime | None = None) -> PartnerStep:
        row = {"text": check_text(text, "a partner step"),
               "notes": check_text(notes, "a note", optional=True),
               "uid": uid or new_session_uid(), "created": ts(created or utc_now())}
        with self._write() as c:
            pid = self._patient_id(c, code)
            row["position"] = make_room(c, _PARTNER, pid, position)
            c.execute(_PARTNER.insert().values(patient_id=pid, **row))
            self._changed(c, pid, "partner step added")
        return self._partner_step(row["uid"])

    def partner_steps(self, code: str) -> list[PartnerStep]:
        with self._read() as c:
            pid = self._patient_id(c, code)
            rows = c.execute(select(_PARTNER, s.patients.c.code)
                             .join(s.patients, s.patients.c.id == _PARTNER.c.patient_id)
                             .where(_PARTNER.c.patient_id == pid)
                             .order_by(_PARTNER.c.position, _PARTNER.c.id)).mappings().all()
        return [_partner(r) for r in rows]

    def set_partner_agreed(self, uid: str, agreed: bool = True,
                           at: dt.datetime | None = None) -> PartnerStep:
        """Mark a step agreed by both (or not any more: that also clears "done")."""
        values = {"agreed": ts(at or utc_now())} if agreed else {"agreed": None, "done": None}
        return self._update_partner(uid, values)

    def set_partner_done(self, uid: str, done: bool = True,
                         at: dt.datetime | None = None) -> PartnerStep:
        """Tick a step off as done together (a step done was agreed: set if it was not)."""
        if not done:
            return self._update_partner(uid, {"done": None})
        stamp = ts(at or utc_now())
        step = self._partner_step(uid)
        values = {"done": stamp} | ({} if step.agreed is not None else {"agreed": stamp})
        return self._update_partner(uid, values)

    def set_partner_notes(self, uid: str, notes: str | None) -> PartnerStep:
        return self._update_partner(uid, {"notes": check_text(notes, "a note", optional=True)})

    def reorder_partner_steps(self, code: str, uids: Sequence[str]) -> list[PartnerStep]:
        with self._write() as c:
            pid = self._patient_id(c, code)
            _reorder(c, _PARTNER, pid, uids, self.where)
            self._changed(c, pid, "partner steps reordered")
        return self.partner_steps(code)

    def delete_partner_step(self, uid: str) -> None:
        with self._write() as c:
            pid = _owner(c, _PARTNER, uid, self.where, "partner step")
            c.execute(delete(_PARTNER).where(_PARTNER.c.uid == uid))
            _renumber(c, _PARTNER, pid)
            self._changed(c, pid, "partner step deleted")

    def _update_partner(self, uid: str, values: dict[str, Any]) -> PartnerStep:
        with self._write() as c:
            pid = _owner(c, _PARTNER, uid, self.where, "partner step")
            c.execute(_PARTNER.update().where(_PARTNER.c.uid == uid).values(**values))
            self._changed(c, pid, "partner step updated")
        return self._partner_step(uid)

    def _partner_step(self, uid: str) -> PartnerStep:
        with self._read() as c:
            row = c.execute(select(_PARTNER, s.patients.c.code)
                            .join(s.patients, s.patients.c.id == _PARTNER.c.patient_id)
                            .where(_PARTNER.c.uid == uid)).mappings().first()
        if row is None:
            raise RecordsError(f"{self.where}: no partner step {uid}")
        return _partner(row)

    # -- consent ------------------------------------------------------------------------------
    def cbt_consent(self, code: str) -> CbtConsent:
        """Whether CBT and partner content may appear in reports; never asked = no."""
        with self._read() as c:
            pid = self._patient_id(c, code)
            row = c.execute(select(s.cbt_consent).where(s.cbt_consent.c.patient_id == pid)
                            ).mappings().first()
        if row is None:
            return CbtConsent(code.strip())
        return CbtConsent(code.strip(), bool(row["reports"]), when(row["changed"]))

    def set_cbt_consent(self, code: str, reports: bool) -> CbtConsent:
        stamp = ts(utc_now())
        with self._write() as c:
            pid = self._patient_id(c, code)
            c.execute(delete(s.cbt_consent).where(s.cbt_consent.c.patient_id == pid))
            c.execute(s.cbt_consent.insert().values(patient_id=pid, reports=bool(reports),
                                                    changed=stamp))
            self._changed(c, pid, "report consent for CBT and partner content: "
                                  + ("given" if reports else "not given"))
        return self.cbt_consent(code)

    # -- exchange -----------------------------------------------------------------------------
    def cbt_content(self, code: str) -> CbtContent:
        return CbtContent(tuple(self.exposure_steps(code)), tuple(self.thoughts(code)),
                          tuple(self.partner_steps(code)))

    def merge_cbt(self, code: str, content: CbtContent) -> CbtMerge:
        """Add exchanged content to the patient's (one transaction): rows with a new ``uid``
        are added, rows already here are kept as they are, except that a partner step's
        agreed/done dates and notes missing here are filled in. A practice's session link is
        kept when that session is this patient's here. A ``uid`` of another patient is an
        error (nothing is merged)."""
        from biofeedback.storage.records.cbt_merge import merge_content  # it uses our helpers

        with self._write() as c:
            pid = self._patient_id(c, code)
            merged = merge_content(c, pid, content, self.where)
            if merged.added or merged.updated:
                self._changed(c, pid, f"CBT and partner entries from a bundle: {merged.added} "
                                      f"added, {merged.updated} updated")
            return merged


# -- row helpers (also used by cbt_merge) ------------------------------------------------
def insert_practice(c: Connection, p: ExposurePractice) -> None:
    sid = c.execute(select(_STEPS.c.id).where(_STEPS.c.uid == p.step_uid)).scalar_one()
    c.execute(_PRACTICE.insert().values(
        uid=p.uid, step_id=sid, practised=ts(p.practised), anxiety_before=p.anxiety_before,
        anxiety_after=p.anxiety_after, pain=p.pain, outcome=p.outcome, session_uid=p.session_uid))


def insert_thought(c: Connection, pid: int, t: ThoughtRecord) -> None:
    c.execute(_THOUGHTS.insert().values(
        uid=t.uid, patient_id=pid, taken=ts(t.taken), situation=t.situation, thought=t.thought,
        feeling=t.feeling, intensity=t.intensity, balanced=t.balanced, rerating=t.rerating))


def count_rows(c: Connection, table: Table, pid: int) -> int:
    return int(c.execute(select(func.count()).select_from(table)
                         .where(table.c.patient_id == pid)).scalar_one())


def make_room(c: Connection, table: Table, pid: int, position: int | None) -> int:
    """The position a new row takes (1..n+1), moving the rows at and after it down one."""
    n = count_rows(c, table, pid)
    if n >= MAX_STEPS:
        raise RecordsError(f"a list holds at most {MAX_STEPS} steps")
    if position is None:
        return n + 1
    if isinstance(position, bool) or not isinstance(position, int) or not 1 <= position <= n + 1:
        raise RecordsError(f"position {position!r} is outside 1-{n + 1}")
    c.execute(table.update().where(table.c.patient_id == pid, table.c.position >= position)
              .values(position=table.c.position + 1))
    return position


def _renumber(c: Connection, table: Table, pid: int) -> None:
    ids = c.execute(select(table.c.id).where(table.c.patient_id == pid)
                    .order_by(table.c.position, table.c.id)).scalars().all()
    for i, rid in enumerate(ids, 1):
        c.execute(table.update().where(table.c.id == rid).values(position=i))


def _reorder(c: Connection, table: Table, pid: int, uids: Sequence[str], where: str) -> None:
    have = c.execute(select(table.c.uid).where(table.c.patient_id == pid)).scalars().all()
    if sorted(uids) != sorted(have):
        raise RecordsError(f"{where}: a new order must name each of the {len(have)} steps once")
    for i, uid in enumerate(uids, 1):
        c.execute(table.update().where(table.c.uid == uid).values(position=i))


def _owner(c: Connection, table: Table, uid: str, where: str, what: str) -> int:
    pid = c.execute(select(table.c.patient_id).where(table.c.uid == uid)).scalar_one_or_none()
    if pid is None:
        raise RecordsError(f"{where}: no {what} {uid}")
    return int(pid)


def _partner(r: Any) -> PartnerStep:
    return PartnerStep(r["uid"], r["code"], r["position"], r["text"], when(r["created"]),
                       when(r["agreed"]) if r["agreed"] else None,
                       when(r["done"]) if r["done"] else None, r["notes"])


def check_text(text: str | None, what: str, *, optional: bool = False,
               limit: int = MAX_TEXT) -> Any:
    """``text`` stripped; None/empty is allowed only when ``optional`` (then None)."""
    if text is None or not str(text).strip():
        if optional:
            return None
        raise RecordsError(f"{what} needs some text (1 to {limit} characters)")
    if not isinstance(text, str) or len(text.strip()) > limit:
        raise RecordsError(f"{what} has at most {limit} characters")
    return text.strip()


def check_rating(value: float | None, what: str, bounds: tuple[float, float], *,
                 optional: bool = False) -> Any:
    lo, hi = bounds
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) \
            or not math.isfinite(value) or not lo <= value <= hi:
        raise RecordsError(f"{what} is rated {lo:g}-{hi:g} (got {value!r})")
    return float(value)


__all__ = ["CbtRecordsMixin", "check_rating", "check_text", "count_rows", "insert_practice",
           "insert_thought", "make_room"]
