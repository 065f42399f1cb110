"""CBT and partner content as JSON objects and back (bundles, ``--json`` lists), validated.

:func:`cbt_from_dict` checks every field of a bundle's ``cbt`` object and raises one
:class:`RecordsError` line naming the file and the field, before anything is written.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from biofeedback.storage.records.codec import UID, _Fields, time_text
from biofeedback.storage.records.errors import RecordsError
from biofeedback.storage.records.models_cbt import (
    MAX_FEELING,
    MAX_STEPS,
    MAX_TEXT,
    CbtContent,
    ExposurePractice,
    ExposureStep,
    PartnerStep,
    ThoughtRecord,
)

MAX_PRACTICES = 2000  # per step


def _t(t: dt.datetime | None) -> str | None:
    return None if t is None else time_text(t)


def practice_to_dict(p: ExposurePractice) -> dict[str, Any]:
    return {"uid": p.uid, "practised": time_text(p.practised),
            "anxiety_before": p.anxiety_before, "anxiety_after": p.anxiety_after,
            "pain": p.pain, "outcome": p.outcome, "session_uid": p.session_uid}


def step_to_dict(st: ExposureStep) -> dict[str, Any]:
    return {"uid": st.uid, "position": st.position, "text": st.text,
            "expectation": st.expectation, "anxiety": st.anxiety,
            "current_anxiety": st.current_anxiety, "created": time_text(st.created),
            "practices": [practice_to_dict(p) for p in st.practices]}


def thought_to_dict(t: ThoughtRecord) -> dict[str, Any]:
    return {"uid": t.uid, "taken": time_text(t.taken), "situation": t.situation,
            "thought": t.thought, "feeling": t.feeling, "intensity": t.intensity,
            "balanced": t.balanced, "rerating": t.rerating}


def partner_to_dict(p: PartnerStep) -> dict[str, Any]:
    return {"uid": p.uid, "position": p.position, "text": p.text, "created": time_text(p.created),
            "agreed": _t(p.agreed), "done": _t(p.done), "notes": p.notes}


def cbt_to_dict(c: CbtContent) -> dict[str, Any]:
    return {"hierarchy": [step_to_dict(s) for s in c.steps],
            "thoughts": [thought_to_dict(t) for t in c.thoughts],
            "partner_steps": [partner_to_dict(p) for p in c.partner]}


def cbt_from_dict(d: Any, where: str, code: str) -> CbtContent:
    """The content of a bundle's ``cbt`` object for patient ``code``; every field checked
    (ranges are checked again when the rows are stored)."""
    f = _Fields(d, f"{where}: cbt", "cbt object")
    steps = tuple(_step(x, where, code) for x in f.list("hierarchy", MAX_STEPS))
    thoughts = tuple(_thought(x, where, code) for x in f.list("thoughts", 100_000))
    partner = tuple(_partner(x, where, code) for x in f.list("partner_steps", MAX_STEPS))
    uids = [s.uid for s in steps] + [p.uid for s in steps for p in s.practices] \
        + [t.uid for t in thoughts] + [p.uid for p in partner]
    if len(set(uids)) != len(uids):
        raise RecordsError(f"{where}: cbt: an entry appears twice")
    return CbtContent(steps, thoughts, partner)


def _uid(f: _Fields, key: str = "uid") -> str:
    uid = f.text(key, 32)
    if not UID.fullmatch(uid):
        raise RecordsError(f"{f.where}: {f.what} field {key!r} is not an id (32 hex digits)")
    return uid


def _opt_uid(f: _Fields, key: str) -> str | None:
    return None if f.d.get(key) is None else _uid(f, key)


def _opt_time(f: _Fields, key: str) -> dt.datetime | None:
    return None if f.d.get(key) is None else f.time(key)


def _step(d: Any, where: str, code: str) -> ExposureStep:
    f = _Fields(d, f"{where}: cbt", "hierarchy step")
    uid = _uid(f)
    practices = tuple(_practice(x, where, uid) for x in f.list("practices", MAX_PRACTICES))
    return ExposureStep(uid, code, int(f.number("position", 1, MAX_STEPS)),
                        f.text("text", MAX_TEXT), f.number("anxiety", 0, 100), f.time("created"),
                        f.opt_text("expectation", MAX_TEXT), practices)


def _practice(d: Any, where: str, step_uid: str) -> ExposurePractice:
    f = _Fields(d, f"{where}: cbt", "practice")
    return ExposurePractice(_uid(f), step_uid, f.time("practised"),
                            f.number("anxiety_before", 0, 100), f.number("anxiety_after", 0, 100),
                            f.opt_number("pain", 0, 10), f.opt_text("outcome", MAX_TEXT),
                            _opt_uid(f, "session_uid"))


def _thought(d: Any, where: str, code: str) -> ThoughtRecord:
    f = _Fields(d, f"{where}: cbt", "thought record")
    return ThoughtRecord(_uid(f), code, f.time("taken"), f.text("situation", MAX_TEXT),
                         f.text("thought", MAX_TEXT), f.text("feeling", MAX_FEELING),
                         f.number("intensity", 0, 100), f.opt_text("balanced", MAX_TEXT),
                         f.opt_number("rerating", 0, 100))


def _partner(d: Any, where: str, code: str) -> PartnerStep:
    f = _Fields(d, f"{where}: cbt", "partner step")
    return PartnerStep(_uid(f), code, int(f.number("position", 1, MAX_STEPS)),
                       f.text("text", MAX_TEXT), f.time("created"), _opt_time(f, "agreed"),
                       _opt_time(f, "done"), f.opt_text("notes", MAX_TEXT))


__all__ = ["cbt_from_dict", "cbt_to_dict", "partner_to_dict", "practice_to_dict",
           "step_to_dict", "thought_to_dict"]
