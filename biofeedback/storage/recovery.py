"""Find recordings a crash left behind and turn their journals into EDF+/BDF+ files.

A journal in ``<data dir>/recordings`` that no live process holds locked is unfinished: the
app or the computer stopped before :meth:`Recorder.finish` converted it. :func:`recover` keeps
every record that passed its checksum (at most the last ``sync_interval_s``, 0.5 s by default,
is lost), writes it into the data folder under the name the recording was meant to have (or a
``-recovered`` name beside it if that exists; ``-o`` chooses any other place) and archives the
journal as ``*.bfrec.recovered``. The journal's lock is held throughout, and a recording that
was already written (a kill between the final rename and deleting the journal) is not
written twice.

Everything here runs in bounded memory, whatever the journal's length: the journal is read
through its block index (:class:`~biofeedback.formats.bfrec_reader.JournalReader`), the file is
written record by record (:func:`~biofeedback.formats.edf_writer.write_edf_chunked`, the same
bytes as the whole-array writer) and read back the same way to be checked, so a 10-hour
session recovers on an 8 GB laptop.
"""

from __future__ import annotations

import datetime
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from biofeedback.formats import bfrec
from biofeedback.formats.bfrec_reader import JournalReader
from biofeedback.formats.edf_reader import open_edf
from biofeedback.formats.edf_writer import write_edf_chunked
from biofeedback.formats.errors import FormatError, describe_os_error
from biofeedback.formats.reader import MemoryReader, SignalReader
from biofeedback.storage.journal import is_locked, lock_for_recovery
from biofeedback.storage.paths import recordings_dir, safe_name
from biofeedback.streams import Annotation, SignalSet

VERIFY_ROWS = 1 << 16  # rows compared at a time (1 MB of two-channel EMG)


@dataclass(frozen=True)
class Unfinished:
    """An unfinished recording: enough to tell the user what it is before recovering it."""

    journal: Path
    started: str
    patient_code: str
    target: Path | None
    size_bytes: int

    def describe(self) -> str:
        who = f" for {self.patient_code}" if self.patient_code else ""
        return f"recording started {self.started}{who} ({self.size_bytes / 1e6:.1f} MB journal)"


def find_unfinished(folder: Path | None = None) -> list[Unfinished]:
    """Journals left by a crash (oldest first); journals being recorded right now are skipped."""
    folder = folder or recordings_dir()
    found = []
    for path in sorted(folder.glob("*.bfrec")):
        if is_locked(path):
            continue
        started, code, target = path.stem, "", None
        try:
            header = bfrec.read_header(path)
            started = str(header.get("start_time", started)).replace("T", " ")
            code = str(header.get("patient_code", ""))
            target = Path(header["target"]) if header.get("target") else None
        except (FormatError, KeyError, TypeError):
            pass  # still listed: recover() will say what is wrong with it
        try:
            size = path.stat().st_size
        except OSError:
            continue
        found.append(Unfinished(path, started, code, target, size))
    return found


def convert_journal(journal: Path, output: Path, *, overwrite: bool = False,
                    extra: Iterable[Annotation] = (), private: bool = False) -> Path:
    """Write the journal's content to ``output`` (EDF+ or BDF+ by suffix), then verify it."""
    with JournalReader(journal) as reader:
        reader.annotations = sorted([*reader.annotations, *extra], key=lambda a: a.onset_s)
        return _write_verified(reader, output, overwrite=overwrite, private=private)


def _write_verified(reader: JournalReader, output: Path, *, overwrite: bool = False,
                    private: bool = False) -> Path:
    """The journal as a file, streamed; the facts about the journal itself are not stored."""
    reader.metadata.pop("journal", None)
    settings = reader.metadata.pop("settings", None)
    path = write_edf_chunked(reader, output, overwrite=overwrite, settings=settings,
                             private=private)
    try:
        verify(path, reader)
    except FormatError:
        path.unlink(missing_ok=True)  # a wrong copy must never count as "already written"
        raise
    return path


def verify(path: Path, expected: SignalReader | SignalSet, rows: int = VERIFY_ROWS) -> None:
    """Read the written file back, chunk by chunk, and compare it with what was meant to be
    written (every stream's sample count, every sample within half a storage step) before
    the journal, the only other copy, is archived or deleted."""
    if isinstance(expected, SignalSet):
        expected = MemoryReader(expected)
    with open_edf(path) as back:
        counts = {s.name: back.n_samples(s.name) for s in back.streams}
        steps = back.metadata.get("resolution", {})
        for s in expected.streams:
            want, got = expected.n_samples(s.name), counts.get(s.name, 0)
            if want != got:
                raise FormatError(path, f"verification failed: stream {s.name!r} has {got} "
                                        f"samples, the journal {want}")
            tol = np.array([0.501 * float(steps.get(c.name, 0.0)) for c in s.channels])
            for a in range(0, want, rows):
                b = min(want, a + rows)
                got, want_rows = back.read(s.name, a, b), expected.read(s.name, a, b)
                off = [np.flatnonzero(np.abs(got[:, i] - want_rows[:, i]) > t)[:1]
                       for i, t in enumerate(tol)]  # a column at a time: ~30x faster
                if any(len(k) for k in off):
                    at = a + min(int(k[0]) for k in off if len(k))
                    raise FormatError(path, f"verification failed: stream {s.name!r} differs "
                                            f"from the journal at {at / s.fs:.3f} s")


