"""The clinic mode's model (Qt-free): what the therapist's patient list and patient page show,
and what they do to the records.

The clinic window (``ui/clinic/``) only draws what :class:`ClinicModel` returns and calls its
methods; every call is synchronous and short (a patient has tens of sessions), so the window
calls it on the GUI thread. Errors a person must act on are :class:`ClinicError`
(``RecordsError``: one line, shown in the window), e.g. a past session whose recording file is
missing or was altered since the session was stored (its SHA-256 no longer matches).

The trend series are :func:`~biofeedback.storage.records.trends.trends` of the stored
sessions, one series per chart, with the definitions the PDF report prints
(``docs/records.md`` "Trend points").

Clinic mode with accounts (``app/accounts.py``): when the records hold any account, the window
asks for a login first (:meth:`ClinicModel.needs_login`) and then works on
:meth:`ClinicModel.as_user`, whose repository audits every read and change as that person.
Without accounts (one therapist's laptop) the model works as this computer's user.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from biofeedback import __version__
from biofeedback.app.accounts import ClinicUser
from biofeedback.app.programme import dilator_suggestion
from biofeedback.app.records import processing_block, sha256_file, store_session
from biofeedback.reports.data import collect
from biofeedback.reports.pdf import build
from biofeedback.sessions.loader import ProtocolError, builtin_names, load_builtin
from biofeedback.sessions.protocol import Protocol
from biofeedback.sessions.results import SessionResult
from biofeedback.storage.patient_code import patient_code_problem
from biofeedback.storage.records import (
    Note,
    Patient,
    Rating,
    RecordsError,
    Repository,
    SessionRecord,
    SqliteDatabase,
    SwabMap,
    SwabPoint,
    load_clinic_config,
    open_records,
)
from biofeedback.storage.records.accounts import list_accounts
from biofeedback.storage.records.files import write_atomically
from biofeedback.storage.records.share import is_on_share, open_recording
from biofeedback.storage.records.trends import TrendPoint, Trends, trends

ClinicError = RecordsError  # one line a person can act on


@dataclass(frozen=True)
class PatientRow:
    """One line of the patient list."""

    code: str
    name: str | None
    created: dt.datetime
    sessions: int
    last_session: dt.datetime | None


@dataclass(frozen=True)
class SessionRow:
    """One line of a patient's session history, with what its detail view shows."""

    uid: str
    started: dt.datetime
    protocol: str
    title: str
    minutes: float
    ended: str
    origin: str
    point: TrendPoint
    ratings: tuple[Rating, ...]
    steps: tuple[tuple[str, float, float], ...]  # (name, start_s, end_s) on the session clock
    duration_s: float
    recording: str | None
    notes: tuple[Note, ...]


@dataclass(frozen=True)
class Series:
    """One small-multiple chart: ``y`` is None where a session did not measure it."""

    key: str
    title: str
    unit: str
    definition: str
    x: tuple[dt.datetime, ...]
    y: tuple[float | None, ...]
    bars: bool = False  # weekly totals are bars


@dataclass(frozen=True)
class SwabSummary:
    """A cotton-swab map with its trend values (pain NRS 0-10 over the tested positions)."""

    map: SwabMap
    mean_pain: float | None
    max_pain: float | None

    @property
    def pains(self) -> dict[int, float]:
        return {p.clock: p.pain for p in self.map.points}


@dataclass(frozen=True)
class PatientPage:
    patient: Patient
    sessions: tuple[SessionRow, ...]  # oldest first
    series: tuple[Series, ...]
    suggestion: str | None  # the dilator progression rule's suggestion ("… You decide.")
    notes: tuple[Note, ...]  # every note, oldest first
    swabs: tuple[SwabSummary, ...]  # oldest first

    def session(self, uid: str) -> SessionRow:
        for s in self.sessions:
            if s.uid == uid:
                return s
        raise ClinicError(f"session {uid} is not one of {self.patient.code}'s sessions")


#: (TrendPoint field, chart title, unit, definition): the same definitions as the report
TREND_CHARTS: tuple[tuple[str, str, str, str], ...] = (
    ("baseline_uv", "Resting baseline", "µV", "the marked rest's mean EMG (μ_B)"),
    ("cv_percent", "Variability", "%", "CV of the first rest step (100·SD/mean)"),
    ("recovery_latency_s", "Recovery latency", "s",
     "release → back within μ + 2σ, mean over steps (low reliability)"),
    ("max_contraction_uv", "Maximum contraction", "µV", "largest contraction peak"),
    ("pain", "Pain", "NRS 0-10", "highest pain rated in the session"),
    ("anxiety", "Anxiety", "SUDS 0-100", "highest anxiety rated in the session"),
    ("dilator_size", "Dilator size", "size", "the size practised"),
)
WEEKLY = ("minutes_per_week", "Practice per week", "min", "minutes practised per ISO week")


