"""The records repository: patients, sessions, steps, ratings, dilator log, notes, swab maps and
programmes, as frozen dataclasses (``models.py``), over any SQLAlchemy engine.

Nothing here is SQLite-specific: the SQLite backend (``database.py``) hands an engine in, a
PostgreSQL backend will hand in another, and the same repository tests run on both. Every public
method is its own transaction unless it is called on the repository that
:meth:`Repository.transaction` yields; then everything in the ``with`` block commits together or
not at all::

    with repo.transaction() as tx:
        tx.add_session(record)
        tx.add_note("P001", "tolerated size 3", session_uid=record.uid)

Errors a person must act on (unknown patient, a code that looks like a name, a rating out of
range) are :class:`~biofeedback.storage.records.errors.RecordsError` or
:class:`~biofeedback.storage.patient_code.PatientCodeError`, one line each.

Several workstations (a clinic server): a session is inserted with ``ON CONFLICT DO NOTHING`` on
its uid, so the same bundle imported twice at once is stored once; edits of patients and notes
may name the ``expected_version`` the clinician saw, and a record changed meanwhile on another
workstation raises :class:`~biofeedback.storage.records.errors.ConflictError` with nothing
written. Every change writes an audit entry (``audit.py``) in its own transaction, naming
``actor``.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, Table, delete, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from biofeedback.storage.patient_code import check_patient_code
from biofeedback.storage.records import schema as s
from biofeedback.storage.records.audit import read_audit, write_audit
from biofeedback.storage.records.cbt import CbtRecordsMixin
from biofeedback.storage.records.errors import ConflictError, RecordsError
from biofeedback.storage.records.migrations import read_version
from biofeedback.storage.records.models import (
    CLOCK_POSITIONS,
    ORIGINS,
    RATING_SCALES,
    Actor,
    AuditEntry,
    DilatorEntry,
    Note,
    Patient,
    PatientSummary,
    Rating,
    SessionRecord,
    StepRecord,
    StoredProgramme,
    SwabMap,
    SwabPoint,
    utc_now,
)
from biofeedback.storage.records.timestamps import ts as _ts
from biofeedback.storage.records.timestamps import when as _dt

#: set on a connection that will write: the SQLite backend then takes the write lock up front
WRITE_OPTION = "records_write"
MAX_NAME = 200
MAX_NOTE = 20_000


class Repository(CbtRecordsMixin):
    """See the module docstring. ``where`` names the database in messages (its file). The CBT
    and partner-support calls come from :class:`~.cbt.CbtRecordsMixin`."""

    def __init__(self, engine: Engine, where: str = "records", *, actor: Actor | None = None,
                 _conn: Connection | None = None) -> None:
        self.engine = engine
        self.where = where
        self.actor = actor  # None: this computer's account (audit.local_actor)
        self._conn = _conn

    def with_actor(self, actor: Actor | None) -> Repository:
        """The same records, with changes audited as ``actor`` (a logged-in clinician)."""
        return Repository(self.engine, self.where, actor=actor, _conn=self._conn)

    # -- transactions ---------------------------------------------------------------------
    @contextmanager
    def transaction(self) -> Iterator[Repository]:
        """A repository whose calls share one transaction (committed at the end of the block,
        rolled back on an exception). Nested use joins the outer transaction."""
        if self._conn is not None:
            yield self
            return
        with self.engine.connect() as conn:
            conn.execution_options(**{WRITE_OPTION: True})
            with conn.begin():
                yield Repository(self.engine, self.where, actor=self.actor, _conn=conn)

    @property
    def connection(self) -> Connection:
        """The connection of the transaction this repository belongs to (the one
        :meth:`transaction` yields), for modules that add tables of their own."""
        if self._conn is None:
            raise RuntimeError("Repository.connection is only there inside transaction()")
        return self._conn

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        with self.transaction() as tx:
            assert tx._conn is not None
            yield tx._conn

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        if self._conn is not None:
            yield self._conn
            return
        with self.engine.connect() as conn, conn.begin():
            yield conn

    def schema_version(self) -> int:
        with self._read() as c:
            return read_version(c, self.where)

    # -- patients ---------------------------------------------------------------------------
    def add_patient(self, code: str, name: str | None = None) -> Patient:
        code = check_patient_code(code)
        if not code:
            raise RecordsError("a patient needs a code (e.g. P017)")
        name = _clean_name(name)
        created = utc_now()
        with self._write() as c:
            pid = c.execute(_insert(c, s.patients).values(code=code, name=name,
                                                          created=_ts(created), version=1)
                            .on_conflict_do_nothing(index_elements=["code"])
                            .returning(s.patients.c.id)).scalar_one_or_none()
            if pid is None:
                raise RecordsError(f"{self.where}: patient {code} already exists")
            self._audit(c, "created", code, "patient added")
        return Patient(pid, code, name, created, 1)

    def find_patient(self, code: str) -> Patient | None:
        with self._read() as c:
            row = self._patient_row(c, code.strip())
        return None if row is None else _patient(row)

    def get_patient(self, code: str) -> Patient:
        p = self.find_patient(code)
        if p is None:
            raise RecordsError(f"{self.where}: no patient {code.strip()!r} in the records "
                               "(add the patient first)")
        return p

    def list_patients(self, search: str = "") -> list[Patient]:
        """All patients by code; ``search`` matches part of the code or of the name."""
        q = _search(select(s.patients).order_by(s.patients.c.code), search)
        with self._read() as c:
            return [_patient(r) for r in c.execute(q).mappings()]

    def patient_summaries(self, search: str = "") -> list[PatientSummary]:
        """:meth:`list_patients` with each patient's session count and last session start, in
        one grouped statement (the patient list must not load every session)."""
        p, ss = s.patients, s.sessions
        q = (select(*p.c, func.count(ss.c.uid).label("n_sessions"),
                    func.max(ss.c.started).label("last_started"))
             .select_from(p.outerjoin(ss, ss.c.patient_id == p.c.id))
             .group_by(*p.c).order_by(p.c.code))
        with self._read() as c:
            return [PatientSummary(_patient(r), int(r["n_sessions"]),
                                   _dt(r["last_started"]) if r["last_started"] else None)
                    for r in c.execute(_search(q, search)).mappings()]

    def set_patient_name(self, code: str, name: str | None, *,
                         expected_version: int | None = None) -> Patient:
        """Change the name; with ``expected_version`` (the version the clinician saw) a
        change made meanwhile elsewhere raises :class:`ConflictError` and nothing is written."""
        name = _clean_name(name)
        with self._write() as c:
            pid = self._patient_id(c, code)
            q = update(s.patients).where(s.patients.c.id == pid)
            if expected_version is not None:
                q = q.where(s.patients.c.version == expected_version)
            if c.execute(q.values(name=name, version=s.patients.c.version + 1)).rowcount == 0:
                raise self._conflict(f"patient {code.strip()}")
            self._audit(c, "changed", code, "name changed")
            row = self._patient_row(c, code.strip())
        return _patient(row)

    def delete_patient(self, code: str, *, expected_version: int | None = None) -> None:
        """The patient and everything recorded about them (sessions, notes, maps, programmes);
        recording files are not deleted here (the caller decides). The audit log keeps the
        code and who deleted it."""
        with self._write() as c:
            pid = self._patient_id(c, code)
            q = delete(s.patients).where(s.patients.c.id == pid)
            if expected_version is not None:
                q = q.where(s.patients.c.version == expected_version)
            if c.execute(q).rowcount == 0:
                raise self._conflict(f"patient {code.strip()}")
            self._audit(c, "deleted", code, "patient and all records deleted")

    # -- sessions ---------------------------------------------------------------------------
    def add_session(self, rec: SessionRecord) -> bool:
        """Store a session with its steps, ratings and dilator entry. False (and nothing
        written) when a session with this ``uid`` is already stored for the same patient:
        importing the same bundle twice never duplicates a session."""
        _check_session(rec, self.where)
        with self._write() as c:
            pid = self._patient_id(c, rec.patient_code)
            # ON CONFLICT: a concurrent insert of the same uid (another workstation importing
            # the same bundle) waits for that one and then stores nothing
            added = c.execute(_insert(c, s.sessions).values(
                uid=rec.uid, patient_id=pid, protocol=rec.protocol, title=rec.title,
                started=_ts(rec.started), duration_s=float(rec.duration_s), ended=rec.ended,
                summary_json=_json(rec.summary, self.where),
                processing_json=_json(rec.processing, self.where),
                recording_path=rec.recording_path, recording_sha256=rec.recording_sha256,
                origin=rec.origin).on_conflict_do_nothing(index_elements=["uid"])
                .returning(s.sessions.c.uid)).scalar_one_or_none()
            if added is None:
                owner = c.execute(select(s.sessions.c.patient_id)
                                  .where(s.sessions.c.uid == rec.uid)).scalar_one_or_none()
                if owner != pid:
                    raise RecordsError(f"{self.where}: session {rec.uid} belongs to another "
                                       "patient")
                return False
            if rec.steps:
                c.execute(s.steps.insert(), [_step_row(rec.uid, st, self.where)
                                             for st in rec.steps])
            for r in rec.ratings:
                self._insert_rating(c, rec.uid, r)
            if rec.dilator is not None:
                self._insert_dilator(c, rec.uid, rec.dilator)
            self._audit(c, "changed", rec.patient_code, f"session {rec.uid} added "
                        f"({rec.protocol}, {rec.origin})")
        return True

    def has_session(self, uid: str) -> bool:
        with self._read() as c:
            return c.execute(select(s.sessions.c.uid).where(s.sessions.c.uid == uid)
                             ).first() is not None

    def get_session(self, uid: str) -> SessionRecord:
        with self._read() as c:
            found = self._load_sessions(c, s.sessions.c.uid == uid)
        if not found:
            raise RecordsError(f"{self.where}: no session {uid}")
        return found[0]

    def sessions(self, code: str) -> list[SessionRecord]:
        """The patient's sessions, oldest first, each with its steps, ratings, dilator entry."""
        with self._read() as c:
            pid = self._patient_id(c, code)
            return self._load_sessions(c, s.sessions.c.patient_id == pid)

    def delete_session(self, uid: str) -> None:
        with self._write() as c:
            code = self._code_of_session(c, uid)
            if code is None:
                return
            c.execute(delete(s.sessions).where(s.sessions.c.uid == uid))
            self._audit(c, "deleted", code, f"session {uid} deleted")

    def add_rating(self, session_uid: str, rating: Rating) -> None:
        with self._write() as c:
            self._session_exists(c, session_uid)
            self._insert_rating(c, session_uid, rating)
            self._audit(c, "changed", self._code_of_session(c, session_uid),
                        f"{rating.scale} rating added to session {session_uid}")

    def set_dilator(self, session_uid: str, entry: DilatorEntry) -> None:
        """Record (or replace) the dilator practice of a session."""
        with self._write() as c:
            self._session_exists(c, session_uid)
            c.execute(delete(s.dilator_log).where(s.dilator_log.c.session_uid == session_uid))
            self._insert_dilator(c, session_uid, entry)
            self._audit(c, "changed", self._code_of_session(c, session_uid),
                        f"dilator entry of session {session_uid}")

    # -- notes ------------------------------------------------------------------------------
    def add_note(self, code: str, text: str, session_uid: str | None = None,
                 created: dt.datetime | None = None) -> Note:
        text = text.strip()
        if not text or len(text) > MAX_NOTE:
            raise RecordsError(f"a note needs 1 to {MAX_NOTE} characters of text")
        created = created or utc_now()
        with self._write() as c:
            pid = self._patient_id(c, code)
            if session_uid is not None:
                self._session_of(c, session_uid, pid)
            nid = c.execute(s.notes.insert().values(patient_id=pid, session_uid=session_uid,
                                                    created=_ts(created), text=text, version=1)
                            .returning(s.notes.c.id)).scalar_one()
            self._audit(c, "changed", code, f"note {nid} added")
        return Note(nid, code.strip(), session_uid, created, text)

    def edit_note(self, code: str, note_id: int, text: str, *,
                  expected_version: int | None = None) -> Note:
        """Replace a note's text; a stale ``expected_version`` raises :class:`ConflictError`
        (the note was edited on another workstation) and nothing is written."""
        text = text.strip()
        if not text or len(text) > MAX_NOTE:
            raise RecordsError(f"a note needs 1 to {MAX_NOTE} characters of text")
        with self._write() as c:
            pid = self._patient_id(c, code)
            where = (s.notes.c.id == note_id) & (s.notes.c.patient_id == pid)
            if c.execute(select(s.notes.c.id).where(where)).first() is None:
                raise RecordsError(f"{self.where}: patient {code.strip()} has no note {note_id}")
            if expected_version is not None:
                where = where & (s.notes.c.version == expected_version)
            done = c.execute(update(s.notes).where(where).values(
                text=text, version=s.notes.c.version + 1, edited=_ts(utc_now()))).rowcount
            if not done:
                raise self._conflict(f"note {note_id} of {code.strip()}")
            self._audit(c, "changed", code, f"note {note_id} edited")
            row = c.execute(select(s.notes).where(s.notes.c.id == note_id)).mappings().one()
        return _note(row, code)

    def notes(self, code: str) -> list[Note]:
        with self._read() as c:
            pid = self._patient_id(c, code)
            rows = c.execute(select(s.notes).where(s.notes.c.patient_id == pid)
                             .order_by(s.notes.c.created, s.notes.c.id)).mappings().all()
        return [_note(r, code) for r in rows]

    # -- cotton-swab maps (clinical.md §6) ---------------------------------------------------
    def add_swab_map(self, code: str, points: Iterable[SwabPoint],
                     session_uid: str | None = None, taken: dt.datetime | None = None) -> SwabMap:
        pts = tuple(sorted(points, key=lambda p: p.clock))
        _check_swab(pts)
        taken = taken or utc_now()
        with self._write() as c:
            pid = self._patient_id(c, code)
            if session_uid is not None:
                self._session_of(c, session_uid, pid)
            mid = c.execute(s.swab_maps.insert().values(patient_id=pid, session_uid=session_uid,
                                                        taken=_ts(taken))
                            .returning(s.swab_maps.c.id)).scalar_one()
            c.execute(s.swab_points.insert(), [{"map_id": mid, "clock": p.clock,
                                                "pain": float(p.pain)} for p in pts])
            self._audit(c, "changed", code, f"cotton-swab map {mid} added")
        return SwabMap(mid, code.strip(), session_uid, taken, pts)

    def swab_maps(self, code: str) -> list[SwabMap]:
        with self._read() as c:
            pid = self._patient_id(c, code)
            maps = c.execute(select(s.swab_maps).where(s.swab_maps.c.patient_id == pid)
                             .order_by(s.swab_maps.c.taken, s.swab_maps.c.id)).mappings().all()
            pts: dict[int, list[SwabPoint]] = {m["id"]: [] for m in maps}
            if maps:
                for r in c.execute(select(s.swab_points)
                                   .where(s.swab_points.c.map_id.in_(list(pts)))
                                   .order_by(s.swab_points.c.clock)).mappings():
                    pts[r["map_id"]].append(SwabPoint(r["clock"], r["pain"]))
        return [SwabMap(m["id"], code.strip(), m["session_uid"], _dt(m["taken"]),
                        tuple(pts[m["id"]])) for m in maps]

    # -- programmes (app/programme.py owns the file format) ----------------------------------
    def save_programme(self, code: str, body: str, sha256: str) -> tuple[StoredProgramme, bool]:
        """Store a programme for the patient; ``(programme, False)`` if this exact programme
        (same checksum) was stored before."""
        with self._write() as c:
            pid = self._patient_id(c, code)
            q = select(s.programmes).where(s.programmes.c.patient_id == pid,
                                           s.programmes.c.sha256 == sha256)
            row = c.execute(q).mappings().first()
            if row is not None:
                return _programme(row, code), False
            new = c.execute(_insert(c, s.programmes).values(
                patient_id=pid, imported=_ts(utc_now()), sha256=sha256, body=body)
                .on_conflict_do_nothing(index_elements=["patient_id", "sha256"])
                .returning(s.programmes.c.id)).scalar_one_or_none() is not None
            if new:
                self._audit(c, "changed", code, f"programme {sha256[:12]} stored")
            return _programme(c.execute(q).mappings().one(), code), new

    def latest_programme(self, code: str) -> StoredProgramme | None:
        with self._read() as c:
            pid = self._patient_id(c, code)
            row = c.execute(select(s.programmes).where(s.programmes.c.patient_id == pid)
                            .order_by(s.programmes.c.id.desc()).limit(1)).mappings().first()
        return None if row is None else _programme(row, code)

    # -- audit log (audit.py) ---------------------------------------------------------------
    def record_audit(self, action: str, code: str | None, detail: str = "") -> None:
        """An audit entry for what the app did with a record beyond changing it (``opened``,
        ``exported``), as :attr:`actor`."""
        with self._write() as c:
            self._audit(c, action, code, detail)

    def audit_log(self, *, patient: str | None = None, actor: str | None = None,
                  since: dt.datetime | None = None, limit: int = 1000) -> list[AuditEntry]:
        """Audit entries, newest first (the app layer lets administrators only read them)."""
        with self._read() as c:
            return read_audit(c, patient=patient, actor=actor, since=since, limit=limit)

    # -- helpers ------------------------------------------------------------------------------
    def _audit(self, c: Connection, action: str, code: str | None, detail: str) -> None:
        write_audit(c, self.actor, action, code, detail)

    def _conflict(self, what: str) -> ConflictError:
        return ConflictError(f"{self.where}: {what} was changed on another workstation since it "
                             "was opened; reload it and make the change again (nothing was saved)")

    def _code_of_session(self, c: Connection, uid: str) -> str | None:
        return c.execute(select(s.patients.c.code).join(
            s.sessions, s.sessions.c.patient_id == s.patients.c.id)
            .where(s.sessions.c.uid == uid)).scalar_one_or_none()

    def _patient_row(self, c: Connection, code: str) -> Any:
        return c.execute(select(s.patients).where(s.patients.c.code == code)).mappings().first()

    def _patient_id(self, c: Connection, code: str) -> int:
        row = self._patient_row(c, code.strip())
        if row is None:
            raise RecordsError(f"{self.where}: no patient {code.strip()!r} in the records "
                               "(add the patient first)")
        return int(row["id"])

    def _session_exists(self, c: Connection, uid: str) -> int:
        pid = c.execute(select(s.sessions.c.patient_id).where(s.sessions.c.uid == uid)
                        ).scalar_one_or_none()
        if pid is None:
            raise RecordsError(f"{self.where}: no session {uid}")
        return int(pid)

    def _session_of(self, c: Connection, uid: str, pid: int) -> None:
        if self._session_exists(c, uid) != pid:
            raise RecordsError(f"{self.where}: session {uid} belongs to another patient")

    def _insert_rating(self, c: Connection, uid: str, r: Rating) -> None:
        _check_rating(r)
        c.execute(s.ratings.insert().values(session_uid=uid, scale=r.scale, value=float(r.value),
                                            at_s=float(r.at_s), label=r.label))

    def _insert_dilator(self, c: Connection, uid: str, d: DilatorEntry) -> None:
        if not isinstance(d.size, int) or not 1 <= d.size <= 99 or not _finite(d.hold_s):
            raise RecordsError(f"dilator entry: size {d.size!r} / hold {d.hold_s!r} s not valid")
        c.execute(s.dilator_log.insert().values(
            session_uid=uid, size=d.size, full_insertion=bool(d.full_insertion),
            hold_s=float(d.hold_s), pain_max=_opt(d.pain_max), hold_mean_uv=_opt(d.hold_mean_uv),
            baseline_uv=_opt(d.baseline_uv)))

    def _load_sessions(self, c: Connection, where: Any) -> list[SessionRecord]:
        q = (select(s.sessions, s.patients.c.code)
             .join(s.patients, s.patients.c.id == s.sessions.c.patient_id)
             .where(where).order_by(s.sessions.c.started, s.sessions.c.uid))
        rows = c.execute(q).mappings().all()
        uids = [r["uid"] for r in rows]
        if not uids:
            return []
        steps: dict[str, list[StepRecord]] = {u: [] for u in uids}
        for r in c.execute(select(s.steps).where(s.steps.c.session_uid.in_(uids))
                           .order_by(s.steps.c.session_uid, s.steps.c.idx)).mappings():
            steps[r["session_uid"]].append(StepRecord(
                r["idx"], r["name"], r["step"], r["grp"], r["kind"], r["start_s"], r["end_s"],
                bool(r["completed"]), json.loads(r["metrics_json"])))
        ratings: dict[str, list[Rating]] = {u: [] for u in uids}
        for r in c.execute(select(s.ratings).where(s.ratings.c.session_uid.in_(uids))
                           .order_by(s.ratings.c.session_uid, s.ratings.c.at_s,
                                     s.ratings.c.id)).mappings():
            ratings[r["session_uid"]].append(Rating(r["scale"], r["value"], r["at_s"], r["label"]))
        dil = {r["session_uid"]: DilatorEntry(r["size"], bool(r["full_insertion"]), r["hold_s"],
                                              r["pain_max"], r["hold_mean_uv"], r["baseline_uv"])
               for r in c.execute(select(s.dilator_log)
                                  .where(s.dilator_log.c.session_uid.in_(uids))).mappings()}
        return [SessionRecord(
            uid=r["uid"], patient_code=r["code"], protocol=r["protocol"], title=r["title"],
            started=_dt(r["started"]), duration_s=r["duration_s"], ended=r["ended"],
            summary=json.loads(r["summary_json"]), processing=json.loads(r["processing_json"]),
            recording_path=r["recording_path"], recording_sha256=r["recording_sha256"],
            origin=r["origin"], steps=tuple(steps[r["uid"]]), ratings=tuple(ratings[r["uid"]]),
            dilator=dil.get(r["uid"])) for r in rows]


