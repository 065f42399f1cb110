"""Filter design (pure functions returning SOS, done once per configuration; the formulas are
:mod:`biofeedback.signal.iir`, equal to scipy.signal's) and stateful causal filter stages
that carry their state across blocks of any size."""

from __future__ import annotations

import numpy as np

from biofeedback.signal.iir import butter_sos, notch_sos, sosfilt_zi
from biofeedback.signal.kernels import sosfilt_rows


def design_bandpass(fs: float, low_hz: float, high_hz: float, order: int = 4) -> np.ndarray:
    """Butterworth band-pass as second-order sections; ``high_hz`` is clipped below Nyquist."""
    nyq = fs / 2.0
    high = min(high_hz, 0.95 * nyq)
    if not 0 < low_hz < high:
        raise ValueError(f"band-pass {low_hz}-{high_hz} Hz does not fit fs={fs} Hz")
    return butter_sos(order, (low_hz, high), "bandpass", fs)


def design_lowpass(fs: float, cutoff_hz: float, order: int = 2) -> np.ndarray:
    """Butterworth low-pass as SOS; ``cutoff_hz`` is clipped below Nyquist."""
    cutoff = min(cutoff_hz, 0.45 * fs)
    if cutoff <= 0:
        raise ValueError(f"low-pass {cutoff_hz} Hz does not fit fs={fs} Hz")
    return butter_sos(order, cutoff, "lowpass", fs)


def design_notch(fs: float, mains_hz: float, harmonics: int = 3, q: float = 30.0) -> np.ndarray:
    """Cascaded IIR notches at the mains frequency and its harmonics below Nyquist."""
    sections = []
    for k in range(1, harmonics + 1):
        f0 = k * mains_hz
        if f0 >= 0.95 * fs / 2:
            break
        sections.append(notch_sos(f0, q, fs))
    if not sections:
        raise ValueError(f"mains {mains_hz} Hz is above Nyquist for fs={fs} Hz")
    return np.vstack(sections)


def one_pole_section(gain: float, pole: float) -> np.ndarray:
    """The one-pole filter ``y[n] = gain·x[n] + pole·y[n-1]`` as one SOS section: filtering
    with it gives ``scipy.signal.lfilter([gain], [1, -pole])``'s numbers (the section's other
    terms are exact zeros); its state is ``[pole·y[n-1], 0]``."""
    return np.array([[gain, 0.0, 0.0, 1.0, -pole, 0.0]])


class SosFilter:
    """Causal SOS filter that carries its state across blocks of any size.

    With ``start_steady=True`` the state is set, on the first sample after creation or
    :meth:`reset`, to the steady state for a constant input equal to that sample: a DC offset
    (e.g. a 12-bit ADC at mid-scale 2048) then passes a band-pass without a start-up ring,
    and a low-pass starts at the first value instead of rising from zero.

    Live blocks are small (40 samples), where ``scipy.signal.sosfilt``'s argument handling
    costs more than the filtering; the project's compiled kernel
    (:func:`biofeedback.signal.kernels.sosfilt_rows`) does the same arithmetic, so results are
    bit-identical to ``sosfilt`` (pinned by ``tests/test_signal/test_kernels.py``).
    """

    def __init__(self, sos: np.ndarray, n_channels: int, start_steady: bool = False) -> None:
        self.sos = np.ascontiguousarray(sos, dtype=float)
        self.n_channels = n_channels
        self.start_steady = start_steady
        # state laid out as the kernel wants it: (channels, sections, 2)
        self._zi_unit = sosfilt_zi(self.sos)[None, :, :] if start_steady else None
        self._zi: np.ndarray | None = None
        self.reset()

    def reset(self) -> None:
        if self.start_steady:
            self._zi = None
        else:
            self._zi = np.zeros((self.n_channels, self.sos.shape[0], 2))

    def process(self, x: np.ndarray) -> np.ndarray:
        """Filter ``x`` ``(n, n_channels)``; returns ``(n, n_channels)``."""
        if len(x) == 0:
            return np.zeros((0, self.n_channels))
        if not (x.flags.c_contiguous and x.dtype == np.float64):
            x = np.ascontiguousarray(x, dtype=float)
        if self._zi is None:
            self._zi = np.ascontiguousarray(self._zi_unit * x[0][:, None, None])
        y = np.empty(x.shape)
        sosfilt_rows(self.sos, x, self._zi, y)
        return y
