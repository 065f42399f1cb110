"""Offline analysis: a whole recording through the same :class:`LiveProcessor` as live use.

``analyze`` feeds the samples in chunks (cut also at marked-rest boundaries, where it calls
``mark_rest`` exactly as the live app would) and gathers what the processor emits. There is
no second implementation: envelope and events equal the streaming ones.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from biofeedback.signal.baseline import Baseline
from biofeedback.signal.config import PipelineConfig
from biofeedback.signal.detection import ContractionEvent
from biofeedback.signal.feedback_state import FeedbackState
from biofeedback.signal.live import LiveProcessor
from biofeedback.signal.metrics import (
    SegmentMetrics,
    SegmentSpectra,
    _num,
    _runs,
    segment_metrics,
)
from biofeedback.signal.quality import EXCLUDE, QualityFlag, QualitySecond

SCHEMA = "biofeedback.analysis/1"


@dataclass
class AnalysisResult:
    """Everything ``analyze`` found; arrays cover every input sample."""

    fs: float
    channels: tuple[str, ...]
    filtered: np.ndarray  # (n, ch) µV
    envelope: np.ndarray  # (n, ch) µV RMS
    relaxation: np.ndarray  # (n,)
    active: np.ndarray  # (n,) bool
    strain: np.ndarray  # (n,) bool
    events: list[ContractionEvent]
    quality: list[QualitySecond]
    baseline: Baseline | None
    threshold_uv: float
    metrics: dict[str, SegmentMetrics]
    config: PipelineConfig
    unit: str = "uV"
    hum_hz: float | None = None
    suggestion: str = ""
    notes: list[str] = field(default_factory=list)
    feedback: np.ndarray | None = None  # (n,) uint8 FeedbackState codes: what the meter showed
    line_log: list[tuple[int, float]] = field(default_factory=list)  # (index, line µV)

    @property
    def n_samples(self) -> int:
        return len(self.envelope)

    @property
    def duration_s(self) -> float:
        return self.n_samples / self.fs

    @property
    def usable(self) -> np.ndarray:
        """Per sample: False inside seconds whose PFM quality must be excluded."""
        return _usable_mask(self.quality, self.n_samples)

    def strain_episodes(self) -> list[tuple[float, float]]:
        return [(a / self.fs, b / self.fs) for a, b in _runs(self.strain)]

    def to_json_dict(self) -> dict:
        """The ``biofeedback analyze --json`` object (schema in docs/analysis-json.md)."""
        b = self.baseline
        counts = {f.name.lower(): 0 for f in QualityFlag if f != QualityFlag.OK}
        usable_n = 0
        bad = []
        for q in self.quality:
            for f in QualityFlag:
                if f != QualityFlag.OK and f in q.flags[0]:
                    counts[f.name.lower()] += 1
            if q.usable:
                usable_n += 1
            if q.flags[0] != QualityFlag.OK:
                bad.append({"second": q.second, "start_s": _num(q.start_index / self.fs),
                            "flags": _flag_names(q.flags[0])})
        episodes = self.strain_episodes()
        return {
            "schema": SCHEMA,
            "fs": self.fs,
            "n_samples": self.n_samples,
            "duration_s": _num(self.duration_s),
            "channel": self.channels[0],
            "channels": list(self.channels),
            "unit": self.unit,
            "baseline": None if b is None else {
                "mean_uv": _num(float(b.mean[0])),
                "sd_uv": _num(float(b.sd[0])),
                "cv_percent": _num(100.0 * float(b.sd[0]) / float(b.mean[0]))
                if b.mean[0] > 0 else None,
                "source": b.source,
                "seconds": _num(b.seconds),
            },
            "threshold_uv": _num(self.threshold_uv),
            "contractions": [_event_json(ev) for ev in self.events],
            "quality": {
                "seconds": len(self.quality),
                "usable_seconds": usable_n,
                "usable_fraction": _num(usable_n / len(self.quality)) if self.quality else None,
                "flag_counts": counts,
                "hum_hz": self.hum_hz,
                "suggestion": self.suggestion,
                "flagged_seconds": bad,
            },
            "strain": {
                "episodes": [{"onset_s": _num(a), "offset_s": _num(z)} for a, z in episodes],
                "total_s": _num(sum(z - a for a, z in episodes)),
            },
            "metrics": {k: m.to_json_dict() for k, m in self.metrics.items()},
            "settings": _settings(self.config, self.fs),
            "feedback": self.feedback_json(),
            "notes": list(self.notes),
        }

    def feedback_json(self) -> dict | None:
        """The live meter's states over the file as runs, each with the line in force."""
        if self.feedback is None:
            return None
        codes = self.feedback
        cuts = {0, self.n_samples} | {int(i) for i in np.flatnonzero(np.diff(codes)) + 1}
        cuts |= {i for i, _ in self.line_log if 0 < i < self.n_samples}
        bounds = sorted(cuts)
        lines = [(i, v) for i, v in self.line_log]
        runs, k = [], 0
        for a, b in itertools.pairwise(bounds):
            while k + 1 < len(lines) and lines[k + 1][0] <= a:
                k += 1
            line = lines[k][1] if lines and lines[k][0] <= a else None
            runs.append({"start_s": _num(a / self.fs), "end_s": _num(b / self.fs),
                         "state": FeedbackState(int(codes[a])).key,
                         "line_uv": None if line is None else _num(line)})
        return {"states": [s.key for s in FeedbackState], "runs": runs}


