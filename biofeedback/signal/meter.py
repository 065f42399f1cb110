"""The meter stage: relaxation, the "relaxed" stretch, a release in progress, the strain
flag and the feedback state per sample (docs/signal.md, "Relaxation" and "Feedback state").

:class:`MeterStage` is what :class:`~biofeedback.signal.live.LiveProcessor` runs on every
piece of EMG after detection. Its per-sample rules are compiled
(:func:`~biofeedback.signal.feedback_kernel.meter_states` and
:func:`~biofeedback.signal.feedback_kernel.strain_states`); its state (the stretch, the
"falling" history, the strain run, the person's contraction level) is carried across
pieces, so results do not depend on how the samples were cut.
"""

from __future__ import annotations

import math
from collections import deque

import numpy as np

from biofeedback.signal.baseline import Baseline
from biofeedback.signal.config import PipelineConfig
from biofeedback.signal.detection import Thresholds
from biofeedback.signal.feedback_kernel import meter_states, strain_states
from biofeedback.signal.feedback_state import FeedbackState


class MeterStage:
    """Per-sample meter state of the pelvic-floor channel (plus strain from the abdominal
    channel and pressure); see the module docstring."""

    def __init__(self, fs: float, n_channels: int, config: PipelineConfig) -> None:
        self.fs = fs
        self.n_channels = n_channels
        self.config = config
        c = config
        self.excursion_n = max(1, int(round(c.relaxation.excursion_s * fs)))
        self.strain_len = max(1, int(round(c.strain.min_s * fs)))
        self.fall_n = max(1, int(round(1.0 * fs)))  # "falling" looks back 1 s
        self.range_factor = c.relaxation.default_range_factor
        self.strain_cmh2o = c.strain.pressure_rise_cmh2o
        self.user_threshold: float | None = None
        #: when a list (offline analysis keeping traces): the relaxation's scale and offset
        #: from each sample on where they change, ``(index, scale, offset)``; relaxation is
        #: then ``clip(e·scale + offset, 0, 1)`` (nan scale: nan), computed only if asked
        self.rel_log: list[tuple[int, float, float]] | None = None
        self.mu = self.auto_thr = float("nan")
        self.abd_mu = self.abd_hi = float("inf")
        self.reset()

    def reset(self) -> None:
        """Forget the person's levels and the signal (settings stay)."""
        self.peaks: deque[float] = deque(maxlen=self.config.relaxation.range_events)
        self.top: float | None = None  # mean contraction peak, the meter's 0 point
        self.max_peak = float("nan")  # largest contraction peak (display envelope)
        # the "relaxed" stretch: [below_since (-1: none), above-run length, big seen in run]
        self.rstate = np.array([-1, 0, 0], dtype=np.int64)
        self.fall_buf = np.full(self.fall_n, np.nan)  # the envelope k samples ago, by index
        self.fstate = np.array([0.0, np.inf])  # a release in progress, its lowest level
        self.srun = np.zeros(1, dtype=np.int64)  # strain run carried across pieces
        self._scale = (math.nan, math.nan)  # the last piece's relaxation scale and offset

    def reset_signal(self) -> None:
        """A gap: the runs and the history restart, the person's levels stay."""
        self.rstate[:] = (-1, 0, 0)
        self.srun[0] = 0
        self.fall_buf[:] = np.nan
        self.fstate[:] = (0.0, np.inf)

    def set_levels(self, b: Baseline) -> None:
        """A new baseline: the line and the strain references."""
        d = self.config.detection
        self.mu = float(b.mean[0])
        self.auto_thr = float(b.mean[0] + self.config.relaxation.k_threshold * b.sd[0])
        if self.n_channels > 1:
            self.abd_mu = float(b.det_mean[1])
            self.abd_hi = float(b.det_mean[1] + d.k_on * b.det_sd[1])

    @property
    def line(self) -> float:
        """The "relax below" line in force (nan before the baseline is known)."""
        return self.user_threshold if self.user_threshold is not None else self.auto_thr

    @property
    def below_since(self) -> int | None:
        """Absolute index where the current relaxed stretch began (None: not relaxed)."""
        v = int(self.rstate[0])
        return None if v < 0 else v

    @property
    def straining(self) -> bool:
        return bool(self.srun[0] >= self.strain_len)

    def add_peak(self, peak: float) -> None:
        """A finished contraction's largest display envelope: the meter's scale follows."""
        self.peaks.append(peak)
        self.top = _mean(self.peaks)
        if not peak <= self.max_peak:  # nan-safe max
            self.max_peak = peak

    def scale_top(self) -> float:
        """The contraction level the meter scales to: the mean peak of the person's last
        contractions, else μ × ``default_range_factor``; never closer than 2 × the line."""
        top = self.top if self.top is not None else self.mu * self.range_factor
        thr = self.line
        return max(top, 2.0 * thr) if math.isfinite(thr) else top

    def process(self, env: np.ndarray, det: np.ndarray, a: int, b: Baseline | None,
                t: Thresholds | None, pressure_rise: float, rel: np.ndarray | None,
                strain: np.ndarray, fb: np.ndarray) -> None:
        """Fill ``rel``, ``strain`` (all False on entry) and ``fb`` for one piece whose
        first sample has absolute index ``a``; ``rel`` None: not written (see ``rel_log``)."""
        e0 = env[:, 0]
        out = rel if rel is not None else _NO_REL
        if b is None:
            # only the "falling" history runs before a baseline exists
            meter_states(e0, a, True, 0.0, 0.0, 0.0, 0.0, 0.0, 1, self.fall_buf, self.fstate,
                         self.rstate, strain, out, fb, rel is not None)
            if rel is not None:
                rel[:] = np.nan
            self._scale = (math.nan, math.nan)
            self._log_scale(a)
            return
        p_strain = pressure_rise > self.strain_cmh2o  # False for nan
        if t is not None and not p_strain and self.n_channels == 1:
            self.srun[0] = 0  # no pressure rise, no abdominal channel: no strain, no pass
        elif t is not None:
            strain_states(det, p_strain, self.n_channels > 1, t.hi, self.abd_hi, t.mean,
                          self.abd_mu, self.strain_len, self.srun, strain)
        mu = self.mu
        top = self.scale_top()
        inv = 1.0 / max(top - mu, 1e-9)
        thr = self.line
        # a guarded start is not rest: no "relaxed" (and no relaxed-for count) until the
        # automatic level is confirmed; a line the clinician set is trusted as it is
        provisional = bool(b.provisional and self.user_threshold is None)
        self._scale = (-inv, 1.0 + mu * inv)
        meter_states(e0, a, provisional, self._scale[0], self._scale[1], thr,
                     thr + 0.25 * (top - thr), thr + 0.5 * (top - thr), self.excursion_n,
                     self.fall_buf, self.fstate, self.rstate, strain, out, fb, rel is not None)
        self._log_scale(a)

    def _log_scale(self, a: int) -> None:
        log = self.rel_log
        if log is not None and (not log or log[-1][1:] != self._scale):
            if log and log[-1][0] == a:
                log[-1] = (a, *self._scale)
            else:
                log.append((a, *self._scale))

    def relaxation_of(self, e: float) -> float:
        """The relaxation the last piece gave an envelope value ``e`` (the kernel's
        arithmetic)."""
        scale, offset = self._scale
        if scale != scale:
            return math.nan
        return min(max(e * scale + offset, 0.0), 1.0)


