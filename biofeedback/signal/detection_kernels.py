"""Compiled kernels of detection and the baseline: per-event and per-second work that was
Python and numpy calls on tiny arrays (docs/signal.md, "Detection" and "Baseline").

* :func:`detect_scan`: the whole :class:`~biofeedback.signal.detection.HysteresisDetector`
  scan of a block (onset, tracking, offset, re-arming, recovery) in one call, with the same
  comparisons in the same order as the Python loop it replaces (``first_run``,
  ``onset_scan`` and the former ``first_run_below_off_line``/``track_scan`` pair fused into one
  pass); it writes a record per event, and the detector makes the events from them. Floats
  that are only reported (the offset's drain correction, times in seconds) are left to
  Python, so they are the same operations as before.
* Baseline statistics: ``np.median(values, axis=0)`` of a table of a few dozen to a few
  thousand rows costs tens of microseconds of numpy dispatch, several times per second of
  the automatic period. These give the identical values: numba's ``np.median`` selects the
  middle element(s) as numpy's partition does and averages an even count's two as
  ``(a + b) / 2``, numpy's ``mean`` of two; a column holding a NaN (or no values) gives NaN,
  as numpy does.
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



@njit(cache=True)
def floor_runs(meds: np.ndarray, level: float, rise_level: float) -> tuple[int, int, bool]:
    """The automatic baseline's confirmation: of the runs of seconds whose median is at or
    below ``level``, the length of the last one if it lasts to the end (else 0) and of the
    longest; and whether any second was at or above ``rise_level``."""
    run = longest = 0
    risen = False
    for i in range(meds.shape[0]):
        v = meds[i]
        run = run + 1 if v <= level else 0
        longest = max(longest, run)
        risen = risen or v >= rise_level
    return run, longest, risen


# -- the hysteresis detector's scan (HysteresisDetector.process) ----------------------------
# ``st`` (int64): active, run, armed, re-arm run, floor, next id; the open event (id, onset,
# peak index, release, recovery: -1 for None); an awaited recovery (flag, release, id); the
# start of the "active" stretch in the block (-1: none); then the settings m_on, m_off,
# lookback, window, onset lead (samples)
S_ACTIVE, S_RUN, S_ARMED, S_REARM, S_FLOOR, S_NEXT_ID = 0, 1, 2, 3, 4, 5
S_EV_ID, S_EV_ONSET, S_EV_PEAK_I, S_EV_RELEASE, S_EV_RECOVERY = 6, 7, 8, 9, 10
S_AWAITING, S_AW_RELEASE, S_AW_ID, S_ON_FROM = 11, 12, 13, 14
S_M_ON, S_M_OFF, S_LOOKBACK, S_WINDOW, S_LEAD = 15, 16, 17, 18, 19
N_STATE = 20
# ``par`` (float64): the mean, ON, OFF, lookback and recovery lines, the release and OFF
# peak fractions, then the open event's peak
P_MEAN, P_HI, P_LO, P_BACK, P_RECOVERY, P_RELEASE_F, P_OFF_PEAK_F, P_PEAK = range(8)
N_PAR = 8
# a record per event emitted, in order (int64 columns; float columns: peak, the level a
# window before the offset run, the OFF line at the offset)
R_START, R_FINISH, R_RECOVERY = 1, 2, 3
N_REC_I, N_REC_F = 8, 3


@njit(cache=True)
def _at(env: np.ndarray, first_index: int, hist: np.ndarray, h_end: int, i: int) -> float:
    """Envelope at absolute ``i`` from the block or the history (rows up to ``h_end`` of
    ``hist``, column 0, the last one just before ``first_index``)."""
    return env[i - first_index] if i >= first_index else hist[h_end - (first_index - i), 0]


@njit(cache=True)
def _record(rec_i: np.ndarray, rec_f: np.ndarray, k: int, kind: int, st: np.ndarray,
            peak: float) -> None:
    rec_i[k, 0] = kind
    for j in range(5):
        rec_i[k, 1 + j] = st[S_EV_ID + j]
    rec_f[k, 0] = peak


@njit(cache=True)
def _start(env: np.ndarray, first_index: int, hist: np.ndarray, h_end: int, h_n: int,
           confirm: int, run_start: int, st: np.ndarray, par: np.ndarray) -> None:
    """A confirmed onset (once ``_start_event``): opens the event in ``st``/``par``."""
    h0 = first_index - h_n
    s0 = max(max(run_start - st[S_LOOKBACK], st[S_FLOOR] + 1), h0)
    r0 = max(s0, run_start)
    before = np.empty(r0 - s0)
    for i in range(s0, r0):
        before[i - s0] = _at(env, first_index, hist, h_end, i)
    run = np.empty(confirm + 1 - r0)
    for i in range(r0, confirm + 1):
        run[i - r0] = _at(env, first_index, hist, h_end, i)
    quiet, p, last = onset_scan(before, par[P_BACK], par[P_LO], run, par[P_MEAN],
                                par[P_RELEASE_F])
    # where the envelope left the baseline band; if it never sat that low in the lookback
    # (resting tone up), where it last sat below the OFF line, else the run start
    base0 = run_start - len(before)
    onset = run_start if quiet < 0 else base0 + quiet + 1
    onset = max(onset - st[S_LEAD], st[S_FLOOR] + 1, base0)
    st[S_EV_ID] = st[S_NEXT_ID]
    st[S_NEXT_ID] += 1
    st[S_EV_ONSET] = onset
    st[S_EV_PEAK_I] = r0 + p
    st[S_EV_RELEASE] = r0 + last
    st[S_EV_RECOVERY] = -1
    par[P_PEAK] = run[p]


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
    the samples before each one; worked out again only when that peak moves) and, in the
    same pass, ``track_scan``'s new peak and its index (the first largest sample of the
    piece up to and including the hit, if above ``peak``)."""
    lo = base_lo
    if frac > 0.0:
        lo = max(base_lo, mean + frac * (peak - mean))
    line_peak = peak
    best, best_i = x[0], 0
    k = -1
    for i in range(x.shape[0]):
        v = x[i]
        if v > best:
            best, best_i = v, i
        if v < lo:
            run += 1
            if run >= length:
                k = i
                break
        else:
            run = 0
        if v > line_peak:
            line_peak = v
            if frac > 0.0:
                lo = max(base_lo, mean + frac * (line_peak - mean))
    if best > peak:
        peak, peak_i = best, a + best_i
    return k, run, peak, peak_i


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
def _recovered(rec_i: np.ndarray, k: int, st: np.ndarray, r: int) -> int:
    """A record of the awaited recovery found at ``r`` (none when ``r < 0``); records now."""
    if r < 0:
        return k
    rec_i[k, 0] = R_RECOVERY
    rec_i[k, 1] = st[S_AW_ID]
    rec_i[k, 5] = r
    return k + 1


