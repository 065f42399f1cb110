"""A patient's earlier sessions of a protocol, from the records database.

Two things a guided session needs from the past, both from the patient's records
(``storage/records``), never from another patient's:

* **the previous session** for the end-of-session comparison: the latest *finished* session of
  the same protocol (a stopped or pain-stopped one is not like for like);
* **shaping** (clinical.md §5, down-training: "line = μ_B·0.9, tightened 5 % after 2
  successful sessions"): the factor :class:`~biofeedback.app.guided.GuidedSession` multiplies
  the line by. A session is *successful* when it finished with at least
  :data:`SUCCESS_BELOW_PERCENT` of its line time below the line [D]; every two successful
  sessions in a row tighten the line by 5 %, at most :data:`MAX_TIGHTENINGS` times (the line
  never goes below ~0.86·0.9 μ_B), and a pain stop gently gives one step back.

Without a patient in the records there is no comparison and no shaping: a comparison with
someone else's session would mislead. Until issue 14 the last finished session of each
protocol was kept as JSON (``<data dir>/sessions/<protocol>-last.json``, no patient); such a
file cannot be attributed in the clinic and is left alone there, but on a home computer (one
patient, the programme's) :func:`migrate_legacy` moves it into the records once.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from biofeedback.app.records import session_record, store_session
from biofeedback.sessions.protocol import Protocol
from biofeedback.sessions.results import SessionResult, StepResult
from biofeedback.storage.paths import data_dir
from biofeedback.storage.patient_code import patient_code_problem
from biofeedback.storage.records import Repository, SessionRecord, open_records, records_path
from biofeedback.storage.records.errors import RecordsError

log = logging.getLogger(__name__)
SUCCESS_BELOW_PERCENT = 70.0  # [D] "successful": this much of the line time below the line
TIGHTEN_STEP = 0.95  # clinical.md §5: tightened 5 %
SESSIONS_PER_TIGHTENING = 2  # clinical.md §5: after 2 successful sessions
MAX_TIGHTENINGS = 3  # [D] a floor: 0.95³ ≈ 0.86 of the protocol's line
MAX_LEGACY_BYTES = 2 * 1024 * 1024
LEGACY_SUFFIX = "-last.json"


def result_of(rec: SessionRecord) -> SessionResult:
    """A stored session as the result the summary compares with."""
    steps = [StepResult(s.index, s.name, s.step, s.group, s.kind, _float(s.start_s),
                        _float(s.end_s), s.completed, dict(s.metrics)) for s in rec.steps]
    return SessionResult(rec.protocol, rec.title, steps, dict(rec.summary), rec.ended)


def _of_protocol(repo: Repository, code: str, protocol: str) -> list[SessionRecord]:
    if not code or repo.find_patient(code) is None:
        return []
    return [r for r in repo.sessions(code) if r.protocol == protocol]


def previous_session(repo: Repository | None, code: str, protocol: str) -> SessionResult | None:
    """The patient's latest finished session of ``protocol`` (None: none, or no patient)."""
    if repo is None:
        return None
    try:
        done = [r for r in _of_protocol(repo, code, protocol) if r.ended == "finished"]
    except RecordsError as exc:
        log.warning("the previous session could not be read: %s", exc)
        return None
    return result_of(done[-1]) if done else None


def successful(rec: SessionRecord) -> bool:
    below = rec.summary.get("percent_below_line")
    return (rec.ended == "finished" and isinstance(below, int | float)
            and not isinstance(below, bool) and below >= SUCCESS_BELOW_PERCENT)


def shaping_level(sessions: Sequence[SessionRecord]) -> int:
    """How many 5 % tightenings the sessions (oldest first, one protocol) have earned."""
    level = run = 0
    for r in sorted(sessions, key=lambda r: r.started):
        if r.ended == "pain":
            level, run = max(0, level - 1), 0  # it hurt: one step back, calmly
        elif successful(r):
            run += 1
            if run == SESSIONS_PER_TIGHTENING:
                level, run = min(MAX_TIGHTENINGS, level + 1), 0
        elif r.ended == "finished":
            run = 0  # a whole session that did not meet the goal: start counting again
    return level