def relaxation_trace(envelope: np.ndarray, log: list[tuple[int, float, float]]) -> np.ndarray:
    """Relaxation per sample from the pelvic-floor envelope and the meter's ``rel_log``:
    the same two operations and clip as the meter's kernel, so the values are identical."""
    out = np.empty(len(envelope))
    out[:log[0][0] if log else len(out)] = np.nan  # (before the first piece: none)
    for i, (a, scale, offset) in enumerate(log):
        b = log[i + 1][0] if i + 1 < len(log) else len(envelope)
        if b <= a:
            continue
        if scale != scale:
            out[a:b] = np.nan
        else:
            np.multiply(envelope[a:b], scale, out=out[a:b])
            out[a:b] += offset
            np.clip(out[a:b], 0.0, 1.0, out=out[a:b])
    return out


_NO_REL = np.empty(0)  # the kernel's relaxation argument when it is not written


def _mean(values: deque[float]) -> float:
    """``np.mean`` of a few floats without making an array of them (once per contraction):
    numpy adds fewer than eight values one after the other, as this loop does; more are
    added in numpy's pairwise order (``np.add.reduce``)."""
    if len(values) >= 8:
        return float(np.mean(values))
    total = 0.0
    for v in values:
        total += v
    return total / len(values)


__all__ = ["FeedbackState", "MeterStage"]
