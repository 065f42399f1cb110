"""EDF+/BDF+ written from a chunked reader, record by record: ``convert`` in bounded memory.

edfio's writer takes whole arrays (an hour of 2 kHz EMG is ~1 GB on its way out), so this
writer asks edfio for everything *except* the samples: the same :func:`~.edf.build_edf` header
object, but with every signal at one sample per data record (same physical and digital ranges,
same labels, the same annotation signal with the same metadata block), written to memory.
Its header differs from the real one only in the samples-per-record fields, which are patched;
its annotation bytes are copied into each record; the samples are encoded by edfio's formula
``round(x / gain - offset)`` a few records at a time. Two passes over the input: the first
finds each channel's range (the physical range is fitted to the data, as in :func:`write_edf`).
The output is byte-for-byte what :func:`~.edf.write_edf` writes (tested).
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from biofeedback.formats.edf import (
    build_edf,
    check_column,
    check_layout,
    edf_signal,
    write_atomically,
)
from biofeedback.formats.edf_header import _SIGNAL_FIELDS
from biofeedback.formats.reader import SignalReader

RECORDS_PER_WRITE = 16
_SPR_AT = sum(w for name, w in _SIGNAL_FIELDS[:8])  # per-signal offset of "samples per record"


def write_edf_chunked(reader: SignalReader, path: Path | str, *, fmt: str | None = None,
                      overwrite: bool = False, settings: Mapping[str, Any] | None = None,
                      private: bool = False, chunk_rows: int = 1 << 18) -> Path:
    """Write what ``reader`` holds as EDF+/BDF+; same file and same errors as ``write_edf``."""
    path = Path(path)
    counts = {s.name: reader.n_samples(s.name) for s in reader.streams}
    fmt, record_s, n_records = check_layout(path, fmt, overwrite, reader.streams, counts,
                                            reader.annotations)
    width = 3 if fmt == "BDF" else 2
    template, spr = [], []
    for stream in reader.streams:
        lo, hi, bad, first = _ranges(reader, stream.name, chunk_rows)
        n = counts[stream.name]
        for i, ch in enumerate(stream.channels):
            check_column(path, stream, ch, int(bad[i]), int(first[i]), float(lo[i]),
                         float(hi[i]))
            a, b = (float(lo[i]), float(hi[i])) if n else (0.0, 0.0)
            template.append(edf_signal(np.full(n_records, a), 1.0 / record_s, ch, fmt, a, b))
            spr.append(int(round(record_s * stream.fs)))
    edf = build_edf(path, fmt, template, reader, counts, settings, record_s)
    buf = io.BytesIO()
    edf.write(buf)
    raw = buf.getvalue()
    ns = int(raw[252:256])
    head_len = 256 * (ns + 1)
    header = bytearray(raw[:head_len])
    spr_t = [int(raw[256 + _SPR_AT * ns + 8 * k: 256 + _SPR_AT * ns + 8 * (k + 1)])
             for k in range(ns)]
    for k, n in enumerate(spr):  # edfio puts the annotation signal after ours
        at = 256 + _SPR_AT * ns + 8 * k
        header[at:at + 8] = f"{n:<8}".encode()
    t_record = sum(spr_t) * width
    t_records = np.frombuffer(raw, np.uint8, offset=head_len).reshape(n_records, t_record)
    notes = t_records[:, len(spr) * width:]  # the template's ordinary signals: 1 sample each
    calib = [_gain_offset(s) for s in edf.signals]

    def write(tmp: Path) -> None:
        with tmp.open("r+b") as f:
            f.write(header)
            for r0 in range(0, n_records, RECORDS_PER_WRITE):
                r1 = min(n_records, r0 + RECORDS_PER_WRITE)
                f.write(_records(reader, r0, r1, spr, calib, width, notes[r0:r1], counts))

    write_atomically(path, write, overwrite=overwrite, private=private)
    return path


def _ranges(reader: SignalReader, stream: str, chunk_rows: int
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per channel: minimum, maximum, number of non-finite samples and the first one; from
    the reader's ``column_ranges`` when it knows them without a pass (a journal's scan)."""
    known = getattr(reader, "column_ranges", None)
    ranges = known(stream) if known is not None else None
    if ranges is not None:
        return ranges
    nch = len(reader.stream(stream).channels)
    lo, hi = np.full(nch, np.inf), np.full(nch, -np.inf)
    bad, first = np.zeros(nch, dtype=np.int64), np.zeros(nch, dtype=np.int64)
    at = 0
    for block in reader.chunks(stream, chunk_rows):
        nonfinite = ~np.isfinite(block)
        for i in np.flatnonzero(nonfinite.any(axis=0)):
            if not bad[i]:
                first[i] = at + int(np.argmax(nonfinite[:, i]))
        bad += nonfinite.sum(axis=0)
        lo, hi = np.minimum(lo, block.min(axis=0)), np.maximum(hi, block.max(axis=0))
        at += len(block)
    return lo, hi, bad, first


def _gain_offset(sig: Any) -> tuple[float, float]:
    """edfio's calibration, from the header fields as edfio decodes them."""
    gain = (sig.physical_max - sig.physical_min) / (sig.digital_max - sig.digital_min)
    return gain, sig.physical_max / gain - sig.digital_max


def _records(reader: SignalReader, r0: int, r1: int, spr: list[int],
             calib: list[tuple[float, float]], width: int, notes: np.ndarray,
             counts: Mapping[str, int]) -> bytes:
    """Data records ``[r0, r1)``: the samples encoded as edfio does, then the annotations."""
    out = np.empty((r1 - r0, sum(spr) * width + notes.shape[1]), dtype=np.uint8)
    k = col = 0
    dtype = np.int32 if width == 3 else np.int16
    for stream in reader.streams:
        n = counts[stream.name]
        per = spr[k]
        a, b = r0 * per, r1 * per
        rows = reader.read(stream.name, a, b)
        if len(rows) < b - a:  # the last record: padded with the last sample
            last = reader.read(stream.name, n - 1, n) if n else np.zeros((1, rows.shape[1]))
            rows = np.concatenate([rows, np.repeat(last, b - a - len(rows), axis=0)])
        for i in range(len(stream.channels)):
            gain, offset = calib[k]
            digital = np.round(rows[:, i] / gain - offset).astype(dtype)
            if width == 3:
                data = digital.view(np.uint8).reshape(-1, 4)[:, :3].reshape(r1 - r0, -1)
            else:
                data = digital.view(np.uint8).reshape(r1 - r0, -1)
            out[:, col:col + per * width] = data
            col += per * width
            k += 1
    out[:, col:] = notes
    return out.tobytes()
