"""The project CSV read in blocks of lines: bounded memory, random access by row, parsed once.

Opening makes one pass over the file in blocks of :data:`BLOCK_BYTES` cut at line ends and keeps
an index (byte offset, first row, rows) per block and the ``time_s`` facts the sample rate
needs. That pass converts no signal cell: the compiled scan
(:func:`~biofeedback.formats.csv_parse.scan_block`) checks that every row has the header's
number of cells, each a plain decimal the fast parser takes exactly, that lines are short and
end in ``\\n`` or ``\\r\\n``, and parses ``time_s`` alone, two blocks at a time on worker threads
(the compiled code releases the GIL). Reading rows parses the blocks that hold
them with :func:`~biofeedback.formats.csv_parse.parse_block` (``np.loadtxt``'s values, bit for
bit), once each in a sequential read (analyze, convert, replay): the last two blocks are kept
for the next reads, and the block after the one just read is parsed on a worker thread while
the caller works (the parser releases the GIL), so on two cores parsing overlaps the analysis.
The scan costs about a third less than a parse.

A file the scan cannot vouch for (other bytes or number forms, a time it cannot parse exactly,
time steps not all within half the tolerance of each other, where only the exact median step
can decide) gets the full validating pass instead: every block parsed at open as the whole-file
reader (:func:`~biofeedback.formats.csvfile.read_csv`) parses it (fast parser, else
``np.loadtxt``) and dropped, then parsed again when read. Any problem at open hands the file to
the whole-file reader, whose verdict (the message, or the data) is used as it is, so both
readers always agree.
"""

from __future__ import annotations

import io
import os
import warnings
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from types import ModuleType

import numpy as np

from biofeedback.formats.csvfile import (
    _TIME_TOLERANCE,
    TIME_COLUMN,
    csv_layout,
    parse_header,
    read_csv,
)
from biofeedback.formats.errors import FormatError, describe_os_error
from biofeedback.formats.limits import MAX_CSV_BYTES, MAX_LINE_CHARS, check_regular_file
from biofeedback.formats.reader import MemoryReader, SignalReader
from biofeedback.streams import SignalSet

BLOCK_BYTES = 2 << 20
_CACHED_BLOCKS = 2
_SCANS_IN_FLIGHT = 2  # blocks scanned at once at open (the compiled scan releases the GIL)
# line breaks that str.splitlines() honours besides "\n" and "\r\n" (as UTF-8 bytes; a lone
# "\r" is counted apart): left to the whole-file reader
_ODD_BREAKS = (b"\x0b", b"\x0c", b"\x1c", b"\x1d", b"\x1e", "\x85".encode(), "\u2028".encode(),
               "\u2029".encode())
_BOM = b"\xef\xbb\xbf"
_SPECIAL = np.zeros(256, dtype=bool)  # bytes that start any of them (and CR): look closer
_SPECIAL[[0x0B, 0x0C, 0x0D, 0x1C, 0x1D, 0x1E, 0xC2, 0xE2]] = True


def csv_parse() -> ModuleType:
    """The compiled parser, imported when a file gets that far (numba takes ~0.4 s to import;
    a file refused by its size or header never needs it)."""
    from biofeedback.formats import csv_parse

    return csv_parse


class _Fallback(Exception):
    """The whole-file reader decides (the file is broken or unusual)."""


class _NotPlain(Exception):
    """The scan cannot vouch for the file: validate it in full at open."""


def open_csv(path: Path | str, fs: float | None = None) -> SignalReader:
    """A chunked reader for a project CSV; problems are the whole-file reader's FormatErrors."""
    path = Path(path)
    try:
        return CsvReader(path, fs)
    except (_Fallback, FormatError):
        return MemoryReader(_with_side_car(read_csv(path, fs=fs), path), path)


def _with_side_car(signals: SignalSet, path: Path) -> SignalSet:
    from biofeedback.formats.signal_file import annotations_path, read_annotations_csv

    signals.annotations.extend(read_annotations_csv(annotations_path(path)))
    return signals


