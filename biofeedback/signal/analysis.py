"""Offline analysis: a whole recording through the same :class:`LiveProcessor` as live use.

``analyze`` feeds the samples in chunks (cut also at marked-rest boundaries, where it calls
``mark_rest`` exactly as the live app would) and gathers what the processor emits. There is
no second implementation: envelope and events equal the streaming ones.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from biofeedback.signal.baseline import Baseline
from biofeedback.signal.config import PipelineConfig
from biofeedback.signal.detection import ContractionEvent
from biofeedback.signal.feedback_state import FeedbackState
from biofeedback.signal.hum import recording_hum_hz
from biofeedback.signal.intervals import complement, intersect, merge
from biofeedback.signal.live import LiveProcessor
from biofeedback.signal.meter import relaxation_trace
from biofeedback.signal.metrics import SegmentMetrics, SegmentSpectra, _num, selection_metrics
from biofeedback.signal.metrics_stream import MetricsAccumulator
from biofeedback.signal.quality import EXCLUDE, QualityFlag, QualitySecond
from biofeedback.signal.traces import RunLog, Traces

SCHEMA = "biofeedback.analysis/1"


@dataclass
class AnalysisResult:
    """Everything ``analyze`` found; the per-sample arrays (None with ``keep_traces=False``)
    cover every input sample."""

    fs: float
    channels: tuple[str, ...]
    events: list[ContractionEvent]
    quality: list[QualitySecond]
    baseline: Baseline | None
    threshold_uv: float
    metrics: dict[str, SegmentMetrics]
    config: PipelineConfig
    unit: str = "uV"
    hum_hz: float | None = None
    #: a key, worded by the app (``app/wording.py``): "" none, "notch" (the live processor
    #: measured hum), "notch-recording" (hum over the recording: the analyze option helps)
    suggestion: str = ""
    notes: list[str] = field(default_factory=list)
    line_log: list[tuple[int, float]] = field(default_factory=list)  # (index, line µV)
    n_total: int = 0  # samples analysed
    #: the meter's state runs: (first index, FeedbackState code), one entry per change
    feedback_runs: list[tuple[int, int]] = field(default_factory=list)
    strain_runs: list[tuple[int, int]] = field(default_factory=list)  # [start, stop) indices
    # per-sample traces, None when analysed with keep_traces=False (bounded memory)
    filtered: np.ndarray | None = None  # (n, ch) µV, band-passed (and notched)
    envelope: np.ndarray | None = None  # (n, ch) µV RMS
    _relaxation: np.ndarray | None = field(default=None, repr=False)  # see .relaxation
    active: np.ndarray | None = None  # (n,) bool
    strain: np.ndarray | None = None  # (n,) bool
    feedback: np.ndarray | None = None  # (n,) uint8 FeedbackState codes: what the meter showed
    #: the meter's relaxation scale where it changed: (index, scale, offset)
    relaxation_runs: list[tuple[int, float, float]] = field(default_factory=list, repr=False)

    @property
    def relaxation(self) -> np.ndarray | None:
        """``(n,)`` the meter's relaxation (0..1, nan before a baseline), made from the
        envelope when first asked for: the same numbers the live frames carry, without
        58 MB per hour written for every analysis that never looks at them."""
        if self._relaxation is None and self.envelope is not None and self.relaxation_runs:
            self._relaxation = relaxation_trace(self.envelope[:, 0], self.relaxation_runs)
        return self._relaxation

    @property
    def n_samples(self) -> int:
        return self.n_total

    @property
    def duration_s(self) -> float:
        return self.n_samples / self.fs

    @property
    def usable(self) -> np.ndarray:
        """Per sample: False inside seconds whose PFM quality must be excluded."""
        return _usable_mask(self.quality, self.n_samples)

    def strain_episodes(self) -> list[tuple[float, float]]:
        return [(a / self.fs, b / self.fs) for a, b in self.strain_runs]

    def to_json_dict(self) -> dict:
        """The ``biofeedback analyze --json`` object (schema in docs/analysis-json.md)."""
        b = self.baseline
        counts = {f.name.lower(): 0 for f in QualityFlag if f != QualityFlag.OK}
        usable_n = 0
        bad = []
        exclude = int(EXCLUDE)
        for q in self.quality:
            code = int(q.flags[0])  # plain ints: enum tests per flag per second were slow
            if not code & exclude:
                usable_n += 1
            if code:
                names = _flag_names(code)
                for name in names:
                    counts[name] += 1
                bad.append({"second": q.second, "start_s": _num(q.start_index / self.fs),
                            "flags": list(names)})
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
        if not self.feedback_runs:
            return None
        fb = self.feedback_runs
        cuts = {0, self.n_samples} | {i for i, _ in fb if 0 < i < self.n_samples}
        cuts |= {i for i, _ in self.line_log if 0 < i < self.n_samples}
        bounds = sorted(cuts)
        lines = [(i, v) for i, v in self.line_log]
        runs, k, j = [], 0, 0
        for a, b in itertools.pairwise(bounds):
            while k + 1 < len(lines) and lines[k + 1][0] <= a:
                k += 1
            while j + 1 < len(fb) and fb[j + 1][0] <= a:
                j += 1
            line = lines[k][1] if lines and lines[k][0] <= a else None
            runs.append({"start_s": _num(a / self.fs), "end_s": _num(b / self.fs),
                         "state": FeedbackState(fb[j][1]).key,
                         "line_uv": None if line is None else _num(line)})
        return {"states": [s.key for s in FeedbackState], "runs": runs}


@functools.lru_cache(maxsize=64)
def _flag_names(code: int) -> tuple[str, ...]:
    """The machine names of the flags set in ``code``, in the enum's order."""
    return tuple(g.name.lower() for g in QualityFlag if g != QualityFlag.OK and code & int(g))


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


