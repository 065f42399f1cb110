"""Recordings on the clinic share: the server holds each session's metadata and checksum, the
recording file lives on a shared folder every workstation mounts (``[share] recordings`` in
``clinic.toml``), possibly at a different place on each.

A recording on the share is stored in the records as ``share:<code>/<session uid>.<ext>``,
relative to the share, so any workstation resolves it against its own mount. Opening one
verifies the SHA-256 stored with the session: a missing or altered file is one clear line, never
a silently wrong replay or report. Files are group-readable (``SHARE_*_MODE``): the share's
own access control (a clinic group) decides who reads them, see ``docs/clinic-server.md``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path, PurePosixPath

from biofeedback.storage.paths import safe_name
from biofeedback.storage.records.errors import RecordsError
from biofeedback.storage.records.files import sha256_file
from biofeedback.storage.records.models import SessionRecord

PREFIX = "share:"
# the share is read by every workstation's account: access is the clinic group's (the share's
# own permissions), never everyone's
SHARE_DIR_MODE = 0o770
SHARE_FILE_MODE = 0o660


def is_on_share(recording_path: str | None) -> bool:
    return bool(recording_path) and str(recording_path).startswith(PREFIX)


def store_on_share(src: Path, share: Path, code: str, uid: str) -> tuple[str, str]:
    """Copy a finished recording onto the share (atomically: a temporary name, then a rename):
    ``(records path "share:...", sha256)``. An existing file with the same content is kept."""
    if not share.is_dir():
        raise RecordsError(f"{share}: the clinic share is not mounted (no such folder)")
    sha = sha256_file(src)
    ext = src.suffix.lower().lstrip(".") or "bdf"
    rel = PurePosixPath(safe_name(code)) / f"{uid}.{ext}"
    dest = share / rel
    dest.parent.mkdir(mode=SHARE_DIR_MODE, parents=True, exist_ok=True)
    if dest.exists():
        if sha256_file(dest) == sha:
            return PREFIX + str(rel), sha
        raise RecordsError(f"{dest}: already on the share with other content; not overwritten")
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.part")
    try:
        shutil.copyfile(src, tmp)
        os.chmod(tmp, SHARE_FILE_MODE)
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        if sha256_file(tmp) != sha:
            raise RecordsError(f"{dest}: the copy on the share does not match the recording")
        os.replace(tmp, dest)
    except OSError as exc:
        raise RecordsError(f"{dest}: cannot write to the clinic share ({exc.strerror})") from None
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()
    return PREFIX + str(rel), sha


def resolve_recording(recording_path: str, share: Path | None) -> Path:
    """Where a stored recording path is on this workstation (a ``share:`` path needs the
    share; ``..`` never leaves it)."""
    if not is_on_share(recording_path):
        return Path(recording_path)
    rel = PurePosixPath(recording_path[len(PREFIX):])
    if share is None:
        raise RecordsError(f"{recording_path}: the recording is on the clinic share, and no "
                           "share is configured here ([share] recordings in clinic.toml)")
    if rel.is_absolute() or ".." in rel.parts:
        raise RecordsError(f"{recording_path}: not a path inside the clinic share")
    return share.joinpath(*rel.parts)


def open_recording(rec: SessionRecord, share: Path | None = None) -> Path:
    """The verified recording of a session: the file exists and its SHA-256 is the one stored
    with the session; otherwise one line saying which session and what is wrong."""
    if not rec.recording_path:
        raise RecordsError(f"session {rec.uid} has no recording")
    path = resolve_recording(rec.recording_path, share)
    if not path.is_file():
        raise RecordsError(f"{path}: the recording of session {rec.uid} is missing (moved, "
                           "deleted, or the share is not mounted)")
    if rec.recording_sha256 and sha256_file(path) != rec.recording_sha256:
        raise RecordsError(f"{path}: the recording of session {rec.uid} was altered after it "
                           "was stored (checksum mismatch); not opened")
    return path


__all__ = ["PREFIX", "is_on_share", "open_recording", "resolve_recording", "store_on_share"]