@dataclass(frozen=True)
class Recovered:
    """What :func:`recover_journal` did: the file, and whether it existed already."""

    journal: Path
    path: Path
    already_written: bool = False  # an earlier finish/recovery wrote it; the journal was archived
    requested: Path | None = None  # the journal's own target when it was not used

    def describe(self) -> str:
        if self.already_written:
            text = f"{self.journal} was already saved as {self.path}; journal archived"
        else:
            text = f"recovered {self.journal} -> {self.path}"
        if self.requested is not None:
            text += (f" (the journal asked for {self.requested}, outside the data folder; "
                     "only the data folder or -o FILE is written)")
        return text


def recover(journal: Path | str, output: Path | str | None = None) -> Path:
    """Recover one journal into an EDF+/BDF+ file; returns the file written (or found).

    See :func:`recover_journal`.
    """
    return recover_journal(journal, output).path


def recover_journal(journal: Path | str, output: Path | str | None = None,
                    folder: Path | None = None) -> Recovered:
    """Recover one journal into an EDF+/BDF+ file, holding the journal's lock throughout.

    Without ``output`` the file goes into the data folder (``folder``, default
    ``<data dir>/recordings``) under the name the journal asks for (or ``NAME-recovered.bdf``
    if that exists): a journal's stored ``target`` is never trusted as a path. Idempotent: if
    an earlier run (or the recorder itself, killed between writing the file and deleting the
    journal) already wrote this recording — same ``recording_id``, same sample counts — it is
    not written again; the journal is just archived as ``*.bfrec.recovered``.

    Raises :class:`FormatError` naming the journal or the output; the journal is left in place.
    """
    journal = Path(journal)
    try:
        fd = lock_for_recovery(journal)
    except BlockingIOError:
        raise FormatError(journal, "is in use by another biofeedback process (still recording, "
                                   "finishing or being recovered); try again later") from None
    except FileNotFoundError:
        raise FormatError(journal, "no longer exists (its recording was finished meanwhile)") \
            from None
    except OSError as exc:
        raise FormatError(journal, describe_os_error(exc, journal)) from None
    try:
        return _recover_locked(journal, None if output is None else Path(output), folder)
    finally:
        os.close(fd)


def _recover_locked(journal: Path, output: Path | None, folder: Path | None) -> Recovered:
    with JournalReader(journal) as reader:
        header = reader.journal.header
        counts = {s.name: reader.n_samples(s.name) for s in reader.streams}
        requested = None
        if output is None:
            folder = folder or recordings_dir()
            target, requested = _target_in(folder, journal, header.get("target"))
            done = _already_written(target, requested, header.get("recording_id"), counts)
            if done is not None:
                reader.close()
                _archive(journal)
                return Recovered(journal, done, True, requested)
            output = target if not target.exists() else _free_name(target)
        note = "recording:recovered"
        if reader.journal.ended is None:
            note += " (the app stopped unexpectedly; the last second may be missing)"
        reader.annotations = [*reader.annotations, Annotation(reader.duration_s, 0.0, note)]
        reader.metadata.pop("journal", None)
        reader.metadata["recovered"] = {
            "at": datetime.datetime.now().replace(microsecond=0).isoformat(),
            "dropped_bytes": reader.journal.dropped_bytes,
        }
        path = _write_verified(reader, output, private=True)
    _archive(journal)
    return Recovered(journal, path, False, requested)


def _target_in(folder: Path, journal: Path, stored: object) -> tuple[Path, Path | None]:
    """The file name the journal asks for, placed in ``folder``; and the stored target when
    it pointed elsewhere (to tell the user)."""
    asked = Path(stored) if isinstance(stored, str) and stored else None
    name = safe_name(asked.name, 120) if asked is not None else ""
    if Path(name).suffix.lower() not in (".bdf", ".edf"):
        name = safe_name(journal.stem, 120) + ".bdf"
    target = folder / name
    outside = asked is not None and asked.absolute() != target.absolute()
    return target, (asked if outside else None)


def _already_written(target: Path, asked: Path | None, recording_id: object,
                     counts: dict[str, int]) -> Path | None:
    """A file holding this very recording: the journal's own target (only read, never
    written) or ``target`` and its ``-recovered`` names in the data folder."""
    if not isinstance(recording_id, str) or not recording_id:
        return None
    if asked is not None and asked.suffix.lower() in (".bdf", ".edf") and asked.is_file() \
            and _holds(asked, recording_id, counts):
        return asked
    candidates = [target] + [target.with_name(f"{target.stem}-recovered{'' if k == 1 else k}"
                                              f"{target.suffix}") for k in range(1, 1000)]
    for cand in candidates:
        if not cand.exists():
            break
        if _holds(cand, recording_id, counts):
            return cand
    return None


def _holds(path: Path, recording_id: str, counts: dict[str, int]) -> bool:
    """``path`` is a readable file of this recording with at least these samples (its
    header and metadata are read, not its samples)."""
    try:
        with open_edf(path) as back:
            have = {s.name: back.n_samples(s.name) for s in back.streams}
            return back.metadata.get("recording_id") == recording_id and all(
                have.get(name, 0) >= n for name, n in counts.items())
    except FormatError:
        return False


def _archive(journal: Path) -> None:
    """Keep the journal as ``NAME.bfrec.recovered`` (``.recovered2``… if taken: nothing is
    written over)."""
    dest = journal.with_name(journal.name + ".recovered")
    k = 1
    while dest.exists():
        k += 1
        dest = journal.with_name(f"{journal.name}.recovered{k}")
    try:
        journal.rename(dest)
    except OSError as exc:
        raise FormatError(journal, f"recovered, but the journal could not be archived: "
                                   f"{describe_os_error(exc, journal)}") from None


def _free_name(target: Path) -> Path:
    for k in range(1, 1000):
        cand = target.with_name(f"{target.stem}-recovered{'' if k == 1 else k}{target.suffix}")
        if not cand.exists():
            return cand
    raise FormatError(target, "no free name for the recovered file")
