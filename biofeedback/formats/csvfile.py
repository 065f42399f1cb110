"""The project's CSV signal format: one header row, then one row per sample.

Columns:

* ``time_s`` (optional): seconds, strictly increasing at a regular step; the sample rate is
  taken from it. Without it the caller gives the rate (``biofeedback analyze --fs``).
* channel columns named ``<name>_<unit>``: ``emg_uv`` (channel ``emg``), ``emg_pfm_uv``
  (EMG channel ``pfm``), ``emg_abdominal_uv``, ``pressure_cmh2o``, ``pressure_mmhg``.
  Units: ``uv``, ``mv``, ``v``, ``counts`` (raw ADC steps), ``au`` (arbitrary) for EMG;
  ``cmh2o``, ``mmhg``, ``kpa`` for pressure. A column named ``emg...`` is EMG; a pressure unit
  makes a pressure channel. Anything else is refused (a typo must not silently vanish).

Lines starting with ``#`` before the header are comments. Delimiter: comma (tab or semicolon
are accepted when the header uses them). Every problem raises :class:`FormatError` naming the
file, and the row/column where it is known: missing header, empty file, non-numeric cell, NaN,
non-monotonic or irregular time, unknown column, duplicate column, ragged rows.

:func:`write_csv` writes the same format. All streams share one time base in a CSV, so a
slower stream (pressure at 100 Hz next to EMG at 2 kHz) is written sample-and-hold at the
fastest rate; reading gives every stream at that rate.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TextIO

import numpy as np

from biofeedback.formats.errors import FormatError, describe_os_error, number
from biofeedback.formats.limits import (
    MAX_CHANNELS,
    MAX_CSV_BYTES,
    MAX_DURATION_S,
    MAX_LINE_CHARS,
    check_duration,
    check_rate,
    check_regular_file,
    check_values,
)
from biofeedback.streams import ChannelInfo, ChannelKind, SignalSet, StreamInfo

EMG_UNITS = {"uv": "uV", "mv": "mV", "v": "V", "counts": "counts", "au": "au"}
PRESSURE_UNITS = {"cmh2o": "cmH2O", "mmhg": "mmHg", "kpa": "kPa"}
TIME_COLUMN = "time_s"
_TIME_TOLERANCE = 0.01  # relative jitter allowed in time_s (text rounding), beyond: irregular


def parse_column(col: str) -> tuple[str, ChannelKind, str]:
    """``"emg_pfm_uv"`` -> ``("pfm", EMG, "uV")``; raise ValueError for an unknown column."""
    name, sep, unit = col.strip().rpartition("_")
    key = unit.lower()
    if not sep or not name:
        raise ValueError(f"column {col!r} is not <name>_<unit> (e.g. emg_uv, pressure_cmh2o)")
    lname = name.lower()
    if key in PRESSURE_UNITS:
        return name, ChannelKind.PRESSURE, PRESSURE_UNITS[key]
    if key in EMG_UNITS and (lname == "emg" or lname.startswith("emg_")):
        short = name[4:] if lname.startswith("emg_") else name
        return short, ChannelKind.EMG, EMG_UNITS[key]
    if key in EMG_UNITS:
        raise ValueError(f"unknown column {col!r}: EMG columns start with 'emg' "
                         "(emg_uv, emg_pfm_uv)")
    raise ValueError(f"unknown column {col!r}: unit {unit!r} is not one of "
                     f"{', '.join(sorted(EMG_UNITS | PRESSURE_UNITS))}")


def column_name(ch: ChannelInfo) -> str:
    """The CSV column for a channel (inverse of :func:`parse_column`)."""
    unit = ch.unit.replace("µ", "u").lower()
    if ch.kind == ChannelKind.PRESSURE:
        return f"{ch.name}_{unit}"
    if ch.name.lower() == "emg" or ch.name.lower().startswith("emg_"):
        return f"{ch.name}_{unit}"
    return f"emg_{ch.name}_{unit}"


def _open_text(path: Path) -> str:
    check_regular_file(path, MAX_CSV_BYTES)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise FormatError(path, describe_os_error(exc, "it")) from None
    if not raw.strip():
        raise FormatError(f"{path}: empty file")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FormatError(f"{path}: not a text file (byte {exc.start} is not UTF-8)") from None


def _is_number(s: str) -> bool:
    try:
        float(s)
    except ValueError:
        return False
    return True


def read_csv(path: Path | str, fs: float | None = None) -> SignalSet:
    """Read a project CSV file; ``fs`` is required when there is no ``time_s`` column."""
    path = Path(path)
    text = _open_text(path)
    lines = text.splitlines()
    skip = 0
    while skip < len(lines) and (not lines[skip].strip() or lines[skip].lstrip().startswith("#")):
        skip += 1
    if skip == len(lines):
        raise FormatError(f"{path}: empty file (only comments)")
    too_long = next((i for i, line in enumerate(lines) if len(line) > MAX_LINE_CHARS), None)
    if too_long is not None:
        raise FormatError(path, f"line {too_long + 1} is {len(lines[too_long]):,} characters "
                                f"long (limit {MAX_LINE_CHARS:,}); not a signal CSV")
    header, delim, channels = parse_header(path, lines[skip], skip)
    data = _parse_body(path, lines, skip + 1, header, delim)
    if len(data) == 0:
        raise FormatError(f"{path}: header but no samples")
    file_fs = t0 = None
    if TIME_COLUMN in header:
        t = data[:, header.index(TIME_COLUMN)]
        file_fs = _rate_from_time(path, t, skip + 2)
        t0 = float(t[0])
    layout, t0 = csv_layout(path, header, channels, len(data), file_fs, t0, fs)
    arrays = {s.name: np.ascontiguousarray(data[:, cols]) for s, cols in layout}
    return SignalSet(streams=tuple(s for s, _ in layout), data=arrays,
                     metadata={"source_file": str(path), "time_offset_s": t0, "format": "csv"})


def parse_header(path: Path, header_line: str, skip: int
                 ) -> tuple[list[str], str, list[tuple[str, str, ChannelKind, str]]]:
    """Columns, delimiter and ``(column, name, kind, unit)`` of the signal columns."""
    delim = "," if "," in header_line else "\t" if "\t" in header_line else ";" \
        if ";" in header_line else ","
    try:
        header = [h.strip() for h in next(csv.reader([header_line], delimiter=delim))]
    except csv.Error:
        raise FormatError(path, f"line {skip + 1}: badly quoted header") from None
    if len(header) > MAX_CHANNELS:
        raise FormatError(path, f"{len(header)} columns (limit {MAX_CHANNELS})")
    if all(_is_number(h) for h in header if h):
        raise FormatError(f"{path}: missing header row (line {skip + 1} holds numbers); "
                          "the first row must name the columns, e.g. time_s,emg_uv")
    if len(set(header)) != len(header):
        dup = next(h for h in header if header.count(h) > 1)
        raise FormatError(f"{path}: duplicate column {dup!r}")
    channels = []
    for col in header:
        if col == TIME_COLUMN:
            continue
        try:
            channels.append((col, *parse_column(col)))
        except ValueError as exc:
            raise FormatError(f"{path}: {exc}") from None
    if not channels:
        raise FormatError(f"{path}: no signal columns (expected e.g. emg_uv, pressure_cmh2o)")
    return header, delim, channels


def csv_layout(path: Path, header: list[str], channels: list[tuple[str, str, ChannelKind, str]],
               n_rows: int, file_fs: float | None, t0: float | None, fs: float | None
               ) -> tuple[list[tuple[StreamInfo, list[int]]], float]:
    """Streams (with their column indices) and the time offset, once the rows are known:
    ``file_fs``/``t0`` from ``time_s`` (None without it), ``fs`` what the caller gave."""
    has_time = file_fs is not None
    if has_time:
        assert t0 is not None
        if fs is not None and abs(fs - file_fs) > _TIME_TOLERANCE * fs:
            raise FormatError(f"{path}: time_s gives {file_fs:g} Hz but {fs:g} Hz was given")
        fs = file_fs
        if abs(t0) > MAX_DURATION_S:
            raise FormatError(path, f"time_s starts at {number(t0)} s, outside the "
                                    f"{MAX_DURATION_S:g} s limit")
    elif fs is None:
        raise FormatError(path, f"no {TIME_COLUMN} column; give the sample rate (--fs HZ)")
    fs = check_rate(path, "time_s" if has_time else "--fs", fs)
    check_duration(path, n_rows / fs)
    groups: dict[ChannelKind, list[tuple[int, ChannelInfo]]] = {}
    for col, name, kind, unit in channels:
        info = ChannelInfo(name=name, kind=kind, unit=unit, label=col)
        groups.setdefault(kind, []).append((header.index(col), info))
    layout = []
    for kind, items in groups.items():
        sname = {ChannelKind.EMG: "emg", ChannelKind.PRESSURE: "pressure"}.get(kind, "other")
        layout.append((StreamInfo(sname, float(fs), tuple(ch for _, ch in items)),
                       [i for i, _ in items]))
    names = [ch.name for s, _ in layout for ch in s.channels]
    if len(set(names)) != len(names):
        raise FormatError(f"{path}: two columns give the same channel name")
    return layout, (t0 if t0 is not None else 0.0)


def _parse_body(path: Path, lines: list[str], first: int, header: list[str],
                delim: str) -> np.ndarray:
    body = "\n".join(lines[first:])
    n_cols = len(header)
    if not body.strip():
        return np.zeros((0, n_cols))
    from biofeedback.formats.csv_parse import parse_block  # numba: loaded when a CSV is read

    fast = parse_block(body.encode(), n_cols, delim)
    if fast is not None:  # np.loadtxt's values, bit for bit; anything else is loadtxt's call
        return fast
    try:
        data = np.loadtxt(io.StringIO(body), delimiter=delim, ndmin=2, dtype=float,
                          comments=None)
    except MemoryError:
        raise FormatError(path, "not enough memory to read it") from None
    except ValueError:
        try:
            _locate_bad_cell(path, lines, first, header, delim)
        except csv.Error:
            raise FormatError(path, "unreadable numbers (badly quoted line)") from None
        raise FormatError(f"{path}: unreadable numbers") from None  # pragma: no cover
    if data.shape[1] != n_cols:
        raise FormatError(f"{path}: rows have {data.shape[1]} values but the header names "
                          f"{n_cols} columns")
    bad = ~np.isfinite(data)
    if bad.any():
        r, c = np.argwhere(bad)[0]
        raise FormatError(f"{path}: line {first + 1 + _line_of(lines, first, int(r))}, column "
                          f"{header[c]!r}: {data[r, c]} is not a finite number")
    return data


def _line_of(lines: list[str], first: int, row: int) -> int:
    """Offset (from ``first``) of the ``row``-th non-empty data line."""
    k = -1
    for i, line in enumerate(lines[first:]):
        if line.strip():
            k += 1
            if k == row:
                return i
    return row


def _locate_bad_cell(path: Path, lines: list[str], first: int, header: list[str],
                     delim: str) -> None:
    for i, row in enumerate(csv.reader(lines[first:], delimiter=delim)):
        if not row or not "".join(row).strip():
            continue
        line = first + 1 + i
        if len(row) != len(header):
            raise FormatError(f"{path}: line {line} has {len(row)} values, the header names "
                              f"{len(header)} columns")
        for col, cell in zip(header, row, strict=True):
            if not _is_number(cell.strip()):
                shown = cell.strip() or "an empty cell"
                raise FormatError(f"{path}: line {line}, column {col!r}: {shown!r} is not a "
                                  "number" if cell.strip() else
                                  f"{path}: line {line}, column {col!r}: {shown}")
    raise FormatError(f"{path}: unreadable numbers")


def _rate_from_time(path: Path, t: np.ndarray, first_line: int) -> float:
    if len(t) < 2:
        raise FormatError(f"{path}: one sample is not enough to know the sample rate from time_s")
    if t[-1] - t[0] <= 0 or not np.isfinite(t[-1] - t[0]):
        raise FormatError(path, f"time_s is not increasing ({number(float(t[0]))} to "
                                f"{number(float(t[-1]))})")
    dt = np.diff(t)
    if (dt <= 0).any():
        i = int(np.argmax(dt <= 0))
        raise FormatError(f"{path}: time_s is not increasing at line {first_line + i + 1} "
                          f"({t[i]:g} then {t[i + 1]:g})")
    step = float(np.median(dt))
    off = np.abs(dt - step) > _TIME_TOLERANCE * step + 1e-9
    if off.any():
        i = int(np.argmax(off))
        raise FormatError(f"{path}: irregular time_s at line {first_line + i + 1}: step "
                          f"{dt[i]:g} s where the file's step is {step:g} s (a gap or "
                          "jitter; the format needs a regular sample clock)")
    # the mean step is more precise than any single rounded difference
    return float((len(t) - 1) / (t[-1] - t[0]))


def write_csv(signals: SignalSet, path: Path | str, *, overwrite: bool = False,
              decimals: int = 6) -> Path:
    """Write ``signals`` as project CSV with a ``time_s`` column; never replaces a file
    unless ``overwrite``. Slower streams are held (sample-and-hold) at the fastest rate."""
    path = Path(path)
    if path.exists() and not overwrite:
        raise FormatError(f"{path}: already exists; not overwriting it")
    arrays = {}
    for s in signals.streams:
        arr = np.asarray(signals.data[s.name], dtype=float)
        if arr.ndim != 2 or arr.shape[1] != len(s.channels):
            raise FormatError(f"{path}: stream {s.name!r} data has shape {arr.shape}, "
                              f"expected (n, {len(s.channels)})")
        arrays[s.name] = arr
    counts = {name: len(arr) for name, arr in arrays.items()}
    fs, n, names = table_layout(path, signals.streams, counts)
    cols = [np.arange(n) / fs + float(signals.metadata.get("time_offset_s", 0.0) or 0.0)]
    for s in signals.streams:
        idx = np.minimum((np.arange(n) * s.fs / fs).astype(np.int64), counts[s.name] - 1)
        cols.extend(arrays[s.name][idx, i] for i in range(len(s.channels)))
    table = np.column_stack(cols)
    check_finite(path, table)
    return write_table(path, names, lambda f: np.savetxt(f, table, delimiter=",",
                                                         fmt=f"%.{decimals}f"),
                       overwrite=overwrite)


def table_layout(path: Path, streams: Sequence[StreamInfo], counts: Mapping[str, int]
                 ) -> tuple[float, int, list[str]]:
    """The CSV table's rate (the fastest stream's), row count and header for ``streams`` of
    ``counts`` samples, after every check a writer makes before writing (shared by
    :func:`write_csv` and the chunked writer, so both refuse the same recordings alike)."""
    if not streams:
        raise FormatError(f"{path}: nothing to write (no streams)")
    for s in streams:
        check_rate(path, f"stream {s.name!r}", s.fs)
    fs = max(s.fs for s in streams)
    n = max(int(round(counts[s.name] * fs / s.fs)) for s in streams)
    check_values(path, n * (1 + sum(len(s.channels) for s in streams)))
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
    return fs, n, names


def check_finite(path: Path, table: np.ndarray) -> None:
    """CSV has no missing-value marker: NaN or infinity is refused, not written."""
    if not np.isfinite(table).all():
        raise FormatError(f"{path}: the signals contain NaN or infinite values; the CSV "
                          "format has no missing-value marker")


def write_table(path: Path, names: list[str], write_rows: Callable[[TextIO], object], *,
                overwrite: bool) -> Path:
    """The header ``names`` and then ``write_rows(f)``, into a temporary file that replaces
    ``path`` only when complete (a failure leaves no half-written CSV)."""
    tmp = path.with_name(f".{path.name}.part-{os.getpid()}")
    try:
        with tmp.open("x", newline="") as f:  # created with the user's umask
            f.write(",".join(names) + "\n")
            write_rows(f)
        if not overwrite and path.exists():
            raise FormatError(path, "already exists; not overwriting it")
        tmp.replace(path)
    except OSError as exc:
        raise FormatError(path, describe_os_error(exc, "it")) from None
    finally:
        tmp.unlink(missing_ok=True)
    return path