class ClinicModel:
    """The clinic mode over a records repository (see the module docstring)."""

    def __init__(self, repo: Repository, database: SqliteDatabase | None = None, *,
                 user: ClinicUser | None = None, share: Path | None = None) -> None:
        self.repo = repo
        self.user = user
        self.share = share  # the clinic share's mount here (``share:`` recordings), if any
        self._db = database
        self._reports: dict[str, tuple[str, bool]] = {}  # sha256 of a built PDF -> (code, named)

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    # -- who is working ----------------------------------------------------------------
    def needs_login(self) -> bool:
        """True when the records have accounts and nobody is logged in here: a clinic that set
        up accounts (always so on the server) works only as a named person."""
        return self.user is None and bool(list_accounts(self.repo))

    def as_user(self, user: ClinicUser) -> ClinicModel:
        """The same records through ``user.repo``: everything is audited as that person. The
        database stays owned (and closed) by this model."""
        return ClinicModel(user.repo, user=user, share=self.share)

    def who(self) -> str:
        """"T. Smith (t.smith, therapist)" for the window's header; "" without a login."""
        if self.user is None:
            return ""
        a = self.user.account
        return (f"{a.display_name} ({a.username}, {a.role})" if a.display_name
                else f"{a.username} ({a.role})")

    def log_out(self) -> None:
        """Audit the end of the login (the window forgets the user)."""
        if self.user is not None:
            self.repo.record_audit("login", None, f"{self.user.account.username} logged out")

    # -- the patient list ------------------------------------------------------------
    def patients(self, search: str = "") -> list[PatientRow]:
        """Patients whose code or name contains ``search`` (case-insensitive), by code."""
        return [PatientRow(x.patient.code, x.patient.name, x.patient.created, x.sessions,
                           x.last_session) for x in self.repo.patient_summaries(search.strip())]

    @staticmethod
    def code_problem(text: str) -> str | None:
        """Why ``text`` is not a pseudonymous code (None when it is); empty is a problem here."""
        if not text.strip():
            return "type a pseudonymous code such as P017 (letters, then digits)"
        return patient_code_problem(text)

    def add_patient(self, code: str, name: str | None = None) -> Patient:
        return self.repo.add_patient(code, (name or "").strip() or None)

    def has_patient(self, code: str) -> bool:
        return bool(code.strip()) and self.repo.find_patient(code.strip()) is not None

    # -- the patient page ------------------------------------------------------------
    def opened(self, code: str) -> None:
        """Audit that a person opened this patient's page (redraws after an edit do not)."""
        self.repo.record_audit("opened", code, "patient page")

    def page(self, code: str) -> PatientPage:
        patient = self.repo.get_patient(code)
        records = self.repo.sessions(patient.code)
        notes = tuple(self.repo.notes(patient.code))
        t = trends(records)
        rows = tuple(_session_row(r, p, notes) for r, p in zip(records, t.points, strict=True))
        suggestion = dilator_suggestion(self.repo, patient.code, records)
        swabs = tuple(_swab_summary(m) for m in self.repo.swab_maps(patient.code))
        return PatientPage(patient, rows, trend_series(t), suggestion.text if suggestion else None,
                           notes, swabs)

    def add_note(self, code: str, text: str, session_uid: str | None = None) -> Note:
        if not text.strip():
            raise ClinicError("the note is empty")
        return self.repo.add_note(code, text.strip(), session_uid=session_uid)

    def add_swab_map(self, code: str, pains: Mapping[int, float],
                     session_uid: str | None = None) -> SwabMap:
        """Record a cotton-swab test: pain 0-10 at the tested clock positions (12 = meatus)."""
        if not pains:
            raise ClinicError("no position has a pain rating yet: rate at least one")
        points = [SwabPoint(int(c), float(v)) for c, v in sorted(pains.items())]
        return self.repo.add_swab_map(code, points, session_uid=session_uid)

    # -- replay ----------------------------------------------------------------------
    def replay_path(self, uid: str) -> Path:
        """The recording of a stored session, checked against the SHA-256 stored with it."""
        rec = self.repo.get_session(uid)
        when = f"{rec.started:%Y-%m-%d %H:%M}"
        if not rec.recording_path:
            raise ClinicError(f"the session of {when} has no recording to replay")
        if is_on_share(rec.recording_path):  # on the clinic share, through this mount
            return open_recording(rec, self.share)
        path = Path(rec.recording_path)
        if not path.is_file():
            raise ClinicError(f"{path}: the recording of the session of {when} is missing "
                              "(moved or deleted?)")
        if rec.recording_sha256 and sha256_file(path) != rec.recording_sha256:
            raise ClinicError(f"{path}: this file changed since the session of {when} was "
                              "stored (its checksum differs); it is not opened")
        return path

    # -- sessions run in the window ----------------------------------------------------
    def store_finished(self, code: str, result: SessionResult, protocol: Protocol, *,
                       recording: Path | None, started: dt.datetime | None,
                       emg_fs: float | None = None,
                       pressure_fs: float | None = None) -> SessionRecord:
        return store_session(self.repo, code, result, protocol, recording=recording,
                             started=started, processing=processing_block(emg_fs, pressure_fs))

    # -- the report --------------------------------------------------------------------
    def report_pdf(self, code: str, *, include_name: bool = False) -> bytes:
        """The PDF report (``reports/pdf.py``) in memory, for the preview before saving."""
        records = self.repo.sessions(self.repo.get_patient(code).code)
        data = collect(self.repo, code,
                       suggestion=dilator_suggestion(self.repo, code, records),
                       protocol_descriptions=protocol_descriptions(records),
                       include_name=include_name, software=f"biofeedback {__version__}")
        out = io.BytesIO()
        build(data, out)
        pdf = out.getvalue()
        if len(self._reports) >= 8:  # previews of this session only: keep a few
            self._reports.pop(next(iter(self._reports)))
        self._reports[hashlib.sha256(pdf).hexdigest()] = (data.patient.code, include_name)
        return pdf

    def save_report(self, pdf: bytes, path: Path) -> Path:
        """Write the previewed bytes atomically, mode 0600 (``storage/records/files.py``); a
        report this model built is audited as *exported* (as ``biofeedback report`` does)."""
        out = write_atomically(Path(path), lambda f: f.write(pdf))
        built = self._reports.get(hashlib.sha256(pdf).hexdigest())
        if built is not None:
            code, named = built
            self.repo.record_audit("exported", code, f"PDF report {out.name}"
                                   + (" with name" if named else ""))
        return out