@njit(cache=True)
def _finish(env: np.ndarray, first_index: int, hist: np.ndarray, h_end: int, h_n: int,
            off_start: int, st: np.ndarray, par: np.ndarray, rec_i: np.ndarray,
            rec_f: np.ndarray, k: int) -> None:
    """A confirmed offset (once ``_finish_event``): record ``k`` holds the event, the level
    a window before the offset run and the OFF line (the offset is worked out from them)."""
    peak, mean, lo = par[P_PEAK], par[P_MEAN], par[P_LO]
    j = off_start - st[S_WINDOW]
    p_level = _at(env, first_index, hist, h_end, j) if j >= first_index - h_n else peak
    line = lo
    if par[P_OFF_PEAK_F] > 0:
        line = max(lo, mean + par[P_OFF_PEAK_F] * (peak - mean))
    _record(rec_i, rec_f, k, R_FINISH, st, peak)
    rec_i[k, 6] = off_start
    rec_i[k, 7] = off_start + st[S_M_OFF] - 1
    rec_f[k, 1] = p_level
    rec_f[k, 2] = line
    st[S_AWAITING] = 1 if st[S_EV_RECOVERY] < 0 else 0
    st[S_AW_RELEASE] = st[S_EV_RELEASE]
    st[S_AW_ID] = st[S_EV_ID]
    st[S_FLOOR] = off_start
    st[S_ARMED] = 1 if line <= lo else 0
    st[S_REARM] = 0
    st[S_ACTIVE] = 0
    st[S_RUN] = 0


