"""Recording journals (``.bfrec``) read through a block index: bounded memory, random access.

The journal is scanned once with the same record parser and the same checks as
:func:`~biofeedback.formats.bfrec.scan` (memory-mapped; pages already scanned are given back
to the kernel as the scan moves on), but a block record leaves only its place in the file
behind: stream, first sample index, sample count, file offset, and whether it held NaN/inf.
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
        self._blocks = {k: array("q") for k in ("stream", "first", "n", "offset")}
        self._nonfinite: set[int] = set()  # block numbers holding NaN/inf samples
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
        b = self._blocks
        if not np.isfinite(data).all():
            self._nonfinite.add(len(b["stream"]))
        b["stream"].append(stream_no)
        b["first"].append(first)
        b["n"].append(len(data))
        b["offset"].append(rec.offset + _HEAD.size + _BLOCK.size)

    # -- the layout, as to_signal_set builds it ---------------------------------------------------
    def _layout(self, r: ScanResult) -> None:
        path = self.path
        b = {k: np.frombuffer(v, dtype=np.int64) if len(v) else np.zeros(0, np.int64)
             for k, v in self._blocks.items()}
        self._index = b
        lengths = [0] * len(r.streams)
        for no in range(len(r.streams)):
            mine = b["stream"] == no
            if mine.any():
                lengths[no] = int((b["first"][mine] + b["n"][mine]).max())
        total = sum(n * len(s.channels) for n, s in zip(lengths, r.streams, strict=True))
        check_values(path, total)
        for n, s in zip(lengths, r.streams, strict=True):
            check_duration(path, n / s.fs)
        annotations = list(r.annotations)
        self._per_stream: dict[str, np.ndarray] = {}
        self._ordered: dict[str, bool] = {}
        for no, (s, n) in enumerate(zip(r.streams, lengths, strict=True)):
            blocks = np.flatnonzero(b["stream"] == no)  # in file order
            self._per_stream[s.name] = blocks
            firsts, ends = b["first"][blocks], b["first"][blocks] + b["n"][blocks]
            self._ordered[s.name] = bool(len(blocks) < 2 or (firsts[1:] >= ends[:-1]).all())
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
        blocks = self._per_stream[s.name]
        firsts, ends = self._index["first"][blocks], self._index["first"][blocks] + \
            self._index["n"][blocks]
        held = ends > firsts
        order = np.argsort(firsts[held], kind="stable")
        f, e = firsts[held][order], ends[held][order]
        runs: list[tuple[int, int]] = []
        reach = np.maximum.accumulate(e) if len(e) else np.zeros(0, np.int64)
        starts = np.concatenate([[0], reach])
        stops = np.concatenate([f, [n]])
        for lo, hi in zip(starts.tolist(), stops.tolist(), strict=True):
            if hi > lo:
                runs.append((lo, hi))
        for pos in np.flatnonzero(np.isin(blocks, list(self._nonfinite))).tolist():
            k, first, end = int(blocks[pos]), int(firsts[pos]), int(ends[pos])
            bad = self._bad_rows(k, len(s.channels))
            if not self._ordered[s.name]:  # later copies of these rows replace them
                later_f, later_e = firsts[pos + 1:], ends[pos + 1:]
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

    def _samples(self, k: int, nch: int) -> np.ndarray:
        n, offset = int(self._index["n"][k]), int(self._index["offset"][k])
        raw = os.pread(self._fd, 8 * n * nch, offset)
        if len(raw) != 8 * n * nch:
            raise FormatError(self.path, "changed while it was being read")
        return np.frombuffer(raw, "<f8").reshape(n, nch)

    def _bad_rows(self, k: int, nch: int) -> np.ndarray:
        return ~np.isfinite(self._samples(k, nch)).all(axis=1)

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
        blocks = self._per_stream[stream]
        firsts = self._index["first"][blocks]
        ends = firsts + self._index["n"][blocks]
        if self._ordered[stream]:
            lo = int(np.searchsorted(ends, start, side="right"))
            hi = int(np.searchsorted(firsts, stop, side="left"))
            chosen = blocks[lo:hi]
        else:
            chosen = blocks[(firsts < stop) & (ends > start)]
        for k in chosen.tolist():
            first = int(self._index["first"][k])
            data = self._samples(k, nch)
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
