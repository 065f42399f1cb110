"""Bundles of sessions (home → clinic): results and recordings in one checksummed ZIP file.

A bundle (``.bfbundle``) is a ZIP with exactly these members:

* ``manifest.json``: ``{"format": "biofeedback-bundle", "version": 1, "patient": CODE,
  "created": TIME, "deidentified": false, "sessions": [session objects], "files": {member:
  sha256}}``; each session object is ``storage/records/codec.py``'s form with
  ``recording_file`` (a member or null) instead of the local path;
* ``manifest.sha256``: the SHA-256 of ``manifest.json``'s bytes;
* ``recordings/<session uid>.<bdf|edf|csv>``: the recordings.

Import checks everything before it writes anything: the ZIP, the member names (no paths of
its own), the manifest checksum, every field, every recording's checksum, and that the patient
exists here. Then one transaction stores the new sessions and copies their recordings into the
data folder; if any part fails the transaction is rolled back and the copied files removed.
Session ids are kept, so importing a bundle twice adds nothing the second time.

The patient's CBT and partner content (exposure hierarchy and practice, thought records,
partner steps; ``storage/records/cbt.py``) travels as an optional ``"cbt"`` object of the
manifest (``cbt_codec.py``'s form), unless the export leaves it out (``include_cbt=False``); on
import it is merged by entry id in the same transaction, so a second import adds nothing.

A **de-identified** export (for sharing, e.g. research or a second opinion) moves every date by
the same whole number of days so the first session falls on 2000-01-01 (intervals, weekdays
aside, and time of day kept), leaves out the recordings (their EDF+ headers hold the real start
date) and their paths, and all CBT and partner content (free text about a person's intimate
life cannot be de-identified); names and notes are never in a bundle. De-identified bundles are refused
on import: they are not a patient's record any more.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, BinaryIO

from biofeedback.app.records import sha256_file
from biofeedback.storage.paths import ensure_private_dir, open_private, recordings_dir, safe_name
from biofeedback.storage.patient_code import patient_code_problem
from biofeedback.storage.records import Repository, SessionRecord, utc_now
from biofeedback.storage.records.cbt_codec import cbt_from_dict, cbt_to_dict
from biofeedback.storage.records.codec import session_from_dict, session_to_dict, time_text
from biofeedback.storage.records.errors import RecordsError
from biofeedback.storage.records.files import marked_json, write_atomically
from biofeedback.storage.records.models_cbt import CbtContent, CbtMerge
from biofeedback.storage.records.share import is_on_share, resolve_recording, store_on_share

FORMAT = "biofeedback-bundle"
VERSION = 1
MANIFEST = "manifest.json"
MANIFEST_SUM = "manifest.sha256"
MEMBER = re.compile(r"^recordings/([0-9a-f]{32})\.(bdf|edf|csv)$")
MAX_MANIFEST = 64 * 1024 * 1024
MAX_TOTAL = 8 * 1024**3
MAX_SESSIONS = 10_000
DEIDENTIFIED_EPOCH = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
_CHUNK = 1 << 20


@dataclass(frozen=True)
class ExportResult:
    path: Path
    sessions: int
    recordings: int
    missing_recordings: tuple[str, ...]  # session uids whose recording file is gone
    deidentified: bool
    cbt_entries: int = 0  # hierarchy steps + practices + thought records + partner steps


@dataclass(frozen=True)
class ImportResult:
    patient_code: str
    added: tuple[str, ...]  # session uids stored now
    skipped: tuple[str, ...]  # already in the records (same uid)
    recordings: int  # recording files copied into the data folder
    cbt: CbtMerge | None = None  # what the bundle's CBT and partner content changed


# -- export ---------------------------------------------------------------------------------
def export_bundle(repo: Repository, code: str, path: Path, *, deidentify: bool = False,
                  since: dt.datetime | None = None, include_cbt: bool = True) -> ExportResult:
    """Write the patient's sessions (started at or after ``since``) into a bundle (0600), with
    the CBT and partner content unless de-identified or ``include_cbt`` is False."""
    patient = repo.get_patient(code)
    sessions = [r for r in repo.sessions(patient.code) if since is None or r.started >= since]
    files: dict[str, Path] = {}
    missing: list[str] = []
    objects = []
    shift = _shift(sessions) if deidentify else dt.timedelta(0)
    for r in sessions:
        d = session_to_dict(r)
        d.pop("recording")
        d.pop("patient")
        d["started"] = time_text(r.started - shift)
        member = None
        if not deidentify and r.recording_path:
            member = _member_for(r, files, missing)
        if deidentify:
            d["recording_sha256"] = None
        d["recording_file"] = member
        objects.append(d)
    manifest = {"format": FORMAT, "version": VERSION, "patient": patient.code,
                "created": time_text(utc_now() - shift), "deidentified": deidentify,
                "sessions": objects,
                "files": {m: sha for m, sha in ((m, _sha_of(p)) for m, p in files.items())}}
    cbt = repo.cbt_content(patient.code) if include_cbt and not deidentify else CbtContent()
    if not cbt.empty:
        manifest["cbt"] = cbt_to_dict(cbt)
    body = json.dumps(manifest, indent=1, ensure_ascii=False, allow_nan=False).encode("utf-8")

    def fill(f: BinaryIO) -> None:
        with zipfile.ZipFile(f, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr(MANIFEST, body)
            z.writestr(MANIFEST_SUM, hashlib.sha256(body).hexdigest() + "\n")
            for member, src in files.items():
                z.write(src, member)

    write_atomically(Path(path), fill)
    return ExportResult(Path(path), len(objects), len(files), tuple(missing), deidentify,
                        _entries(cbt))


def _entries(c: CbtContent) -> int:
    return len(c.steps) + sum(len(s.practices) for s in c.steps) + len(c.thoughts) \
        + len(c.partner)


def _shift(sessions: Sequence[SessionRecord]) -> dt.timedelta:
    if not sessions:
        return dt.timedelta(0)
    first = min(r.started for r in sessions).astimezone(dt.UTC)
    return dt.timedelta(days=(first.date() - DEIDENTIFIED_EPOCH.date()).days)


def _member_for(r: SessionRecord, files: dict[str, Path], missing: list[str]) -> str | None:
    src = Path(r.recording_path or "")
    if not src.is_file():
        missing.append(r.uid)
        return None
    if r.recording_sha256 and sha256_file(src) != r.recording_sha256:
        raise RecordsError(f"{src}: the recording of session {r.uid} changed after it was "
                           "stored (checksum mismatch); not exported")
    ext = src.suffix.lower().lstrip(".")
    member = f"recordings/{r.uid}.{ext if ext in ('bdf', 'edf', 'csv') else 'bdf'}"
    files[member] = src
    return member


def _sha_of(path: Path) -> str:
    return sha256_file(path)


# -- import ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Checked:
    code: str
    sessions: tuple[tuple[SessionRecord, str | None], ...]  # (record, member)
    cbt: CbtContent | None = None


def read_bundle(path: Path) -> _Checked:
    """Validate a bundle completely (nothing is written); one line naming the file if not."""
    where = str(path)
    try:
        with zipfile.ZipFile(path) as z:
            return _check(z, where)
    except FileNotFoundError:
        raise RecordsError(f"{where}: no such file") from None
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, NotImplementedError):
        raise RecordsError(f"{where}: not a bundle (not a readable ZIP file)") from None
    except OSError as exc:
        raise RecordsError(f"{where}: cannot read it ({exc.strerror})") from None


def _check(z: zipfile.ZipFile, where: str) -> _Checked:
    infos = z.infolist()
    names = [i.filename for i in infos]
    if len(set(names)) != len(names):
        raise RecordsError(f"{where}: a member appears twice; not a bundle this app wrote")
    if MANIFEST not in names or MANIFEST_SUM not in names:
        raise RecordsError(f"{where}: not a bundle (no {MANIFEST})")
    for n in names:
        if n not in (MANIFEST, MANIFEST_SUM) and not MEMBER.fullmatch(n):
            raise RecordsError(f"{where}: unexpected member {n[:80]!r}; not a bundle this app "
                               "wrote")
    if sum(i.file_size for i in infos) > MAX_TOTAL:
        raise RecordsError(f"{where}: larger than {MAX_TOTAL >> 30} GiB unpacked")
    body = _read_member(z, MANIFEST, MAX_MANIFEST, where)
    if _read_member(z, MANIFEST_SUM, 1024, where).decode("ascii", "replace").strip() \
            != hashlib.sha256(body).hexdigest():
        raise RecordsError(f"{where}: manifest checksum mismatch: the bundle was changed or "
                           "damaged after export")
    m = marked_json(body, where, "bundle", FORMAT, VERSION)
    if m.get("deidentified") is not False:
        raise RecordsError(f"{where}: a de-identified bundle (dates shifted, no recordings) "
                           "is for sharing and cannot be imported into a patient's records")
    code = m.get("patient")
    if not isinstance(code, str) or not code.strip() or patient_code_problem(code):
        raise RecordsError(f"{where}: the bundle's patient code is missing or not valid")
    files = m.get("files")
    sessions = m.get("sessions")
    if not isinstance(files, dict) or not isinstance(sessions, list) \
            or len(sessions) > MAX_SESSIONS:
        raise RecordsError(f"{where}: the manifest needs 'sessions' (a list) and 'files'")
    if set(files) != set(names) - {MANIFEST, MANIFEST_SUM}:
        raise RecordsError(f"{where}: the manifest's file list does not match the bundle's "
                           "members")
    out = []
    seen: set[str] = set()
    used: set[str] = set()
    for raw in sessions:
        rec = session_from_dict(raw, where, code.strip())
        if rec.uid in seen:
            raise RecordsError(f"{where}: session {rec.uid} appears twice")
        seen.add(rec.uid)
        member = raw.get("recording_file")
        if member is not None:
            if member not in files or MEMBER.fullmatch(member).group(1) != rec.uid:  # type: ignore[union-attr]
                raise RecordsError(f"{where}: session {rec.uid}: recording_file {str(member)[:80]!r}"
                                   " is not its member of the bundle")
            if files[member] != rec.recording_sha256:
                raise RecordsError(f"{where}: session {rec.uid}: the manifest's checksums of "
                                   "its recording disagree")
            if _sha_member(z, member, where) != rec.recording_sha256:
                raise RecordsError(f"{where}: {member}: checksum mismatch: the recording was "
                                   "changed or damaged after export")
            used.add(member)
        out.append((replace(rec, recording_path=None), member))
    if used != set(files):
        raise RecordsError(f"{where}: the bundle holds recordings no session refers to")
    cbt = None if m.get("cbt") is None else cbt_from_dict(m["cbt"], where, code.strip())
    return _Checked(code.strip(), tuple(out), cbt)


def _read_member(z: zipfile.ZipFile, name: str, limit: int, where: str) -> bytes:
    with z.open(name) as f:
        data = f.read(limit + 1)
    if len(data) > limit:
        raise RecordsError(f"{where}: {name} is too large")
    return data


def _sha_member(z: zipfile.ZipFile, name: str, where: str) -> str:
    h = hashlib.sha256()
    with z.open(name) as f:
        while chunk := f.read(_CHUNK):
            h.update(chunk)
    return h.hexdigest()


def import_bundle(repo: Repository, path: Path, *, folder: Path | None = None,
                  share: Path | None = None) -> ImportResult:
    """Validate the bundle, then store its new sessions and copy their recordings into
    ``folder`` (default ``<data dir>/recordings/imported``), all or nothing. With ``share``
    (the clinic share, ``storage/records/share.py``) the recordings go onto the share instead
    and are stored as relative ``share:`` paths, as a clinic session's are."""
    checked = read_bundle(path)
    repo.get_patient(checked.code)  # "into the right patient": it must exist here
    target = ensure_private_dir(folder) if folder else \
        ensure_private_dir(recordings_dir() / "imported")
    created: list[Path] = []
    added: list[str] = []
    skipped: list[str] = []
    try:
        with zipfile.ZipFile(path) as z, repo.transaction() as tx:
            for rec, member in checked.sessions:
                if tx.has_session(rec.uid) and not tx.add_session(rec):
                    skipped.append(rec.uid)  # stored before (another patient's: an error)
                    continue
                copied = None
                if member is not None and share is not None:
                    copied, stored = _member_to_share(z, member, share, checked.code, rec,
                                                      target, created)
                    rec = replace(rec, recording_path=stored)
                elif member is not None:
                    copied = target / f"{safe_name(checked.code)}-{Path(member).name}"
                    _copy_member(z, member, copied, rec.recording_sha256 or "", created)
                    rec = replace(rec, recording_path=str(copied.resolve()))
                if not tx.add_session(rec):  # another workstation stored it meanwhile
                    skipped.append(rec.uid)
                    if copied is not None:
                        _drop_unless_used(tx, rec.uid, copied, created, share)
                    continue
                added.append(rec.uid)
            merged = None if checked.cbt is None else tx.merge_cbt(checked.code, checked.cbt)
    except BaseException:
        for p in created:
            with contextlib.suppress(OSError):
                p.unlink()
        raise
    return ImportResult(checked.code, tuple(added), tuple(skipped), len(created), merged)


