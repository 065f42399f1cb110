"""Writing a recording from a chunked reader: what ``convert`` uses, in bounded memory.

:func:`write_from_reader` is :func:`~biofeedback.formats.signal_file.write_signal_file` for a
:class:`~biofeedback.formats.reader.SignalReader`: same formats, same side-car, same checks and
messages, the same bytes in the output (tested against the whole-array writers), but the
samples pass through a few seconds at a time.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from biofeedback.formats.csvfile import TIME_COLUMN, column_name, parse_column
from biofeedback.formats.errors import FormatError, describe_os_error
from biofeedback.formats.limits import check_annotation, check_rate, check_values
from biofeedback.formats.reader import SignalReader

CSV_ROWS = 50_000  # rows formatted at a time (~2.5 MB of text)


def write_from_reader(reader: SignalReader, path: Path | str, *, overwrite: bool = False,
                      settings: Mapping[str, Any] | None = None) -> Path:
    """Write ``reader``'s recording in the format named by ``path``'s suffix."""
    from biofeedback.formats.signal_file import (
        WRITE_SUFFIXES,
        annotations_path,
        write_annotations_csv,
    )

    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in WRITE_SUFFIXES:
        raise FormatError(f"{path}: cannot write this file type; use one of "
                          f"{', '.join(WRITE_SUFFIXES)}")
    if path.exists() and not overwrite:
        raise FormatError(f"{path}: already exists; not overwriting it")
    if suffix in (".edf", ".bdf"):
        from biofeedback.formats.edf_writer import write_edf_chunked

        return write_edf_chunked(reader, path, overwrite=overwrite, settings=settings)
    side = annotations_path(path)
    if side.exists() and not overwrite:  # even with no annotations: it would be read back
        raise FormatError(side, "already exists; not overwriting it")
    for i, a in enumerate(reader.annotations):
        check_annotation(side, f"annotation {i + 1} ({a.text[:30]!r})", a.onset_s, a.duration_s)
    write_csv_chunked(reader, path, overwrite=overwrite)
    if reader.annotations:
        write_annotations_csv(reader.annotations, side)
    elif side.exists() or side.is_symlink():  # --force: an old side-car belongs to another file
        try:
            side.unlink()
        except OSError as exc:
            raise FormatError(side, f"cannot remove the old side-car: "
                                    f"{describe_os_error(exc, 'it')}") from None
    return path


def write_csv_chunked(reader: SignalReader, path: Path | str, *, overwrite: bool = False,
                      decimals: int = 6, rows: int = CSV_ROWS) -> Path:
    """:func:`~biofeedback.formats.csvfile.write_csv` from a reader, ``rows`` rows at a time."""
    path = Path(path)
    if path.exists() and not overwrite:
        raise FormatError(f"{path}: already exists; not overwriting it")
    streams = reader.streams
    if not streams:
        raise FormatError(f"{path}: nothing to write (no streams)")
    for s in streams:
        check_rate(path, f"stream {s.name!r}", s.fs)
    fs = max(s.fs for s in streams)
    counts = {s.name: reader.n_samples(s.name) for s in streams}
    n = max(int(round(counts[s.name] * fs / s.fs)) for s in streams)
    check_values(path, n * (1 + sum(len(s.channels) for s in streams)))
    offset = float(reader.metadata.get("time_offset_s", 0.0) or 0.0)
    names = [TIME_COLUMN]
    for s in streams:
        if counts[s.name] == 0:
            raise FormatError(f"{path}: stream {s.name!r} has no samples")
        for ch in s.channels:
            names.append(column_name(ch))
            try:
                parse_column(names[-1])
            except ValueError as exc:
                raise FormatError(f"{path}: channel {ch.name!r} ({ch.unit}): {exc}") from None
    if len(set(names)) != len(names):
        raise FormatError(f"{path}: two channels would get the same column name")
    tmp = path.with_name(f".{path.name}.part-{os.getpid()}")
    try:
        with tmp.open("x", newline="") as f:  # created with the user's umask
            f.write(",".join(names) + "\n")
            for a in range(0, n, rows):
                table = _rows(reader, counts, fs, offset, a, min(n, a + rows))
                if not np.isfinite(table).all():
                    raise FormatError(f"{path}: the signals contain NaN or infinite values; "
                                      "the CSV format has no missing-value marker")
                np.savetxt(f, table, delimiter=",", fmt=f"%.{decimals}f")
        if not overwrite and path.exists():
            raise FormatError(path, "already exists; not overwriting it")
        tmp.replace(path)
    except OSError as exc:
        raise FormatError(path, describe_os_error(exc, "it")) from None
    finally:
        tmp.unlink(missing_ok=True)
    return path


def _rows(reader: SignalReader, counts: Mapping[str, int], fs: float, offset: float, a: int,
          b: int) -> np.ndarray:
    """Rows ``[a, b)`` of the CSV table: time, then every stream held at the fastest rate."""
    k = np.arange(a, b)
    cols = [k / fs + offset]
    for s in reader.streams:
        idx = np.minimum((k * s.fs / fs).astype(np.int64), counts[s.name] - 1)
        lo = int(idx[0])
        part = reader.read(s.name, lo, int(idx[-1]) + 1)
        cols.extend(part[idx - lo, i] for i in range(len(s.channels)))
    return np.column_stack(cols)
