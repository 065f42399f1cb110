"""RMS envelopes over trailing windows and the TKEO, exact across block boundaries."""

from __future__ import annotations

import numpy as np


class MultiRms:
    """Trailing-window RMS for several window lengths from one running sum of squares.

    ``RMS[n] = sqrt(mean(x[n-N+1..n]**2))`` (clinical.md §1), causal, carried across blocks.
    Before ``N`` samples have arrived the mean is over the samples seen so far. The running
    sum is one sequential cumulative sum carried from block to block, so every output is
    bit-for-bit the same however the input was cut into blocks; sharing it makes the display
    and detection envelopes cost one pass. (Float64 keeps ~1e-10 relative precision after a
    day of 2 kHz EMG; :meth:`reset` at a gap restarts the sum.)
    """

    def __init__(self, windows: list[int], n_channels: int) -> None:
        if min(windows) < 1:
            raise ValueError("RMS window must be at least one sample")
        self.windows = [int(w) for w in windows]
        self.n_channels = n_channels
        self._keep = max(self.windows)
        self.reset()

    def reset(self) -> None:
        # running sums in a buffer: rows [0, pos) are history, row pos-1 the total so far
        self._buf = np.zeros((self._keep + 1 + 4096, self.n_channels))
        self._pos = 1
        self._count = 0  # samples since reset

    def process(self, x: np.ndarray) -> list[np.ndarray]:
        n = len(x)
        keep = self._keep + 1
        if self._pos + n > len(self._buf):  # make room: move the history to the front
            start = max(0, self._pos - keep)
            hist = self._buf[start:self._pos]
            if len(hist) + n > len(self._buf):
                self._buf = np.empty((len(hist) + n + 4096, self.n_channels))
            self._buf[: len(hist)] = hist
            self._pos = len(hist)
        m, c = self._pos, self._buf
        np.multiply(x, x, out=c[m:m + n])
        # one sequential running sum continued from the last total: block cuts do not matter
        np.cumsum(c[m - 1:m + n], axis=0, out=c[m - 1:m + n])
        out = []
        for w in self.windows:
            if self._count >= w:  # the usual case: a full window behind every new sample
                d = c[m:m + n] - c[m - w:m - w + n]
                d /= w  # the same operation as the start-up branch: bit-identical
            else:
                end = np.arange(m, m + n)  # row of c holding the sum through each new sample
                k = np.minimum(self._count + 1 + np.arange(n), w)
                d = (c[end] - c[end - k]) / k[:, None]
            np.maximum(d, 0.0, out=d)
            out.append(np.sqrt(d, out=d))
        self._pos = m + n
        self._count += n
        return out


class RmsEnvelope:
    """Single-window trailing RMS (the original API, kept for :class:`EmgPipeline`)."""

    def __init__(self, window_samples: int, n_channels: int) -> None:
        if window_samples < 1:
            raise ValueError("RMS window must be at least one sample")
        self.n = int(window_samples)
        self._rms = MultiRms([self.n], n_channels)

    def reset(self) -> None:
        self._rms.reset()

    def process(self, x: np.ndarray) -> np.ndarray:
        return self._rms.process(x)[0]


class Tkeo:
    """Teager-Kaiser energy ``ψ[n] = x[n]² − x[n−1]·x[n+1]`` made causal by one sample of delay.

    Output sample ``n`` is ``|ψ[n−1]|`` (Li 2007; Solnik 2008, clinical.md §3). Its square root
    has the unit of the input, so RMS-style thresholds (µV) keep their meaning.
    """

    def __init__(self, n_channels: int) -> None:
        self.n_channels = n_channels
        self.reset()

    def reset(self) -> None:
        self._prev = np.zeros((0, self.n_channels))

    def process(self, x: np.ndarray) -> np.ndarray:
        z = np.concatenate([self._prev, x], axis=0)
        out = np.zeros_like(x)
        k = len(self._prev)  # index of x[0] in z
        # output at z index i (i >= 2) is psi at i-1
        i0 = max(2, k)
        if len(z) > i0 - 0 and len(z) >= 3:
            i = np.arange(i0, len(z))
            psi = z[i - 1] ** 2 - z[i - 2] * z[i]
            out[i - k] = np.abs(psi)
        self._prev = z[-2:]
        return out
