"""The segment metrics of :func:`biofeedback.signal.analysis.compute_metrics`, accumulated
over a recording fed in chunks, in memory bounded by the chunk, the events and the seconds.

A sample's place in the metrics ("usable", inside a contraction, at rest) is final only some
time after it was processed: its quality second must be complete, a contraction confirmed
later may trace its onset back to it, an open contraction's offset is corrected back by the
RMS window. :class:`MetricsAccumulator` therefore keeps the last samples (pelvic-floor
envelope and filtered EMG) for a bounded delay and folds them into running statistics once
final, whole half-second Welch segments at a time.

The one place without a bounded delay is the time after a contraction while its recovery is
awaited (docs/signal.md, "recovery latency"): those samples are "rest" only if the envelope
never gets back within the baseline band before the next contraction or the end. They are
summed apart (``pending``) and either merged into "rest" or dropped when that is known.

Numbers equal ``compute_metrics`` on the whole arrays except for the order of the float
additions (means and SDs are merged per run, Chan et al.; the Welch PSD is a running sum),
a relative difference of the order of 1e-12 (tests/test_signal/test_analyze_chunks.py).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from biofeedback.signal.detection import ContractionEvent
from biofeedback.signal.intervals import (
    Intervals,
    as_arrays,
    complement,
    intersect,
    merge,
    whole_blocks,
)
from biofeedback.signal.kernels import interval_stats
from biofeedback.signal.metrics import SegmentMetrics
from biofeedback.signal.quality import EXCLUDE, QualitySecond


@dataclass
class _Stats:
    """Count, mean, sum of squared deviations and peak of a growing selection, and the sum
    of the periodograms of the segments wholly inside it."""

    k: int = 0
    mean: float = 0.0
    m2: float = 0.0
    peak: float = float("-inf")
    psd: np.ndarray | None = None
    segments: int = 0

    def merge(self, kb: int, mb: float, m2b: float, peak: float) -> None:
        ka = self.k
        k = ka + kb
        d = mb - self.mean
        self.mean = self.mean + d * kb / k if ka else mb
        self.m2 = self.m2 + m2b + d * d * ka * kb / k if ka else m2b
        self.k = k
        self.peak = max(self.peak, peak)

    def add_psd(self, rows: np.ndarray) -> None:
        if not len(rows):
            return
        s = rows.sum(axis=0)
        self.psd = s if self.psd is None else self.psd + s
        self.segments += len(rows)

    def absorb(self, other: _Stats) -> None:
        if other.k:
            self.merge(other.k, other.mean, other.m2, other.peak)
        if other.psd is not None:
            self.psd = other.psd if self.psd is None else self.psd + other.psd
            self.segments += other.segments


class MetricsAccumulator:
    """Feed it what :class:`~biofeedback.signal.live.LiveProcessor` emits, in order;
    :meth:`metrics` at the end returns what ``compute_metrics`` would.

    ``delay``: samples after which no later detection can change a sample's contraction
    state (see :meth:`LiveProcessor.settled_delay`); ``nper``: the Welch segment length;
    ``psd_rows``: periodograms of segments handed over by the quality check
    (row = ``start // nper``), used instead of transforming the segment again.
    """

    def __init__(self, fs: float, settle: int, delay: int, nper: int,
                 segments: Sequence[tuple[str, float, float]] = ()) -> None:
        self.fs = fs
        self.settle = settle
        self.delay = delay
        self.nper = nper
        self.win = np.hanning(nper)
        self.named = [(name, max(0, int(round(a * fs))), int(round(b * fs)))
                      for name, a, b in segments]
        self.stats = {k: _Stats() for k in ("recording", "rest", "contractions")}
        self.seg_stats = [_Stats() for _ in self.named]
        self.pending = _Stats()
        self.pending_id: int | None = None
        #: periodograms handed over, as blocks (first row, rows): a block per quality call
        self.psd_blocks: list[tuple[int, np.ndarray]] = []
        # the samples not folded in yet: _buf[0, :_buf_n] envelope, _buf[1, :_buf_n] filtered
        self._buf = np.empty((2, 0))
        self._buf_n = 0
        self._buf_start = 0  # absolute index of _buf[:, 0]: everything before is folded in
        self._end = 0  # processed samples
        self._quality: deque[QualitySecond] = deque()
        self._q_end = 0
        self._events: dict[int, ContractionEvent] = {}

    # -- input ----------------------------------------------------------------------------
    def put_psd(self, r0: int, rows: np.ndarray) -> None:
        """Quality check's periodograms of segments ``r0, r0 + 1, ...`` (channel 0)."""
        skip = max(0, -(-self._buf_start // self.nper) - r0)  # rows already folded past
        if skip < len(rows):
            self.psd_blocks.append((r0 + skip, rows[skip:].copy()))

    def add(self, first_index: int, env0: np.ndarray, filt0: np.ndarray,
            events: Sequence[ContractionEvent], quality: Sequence[QualitySecond]) -> None:
        """Samples ``first_index...`` (pelvic-floor envelope and filtered EMG) and the events
        and quality seconds that came with them."""
        assert first_index == self._end, "samples must be consecutive"
        k, n = len(env0), self._buf_n
        if n + k > self._buf.shape[1]:  # grow (rarely: the buffer holds a block + the delay)
            buf = np.empty((2, max(2 * self._buf.shape[1], n + k)))
            buf[:, :n] = self._buf[:, :n]
            self._buf = buf
        self._buf[0, n:n + k] = env0
        self._buf[1, n:n + k] = filt0
        self._buf_n = n + k
        self._end = first_index + k
        self.add_events(events, quality)

    def add_events(self, events: Sequence[ContractionEvent],
                   quality: Sequence[QualitySecond]) -> None:
        for ev in events:
            self._events[ev.id] = ev
        for q in quality:
            self._quality.append(q)
            self._q_end = q.start_index + q.n_samples

    def advance(self, open_event: ContractionEvent | None, awaiting: int | None,
                final: bool = False) -> None:
        """Fold in every sample whose state is now known. ``open_event``: the contraction in
        progress; ``awaiting``: id of the finished one whose recovery is still looked for;
        ``final``: the end of the data (everything is known)."""
        if self.pending_id is not None and awaiting != self.pending_id:
            ev = self._events.get(self.pending_id)
            if ev is not None and ev.recovery_index is None:
                self.stats["rest"].absorb(self.pending)  # it never recovered: that was rest
            self.pending = _Stats()
            self.pending_id = None
        if awaiting is not None:
            self.pending_id = awaiting
        stop = self._end if final else min(self._end - self.delay, self._q_end)
        if not final:
            stop -= stop % self.nper
        if stop > self._buf_start:
            self._fold(self._buf_start, stop, open_event, awaiting)
            cut = stop - self._buf_start
            left = self._buf_n - cut
            self._buf[:, :left] = self._buf[:, cut:self._buf_n]  # the delay's samples
            self._buf_n = left
            self._buf_start = stop
            last = stop // self.nper  # rows of folded segments are no longer needed
            self.psd_blocks = [(r0, rows) for r0, rows in self.psd_blocks
                               if r0 + len(rows) > last]

    # -- folding --------------------------------------------------------------------------
    def _usable(self, a: int, b: int) -> Intervals:
        """``[a, b)`` minus the seconds whose quality excludes them, relative to ``a``."""
        bad: Intervals = []
        exclude = int(EXCLUDE)
        while self._quality and self._quality[0].start_index < b:
            q = self._quality[0]
            if int(q.flags[0]) & exclude:
                bad.append((max(a, q.start_index) - a, min(b, q.start_index + q.n_samples) - a))
            if q.start_index + q.n_samples <= b:
                self._quality.popleft()
            else:
                break
        return complement(merge(bad), 0, b - a)

    def _fold(self, a: int, b: int, open_event: ContractionEvent | None,
              awaiting: int | None) -> None:
        """Fold samples ``[a, b)`` into the statistics. Selections are interval lists
        relative to ``a`` (a few per contraction), their statistics one compiled pass each
        (:func:`~biofeedback.signal.kernels.interval_stats`): no per-sample masks."""
        n = b - a
        env = self._buf[0, :n]
        usable = self._usable(a, b)
        inside, busy, pend = [], [], []
        open_id = open_event.id if open_event is not None else None
        for ev in list(self._events.values()):
            if ev.onset_index >= b:
                continue
            if ev.id == open_id or ev.offset_index is None:
                stop = end = b
            else:
                stop = ev.offset_index
                end = stop if ev.recovery_index is None else max(stop, ev.recovery_index)
                if ev.id == awaiting:
                    pend.append((max(0, stop - a), n))
            if max(end, stop) <= a and ev.id != awaiting:
                continue
            lo = max(0, ev.onset_index - a)
            inside.append((lo, min(n, stop - a)))
            busy.append((lo, min(n, end - a)))
        rest = complement(merge(busy), max(0, self.settle - a), n)
        pend_iv = intersect(intersect(merge(pend), rest), usable)
        rest_usable = intersect(rest, usable)  # (rest and pending, until pending is known)
        rest_only = intersect(rest_usable, complement(pend_iv, 0, n))
        targets: list[tuple[_Stats, Intervals]] = [
            (self.stats["recording"], usable), (self.stats["rest"], rest_only),
            (self.stats["contractions"], intersect(merge(inside), usable))]
        for (_, i0, i1), st in zip(self.named, self.seg_stats, strict=True):
            lo, hi = max(i0, a), min(i1, b)
            targets.append((st, intersect(usable, [(lo - a, hi - a)]) if hi > lo else []))
        targets.append((self.pending, pend_iv))
        # whole Welch segments of [a, b): a is a multiple of nper
        k = n // self.nper
        whole = [whole_blocks(iv, self.nper, k) > 0 for _, iv in targets]
        # a segment partly pending and otherwise rest counts for "rest" if the pending part
        # turns out to be rest
        if k and pend_iv:
            whole[-1] = (whole_blocks(rest_usable, self.nper, k) > 0) & ~whole[1]
        need = np.zeros(k, dtype=bool)
        for w in whole:
            need |= w
        rows = self._periodograms(a // self.nper, np.flatnonzero(need))
        for (st, iv), w in zip(targets, whole, strict=True):
            if iv:
                starts, stops = as_arrays(iv)
                count, mean, sd, peak = interval_stats(env, starts, stops)
                if count:
                    st.merge(int(count), float(mean), float(sd) ** 2 * count, float(peak))
            if w.any():
                st.add_psd(rows[w[need]])
        self._events = {i: ev for i, ev in self._events.items() if not self._done(ev, b)}

    def _done(self, ev: ContractionEvent, b: int) -> bool:
        """An event that can no longer touch samples from ``b`` on (kept in the result)."""
        if ev.offset_index is None or ev.id == self.pending_id:
            return False
        end = ev.offset_index if ev.recovery_index is None else max(ev.offset_index,
                                                                     ev.recovery_index)
        return end <= b

    def _periodograms(self, r0: int, idx: np.ndarray) -> np.ndarray:
        """Hann periodograms of segments ``r0 + idx`` (from the quality check where it
        already computed them, as :class:`~biofeedback.signal.metrics.SegmentSpectra`)."""
        f_n = self.nper // 2 + 1
        out = np.empty((len(idx), f_n))
        rows = r0 + idx
        found = np.zeros(len(idx), dtype=bool)
        for b0, block in self.psd_blocks:
            sel = (rows >= b0) & (rows < b0 + len(block)) & ~found
            if sel.any():
                out[sel] = block[rows[sel] - b0]
                found |= sel
        todo = np.flatnonzero(~found)
        if len(todo):
            t = todo
            segs = self._buf[1, :self._buf_n]
            starts = idx[t] * self.nper
            view = np.lib.stride_tricks.sliding_window_view(segs, self.nper)[starts]
            f = np.fft.rfft(view * self.win, axis=1)
            out[t] = f.real**2 + f.imag**2
        return out

    # -- output ---------------------------------------------------------------------------
    def metrics(self, n: int, events: Sequence[ContractionEvent]) -> dict[str, SegmentMetrics]:
        """The metrics after the last sample (``n`` samples in all), as ``compute_metrics``."""
        freqs = np.fft.rfftfreq(self.nper, 1.0 / self.fs)
        out = {
            "recording": self._result("recording", self.stats["recording"], 0, n, events, freqs),
            "rest": self._result("rest", self.stats["rest"], 0, n, [], freqs),
            "contractions": self._result("contractions", self.stats["contractions"], 0, n,
                                         events, freqs),
        }
        for (name, i0, i1), st in zip(self.named, self.seg_stats, strict=True):
            i1 = min(n, i1)
            if i1 > i0:
                out[name] = self._result(name, st, i0, i1, events, freqs)
        return out

    def _result(self, name: str, st: _Stats, start: int, stop: int,
                events: Sequence[ContractionEvent], freqs: np.ndarray) -> SegmentMetrics:
        fs = self.fs
        evs = [ev for ev in events if start <= ev.onset_index < stop]
        rises = [ev.time_to_peak_s for ev in evs if ev.complete and not ev.truncated]
        recs = [ev.recovery_latency_s for ev in evs if ev.recovery_latency_s is not None]
        k = st.k
        mean = st.mean if k else None
        sd = float(np.sqrt(st.m2 / k)) if k > 1 else None
        mdf = None
        if st.psd is not None:
            cum = np.cumsum(st.psd)
            if cum[-1] > 0:
                mdf = float(np.interp(0.5 * cum[-1], cum, freqs))
        return SegmentMetrics(
            name=name, start_s=start / fs, end_s=stop / fs, usable_s=float(k) / fs,
            mean_uv=mean, sd_uv=sd,
            cv_percent=100.0 * sd / mean if (mean and sd is not None) else None,
            peak_uv=st.peak if k else None,
            contractions=len(evs),
            rise_time_s=float(np.mean(rises)) if rises else None,
            recovery_latency_s=float(np.mean(recs)) if recs else None,
            median_frequency_hz=mdf,
        )
