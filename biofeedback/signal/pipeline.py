"""Streaming EMG conditioning: DC-free band-pass, optional mains notch, RMS envelope.

:class:`EmgPipeline` is the conditioning stage alone (the first API, kept as is);
:class:`biofeedback.signal.live.LiveProcessor` builds on the same stages and adds baseline,
detection, relaxation, quality and strain.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from biofeedback.signal.config import EmgConfig
from biofeedback.signal.envelope import RmsEnvelope
from biofeedback.signal.filters import SosFilter, design_bandpass, design_notch

__all__ = ["EmgConfig", "EmgFrame", "EmgPipeline"]


@dataclass(frozen=True)
class EmgFrame:
    """Output of one ``process`` call; arrays are ``(n_samples, n_channels)`` in µV.

    ``EmgPipeline`` fills ``filtered`` and ``envelope``; ``LiveProcessor`` fills the rest:
    ``relaxation`` ``(n,)`` 0..1 for the pelvic-floor channel (1 = at/below the resting
    baseline, 0 = at the person's contraction level, nan until the baseline is known);
    ``active`` ``(n,)`` contraction in progress; ``strain`` ``(n,)`` bearing-down flag;
    ``events`` contractions started, finished or updated in this block (latest version per
    id); ``quality`` the seconds of quality flags completed by this block.
    """

    filtered: np.ndarray
    envelope: np.ndarray
    relaxation: np.ndarray | None = None
    active: np.ndarray | None = None
    strain: np.ndarray | None = None
    events: list[Any] = field(default_factory=list)
    quality: list[Any] = field(default_factory=list)
    first_index: int = 0
    feedback: np.ndarray | None = None  # (n,) uint8 FeedbackState codes (LiveProcessor)


class EmgPipeline:
    """Stateful EMG conditioning for ``n_channels`` channels sampled at ``fs`` Hz."""

    def __init__(self, fs: float, n_channels: int = 1, config: EmgConfig | None = None) -> None:
        self.fs = float(fs)
        self.n_channels = n_channels
        self.config = config or EmgConfig()
        c = self.config
        sos = design_bandpass(fs, c.band_low_hz, c.band_high_hz, c.filter_order)
        if c.notch_hz:
            sos = np.vstack([sos, design_notch(fs, c.notch_hz, c.notch_harmonics, c.notch_q)])
        self._filter = SosFilter(sos, n_channels, start_steady=True)
        self._rms = RmsEnvelope(max(1, int(round(c.rms_window_s * fs))), n_channels)

    def reset(self) -> None:
        self._filter.reset()
        self._rms.reset()

    def process(self, x: np.ndarray) -> EmgFrame:
        x = np.asarray(x, dtype=float)
        if x.ndim == 1:
            x = x[:, None]
        if x.shape[1] != self.n_channels:
            raise ValueError(f"expected {self.n_channels} channels, got {x.shape[1]}")
        y = self._filter.process(x)
        return EmgFrame(filtered=y, envelope=self._rms.process(y))