@njit(cache=True)
def detect_scan(env: np.ndarray, first_index: int, pos: int, hist: np.ndarray, h_end: int,
                h_n: int, st: np.ndarray, par: np.ndarray, active: np.ndarray,
                rec_i: np.ndarray, rec_f: np.ndarray) -> tuple[int, int, bool]:
    """``HysteresisDetector.process`` from block position ``pos``: the same scans, in order.

    ``hist``: the envelope history (column 0; ``h_n`` rows ending at row ``h_end`` come just
    before the block); ``st``/``par``: state and settings (``S_*``, ``P_*``). Writes a
    record per event started, finished or recovered; returns the records written, the
    position to resume at (-1: the block is done; else the records table was full) and
    whether the open event changed.
    """
    mean, hi, lo, rec_line = par[P_MEAN], par[P_HI], par[P_LO], par[P_RECOVERY]
    m_on, m_off = st[S_M_ON], st[S_M_OFF]
    n = len(env)
    k_rec = 0
    changed = False
    while pos < n:
        if k_rec + 3 > rec_i.shape[0]:
            return k_rec, pos, changed
        x = env[pos:]
        a = first_index + pos
        if st[S_ACTIVE] == 0:
            if st[S_ARMED] == 0:
                # an event that ended on its own (peak-relative) OFF line re-arms only once
                # the envelope has stayed below the baseline OFF line for the minimum off
                # time: a slow release tail hovers about the ON line, and a noise dip below
                # the OFF line must not start a "new contraction" in it
                k, run_end = first_run(x, lo, False, st[S_REARM], m_off)
                if st[S_AWAITING] != 0:
                    k_rec = _recovered(rec_i, k_rec, st, _recovery(
                        x[:len(x) if k < 0 else k + 1], a, rec_line, st))
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
                k_rec = _recovered(rec_i, k_rec, st, _recovery(
                    x[:len(x) if k < 0 else max(0, k - m_on + 1)], a, rec_line, st))
            if k < 0:
                break
            st[S_AWAITING] = 0  # a new contraction began before the recovery
            _start(env, first_index, hist, h_end, h_n, a + k, a + k - m_on + 1, st, par)
            _record(rec_i, rec_f, k_rec, R_START, st, par[P_PEAK])
            k_rec += 1
            changed = True
            st[S_ACTIVE] = 1
            st[S_RUN] = 0
            st[S_ON_FROM] = pos + k
            pos += k + 1
        else:
            if st[S_ON_FROM] < 0:
                st[S_ON_FROM] = pos
            # the OFF line follows the peak sample by sample (a new peak later in this block
            # raises it from there on, as it would with smaller blocks)
            peak_i, release, recovery = st[S_EV_PEAK_I], st[S_EV_RELEASE], st[S_EV_RECOVERY]
            k, run_end, par[P_PEAK], st[S_EV_PEAK_I] = _off_scan(
                x, a, lo, mean, par[P_OFF_PEAK_F], par[P_PEAK], peak_i, st[S_RUN], m_off)
            if k < 0:
                st[S_RUN] = run_end
            st[S_EV_RELEASE], st[S_EV_RECOVERY] = _release_scan(
                x[:len(x) if k < 0 else k + 1], a, par[P_PEAK], mean, par[P_RELEASE_F],
                rec_line, release, recovery)
            changed |= (st[S_EV_PEAK_I] != peak_i or st[S_EV_RELEASE] != release
                        or st[S_EV_RECOVERY] != recovery)
            if k < 0:
                break
            _finish(env, first_index, hist, h_end, h_n, a + k - m_off + 1, st, par, rec_i,
                    rec_f, k_rec)
            k_rec += 1
            changed = True
            active[st[S_ON_FROM]:pos + k + 1] = True
            st[S_ON_FROM] = -1
            pos += k + 1
    if st[S_ON_FROM] >= 0:
        active[st[S_ON_FROM]:] = True
        st[S_ON_FROM] = -1
    return k_rec, -1, changed
