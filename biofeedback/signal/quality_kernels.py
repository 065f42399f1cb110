"""Compiled parts of the per-second quality check (:mod:`biofeedback.signal.quality`).

* :func:`second_flags`: the time-domain flags and RMS of every second from its statistics
  (one compiled loop instead of two dozen small numpy calls per call of the check).
* :func:`chunk_mean_extremes`: the movement check's largest and smallest 50 ms mean (numpy's
  reduction pays a call per chunk: 1200 per minute of seconds).
* :func:`hum_power`: from the half-second spectra, the channel-0 periodograms and, per mains
  frequency, the peak-to-neighbours power ratio, reading only the bins it needs (no Welch
  sum over every bin, no fancy-index copies); :func:`hum_select` the strongest of them.

Same rules as :mod:`biofeedback.signal.kernels`: plain IEEE operations in numpy's order, so
the numbers are those of the numpy expressions they replace (pinned by
tests/test_signal/test_quality_kernels.py).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from biofeedback.signal.kernels import _block_sum

# QualityFlag's bits (quality.py imports this module, not the reverse; a test pins them)
DROPOUT, FLAT, CLIPPED, MOTION, HUM = 1, 2, 4, 8, 16


@njit(cache=True)
def _runs_at(x: np.ndarray, value: float) -> int:
    """Samples of ``x`` that sit at ``value`` in runs of at least 3 (flat tops)."""
    total = 0
    run = 0
    for i in range(x.shape[0]):
        if x[i] == value:
            run += 1
        else:
            if run >= 3:
                total += run
            run = 0
    if run >= 3:
        total += run
    return total


@njit(cache=True)
def _spikes(b: np.ndarray, env: np.ndarray, c: int, thr: float, crest: float) -> int:
    """Samples of ``|b|`` above ``thr`` and above ``crest`` × the envelope ``env[:, c]``."""
    nb = 0
    for i in range(b.shape[0]):
        a = abs(b[i])
        nb += (a > thr) & (a > crest * env[i, c])
    return nb


@njit(cache=True)
def second_flags(raw: np.ndarray, bp: np.ndarray, env: np.ndarray, nan_count: np.ndarray,
                 ext: np.ndarray, sums: np.ndarray, params: np.ndarray, chunks: bool,
                 has_range: bool, flags: np.ndarray, rms: np.ndarray) -> None:
    """DROPOUT, FLAT, CLIPPED and MOTION of seconds ``raw``, ``bp`` ``(S, C, L)`` (``env``
    ``(S, L, C)``) from their statistics ``ext`` ``(7, S, C)`` and ``sums`` ``(3, S, C)``
    (:func:`biofeedback.signal.quality._second_stats`); ``params`` = flat RMS, clip count,
    spike crest, motion ratio, largest spike count; ``chunks``: two movement chunks fit;
    ``has_range``: ``ext[6]`` counts samples beyond the physical range. Writes ``flags``
    and ``rms`` ``(S, C)``, as the numpy expressions of the check did."""
    s_n, c_n, n = raw.shape
    flat_rms, need, crest, ratio, max_spikes = params
    for s in range(s_n):
        for c in range(c_n):
            f = DROPOUT if nan_count[s, c] > 0 else 0
            r = np.sqrt(sums[0, s, c] / n)
            rms[s, c] = r
            rmax, rmin = ext[0, s, c], ext[1, s, c]
            flat = (r < flat_rms) | (rmax == rmin)
            if flat:
                f |= FLAT
            clipped = False
            if not flat and (ext[2, s, c] >= need or ext[3, s, c] >= need):
                clipped = _runs_at(raw[s, c], rmax) + _runs_at(raw[s, c], rmin) >= need
            if has_range and ext[6, s, c] >= need:
                clipped = True
            if clipped:
                f |= CLIPPED
            floor = max(r, flat_rms)
            motion = chunks and (sums[1, s, c] - sums[2, s, c]) > ratio * floor
            thr = crest * floor
            if max(ext[4, s, c], -ext[5, s, c]) > thr:
                nb = _spikes(bp[s, c], env[s], c, thr, crest)
                motion |= (nb >= 1) & (nb <= max_spikes)
            if motion and not flat:
                f |= MOTION
            flags[s, c] = f


@njit(cache=True)
def chunk_mean_extremes(raw: np.ndarray, m: int, hi: np.ndarray, lo: np.ndarray) -> None:
    """Largest and smallest mean of ``raw`` ``(S, C, L)`` over consecutive chunks of ``m``
    (``m <= 128``: one leaf of numpy's pairwise sum) into ``hi``, ``lo`` ``(S, C)``: as
    ``np.add.reduce(chunks, axis=-1) / m`` then ``max`` and ``min``."""
    s_n, c_n, n = raw.shape
    for s in range(s_n):
        for c in range(c_n):
            r = raw[s, c]
            top = bottom = _block_sum(r, 0, m, 0.0, False) / m
            for j in range(1, n // m):
                v = _block_sum(r, j * m, m, 0.0, False) / m
                top = max(top, v)
                bottom = min(bottom, v)
            hi[s, c] = top
            lo[s, c] = bottom


@njit(cache=True)
def hum_power(f: np.ndarray, rows: np.ndarray, peak_bins: np.ndarray, near_bins: np.ndarray,
              ratio: np.ndarray) -> None:
    """From the spectra ``f`` ``(S, C, 2, F)`` of each second's two half-seconds: when
    ``rows`` has rows, the channel-0 periodograms ``rows[2s + h] = |f[s, 0, h]|²``; and per
    mains frequency ``j`` (bins ``peak_bins[j]`` and ``near_bins[j]``, padded with -1) the
    ratio ``max(peak, 1e-30) / max(ref, 1e-30)`` of the Welch sum ``|f₀|² + |f₁|²``: its
    largest value over the peak bins against its mean over the neighbours, into
    ``ratio[j, s, c]``. Operation for operation ``f.real**2 + f.imag**2``, ``.sum(axis=2)``,
    ``spec[..., bins].max(axis=2)`` and ``np.add.reduce(spec[..., near], axis=2) / len``:
    numpy's fancy-index copy of several seconds or channels has the bins as its outermost
    axis, so that sum is a plain running sum in bin order; it is that order always here, so
    a live second (one at a time) gets the numbers it gets among many."""
    s_n, c_n, _, f_n = f.shape
    j_n = peak_bins.shape[0]
    for s in range(s_n):
        if rows.shape[0] > 0:
            for k in range(f_n):
                z0 = f[s, 0, 0, k]
                z1 = f[s, 0, 1, k]
                rows[2 * s, k] = z0.real * z0.real + z0.imag * z0.imag
                rows[2 * s + 1, k] = z1.real * z1.real + z1.imag * z1.imag
        for c in range(c_n):
            for j in range(j_n):
                peak = -np.inf
                for k in peak_bins[j]:
                    if k < 0:
                        break
                    peak = max(peak, _power(f, s, c, k))
                m = 0
                ref = 0.0
                for k in near_bins[j]:
                    if k < 0:
                        break
                    ref = _power(f, s, c, k) if m == 0 else ref + _power(f, s, c, k)
                    m += 1
                ref /= m
                ratio[j, s, c] = max(peak, 1e-30) / max(ref, 1e-30)


@njit(cache=True, inline="always")
def _power(f: np.ndarray, s: int, c: int, k: int) -> float:
    z0 = f[s, c, 0, k]
    z1 = f[s, c, 1, k]
    return (z0.real * z0.real + z0.imag * z0.imag) + (z1.real * z1.real + z1.imag * z1.imag)


@njit(cache=True)
def hum_select(db: np.ndarray, mains: np.ndarray, threshold: float, flags: np.ndarray,
               hum_db: np.ndarray, hum_hz: np.ndarray) -> None:
    """Per second and channel the strongest mains peak of ``db`` ``(J, S, C)`` (the first of
    equal ones) into ``hum_db`` (nan unless finite); ``hum_hz[s]``: the last mains frequency
    that raised the running strongest peak of some channel; HUM in ``flags`` above
    ``threshold`` unless FLAT. As the loop of ``np.where`` over the frequencies it replaces."""
    j_n, s_n, c_n = db.shape
    best = np.empty(c_n)
    for s in range(s_n):
        best[:] = -np.inf
        for j in range(j_n):
            raised = False
            for c in range(c_n):
                if db[j, s, c] > best[c]:
                    best[c] = db[j, s, c]
                    raised = True
            if raised:
                hum_hz[s] = mains[j]
        for c in range(c_n):
            hum_db[s, c] = best[c] if np.isfinite(best[c]) else np.nan
            if hum_db[s, c] > threshold and not flags[s, c] & FLAT:
                flags[s, c] |= HUM
