"""What the records repository returns: frozen dataclasses, no database types.

Times are timezone-aware UTC :class:`~datetime.datetime` values (stored as ISO-8601 text, the
same on SQLite and PostgreSQL). ``metrics``, ``summary`` and ``processing`` are the JSON
objects of :mod:`biofeedback.sessions.results` and ``app/settings.py`` as plain dicts.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any

RATING_SCALES = {"pain": (0.0, 10.0), "anxiety": (0.0, 100.0)}  # NRS 0-10, SUDS 0-100
CLOCK_POSITIONS = range(1, 13)  # cotton-swab map: urethral meatus = 12 o'clock (clinical.md §6)
ORIGINS = ("clinic", "home")


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)  # sub-second: two quick sessions keep their order


def new_session_uid() -> str:
    """A stable, globally unique session id (kept across bundle exports and imports)."""
    return uuid.uuid4().hex


@dataclass(frozen=True)
class Patient:
    id: int
    code: str  # pseudonymous (storage/patient_code.py)
    name: str | None  # stored in this database only; never exported, never in a report unless asked
    created: dt.datetime
    version: int = 1  # bumped by every change (several workstations: ConflictError when stale)


@dataclass(frozen=True)
class PatientSummary:
    """A patient with their session count and last session time (the clinic's patient list),
    read in one statement instead of every session."""

    patient: Patient
    sessions: int
    last_session: dt.datetime | None  # None: no session yet


@dataclass(frozen=True)
class StepRecord:
    index: int
    name: str  # "Tonic hold 2 of 5"
    step: str  # "Hold"
    group: str
    kind: str
    start_s: float
    end_s: float
    completed: bool
    metrics: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Rating:
    scale: str  # "pain" (NRS 0-10) or "anxiety" (SUDS 0-100)
    value: float
    at_s: float  # on the session's clock (the recording's time)
    label: str = ""  # the rating step's name ("Pain before")


@dataclass(frozen=True)
class DilatorEntry:
    """One dilator practice (clinical.md §6 dilator module)."""

    size: int  # the size number in the person's set
    full_insertion: bool
    hold_s: float
    pain_max: float | None = None
    hold_mean_uv: float | None = None  # EMG μ during the hold
    baseline_uv: float | None = None  # μ_B of the same session


@dataclass(frozen=True)
class SessionRecord:
    uid: str
    patient_code: str
    protocol: str
    title: str
    started: dt.datetime
    duration_s: float
    ended: str  # "finished", "stopped", "pain", ...
    summary: dict[str, Any] = field(default_factory=dict)
    processing: dict[str, Any] = field(default_factory=dict)  # filters, fs, window (ISEK block)
    recording_path: str | None = None
    recording_sha256: str | None = None
    origin: str = "clinic"  # "clinic" or "home"
    steps: tuple[StepRecord, ...] = ()
    ratings: tuple[Rating, ...] = ()
    dilator: DilatorEntry | None = None


@dataclass(frozen=True)
class Note:
    id: int
    patient_code: str
    session_uid: str | None
    created: dt.datetime
    text: str
    version: int = 1
    edited: dt.datetime | None = None


@dataclass(frozen=True)
class SwabPoint:
    clock: int  # 1..12, 12 = urethral meatus
    pain: float  # NRS 0-10


@dataclass(frozen=True)
class SwabMap:
    id: int
    patient_code: str
    session_uid: str | None
    taken: dt.datetime
    points: tuple[SwabPoint, ...]


@dataclass(frozen=True)
class StoredProgramme:
    id: int
    patient_code: str
    imported: dt.datetime
    sha256: str
    body: str  # the programme file's JSON text, as exchanged (app/programme.py reads it)


ROLES = ("therapist", "administrator")
AUDIT_ACTIONS = ("opened", "created", "changed", "exported", "deleted", "login", "accounts",
                 "restored")


@dataclass(frozen=True)
class Actor:
    """Who is working: written into every audit entry (``role`` "local" outside clinic mode)."""

    name: str
    role: str = "local"
    workstation: str = ""


@dataclass(frozen=True)
class Account:
    id: int
    username: str
    display_name: str | None
    role: str  # ROLES
    disabled: bool
    created: dt.datetime
    version: int = 1


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: dt.datetime
    actor: str
    role: str
    workstation: str
    action: str  # AUDIT_ACTIONS
    patient_code: str | None
    detail: str


__all__ = [
    "AUDIT_ACTIONS",
    "CLOCK_POSITIONS",
    "ORIGINS",
    "RATING_SCALES",
    "ROLES",
    "Account",
    "Actor",
    "AuditEntry",
    "DilatorEntry",
    "Note",
    "Patient",
    "PatientSummary",
    "Rating",
    "SessionRecord",
    "StepRecord",
    "StoredProgramme",
    "SwabMap",
    "SwabPoint",
    "new_session_uid",
    "utc_now",
]
