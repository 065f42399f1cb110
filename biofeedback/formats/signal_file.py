"""One entry point for every signal file the app reads or writes, chosen by content and name.

Used by ``biofeedback info|convert|analyze``, file replay and the window's "Open recording".
Reading: EDF/EDF+ and BDF/BDF+ (by their version bytes), the app's ``.bfrec`` journals (by
magic), and the project CSV format (by ``.csv``/``.txt`` name). Writing: ``.edf``, ``.bdf``,
``.csv``. CSV has no room for annotations, so they travel in a side-car ``NAME.annotations.csv``
(``onset_s,duration_s,text``) written and read next to the signal CSV.
Every problem is a :class:`FormatError` whose text is ``FILE: problem``.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from biofeedback.formats.errors import FormatError, describe_os_error
from biofeedback.formats.limits import MAX_CSV_BYTES, check_annotation, check_regular_file
from biofeedback.formats.reader import SignalReader
from biofeedback.streams import Annotation, SignalSet

READ_SUFFIXES = (".edf", ".bdf", ".bfrec", ".csv", ".txt")
WRITE_SUFFIXES = (".edf", ".bdf", ".csv")


def sniff(path: Path) -> str:
    """``"edf"``, ``"bdf"``, ``"bfrec"`` or ``"csv"``; raise FormatError for anything else.

    The one rule every command uses: the content decides (EDF/BDF version bytes, the journal's
    magic), then the name (``.csv``/``.txt`` are CSV). Only regular files are opened.
    """
    from biofeedback.formats.bfrec import MAGIC

    check_regular_file(path)
    try:
        with path.open("rb") as f:
            head = f.read(8)
    except OSError as exc:
        raise FormatError(path, describe_os_error(exc, "it")) from None
    if not head:
        raise FormatError(path, "empty file")
    if head == b"0       ":
        return "edf"
    if head == b"\xffBIOSEMI":
        return "bdf"
    if head == MAGIC:
        return "bfrec"
    suffix = path.suffix.lower()
    if suffix in (".csv", ".txt"):
        return "csv"
    if suffix in (".edf", ".bdf", ".bfrec") and len(head) < 8:
        raise FormatError(path, f"truncated: only {len(head)} bytes")
    if suffix in (".edf", ".bdf", ".bfrec"):
        what = {".edf": "an EDF", ".bdf": "a BDF", ".bfrec": "a recording journal"}[suffix]
        raise FormatError(path, f"wrong header: not {what} file")
    raise FormatError(path, f"unknown file type; expected one of {', '.join(READ_SUFFIXES)}")


def read_signal_file(path: Path | str, fs: float | None = None) -> SignalSet:
    """Read any supported signal file into a :class:`SignalSet`.

    ``fs``: the sample rate of a CSV file without a ``time_s`` column (ignored otherwise).
    """
    path = Path(path)
    kind = sniff(path)
    if kind in ("edf", "bdf"):
        from biofeedback.formats.edf import read_edf

        return read_edf(path)
    if kind == "bfrec":
        from biofeedback.formats.bfrec import read_bfrec

        return read_bfrec(path)
    signals = _csv_module(path).read_csv(path, fs=fs)
    signals.annotations.extend(read_annotations_csv(annotations_path(path)))
    return signals


def open_signal_file(path: Path | str, fs: float | None = None) -> SignalReader:
    """Open any supported signal file for reading in chunks (bounded memory, random access).

    Same choice of reader, same values, annotations and errors as :func:`read_signal_file`;
    EDF/BDF are read by data records, CSV in blocks of lines, journals by their block index.
    """
    path = Path(path)
    kind = sniff(path)
    if kind in ("edf", "bdf"):
        from biofeedback.formats.edf_reader import open_edf

        return open_edf(path)
    if kind == "bfrec":
        from biofeedback.formats.bfrec_reader import JournalReader

        return JournalReader(path)
    from biofeedback.formats.csv_reader import open_csv

    return open_csv(path, fs)


def write_signal_file(signals: SignalSet, path: Path | str, *, overwrite: bool = False,
                      settings: Mapping[str, Any] | None = None) -> Path:
    """Write ``signals`` in the format named by ``path``'s suffix; never replaces a file
    unless ``overwrite``."""
    path = Path(path)

    def edf() -> Path:
        from biofeedback.formats.edf import write_edf

        return write_edf(signals, path, overwrite=overwrite, settings=settings)

    return write_by_suffix(
        path, signals.annotations, edf,
        lambda: _csv_module(path).write_csv(signals, path, overwrite=overwrite),
        overwrite=overwrite)


def write_by_suffix(path: Path, annotations: list[Annotation], edf: Callable[[], Path],
                    csv_signals: Callable[[], object], *, overwrite: bool) -> Path:
    """What every writer shares around its format's own ``edf()`` / ``csv_signals()``: the
    suffix and no-overwrite checks, and for CSV the side-car (checked before the signals are
    written, written after them, an old one removed when there is nothing to put in it)."""
    suffix = path.suffix.lower()
    if suffix not in WRITE_SUFFIXES:
        raise FormatError(f"{path}: cannot write this file type; use one of "
                          f"{', '.join(WRITE_SUFFIXES)}")
    if path.exists() and not overwrite:
        raise FormatError(f"{path}: already exists; not overwriting it")
    if suffix in (".edf", ".bdf"):
        return edf()
    side = annotations_path(path)
    if side.exists() and not overwrite:  # even with no annotations: it would be read back
        raise FormatError(side, "already exists; not overwriting it")
    for i, a in enumerate(annotations):
        check_annotation(side, f"annotation {i + 1} ({a.text[:30]!r})", a.onset_s, a.duration_s)
    csv_signals()
    if annotations:
        write_annotations_csv(annotations, side)
    elif side.exists() or side.is_symlink():  # --force: an old side-car belongs to another file
        try:
            side.unlink()
        except OSError as exc:
            raise FormatError(side, f"cannot remove the old side-car: "
                                    f"{describe_os_error(exc, 'it')}") from None
    return path


def annotations_path(csv_path: Path) -> Path:
    """The side-car of a signal CSV: ``rec.csv`` -> ``rec.annotations.csv``."""
    return csv_path.with_name(csv_path.stem + ".annotations.csv")


def write_annotations_csv(annotations: list[Annotation], path: Path) -> Path:
    """``onset_s,duration_s,text`` rows: the CSV format has no room for annotations."""
    for i, a in enumerate(annotations):
        check_annotation(path, f"annotation {i + 1} ({a.text[:30]!r})", a.onset_s, a.duration_s)
    tmp = path.with_name(f".{path.name}.part-{os.getpid()}")
    try:
        with tmp.open("x", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(["onset_s", "duration_s", "text"])
            for a in annotations:
                w.writerow([f"{a.onset_s:.6f}", f"{a.duration_s:.6f}", a.text])
        tmp.replace(path)
    except OSError as exc:
        raise FormatError(path, describe_os_error(exc, "it")) from None
    finally:
        tmp.unlink(missing_ok=True)
    return path


def read_annotations_csv(path: Path) -> list[Annotation]:
    """Read a side-car written by :func:`write_annotations_csv` (none if it does not exist)."""
    if not (path.exists() or path.is_symlink()):
        return []
    check_regular_file(path, MAX_CSV_BYTES)
    out = []
    try:
        with path.open(newline="", encoding="utf-8") as f:
            rows = csv.reader(f)
            if next(rows, None) != ["onset_s", "duration_s", "text"]:
                raise FormatError(path, "wrong header: expected onset_s,duration_s,text")
            for line, row in enumerate(rows, start=2):
                if not row:
                    continue
                try:
                    onset, duration = float(row[0]), float(row[1])
                    text = row[2]
                except (IndexError, ValueError):
                    raise FormatError(path, f"line {line}: expected onset_s,duration_s,text") \
                        from None
                check_annotation(path, f"line {line}", onset, duration)
                out.append(Annotation(onset, duration, text))
    except csv.Error:
        raise FormatError(path, "a line is too long or badly quoted") from None
    except UnicodeDecodeError as exc:
        raise FormatError(path, f"not a text file (byte {exc.start} is not UTF-8)") from None
    except OSError as exc:
        raise FormatError(path, describe_os_error(exc, "it")) from None
    return out


def _csv_module(path: Path) -> Any:
    try:
        from biofeedback.formats import csvfile
    except ImportError:
        raise FormatError(f"{path}: CSV files are not supported in this build") from None
    return csvfile
