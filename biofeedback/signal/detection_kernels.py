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
