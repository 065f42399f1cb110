"""A fixed-size ring buffer addressed by absolute sample index.

One producer (the acquisition thread) writes blocks; one consumer (the GUI timer) reads the
latest window. No per-block ``np.roll``: writes go to ``index % capacity``. Lost samples (an
index jump) are written as NaN so plots show a break instead of silently joining the data.
"""

from __future__ import annotations

import threading

import numpy as np


class RingBuffer:
    def __init__(self, capacity: int, n_channels: int = 1) -> None:
        if capacity < 1:
            raise ValueError("capacity must be positive")
        self.capacity = int(capacity)
        self.n_channels = int(n_channels)
        self._buf = np.full((self.capacity, self.n_channels), np.nan)
        self._end: int | None = None  # absolute index one past the newest sample
        self._lock = threading.Lock()

    @property
    def end_index(self) -> int:
        """Absolute index one past the newest sample (0 when empty)."""
        return self._end or 0

    def clear(self) -> None:
        with self._lock:
            self._buf[:] = np.nan
            self._end = None

    def write(self, first_index: int, data: np.ndarray) -> None:
        """Store ``data`` (n, n_channels) as samples ``first_index ..``; NaN-fill any gap."""
        data = np.asarray(data, dtype=float).reshape(len(data), self.n_channels)
        with self._lock:
            if self._end is not None and first_index < self._end:
                # overlap or restart: keep only what is new; a restart (index far back) resets
                if first_index + len(data) <= self._end - self.capacity or first_index == 0:
                    self._buf[:] = np.nan
                    self._end = None
                else:
                    skip = self._end - first_index
                    data = data[skip:]
                    first_index = self._end
            if self._end is not None and first_index > self._end:
                self._fill(self._end, min(first_index - self._end, self.capacity), np.nan)
            n = len(data)
            if n > self.capacity:
                data = data[-self.capacity:]
                first_index += n - self.capacity
                n = self.capacity
            self._put(first_index, data)
            self._end = first_index + n

    def _fill(self, start: int, n: int, value: float) -> None:
        idx = (start + np.arange(n)) % self.capacity
        self._buf[idx] = value

    def _put(self, start: int, data: np.ndarray) -> None:
        s = start % self.capacity
        first = min(len(data), self.capacity - s)
        self._buf[s:s + first] = data[:first]
        self._buf[:len(data) - first] = data[first:]

    def between(self, start: int, stop: int) -> tuple[np.ndarray, np.ndarray]:
        """Samples ``start .. stop - 1`` still held, as (absolute indices, data): one range
        read under the lock, so two rings read over the same range line up sample for
        sample even while the producer writes (``latest`` twice would not)."""
        with self._lock:
            if self._end is None:
                return np.zeros(0, dtype=np.int64), np.zeros((0, self.n_channels))
            start = max(start, self._end - self.capacity, 0)
            stop = min(stop, self._end)
            idx = np.arange(start, max(start, stop), dtype=np.int64)
            return idx, self._buf[idx % self.capacity].copy()

    def latest(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        """The newest ``n`` samples as (absolute indices (m,), data (m, n_channels)), m ≤ n."""
        with self._lock:
            if self._end is None:
                return np.zeros(0, dtype=np.int64), np.zeros((0, self.n_channels))
            n = min(n, self.capacity, self._end)
            idx = np.arange(self._end - n, self._end, dtype=np.int64)
            return idx, self._buf[idx % self.capacity].copy()