def _search(q: Any, search: str) -> Any:
    """``q`` limited to patients whose code or name holds ``search`` (case-insensitive)."""
    if not search.strip():
        return q
    like = f"%{search.strip().lower()}%"
    return q.where(or_(func.lower(s.patients.c.code).like(like),
                       func.lower(s.patients.c.name).like(like)))


def _insert(c: Connection, table: Table) -> Any:
    """An INSERT of the connection's dialect (both have ``on_conflict_do_nothing``)."""
    return (postgresql.insert if c.dialect.name == "postgresql" else sqlite.insert)(table)


def _json(value: Any, where: str) -> str:
    try:
        return json.dumps(value, allow_nan=False, sort_keys=True, separators=(",", ":"))
    except (TypeError, ValueError) as exc:
        raise RecordsError(f"{where}: a value cannot be stored as JSON ({exc})") from None


def _finite(v: object) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


def _opt(v: float | None) -> float | None:
    return float(v) if _finite(v) else None


def _clean_name(name: str | None) -> str | None:
    if name is None or not name.strip():
        return None
    name = " ".join(name.split())
    if len(name) > MAX_NAME:
        raise RecordsError(f"a name has at most {MAX_NAME} characters")
    return name


def _check_session(rec: SessionRecord, where: str) -> None:
    if not rec.uid or len(rec.uid) > 64 or not rec.protocol.strip():
        raise RecordsError(f"{where}: a session needs an id and a protocol name")
    if rec.origin not in ORIGINS:
        raise RecordsError(f"{where}: session origin {rec.origin!r} is not one of {ORIGINS}")
    if not _finite(rec.duration_s) or rec.duration_s < 0:
        raise RecordsError(f"{where}: session duration {rec.duration_s!r} s is not valid")
    if len({st.index for st in rec.steps}) != len(rec.steps):
        raise RecordsError(f"{where}: session {rec.uid} has two steps with the same index")


