"""Find recordings a crash left behind and turn their journals into EDF+/BDF+ files.

A journal in ``<data dir>/recordings`` that no live process holds locked is unfinished: the
app or the computer stopped before :meth:`Recorder.finish` converted it. :func:`recover` keeps
every record that passed its checksum (at most the last ``sync_interval_s``, 0.5 s by default,
is lost), writes the file the recording was meant to become (or a ``-recovered`` name beside
it if that exists) and archives the journal as ``*.bfrec.recovered``.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from biofeedback.formats import bfrec
from biofeedback.formats.edf import read_edf, write_edf
from biofeedback.formats.errors import FormatError
from biofeedback.storage.journal import is_locked
from biofeedback.storage.paths import recordings_dir
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
                    extra: Iterable[Annotation] = ()) -> Path:
    """Write the journal's content to ``output`` (EDF+ or BDF+ by suffix)."""
    result = bfrec.scan(journal)
    signals = bfrec.to_signal_set(result, journal)
    signals.annotations.extend(extra)
    signals.annotations.sort(key=lambda a: a.onset_s)
    signals.metadata.pop("journal", None)
    settings = signals.metadata.pop("settings", None)
    path = write_edf(signals, output, overwrite=overwrite, settings=settings)
    verify(path, signals)
    return path


def verify(path: Path, signals: SignalSet) -> None:
    """Read the written file back and check every stream's sample count before the journal
    (the only other copy) is deleted."""
    back = read_edf(path)
    for s in signals.streams:
        want, got = len(signals.data[s.name]), len(back.data.get(s.name, ()))
        if want != got:
            raise FormatError(f"{path}: verification failed: stream {s.name!r} has {got} "
                              f"samples, the journal {want}")


def recover(journal: Path | str, output: Path | str | None = None) -> Path:
    """Recover one journal into an EDF+/BDF+ file; returns the file written.

    Raises :class:`FormatError` when the journal has no usable content and ``OSError`` when the
    file cannot be written; the journal is left in place in both cases.
    """
    journal = Path(journal)
    result = bfrec.scan(journal)
    if output is None:
        target = Path(result.header.get("target") or journal.with_suffix(".bdf"))
        output = target if not target.exists() else _free_name(target)
    output = Path(output)
    note = "recording:recovered"
    if result.ended is None:
        note += " (the app stopped unexpectedly; the last second may be missing)"
    signals = bfrec.to_signal_set(result, journal)
    signals.annotations.append(Annotation(signals.duration_s, 0.0, note))
    signals.metadata.pop("journal", None)
    signals.metadata["recovered"] = {
        "at": datetime.datetime.now().replace(microsecond=0).isoformat(),
        "dropped_bytes": result.dropped_bytes,
    }
    settings = signals.metadata.pop("settings", None)
    path = write_edf(signals, output, settings=settings)
    verify(path, signals)
    journal.rename(journal.with_name(journal.name + ".recovered"))
    return path


def _free_name(target: Path) -> Path:
    for k in range(1, 1000):
        cand = target.with_name(f"{target.stem}-recovered{'' if k == 1 else k}{target.suffix}")
        if not cand.exists():
            return cand
    raise FormatError(f"{target}: no free name for the recovered file")
