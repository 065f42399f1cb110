"""The one engine for live display and offline analysis.

The acquisition thread feeds every EMG block to :meth:`LiveProcessor.process_emg` and every
pressure block to :meth:`LiveProcessor.process_pressure`; :func:`biofeedback.signal.analyze`
feeds a whole recording through the same object in chunks. Results do not depend on how the
samples were cut into blocks (a property test feeds random block sizes).

Block-size independence is by construction: filters and envelopes carry exact state; the
baseline changes only at whole seconds (absolute sample indices), so blocks are split there
while it can still change; detection carries run lengths, not per-block decisions.

Gaps: a block whose ``first_index`` is not the expected next index (samples were lost, or the
source restarted) ends the current segment: an open contraction is closed at the last
received sample and marked ``truncated``, the current quality second is flagged DROPOUT,
filters and envelopes restart from the new samples (as at power-up, with ``settle_s`` ignored
by the baseline), and no event spans the gap. The baseline and user settings are kept.
NaN samples (a dropout inside a block) are replaced by the last valid value and flagged.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from biofeedback.signal.baseline import Baseline, BaselineEstimator
from biofeedback.signal.conditioning import EmgConditioner
from biofeedback.signal.config import PipelineConfig
from biofeedback.signal.detection import (
    ContractionEvent,
    HysteresisDetector,
    make_thresholds,
)
from biofeedback.signal.feedback_state import FeedbackState
from biofeedback.signal.filters import one_pole_section
from biofeedback.signal.hum import HumMonitor
from biofeedback.signal.kernels import sosfilt_rows
from biofeedback.signal.meter import MeterStage
from biofeedback.signal.peaks import ContractionPeaks
from biofeedback.signal.pipeline import EmgFrame
from biofeedback.signal.pressure import PressureFrame, PressurePipeline
from biofeedback.signal.quality import QualityFlag, QualityMonitor, QualitySecond, describe


@dataclass(frozen=True)
class ProcessorStatus:
    """A snapshot for the GUI (all µV values are RMS of the pelvic-floor channel)."""

    baseline_ready: bool
    baseline_mean_uv: float
    baseline_sd_uv: float
    baseline_source: str  # "auto", "marked" or "" before the baseline is known
    threshold_uv: float  # the "relax below" line (nan until known)
    threshold_is_user: bool
    relaxation: float  # 0..1, nan before the baseline is known
    relaxed_for_s: float
    relaxed: bool  # below the line for at least ``relaxed_hold_s``
    contraction_active: bool
    contraction_count: int
    strain: bool
    quality: QualityFlag
    quality_message: str  # the flags as machine names ("flat,hum", "ok"); app/wording.py words them
    hum_detected: bool
    hum_hz: float | None
    suggestion: str  # "notch" (hum measured, switch the notch on at hum_hz) or ""; words: app/
    last_index: int  # absolute index of the last EMG sample processed (-1 before any)
    pressure_rise_cmh2o: float = float("nan")
    notes: tuple[str, ...] = field(default_factory=tuple)
    baseline_provisional: bool = False  # automatic level not confirmed yet: never "relaxed"
    baseline_floor_uv: float = float("nan")  # lowest sustained level seen (µV RMS)
    feedback: FeedbackState = FeedbackState.SETTLING  # the meter's state at the last sample
    envelope_uv: float = float("nan")  # display envelope at the last sample
    scale_top_uv: float = float("nan")  # the person's contraction level the meter scales to
    max_uv: float = float("nan")  # largest contraction peak measured (for %MVC), nan before


def _hold_nan(x: np.ndarray, last: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Replace NaN/inf samples by the last valid value per channel; returns (x, mask)."""
    bad = ~np.isfinite(x)
    if not bad.any():
        return x, bad
    x = x.copy()
    n = len(x)
    for c in range(x.shape[1]):
        b = bad[:, c]
        if not b.any():
            continue
        idx = np.where(~b, np.arange(n), -1)
        np.maximum.accumulate(idx, out=idx)
        col = x[:, c]
        fill = last[c] if np.isfinite(last[c]) else (col[~b][0] if (~b).any() else 0.0)
        x[:, c] = np.where(idx >= 0, col[np.maximum(idx, 0)], fill)
    return x, bad


