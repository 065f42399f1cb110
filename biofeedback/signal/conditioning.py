"""EMG conditioning as one stage: band-pass, optional mains notch, RMS envelopes.

:class:`EmgConditioner` is what :class:`biofeedback.signal.live.LiveProcessor` runs on every
EMG block before baseline, detection and quality. Without the TKEO detector the whole stage is
one compiled pass (:func:`biofeedback.signal.kernels.condition`): band-pass → notch → running
sum of squares → the display and detection RMS. With the TKEO the detection envelope is the
RMS of ``sqrt(TKEO(y))`` and runs as a second step. Results are bit-identical to running
:class:`SosFilter` and :class:`MultiRms` one after the other (and to ``scipy.signal.sosfilt``
and ``np.cumsum``), for any cut of the input into blocks.
"""

from __future__ import annotations

import numpy as np

from biofeedback.signal.config import EmgConfig
from biofeedback.signal.envelope import MultiRms, Tkeo, history_rows
from biofeedback.signal.filters import design_bandpass, design_notch
from biofeedback.signal.iir import sosfilt_zi
from biofeedback.signal.kernels import condition


class EmgConditioner:
    """Stateful conditioning of ``n_channels`` EMG channels at ``fs`` Hz.

    :meth:`process` returns ``(bp, y, env, det)``, each ``(n, n_channels)``: band-passed,
    notched (``y is bp`` without a notch), display RMS over ``display_window`` samples and the
    detection envelope over ``detect_window`` samples.
    """

    def __init__(self, fs: float, n_channels: int, emg: EmgConfig, display_window: int,
                 detect_window: int, tkeo: bool = False) -> None:
        self.n_channels = n_channels
        self.bp_sos = np.ascontiguousarray(
            design_bandpass(fs, emg.band_low_hz, emg.band_high_hz, emg.filter_order), dtype=float)
        self.notch_sos = (np.ascontiguousarray(
            design_notch(fs, emg.notch_hz, emg.notch_harmonics, emg.notch_q), dtype=float)
            if emg.notch_hz else np.zeros((0, 6)))
        self._bp_unit = sosfilt_zi(self.bp_sos)[None, :, :]
        self._notch_unit = (np.ascontiguousarray(sosfilt_zi(self.notch_sos))
                            if len(self.notch_sos) else np.zeros((0, 2)))
        self.has_notch = len(self.notch_sos) > 0
        self.tkeo = tkeo
        windows = [display_window] if tkeo else [display_window, detect_window]
        self._windows = np.array(windows, dtype=np.int64)
        self._hist = np.zeros((history_rows(max(windows)), n_channels))
        self._tkeo = Tkeo(n_channels) if tkeo else None
        self._det_rms = MultiRms([detect_window], n_channels) if tkeo else None
        self._det_work: np.ndarray | None = None
        self.reset()

    def reset(self) -> None:
        """Restart from the next sample (after a gap): filters at the steady state of that
        sample, envelopes empty."""
        self._bp_zi: np.ndarray | None = None
        self._notch_zi = np.zeros((self.n_channels, len(self.notch_sos), 2))
        self._hist[:] = 0.0
        self._count = np.zeros(2, dtype=np.int64)  # samples since reset, notch started
        if self._tkeo is not None:
            self._tkeo.reset()
            self._det_rms.reset()  # type: ignore[union-attr]

    def _work(self, n: int) -> np.ndarray:
        """The detection envelope's array for ``n`` samples, reused from block to block: it
        is only read until the next block (fresh megabyte arrays per minute of samples cost
        more than their arithmetic)."""
        w = self._det_work
        if w is None or len(w) < n:
            w = self._det_work = np.empty((n, self.n_channels))
        return w[:n]

    def process(self, x: np.ndarray, filtered: np.ndarray | None = None,
                envelope: np.ndarray | None = None
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Condition finite samples ``x`` ``(n, n_channels)``, ``n >= 1``. ``filtered`` and
        ``envelope`` (``(n, n_channels)``, optional): where to write ``y`` and the display
        envelope (e.g. the caller's whole-recording arrays, saving a copy)."""
        if not (x.flags.c_contiguous and x.dtype == np.float64):
            x = np.ascontiguousarray(x, dtype=float)
        n, c = x.shape
        if self._bp_zi is None:
            self._bp_zi = np.ascontiguousarray(self._bp_unit * x[0][:, None, None])
        if self.has_notch:
            bp = np.empty((n, c))
            y = filtered if filtered is not None else np.empty((n, c))
        else:
            bp = y = filtered if filtered is not None else np.empty((n, c))
        env = envelope if envelope is not None else np.empty((n, c))
        det = self._work(n) if self._tkeo is None else env
        condition(x, self.bp_sos, self._bp_zi, self.notch_sos, self._notch_zi,
                  self._notch_unit, self._hist, self._count, self._windows, bp, y, env, det)
        if self._tkeo is None:
            return bp, y, env, det
        (det,) = self._det_rms.process(np.sqrt(self._tkeo.process(y)))  # type: ignore[union-attr]
        return bp, y, env, det
