"""EDF/EDF+ and BDF/BDF+ read by data records, straight from the file: bounded memory.

Data records are fixed-size, so rows ``[a, b)`` of a stream are the records ``a // spr`` to
``ceil(b / spr)``: one ``os.pread`` of those records, a vectorised 16-bit (EDF) or 24-bit (BDF)
decode of the stream's signals only, and edfio's calibration ``(digital + offset) * gain``
with edfio's own gain and offset formula, so the values are bit-for-bit those of
:func:`~biofeedback.formats.edf.read_edf` (which decodes the whole file with edfio: a 1 h BDF
costs it ~0.9 GB). What is not samples still comes from edfio, on two small in-memory files cut
from this one: the header plus the first record (signal facts, start time, patient, the
sub-second offset) and the header of the annotation signals plus their bytes of every record
(annotations and the EDF+ continuity check). Anything unusual (no records, a calibration that
overflows, edfio refusing one of those small files) is handed to the whole-file reader, whose
verdict — the error message or the data — is then used as it is.
"""

from __future__ import annotations

import io
import math
import os
import warnings
from pathlib import Path
from typing import Any

import edfio
import numpy as np

from biofeedback.formats.edf import _fail, _SignalFacts, describe_file, read_edf
from biofeedback.formats.edf_header import _SIGNAL_FIELDS, Header, check_header
from biofeedback.formats.errors import FormatError, describe_os_error
from biofeedback.formats.reader import MemoryReader, SignalReader

CACHE_BYTES = 1 << 20  # file bytes decoded at a time: small enough to stay in the CPU cache


class _Fallback(Exception):
    """The file needs the whole-file reader's judgement."""


def open_edf(path: Path | str) -> SignalReader:
    """A chunked reader for an EDF/BDF file; every problem is a one-line FormatError."""
    path = Path(path)
    try:
        return EdfReader(path)
    except _Fallback:
        return MemoryReader(read_edf(path), path)


