"""Find recordings a crash left behind and turn their journals into EDF+/BDF+ files.

A journal in ``<data dir>/recordings`` that no live process holds locked is unfinished: the
app or the computer stopped before :meth:`Recorder.finish` converted it. :func:`recover` keeps
every record that passed its checksum (at most the last ``sync_interval_s``, 0.5 s by default,
is lost), writes it into the data folder under the name the recording was meant to have (or a
``-recovered`` name beside it if that exists; ``-o`` chooses any other place) and archives the
journal as ``*.bfrec.recovered``. The journal's lock is held throughout, and a recording that
was already written (a kill between the final rename and deleting the journal) is not
written twice.
"""

from __future__ import annotations

import contextlib
import datetime
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from biofeedback.formats import bfrec
from biofeedback.formats.edf import read_edf, write_edf
from biofeedback.formats.errors import FormatError, describe_os_error
from biofeedback.storage.journal import is_locked, lock_for_recovery
from biofeedback.storage.paths import recordings_dir, safe_name
from biofeedback.streams import Annotation, SignalSet


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
            result = bfrec.scan(path)
            started = str(result.header.get("start_time", started)).replace("T", " ")
            code = str(result.header.get("patient_code", ""))
            target = Path(result.header["target"]) if result.header.get("target") else None
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
    """Write the journal's content to ``output`` (EDF+ or BDF+ by suffix)."""
    result = bfrec.scan(journal)
    signals = bfrec.to_signal_set(result, journal)
    signals.annotations.extend(extra)
    signals.annotations.sort(key=lambda a: a.onset_s)
    signals.metadata.pop("journal", None)
    settings = signals.metadata.pop("settings", None)
    path = write_edf(signals, output, overwrite=overwrite, settings=settings, private=private)
    verify(path, signals)
    return path


def verify(path: Path, signals: SignalSet) -> None:
    """Read the written file back and check every stream's sample count before the journal
    (the only other copy) is deleted."""
    back = read_edf(path)
    for s in signals.streams:
        want, got = len(signals.data[s.name]), len(back.data.get(s.name, ()))
        if want != got:
            raise FormatError(path, f"verification failed: stream {s.name!r} has {got} "
                                    f"samples, the journal {want}")


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
    result = bfrec.scan(journal)
    signals = bfrec.to_signal_set(result, journal)
    requested = None
    if output is None:
        folder = folder or recordings_dir()
        target, requested = _target_in(folder, journal, result.header.get("target"))
        done = _already_written(target, requested, result.header.get("recording_id"), signals)
        if done is not None:
            _archive(journal)
            return Recovered(journal, done, True, requested)
        output = target if not target.exists() else _free_name(target)
    note = "recording:recovered"
    if result.ended is None:
        note += " (the app stopped unexpectedly; the last second may be missing)"
    signals.annotations.append(Annotation(signals.duration_s, 0.0, note))
    signals.metadata.pop("journal", None)
    signals.metadata["recovered"] = {
        "at": datetime.datetime.now().replace(microsecond=0).isoformat(),
        "dropped_bytes": result.dropped_bytes,
    }
    settings = signals.metadata.pop("settings", None)
    path = write_edf(signals, output, settings=settings, private=True)
    verify(path, signals)
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
                     signals: SignalSet) -> Path | None:
    """A file holding this very recording: the journal's own target (only read, never
    written) or ``target`` and its ``-recovered`` names in the data folder."""
    if not isinstance(recording_id, str) or not recording_id:
        return None
    if asked is not None and asked.suffix.lower() in (".bdf", ".edf") and asked.is_file():
        with contextlib.suppress(FormatError):
            back = read_edf(asked)
            if back.metadata.get("recording_id") == recording_id and all(
                    len(back.data.get(s.name, ())) >= len(signals.data[s.name])
                    for s in signals.streams):
                return asked
    candidates = [target] + [target.with_name(f"{target.stem}-recovered{'' if k == 1 else k}"
                                              f"{target.suffix}") for k in range(1, 1000)]
    for cand in candidates:
        if not cand.exists():
            break
        try:
            back = read_edf(cand)
        except FormatError:
            continue
        if back.metadata.get("recording_id") == recording_id and all(
                len(back.data.get(s.name, ())) >= len(signals.data[s.name])
                for s in signals.streams):
            return cand
    return None


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