class CsvReader(SignalReader):
    """Rows of the CSV's streams on demand; see the module docstring."""

    def __init__(self, path: Path, fs: float | None = None) -> None:
        super().__init__()
        from biofeedback.formats.signal_file import annotations_path, read_annotations_csv

        self.path = path
        check_regular_file(path, MAX_CSV_BYTES)
        try:
            self._file = path.open("rb")
        except OSError as exc:
            raise FormatError(path, describe_os_error(exc, "it")) from None
        # the last two blocks parsed: a read across a block boundary, then the other stream's
        # read of the same rows (replay), parses neither again
        self._cache: dict[int, dict[str, np.ndarray]] = {}
        self._ahead: tuple[int, Future[tuple[bytes, dict[str, np.ndarray] | None]]] | None = None
        self._pool: ThreadPoolExecutor | None = None
        try:
            try:
                n_rows, file_fs, t0 = self._scan(full=False)
            except _NotPlain:
                n_rows, file_fs, t0 = self._scan(full=True)
            layout, t0 = csv_layout(path, self._header, self._channels, n_rows, file_fs, t0, fs)
        except BaseException:
            self.close()
            raise
        self.streams = tuple(s for s, _ in layout)
        self._cols = {s.name: cols for s, cols in layout}
        self._counts = {s.name: n_rows for s in self.streams}
        self.annotations = read_annotations_csv(annotations_path(path))
        self.start_time = None
        self.patient_code = ""
        self.metadata = {"source_file": str(path), "time_offset_s": t0, "format": "csv"}

    # -- the validating pass --------------------------------------------------------------------
    def _iter_pieces(self) -> Iterator[tuple[int, bytes | memoryview]]:
        """``(offset, bytes)`` blocks of the file, each cut just after a ``\\n``: a view of
        what was read, whose cut-off rest is read again with the next block (copies cost as
        much as scanning)."""
        f = self._file
        f.seek(0)
        carry, offset = b"", 0
        while True:
            block = f.read(BLOCK_BYTES)
            if not block:
                if carry:
                    yield offset, carry
                return
            data = carry + block if carry else block
            cut = data.rfind(b"\n") + 1
            if cut == 0:  # no line end yet: a long line
                carry = data
                continue
            carry = b""
            yield offset, (data if cut == len(data) else memoryview(data)[:cut])
            offset += cut
            if cut < len(data):
                f.seek(offset)

    def _scan(self, full: bool) -> tuple[int, float | None, float | None]:
        """The open-time pass: ``(rows, rate from time_s or None, first time or None)``.
        ``full``: parse and check every cell; else the scan (see the module docstring)."""
        self._index: list[tuple[int, int, int, int]] = []  # (byte offset, bytes, row, rows)
        header: list[str] | None = None
        n_rows = 0
        times: _TimeFacts | _TimeBand | None = None
        pending, pending_at = b"", 0
        inflight: deque[tuple[int, int, Future[np.ndarray | None]]] = deque()
        for offset, view in self._iter_pieces():
            piece = bytes(view) if full or header is None else view
            if offset == 0 and piece.startswith(_BOM):
                piece, offset = piece[len(_BOM):], len(_BOM)
            if full or header is None:  # the scan checks the body's bytes itself
                _check_piece(piece)
            body_at = 0
            if header is None:  # comments, then the header row
                if not pending:
                    pending_at = offset
                pending += piece
                found = self._header_in(pending)
                if found is None:
                    continue
                header, body_at = found
                self._time_col = header.index(TIME_COLUMN) if TIME_COLUMN in header else None
                if self._time_col is not None:
                    times = _TimeFacts() if full else _TimeBand()
                piece, offset = pending, pending_at
            body = piece[body_at:]
            if full:
                rows = self._parse(body)
                done: Future[np.ndarray | None] = Future()
                done.set_result(rows[:, self._time_col] if self._time_col is not None else rows)
                inflight.append((offset + body_at, len(body), done))
            else:  # blocks are scanned on the workers, two at a time, and taken in order
                inflight.append((offset + body_at, len(body), self._workers().submit(
                    csv_parse().scan_block, body, len(header), self._delim, self._time_col)))
            while len(inflight) > _SCANS_IN_FLIGHT:
                n_rows = self._take(inflight, times, n_rows)
        while inflight:
            n_rows = self._take(inflight, times, n_rows)
        if header is None or n_rows == 0:
            raise _Fallback
        self._firsts = np.array([b[2] for b in self._index])
        if times is None:
            return n_rows, None, None
        return n_rows, times.rate(n_rows), times.first

    def _take(self, inflight: deque[tuple[int, int, Future[np.ndarray | None]]],
              times: _TimeFacts | _TimeBand | None, n_rows: int) -> int:
        """Index the oldest block in flight; the rows so far. A block the scan cannot vouch
        for stops the pass (the blocks after it are dropped)."""
        offset, size, result = inflight.popleft()
        t = result.result()
        if t is None:
            for _, _, later in inflight:
                later.cancel()
            raise _NotPlain
        if len(t):
            self._index.append((offset, size, n_rows, len(t)))
            if times is not None:
                times.add(t)
        return n_rows + len(t)

    def _workers(self) -> ThreadPoolExecutor:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(_SCANS_IN_FLIGHT, thread_name_prefix="csv-read-ahead")
        return self._pool

    def _header_in(self, pending: bytes) -> tuple[list[str], int] | None:
        """The header row after any comments: ``(columns, byte offset of the body)``, or None
        when ``pending`` holds only comments so far."""
        lines = pending.decode("utf-8").split("\n")
        skip = 0
        while skip < len(lines) and (not lines[skip].strip()
                                     or lines[skip].lstrip().startswith("#")):
            skip += 1
        if skip == len(lines):
            if len(pending) > BLOCK_BYTES + MAX_LINE_CHARS:
                raise _Fallback  # pages of comments: not worth a second path
            return None
        header, self._delim, self._channels = parse_header(
            self.path, lines[skip].rstrip("\r"), skip)
        self._header = header
        return header, min(len(pending), len("\n".join(lines[:skip + 1]).encode()) + 1)

    def _parse(self, body: bytes) -> np.ndarray:
        """The rows of a block of whole lines, as the whole-file reader parses them."""
        data = csv_parse().parse_block(body, len(self._header), self._delim)
        if data is not None:
            return data
        text = body.decode("utf-8")
        if not text.strip():
            return np.zeros((0, len(self._header)))
        if "\r" in text:
            text = text.replace("\r\n", "\n")
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                data = np.loadtxt(io.StringIO(text), delimiter=self._delim, ndmin=2,
                                  dtype=float, comments=None)
        except (ValueError, UserWarning):
            raise _Fallback from None
        except MemoryError:
            raise FormatError(self.path, "not enough memory to read it") from None
        if data.shape[1] != len(self._header) or not np.isfinite(data).all():
            raise _Fallback
        return data

    # -- samples --------------------------------------------------------------------------------
    def _read(self, stream: str, start: int, stop: int) -> np.ndarray:
        a = int(np.searchsorted(self._firsts, start, side="right")) - 1
        b = int(np.searchsorted(self._firsts, stop, side="left"))
        parts = []
        for r in range(max(a, 0), b):
            _, _, first, n = self._index[r]
            parts.append(self._block(r)[stream][max(start - first, 0):min(stop - first, n)])
        return np.concatenate(parts) if len(parts) > 1 else parts[0].copy()

    def _block(self, r: int) -> dict[str, np.ndarray]:
        """Block ``r``'s rows by stream: from the cache, from the read-ahead, or parsed now;
        then the next block is parsed on a worker thread (the parser releases the GIL) while
        the caller works on this one: a sequential read overlaps parsing with its own work."""
        if r in self._cache:
            return self._cache[r]
        ahead, self._ahead = self._ahead, None
        try:
            body, streams = ahead[1].result() if ahead and ahead[0] == r else self._load(r)
        except OSError as exc:
            raise FormatError(self.path, describe_os_error(exc, "it")) from None
        if streams is None:  # off the fast path: np.loadtxt decides
            try:
                data = self._parse(body)
            except (_Fallback, UnicodeDecodeError):
                raise FormatError(self.path, "changed while it was being read") from None
            if len(data) != self._index[r][3]:
                raise FormatError(self.path, "changed while it was being read")
            streams = self._by_stream(data)
        if len(self._cache) >= _CACHED_BLOCKS:
            del self._cache[max(self._cache, key=lambda k: abs(k - r))]  # the farthest one
        self._cache[r] = streams
        if r + 1 < len(self._index) and r + 1 not in self._cache:
            self._ahead = (r + 1, self._workers().submit(self._load, r + 1))
        return streams

    def _load(self, r: int) -> tuple[bytes, dict[str, np.ndarray] | None]:
        """Block ``r``'s bytes and its rows by stream if on the fast path with the indexed
        number of rows (else None); thread-safe (``os.pread``: no shared file position)."""
        offset, size, _, n = self._index[r]
        body = os.pread(self._file.fileno(), size, offset)
        data = csv_parse().parse_block(body, len(self._header), self._delim, n)
        return body, None if data is None else self._by_stream(data)

    def _by_stream(self, data: np.ndarray) -> dict[str, np.ndarray]:
        """Each stream's columns of a block, C-contiguous: gathered once per block (on the
        read-ahead worker), so that a read is a contiguous slice. ``take`` along the columns:
        ``data[:, cols]`` builds a Fortran-ordered array whose copy to C order costs ~15x
        more."""
        return {name: np.take(data, cols, axis=1) for name, cols in self._cols.items()}

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)  # then the file may close
        self._ahead = None
        self._file.close()
        self._cache.clear()