def _step_row(uid: str, st: StepRecord, where: str) -> dict[str, Any]:
    if not (_finite(st.start_s) and _finite(st.end_s)):
        raise RecordsError(f"{where}: step {st.name!r} has no valid start and end")
    return {"session_uid": uid, "idx": st.index, "name": st.name, "step": st.step,
            "grp": st.group, "kind": st.kind, "start_s": float(st.start_s),
            "end_s": float(st.end_s), "completed": bool(st.completed),
            "metrics_json": _json(st.metrics, where)}


def _check_rating(r: Rating) -> None:
    bounds = RATING_SCALES.get(r.scale)
    if bounds is None:
        raise RecordsError(f"rating scale {r.scale!r} is not one of {', '.join(RATING_SCALES)}")
    lo, hi = bounds
    if not _finite(r.value) or not lo <= r.value <= hi or not _finite(r.at_s):
        raise RecordsError(f"{r.scale} rating {r.value!r} is outside {lo:g}-{hi:g}")


def _check_swab(pts: Sequence[SwabPoint]) -> None:
    if not pts:
        raise RecordsError("a cotton-swab map needs at least one clock position")
    clocks = [p.clock for p in pts]
    if len(set(clocks)) != len(clocks) or any(c not in CLOCK_POSITIONS for c in clocks):
        raise RecordsError("cotton-swab positions are clock hours 1-12, each at most once")
    if any(not _finite(p.pain) or not 0 <= p.pain <= 10 for p in pts):
        raise RecordsError("cotton-swab pain is rated 0-10 at each position")


def _patient(r: Any) -> Patient:
    return Patient(int(r["id"]), r["code"], r["name"], _dt(r["created"]), int(r["version"]))


def _note(r: Any, code: str) -> Note:
    return Note(r["id"], code.strip(), r["session_uid"], _dt(r["created"]), r["text"],
                int(r["version"]), _dt(r["edited"]) if r["edited"] else None)


def _programme(r: Any, code: str) -> StoredProgramme:
    return StoredProgramme(int(r["id"]), code.strip(), _dt(r["imported"]), r["sha256"], r["body"])


__all__ = ["WRITE_OPTION", "Repository"]
