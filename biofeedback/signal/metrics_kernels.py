"""Compiled statistics of several sample selections at once (numba, cached like
``kernels.py``): what :func:`biofeedback.signal.analysis.compute_metrics` needs of an hour's
envelope and Welch periodograms, in one pass over each instead of one pass per selection.

The selections ("recording", "rest", "contractions", named segments) overlap, so the samples
are cut into *pieces* (between consecutive boundaries of any selection), each with a bit mask
of the selections that hold it. A piece is read in blocks aligned to absolute multiples of
``BLOCK`` samples, small enough to stay in the first-level cache: each block's sum, maximum
and sum of squared deviations from its own mean come from two passes over cached memory, and
are merged into every selection holding the block by the pairwise update of Chan, Golub and
LeVeque (1979). Means and SDs then agree with ``np.mean``/``np.std`` of the gathered values to
about 1e-15 relative (a different order of additions), not bit for bit; the streaming
accumulator (:mod:`biofeedback.signal.metrics_stream`) merges runs the same way.
"""

from __future__ import annotations

import numpy as np
from numba import njit

#: samples per block merged into the selections: 8 kB, a first-level-cache's worth
BLOCK = 1024


@njit(cache=True)
def _sum_max(v: np.ndarray, i0: int, i1: int) -> tuple[float, float]:
    """Sum (eight accumulators, so the additions pipeline) and maximum of ``v[i0:i1]``."""
    s = np.zeros(8)
    top = v[i0]
    i = i0
    while i + 8 <= i1:
        for r in range(8):
            x = v[i + r]
            s[r] += x
            top = max(top, x)
        i += 8
    rest = 0.0
    while i < i1:
        rest += v[i]
        top = max(top, v[i])
        i += 1
    return ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7])) + rest, top


@njit(cache=True)
def _squares(v: np.ndarray, i0: int, i1: int, centre: float) -> float:
    """Sum of ``(v[i] - centre)²`` over ``[i0, i1)``, eight accumulators."""
    s = np.zeros(8)
    i = i0
    while i + 8 <= i1:
        for r in range(8):
            d = v[i + r] - centre
            s[r] += d * d
        i += 8
    rest = 0.0
    while i < i1:
        d = v[i] - centre
        rest += d * d
        i += 1
    return ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7])) + rest


@njit(cache=True)
def selection_stats(values: np.ndarray, cuts: np.ndarray, member: np.ndarray,
                    n_sel: int) -> np.ndarray:
    """Per selection ``s < n_sel``: count, mean, sum of squared deviations and maximum of
    ``values`` in the pieces ``[cuts[p], cuts[p + 1])`` whose ``member[p]`` has bit ``s``
    set; ``(n_sel, 4)`` (mean and maximum nan where empty)."""
    out = np.zeros((n_sel, 4))
    out[:, 3] = -np.inf
    for p in range(member.shape[0]):
        bits = member[p]
        if bits == 0:
            continue
        a = cuts[p]
        b = cuts[p + 1]
        while a < b:
            e = min(b, (a // BLOCK + 1) * BLOCK)
            kb = float(e - a)
            total, top = _sum_max(values, a, e)
            mb = total / kb
            m2b = _squares(values, a, e, mb)
            for s in range(n_sel):
                if bits & (1 << s):
                    ka = out[s, 0]
                    k = ka + kb
                    if ka == 0.0:
                        out[s, 1] = mb
                        out[s, 2] = m2b
                    else:
                        d = mb - out[s, 1]
                        out[s, 1] += d * kb / k
                        out[s, 2] += m2b + d * d * ka * kb / k
                    out[s, 0] = k
                    out[s, 3] = max(out[s, 3], top)
            a = e
    for s in range(n_sel):
        if out[s, 0] == 0.0:
            out[s, 1] = np.nan
            out[s, 3] = np.nan
    return out


@njit(cache=True)
def sum_rows_many(table: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Per row ``s`` of ``weights`` ``(S, k)``: the sum of the rows ``i`` of ``table`` whose
    ``weights[s, i]`` is non-zero, added in row order; ``(S, F)``. The same numbers as
    :func:`~biofeedback.signal.kernels.sum_rows` per selection, the table read once."""
    n_sel = weights.shape[0]
    out = np.zeros((n_sel, table.shape[1]))
    for i in range(table.shape[0]):
        for s in range(n_sel):
            if weights[s, i] != 0.0:
                for j in range(table.shape[1]):
                    out[s, j] += table[i, j]
    return out


__all__ = ["BLOCK", "selection_stats", "sum_rows_many"]