class LiveProcessor:
    """Stateful EMG (+ optional pressure) processing; see the module docstring.

    ``emg_channels``: names, channel 0 is the pelvic floor (``pfm``); an optional second is
    the accessory (abdominal) channel used by the strain flag.
    """

    def __init__(self, emg_fs: float, emg_channels: Sequence[str] = ("pfm",),
                 pressure_fs: float | None = None, config: PipelineConfig | None = None) -> None:
        if emg_fs <= 0:
            raise ValueError(f"sample rate must be > 0, got {emg_fs}")
        if not emg_channels:
            raise ValueError("need at least one EMG channel")
        self.fs = float(emg_fs)
        self.channels = tuple(emg_channels)
        self.n_channels = len(self.channels)
        self.pressure_fs = pressure_fs
        self.config = config or PipelineConfig()
        c = self.config
        fs = self.fs
        e = c.emg
        self.display_window = max(1, int(round(e.rms_window_s * fs)))
        self.detect_window = max(1, int(round(c.detection.window_s * fs)))
        d = c.detection
        # band-pass, notch and both envelopes: one compiled pass per block (conditioning.py)
        self._cond = EmgConditioner(fs, self.n_channels, e, self.display_window,
                                    self.detect_window, tkeo=d.tkeo)
        self._notch = self._cond.notch_sos if self._cond.has_notch else None
        self._smooth: np.ndarray | None = None  # the display envelope's optional smoother
        if e.display_smoothing_s > 0:
            a = float(np.exp(-1.0 / (e.display_smoothing_s * fs)))
            self._smooth = one_pole_section(1 - a, a)
        self.second_len = max(1, int(round(fs)))
        self._settle = int(round(c.baseline.settle_s * fs))
        self._baseline = BaselineEstimator(fs, self.n_channels, c.baseline)
        self._quality = QualityMonitor(fs, self.n_channels, c.quality)
        self._detector = HysteresisDetector(
            fs, m_on=int(round(d.min_on_s * fs)), m_off=int(round(d.min_off_s * fs)),
            lookback=int(round(d.lookback_s * fs)), window=self.detect_window,
            release_fraction=d.release_fraction, off_peak_fraction=d.off_peak_fraction,
            onset_lead=int(round((d.window_s / 4 if d.onset_lead_s is None else d.onset_lead_s)
                                 * fs)),
        )
        self._pressure = PressurePipeline(pressure_fs, c.pressure) if pressure_fs else None
        self._meter = MeterStage(fs, self.n_channels, c)
        self._peaks = ContractionPeaks()  # the person's contraction level, for the meter
        self._hum = HumMonitor(c.quality.hum_seconds, self._notch is not None)
        #: (absolute sample index, line µV) each time the line in force changes: what the
        #: person saw, for ``analyze --json`` feedback runs
        self.line_log: list[tuple[int, float]] = []
        self._reset_state()

    # -- control ---------------------------------------------------------------------------
    def _reset_state(self) -> None:
        self._next_index: int | None = None
        self._segment_start = 0
        self._last_valid = np.full(self.n_channels, np.nan)
        self._smooth_zi = np.zeros((self.n_channels, 1, 2))
        self._smooth_started = False
        self._last_rel = float("nan")
        self._active = False
        self._peaks.reset()
        self._meter.reset()
        self._hum.reset()
        self._last_fb = FeedbackState.SETTLING
        self._last_env_uv = float("nan")

    def _reset_stages(self) -> None:
        """Restart the filters and envelopes (after a gap or on reset): never bridge a jump."""
        self._cond.reset()

    def reset(self) -> None:
        """Forget everything measured (baseline included); settings and the user line stay."""
        self._reset_stages()
        self._baseline.reset()
        self._quality.reset()
        self._detector.reset()
        self._detector.thresholds = None
        if self._pressure is not None:
            self._pressure.reset()
        self._reset_state()

    def set_threshold_uv(self, value: float | None) -> None:
        """Move the "relax below" line (µV RMS); ``None`` returns to μ + k·σ of the baseline."""
        if value is not None and not (np.isfinite(value) and value > 0):
            raise ValueError(f"threshold must be a positive number of µV, got {value}")
        self._meter.user_threshold = None if value is None else float(value)
        self._log_line(self._next_index or 0)

    def mark_rest(self, active: bool) -> None:
        """Start (True) or end (False) a marked rest; its samples (re)compute the baseline."""
        self._baseline.mark(active)
        if self._pressure is not None:
            self._pressure.mark_rest(active)
        self._update_thresholds()

    @property
    def baseline(self) -> Baseline | None:
        return self._baseline.baseline

    @property
    def threshold_uv(self) -> float:
        if self._meter.user_threshold is not None:
            return self._meter.user_threshold
        b = self._baseline.baseline
        if b is None:
            return float("nan")
        return float(b.mean[0] + self.config.relaxation.k_threshold * b.sd[0])

    def _update_thresholds(self, index: int | None = None) -> None:
        """New baseline: new detector lines; ``index``: the first sample they apply to."""
        b = self._baseline.baseline
        if b is None:
            return
        self._meter.set_levels(b)
        d = self.config.detection
        self._detector.set_thresholds(make_thresholds(
            float(b.det_mean[0]), float(b.det_sd[0]), d.k_on, d.k_off, d.k_back, d.k_recovery,
            d.min_rise_uv))
        self._log_line(self._next_index or 0 if index is None else index)

    def _log_line(self, index: int) -> None:
        line = self.threshold_uv
        if np.isfinite(line) and (not self.line_log or self.line_log[-1][1] != line):
            if self.line_log and self.line_log[-1][0] == index:
                self.line_log[-1] = (index, line)
            else:
                self.line_log.append((index, line))

    # -- EMG -------------------------------------------------------------------------------
    def process_emg(self, x: np.ndarray, first_index: int,
                    out: Sequence[np.ndarray] | None = None) -> EmgFrame:
        """Process ``x`` ``(n, n_channels)`` µV whose first sample has absolute ``first_index``.

        ``out``: arrays of ``n`` samples to write the frame into (filtered, envelope,
        relaxation, active, strain, feedback: the frame's fields are then these arrays), so
        whole-recording analysis fills its result without copying each block; ``active``
        and ``strain`` must be all False on entry (fresh ``np.zeros``); ``relaxation`` may
        be None: it is then not written, the frame's is None, and the meter logs its scale
        instead (:meth:`log_relaxation`)."""
        x = np.asarray(x, dtype=float)
        if x.ndim == 1:
            x = x[:, None]
        if x.ndim != 2 or x.shape[1] != self.n_channels:
            raise ValueError(f"expected (n, {self.n_channels}) EMG samples, got {x.shape}")
        n = len(x)
        events: list[ContractionEvent] = []
        quality: list[QualitySecond] = []
        if self._next_index is not None and first_index != self._next_index:
            ev, q = self._gap(self._next_index)
            events += ev
            quality += q
        if self._next_index is None:
            self._segment_start = first_index
        self._next_index = first_index + n
        if n == 0:
            return EmgFrame(np.zeros((0, self.n_channels)), np.zeros((0, self.n_channels)),
                            np.zeros(0), np.zeros(0, bool), np.zeros(0, bool), events, quality,
                            first_index)
        if np.isfinite(x.sum()):
            bad = None
        else:
            x, bad = _hold_nan(x, self._last_valid)
        self._last_valid = x[-1]
        smooth = self._smooth is not None
        o_filt, o_env, rel, active, strain, fb = out if out is not None else (
            None, None, np.empty(n), np.zeros(n, dtype=bool), np.zeros(n, dtype=bool),
            np.empty(n, dtype=np.uint8))
        bp, y, env, det = self._cond.process(x, o_filt, None if smooth else o_env)
        det_pfm = det[:, 0]  # the detector follows the pelvic floor
        if smooth:
            if not self._smooth_started:  # start at the first value, not from zero
                self._smooth_zi[:, 0, 0] = env[0] * -self._smooth[0, 4]  # type: ignore[index]
                self._smooth_started = True
            smoothed = o_env if o_env is not None else np.empty_like(env)
            sosfilt_rows(self._smooth, np.ascontiguousarray(env), self._smooth_zi, smoothed)
            env = smoothed
        # split at whole seconds while the baseline may still change
        L = self.second_len
        cuts = [0]
        if self._baseline_may_change():
            b = (first_index // L + 1) * L - first_index
            cuts += list(range(b, n, L))
        cuts.append(n)
        for i0, i1 in itertools.pairwise(cuts):
            if i1 <= i0:
                continue
            a = first_index + i0
            self._baseline.feed(a, det[i0:i1], env[i0:i1], self._segment_start + self._settle)
            act = active[i0:i1]
            ev = self._detector.process(det_pfm[i0:i1], a, act)
            updates = (self._peaks.track(ev, env[i0:i1, 0], act, a, self._meter.add_peak)
                       if ev or self._detector.active else [])
            events += ev
            # the meter's scale changes at the sample where a contraction's end was confirmed,
            # whatever the block size: relax in sub-pieces around those samples
            j0 = i0
            for at, apply in updates:
                j1 = min(max(at + 1 - first_index, j0), i1)
                if j1 > j0:
                    self._relax(env[j0:j1], det[j0:j1], first_index + j0, _part(rel, j0, j1),
                                strain[j0:j1], fb[j0:j1])
                apply()
                j0 = j1
            if i1 > j0:
                self._relax(env[j0:i1], det[j0:i1], first_index + j0, _part(rel, j0, i1),
                            strain[j0:i1], fb[j0:i1])
            at_second = (a + (i1 - i0)) % L == 0
            if at_second and self._baseline_may_change() and self._baseline.end_second():
                self._update_thresholds(a + (i1 - i0))
        quality += self._quality.feed(first_index, x, bp, env, bad)
        self._note_quality(quality)
        self._last_rel = (float(rel[-1]) if rel is not None
                          else self._meter.relaxation_of(float(env[-1, 0])))
        self._last_fb = _STATES[int(fb[-1])]
        self._last_env_uv = float(env[-1, 0])
        self._active = bool(active[-1])
        return EmgFrame(bp if self._notch is None else y, env, rel, active, strain,
                        _latest(events), quality, first_index, fb)

    def finish(self) -> EmgFrame:
        """End of data: close an open contraction (truncated) and the last partial second."""
        events: list[ContractionEvent] = []
        quality: list[QualitySecond] = []
        if self._next_index is not None:
            events, quality = self._gap(self._next_index)
            self._next_index = None
        z = np.zeros((0, self.n_channels))
        return EmgFrame(z, z, np.zeros(0), np.zeros(0, bool), np.zeros(0, bool), events,
                        quality, -1)

    def log_relaxation(self) -> list[tuple[int, float, float]]:
        """From now on, log the relaxation's scale where it changes, for frames given no
        relaxation array: :func:`biofeedback.signal.meter.relaxation_trace` makes the
        per-sample relaxation from it and the envelope, identical to the frames'."""
        self._meter.rel_log = []
        return self._meter.rel_log

    def keep_periodograms(self, n_samples: int) -> np.ndarray:
        """Collect the quality check's half-second periodograms of channel 0 for the first
        ``n_samples`` (see :meth:`QualityMonitor.collect_periodograms`):
        :func:`biofeedback.signal.analyze` reuses them for the Welch metrics."""
        return self._quality.collect_periodograms(n_samples)

    def finish_periodograms(self) -> None:
        """After :meth:`finish`: the kept periodograms' unwritten rows become nan."""
        self._quality.finish_periodograms()

    def set_periodogram_sink(self, sink: Callable[[int, np.ndarray], None]) -> None:
        """Hand the quality check's half-second periodograms of channel 0 to ``sink(first
        row, rows)`` as they are computed (the bounded-memory form of
        :meth:`keep_periodograms`)."""
        self._quality.periodogram_sink = sink

    def detection_state(self) -> tuple[ContractionEvent | None, int | None, int]:
        """The open contraction, the id of the finished one whose recovery is awaited, and
        the delay (samples) after which a sample's contraction state is final."""
        d = self._detector
        return d.current, (d.awaiting.id if d.awaiting is not None else None), d.settled_delay

    def _baseline_may_change(self) -> bool:
        return self._baseline.may_change

    def _gap(self, end_index: int) -> tuple[list[ContractionEvent], list[QualitySecond]]:
        events = self._detector.finish(end_index)
        for _, apply in self._peaks.track(events, np.zeros(0), np.zeros(0, bool), 0,
                                          self._meter.add_peak):
            apply()
        quality = self._quality.flush_partial()
        self._note_quality(quality)
        bl = self._baseline
        if bl.may_change and bl.has_partial and bl.end_second():
            self._update_thresholds()
        self._reset_stages()
        self._quality.reset()
        self._smooth_started = False
        self._meter.reset_signal()
        self._active = False
        self._peaks.level = 0.0
        self._next_index = None
        return events, quality

    def _relax(self, env: np.ndarray, det: np.ndarray, a: int, rel: np.ndarray | None,
               strain: np.ndarray, fb: np.ndarray) -> None:
        """Relaxation, "below the line" run, strain flag and feedback state of one piece
        (:class:`~biofeedback.signal.meter.MeterStage`)."""
        rise = self._pressure.last_rise if self._pressure is not None else float("nan")
        self._meter.process(env, det, a, self._baseline.baseline, self._detector.thresholds,
                            rise, rel, strain, fb)

    def _note_quality(self, seconds: list[QualitySecond]) -> None:
        self._hum.note(seconds)

    # -- pressure --------------------------------------------------------------------------
    def process_pressure(self, x: np.ndarray, first_index: int) -> PressureFrame:
        """Process ``x`` ``(n, 1)`` cmH2O; a ``first_index`` jump restarts the filter."""
        if self._pressure is None:
            raise ValueError("this processor was created without a pressure sample rate")
        p = self._pressure
        expected = getattr(self, "_p_next", None)
        if expected is not None and first_index != expected:
            p.gap()
        self._p_next = first_index + len(x)
        return p.process(x)

    # -- status ----------------------------------------------------------------------------
    def status(self) -> ProcessorStatus:
        b = self._baseline.baseline
        last = -1 if self._next_index is None else self._next_index - 1
        relaxed_for = 0.0
        m = self._meter
        since = m.below_since
        if since is not None and last >= 0 and self._last_fb != FeedbackState.SETTLING:
            relaxed_for = (last + 1 - since) / self.fs
        q = self._hum.last
        flag = q.flags[0] if q is not None else QualityFlag.OK
        suggestion = "" if self._hum.suggest_notch_hz is None else "notch"
        rise = self._pressure.last_rise if self._pressure is not None else float("nan")
        return ProcessorStatus(
            baseline_ready=b is not None,
            baseline_mean_uv=float(b.mean[0]) if b is not None else float("nan"),
            baseline_sd_uv=float(b.sd[0]) if b is not None else float("nan"),
            baseline_source=b.source if b is not None else "",
            threshold_uv=self.threshold_uv,
            threshold_is_user=m.user_threshold is not None,
            relaxation=self._last_rel,
            relaxed_for_s=relaxed_for,
            relaxed=relaxed_for >= self.config.relaxation.relaxed_hold_s,
            contraction_active=self._active,
            contraction_count=self._peaks.finished + (1 if self._detector.current else 0),
            strain=m.straining,
            quality=flag,
            quality_message=describe(flag),
            hum_detected=self._hum.detected,
            hum_hz=self._hum.hz,
            suggestion=suggestion,
            last_index=last,
            pressure_rise_cmh2o=rise,
            baseline_provisional=bool(b is not None and b.provisional),
            baseline_floor_uv=float(b.floor) if b is not None else float("nan"),
            feedback=self._last_fb,
            envelope_uv=float(self._last_env_uv),
            scale_top_uv=m.scale_top() if b is not None else float("nan"),
            max_uv=m.max_peak,
        )


_STATES = tuple(FeedbackState)  # code -> state, without the enum call per block


def _part(a: np.ndarray | None, i0: int, i1: int) -> np.ndarray | None:
    return None if a is None else a[i0:i1]


def _latest(events: list[ContractionEvent]) -> list[ContractionEvent]:
    latest: dict[int, ContractionEvent] = {}
    for ev in events:
        latest[ev.id] = ev
    return list(latest.values())


__all__ = ["LiveProcessor", "ProcessorStatus"]
