"""Sample selections as sorted lists of disjoint ``[start, stop)`` intervals.

The metrics select samples by quality second, contraction and recovery: a few thousand
intervals for an hour, where boolean masks would be millions of samples each (and a pass
over memory per operation)."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

Intervals = list[tuple[int, int]]


def merge(iv: Iterable[tuple[int, int]]) -> Intervals:
    """Union of intervals, sorted and disjoint (touching ones joined; empty ones dropped)."""
    out: Intervals = []
    for a, b in sorted((a, b) for a, b in iv if b > a):
        if out and a <= out[-1][1]:
            if b > out[-1][1]:
                out[-1] = (out[-1][0], b)
        else:
            out.append((a, b))
    return out


def complement(iv: Intervals, lo: int, hi: int) -> Intervals:
    """``[lo, hi)`` minus the (sorted, disjoint) intervals ``iv``."""
    out: Intervals = []
    pos = lo
    for a, b in iv:
        if b <= pos:
            continue
        if a >= hi:
            break
        if a > pos:
            out.append((pos, a))
        pos = max(pos, b)
    if pos < hi:
        out.append((pos, hi))
    return out


def intersect(x: Intervals, y: Intervals) -> Intervals:
    """Intersection of two sorted, disjoint interval lists."""
    out: Intervals = []
    i = j = 0
    while i < len(x) and j < len(y):
        a = max(x[i][0], y[j][0])
        b = min(x[i][1], y[j][1])
        if b > a:
            out.append((a, b))
        if x[i][1] < y[j][1]:
            i += 1
        else:
            j += 1
    return out


def as_arrays(iv: Intervals) -> tuple[np.ndarray, np.ndarray]:
    """Starts and stops as int64 arrays (what the compiled kernels take)."""
    if not iv:
        z = np.zeros(0, dtype=np.int64)
        return z, z
    a = np.array(iv, dtype=np.int64)
    return np.ascontiguousarray(a[:, 0]), np.ascontiguousarray(a[:, 1])


def whole_blocks(iv: Intervals, size: int, count: int) -> np.ndarray:
    """Per block ``j`` of ``size`` samples at ``j·size`` (``j < count``): lies wholly inside
    one interval (as float 0/1, the weights of a sum over blocks)."""
    w = np.zeros(count)
    for a, b in iv:
        j0 = -(-a // size)
        j1 = min(b // size, count)
        if j1 > j0:
            w[j0:j1] = 1.0
    return w
