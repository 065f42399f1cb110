"""Recording journals (``.bfrec``) read through a block index: bounded memory, random access.

The journal is scanned once with the same record parser and the same checks as
:func:`~biofeedback.formats.bfrec.scan` (memory-mapped; pages already scanned are given back
to the kernel as the scan moves on), but a block record leaves only its place in the file
behind: first sample index, sample count and file offset, 20 bytes per block in one index
per stream (7 MB an hour at the recorder's 20-ms blocks), and whether it held NaN/inf.
Gaps (missing samples, NaN/inf rows: zeros in the data, ``gap:<stream>`` annotations) are
worked out from that index exactly as :func:`~biofeedback.formats.bfrec.to_signal_set` does,
and reading rows ``[a, b)`` fills zeros and copies the blocks overlapping them, later blocks
over earlier ones, from the file.
"""

from __future__ import annotations

import mmap
import os
from array import array
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import numpy as np

from biofeedback.formats import bfrec
from biofeedback.formats.bfrec import (
    _BLOCK,
    _HEAD,
    BLOCK,
    HEADER,
    MAGIC,
    ScanResult,
    _apply,
    _json,
    _runs,
    _streams,
    iter_records,
)
from biofeedback.formats.errors import FormatError, describe_os_error
from biofeedback.formats.limits import check_duration, check_regular_file, check_values
from biofeedback.formats.reader import SignalReader
from biofeedback.formats.schema import check_extras
from biofeedback.formats.vocabulary import gap as gap_text
from biofeedback.streams import Annotation, StreamInfo

RELEASE_BYTES = 8 << 20  # scanned mapping given back to the kernel every this many bytes
WINDOW_ROWS = 1 << 15  # rows assembled at once for small reads (replay's 20-ms blocks)


class _Index(NamedTuple):
    """One stream's blocks in file order: first sample index, sample count, file offset."""

    first: np.ndarray
    n: np.ndarray
    offset: np.ndarray