def _flag_names(f: QualityFlag) -> list[str]:
    return [g.name.lower() for g in QualityFlag if g != QualityFlag.OK and g in f]


def _event_json(ev: ContractionEvent) -> dict:
    return {
        "id": ev.id,
        "onset_s": _num(ev.onset_s),
        "offset_s": _num(ev.offset_s),
        "duration_s": _num(ev.duration_s),
        "peak_uv": _num(ev.peak_uv),
        "time_to_peak_s": _num(ev.time_to_peak_s),
        "recovery_latency_s": _num(ev.recovery_latency_s),
        "truncated": ev.truncated,
    }


def _settings(c: PipelineConfig, fs: float) -> dict:
    e, d = c.emg, c.detection
    return {
        "band_hz": [e.band_low_hz, min(e.band_high_hz, 0.95 * fs / 2)],
        "filter": f"Butterworth order {e.filter_order}, causal SOS",
        "notch_hz": e.notch_hz,
        "rms_window_s": e.rms_window_s,
        "detection_window_s": d.window_s,
        "tkeo": d.tkeo,
        "k_on": d.k_on,
        "k_off": d.k_off,
        "min_on_s": d.min_on_s,
        "min_off_s": d.min_off_s,
        "k_recovery": d.k_recovery,
    }


def _usable_mask(quality: Sequence[QualitySecond], n: int) -> np.ndarray:
    mask = np.ones(n, dtype=bool)
    exclude = int(EXCLUDE)
    for q in quality:
        if int(q.flags[0]) & exclude:
            mask[q.start_index:q.start_index + q.n_samples] = False
    return mask


