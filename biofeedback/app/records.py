"""A finished guided session into the records: one transaction, checksum from the file.

:func:`session_record` turns a :class:`~biofeedback.sessions.results.SessionResult` (and the
protocol it ran) into a :class:`~biofeedback.storage.records.SessionRecord`: per-step results,
pain/anxiety ratings at their step's time, and the dilator log entry of a dilator practice
(size from the ``dilator_size`` rating, full insertion = the insertion step ran its course,
hold = the hold steps' time, its EMG mean against μ_B, the highest pain rated).
:func:`store_session` writes it; nothing is written when any part fails.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from pathlib import Path
from typing import Any

from biofeedback.app.settings import pipeline_settings
from biofeedback.sessions.protocol import Protocol, StepKind
from biofeedback.sessions.results import SessionResult
from biofeedback.storage.records import (
    DilatorEntry,
    Rating,
    Repository,
    SessionRecord,
    StepRecord,
    new_session_uid,
    utc_now,
)
from biofeedback.storage.records.errors import RecordsError

_CHUNK = 1 << 20


def sha256_file(path: Path) -> str:
    """The SHA-256 of a file, read in 1 MiB pieces; a one-line error if it cannot be read."""
    h = hashlib.sha256()
    try:
        with open(path, "rb") as f:
            while chunk := f.read(_CHUNK):
                h.update(chunk)
    except OSError as exc:
        raise RecordsError(f"{path}: cannot read the recording ({exc.strerror})") from None
    return h.hexdigest()


def processing_block(emg_fs: float | None = None, pressure_fs: float | None = None,
                     settings: dict[str, Any] | None = None) -> dict[str, Any]:
    """What the report's processing block shows (ISEK-style): the pipeline settings and rates."""
    return {"pipeline": settings if settings is not None else pipeline_settings(),
            "emg_fs_hz": emg_fs, "pressure_fs_hz": pressure_fs, "display_hz": 100.0}


def session_record(code: str, result: SessionResult, protocol: Protocol, *,
                   recording: Path | None = None, started: dt.datetime | None = None,
                   processing: dict[str, Any] | None = None, origin: str = "clinic",
                   uid: str | None = None) -> SessionRecord:
    duration = float(result.summary.get("practised_s") or
                     sum(s.duration_s for s in result.steps))
    started = started or (utc_now() - dt.timedelta(seconds=duration))
    data = result.to_json_dict()
    steps = tuple(StepRecord(s["index"], s["name"], s["step"], s["group"], s["kind"],
                             s["start_s"], s["end_s"], s["completed"], s["results"])
                  for s in data["steps"])
    return SessionRecord(
        uid=uid or new_session_uid(), patient_code=code, protocol=result.protocol,
        title=result.title, started=started, duration_s=duration, ended=result.ended,
        summary=data["summary"], processing=processing or processing_block(),
        recording_path=str(recording.resolve()) if recording is not None else None,
        recording_sha256=sha256_file(recording) if recording is not None else None,
        origin=origin, steps=steps, ratings=_ratings(result, protocol),
        dilator=_dilator(result, protocol))


def store_session(repo: Repository, code: str, result: SessionResult, protocol: Protocol,
                  **kwargs: Any) -> SessionRecord:
    """Store the finished session for patient ``code`` in one transaction; see
    :func:`session_record` for ``recording``, ``started``, ``processing``, ``origin``."""
    rec = session_record(code, result, protocol, **kwargs)
    with repo.transaction() as tx:
        tx.get_patient(code)
        tx.add_session(rec)
    return rec


def _scale(protocol: Protocol, index: int) -> str | None:
    if not 0 <= index < len(protocol.steps):
        return None
    rating = protocol.steps[index].rating
    return rating.scale if rating is not None else None


def _ratings(result: SessionResult, protocol: Protocol) -> tuple[Rating, ...]:
    out = []
    for s in result.steps:
        value = s.results.get("rating")
        scale = _scale(protocol, s.index)
        if scale in ("pain", "anxiety") and _finite(value):
            out.append(Rating(scale, float(value), float(s.start_s), s.name))
    return tuple(out)


def _dilator(result: SessionResult, protocol: Protocol) -> DilatorEntry | None:
    steps = protocol.steps
    sizes = [s.results.get("rating") for s in result.steps
             if _scale(protocol, s.index) == "dilator_size" and _finite(s.results.get("rating"))]
    if not sizes:
        return None
    kinds = {s.index: steps[s.index].kind for s in result.steps if s.index < len(steps)}
    inserts = [s for s in result.steps if kinds.get(s.index) is StepKind.DILATOR_INSERT]
    holds = [s for s in result.steps if kinds.get(s.index) is StepKind.DILATOR_HOLD]
    hold_s = sum(s.duration_s for s in holds)
    means = [(s.duration_s, s.results["mean_uv"]) for s in holds
             if _finite(s.results.get("mean_uv")) and s.duration_s > 0]
    weight = sum(d for d, _ in means)
    pains = [r.value for r in _ratings(result, protocol) if r.scale == "pain"]
    base = result.summary.get("baseline_uv")
    return DilatorEntry(
        size=int(sizes[-1]), full_insertion=bool(inserts) and all(s.completed for s in inserts),
        hold_s=hold_s, pain_max=max(pains) if pains else None,
        hold_mean_uv=sum(d * m for d, m in means) / weight if weight else None,
        baseline_uv=float(base) if _finite(base) else None)


def _finite(v: object) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


__all__ = ["processing_block", "session_record", "sha256_file", "store_session"]
