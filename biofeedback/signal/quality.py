"""Per-second signal-quality flags for EMG channels.

Each "second" is ``L = round(fs)`` samples aligned to absolute sample indices (multiples of
``L``), so live and offline agree. Checks per channel (thresholds in :class:`QualityConfig`):

* ``DROPOUT``: missing samples (NaN in the input, or the second was cut by a gap).
* ``FLAT``: band-passed RMS below ``flat_rms_uv`` or a constant input: lead off / flat line.
* ``CLIPPED``: at least ``clip_fraction`` of samples sit in runs (≥ 3) at the second's extreme
  value (a flat top), or beyond 99.9 % of ``physical_range`` when the range is known.
* ``MOTION``: the low-frequency part of the raw input (means over 50 ms chunks) swings more
  than ``motion_ratio`` × the band-passed RMS, or a few isolated samples exceed ``spike_crest`` ×
  the robust scale of the second *and* of the local envelope (a spike).
* ``HUM``: power at 50 or 60 Hz exceeds the neighbouring band by more than ``hum_db`` dB
  (clinical.md §1: suggest the notch then). Measured before the notch.

A second with FLAT, CLIPPED, MOTION or DROPOUT is "bad" (:data:`EXCLUDE`): metrics skip it.
HUM alone is a warning: amplitude is overestimated, but the timing of effort stays usable.
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Callable, Generator
from dataclasses import dataclass

import numpy as np

from biofeedback.signal.config import QualityConfig
from biofeedback.signal.kernels import extreme_counts, second_extremes, second_sums
from biofeedback.signal.quality_kernels import (
    chunk_mean_extremes,
    hum_power,
    hum_select,
    second_flags,
)


class QualityFlag(enum.IntFlag):
    OK = 0
    DROPOUT = 1
    FLAT = 2
    CLIPPED = 4
    MOTION = 8
    HUM = 16


EXCLUDE = QualityFlag.DROPOUT | QualityFlag.FLAT | QualityFlag.CLIPPED | QualityFlag.MOTION

@functools.lru_cache(maxsize=64)
def describe(flags: QualityFlag) -> str:
    """The flags as stable machine names, the worst problem first (``"flat,hum"``; ``"ok"``).
    The words for people live in the app layer (``biofeedback.app.wording.quality_text``)."""
    if flags == QualityFlag.OK:
        return "ok"
    order = [QualityFlag.FLAT, QualityFlag.DROPOUT, QualityFlag.CLIPPED, QualityFlag.MOTION,
             QualityFlag.HUM]
    return ",".join(f.name.lower() for f in order if f in flags)  # type: ignore[union-attr]


@dataclass(frozen=True)
class QualitySecond:
    """Quality of one second of EMG, per channel."""

    second: int  # absolute index of the second (start_index // L)
    start_index: int
    n_samples: int
    flags: tuple[QualityFlag, ...]
    rms_uv: tuple[float, ...]
    hum_db: tuple[float, ...]
    hum_hz: float | None

    @property
    def flag(self) -> QualityFlag:
        out = 0
        for f in self.flags:
            out |= int(f)  # plain ints: enum arithmetic is slow, and this runs per second
        return _FLAGS[out]

    @property
    def usable(self) -> bool:
        """False when channel 0 (the pelvic floor) has a problem that metrics must exclude."""
        return not (self.flags[0] & EXCLUDE)


_WINDOWS: dict[int, np.ndarray] = {}
_NO_ROWS = np.zeros((0, 1))  # no periodograms wanted


def _hann(n: int) -> np.ndarray:
    w = _WINDOWS.get(n)
    if w is None:
        w = _WINDOWS[n] = np.hanning(n)
    return w


_HUM_BINS: dict[tuple[int, float], list[tuple[float, np.ndarray, np.ndarray]]] = {}


def _hum_bins(h: int, fs: float) -> list[tuple[float, np.ndarray, np.ndarray]]:
    """Per mains frequency that fits: the bins of its peak and of its neighbourhood (4-16 Hz
    away) in an ``h``-point spectrum; computed once per (h, fs)."""
    key = (h, fs)
    bins = _HUM_BINS.get(key)
    if bins is None:
        bins = []
        freqs = np.fft.rfftfreq(h, 1.0 / fs)
        df = freqs[1]
        for mains in (50.0, 60.0):
            if 2 * mains + 12 >= fs / 2:
                continue
            dist = np.abs(freqs - mains)
            peak_bins = dist <= max(1.0, 0.51 * df)
            near = (dist <= max(16.0, 8 * df)) & (dist > max(4.0, 2 * df))
            if not peak_bins.any() or near.sum() < 3:
                continue
            bins.append((mains, np.flatnonzero(peak_bins), np.flatnonzero(near)))
        bins = _HUM_BINS[key] = bins
    return bins


_HUM_TABLES: dict[tuple[int, float], tuple[np.ndarray, np.ndarray, np.ndarray]] = {}


def _hum_tables(h: int, fs: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`_hum_bins` as :func:`~biofeedback.signal.quality_kernels.hum_power` takes
    them: the mains frequencies ``(J,)`` and the peak and neighbour bins ``(J, ·)``, each
    row padded with -1."""
    key = (h, fs)
    tables = _HUM_TABLES.get(key)
    if tables is None:
        bins = _hum_bins(h, fs)
        mains = np.array([b[0] for b in bins])
        pad = [np.full((len(bins), max((len(b[i]) for b in bins), default=0)), -1, np.int64)
               for i in (1, 2)]
        for j, b in enumerate(bins):
            pad[0][j, :len(b[1])] = b[1]
            pad[1][j, :len(b[2])] = b[2]
        tables = _HUM_TABLES[key] = (mains, pad[0], pad[1])
    return tables


