"""Append-only journal writer: records reach the disk within ``sync_interval_s`` (fsync).

The byte format lives in :mod:`biofeedback.formats.bfrec`. This module owns the file handle,
the durability policy and the lock that tells other app instances "this journal is live":
an exclusive ``flock`` held while recording, released by the kernel if the process dies, so
:mod:`biofeedback.storage.recovery` never mistakes a running recording for a crashed one.
"""

from __future__ import annotations

import errno
import os
import time
from pathlib import Path
from typing import Any

import numpy as np

from biofeedback.formats import bfrec
from biofeedback.storage.paths import open_private

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no advisory locks, recovery asks the user
    fcntl = None  # type: ignore[assignment]

DISK_FULL = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}


def describe_os_error(exc: OSError, path: Path) -> str:
    """A sentence for the user: what went wrong with the disk, in plain words."""
    if exc.errno in DISK_FULL:
        return f"the disk is full (or the file size limit was reached) writing {path}"
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"no permission to write {path}"
    if exc.errno == errno.ENOENT:
        return f"the folder for {path} does not exist"
    if exc.errno == errno.ENOTDIR:
        return f"a file is in the way of the folder for {path}"
    if exc.errno is None:  # e.g. a short write: "N requested and M written"
        return f"could not write all of {path} (the disk may be full)"
    return f"cannot write {path}: {exc.strerror or os.strerror(exc.errno)}"


def lock_for_recovery(path: Path) -> int:
    """Open ``path`` and take its exclusive lock without waiting; returns the descriptor.

    Raises ``BlockingIOError`` when a live recorder (or another recovery) holds it and
    ``FileNotFoundError`` when the journal went away meanwhile (finished by its recorder).
    Closing the descriptor releases the lock.
    """
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    try:
        if fcntl is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                raise BlockingIOError(errno.EWOULDBLOCK, "journal is in use", str(path)) \
                    from exc
        # the recorder may have finished and deleted it between our open and our lock
        if os.fstat(fd).st_ino != os.stat(path).st_ino:
            raise FileNotFoundError(errno.ENOENT, "journal was replaced", str(path))
    except BaseException:
        os.close(fd)
        raise
    return fd


def is_locked(path: Path) -> bool:
    """True when another live process holds the journal's lock (it is still recording)."""
    if fcntl is None:
        return False
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except OSError:
        return True
    finally:
        os.close(fd)  # closing drops our probe lock
    return False


class JournalWriter:
    """Writes framed records with ``os.write`` and fsyncs at most ``sync_interval_s`` apart.

    Not thread-safe: one writer thread owns it (see :class:`~biofeedback.storage.recorder.Recorder`).
    Any ``OSError`` propagates; the caller decides to stop recording.
    """

    def __init__(self, path: Path, header: dict[str, Any], sync_interval_s: float = 0.5) -> None:
        self.path = Path(path)
        self.sync_interval_s = sync_interval_s
        self._fd = open_private(self.path)
        try:
            if fcntl is not None:
                fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            self._pending: list[bytes] = [bfrec.MAGIC, bfrec.encode_json(bfrec.HEADER, header)]
            self.bytes_written = 0
            self.sync()
            _fsync_dir(self.path.parent)
        except BaseException:
            os.close(self._fd)
            raise
        self._last_sync = time.monotonic()

    def write_block(self, stream_no: int, first_index: int, flags: int, data: np.ndarray) -> None:
        self._pending.append(bfrec.encode_block(stream_no, first_index, flags, data))

    def write_json(self, kind: bytes, obj: Any) -> None:
        self._pending.append(bfrec.encode_json(kind, obj))

    def maybe_sync(self) -> bool:
        """Write and fsync if the interval has passed; returns True when it synced."""
        if time.monotonic() - self._last_sync >= self.sync_interval_s:
            self.sync()
            return True
        return False

    def sync(self) -> None:
        """Write everything pending, then fsync: after this returns, it survives a crash."""
        if self._pending:
            buf = memoryview(b"".join(self._pending))
            self._pending.clear()
            while buf:
                n = os.write(self._fd, buf)
                self.bytes_written += n
                buf = buf[n:]
        os.fsync(self._fd)
        self._last_sync = time.monotonic()

    def end(self, obj: Any) -> None:
        """Write the clean-end record and fsync, **keeping the file open and locked**: the
        recorder converts the journal and deletes it before :meth:`close` releases the lock,
        so no recovery can start on a journal that is being finished."""
        self.write_json(bfrec.END, obj)
        self.sync()

    def close(self) -> None:
        if self._fd >= 0:
            try:
                self.sync()
            finally:
                os.close(self._fd)
                self._fd = -1

    def discard_pending(self) -> None:
        """Drop what is pending (after a write error) but keep the file open and locked."""
        self._pending.clear()

    def abandon(self) -> None:
        """Close without writing what is pending: the lock is released."""
        self._pending.clear()
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


def _fsync_dir(path: Path) -> None:
    """Make the new file's directory entry durable too (POSIX)."""
    if os.name != "posix":
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
