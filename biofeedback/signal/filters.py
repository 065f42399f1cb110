"""Filter design (pure functions returning SOS) and stateful causal filter stages."""

from __future__ import annotations

import numpy as np
from scipy import signal as sps


def design_bandpass(fs: float, low_hz: float, high_hz: float, order: int = 4) -> np.ndarray:
    """Butterworth band-pass as second-order sections; ``high_hz`` is clipped below Nyquist."""
    nyq = fs / 2.0
    high = min(high_hz, 0.95 * nyq)
    if not 0 < low_hz < high:
        raise ValueError(f"band-pass {low_hz}-{high_hz} Hz does not fit fs={fs} Hz")
    return sps.butter(order, [low_hz, high], btype="bandpass", fs=fs, output="sos")


def design_notch(fs: float, mains_hz: float, harmonics: int = 3, q: float = 30.0) -> np.ndarray:
    """Cascaded IIR notches at the mains frequency and its harmonics below Nyquist."""
    sections = []
    for k in range(1, harmonics + 1):
        f0 = k * mains_hz
        if f0 >= 0.95 * fs / 2:
            break
        b, a = sps.iirnotch(f0, q, fs=fs)
        sections.append(sps.tf2sos(b, a))
    if not sections:
        raise ValueError(f"mains {mains_hz} Hz is above Nyquist for fs={fs} Hz")
    return np.vstack(sections)


class SosFilter:
    """Causal SOS filter that carries its state across blocks of any size."""

    def __init__(self, sos: np.ndarray, n_channels: int) -> None:
        self.sos = np.asarray(sos, dtype=float)
        self._zi = np.zeros((self.sos.shape[0], 2, n_channels))

    def reset(self) -> None:
        self._zi[:] = 0.0

    def process(self, x: np.ndarray) -> np.ndarray:
        y, self._zi = sps.sosfilt(self.sos, x, axis=0, zi=self._zi)
        return y
