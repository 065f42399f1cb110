"""Recording journals (``.bfrec``) read through a block index: bounded memory, random access.

The journal is scanned once, a window of the file at a time, with the same record framing,
checks and messages as :func:`~biofeedback.formats.bfrec.scan`
(:mod:`~biofeedback.formats.bfrec_index`: the Python loop only frames records, numpy parses
and checks the blocks), but a block record leaves only its place in the file behind: first
sample index, sample count and file offset, 20 bytes per block in one index per stream
(7 MB an hour at the recorder's 20-ms blocks), whether it held NaN/inf, and each channel's
range. Gaps (missing samples, NaN/inf rows: zeros in the data, ``gap:<stream>`` annotations)
are worked out from that index exactly as :func:`~biofeedback.formats.bfrec.to_signal_set`
does. Reading rows ``[a, b)`` of a stream whose blocks follow each other (the recorder's) is
one ``pread`` of the file span holding them and one numpy gather per block size; otherwise the
blocks overlapping ``[a, b)`` are copied one by one, later blocks over earlier ones.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from biofeedback.formats import bfrec
from biofeedback.formats.bfrec import ScanResult, _runs
from biofeedback.formats.bfrec_index import Indexer, StreamBlocks, gather
from biofeedback.formats.errors import FormatError, describe_os_error
from biofeedback.formats.limits import check_duration, check_regular_file, check_values
from biofeedback.formats.reader import SignalReader
from biofeedback.formats.vocabulary import gap as gap_text
from biofeedback.streams import Annotation, StreamInfo

RELEASE_BYTES = 4 << 20  # journal bytes scanned at a time (one window, then let go)
WINDOW_ROWS = 1 << 15  # rows assembled at once for small reads (replay's 20-ms blocks)
SPAN_GAP = 1 << 20  # file bytes between two blocks of a stream read through, not skipped
SPAN_BYTES = 2 << 20  # file bytes read at a time for one stream's blocks


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
            result, blocks = Indexer(self.path, self._fd, RELEASE_BYTES).run()
            self._layout(result, blocks)
        except BaseException:
            self.close()
            raise
        self._window: dict[str, tuple[int, int, np.ndarray]] = {}

    # -- the layout, as to_signal_set builds it ---------------------------------------------------
    def _layout(self, r: ScanResult, blocks: list[StreamBlocks]) -> None:
        path = self.path
        self._index = {s.name: b for s, b in zip(r.streams, blocks, strict=True)}
        self._bad = {s.name: b.nonfinite for s, b in zip(r.streams, blocks, strict=True)}
        lengths = [b.length for b in blocks]
        total = sum(n * len(s.channels) for n, s in zip(lengths, r.streams, strict=True))
        check_values(path, total)
        for n, s in zip(lengths, r.streams, strict=True):
            check_duration(path, n / s.fs)
        annotations = list(r.annotations)
        self._ordered: dict[str, bool] = {}
        self._zeros: dict[str, bool] = {}  # rows filled with 0 (gaps, NaN/inf rows)
        for s, n in zip(r.streams, lengths, strict=True):
            ix = self._index[s.name]
            # no block starts before the previous one ended: the recorder's journals
            self._ordered[s.name] = bool(len(ix.first) < 2 or
                                         (ix.first[1:] >= ix.first[:-1] + ix.n[:-1]).all())
            runs = self._gap_runs(s, n)
            self._zeros[s.name] = bool(runs)
            for lo, hi in runs:
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
        return np.frombuffer(self._pread(offset, 8 * n * nch), "<f8").reshape(n, nch)

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
        ix = self._index[stream]
        if self._ordered[stream]:  # a binary search: blocks and their ends both ascend
            lo = int(np.searchsorted(ix.first, start, side="right")) - 1
            if lo < 0 or ix.first[lo] + ix.n[lo] <= start:
                lo += 1
            out = self._gathered(stream, start, stop, lo,
                                 int(np.searchsorted(ix.first, stop, "left")), nch)
        else:
            out = np.zeros((stop - start, nch))
            for k in np.flatnonzero((ix.first < stop) & (ix.first + ix.n > start)).tolist():
                first = int(ix.first[k])
                data = self._samples(stream, k, nch)
                a, b = max(start, first), min(stop, first + len(data))
                out[a - start:b - start] = data[a - first:b - first]
        if self._bad[stream] or not self._ordered[stream]:  # NaN/inf rows read as 0
            bad = ~np.isfinite(out).all(axis=1)
            out[bad] = 0.0
        return out

    def _gathered(self, stream: str, start: int, stop: int, lo: int, hi: int,
                  nch: int) -> np.ndarray:
        """Rows ``[start, stop)`` from blocks ``lo..hi`` that do not overlap: the file spans
        holding them read whole (other streams' blocks in between are read through, unless
        :data:`SPAN_GAP` apart), :data:`SPAN_BYTES` at a time, every block size gathered at
        once."""
        ix = self._index[stream]
        f, n, o = ix.first[lo:hi], ix.n[lo:hi], ix.offset[lo:hi]
        if not len(f):
            return np.zeros((stop - start, nch))
        s0, s1 = min(start, int(f[0])), max(stop, int(f[-1] + n[-1]))
        nbytes = 8 * nch * n
        if f[0] == start and f[-1] + n[-1] == stop and (f[1:] == f[:-1] + n[:-1]).all() and \
                (o[1:] == o[:-1] + nbytes[:-1]).all():  # one run of bytes: a single read
            return np.frombuffer(self._pread(int(o[0]), int(nbytes.sum())),
                                 "<f8").reshape(-1, nch).copy()
        stage = np.zeros((s1 - s0, nch))
        piece = (o - o[0]) // SPAN_BYTES  # at most about this much file per read
        cuts = np.flatnonzero((o[1:] - (o[:-1] + nbytes[:-1]) > SPAN_GAP) |
                              (piece[1:] != piece[:-1])) + 1
        for a, b in zip([0, *cuts.tolist()], [*cuts.tolist(), len(f)], strict=True):
            base = int(o[a])
            raw = np.frombuffer(self._pread(base, int(o[b - 1] + nbytes[b - 1]) - base),
                                np.uint8)
            for size in np.unique(n[a:b]).tolist():
                if not size:
                    continue
                group = a + np.flatnonzero(n[a:b] == size)
                vals = gather(raw, o[group] - base, 8 * nch * size).view("<f8")
                r0 = int(f[group[0]]) - s0
                if (f[group[1:]] == f[group[:-1]] + size).all():  # back to back: a slice
                    stage[r0:r0 + len(group) * size] = vals.reshape(-1, nch)
                else:
                    rows = (f[group] - s0)[:, None] + np.arange(size)
                    stage[rows] = vals.reshape(len(group), size, nch)
        if s0 == start and s1 == stop:
            return stage
        return stage[start - s0:stop - s0].copy()

    def _pread(self, offset: int, size: int) -> bytes:
        raw = os.pread(self._fd, size, offset)
        if len(raw) != size:
            raise FormatError(self.path, "changed while it was being read")
        return raw

    def column_ranges(self, stream: str
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None:
        """Per channel, what the EDF writer's range pass would find over the rows this reader
        gives (minimum, maximum, non-finite count and first, always 0: NaN/inf rows read as
        0), known from the scan; ``None`` when blocks overlap (later ones win: read them)."""
        if not self._ordered[stream]:
            return None
        ix = self._index[stream]
        lo, hi = ix.lo.copy(), ix.hi.copy()
        if self._zeros[stream]:
            lo, hi = np.minimum(lo, 0.0), np.maximum(hi, 0.0)
        zero = np.zeros(len(lo), dtype=np.int64)
        return lo, hi, zero, zero.copy()

    def close(self) -> None:
        fd, self._fd = getattr(self, "_fd", -1), -1
        if fd >= 0:
            os.close(fd)

    def __del__(self) -> None:
        self.close()
