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
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from biofeedback.formats.errors import FormatError
from biofeedback.streams import Annotation, SignalSet

READ_SUFFIXES = (".edf", ".bdf", ".bfrec", ".csv", ".txt")
WRITE_SUFFIXES = (".edf", ".bdf", ".csv")


def sniff(path: Path) -> str:
    """``"edf"``, ``"bdf"``, ``"bfrec"`` or ``"csv"``; raise FormatError for anything else."""
    from biofeedback.formats.bfrec import MAGIC

    if not path.exists():
        raise FormatError(f"{path}: no such file")
    if path.is_dir():
        raise FormatError(f"{path}: is a folder, not a file")
    try:
        with path.open("rb") as f:
            head = f.read(8)
    except OSError as exc:
        raise FormatError(f"{path}: {exc.strerror or exc}") from None
    if not head:
        raise FormatError(f"{path}: empty file")
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
        raise FormatError(f"{path}: truncated: only {len(head)} bytes")
    if suffix in (".edf", ".bdf", ".bfrec"):
        what = {".edf": "an EDF", ".bdf": "a BDF", ".bfrec": "a recording journal"}[suffix]
        raise FormatError(f"{path}: wrong header: not {what} file")
    raise FormatError(f"{path}: unknown file type; expected one of {', '.join(READ_SUFFIXES)}")


def read_signal_file(path: Path | str) -> SignalSet:
    """Read any supported signal file into a :class:`SignalSet`."""
    path = Path(path)
    kind = sniff(path)
    if kind in ("edf", "bdf"):
        from biofeedback.formats.edf import read_edf

        return read_edf(path)
    if kind == "bfrec":
        from biofeedback.formats.bfrec import read_bfrec

        return read_bfrec(path)
    signals = _csv_module(path).read_csv(path)
    signals.annotations.extend(read_annotations_csv(annotations_path(path)))
    return signals


def write_signal_file(signals: SignalSet, path: Path | str, *, overwrite: bool = False,
                      settings: Mapping[str, Any] | None = None) -> Path:
    """Write ``signals`` in the format named by ``path``'s suffix; never replaces a file
    unless ``overwrite``."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in WRITE_SUFFIXES:
        raise FormatError(f"{path}: cannot write this file type; use one of "
                          f"{', '.join(WRITE_SUFFIXES)}")
    if path.exists() and not overwrite:
        raise FormatError(f"{path}: already exists; not overwriting it")
    if suffix in (".edf", ".bdf"):
        from biofeedback.formats.edf import write_edf

        return write_edf(signals, path, overwrite=overwrite, settings=settings)
    side = annotations_path(path)
    if signals.annotations and side.exists() and not overwrite:
        raise FormatError(f"{side}: already exists; not overwriting it")
    mod = _csv_module(path)
    mod.write_csv(signals, path, overwrite=overwrite)
    if signals.annotations:
        write_annotations_csv(signals.annotations, side)
    return path


def annotations_path(csv_path: Path) -> Path:
    """The side-car of a signal CSV: ``rec.csv`` -> ``rec.annotations.csv``."""
    return csv_path.with_name(csv_path.stem + ".annotations.csv")


def write_annotations_csv(annotations: list[Annotation], path: Path) -> Path:
    """``onset_s,duration_s,text`` rows: the CSV format has no room for annotations."""
    tmp = path.with_name(path.name + ".part")
    try:
        with tmp.open("w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(["onset_s", "duration_s", "text"])
            for a in annotations:
                w.writerow([f"{a.onset_s:.6f}", f"{a.duration_s:.6f}", a.text])
        tmp.replace(path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise FormatError(f"{path}: cannot write: {exc.strerror or exc}") from None
    return path


def read_annotations_csv(path: Path) -> list[Annotation]:
    """Read a side-car written by :func:`write_annotations_csv` (none if it does not exist)."""
    if not path.is_file():
        return []
    out = []
    try:
        with path.open(newline="", encoding="utf-8") as f:
            rows = csv.reader(f)
            if next(rows, None) != ["onset_s", "duration_s", "text"]:
                raise FormatError(f"{path}: wrong header: expected onset_s,duration_s,text")
            for line, row in enumerate(rows, start=2):
                if not row:
                    continue
                try:
                    onset, duration = float(row[0]), float(row[1])
                    text = row[2]
                except (IndexError, ValueError):
                    raise FormatError(f"{path}: line {line}: expected onset_s,duration_s,text") \
                        from None
                if not (math.isfinite(onset) and math.isfinite(duration)) or duration < 0:
                    raise FormatError(f"{path}: line {line}: invalid onset or duration")
                out.append(Annotation(onset, duration, text))
    except (OSError, UnicodeDecodeError) as exc:
        raise FormatError(f"{path}: cannot read: {exc}") from None
    return out


def _csv_module(path: Path) -> Any:
    try:
        from biofeedback.formats import csvfile
    except ImportError:
        raise FormatError(f"{path}: CSV files are not supported in this build") from None
    return csvfile