class EdfReader(SignalReader):
    """Rows of any stream on demand; see the module docstring."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path
        header = check_header(path)
        if header.n_records == 0:
            raise _Fallback
        self._header = header
        self._width = 3 if header.fmt == "BDF" else 2
        spr = [s.samples_per_record for s in header.signals]
        self._offsets = np.concatenate([[0], np.cumsum(spr)]).tolist()  # in samples
        self._record_bytes = self._offsets[-1] * self._width
        self._data_start = 256 * (len(header.signals) + 1)
        self._ordinary = [i for i, s in enumerate(header.signals) if not s.annotation]
        try:
            self._fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
        except OSError as exc:
            raise FormatError(path, describe_os_error(exc, "it")) from None
        self._cache: dict[str, tuple[int, int, np.ndarray]] = {}  # per stream: rows lo..hi
        try:
            self._describe()
        except BaseException:
            self.close()
            raise

    # -- opening ------------------------------------------------------------------------------
    def _describe(self) -> None:
        h, fmt = self._header, self._header.fmt
        head = self._pread(0, self._data_start)
        first = self._pread(self._data_start, self._record_bytes)
        facts = _edfio_read(fmt, _with_records(head, 1) + first)
        sigs = [_SignalFacts(s.label, float(s.sampling_frequency), s.physical_dimension,
                             float(s.physical_min), float(s.physical_max))
                for s in facts.signals]
        if len(sigs) != len(self._ordinary):
            raise _Fallback
        try:
            start = facts.startdatetime
        except Exception:  # anonymised or unparseable start date: keep the samples
            start = None
        code = facts.patient.code if facts.patient.code not in ("X", "") else ""
        raw_annotations: list[Any] = []
        ann = [i for i, s in enumerate(h.signals) if s.annotation]
        if ann:
            notes = _edfio_read(fmt, self._annotation_file(head, ann))
            try:
                continuous = notes.is_continuous
                raw_annotations = list(notes.annotations)
            except Exception:
                raise _Fallback from None
            if not continuous:
                raise _fail(self.path, f"the data records' start times do not follow each "
                                       f"other every {h.record_s:g} s (a damaged record "
                                       "duration or time-stamp, or a discontinuous file)")
        lengths = [h.n_records * h.signals[i].samples_per_record for i in self._ordinary]
        layout, annotations, extra = describe_file(self.path, fmt, raw_annotations, sigs,
                                                   facts.reserved, lengths)
        self.streams = tuple(s for s, _, _ in layout)
        self._counts = {s.name: n for s, n, _ in layout}
        self._columns = {s.name: [self._ordinary[i] for i in idx] for s, _, idx in layout}
        self._calibration = {}
        for i, sig in zip(self._ordinary, facts.signals, strict=True):
            gain, offset = _gain_offset(sig)
            if not (math.isfinite(gain) and math.isfinite(offset)):
                raise _Fallback
            lo, hi = (np.array([sig.digital_min, sig.digital_max]) + offset) * gain
            if not (math.isfinite(lo) and math.isfinite(hi)):
                raise _Fallback  # the whole-file reader names the non-finite stream
            self._calibration[i] = (gain, offset)
        self.annotations = annotations
        self.start_time = start
        self.patient_code = code
        self.metadata = extra

    def _annotation_file(self, head: bytes, ann: list[int]) -> bytes:
        """A valid EDF+ file of only the annotation signals: their header and bytes."""
        h = self._header
        ns = len(h.signals)
        out = bytearray(head[:256])
        out[184:192] = f"{256 * (len(ann) + 1):<8}".encode()
        out[252:256] = f"{len(ann):<4}".encode()
        off = 256
        for _, w in _SIGNAL_FIELDS:
            for i in ann:
                out += head[off + w * i: off + w * (i + 1)]
            off += w * ns
        spans = [(self._offsets[i] * self._width, self._offsets[i + 1] * self._width)
                 for i in ann]
        for r in range(h.n_records):
            base = self._data_start + r * self._record_bytes
            for a, b in spans:
                out += self._pread(base + a, b - a)
        return bytes(out)

    # -- samples ------------------------------------------------------------------------------
    def _read(self, stream: str, start: int, stop: int) -> np.ndarray:
        spr = self._header.signals[self._columns[stream][0]].samples_per_record
        c = self._cache.get(stream)
        if c is not None and c[0] <= start and stop <= c[1]:
            return c[2][start - c[0]:stop - c[0]].copy()
        r0, r1 = start // spr, -(-stop // spr)
        small = (r1 - r0) * self._record_bytes < CACHE_BYTES // 16
        if small:  # many small reads follow: decode a window once
            r1 = max(r1, min(self._header.n_records,
                             r0 + max(1, CACHE_BYTES // self._record_bytes)))
        rows = self._decode(stream, r0, r1)
        lo = r0 * spr
        hi = min(r1 * spr, self._counts[stream])
        rows = rows[:hi - lo]
        if small:
            self._cache[stream] = (lo, hi, rows)
            return rows[start - lo:stop - lo].copy()
        return rows[start - lo:stop - lo]

    def _decode(self, stream: str, r0: int, r1: int) -> np.ndarray:
        """Physical values of the stream's channels over records ``[r0, r1)``, decoded in
        pieces of about :data:`CACHE_BYTES` of file (faster than one big pass)."""
        cols = self._columns[stream]
        spr = self._header.signals[cols[0]].samples_per_record
        out = np.empty(((r1 - r0) * spr, len(cols)))
        step = max(1, CACHE_BYTES // self._record_bytes)
        for a in range(r0, r1, step):
            b = min(r1, a + step)
            self._decode_into(out[(a - r0) * spr:(b - r0) * spr], cols, a, b)
        return out

    def _decode_into(self, out: np.ndarray, cols: list[int], r0: int, r1: int) -> None:
        raw = np.frombuffer(self._pread(self._data_start + r0 * self._record_bytes,
                                        (r1 - r0) * self._record_bytes), dtype=np.uint8)
        recs = raw.reshape(r1 - r0, self._record_bytes)
        w = self._width
        for k, i in enumerate(cols):
            part = recs[:, self._offsets[i] * w:self._offsets[i + 1] * w]
            if w == 2:
                digital = np.ascontiguousarray(part).view("<i2").reshape(-1)
            else:  # 24-bit little-endian: shift into the top of an int32, shift back signed
                b = part.reshape(-1, 3)
                wide = np.zeros((len(b), 4), dtype=np.uint8)
                wide[:, 1:] = b
                digital = wide.view("<i4").reshape(-1) >> 8
            gain, offset = self._calibration[i]
            out[:, k] = (digital + offset) * gain

    def _pread(self, offset: int, size: int) -> bytes:
        try:
            data = os.pread(self._fd, size, offset)
        except OSError as exc:
            raise FormatError(self.path, describe_os_error(exc, "it")) from None
        if len(data) != size:
            raise FormatError(self.path, f"truncated: the file ended at byte "
                                         f"{offset + len(data)} while reading")
        return data

    def close(self) -> None:
        fd, self._fd = self._fd, -1
        if fd >= 0:
            os.close(fd)
        self._cache = {}

    def __del__(self) -> None:
        if getattr(self, "_fd", -1) >= 0:
            self.close()


def _with_records(head: bytes, n: int) -> bytes:
    return head[:236] + f"{n:<8}".encode() + head[244:]


def _edfio_read(fmt: str, data: bytes) -> Any:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            reader = edfio.read_bdf if fmt == "BDF" else edfio.read_edf
            return reader(io.BytesIO(data))
    except Exception:
        raise _Fallback from None


def _gain_offset(sig: Any) -> tuple[float, float]:
    """edfio's calibration (``edf_signal._calculate_gain_and_offset``), same operations."""
    gain = (sig.physical_max - sig.physical_min) / (sig.digital_max - sig.digital_min)
    return gain, sig.physical_max / gain - sig.digital_max


__all__ = ["EdfReader", "Header", "open_edf"]
