"""RMS envelopes over trailing windows and the TKEO, exact across block boundaries."""

from __future__ import annotations

import numpy as np

from biofeedback.signal.kernels import rms_rows


def history_rows(longest_window: int) -> int:
    """Running sums kept between blocks for windows up to ``longest_window`` samples."""
    return int(longest_window) + 1


class MultiRms:
    """Trailing-window RMS for several window lengths from one running sum of squares.

    ``RMS[n] = sqrt(mean(x[n-N+1..n]**2))`` (clinical.md §1), causal, carried across blocks.
    Before ``N`` samples have arrived the mean is over the samples seen so far. The running
    sum is one sequential sum carried from block to block (the same additions as ``np.cumsum``),
    so every output is bit-for-bit the same however the input was cut into blocks; sharing it
    makes the display and detection envelopes cost one pass. Its last ``max(windows) + 1``
    totals are carried between blocks (:func:`biofeedback.signal.kernels.rms_rows`). (Float64 keeps
    ~1e-10 relative precision after a day of 2 kHz EMG; :meth:`reset` at a gap restarts the sum.)
    """

    def __init__(self, windows: list[int], n_channels: int) -> None:
        if min(windows) < 1:
            raise ValueError("RMS window must be at least one sample")
        if len(windows) > 2:
            raise ValueError("at most two RMS windows per pass (display and detection)")
        self.windows = [int(w) for w in windows]
        self.n_channels = n_channels
        self._w = np.array(self.windows, dtype=np.int64)
        self._hist = np.zeros((history_rows(max(self.windows)), n_channels))
        self.reset()

    def reset(self) -> None:
        self._hist[:] = 0.0
        self._count = np.zeros(1, dtype=np.int64)  # samples since reset

    def process(self, x: np.ndarray) -> list[np.ndarray]:
        x = np.ascontiguousarray(x, dtype=float)
        env = np.empty((len(self.windows), *x.shape))
        rms_rows(x, self._hist, self._count, self._w, env[0], env[-1])
        return list(env)


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
