"""Compiled helpers of the baseline's per-second statistics (medians of small tables).

``np.median(values, axis=0)`` on a table of a few dozen to a few thousand rows costs tens of
microseconds of numpy dispatch per call, and the automatic baseline takes several per second
of signal (docs/signal.md, "Baseline"). These kernels give the identical values: numba's
``np.median`` selects the middle element(s) as numpy's partition does and averages an even
count's two as ``(a + b) / 2``, numpy's ``mean`` of two; a column holding a NaN (or no
values) gives NaN, as numpy does.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from biofeedback.signal.kernels import first_run, onset_scan


@njit(cache=True)
def _median_of(v: np.ndarray) -> float:
    """``np.median(v)`` of a 1-D ``v`` (numba's copies it); NaN if empty or holding a NaN."""
    for i in range(v.shape[0]):
        if np.isnan(v[i]):
            return np.nan
    return np.median(v)  # (nan when empty)


@njit(cache=True)
def column_medians(values: np.ndarray, out: np.ndarray) -> None:
    """``out[j] = np.median(values[:, j])`` for each column of the 2-D ``values``."""
    for j in range(values.shape[1]):
        out[j] = _median_of(values[:, j])


@njit(cache=True)
def _median_mad(col: np.ndarray, dev: np.ndarray, scale: float) -> tuple[float, float]:
    """Median of ``col`` and ``scale`` × the median of the absolute deviations from it
    (``dev``: scratch of at least ``len(col)``)."""
    n = col.shape[0]
    med = _median_of(col)
    for i in range(n):
        dev[i] = abs(col[i] - med)
    return med, scale * _median_of(dev[:n])


@njit(cache=True)
def column_robust_stats(values: np.ndarray, scale: float, med: np.ndarray,
                        spread: np.ndarray) -> None:
    """Per column of ``values``: the median and ``scale`` × the median absolute deviation
    (``robust_stats`` of the baseline)."""
    dev = np.empty(values.shape[0])
    for j in range(values.shape[1]):
        med[j], spread[j] = _median_mad(values[:, j], dev, scale)


@njit(cache=True)
def pooled_robust_stats(values: np.ndarray, row_second: np.ndarray, keep: np.ndarray,
                        scale: float, med: np.ndarray, spread: np.ndarray) -> int:
    """The automatic baseline's pooled statistics, without gathering the rows in numpy.

    ``values`` ``(rows, 2·c)``: detection then display envelope per channel; ``row_second``:
    the second of each row; ``keep`` ``(seconds, c)``: the seconds each channel pools. For
    each channel ``ch`` and each of its two columns ``ch``/``c + ch``, the median and
    ``scale`` × MAD of the pooled rows go to ``med``/``spread`` at the column's index.
    Returns the number of rows channel 0 pools.
    """
    n = values.shape[0]
    c = keep.shape[1]
    col = np.empty(n)
    dev = np.empty(n)
    n_pfm = 0
    for ch in range(c):
        for j in (ch, c + ch):
            k = 0
            for i in range(n):
                if keep[row_second[i], ch]:
                    col[k] = values[i, j]
                    k += 1
            med[j], spread[j] = _median_mad(col[:k], dev, scale)
            if ch == 0:
                n_pfm = k
    return n_pfm



# -- the hysteresis detector's scan (HysteresisDetector.process) ----------------------------
# state (int64): active, run, armed, re-arm run, floor, next id; the open event (id, onset,
# peak index, release, recovery: -1 for None); an awaited recovery (flag, release, id); the
# start of the "active" stretch in the block (-1: none); the position to resume at
S_ACTIVE, S_RUN, S_ARMED, S_REARM, S_FLOOR, S_NEXT_ID = 0, 1, 2, 3, 4, 5
S_EV_ID, S_EV_ONSET, S_EV_PEAK_I, S_EV_RELEASE, S_EV_RECOVERY = 6, 7, 8, 9, 10
S_AWAITING, S_AW_RELEASE, S_AW_ID, S_ON_FROM = 11, 12, 13, 14
N_STATE = 15
# a record per event emitted, in order (int64 columns; float columns: peak, the level a
# window before the offset run, the OFF line at the offset)
R_START, R_FINISH, R_RECOVERY = 1, 2, 3
N_REC_I, N_REC_F = 8, 3


@njit(cache=True)
def _at(env: np.ndarray, first_index: int, hist: np.ndarray, i: int) -> float:
    """Envelope at absolute ``i`` from the history (ending at ``first_index``) or the block."""
    return env[i - first_index] if i >= first_index else hist[i - first_index + len(hist)]


@njit(cache=True)
def _record(rec_i: np.ndarray, rec_f: np.ndarray, k: int, kind: int, st: np.ndarray,
            peak: float) -> None:
    rec_i[k, 0] = kind
    for j in range(5):
        rec_i[k, 1 + j] = st[S_EV_ID + j]
    rec_f[k, 0] = peak


@njit(cache=True)
def _start(env: np.ndarray, first_index: int, hist: np.ndarray, confirm: int, run_start: int,
           lines: np.ndarray, lookback: int, onset_lead: int, release_fraction: float,
           st: np.ndarray) -> float:
    """A confirmed onset (``_start_event``): opens the event in ``st``, returns its peak."""
    h0 = first_index - len(hist)
    s0 = max(max(run_start - lookback, st[S_FLOOR] + 1), h0)
    r0 = max(s0, run_start)
    before = np.empty(r0 - s0)
    for i in range(s0, r0):
        before[i - s0] = _at(env, first_index, hist, i)
    run = np.empty(confirm + 1 - r0)
    for i in range(r0, confirm + 1):
        run[i - r0] = _at(env, first_index, hist, i)
    quiet, p, last = onset_scan(before, lines[3], lines[2], run, lines[0], release_fraction)
    base0 = run_start - len(before)
    onset = run_start if quiet < 0 else base0 + quiet + 1
    onset = max(onset - onset_lead, st[S_FLOOR] + 1, base0)
    st[S_EV_ID] = st[S_NEXT_ID]
    st[S_NEXT_ID] += 1
    st[S_EV_ONSET] = onset
    st[S_EV_PEAK_I] = r0 + p
    st[S_EV_RELEASE] = r0 + last
    st[S_EV_RECOVERY] = -1
    return run[p]


@njit(cache=True)
def _recovery(x: np.ndarray, a: int, line: float, st: np.ndarray) -> int:
    """The awaited recovery in ``x`` (at ``a``): its index (the wait ends), else -1."""
    rel = st[S_AW_RELEASE]
    for i in range(max(0, (rel if rel >= 0 else 0) + 1 - a), len(x)):
        if x[i] <= line:
            st[S_AWAITING] = 0
            return a + i
    return -1


@njit(cache=True)
def _off_scan(x: np.ndarray, a: int, base_lo: float, mean: float, frac: float, peak: float,
              peak_i: int, run: int, length: int) -> tuple[int, int, float, int]:
    """An open contraction: ``first_run_below_off_line`` (the OFF line follows the peak of
    the samples before each one) and, in the same pass, the new peak and its index (the
    first largest sample, if above ``peak``) up to and including the hit, as ``track_scan``
    finds them. The OFF line is worked out again only when the peak moves."""
    lo = base_lo
    if frac > 0.0:
        lo = max(base_lo, mean + frac * (peak - mean))
    for i in range(x.shape[0]):
        v = x[i]
        if v < lo:
            run += 1
            if run >= length:
                if v > peak:
                    peak, peak_i = v, a + i
                return i, run, peak, peak_i
        else:
            run = 0
        if v > peak:
            peak, peak_i = v, a + i
            if frac > 0.0:
                lo = max(base_lo, mean + frac * (peak - mean))
    return -1, run, peak, peak_i


@njit(cache=True)
def _release_scan(x: np.ndarray, a: int, peak: float, mean: float, frac: float,
                  recovery_line: float, release: int, recovery: int) -> tuple[int, int]:
    """The rest of ``track_scan`` once the peak is known: the release point (last sample at
    or above ``mean + frac·(peak − mean)``; a new one forgets the recovery) and the recovery
    (first later sample at or below ``recovery_line``)."""
    level = mean + frac * (peak - mean)
    for i in range(x.shape[0] - 1, -1, -1):
        if x[i] >= level:
            release = a + i
            recovery = -1
            break
    if recovery < 0 and release >= 0:
        for i in range(max(0, release + 1 - a), x.shape[0]):
            if x[i] <= recovery_line:
                return release, a + i
    return release, recovery


@njit(cache=True)
def detect_scan(env: np.ndarray, first_index: int, pos: int, hist: np.ndarray,
                lines: np.ndarray, m_on: int, m_off: int, lookback: int, window: int,
                onset_lead: int, release_fraction: float, off_peak_fraction: float,
                st: np.ndarray, fst: np.ndarray, active: np.ndarray, rec_i: np.ndarray,
                rec_f: np.ndarray) -> tuple[int, int]:
    """``HysteresisDetector.process`` from block position ``pos``: the same scans, in order.

    ``lines``: mean, ON, OFF, lookback and recovery lines; ``st``/``fst``: the state (see
    ``S_*``; ``fst[0]`` the open event's peak). Writes a record per event started, finished
    or recovered; returns (records written, position to resume at: -1 when the block is done;
    the records table was full).
    """
    mean, hi, lo, rec_line = lines[0], lines[1], lines[2], lines[4]
    n = len(env)
    k_rec = 0
    while pos < n:
        if k_rec + 3 > rec_i.shape[0]:
            return k_rec, pos
        x = env[pos:]
        a = first_index + pos
        if st[S_ACTIVE] == 0:
            if st[S_ARMED] == 0:
                k, run_end = first_run(x, lo, False, st[S_REARM], m_off)
                if st[S_AWAITING] != 0:
                    r = _recovery(x[:len(x) if k < 0 else k + 1], a, rec_line, st)
                    if r >= 0:
                        rec_i[k_rec, 0] = R_RECOVERY
                        rec_i[k_rec, 1] = st[S_AW_ID]
                        rec_i[k_rec, 5] = r
                        k_rec += 1
                if k < 0:
                    st[S_REARM] = run_end
                    break
                st[S_ARMED] = 1
                st[S_REARM] = 0
                pos += k + 1
                continue
            k, run_end = first_run(x, hi, True, st[S_RUN], m_on)
            if k < 0:
                st[S_RUN] = run_end
            if st[S_AWAITING] != 0:
                r = _recovery(x[:len(x) if k < 0 else max(0, k - m_on + 1)], a, rec_line, st)
                if r >= 0:
                    rec_i[k_rec, 0] = R_RECOVERY
                    rec_i[k_rec, 1] = st[S_AW_ID]
                    rec_i[k_rec, 5] = r
                    k_rec += 1
            if k < 0:
                break
            st[S_AWAITING] = 0  # a new contraction began before the recovery
            fst[0] = _start(env, first_index, hist, a + k, a + k - m_on + 1, lines, lookback,
                            onset_lead, release_fraction, st)
            _record(rec_i, rec_f, k_rec, R_START, st, fst[0])
            k_rec += 1
            st[S_ACTIVE] = 1
            st[S_RUN] = 0
            st[S_ON_FROM] = pos + k
            pos += k + 1
        else:
            if st[S_ON_FROM] < 0:
                st[S_ON_FROM] = pos
            k, run_end, peak, st[S_EV_PEAK_I] = _off_scan(
                x, a, lo, mean, off_peak_fraction, fst[0], st[S_EV_PEAK_I], st[S_RUN], m_off)
            if k < 0:
                st[S_RUN] = run_end
            fst[0] = peak
            st[S_EV_RELEASE], st[S_EV_RECOVERY] = _release_scan(
                x[:len(x) if k < 0 else k + 1], a, peak, mean, release_fraction, rec_line,
                st[S_EV_RELEASE], st[S_EV_RECOVERY])
            if k < 0:
                break
            off_start = a + k - m_off + 1
            j = off_start - window
            # (``_finish_event``; the offset itself is worked out from the record)
            p_level = _at(env, first_index, hist, j) if j >= first_index - len(hist) else peak
            line = lo
            if off_peak_fraction > 0:
                line = max(lo, mean + off_peak_fraction * (peak - mean))
            _record(rec_i, rec_f, k_rec, R_FINISH, st, peak)
            rec_i[k_rec, 6] = off_start
            rec_i[k_rec, 7] = off_start + m_off - 1
            rec_f[k_rec, 1] = p_level
            rec_f[k_rec, 2] = line
            k_rec += 1
            if st[S_EV_RECOVERY] < 0:
                st[S_AWAITING] = 1
                st[S_AW_RELEASE] = st[S_EV_RELEASE]
                st[S_AW_ID] = st[S_EV_ID]
            else:
                st[S_AWAITING] = 0
            st[S_FLOOR] = off_start
            st[S_ARMED] = 1 if line <= lo else 0
            st[S_REARM] = 0
            st[S_ACTIVE] = 0
            st[S_RUN] = 0
            active[st[S_ON_FROM]:pos + k + 1] = True
            st[S_ON_FROM] = -1
            pos += k + 1
    if st[S_ON_FROM] >= 0:
        active[st[S_ON_FROM]:] = True
        st[S_ON_FROM] = -1
    return k_rec, -1
