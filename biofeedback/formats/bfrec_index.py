"""A journal's block index built in one pass, a window of the file at a time, mostly in numpy.

:class:`~biofeedback.formats.bfrec_reader.JournalReader` needs, for every block, its stream,
first sample, sample count and place in the file, whether it holds NaN/inf, and (so the EDF
writer need not read the journal once more for its physical ranges) each channel's range.
Calling :func:`~biofeedback.formats.bfrec.iter_records` and ``_apply`` per block costs ~20 us
of Python each, 7 s an hour at the recorder's 20-ms blocks; here the Python loop only frames
records and checks their CRC (the same checks and messages, in the same order), and the block
headers and samples of each window (``window`` bytes, 8 MB) are parsed and checked with numpy:
one gather of all equal-sized blocks at a time.
"""

from __future__ import annotations

import os
import struct
import zlib
from array import array
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from biofeedback.formats.bfrec import (
    _BLOCK,
    _HEAD,
    _TYPES,
    BLOCK,
    HEADER,
    MAGIC,
    MAX_PAYLOAD,
    SYNC,
    Record,
    ScanResult,
    _apply,
    _json,
    _streams,
)
from biofeedback.formats.errors import FormatError, describe_os_error
from biofeedback.formats.schema import check_extras

BLOCK_FIELDS = np.dtype([("stream", "<u2"), ("first", "<u8"), ("flags", "<u4"), ("n", "<u4"),
                         ("nch", "<u2")])
_DATA = _HEAD.size + _BLOCK.size  # a block's samples start this far into its record
_CRC = struct.Struct("<I")
_BIG = 1 << 62  # a first index beyond this fails the size checks; kept as Python ints


def gather(raw: np.ndarray, offsets: np.ndarray, nbytes: int) -> np.ndarray:
    """``raw[o:o + nbytes]`` for every ``o`` in ``offsets``, as one ``(k, nbytes)`` copy."""
    return sliding_window_view(raw, nbytes)[offsets]


@dataclass
class StreamBlocks:
    """One stream's blocks in file order (see the module docstring)."""

    first: np.ndarray
    n: np.ndarray
    offset: np.ndarray
    nonfinite: set[int]
    length: int  # rows up to the end of the last block
    lo: np.ndarray  # per channel, over the finite rows of every block
    hi: np.ndarray


@dataclass
class _Stream:
    """A stream's index as it grows: 20 bytes a block, in arrays (no copy when done)."""

    nch: int
    first: array = field(default_factory=lambda: array("q"))
    n: array = field(default_factory=lambda: array("I"))
    offset: array = field(default_factory=lambda: array("q"))
    nonfinite: set[int] = field(default_factory=set)
    length: int = 0
    lo: np.ndarray = field(init=False)
    hi: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        self.lo, self.hi = np.full(self.nch, np.inf), np.full(self.nch, -np.inf)

    def done(self) -> StreamBlocks:
        return StreamBlocks(np.frombuffer(self.first, np.int64), np.frombuffer(self.n, np.uint32),
                            np.frombuffer(self.offset, np.int64), self.nonfinite, self.length,
                            self.lo, self.hi)


