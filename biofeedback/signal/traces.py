"""What offline analysis gathers from the processor's frames: whole per-sample traces (when
kept) and, always, the runs that the JSON summary needs (strain episodes, meter states),
which take memory per change, not per sample."""

from __future__ import annotations

import numpy as np


class RunLog:
    """Runs of a per-sample code fed piece by piece: ``[(start, code), ...]`` in order, one
    entry per change (the value of the last run lasts to the end)."""

    def __init__(self) -> None:
        self.runs: list[tuple[int, int]] = []

    def add(self, first_index: int, codes: np.ndarray) -> None:
        if not len(codes):
            return
        c = np.asarray(codes)
        if not self.runs or self.runs[-1][1] != int(c[0]):
            self.runs.append((first_index, int(c[0])))
        change = np.flatnonzero(c[1:] != c[:-1]) + 1
        if len(change):
            vals = c[change].tolist()
            self.runs.extend(zip((change + first_index).tolist(), vals, strict=True))

    def intervals(self, n: int, code: int = 1) -> list[tuple[int, int]]:
        """[start, stop) of the runs whose code is ``code``, over ``n`` samples in all."""
        out = []
        for i, (a, c) in enumerate(self.runs):
            if c == code:
                out.append((a, self.runs[i + 1][0] if i + 1 < len(self.runs) else n))
        return out


class Traces:
    """Growable per-sample arrays (capacity doubles; exact size when ``n_hint`` is right)."""

    def __init__(self, n_channels: int, n_hint: int = 0, relaxation: bool = True) -> None:
        """``relaxation=False``: no relaxation array (``views`` gives None in its place; the
        caller derives it from the envelope when asked)."""
        cap = max(n_hint, 1)
        self.n = 0
        self.filtered = np.empty((cap, n_channels))
        self.envelope = np.empty((cap, n_channels))
        self.relaxation = np.empty(cap) if relaxation else None
        self.active = np.zeros(cap, dtype=bool)
        self.strain = np.zeros(cap, dtype=bool)
        self.feedback = np.empty(cap, dtype=np.uint8)

    _NAMES = ("filtered", "envelope", "relaxation", "active", "strain", "feedback")

    def views(self, a: int, b: int) -> tuple[np.ndarray, ...]:
        """The arrays' samples ``[a, b)`` (grown if needed) for the processor to write into
        (``LiveProcessor.process_emg(..., out=...)``); they count as fed."""
        self._grow(b)
        self.n = max(self.n, b)
        return tuple(None if (v := getattr(self, k)) is None else v[a:b] for k in self._NAMES)

    def _grow(self, b: int) -> None:
        if b > len(self.envelope):
            cap = max(b, 2 * len(self.envelope))
            for k in self._NAMES:
                old = getattr(self, k)
                if old is None:
                    continue
                new = np.zeros((cap, *old.shape[1:]), dtype=old.dtype)
                new[:self.n] = old[:self.n]
                setattr(self, k, new)

    def put(self, a: int, frame) -> None:  # frame: EmgFrame
        """Copy a frame's arrays in at sample ``a``."""
        b = a + len(frame.envelope)
        self._grow(b)
        for k in self._NAMES:
            if getattr(self, k) is not None:
                getattr(self, k)[a:b] = getattr(frame, k)
        self.n = b

    def trimmed(self) -> dict[str, np.ndarray]:
        """The arrays cut to the samples fed (no copy when the hint was exact)."""
        return {k: None if (v := getattr(self, k)) is None else v[:self.n]
                for k in self._NAMES}
