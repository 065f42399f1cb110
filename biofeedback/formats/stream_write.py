"""Writing a recording from a chunked reader: what ``convert`` uses, in bounded memory.

:func:`write_from_reader` is :func:`~biofeedback.formats.signal_file.write_signal_file` for a
:class:`~biofeedback.formats.reader.SignalReader`: same formats, same side-car, same checks and
messages, the same bytes in the output (tested against the whole-array writers), but the
samples pass through a few seconds at a time.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, TextIO

import numpy as np

from biofeedback.formats.csvfile import check_finite, table_layout, write_table
from biofeedback.formats.errors import FormatError
from biofeedback.formats.reader import SignalReader

CSV_ROWS = 50_000  # rows formatted at a time (~2.5 MB of text)


def write_from_reader(reader: SignalReader, path: Path | str, *, overwrite: bool = False,
                      settings: Mapping[str, Any] | None = None) -> Path:
    """Write ``reader``'s recording in the format named by ``path``'s suffix."""
    from biofeedback.formats.signal_file import write_by_suffix

    path = Path(path)

    def edf() -> Path:
        from biofeedback.formats.edf_writer import write_edf_chunked

        return write_edf_chunked(reader, path, overwrite=overwrite, settings=settings)

    return write_by_suffix(path, reader.annotations, edf,
                           lambda: write_csv_chunked(reader, path, overwrite=overwrite),
                           overwrite=overwrite)


def write_csv_chunked(reader: SignalReader, path: Path | str, *, overwrite: bool = False,
                      decimals: int = 6, rows: int = CSV_ROWS) -> Path:
    """:func:`~biofeedback.formats.csvfile.write_csv` from a reader, ``rows`` rows at a time."""
    path = Path(path)
    if path.exists() and not overwrite:
        raise FormatError(f"{path}: already exists; not overwriting it")
    streams = reader.streams
    counts = {s.name: reader.n_samples(s.name) for s in streams}
    fs, n, names = table_layout(path, streams, counts)
    offset = float(reader.metadata.get("time_offset_s", 0.0) or 0.0)

    def write_rows(f: TextIO) -> None:
        for a in range(0, n, rows):
            table = _rows(reader, counts, fs, offset, a, min(n, a + rows))
            check_finite(path, table)
            np.savetxt(f, table, delimiter=",", fmt=f"%.{decimals}f")

    return write_table(path, names, write_rows, overwrite=overwrite)


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
