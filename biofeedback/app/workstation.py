"""A clinic workstation: the server when it can be reached, else the local outbox; upload later.

When the clinic server cannot be reached, a workstation keeps working: sessions go into a local
SQLite *outbox* (``<data dir>/outbox.sqlite3``, private like the local records) with the
patient's code only, and their recordings stay in the local data folder. :func:`sync_outbox`
later uploads them through the bundle path (``app/bundle.py``: the same checks, one transaction
per patient, session ids kept so nothing is stored twice) and empties the outbox patient by
patient. Recordings go onto the clinic share when one is configured, stored as
``share:<code>/<uid>.<ext>`` with their checksum like a session run on the server
(``storage/records/share.py``), so every workstation opens them through its own mount.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from biofeedback.app.bundle import export_bundle, import_bundle
from biofeedback.app.records import session_record
from biofeedback.sessions.protocol import Protocol
from biofeedback.sessions.results import SessionResult
from biofeedback.storage.paths import data_dir, ensure_private_dir
from biofeedback.storage.records import (
    ClinicConfig,
    RecordsDatabase,
    RecordsError,
    ServerUnreachableError,
    SessionRecord,
    SqliteDatabase,
    load_clinic_config,
    new_session_uid,
    open_records,
)
from biofeedback.storage.records.share import store_on_share

OUTBOX = "outbox.sqlite3"


@dataclass(frozen=True)
class Opened:
    db: RecordsDatabase
    offline: bool  # True: the server was unreachable; this is the local outbox
    message: str = ""  # what to tell the person when offline (one line)


@dataclass(frozen=True)
class SyncResult:
    uploaded: int  # sessions stored on the server now
    already: int  # sessions the server already had (uploaded before)
    patients: tuple[str, ...]  # patients whose outbox sessions were uploaded
    kept: tuple[str, ...]  # patients left in the outbox (with the reason), e.g. not on the server


def outbox_path() -> Path:
    return data_dir() / OUTBOX


def open_outbox() -> SqliteDatabase:
    return SqliteDatabase(outbox_path(), backup_folder=data_dir() / "backups")


def open_workstation(patient: str | None = None, *, config: ClinicConfig | None = None
                     ) -> Opened:
    """The records to use now: the server (or the local file when none is configured); if the
    server is unreachable, the outbox, with ``patient`` added there so a session can be kept."""
    config = config or load_clinic_config()
    try:
        return Opened(open_records(config=config), False)
    except ServerUnreachableError as exc:
        if not config.server:
            raise
        box = open_outbox()
        if patient and box.repo.find_patient(patient) is None:
            box.repo.add_patient(patient)
        return Opened(box, True, f"{exc}; upload them later with 'biofeedback db sync'")


def store_clinic_session(db: RecordsDatabase, code: str, result: SessionResult,
                         protocol: Protocol, *, recording: Path | None = None,
                         share: Path | None = None, **kwargs: Any) -> SessionRecord:
    """Store a finished session (one transaction, ``app/records.py``); on a clinic server
    with a share configured, the recording is copied onto the share first and stored as its
    ``share:`` path with the checksum (the local file stays). The outbox keeps local paths."""
    uid = kwargs.pop("uid", None) or new_session_uid()
    rec = session_record(code, result, protocol, recording=recording, uid=uid, **kwargs)
    if recording is not None and share is not None and not isinstance(db, SqliteDatabase):
        path, sha = store_on_share(recording, share, code, uid)
        rec = replace(rec, recording_path=path, recording_sha256=sha)
    with db.repo.transaction() as tx:
        tx.get_patient(code)
        tx.add_session(rec)
    return rec


def pending_sessions() -> int:
    """How many sessions wait in the outbox (0 when there is none)."""
    if not outbox_path().exists():
        return 0
    with open_outbox() as box:
        return sum(len(box.repo.sessions(p.code)) for p in box.repo.list_patients())


def sync_outbox(server: RecordsDatabase, *, share: Path | None = None) -> SyncResult:
    """Upload every outbox session to ``server`` through a bundle per patient; a patient whose
    upload fails (not on the server, a bad recording) stays in the outbox and is named."""
    if not outbox_path().exists():
        return SyncResult(0, 0, (), ())
    uploaded = already = 0
    done: list[str] = []
    kept: list[str] = []
    with open_outbox() as box, tempfile.TemporaryDirectory(
            dir=ensure_private_dir(data_dir())) as tmp:
        for p in box.repo.list_patients():
            if not box.repo.sessions(p.code):
                box.repo.delete_patient(p.code)
                continue
            bundle = Path(tmp) / f"{p.id}.bfbundle"
            try:
                export_bundle(box.repo, p.code, bundle)
                got = import_bundle(server.repo, bundle, share=share)
            except ServerUnreachableError:
                raise
            except RecordsError as exc:
                kept.append(f"{p.code} ({exc})")
                continue
            uploaded += len(got.added)
            already += len(got.skipped)
            box.repo.delete_patient(p.code)  # on the server now: the local copy goes
            done.append(p.code)
    return SyncResult(uploaded, already, tuple(done), tuple(kept))


__all__ = ["OUTBOX", "Opened", "SyncResult", "open_outbox", "open_workstation", "outbox_path",
           "pending_sessions", "store_clinic_session", "sync_outbox"]
