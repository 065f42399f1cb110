"""Writing exchange files and reports: private (0600), complete or not at all."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from biofeedback.storage.paths import open_private
from biofeedback.storage.records.errors import RecordsError


def write_atomically(path: Path, fill: Callable[[BinaryIO], None], *,
                     overwrite: bool = True) -> Path:
    """Write ``path`` through ``fill(file)`` into a hidden temporary file beside it (0600),
    flushed to disk, then renamed over ``path``: a reader never sees half a file, and a failure
    leaves no file behind."""
    path = Path(path)
    if not overwrite and path.exists():
        raise RecordsError(f"{path}: already exists")
    if not path.parent.is_dir():
        raise RecordsError(f"{path}: the folder {path.parent} does not exist")
    tmp = path.with_name(f".{path.name}.{os.getpid()}.part")
    try:
        fd = open_private(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    except OSError as exc:
        raise RecordsError(f"{path}: cannot write here ({exc.strerror})") from None
    try:
        with os.fdopen(fd, "wb") as f:
            fill(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise RecordsError(f"{path}: cannot write it ({exc.strerror})") from None
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    return path


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    """The SHA-256 of a file, read in pieces; a one-line error naming it if it cannot be read."""
    h = hashlib.sha256()
    try:
        with open(path, "rb") as f:
            while block := f.read(chunk):
                h.update(block)
    except FileNotFoundError:
        raise RecordsError(f"{path}: no such file") from None
    except OSError as exc:
        raise RecordsError(f"{path}: cannot read it ({exc.strerror})") from None
    return h.hexdigest()


def read_limited(path: Path, limit: int, what: str) -> bytes:
    """The bytes of ``path`` (at most ``limit``), or a one-line error naming the file."""
    try:
        size = path.stat().st_size
        if size > limit:
            raise RecordsError(f"{path}: {size} bytes is too large for a {what}")
        return path.read_bytes()
    except FileNotFoundError:
        raise RecordsError(f"{path}: no such file") from None
    except OSError as exc:
        raise RecordsError(f"{path}: cannot read it ({exc.strerror})") from None


__all__ = ["marked_json", "read_limited", "sha256_file", "write_atomically"]


def marked_json(body: bytes, where: str, what: str, fmt: str, version: int) -> dict:
    """The JSON object of an exchange file (``{"format": fmt, "version": version, ...}``), or
    one line naming the file: not JSON, not this kind of file, or a version this app does not
    read."""
    try:
        doc = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise RecordsError(f"{where}: not a {what} (not JSON)") from None
    if not isinstance(doc, dict) or doc.get("format") != fmt:
        raise RecordsError(f"{where}: not a {what} (no {fmt} mark)")
    if doc.get("version") != version:
        raise RecordsError(f"{where}: {what} version {doc.get('version')!r} is not supported "
                           f"(this app reads version {version})")
    return doc