def _member_to_share(z: zipfile.ZipFile, member: str, share: Path, code: str,
                     rec: SessionRecord, scratch: Path, created: list[Path]) -> tuple[Path, str]:
    """Put a bundle's recording onto the clinic share (checked against the manifest's
    checksum): ``(file on the share, its "share:" records path)``. A file already there with
    the same content (an earlier, rolled-back attempt) is kept and not counted as created."""
    sha = rec.recording_sha256 or ""
    tmp = scratch / f".{safe_name(code)}-{Path(member).name}"
    with contextlib.suppress(OSError):
        tmp.unlink()
    dest = share / safe_name(code) / Path(member).name  # where store_on_share puts it
    existed = dest.exists()
    try:
        _copy_member(z, member, tmp, sha, [])  # checked against the manifest's checksum
        stored, _ = store_on_share(tmp, share, code, rec.uid)
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()
    if not existed:
        created.append(dest)
    return dest, stored


def _drop_unless_used(repo: Repository, uid: str, copied: Path, created: list[Path],
                      share: Path | None = None) -> None:
    """The session was stored by a concurrent import: the copy just made is not needed,
    unless that import's session points at the very same file (one shared folder)."""
    stored = repo.get_session(uid).recording_path
    if stored is not None and is_on_share(stored) and share is not None:
        stored = str(resolve_recording(stored, share))
    if stored is not None and Path(stored).resolve() == copied.resolve():
        return
    with contextlib.suppress(OSError):
        copied.unlink()
    if copied in created:
        created.remove(copied)


def _copy_member(z: zipfile.ZipFile, member: str, dest: Path, sha: str,
                 created: list[Path]) -> None:
    if dest.exists():
        if sha256_file(dest) == sha:
            return  # the same recording is already here (an earlier, rolled-back attempt)
        raise RecordsError(f"{dest}: exists with other content; not overwritten")
    tmp = dest.with_name(f".{dest.name}.part")
    fd = open_private(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    h = hashlib.sha256()
    try:
        with os.fdopen(fd, "wb") as out, z.open(member) as src:
            while chunk := src.read(_CHUNK):
                h.update(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        if h.hexdigest() != sha:
            raise RecordsError(f"{dest}: the copy does not match its checksum")
        os.replace(tmp, dest)
        created.append(dest)
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()


def bundle_summary(path: Path) -> dict[str, Any]:
    """What a bundle holds (after full validation), for ``bundle import --check``."""
    c = read_bundle(path)
    return {"patient": c.code, "sessions": len(c.sessions),
            "recordings": sum(1 for _, m in c.sessions if m is not None)}


__all__ = ["ExportResult", "ImportResult", "bundle_summary", "export_bundle", "import_bundle",
           "read_bundle"]