class Indexer:
    """Builds the index of the journal open as ``fd``; :meth:`run` returns what was found."""

    def __init__(self, path: Path, fd: int, window: int) -> None:
        self.path, self.fd, self.window = path, fd, max(64, int(window))
        self.result: ScanResult | None = None
        self.streams: list[_Stream] = []

    def run(self) -> tuple[ScanResult, list[StreamBlocks]]:
        path = self.path
        size = os.fstat(self.fd).st_size
        head = self._pread(0, min(size, len(MAGIC)))
        if len(head) < len(MAGIC) or head != MAGIC:
            raise FormatError(f"{path}: wrong header: not a biofeedback recording journal")
        pos, reason = len(MAGIC), ""
        while True:
            want = self.window
            while True:  # a window holding at least one whole record (or the file's end)
                ask = min(want, size - pos)
                raw = self._pread(pos, ask)
                at_eof = len(raw) < ask or pos + len(raw) >= size
                stop, reason, blocks, others = self._walk(raw, pos, at_eof)
                if stop > pos or reason or at_eof:
                    break
                want = max(2 * want, _HEAD.size + 4 + _need(raw))
            self._flush(raw, pos, blocks, others)
            pos = stop
            if reason or at_eof:
                break
        if self.result is None:
            raise FormatError(f"{path}: truncated: no complete header record "
                              f"({reason or 'empty'})")
        self.result.valid_bytes = pos
        self.result.dropped_bytes = size - pos
        self.result.drop_reason = reason
        return self.result, [s.done() for s in self.streams]

    def _pread(self, offset: int, size: int) -> bytes:
        try:
            return os.pread(self.fd, size, offset)
        except OSError as exc:
            raise FormatError(self.path, describe_os_error(exc, "it")) from None

    @staticmethod
    def _walk(raw: bytes, base: int, at_eof: bool
              ) -> tuple[int, str, array, list[tuple[int, bytes, int, bytes]]]:
        """Frame the records wholly inside ``raw`` (file bytes from ``base``) as
        :func:`~biofeedback.formats.bfrec.iter_records` does; returns where the next window
        starts, why reading stopped (or ""), the blocks' offsets in ``raw`` and the other
        records (blocks before them, kind, file offset, payload). The loop is the scan's
        floor (~1 us a record): one test for every framing rule, the reason found after."""
        view = memoryview(raw)
        offs = array("q")
        add = offs.append
        others: list[tuple[int, bytes, int, bytes]] = []
        unpack, crc_of, crc32 = _HEAD.unpack_from, _CRC.unpack_from, zlib.crc32
        pos, end, reason = 0, len(raw), ""
        last = end - _HEAD.size - 4  # the last offset a whole record can start at
        while pos <= last:
            sync, kind, length = unpack(raw, pos)
            stop = pos + _HEAD.size + length
            if sync != SYNC or kind not in _TYPES or length > MAX_PAYLOAD or stop + 4 > end:
                break
            if crc32(view[pos + 2:stop]) != crc_of(raw, stop)[0]:
                reason = f"checksum mismatch at byte {base + pos}"
                break
            if kind == BLOCK:
                add(pos)
            else:
                others.append((len(offs), kind, base + pos, bytes(view[pos + _HEAD.size:stop])))
            pos = stop + 4
        view.release()
        return base + pos, reason or _why_stopped(raw, pos, base, at_eof), offs, others

    # -- a window's records, in file order --------------------------------------------------------
    def _flush(self, raw: bytes, base: int, blocks: array,
               others: list[tuple[int, bytes, int, bytes]]) -> None:
        off = np.frombuffer(blocks, np.int64)
        length = gather(np.frombuffer(raw, np.uint8), off + 3, 4).copy().view("<u4")[:, 0] \
            .astype(np.int64) if len(off) else np.zeros(0, np.int64)
        fields, bad_at = None, len(off)
        checked = 0

        def blocks_until(j: int) -> None:
            nonlocal fields, bad_at, checked
            if j <= checked:
                return
            if self.result is None:
                raise FormatError(f"{self.path}: wrong header: journal does not start with "
                                  "a header")
            if fields is None:
                fields, bad_at = self._check(raw, off, length)
            if bad_at < j:
                self._block_error(base + int(off[bad_at]), raw, int(off[bad_at]))
            checked = j

        for before, kind, at, payload in others:
            blocks_until(before)
            rec = Record(kind, at, payload)
            if self.result is None:
                if kind != HEADER:
                    raise FormatError(f"{self.path}: wrong header: journal does not start "
                                      "with a header")
                header = check_extras(self.path, _json(self.path, rec))
                self.result = ScanResult(header, _streams(self.path, header))
                self.result.settings = dict(header.get("settings") or {})
                self.streams = [_Stream(len(s.channels)) for s in self.result.streams]
            else:
                _apply(self.path, self.result, rec)
        blocks_until(len(off))
        if fields is not None and len(off):
            self._add(raw, base, off, fields)

    def _check(self, raw: bytes, off: np.ndarray, length: np.ndarray
               ) -> tuple[np.ndarray, int]:
        """The block headers, and the first block ``_apply`` would refuse (``len`` if none)."""
        assert self.result is not None
        short = length < _BLOCK.size
        fields = np.zeros(len(off), BLOCK_FIELDS)
        ok = ~short
        if ok.any():
            raw8 = np.frombuffer(raw, np.uint8)
            fields[ok] = gather(raw8, off[ok] + _HEAD.size, _BLOCK.size).copy().view(
                BLOCK_FIELDS)[:, 0]
        nchs = np.array([len(s.channels) for s in self.result.streams] + [0], np.int64)
        stream = np.minimum(fields["stream"].astype(np.int64), len(nchs) - 1)
        nch = fields["nch"].astype(np.int64)
        wrong = short | (stream >= len(nchs) - 1) | (nch != nchs[stream]) | \
            (length != _BLOCK.size + 8 * fields["n"].astype(np.int64) * nch)
        bad = np.flatnonzero(wrong)
        return fields, int(bad[0]) if len(bad) else len(off)

    def _block_error(self, at: int, raw: bytes, rel: int) -> None:
        """``_apply``'s own message for the block at file offset ``at``."""
        assert self.result is not None
        (length,) = struct.unpack_from("<I", raw, rel + 3)
        payload = raw[rel + _HEAD.size:rel + _HEAD.size + length]
        _apply(self.path, ScanResult(self.result.header, self.result.streams),
               Record(BLOCK, at, payload))
        raise AssertionError("a refused block was accepted")  # pragma: no cover

    def _add(self, raw: bytes, base: int, off: np.ndarray, fields: np.ndarray) -> None:
        raw8 = np.frombuffer(raw, np.uint8)
        for no, s in enumerate(self.streams):
            sel = np.flatnonzero(fields["stream"] == no)
            if not len(sel):
                continue
            first_u = fields["first"][sel]
            n = fields["n"][sel].astype(np.int64)
            big = first_u >= _BIG
            if big.any():  # only the size checks will look at these
                s.length = max([s.length, *(int(f) + int(m) for f, m in
                                            zip(first_u[big], n[big], strict=True))])
                first_u = np.where(big, 0, first_u)
            first = first_u.astype(np.int64)
            s.length = max(s.length, int((first + n).max()))
            data = off[sel] + _DATA
            for size in np.unique(n[n > 0]).tolist():
                group = np.flatnonzero(n == size)
                vals = gather(raw8, data[group], 8 * size * s.nch).view("<f8").reshape(
                    len(group), size, s.nch)
                self._values(s, vals, len(s.first) + group)
            s.first.frombytes(first.tobytes())
            s.n.frombytes(n.astype(np.uint32).tobytes())  # a u32 field
            s.offset.frombytes((data + base).tobytes())

    @staticmethod
    def _values(s: _Stream, vals: np.ndarray, numbers: np.ndarray) -> None:
        """Blocks holding NaN/inf, and each channel's range over the finite rows (a column at
        a time: numpy reduces a ``(rows, 2)`` array along its rows ~30x slower)."""
        rows = vals.reshape(-1, s.nch)
        lo, hi = _column_min_max(rows)
        if not (np.isfinite(lo).all() and np.isfinite(hi).all()):  # NaN/inf somewhere
            row_ok = np.isfinite(vals).all(axis=2)
            s.nonfinite.update(numbers[~row_ok.all(axis=1)].tolist())
            rows = vals[row_ok]
            if not len(rows):
                return
            lo, hi = _column_min_max(rows)
        s.lo, s.hi = np.minimum(s.lo, lo), np.maximum(s.hi, hi)


def _column_min_max(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return (np.array([rows[:, i].min() for i in range(rows.shape[1])]),
            np.array([rows[:, i].max() for i in range(rows.shape[1])]))


def _why_stopped(raw: bytes, pos: int, base: int, at_eof: bool) -> str:
    """Why framing stopped at ``pos`` of ``raw``, in ``iter_records``' words; "" when the
    window ended first (the record continues in the next one) or nothing is left."""
    end = len(raw)
    if pos >= end:
        return ""
    if end - pos < _HEAD.size + 4:
        return f"incomplete record at byte {base + pos}" if at_eof else ""
    sync, kind, length = _HEAD.unpack_from(raw, pos)
    if sync != SYNC or kind not in _TYPES:
        return f"damaged record at byte {base + pos}"
    if length > MAX_PAYLOAD:
        return f"implausible record length {length} at byte {base + pos}"
    return f"incomplete record at byte {base + pos}" if at_eof else ""


def _need(raw: bytes) -> int:
    """Bytes of the record starting ``raw`` (at least its head)."""
    if len(raw) < _HEAD.size:
        return _HEAD.size
    return _HEAD.size + min(_HEAD.unpack_from(raw, 0)[2], MAX_PAYLOAD)
