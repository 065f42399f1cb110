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
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import signal as sps

from biofeedback.signal.baseline import Baseline, BaselineEstimator
from biofeedback.signal.conditioning import EmgConditioner
from biofeedback.signal.config import PipelineConfig
from biofeedback.signal.detection import (
    ContractionEvent,
    HysteresisDetector,
    make_thresholds,
)
from biofeedback.signal.feedback_kernel import falling_states, relaxed_states
from biofeedback.signal.feedback_state import FeedbackState
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
    quality_message: str
    hum_detected: bool
    hum_hz: float | None
    suggestion: str  # e.g. switch the notch on; "" when nothing to suggest
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
        self._smooth_b = self._smooth_a = None
        if e.display_smoothing_s > 0:
            a = np.exp(-1.0 / (e.display_smoothing_s * fs))
            self._smooth_b, self._smooth_a = np.array([1 - a]), np.array([1.0, -a])
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
        self._user_threshold: float | None = None
        #: (absolute sample index, line µV) each time the line in force changes: what the
        #: person saw, for ``analyze --json`` feedback runs
        self.line_log: list[tuple[int, float]] = []
        self._range_factor = c.relaxation.default_range_factor
        self._strain_cmh2o = c.strain.pressure_rise_cmh2o
        self._mu = self._auto_thr = float("nan")
        self._strain_len = max(1, int(round(c.strain.min_s * fs)))
        self._abd_mu = self._abd_hi = float("inf")
        self._reset_state()

    # -- control ---------------------------------------------------------------------------
    def _reset_state(self) -> None:
        self._next_index: int | None = None
        self._segment_start = 0
        self._last_valid = np.full(self.n_channels, np.nan)
        self._smooth_zi = np.zeros((1, self.n_channels))
        self._smooth_started = False
        # the "relaxed" stretch: [below_since (-1: none), above-run length, big seen in run]
        self._rstate = np.array([-1, 0, 0], dtype=np.int64)
        self._excursion_n = max(1, int(round(self.config.relaxation.excursion_s * self.fs)))
        self._last_env = np.full(self.n_channels, np.nan)
        self._last_rel = float("nan")
        self._strain_run = 0
        self._strain = False
        self._active = False
        self._disp_peak = 0.0
        self._peaks: deque[float] = deque(maxlen=self.config.relaxation.range_events)
        self._n_events = 0
        self._recent_q: deque[QualitySecond] = deque(maxlen=5)
        self._last_q: QualitySecond | None = None
        self._hum = False
        self._hum_hz: float | None = None
        self._suggestion = ""
        self._top: float | None = None  # mean contraction peak, the meter's 0 point
        self._max_peak = float("nan")  # largest contraction peak (display envelope)
        self._fall_n = max(1, int(round(1.0 * self.fs)))  # "falling" looks back 1 s
        self._fall_buf = np.full(self._fall_n, np.nan)  # the envelope k samples ago, by index
        self._fstate = np.array([0.0, np.inf])  # a release in progress, its lowest level
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
        self._user_threshold = None if value is None else float(value)
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
        if self._user_threshold is not None:
            return self._user_threshold
        b = self._baseline.baseline
        if b is None:
            return float("nan")
        return float(b.mean[0] + self.config.relaxation.k_threshold * b.sd[0])

    def _update_thresholds(self, index: int | None = None) -> None:
        """New baseline: new detector lines; ``index``: the first sample they apply to."""
        b = self._baseline.baseline
        if b is None:
            return
        self._mu = float(b.mean[0])
        self._auto_thr = float(b.mean[0] + self.config.relaxation.k_threshold * b.sd[0])
        d = self.config.detection
        if self.n_channels > 1:
            self._abd_mu = float(b.det_mean[1])
            self._abd_hi = float(b.det_mean[1] + d.k_on * b.det_sd[1])
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
    def process_emg(self, x: np.ndarray, first_index: int) -> EmgFrame:
        """Process ``x`` ``(n, n_channels)`` µV whose first sample has absolute ``first_index``."""
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
        bp, y, env, det = self._cond.process(x)
        det_pfm = det[:, 0]  # the detector follows the pelvic floor
        if self._smooth_b is not None:
            if not self._smooth_started:
                self._smooth_zi = env[:1] * (-self._smooth_a[1])  # type: ignore[index]
                self._smooth_started = True
            env, self._smooth_zi = sps.lfilter(self._smooth_b, self._smooth_a, env, axis=0,
                                               zi=self._smooth_zi)
        rel = np.empty(n)
        active = np.zeros(n, dtype=bool)
        strain = np.zeros(n, dtype=bool)
        fb = np.empty(n, dtype=np.uint8)
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
            updates = self._track_peaks(ev, env[i0:i1, 0], act) if ev or self._detector.active \
                else []
            events += ev
            # the meter's scale changes at the sample where a contraction's end was confirmed,
            # whatever the block size: relax in sub-pieces around those samples
            j0 = i0
            for at, apply in updates:
                j1 = min(max(at + 1 - first_index, j0), i1)
                if j1 > j0:
                    self._relax(env[j0:j1], det[j0:j1], first_index + j0, rel[j0:j1],
                                strain[j0:j1], fb[j0:j1])
                apply()
                j0 = j1
            if i1 > j0:
                self._relax(env[j0:i1], det[j0:i1], first_index + j0, rel[j0:i1],
                            strain[j0:i1], fb[j0:i1])
            at_second = (a + (i1 - i0)) % L == 0
            if at_second and self._baseline_may_change() and self._baseline.end_second():
                self._update_thresholds(a + (i1 - i0))
        quality += self._quality.feed(first_index, x, bp, env, bad)
        self._note_quality(quality)
        self._last_rel = float(rel[-1])
        self._last_fb = FeedbackState(int(fb[-1]))
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

    def keep_periodograms(self, n_samples: int) -> np.ndarray:
        """Collect the quality check's half-second periodograms of channel 0 for the first
        ``n_samples`` (see :meth:`QualityMonitor.collect_periodograms`):
        :func:`biofeedback.signal.analyze` reuses them for the Welch metrics."""
        return self._quality.collect_periodograms(n_samples)

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
        for _, apply in self._track_peaks(events, np.zeros(0), np.zeros(0, bool)):
            apply()
        quality = self._quality.flush_partial()
        self._note_quality(quality)
        bl = self._baseline
        if bl.may_change and bl.has_partial and bl.end_second():
            self._update_thresholds()
        self._reset_stages()
        self._quality.reset()
        self._smooth_started = False
        self._rstate[:] = (-1, 0, 0)
        self._strain_run = 0
        self._fall_buf[:] = np.nan
        self._fstate[:] = (0.0, np.inf)
        self._active = False
        self._disp_peak = 0.0
        self._next_index = None
        return events, quality

    def _track_peaks(self, events: list[ContractionEvent], env0: np.ndarray,
                     act: np.ndarray) -> list[tuple[int, Callable[[], None]]]:
        """Largest display envelope during each contraction = the person's contraction level.

        Returns, per finished contraction, the sample its end was confirmed at and the update
        of the meter's scale to apply from the next sample on (the caller applies it in order).
        """
        if act.any():
            self._disp_peak = max(self._disp_peak, float(env0[act].max()))
        out: list[tuple[int, Callable[[], None]]] = []
        for ev in events:
            if ev.complete and ev.id > self._n_events:
                self._n_events = ev.id
                peak, self._disp_peak = self._disp_peak, 0.0
                if peak > 0:
                    at = ev.confirmed_index if ev.confirmed_index is not None else -1
                    out.append((at, lambda p=peak: self._add_peak(p)))
        return out

    def _add_peak(self, peak: float) -> None:
        self._peaks.append(peak)
        self._top = float(np.mean(self._peaks))
        if not peak <= self._max_peak:  # nan-safe max
            self._max_peak = peak

    @property
    def _below_since(self) -> int | None:
        """Absolute index where the current relaxed stretch began (None: not relaxed)."""
        v = int(self._rstate[0])
        return None if v < 0 else v

    def _track_below(self, e0: np.ndarray, thr: float, big: float, a: int) -> np.ndarray:
        """"Relaxed" per sample, and the stretch carried across blocks.

        With the line at μ+1σ a resting envelope pokes above it ~16 % of the time, so a stretch
        only breaks when the envelope stays above the line for ``excursion_s`` or longer, or
        rises clearly above it (over ``big`` µV: a contraction, not noise); shorter excursions
        count as part of the relaxed stretch. A stretch starts at the first sample at or below
        the line (the meter turns relaxed the moment the envelope crosses it). Compiled:
        :func:`biofeedback.signal.feedback_kernel.relaxed_states`.
        """
        out = np.empty(len(e0), dtype=np.bool_)
        relaxed_states(e0, a, thr, big, self._excursion_n, self._rstate, out)
        return out

    def _clear_relaxed(self) -> None:
        self._rstate[:] = (-1, 0, 0)

    def _relax(self, env: np.ndarray, det: np.ndarray, a: int, rel: np.ndarray,
               strain: np.ndarray, fb: np.ndarray) -> None:
        """Relaxation meter, "below the line" run, strain flag and feedback state of one piece."""
        b = self._baseline.baseline
        e0 = env[:, 0]
        falling = self._falling(e0, a)
        if b is None:
            rel[:] = np.nan
            fb[:] = FeedbackState.SETTLING
            self._clear_relaxed()
            return
        mu = self._mu
        top = self._scale_top()
        inv = 1.0 / max(top - mu, 1e-9)
        np.multiply(e0, -inv, out=rel)  # 1 - (e - μ)/(top - μ), clipped to 0..1
        rel += 1.0 + mu * inv
        np.maximum(rel, 0.0, out=rel)
        np.minimum(rel, 1.0, out=rel)
        thr = self._user_threshold if self._user_threshold is not None else self._auto_thr
        self._strain_flags(det, strain)
        if b.provisional and self._user_threshold is None:
            # a guarded start is not rest: no "relaxed" (and no relaxed-for count) until the
            # automatic level is confirmed; a line the clinician set is trusted as it is
            self._clear_relaxed()
            fb[:] = FeedbackState.SETTLING
        else:
            relaxed = self._track_below(e0, thr, thr + 0.25 * (top - thr), a)
            lower_half = e0 <= thr + 0.5 * (top - thr)
            fb[:] = np.where(relaxed, FeedbackState.RELAXED,
                             np.where(lower_half | falling, FeedbackState.LETTING_GO,
                                      FeedbackState.TIGHT))
        fb[strain] = FeedbackState.BEARING_DOWN

    def _scale_top(self) -> float:
        """The contraction level the meter scales to: the mean peak of the person's last
        contractions, else μ × ``default_range_factor``; never closer than 2 × the line."""
        top = self._top if self._top is not None else self._mu * self._range_factor
        thr = self._user_threshold if self._user_threshold is not None else self._auto_thr
        return max(top, 2.0 * thr) if np.isfinite(thr) else top

    def _falling(self, e0: np.ndarray, a: int) -> np.ndarray:
        """Per sample: a release in progress [D].

        It starts when the envelope is 20 % below its value 1 s earlier (a steady hold
        fluctuates by about ±10 %; even a slow release, τ = 3 s, falls ~28 % per second) and
        lasts until the envelope climbs 15 % above its lowest value since, so a slow release
        reads "letting go" all the way down instead of flickering with the noise. Compiled:
        :func:`biofeedback.signal.feedback_kernel.falling_states`.
        """
        out = np.empty(len(e0), dtype=np.bool_)
        falling_states(e0, a, self._fall_buf, self._fstate, out)
        return out

    def _strain_flags(self, det: np.ndarray, strain: np.ndarray) -> None:
        """Strain: abdominal rises more than the pelvic floor, or pressure up without PFM."""
        t = self._detector.thresholds
        if t is None:
            return
        n = len(det)
        rise = self._pressure.last_rise if self._pressure is not None else float("nan")
        p_strain = rise > self._strain_cmh2o  # False for nan
        abd = self.n_channels > 1 and det[:, 1].max() > self._abd_hi
        if not (p_strain or abd):
            self._strain_run = 0
            return
        cond = np.zeros(n, dtype=bool)
        if p_strain:
            cond |= det[:, 0] <= t.hi
        if abd:
            # relative rise: det_abd/μ_abd > det_pfm/μ_pfm, without divisions
            cond |= (det[:, 1] > self._abd_hi) & (det[:, 1] * t.mean > det[:, 0] * self._abd_mu)
        m = self._strain_len
        idx = np.arange(n)
        last_false = np.maximum.accumulate(np.where(cond, -1 - self._strain_run, idx))
        run = idx - last_false
        strain[:] = run >= m
        self._strain_run = int(run[-1])

    def _note_quality(self, seconds: list[QualitySecond]) -> None:
        """Keep the last seconds and derive the hum state once per second, not per status()."""
        if not seconds:
            return
        for q in seconds:
            self._recent_q.append(q)
            self._last_q = q
        hum_secs = [s for s in self._recent_q if s.flag & QualityFlag.HUM]
        self._hum = len(hum_secs) >= self.config.quality.hum_seconds and self._notch is None
        self._hum_hz = hum_secs[-1].hum_hz if (self._hum and hum_secs) else None
        self._suggestion = ""
        if self._hum and self._hum_hz:
            hz = self._hum_hz
            self._suggestion = (f"Mains hum at {hz:.0f} Hz is measured: switch the {hz:.0f} Hz "
                                "notch on.")

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
        if self._below_since is not None and last >= 0 and self._last_fb != FeedbackState.SETTLING:
            relaxed_for = (last + 1 - self._below_since) / self.fs
        q = self._last_q
        flag = q.flags[0] if q is not None else QualityFlag.OK
        hum, hum_hz, suggestion = self._hum, self._hum_hz, self._suggestion
        rise = self._pressure.last_rise if self._pressure is not None else float("nan")
        return ProcessorStatus(
            baseline_ready=b is not None,
            baseline_mean_uv=float(b.mean[0]) if b is not None else float("nan"),
            baseline_sd_uv=float(b.sd[0]) if b is not None else float("nan"),
            baseline_source=b.source if b is not None else "",
            threshold_uv=self.threshold_uv,
            threshold_is_user=self._user_threshold is not None,
            relaxation=self._last_rel,
            relaxed_for_s=relaxed_for,
            relaxed=relaxed_for >= self.config.relaxation.relaxed_hold_s,
            contraction_active=self._active,
            contraction_count=self._n_events + (1 if self._detector.current else 0),
            strain=bool(self._strain_run >= max(1, int(round(self.config.strain.min_s
                                                                * self.fs)))),
            quality=flag,
            quality_message=describe(flag),
            hum_detected=hum,
            hum_hz=hum_hz,
            suggestion=suggestion,
            last_index=last,
            pressure_rise_cmh2o=rise,
            baseline_provisional=bool(b is not None and b.provisional),
            baseline_floor_uv=float(b.floor) if b is not None else float("nan"),
            feedback=self._last_fb,
            envelope_uv=float(self._last_env_uv),
            scale_top_uv=self._scale_top() if b is not None else float("nan"),
            max_uv=self._max_peak,
        )


def _latest(events: list[ContractionEvent]) -> list[ContractionEvent]:
    latest: dict[int, ContractionEvent] = {}
    for ev in events:
        latest[ev.id] = ev
    return list(latest.values())


__all__ = ["LiveProcessor", "ProcessorStatus"]