def _as_2d(x: np.ndarray, what: str) -> np.ndarray:
    x = np.asarray(x, dtype=float)
    if x.ndim == 1:
        x = x[:, None]
    if x.ndim != 2:
        raise ValueError(f"need a (n,) or (n, channels) array, got {what} of shape {x.shape}")
    return x


def analyze(samples: np.ndarray, fs: float, config: PipelineConfig | None = None, *,
            channels: Sequence[str] | None = None,
            rest_intervals: Sequence[tuple[float, float]] = (),
            segments: Sequence[tuple[str, float, float]] = (),
            block_s: float = 60.0, unit: str = "uV") -> AnalysisResult:
    """Analyse a whole recording ``samples`` ``(n,)`` or ``(n, ch)`` at ``fs`` Hz.

    Channel 0 is the pelvic floor; a second channel is the accessory (abdominal) one.
    ``rest_intervals`` (seconds) are marked rests, as the live app's "mark rest" button;
    without them the baseline is found automatically. ``segments`` (name, start_s, end_s) get
    their own metrics in addition to "recording", "rest" and "contractions". The same as
    :func:`analyze_chunks` of ``[samples]`` with the traces kept.
    """
    x = _as_2d(samples, "samples")
    if len(x) == 0:
        raise ValueError(f"need a non-empty (n,) or (n, channels) array, got shape {x.shape}")
    return analyze_chunks([x], fs, config, channels=channels, rest_intervals=rest_intervals,
                          segments=segments, unit=unit, keep_traces=True, block_s=block_s,
                          _n_hint=len(x))


def _marks(rest_intervals: Sequence[tuple[float, float]], fs: float) -> dict[int, bool]:
    """Sample index -> mark_rest argument (an end wins over a start at the same index, then
    a later interval's start over an earlier one's end, as the intervals are listed)."""
    marks: dict[int, bool] = {}
    for a, b in rest_intervals:
        marks[max(0, int(round(a * fs)))] = True
        marks[int(round(b * fs))] = False
    return marks


def analyze_chunks(chunks: Iterable[np.ndarray], fs: float, config: PipelineConfig | None = None,
                   *, channels: Sequence[str] | None = None,
                   rest_intervals: Sequence[tuple[float, float]] = (),
                   segments: Sequence[tuple[str, float, float]] = (), unit: str = "uV",
                   keep_traces: bool = True, block_s: float = 60.0,
                   _n_hint: int = 0) -> AnalysisResult:
    """Analyse a recording given as consecutive chunks, each ``(n_i, ch)`` (or ``(n_i,)``).

    Same arguments and result as :func:`analyze`, whatever the cut into chunks. With
    ``keep_traces=False`` the per-sample arrays of the result (``filtered``, ``envelope``,
    ``relaxation``, ``active``, ``strain``, ``feedback``) are None and memory stays bounded
    by the chunk, the events and the seconds: the metrics are then accumulated as the
    samples go by (:mod:`biofeedback.signal.metrics_stream`; equal up to float summation
    order). Chunks are processed in pieces of at most ``block_s`` seconds.
    """
    run = _ChunkRun(fs, config or PipelineConfig(), channels, rest_intervals, segments,
                    keep_traces, block_s, _n_hint)
    for chunk in chunks:
        run.feed(chunk)
    return run.finish(unit)