def assess(raw: np.ndarray, bp: np.ndarray, env: np.ndarray, nan_count: np.ndarray, fs: float,
           cfg: QualityConfig, periodograms: np.ndarray | None = None
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Flags for ``S`` whole seconds at once: arrays are ``(S, L, C)``; ``nan_count`` ``(S, C)``.

    Returns flags ``(S, C)`` int, band-passed RMS ``(S, C)``, hum dB ``(S, C)`` and hum Hz
    ``(S,)`` (nan when neither mains frequency fits below Nyquist). Works on a ``(S, C, L)``
    copy (reductions along contiguous memory); cheap tests run first, the costly ones only on
    the seconds they could flag. ``periodograms`` (an array ``(2·S, F)``) receives the Hann
    periodograms of the two half-seconds of channel 0: the same numbers the Welch metrics
    need (:class:`biofeedback.signal.metrics.SegmentSpectra`), computed once.
    """
    stages = _assess_staged(raw, bp, env, nan_count, fs, cfg, periodograms)
    while True:
        try:
            next(stages)
        except StopIteration as done:
            return done.value


def _scratch(store: dict | None, key: str, shape: tuple[int, ...], dtype: type) -> np.ndarray:
    """A work array of ``shape`` kept in ``store`` between calls (None: a new one). Fresh
    arrays of a megabyte per 60-s block cost more than the arithmetic done in them."""
    if store is None:
        return np.empty(shape, dtype)
    a = store.get(key)
    if a is None or a.shape != shape:
        a = store[key] = np.empty(shape, dtype)
    return a


#: seconds per call from which numpy's reductions beat the compiled per-second loops (their
#: call overhead is what a live second, one at a time, cannot afford; their SIMD is what a
#: minute of seconds at once gains from). Both give the same numbers.
_NUMPY_FROM_SECONDS = 8


def _second_stats(raw: np.ndarray, bp: np.ndarray, lo: float, hi: float, m: int,
                  scratch: dict | None) -> tuple[np.ndarray, np.ndarray]:
    """The time-domain statistics of seconds ``(S, C, L)``: ``ext`` ``(7, S, C)`` as
    :func:`~biofeedback.signal.kernels.second_extremes` and ``sums`` ``(3, S, C)`` as
    :func:`~biofeedback.signal.kernels.second_sums` (sum of squares of ``bp``, largest and
    smallest mean of ``raw`` over chunks of ``m``), in numpy's order of additions."""
    s_n, c_n, n = raw.shape
    ext = np.empty((7, s_n, c_n))
    sums = np.empty((3, s_n, c_n))
    if s_n < _NUMPY_FROM_SECONDS:
        second_extremes(raw, bp, lo, hi, ext)
        second_sums(raw, bp, m, sums)
        return ext, sums
    np.max(raw, axis=2, out=ext[0])
    np.min(raw, axis=2, out=ext[1])
    np.max(bp, axis=2, out=ext[4])
    np.min(bp, axis=2, out=ext[5])
    extreme_counts(raw, ext, lo, hi)
    sq = _scratch(scratch, "squares", bp.shape, np.float64)
    np.multiply(bp, bp, out=sq)
    np.add.reduce(sq, axis=2, out=sums[0])
    k = n // m
    if k >= 2 and m <= 128:
        chunk_mean_extremes(raw, m, sums[1], sums[2])
    elif k >= 2:
        means = np.add.reduce(raw[:, :, :k * m].reshape(s_n, c_n, k, m), axis=3) / m
        np.max(means, axis=2, out=sums[1])
        np.min(means, axis=2, out=sums[2])
    else:
        sums[1:] = np.nan
    return ext, sums


def clip_limits(cfg: QualityConfig) -> tuple[float, float]:
    """The values at or beyond which a sample counts as clipped by the amplifier: 99.9 % of
    the known physical range (none known: never)."""
    if cfg.physical_range is None:
        return -np.inf, np.inf
    lo, hi = cfg.physical_range
    margin = 0.001 * (hi - lo)
    return lo + margin, hi - margin


def _assess_staged(raw: np.ndarray, bp: np.ndarray, env: np.ndarray, nan_count: np.ndarray,
                   fs: float, cfg: QualityConfig, periodograms: np.ndarray | None = None,
                   scratch: dict | None = None) -> Generator[None, None, tuple[np.ndarray, ...]]:
    """:func:`assess` in three stages (a generator: ``next`` runs one; the result is the
    ``StopIteration`` value), so a live stream can spread one second's work over blocks.
    ``scratch``: the caller's store of work arrays (:func:`_scratch`); the ones used here
    are only used inside one stage, so interleaved generators may share it."""
    s_n, n, c_n = bp.shape
    raw = np.ascontiguousarray(raw.transpose(0, 2, 1))
    bp = np.ascontiguousarray(bp.transpose(0, 2, 1))
    flags = np.empty((s_n, c_n), dtype=np.int64)
    m = max(1, int(round(0.05 * fs)))  # the movement check's 50 ms chunks (below)
    lo, hi = clip_limits(cfg)
    ext, sums = _second_stats(raw, bp, lo, hi, m, scratch)
    rms = np.empty((s_n, c_n))
    params = np.array([cfg.flat_rms_uv, max(3, int(np.ceil(cfg.clip_fraction * n))),
                       cfg.spike_crest, cfg.motion_ratio, max(1, int(0.002 * n))], dtype=float)
    # FLAT: low RMS or constant; CLIPPED: flat tops at the extremes (or beyond the range);
    # MOTION: the 50 ms chunk means (first null at 20 Hz: EMG averages out, a movement
    # transient of a few Hz passes) swing, or a few spikes above the RMS and the envelope
    second_flags(raw, bp, env, nan_count, ext, sums, params, n // m >= 2,
                 cfg.physical_range is not None, flags, rms)
    yield  # stage boundary: the time-domain checks are done
    hum_db = np.full((s_n, c_n), np.nan)
    hum_hz = np.full(s_n, np.nan)
    if n >= 0.5 * fs:
        # Welch inside the second: two half-second Hann segments averaged (2 Hz bins); the
        # mains bin against the mean of the neighbouring bins (4-16 Hz away). Averaging keeps
        # a noise-only bin from passing for a mains peak.
        h = n // 2
        shape = (s_n, c_n, 2, h)
        win = _scratch(scratch, "win", shape, np.float64)
        np.multiply(bp[:, :, : 2 * h].reshape(shape), _hann(h), out=win)
        f = np.fft.rfft(win, axis=3, out=_scratch(scratch, "fft", (*shape[:3], h // 2 + 1),
                                                  np.complex128))
        mains, peak_bins, near_bins = _hum_tables(h, fs)
        ratio = np.empty((len(mains), s_n, c_n))
        hum_power(f, periodograms if periodograms is not None else _NO_ROWS, peak_bins,
                  near_bins, ratio)
        yield  # stage boundary: the spectra are done
        if len(mains):
            hum_select(10.0 * np.log10(ratio), mains, cfg.hum_db, flags, hum_db, hum_hz)
    return flags, rms, hum_db, hum_hz


class QualityMonitor:
    """Buffers EMG until whole seconds are complete and assesses them.

    The partial second lives in preallocated arrays (no per-block lists or concatenation);
    whole seconds inside a large block are assessed straight from the block.

    A second completed in the buffer (the live case: 20 ms blocks) is not assessed in the
    block that completes it: its three stages (time-domain checks, spectra, hum) run at the
    start of the next three :meth:`feed` calls, so no block carries a whole second's quality
    work and the one that completes it is left to the baseline update. Its
    :class:`QualitySecond` is returned by the third of those calls (60 ms later in a live
    stream), always in order: pending work is finished before any later second is
    returned, and by :meth:`flush_partial`. The numbers are those of :func:`assess`.
    """

    def __init__(self, fs: float, n_channels: int, config: QualityConfig) -> None:
        self.fs = fs
        self.n_channels = n_channels
        self.config = config
        self.length = L = max(1, int(round(fs)))
        # two sets of buffers: one fills while a completed second is assessed from the other
        self._sets = [tuple(np.zeros((L, n_channels)) for _ in range(3)) for _ in range(2)]
        self._raw, self._bp, self._env = self._sets[0]
        self._nan = np.zeros(n_channels, dtype=np.int64)
        self._pending: Generator[None, None, list[QualitySecond]] | None = None
        self._scratch: dict = {}  # work arrays reused from block to block
        self._buf_n = 0
        self._buf_start = 0
        # see collect_periodograms / periodogram_sink
        self.periodograms: np.ndarray | None = None
        #: called with (first row, rows) for the half-second periodograms of channel 0 of
        #: every whole second assessed (row = start_index // (L // 2)); needs an even ``L``
        self.periodogram_sink: Callable[[int, np.ndarray], None] | None = None

    def collect_periodograms(self, n_samples: int) -> np.ndarray:
        """From now on, write the half-second periodograms of channel 0 of every whole
        second assessed into the returned array, row ``start_index // (L // 2)``; rows of
        seconds never assessed whole are nan once :meth:`finish_periodograms` has run (the
        table is not filled up front: that would be a pass over it). Needs an even ``L``."""
        h = self.length // 2
        self.periodograms = np.empty((n_samples // h, h // 2 + 1))
        self._pg_written = np.zeros(len(self.periodograms), dtype=bool)
        return self.periodograms

    def finish_periodograms(self) -> None:
        """Set the rows of the collected table that no whole second wrote to nan."""
        if self.periodograms is not None:
            self.periodograms[~self._pg_written] = np.nan

    def reset(self) -> None:
        self._buf_n = 0
        self._nan[:] = 0
        self._pending = None

    def _advance(self, finish: bool) -> list[QualitySecond]:
        """Run the pending second's next stage (all of them with ``finish``); its result once
        the last one has run."""
        while self._pending is not None:
            try:
                next(self._pending)
            except StopIteration as done:
                self._pending = None
                return done.value
            if not finish:
                break
        return []

    def _append(self, raw: np.ndarray, bp: np.ndarray, env: np.ndarray,
                nan_mask: np.ndarray) -> None:
        i, k = self._buf_n, len(raw)
        self._raw[i:i + k] = raw
        self._bp[i:i + k] = bp
        self._env[i:i + k] = env
        if nan_mask is not None:
            self._nan += nan_mask.sum(axis=0)
        self._buf_n += k

    def feed(self, first_index: int, raw: np.ndarray, bp: np.ndarray, env: np.ndarray,
             nan_mask: np.ndarray | None) -> list[QualitySecond]:
        """Add consecutive samples (``nan_mask`` None = no NaN); return the seconds completed
        by them."""
        L = self.length
        out = self._advance(finish=False) if self._pending is not None else []
        n = len(raw)
        pos = 0
        if self._buf_n == 0:
            self._buf_start = first_index
        if self._buf_n or first_index % L:
            take = min(n, L - (self._buf_start + self._buf_n) % L)
            self._append(raw[:take], bp[:take], env[:take],
                         None if nan_mask is None else nan_mask[:take])
            pos = take
            if (self._buf_start + self._buf_n) % L == 0:
                out += self._advance(finish=True)  # (only if a second is still pending)
                if self._buf_n == L:
                    self._stage()
                else:
                    out += self._flush(complete=False)
        full = (n - pos) // L
        if full:
            out += self._advance(finish=True)
            sl = slice(pos, pos + full * L)
            shape = (full, L, self.n_channels)
            nans = (np.zeros((full, self.n_channels)) if nan_mask is None
                    else nan_mask[sl].reshape(shape).sum(axis=1))
            out += self._emit(first_index + pos, raw[sl].reshape(shape), bp[sl].reshape(shape),
                              env[sl].reshape(shape), nans)
            pos += full * L
        if pos < n:
            if self._buf_n == 0:
                self._buf_start = first_index + pos
            self._append(raw[pos:], bp[pos:], env[pos:],
                         None if nan_mask is None else nan_mask[pos:])
        return out

    def _stage(self) -> None:
        """Queue the complete buffered second for assessment and switch buffers."""
        self._pending = self._emit_steps(self._buf_start, self._raw[None], self._bp[None],
                                         self._env[None], self._nan[None].copy())
        other = self._sets[1] if self._raw is self._sets[0][0] else self._sets[0]
        self._raw, self._bp, self._env = other
        self._buf_n = 0
        self._nan[:] = 0

    def flush_partial(self) -> list[QualitySecond]:
        """Assess what is buffered as a cut second (before a gap or at the end of data)."""
        out = self._advance(finish=True)
        return out + self._flush(complete=False) if self._buf_n else out

    def _flush(self, complete: bool) -> list[QualitySecond]:
        k = self._buf_n
        res = self._emit(self._buf_start, self._raw[None, :k], self._bp[None, :k],
                         self._env[None, :k], self._nan[None].copy())
        self._buf_n = 0
        self._nan[:] = 0
        if not complete:
            q = res[0]
            res = [QualitySecond(q.second, q.start_index, q.n_samples,
                                 tuple(f | QualityFlag.DROPOUT for f in q.flags), q.rms_uv,
                                 q.hum_db, q.hum_hz)]
        return res

    def _emit(self, start: int, raw: np.ndarray, bp: np.ndarray, env: np.ndarray,
              nans: np.ndarray) -> list[QualitySecond]:
        steps = self._emit_steps(start, raw, bp, env, nans)
        while True:
            try:
                next(steps)
            except StopIteration as done:
                return done.value

    def _emit_steps(self, start: int, raw: np.ndarray, bp: np.ndarray, env: np.ndarray,
                    nans: np.ndarray) -> Generator[None, None, list[QualitySecond]]:
        L = self.length
        rows = None
        r0 = start // (L // 2)
        sink = self.periodogram_sink if raw.shape[1] == L else None
        if sink is not None:
            rows = np.empty((2 * raw.shape[0], L // 4 + 1))
        elif (self.periodograms is not None and raw.shape[1] == L
              and r0 + 2 * raw.shape[0] <= len(self.periodograms)):
            rows = self.periodograms[r0:r0 + 2 * raw.shape[0]]
        stages = _assess_staged(raw, bp, env, nans, self.fs, self.config, rows, self._scratch)
        while True:
            try:
                next(stages)
            except StopIteration as done:
                flags, rms, hum_db, hum_hz = done.value
                break
            yield
        if sink is not None:
            sink(r0, rows)
        elif rows is not None:
            self._pg_written[r0:r0 + len(rows)] = True
        return _seconds(start, L, raw.shape[1], flags, rms, hum_db, hum_hz)


_new = object.__new__
_set = object.__setattr__


def _seconds(start: int, L: int, n: int, flags: np.ndarray, rms: np.ndarray,
             hum_db: np.ndarray, hum_hz: np.ndarray) -> list[QualitySecond]:
    """The :class:`QualitySecond` of each row (second ``s`` starts at ``start + s·L``).

    Built without the frozen dataclass's ``__init__`` (one ``object.__setattr__`` per field,
    most of the cost of an hour's 3600 seconds): each object gets at once the field dict
    that ``__init__`` would have left, so it is the same value (equality, hash, repr,
    pickling). The per-channel tuples come from zipping the columns."""
    as_flag = _FLAGS.__getitem__
    cols = zip(*(map(as_flag, col) for col in flags.T.tolist()), strict=True)
    out = []
    for i0, f, r, h, hz in zip(range(start, start + len(flags) * L, L), cols,
                               zip(*rms.T.tolist(), strict=True),
                               zip(*hum_db.T.tolist(), strict=True),
                               hum_hz.tolist(), strict=True):
        q = _new(QualitySecond)
        _set(q, "__dict__", {"second": i0 // L, "start_index": i0, "n_samples": n, "flags": f,
                             "rms_uv": r, "hum_db": h,
                             "hum_hz": None if hz != hz else hz})  # nan: no mains fits
        out.append(q)
    return out


_FLAGS = {int(v): QualityFlag(v) for v in range(32)}  # every combination of the five flags
