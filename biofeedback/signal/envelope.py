"""RMS envelope over a trailing window, exact across block boundaries."""

from __future__ import annotations

import numpy as np


class RmsEnvelope:
    """``RMS[n] = sqrt(mean(x[n-N+1..n]**2))`` (clinical.md §1), causal, carried across blocks.

    Before ``N`` samples have arrived the mean is over the samples seen so far.
    """

    def __init__(self, window_samples: int, n_channels: int) -> None:
        if window_samples < 1:
            raise ValueError("RMS window must be at least one sample")
        self.n = int(window_samples)
        self._tail = np.zeros((0, n_channels))  # the last (up to N-1) squared samples

    def process(self, x: np.ndarray) -> np.ndarray:
        sq = np.concatenate([self._tail, x * x], axis=0)
        c = np.zeros((len(sq) + 1, sq.shape[1]))
        np.cumsum(sq, axis=0, out=c[1:])
        m = len(self._tail)
        end = np.arange(m + 1, m + len(x) + 1)
        start = np.maximum(end - self.n, 0)
        mean = (c[end] - c[start]) / (end - start)[:, None]
        self._tail = sq[len(sq) - min(self.n - 1, len(sq)):]
        return np.sqrt(np.maximum(mean, 0.0))
