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
from biofeedback.signal.filters import SosFilter, design_lowpass, one_pole_section
from biofeedback.signal.kernels import sosfilt_rows


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
            x = _hold_nan(x, self._lp)
        y = self._lp.process(x)[:, 0]
        if self._marked is not None:
            self._marked.append(y)
        if self.rest != self.rest and self._first_n < self._startup:  # rest nan: not known
            self._first.append(y[: self._startup - self._first_n])
            self._first_n += len(self._first[-1])
            if self._first_n >= self._startup:
                self.rest = self.rest0 = float(np.median(np.concatenate(self._first)))
                self._first = []
        rest = self._track_rest(y)
        rise = y - rest
        out = y - (rest - self.rest0) if self.config.remove_drift else y
        if len(rise):
            self._last = float(rise[-1])
        scaled = out * self._scale if self._scale != 1.0 else out
        return PressureFrame(filtered=scaled[:, None], rise_cmh2o=rise,
                             rest_cmh2o=self.rest, unit=self.config.unit)

    def _track_rest(self, y: np.ndarray) -> np.ndarray:
        """Per-sample resting level; updated only by samples near rest (a one-pole tracker)."""
        if self.rest != self.rest:  # nan: not known yet
            return np.full(len(y), np.nan)
        band = self.config.rest_band_cmh2o
        if self._marked is not None or not len(y):
            return np.full(len(y), self.rest)
        if len(y) <= 16:  # live blocks hold 2 samples: a plain loop is cheapest
            r = np.empty(len(y))
            rest, alpha = self.rest, self._alpha
            for i, v in enumerate(y.tolist()):
                if abs(v - rest) <= band:
                    rest += alpha * (v - rest)
                r[i] = rest
            self.rest = rest
            return r
        near = np.abs(y - self.rest) <= band
        if not near.any():
            return np.full(len(y), self.rest)
        # one-pole tracker that moves only on "near" samples and holds between them
        zi = np.array([[[self.rest * (1 - self._alpha), 0.0]]])
        idx = np.flatnonzero(near)
        vals = np.ascontiguousarray(y[idx], dtype=float)[:, None]
        sosfilt_rows(one_pole_section(self._alpha, 1 - self._alpha), vals, zi, vals)
        vals = vals[:, 0]
        # hold the level between "near" samples
        r = np.full(len(y), np.nan)
        r[idx] = vals
        pos = np.where(np.isnan(r), -1, np.arange(len(r)))
        np.maximum.accumulate(pos, out=pos)
        r = np.where(pos >= 0, r[np.maximum(pos, 0)], self.rest)
        prev = float(r[-1])
        self.rest = prev
        return r


def _hold_nan(x: np.ndarray, lp: SosFilter) -> np.ndarray:
    """Replace NaN by the previous valid value (or the first valid one)."""
    x = x.copy()
    col = x[:, 0]
    bad = np.isnan(col)
    if bad.all():
        col[:] = 0.0
    else:
        idx = np.where(~bad, np.arange(len(col)), 0)
        np.maximum.accumulate(idx, out=idx)
        first_valid = int(np.argmax(~bad))
        col[:first_valid] = col[first_valid]
        col[:] = col[idx]
    return x