class _ChunkRun:
    """One :func:`analyze_chunks` call: the processor, what is gathered from its frames
    (traces or the bounded metric accumulators) and the result at the end."""

    def __init__(self, fs: float, config: PipelineConfig, channels: Sequence[str] | None,
                 rest_intervals: Sequence[tuple[float, float]],
                 segments: Sequence[tuple[str, float, float]], keep_traces: bool,
                 block_s: float, n_hint: int) -> None:
        self.fs, self.config, self.channels = fs, config, channels
        self.segments, self.keep_traces, self.n_hint = segments, keep_traces, n_hint
        self.step = max(1, int(round(block_s * fs)))
        self.marks = _marks(rest_intervals, fs)
        self.proc: LiveProcessor | None = None
        self.names: tuple[str, ...] = ()
        self.pos = 0
        self.events: dict[int, ContractionEvent] = {}
        self.quality: list[QualitySecond] = []
        self.fb_log, self.strain_log = RunLog(), RunLog()
        self.traces: Traces | None = None
        self.acc: MetricsAccumulator | None = None
        self.known: np.ndarray | None = None  # periodogram table (whole array, n known)
        self.psd: dict[int, np.ndarray] = {}  # periodogram rows (traces kept, n unknown)
        self.work: tuple[np.ndarray, ...] | None = None  # frame arrays without traces
        self.rel_log: list[tuple[int, float, float]] = []
        self.share = False

    def _start(self, x: np.ndarray) -> LiveProcessor:
        """The first chunk fixes the channels: create the processor and the collectors."""
        fs, config = self.fs, self.config
        if x.shape[1] == 0:
            raise ValueError(f"need at least one channel, got a chunk of shape {x.shape}")
        self.names = tuple(self.channels) if self.channels else (
            ("pfm", "abdominal")[: x.shape[1]] if x.shape[1] <= 2
            else tuple(f"ch{i}" for i in range(x.shape[1])))
        proc = self.proc = LiveProcessor(fs, self.names, config=config)
        # the quality check's half-second periodograms are the Welch metrics' segments when
        # the metrics run on the band-passed signal (no notch), a second being two of them
        self.share = (config.emg.notch_hz is None and proc.second_len % 2 == 0
                      and max(8, int(round(0.5 * fs))) == proc.second_len // 2)
        if self.keep_traces:
            self.traces = Traces(x.shape[1], self.n_hint, relaxation=False)
            self.rel_log = proc.log_relaxation()
            if self.share and self.n_hint:
                self.known = proc.keep_periodograms(self.n_hint)
            elif self.share:
                proc.set_periodogram_sink(lambda r0, rows: self.psd.update(
                    (r0 + i, row.copy()) for i, row in enumerate(rows)))
        else:
            self.acc = MetricsAccumulator(fs, int(round(config.baseline.settle_s * fs)),
                                          proc.detection_state()[2],
                                          max(8, int(round(0.5 * fs))), self.segments)
            if self.share:
                proc.set_periodogram_sink(self.acc.put_psd)
        return proc

    def _work(self, n: int) -> tuple[np.ndarray, ...]:
        """Without traces: arrays for one piece's frame, reused from piece to piece (what is
        kept of a frame is copied out before the next; a fresh megabyte per minute of
        samples and per array costs more than the arithmetic done in it)."""
        w = self.work
        if w is None or len(w[0]) < n:
            c = len(self.names)
            w = self.work = (np.empty((n, c)), np.empty((n, c)), np.empty(n),
                             np.zeros(n, dtype=bool), np.zeros(n, dtype=bool),
                             np.empty(n, dtype=np.uint8))
        else:
            w[3][:n] = False  # "active" and "strain" must be False on entry
            w[4][:n] = False
        return tuple(a[:n] for a in w)

    def feed(self, chunk: np.ndarray) -> None:
        pos, marks = self.pos, self.marks
        x = _as_2d(chunk, f"chunk at sample {pos}")
        proc = self.proc if self.proc is not None else self._start(x)
        if x.shape[1] != len(self.names):
            raise ValueError(f"chunk at sample {pos} has {x.shape[1]} channels, "
                             f"the first had {len(self.names)}")
        n_x, step = len(x), self.step
        cuts = sorted({pos, pos + n_x} | set(range((pos // step + 1) * step, pos + n_x, step))
                      | {k for k in marks if pos <= k < pos + n_x})
        traces, acc = self.traces, self.acc
        for a, b in itertools.pairwise(cuts):
            if a in marks:
                proc.mark_rest(marks[a])
            fr = proc.process_emg(x[a - pos:b - pos], a,
                                  traces.views(a, b) if traces is not None else self._work(b - a))
            self.fb_log.add(a, fr.feedback)
            self.strain_log.add(a, fr.strain)
            for ev in fr.events:
                self.events[ev.id] = ev
            self.quality += fr.quality
            if acc is not None:
                acc.add(a, fr.envelope[:, 0], fr.filtered[:, 0], fr.events, fr.quality)
                open_ev, awaiting, _ = proc.detection_state()
                acc.advance(open_ev, awaiting)
        self.pos += n_x

    def finish(self, unit: str) -> AnalysisResult:
        proc, n, config = self.proc, self.pos, self.config
        if proc is None or n == 0:
            raise ValueError("need a non-empty recording: no samples in the chunks")
        if any(k >= n and not v for k, v in self.marks.items()) or n in self.marks:
            proc.mark_rest(False)
        status = proc.status()
        fr = proc.finish()
        if self.known is not None:
            proc.finish_periodograms()
        for ev in fr.events:
            self.events[ev.id] = ev
        self.quality += fr.quality
        if self.acc is not None:
            self.acc.add_events(fr.events, fr.quality)
            self.acc.advance(None, None, final=True)
        evs = sorted(self.events.values(), key=lambda e: e.id)
        arrays = self.traces.trimmed() if self.traces is not None else dict.fromkeys(
            Traces._NAMES)
        del arrays["relaxation"]  # (made from the envelope and the runs when asked)
        result = AnalysisResult(
            fs=float(self.fs), channels=self.names, events=evs, quality=self.quality,
            baseline=proc.baseline, threshold_uv=proc.threshold_uv, metrics={}, config=config,
            unit=unit, hum_hz=status.hum_hz,
            suggestion="notch" if status.suggestion == "notch" and status.hum_hz else "",
            line_log=list(proc.line_log), n_total=n, feedback_runs=self.fb_log.runs,
            strain_runs=self.strain_log.intervals(n), **arrays,
            relaxation_runs=self.rel_log,
        )
        if not result.hum_hz:
            f = recording_hum_hz(self.quality, config.quality.hum_seconds,
                                 config.emg.notch_hz is not None)
            if f is not None:
                result.hum_hz = f
                result.suggestion = "notch-recording"
        result.metrics = (self.acc.metrics(n, evs) if self.acc is not None
                          else compute_metrics(result, self.segments, self._periodograms(n)))
        return result

    def _periodograms(self, n: int) -> np.ndarray | None:
        """The quality check's periodograms as the table ``compute_metrics`` takes."""
        if not self.share or self.known is not None:
            return self.known
        h = self.proc.second_len // 2  # type: ignore[union-attr]
        known = np.full((n // h, h // 2 + 1), np.nan)
        for r, row in self.psd.items():
            if r < len(known):
                known[r] = row
        return known


def compute_metrics(result: AnalysisResult,
                    segments: Sequence[tuple[str, float, float]] = (),
                    periodograms: np.ndarray | None = None) -> dict[str, SegmentMetrics]:
    """Metrics of the segments "recording", "rest" (outside contractions and their
    recovery), "contractions" and any named ``segments``, on the pelvic-floor channel.
    ``periodograms``: the Hann periodograms of the half-second segments of
    ``result.filtered[:, 0]`` already computed (by the quality check; nan rows are not).
    Selections are interval lists (:mod:`biofeedback.signal.intervals`), not masks."""
    fs, n = result.fs, result.n_samples
    exclude = int(EXCLUDE)
    bad = merge((q.start_index, q.start_index + q.n_samples) for q in result.quality
                if int(q.flags[0]) & exclude)
    usable = complement(bad, 0, n)
    inside, busy = [], []
    for ev in result.events:
        stop = ev.offset_index if ev.offset_index is not None else n
        inside.append((ev.onset_index, stop))
        end = ev.recovery_index if ev.recovery_index is not None else stop
        busy.append((ev.onset_index, max(stop, end)))
    settle = min(n, int(round(result.config.baseline.settle_s * fs)))
    rest = intersect(usable, complement(merge(busy), settle, n))
    spec = SegmentSpectra(result.filtered[:, 0], fs, known=periodograms)
    selections = [("recording", 0, n, usable, result.events), ("rest", 0, n, rest, []),
                  ("contractions", 0, n, intersect(usable, merge(inside)), result.events)]
    for name, a, b in segments:
        i0, i1 = max(0, int(round(a * fs))), min(n, int(round(b * fs)))
        if i1 > i0:
            selections.append((name, i0, i1, intersect(usable, [(i0, i1)]), result.events))
    return selection_metrics(selections, spec, result.envelope[:, 0], fs, n)
