"""Vaginal pressure conditioning: low-pass, resting level, rise above rest, optional drift removal.

clinical.md §4: low-pass 5 Hz; squeeze reported as peak minus rest; a slow baseline of rest
samples removes drift when asked. The resting level starts as the median of the first second
(or of a marked rest) and then follows samples within ``rest_band_cmh2o`` of it with a time
constant of ``drift_tau_s`` — a rise (squeeze or strain) never drags it up.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from biofeedback.signal.config import CMH2O_TO_MMHG, PressureConfig
from biofeedback.signal.filters import SosFilter, design_lowpass
from biofeedback.signal.kernels import rest_track


@dataclass(frozen=True)
class PressureFrame:
    """Output of one pressure block.

    ``filtered`` ``(n, 1)`` in the configured unit (drift removed when enabled);
    ``rise_cmh2o`` ``(n,)`` above the resting level (what the strain logic uses);
    ``rest_cmh2o``: the resting level at the end of the block (nan until known).
    """

    filtered: np.ndarray
    rise_cmh2o: np.ndarray
    rest_cmh2o: float
    unit: str


class PressurePipeline:
    def __init__(self, fs: float, config: PressureConfig | None = None) -> None:
        self.fs = float(fs)
        self.config = config or PressureConfig()
        c = self.config
        self._lp = SosFilter(design_lowpass(fs, c.lowpass_hz, c.filter_order), 1,
                             start_steady=True)
        self._alpha = 1.0 - np.exp(-1.0 / (c.drift_tau_s * fs))
        self._scale = CMH2O_TO_MMHG if c.unit == "mmHg" else 1.0
        self._startup = max(1, int(round(fs)))
        self.reset()

    def reset(self) -> None:
        self._lp.reset()
        self.rest: float = float("nan")
        self.rest0: float = float("nan")
        self._first: list[np.ndarray] = []
        self._first_n = 0
        self._marked: list[np.ndarray] | None = None
        self._last = float("nan")
        self._last_valid = float("nan")  # the last sample held, for a NaN that follows

    def gap(self) -> None:
        """Lost samples: restart the filter, keep the resting level."""
        self._lp.reset()

    def mark_rest(self, active: bool) -> None:
        if active:
            self._marked = []
        elif self._marked is not None:
            vals = np.concatenate(self._marked) if self._marked else np.zeros(0)
            if len(vals):
                self.rest = float(np.median(vals))
                if np.isnan(self.rest0):
                    self.rest0 = self.rest
            self._marked = None

    @property
    def last_rise(self) -> float:
        return self._last

    def process(self, x: np.ndarray) -> PressureFrame:
        x = np.asarray(x, dtype=float)
        if x.ndim != 2 or x.shape[1] != 1:
            x = x.reshape(len(x), -1)[:, :1]
        if not math.isfinite(x.sum()):
            x, self._last_valid = _hold_nan(x, self._last_valid)
        elif len(x):
            self._last_valid = float(x[-1, 0])
        y = self._lp.process(x)[:, 0]
        if self._marked is not None:
            self._marked.append(y)
        known = 0  # the first sample of this block whose resting level is known
        if self.rest != self.rest and self._first_n < self._startup:  # rest nan: not known
            self._first.append(y[: self._startup - self._first_n])
            self._first_n += len(self._first[-1])
            known = len(self._first[-1])
            if self._first_n >= self._startup:
                self.rest = self.rest0 = float(np.median(np.concatenate(self._first)))
                self._first = []
        rest = self._track_rest(y, known)
        rise = y - rest
        out = y - (rest - self.rest0) if self.config.remove_drift else y
        if len(rise):
            self._last = float(rise[-1])
        scaled = out * self._scale if self._scale != 1.0 else out
        return PressureFrame(filtered=scaled[:, None], rise_cmh2o=rise,
                             rest_cmh2o=self.rest, unit=self.config.unit)

    def _track_rest(self, y: np.ndarray, known: int) -> np.ndarray:
        """Per-sample resting level, nan before sample ``known`` (the first second, whose
        median starts it, is not rewritten once known: live could not have); updated only by
        samples near rest (a one-pole tracker)."""
        r = np.full(len(y), np.nan)
        if self.rest != self.rest or known >= len(y):  # nan: not known yet
            return r
        if self._marked is not None:
            r[known:] = self.rest
            return r
        self.rest = rest_track(np.ascontiguousarray(y[known:], dtype=float), self.rest,
                               self._alpha, self.config.rest_band_cmh2o, r[known:])
        return r


def _hold_nan(x: np.ndarray, last: float) -> tuple[np.ndarray, float]:
    """Replace NaN by the previous valid value: the last one of the blocks before (``last``,
    nan at the start), else the first valid one of this block, else 0; and the last valid
    value now (so a NaN opening the next block holds the same value whatever the cut)."""
    x = x.copy()
    col = x[:, 0]
    bad = np.isnan(col)
    if bad.all():
        col[:] = 0.0 if last != last else last
        return x, last
    idx = np.where(~bad, np.arange(len(col)), 0)
    np.maximum.accumulate(idx, out=idx)
    first_valid = int(np.argmax(~bad))
    col[:first_valid] = col[first_valid] if last != last else last
    col[first_valid:] = col[idx[first_valid:]]
    return x, float(col[-1])