class JournalReader(SignalReader):
    """A journal's samples on demand; see the module docstring."""

    def __init__(self, path: Path | str) -> None:
        super().__init__()
        self.path = Path(path)
        check_regular_file(self.path)
        try:
            self._fd = os.open(self.path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
        except OSError as exc:
            raise FormatError(self.path, describe_os_error(exc, "it")) from None
        try:
            result = self._scan()
            self._layout(result)
        except BaseException:
            self.close()
            raise
        self._window: dict[str, tuple[int, int, np.ndarray]] = {}

    # -- the scan ---------------------------------------------------------------------------
    def _scan(self) -> ScanResult:
        path = self.path
        size = os.fstat(self._fd).st_size
        if size < len(MAGIC):
            raise FormatError(f"{path}: wrong header: not a biofeedback recording journal")
        try:
            buf = mmap.mmap(self._fd, size, access=mmap.ACCESS_READ)
        except (OSError, ValueError) as exc:
            raise FormatError(path, f"cannot map it ({exc})") from None
        view = memoryview(buf)
        records = iter_records(view)
        try:
            return self._scan_mapped(buf, records, size)
        finally:
            records.close()
            view.release()
            buf.close()

    def _scan_mapped(self, buf: mmap.mmap, records: Iterator[bfrec.Record | str],
                     size: int) -> ScanResult:
        path = self.path
        if buf[: len(MAGIC)] != MAGIC:
            raise FormatError(f"{path}: wrong header: not a biofeedback recording journal")
        result: ScanResult | None = None
        valid, reason, released = len(MAGIC), "", 0
        self._blocks: list[tuple[array, array, array]] = []  # per stream: first, n, offset
        self._nonfinite: list[set[int]] = []  # per stream: blocks holding NaN/inf samples
        for rec in records:
            if isinstance(rec, str):
                reason = rec
                break
            if result is None:
                if rec.kind != HEADER:
                    raise FormatError(f"{path}: wrong header: journal does not start with a "
                                      "header")
                header = check_extras(path, _json(path, rec))
                result = ScanResult(header, _streams(path, header))
                result.settings = dict(header.get("settings") or {})
                self._blocks = [(array("q"), array("i"), array("q")) for _ in result.streams]
                self._nonfinite = [set() for _ in result.streams]
            elif rec.kind == BLOCK:
                self._index_block(result, rec)
            else:
                _apply(path, result, rec)
            valid = rec.offset + _HEAD.size + len(rec.payload) + 4
            if valid - released > RELEASE_BYTES and hasattr(mmap, "MADV_DONTNEED"):
                start = released - released % mmap.PAGESIZE
                stop = valid - valid % mmap.PAGESIZE
                buf.madvise(mmap.MADV_DONTNEED, start, stop - start)
                released = stop
        if result is None:
            raise FormatError(f"{path}: truncated: no complete header record "
                              f"({reason or 'empty'})")
        result.valid_bytes = valid
        result.dropped_bytes = size - valid
        result.drop_reason = reason
        return result

    def _index_block(self, result: ScanResult, rec: bfrec.Record) -> None:
        """``_apply`` for a block, keeping its place in the file instead of its samples."""
        probe = ScanResult(result.header, result.streams)
        _apply(self.path, probe, rec)  # the same checks and messages
        stream_no, first, _, data = probe.blocks[0]
        firsts, ns, offsets = self._blocks[stream_no]
        if not np.isfinite(data).all():
            self._nonfinite[stream_no].add(len(firsts))
        firsts.append(first)
        ns.append(len(data))
        offsets.append(rec.offset + _HEAD.size + _BLOCK.size)

    # -- the layout, as to_signal_set builds it ---------------------------------------------------
    def _layout(self, r: ScanResult) -> None:
        path = self.path
        self._index: dict[str, _Index] = {}
        self._bad: dict[str, set[int]] = {}
        for s, (firsts, ns, offsets), bad in zip(r.streams, self._blocks, self._nonfinite,
                                                 strict=True):
            self._index[s.name] = _Index(*(np.frombuffer(a, dtype=a.typecode) if len(a) else
                                           np.zeros(0, a.typecode)
                                           for a in (firsts, ns, offsets)))
            self._bad[s.name] = bad
        del self._blocks
        lengths = [int((ix.first + ix.n).max()) if len(ix.first) else 0
                   for ix in self._index.values()]
        total = sum(n * len(s.channels) for n, s in zip(lengths, r.streams, strict=True))
        check_values(path, total)
        for n, s in zip(lengths, r.streams, strict=True):
            check_duration(path, n / s.fs)
        annotations = list(r.annotations)
        self._ordered: dict[str, bool] = {}
        for s, n in zip(r.streams, lengths, strict=True):
            ix = self._index[s.name]
            # no block starts before the previous one ended: the recorder's journals
            self._ordered[s.name] = bool(len(ix.first) < 2 or
                                         (ix.first[1:] >= ix.first[:-1] + ix.n[:-1]).all())
            for lo, hi in self._gap_runs(s, n):
                annotations.append(Annotation(lo / s.fs, (hi - lo) / s.fs, gap_text(s.name)))
            self._counts[s.name] = n
        self.streams = r.streams
        self.annotations = sorted(set(annotations), key=lambda a: (a.onset_s, a.text))
        # what the scan found besides samples and annotations (header, end record, torn tail)
        self.journal = ScanResult(r.header, r.streams, [], [], r.settings, r.ended,
                                  r.valid_bytes, r.dropped_bytes, r.drop_reason)
        template = bfrec.to_signal_set(self.journal, path)
        self.start_time = template.start_time
        self.patient_code = template.patient_code
        self.metadata = template.metadata

    def _gap_runs(self, s: StreamInfo, n: int) -> list[tuple[int, int]]:
        """``_runs`` of the rows no block holds or whose last copy is NaN/inf, as
        :func:`~biofeedback.formats.bfrec.to_signal_set` finds them, from the block
        intervals: memory grows with the number of blocks, not of samples."""
        ix = self._index[s.name]
        runs: list[tuple[int, int]] = []
        if len(ix.first):
            f, e = ix.first, ix.first + ix.n
            if not self._ordered[s.name]:
                order = np.argsort(f, kind="stable")
                f, e = f[order], np.maximum.accumulate(e[order])  # how far rows are held
            at = np.flatnonzero(f[1:] > e[:-1])
            runs += zip(e[at].tolist(), f[at + 1].tolist(), strict=True)
            runs += [(0, int(f[0]))] if f[0] > 0 else []
            runs += [(int(e[-1]), n)] if e[-1] < n else []
        else:
            runs += [(0, n)] if n else []
        for k in sorted(self._bad[s.name]):
            first, end = int(ix.first[k]), int(ix.first[k] + ix.n[k])
            bad = self._bad_rows(s.name, k, len(s.channels))
            if not self._ordered[s.name]:  # later copies of these rows replace them
                later_f, later_e = ix.first[k + 1:], ix.first[k + 1:] + ix.n[k + 1:]
                hit = (later_f < end) & (later_e > first)
                for a, z in zip(later_f[hit].tolist(), later_e[hit].tolist(), strict=True):
                    bad[max(a, first) - first:min(z, end) - first] = False
            runs.extend((first + lo, first + hi) for lo, hi in _runs(bad))
        merged: list[tuple[int, int]] = []
        for lo, hi in sorted(runs):
            if merged and lo <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(merged[-1][1], hi))
            else:
                merged.append((lo, hi))
        return merged

    def _samples(self, stream: str, k: int, nch: int) -> np.ndarray:
        ix = self._index[stream]
        n, offset = int(ix.n[k]), int(ix.offset[k])
        raw = os.pread(self._fd, 8 * n * nch, offset)
        if len(raw) != 8 * n * nch:
            raise FormatError(self.path, "changed while it was being read")
        return np.frombuffer(raw, "<f8").reshape(n, nch)

    def _bad_rows(self, stream: str, k: int, nch: int) -> np.ndarray:
        return ~np.isfinite(self._samples(stream, k, nch)).all(axis=1)

    # -- samples ----------------------------------------------------------------------------------
    def _read(self, stream: str, start: int, stop: int) -> np.ndarray:
        w = self._window.get(stream)
        if w is not None and w[0] <= start and stop <= w[1]:
            return w[2][start - w[0]:stop - w[0]].copy()
        if stop - start < WINDOW_ROWS // 4:
            hi = min(self._counts[stream], start + WINDOW_ROWS)
            rows = self._assemble(stream, start, hi)
            self._window[stream] = (start, hi, rows)
            return rows[: stop - start].copy()
        return self._assemble(stream, start, stop)

    def _assemble(self, stream: str, start: int, stop: int) -> np.ndarray:
        nch = len(self.stream(stream).channels)
        out = np.zeros((stop - start, nch))
        ix = self._index[stream]
        if self._ordered[stream]:  # a binary search: blocks and their ends both ascend
            lo = int(np.searchsorted(ix.first, start, side="right")) - 1
            if lo < 0 or ix.first[lo] + ix.n[lo] <= start:
                lo += 1
            chosen: list[int] = list(range(lo, int(np.searchsorted(ix.first, stop, "left"))))
        else:
            chosen = np.flatnonzero((ix.first < stop) & (ix.first + ix.n > start)).tolist()
        for k in chosen:
            first = int(ix.first[k])
            data = self._samples(stream, k, nch)
            a, b = max(start, first), min(stop, first + len(data))
            out[a - start:b - start] = data[a - first:b - first]
        bad = ~np.isfinite(out).all(axis=1)
        out[bad] = 0.0
        return out

    def close(self) -> None:
        fd, self._fd = getattr(self, "_fd", -1), -1
        if fd >= 0:
            os.close(fd)

    def __del__(self) -> None:
        self.close()