def _check_piece(piece: bytes) -> None:
    """What the whole-file reader would judge differently: long lines, bad UTF-8, line breaks
    other than ``\\n`` and ``\\r\\n``."""
    raw = np.frombuffer(piece, dtype=np.uint8)
    ends = np.flatnonzero(raw == 10)
    if int(np.diff(np.concatenate([[-1], ends, [len(raw)]])).max()) - 1 > MAX_LINE_CHARS:
        raise _Fallback
    try:
        piece.decode("utf-8")
    except UnicodeDecodeError:
        raise _Fallback from None
    if _SPECIAL[raw].any() and (any(c in piece for c in _ODD_BREAKS)
                                or piece.count(b"\r") != piece.count(b"\r\n")):
        raise _Fallback


class _TimeFacts:
    """What the rate needs from ``time_s``, gathered block by block: first and last time, the
    steps counted by value (for the exact median) and the extreme steps."""

    def __init__(self) -> None:
        self.first: float | None = None
        self.last: float | None = None
        self.steps: list[tuple[np.ndarray, np.ndarray]] = []
        self.lo, self.hi = np.inf, -np.inf

    def add(self, t: np.ndarray) -> None:
        dt = np.diff(t if self.last is None else np.concatenate([[self.last], t]))
        if len(dt):
            if (dt <= 0).any():
                raise _Fallback  # not increasing: the whole-file reader names the line
            self.steps.append(np.unique(dt, return_counts=True))
            self.lo, self.hi = min(self.lo, dt.min()), max(self.hi, dt.max())
            if len(self.steps) > 64:
                self.steps = [_merge(self.steps)]
        self.first = float(t[0]) if self.first is None else self.first
        self.last = float(t[-1])

    def rate(self, n_rows: int) -> float:
        """``_rate_from_time``'s result, or _Fallback where it would raise."""
        if n_rows < 2 or not self.steps or self.first is None or self.last is None:
            raise _Fallback
        span = self.last - self.first
        if not (np.isfinite(span) and span > 0):
            raise _Fallback
        step = _median(*_merge(self.steps))
        if max(abs(self.lo - step), abs(self.hi - step)) > _TIME_TOLERANCE * step + 1e-9:
            raise _Fallback  # irregular: the whole-file reader names the line
        return float((n_rows - 1) / span)