def analyze(samples: np.ndarray, fs: float, config: PipelineConfig | None = None, *,
            channels: Sequence[str] | None = None,
            rest_intervals: Sequence[tuple[float, float]] = (),
            segments: Sequence[tuple[str, float, float]] = (),
            block_s: float = 10.0, unit: str = "uV") -> AnalysisResult:
    """Analyse a whole recording ``samples`` ``(n,)`` or ``(n, ch)`` at ``fs`` Hz.

    Channel 0 is the pelvic floor; a second channel is the accessory (abdominal) one.
    ``rest_intervals`` (seconds) are marked rests, as the live app's "mark rest" button;
    without them the baseline is found automatically. ``segments`` (name, start_s, end_s) get
    their own metrics in addition to "recording", "rest" and "contractions".
    """
    x = np.asarray(samples, dtype=float)
    if x.ndim == 1:
        x = x[:, None]
    if x.ndim != 2 or len(x) == 0:
        raise ValueError(f"need a non-empty (n,) or (n, channels) array, got shape {x.shape}")
    names = tuple(channels) if channels else (("pfm", "abdominal")[: x.shape[1]]
                                              if x.shape[1] <= 2 else
                                              tuple(f"ch{i}" for i in range(x.shape[1])))
    config = config or PipelineConfig()
    proc = LiveProcessor(fs, names, config=config)
    # the quality check's half-second periodograms are the Welch metrics' segments when the
    # metrics run on the band-passed signal (no notch) and a second is two segments
    share = (config.emg.notch_hz is None and proc.second_len % 2 == 0
             and max(8, int(round(0.5 * fs))) == proc.second_len // 2)
    n = len(x)
    periodograms = proc.keep_periodograms(n) if share else None
    # cut points: chunk size and marked-rest boundaries
    step = max(1, int(round(block_s * fs)))
    marks: dict[int, bool] = {}
    for a, b in rest_intervals:
        marks[max(0, int(round(a * fs)))] = True
        marks.setdefault(min(n, int(round(b * fs))), False)
        marks[min(n, int(round(b * fs)))] = False
    cuts = sorted(set(range(0, n, step)) | {k for k in marks if k < n} | {n})
    filtered = np.empty_like(x)
    envelope = np.empty_like(x)
    relaxation = np.empty(n)
    active = np.zeros(n, dtype=bool)
    strain = np.zeros(n, dtype=bool)
    feedback = np.empty(n, dtype=np.uint8)
    events: dict[int, ContractionEvent] = {}
    quality: list[QualitySecond] = []
    for a, b in itertools.pairwise(cuts):
        if a in marks:
            proc.mark_rest(marks[a])
        fr = proc.process_emg(x[a:b], a)
        filtered[a:b] = fr.filtered
        envelope[a:b] = fr.envelope
        relaxation[a:b] = fr.relaxation
        active[a:b] = fr.active
        strain[a:b] = fr.strain
        feedback[a:b] = fr.feedback
        for ev in fr.events:
            events[ev.id] = ev
        quality += fr.quality
    if n in marks:
        proc.mark_rest(False)
    status = proc.status()
    fr = proc.finish()
    for ev in fr.events:
        events[ev.id] = ev
    quality += fr.quality
    evs = sorted(events.values(), key=lambda e: e.id)
    result = AnalysisResult(
        fs=float(fs), channels=names, filtered=filtered, envelope=envelope,
        relaxation=relaxation, active=active, strain=strain, events=evs, quality=quality,
        baseline=proc.baseline, threshold_uv=proc.threshold_uv, metrics={}, config=config,
        unit=unit, hum_hz=status.hum_hz, suggestion=status.suggestion,
        feedback=feedback, line_log=list(proc.line_log),
    )
    if any(q.flag & QualityFlag.HUM for q in quality) and not result.hum_hz:
        hz = [q.hum_hz for q in quality if q.flag & QualityFlag.HUM and q.hum_hz]
        if hz and config.emg.notch_hz is None:
            f = max(set(hz), key=hz.count)
            n_hum = sum(1 for q in quality if q.flag & QualityFlag.HUM)
            if n_hum >= min(config.quality.hum_seconds, len(quality)):
                result.hum_hz = f
                result.suggestion = (f"Mains hum at {f:.0f} Hz is measured: switch the "
                                     f"{f:.0f} Hz notch on (analyze --notch {f:.0f}).")
    result.metrics = compute_metrics(result, segments, periodograms)
    return result


def compute_metrics(result: AnalysisResult,
                    segments: Sequence[tuple[str, float, float]] = (),
                    periodograms: np.ndarray | None = None) -> dict[str, SegmentMetrics]:
    """Metrics of the segments "recording", "rest" (outside contractions and their
    recovery), "contractions" and any named ``segments``, on the pelvic-floor channel.
    ``periodograms``: the Hann periodograms of the half-second segments of
    ``result.filtered[:, 0]`` already computed (by the quality check; nan rows are not)."""
    fs, n = result.fs, result.n_samples
    usable = result.usable
    env, filt = result.envelope[:, 0], result.filtered[:, 0]
    inside = np.zeros(n, dtype=bool)
    busy = np.zeros(n, dtype=bool)
    for ev in result.events:
        stop = ev.offset_index if ev.offset_index is not None else n
        inside[ev.onset_index:stop] = True
        end = ev.recovery_index if ev.recovery_index is not None else stop
        busy[ev.onset_index:max(stop, end)] = True
    settle = min(n, int(round(result.config.baseline.settle_s * fs)))
    rest = ~busy
    rest[:settle] = False
    spec = SegmentSpectra(filt, fs, known=periodograms)
    env = np.ascontiguousarray(env)
    scratch = np.empty(n)  # one buffer for every segment's selected samples
    out = {
        "recording": segment_metrics("recording", spec, env, fs, 0, n, usable, result.events,
                                     scratch=scratch),
        "rest": segment_metrics("rest", spec, env, fs, 0, n, usable, [], rest, scratch),
        "contractions": segment_metrics("contractions", spec, env, fs, 0, n, usable,
                                        result.events, inside, scratch),
    }
    for name, a, b in segments:
        i0, i1 = max(0, int(round(a * fs))), min(n, int(round(b * fs)))
        if i1 > i0:
            out[name] = segment_metrics(name, spec, env, fs, i0, i1, usable, result.events,
                                        scratch=scratch)
    return out