def open_clinic(path: str | None = None) -> ClinicModel:
    """The clinic model on the default records (``<data dir>/records.sqlite3``): the one place
    the window's records are opened."""
    db = open_records(path)
    share = load_clinic_config().share if path is None else None
    return ClinicModel(db.repo, db, share=share)


def protocol_descriptions(records: Sequence[SessionRecord]) -> dict[str, str]:
    names = set(builtin_names())
    out = {}
    for r in records:
        if r.protocol in names and r.protocol not in out:
            try:
                out[r.protocol] = load_builtin(r.protocol).description
            except ProtocolError:
                continue
    return out


def trend_series(t: Trends) -> tuple[Series, ...]:
    x = tuple(p.started for p in t.points)
    out = [Series(key, title, unit, definition, x,
                  tuple(_num(getattr(p, key)) for p in t.points))
           for key, title, unit, definition in TREND_CHARTS]
    key, title, unit, definition = WEEKLY
    weeks = tuple(dt.datetime.combine(w.week_start, dt.time(), dt.UTC) for w in t.weeks)
    out.append(Series(key, title, unit, definition, weeks,
                      tuple(w.minutes for w in t.weeks), bars=True))
    return tuple(out)


def _session_row(r: SessionRecord, p: TrendPoint, notes: Sequence[Note]) -> SessionRow:
    return SessionRow(
        uid=r.uid, started=r.started, protocol=r.protocol, title=r.title,
        minutes=r.duration_s / 60.0, ended=r.ended, origin=r.origin, point=p,
        ratings=r.ratings, steps=tuple((s.name, s.start_s, s.end_s) for s in r.steps),
        duration_s=r.duration_s, recording=r.recording_path,
        notes=tuple(n for n in notes if n.session_uid == r.uid))


def _swab_summary(m: SwabMap) -> SwabSummary:
    pains = [p.pain for p in m.points]
    return SwabSummary(m, sum(pains) / len(pains) if pains else None,
                       max(pains) if pains else None)


def _num(v: object) -> float | None:
    if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
        return None
    return float(v)


__all__ = ["TREND_CHARTS", "ClinicError", "ClinicModel", "PatientPage", "PatientRow", "Series",
           "SessionRow", "SwabSummary", "open_clinic", "protocol_descriptions", "trend_series"]