def shaping_factor(repo: Repository | None, code: str, protocol: Protocol) -> float:
    """The factor for ``GuidedSession(shaping=...)``: 1.0 unless the protocol has a line
    step (``line_factor``) and the patient's sessions of it earned tightenings."""
    if repo is None or not any(s.target.line_factor is not None for s in protocol.steps):
        return 1.0
    try:
        level = shaping_level(_of_protocol(repo, code, protocol.name))
    except RecordsError as exc:
        log.warning("shaping not computed: %s", exc)
        return 1.0
    return TIGHTEN_STEP ** level


def keep_session(repo: Repository | None, code: str, result: SessionResult,
                 protocol: Protocol, *, recording: Path | None = None,
                 origin: str = "clinic") -> SessionRecord | None:
    """Store the session in the patient's records when the patient is known there (a session
    without a patient is not kept: there is nowhere private to keep it)."""
    if repo is None or not code or repo.find_patient(code) is None:
        return None
    if recording is not None and not recording.is_file():
        recording = None
    return store_session(repo, code, result, protocol, recording=recording, origin=origin)


@contextlib.contextmanager
def default_records(code: str) -> Iterator[Repository | None]:
    """The default records file, open for one call, for a valid patient code (None: no code,
    or no records kept on this computer yet: nothing is created for a session)."""
    if not code or patient_code_problem(code) or not records_path().is_file():
        yield None
        return
    try:
        db = open_records()
    except (RecordsError, OSError) as exc:
        log.warning("the records could not be opened: %s", exc)
        yield None
        return
    try:
        yield db.repo
    finally:
        db.close()


# -- the JSON files of before issue 14 -------------------------------------------------------
def legacy_dir() -> Path:
    return data_dir() / "sessions"


def load_legacy(path: Path) -> SessionResult | None:
    """One old ``<protocol>-last.json`` file (None: unreadable; the comparison is a nicety)."""
    try:
        if path.stat().st_size > MAX_LEGACY_BYTES:
            return None
        return from_json_dict(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError, KeyError, AttributeError) as exc:
        log.warning("%s: an old last-session file could not be read: %s", path, exc)
        return None


def migrate_legacy(repo: Repository, code: str, protocols: dict[str, Protocol],
                   folder: Path | None = None) -> int:
    """Move the old last-session files of ``protocols`` into ``code``'s records (home: one
    patient); each migrated file is renamed ``*.migrated``. Returns how many were stored."""
    folder = folder or legacy_dir()
    if not folder.is_dir() or repo.find_patient(code) is None:
        return 0
    stored = 0
    for path in sorted(folder.glob(f"*{LEGACY_SUFFIX}")):
        result = load_legacy(path)
        protocol = protocols.get(result.protocol) if result is not None else None
        if result is None or protocol is None:
            continue
        started = dt.datetime.fromtimestamp(path.stat().st_mtime, dt.UTC)
        rec = session_record(code, result, protocol, started=started, origin="home")
        with repo.transaction() as tx:
            tx.add_session(rec)
        path.rename(path.with_name(path.name + ".migrated"))
        stored += 1
    return stored


def from_json_dict(d: dict[str, Any]) -> SessionResult:
    """The inverse of :meth:`SessionResult.to_json_dict` (JSON ``null`` numbers stay None)."""
    steps = [StepResult(int(s["index"]), str(s["name"]), str(s["step"]), str(s["group"]),
                        str(s["kind"]), _float(s["start_s"]), _float(s["end_s"]),
                        bool(s["completed"]), dict(s.get("results") or {}))
             for s in d["steps"]]
    summary = d.get("summary") or {}
    if not isinstance(summary, dict):
        raise ValueError("summary is not an object")
    return SessionResult(str(d["protocol"]), str(d["title"]), steps, summary, str(d["ended"]))


def _float(v: Any) -> float:
    return float("nan") if v is None else float(v)


__all__ = ["default_records", "from_json_dict", "keep_session", "legacy_dir", "load_legacy", "migrate_legacy",
           "previous_session", "result_of", "shaping_factor", "shaping_level", "successful"]