class _TimeBand:
    """The scan's ``time_s`` facts: first and last time and the extreme steps. When all steps
    lie within half the tolerance of the smallest, the file is regular whatever its median
    step, and the rate is ``_rate_from_time``'s without one; else the full pass decides."""

    def __init__(self) -> None:
        self.first: float | None = None
        self.last: float | None = None
        self.lo, self.hi = np.inf, -np.inf

    def add(self, t: np.ndarray) -> None:
        dt = np.diff(t if self.last is None else np.concatenate([[self.last], t]))
        if len(dt):
            if not (dt > 0).all():
                raise _NotPlain  # not increasing: the full pass hands it on
            self.lo, self.hi = min(self.lo, float(dt.min())), max(self.hi, float(dt.max()))
        self.first = float(t[0]) if self.first is None else self.first
        self.last = float(t[-1])

    def rate(self, n_rows: int) -> float:
        if n_rows < 2 or self.first is None or self.last is None:
            raise _NotPlain
        span = self.last - self.first
        if not (np.isfinite(span) and span > 0) or \
                self.hi - self.lo > 0.5 * _TIME_TOLERANCE * self.lo:
            raise _NotPlain
        return float((n_rows - 1) / span)


def _merge(steps: list[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    values = np.concatenate([v for v, _ in steps])
    counts = np.concatenate([c for _, c in steps])
    uniq, inverse = np.unique(values, return_inverse=True)
    return uniq, np.bincount(inverse, weights=counts).astype(np.int64)


def _median(values: np.ndarray, counts: np.ndarray) -> float:
    """``np.median`` of the multiset ``values`` x ``counts`` (sorted values), exactly."""
    total = int(counts.sum())
    cum = np.cumsum(counts)
    k = total // 2
    upper = float(values[int(np.searchsorted(cum, k, side="right"))])
    if total % 2:
        return upper
    lower = float(values[int(np.searchsorted(cum, k - 1, side="right"))])
    return float(np.mean(np.array([lower, upper])))
