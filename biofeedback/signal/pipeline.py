"""Streaming EMG pipeline: DC-blocking band-pass, optional mains notch, RMS envelope."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from biofeedback.signal.envelope import RmsEnvelope
from biofeedback.signal.filters import SosFilter, design_bandpass, design_notch


@dataclass(frozen=True)
class EmgConfig:
    """EMG conditioning settings; defaults from clinical.md §1 (20-450 Hz, RMS 250 ms display)."""

    band_low_hz: float = 20.0
    band_high_hz: float = 450.0
    filter_order: int = 4
    notch_hz: float | None = None  # 50 or 60 to enable; off by default (it removes real EMG)
    notch_harmonics: int = 3
    rms_window_s: float = 0.25


@dataclass(frozen=True)
class EmgFrame:
    """Output of one ``process`` call; arrays are ``(n_samples, n_channels)`` in µV."""

    filtered: np.ndarray
    envelope: np.ndarray


class EmgPipeline:
    """Stateful EMG conditioning for ``n_channels`` channels sampled at ``fs`` Hz."""

    def __init__(self, fs: float, n_channels: int = 1, config: EmgConfig | None = None) -> None:
        self.fs = float(fs)
        self.n_channels = n_channels
        self.config = config or EmgConfig()
        c = self.config
        sos = design_bandpass(fs, c.band_low_hz, c.band_high_hz, c.filter_order)
        if c.notch_hz:
            sos = np.vstack([sos, design_notch(fs, c.notch_hz, c.notch_harmonics)])
        self._filter = SosFilter(sos, n_channels)
        self._rms = RmsEnvelope(max(1, int(round(c.rms_window_s * fs))), n_channels)

    def process(self, x: np.ndarray) -> EmgFrame:
        x = np.asarray(x, dtype=float)
        if x.ndim == 1:
            x = x[:, None]
        if x.shape[1] != self.n_channels:
            raise ValueError(f"expected {self.n_channels} channels, got {x.shape[1]}")
        y = self._filter.process(x)
        return EmgFrame(filtered=y, envelope=self._rms.process(y))
