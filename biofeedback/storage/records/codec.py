"""Records as JSON objects and back, with validation (``patients show --json``, bundles).

:func:`session_from_dict` checks every field a bundle may carry and raises one
:class:`RecordsError` line naming ``where`` (the file) and the field, so a malformed bundle is
refused before anything is written.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import asdict
from typing import Any

from biofeedback.storage.records.errors import RecordsError
from biofeedback.storage.records.models import (
    ORIGINS,
    RATING_SCALES,
    DilatorEntry,
    Note,
    Patient,
    Rating,
    SessionRecord,
    StepRecord,
    SwabMap,
)

UID = re.compile(r"^[0-9a-f]{32}$")
SHA256 = re.compile(r"^[0-9a-f]{64}$")
MAX_STEPS = 2000


def time_text(t: dt.datetime) -> str:
    return t.astimezone(dt.UTC).isoformat()


def patient_to_dict(p: Patient, *, with_name: bool = True) -> dict[str, Any]:
    d: dict[str, Any] = {"code": p.code, "created": time_text(p.created)}
    if with_name:
        d["name"] = p.name
    return d


def session_to_dict(r: SessionRecord) -> dict[str, Any]:
    return {
        "uid": r.uid, "patient": r.patient_code, "protocol": r.protocol, "title": r.title,
        "started": time_text(r.started), "duration_s": r.duration_s, "ended": r.ended,
        "origin": r.origin, "recording": r.recording_path, "recording_sha256": r.recording_sha256,
        "summary": r.summary, "processing": r.processing,
        "steps": [asdict(s) for s in r.steps], "ratings": [asdict(x) for x in r.ratings],
        "dilator": asdict(r.dilator) if r.dilator is not None else None,
    }


def note_to_dict(n: Note) -> dict[str, Any]:
    return {"id": n.id, "session_uid": n.session_uid, "created": time_text(n.created),
            "text": n.text}


def swab_to_dict(m: SwabMap) -> dict[str, Any]:
    return {"id": m.id, "session_uid": m.session_uid, "taken": time_text(m.taken),
            "points": {str(p.clock): p.pain for p in m.points}}


def session_from_dict(d: Any, where: str, code: str) -> SessionRecord:
    """A session of patient ``code`` from its JSON object; every field is checked."""
    f = _Fields(d, where, "session")
    uid = f.text("uid", 64)
    if not UID.fullmatch(uid):
        raise RecordsError(f"{where}: session uid {uid[:40]!r} is not a session id")
    f.where = f"{where}: session {uid}"
    sha = f.opt_text("recording_sha256", 64)
    if sha is not None and not SHA256.fullmatch(sha):
        raise RecordsError(f"{f.where}: recording_sha256 is not a SHA-256")
    origin = f.text("origin", 16)
    if origin not in ORIGINS:
        raise RecordsError(f"{f.where}: origin {origin[:20]!r} is not one of {ORIGINS}")
    steps = f.list("steps", MAX_STEPS)
    ratings = f.list("ratings", MAX_STEPS)
    dil = d.get("dilator")
    return SessionRecord(
        uid=uid, patient_code=code, protocol=f.text("protocol", 200), title=f.text("title", 500),
        started=f.time("started"), duration_s=f.number("duration_s", 0, 86400), ended=f.text(
            "ended", 200), summary=f.obj("summary"), processing=f.obj("processing"),
        recording_path=f.opt_text("recording", 4096), recording_sha256=sha, origin=origin,
        steps=tuple(_step(x, f.where) for x in steps),
        ratings=tuple(_rating(x, f.where) for x in ratings),
        dilator=None if dil is None else _dilator(dil, f.where))


def _step(d: Any, where: str) -> StepRecord:
    f = _Fields(d, where, "step")
    return StepRecord(int(f.number("index", 0, MAX_STEPS)), f.text("name", 500),
                      f.text("step", 500), f.text("group", 500, empty=True), f.text("kind", 32),
                      f.number("start_s", -1e9, 1e9), f.number("end_s", -1e9, 1e9),
                      f.flag("completed"), f.obj("metrics"))


def _rating(d: Any, where: str) -> Rating:
    f = _Fields(d, where, "rating")
    scale = f.text("scale", 16)
    if scale not in RATING_SCALES:
        raise RecordsError(f"{where}: rating scale {scale[:20]!r} is not pain or anxiety")
    lo, hi = RATING_SCALES[scale]
    return Rating(scale, f.number("value", lo, hi), f.number("at_s", -1e9, 1e9),
                  f.text("label", 500, empty=True))


def _dilator(d: Any, where: str) -> DilatorEntry:
    f = _Fields(d, where, "dilator")
    return DilatorEntry(int(f.number("size", 1, 99)), f.flag("full_insertion"),
                        f.number("hold_s", 0, 86400), f.opt_number("pain_max", 0, 10),
                        f.opt_number("hold_mean_uv", 0, 1e6), f.opt_number("baseline_uv", 0, 1e6))


class _Fields:
    """Typed access to a JSON object's fields; each problem is one line naming the field."""

    def __init__(self, d: Any, where: str, what: str) -> None:
        if not isinstance(d, dict):
            raise RecordsError(f"{where}: a {what} must be a JSON object")
        self.d, self.where, self.what = d, where, what

    def _bad(self, key: str, want: str) -> RecordsError:
        return RecordsError(f"{self.where}: {self.what} field {key!r} must be {want}")

    def text(self, key: str, limit: int, empty: bool = False) -> str:
        v = self.d.get(key)
        if not isinstance(v, str) or len(v) > limit or (not empty and not v.strip()):
            raise self._bad(key, f"a text of {'0' if empty else '1'}-{limit} characters")
        return v

    def opt_text(self, key: str, limit: int) -> str | None:
        return None if self.d.get(key) is None else self.text(key, limit)

    def number(self, key: str, lo: float, hi: float) -> float:
        v = self.d.get(key)
        if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v) \
                or not lo <= v <= hi:
            raise self._bad(key, f"a number from {lo:g} to {hi:g}")
        return float(v)

    def opt_number(self, key: str, lo: float, hi: float) -> float | None:
        return None if self.d.get(key) is None else float(self.number(key, lo, hi))

    def flag(self, key: str) -> bool:
        v = self.d.get(key)
        if not isinstance(v, bool):
            raise self._bad(key, "true or false")
        return v

    def obj(self, key: str) -> dict[str, Any]:
        v = self.d.get(key)
        if not isinstance(v, dict):
            raise self._bad(key, "a JSON object")
        return v

    def list(self, key: str, limit: int) -> list[Any]:
        v = self.d.get(key)
        if not isinstance(v, list) or len(v) > limit:
            raise self._bad(key, f"a list of at most {limit} items")
        return v

    def time(self, key: str) -> dt.datetime:
        v = self.text(key, 40)
        try:
            t = dt.datetime.fromisoformat(v)
        except ValueError:
            raise self._bad(key, "an ISO-8601 time") from None
        if t.tzinfo is None:
            raise self._bad(key, "an ISO-8601 time with a time zone")
        return t.astimezone(dt.UTC)


__all__ = ["note_to_dict", "patient_to_dict", "session_from_dict", "session_to_dict",
           "swab_to_dict", "time_text"]
