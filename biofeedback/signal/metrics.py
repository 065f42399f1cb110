"""Clinical metrics per segment (Glazer-style assessment, clinical.md §2; formulas in
docs/signal.md).

For a segment with usable samples ``U`` (quality seconds with FLAT, CLIPPED, MOTION or
DROPOUT excluded) of the RMS envelope ``e`` and the band-passed EMG ``x``:

* mean ``μ = mean(e[U])``, SD ``σ = std(e[U])``, ``CV% = 100·σ/μ``, peak ``max(e[U])``;
* rise time: mean over contractions in the segment of onset → peak;
* recovery latency: mean over contractions of release point → back within μ_B + 2σ_B;
* median frequency: ``MDF`` with ``∫₀^MDF P = ½ ∫₀^{fs/2} P``, ``P`` the Welch PSD (Hann,
  0.5 s segments, 50 % overlap) averaged over the usable stretches of ``x``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np

from biofeedback.signal.detection import ContractionEvent
from biofeedback.signal.intervals import Intervals, as_arrays, whole_blocks
from biofeedback.signal.kernels import masked_stats, sum_rows
from biofeedback.signal.metrics_kernels import selection_stats, sum_rows_many


@dataclass(frozen=True)
class SegmentMetrics:
    name: str
    start_s: float
    end_s: float
    usable_s: float
    mean_uv: float | None
    sd_uv: float | None
    cv_percent: float | None
    peak_uv: float | None
    contractions: int
    rise_time_s: float | None
    recovery_latency_s: float | None
    median_frequency_hz: float | None

    def to_json_dict(self) -> dict:
        return {k: _num(v) for k, v in asdict(self).items()}


def _num(v):
    if isinstance(v, float):
        return None if not np.isfinite(v) else round(v, 6)
    return v


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """[start, stop) of each run of True."""
    if not mask.any():
        return []
    d = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(d == 1), np.flatnonzero(d == -1), strict=True))


class SegmentSpectra:
    """Periodograms of consecutive segments of a signal, computed once (one batched FFT) so
    every metric's Welch PSD is a sum over the segments inside its stretch.

    Welch with a Hann window and ``segment_s`` segments, without overlap (half the FFT work of
    50 % overlap; on recordings of minutes the variance difference is negligible), no detrend
    (the input is the band-passed EMG, whose mean is zero).
    """

    def __init__(self, x: np.ndarray, fs: float, segment_s: float = 0.5,
                 known: np.ndarray | None = None) -> None:
        """``known``: periodograms of the segments already computed (e.g. by the per-second
        quality check), one row per segment, nan rows where not; only the others are
        transformed here."""
        self.fs = fs
        self.nper = max(8, int(round(segment_s * fs)))
        self.step = self.nper
        n = len(x)
        k = 0 if n < self.nper else 1 + (n - self.nper) // self.step
        self.starts = np.arange(k) * self.step
        self.freqs = np.fft.rfftfreq(self.nper, 1.0 / fs)
        todo = np.arange(k)
        if known is not None and known.shape == (k, len(self.freqs)):
            self.psd = known
            todo = np.flatnonzero(np.isnan(known[:, 0]))
        else:
            self.psd = np.zeros((k, len(self.freqs)))
        if not len(todo):
            return
        win = np.hanning(self.nper)
        # no detrend: the input is band-passed (zero mean); strided view, no copy until *win
        view = np.lib.stride_tricks.sliding_window_view(np.asarray(x, float), self.nper)
        view = view[:: self.step][:k]
        chunk = 4096  # segments per FFT call: bounded memory for hour-long recordings
        for a in range(0, len(todo), chunk):
            rows = todo[a:a + chunk]
            f = np.fft.rfft(view[rows] * win, axis=1)
            self.psd[rows] = f.real**2 + f.imag**2

    def median_frequency(self, mask: np.ndarray) -> float | None:
        """MDF over the segments lying wholly inside ``mask`` (None when there are none)."""
        k = len(self.starts)
        if not k:
            return None
        st = self.step  # = segment length: segment i is block i
        return self.median_frequency_of(mask[: k * st].reshape(k, st).all(axis=1)
                                        .astype(float))

    def median_frequency_of(self, inside: np.ndarray) -> float | None:
        """MDF over the segments whose weight in ``inside`` (0/1 floats, one per segment)
        is 1."""
        if not len(self.starts) or not inside.any():
            return None
        # rows added in order (a BLAS product would thread and reorder: slow and not
        # reproducible on a busy machine)
        return self.median_of_sum(sum_rows(self.psd, inside))

    def median_of_sum(self, total: np.ndarray) -> float | None:
        """MDF of a summed periodogram ``total`` (None when it holds no power)."""
        cum = np.cumsum(total)
        if cum[-1] <= 0:
            return None
        return float(np.interp(0.5 * cum[-1], cum, self.freqs))

    def median_frequencies(self, inside: np.ndarray) -> list[float | None]:
        """:meth:`median_frequency_of` of each row of ``inside`` ``(S, segments)``, the
        periodograms read once for all (the same sums, in the same order)."""
        if not len(self.starts):
            return [None] * len(inside)
        totals = sum_rows_many(self.psd, inside)
        return [self.median_of_sum(t) if w.any() else None
                for t, w in zip(totals, inside, strict=True)]


def median_frequency(x: np.ndarray, fs: float, mask: np.ndarray | None = None,
                     segment_s: float = 0.5) -> float | None:
    """Median frequency (Hz) of the Welch PSD over the stretches of ``x`` where ``mask``."""
    mask = np.ones(len(x), bool) if mask is None else mask
    return SegmentSpectra(x, fs, segment_s).median_frequency(mask)


def segment_metrics(name: str, spectra: SegmentSpectra, envelope: np.ndarray, fs: float,
                    start: int, stop: int, usable: np.ndarray,
                    events: Sequence[ContractionEvent], mask: np.ndarray | None = None,
                    scratch: np.ndarray | None = None) -> SegmentMetrics:
    """Metrics of samples ``[start, stop)`` (further restricted by ``mask`` if given);
    ``spectra`` holds the segment periodograms of the band-passed EMG. ``scratch``: a float
    buffer at least ``stop - start`` long to reuse between calls."""
    full = np.zeros(len(usable), dtype=bool)
    full[start:stop] = usable[start:stop]
    if mask is not None:
        full[start:stop] &= mask[start:stop]
    sel = full[start:stop]
    e = np.ascontiguousarray(envelope[start:stop], dtype=float)
    if scratch is None or len(scratch) < len(e):
        scratch = np.empty(len(e))
    # mean, SD and peak of e[sel] in one compiled pass, equal to np.mean/np.std/np.max of the
    # selection (same pairwise summation), without the copies and temporaries
    stats = masked_stats(e, sel, scratch)
    return _metrics(name, fs, start, stop, stats, events, spectra.median_frequency(full))


def _pieces(selections: Sequence[Intervals], n: int) -> tuple[np.ndarray, np.ndarray]:
    """The cut of ``[0, n)`` at every boundary of the ``selections`` and, per piece, the bit
    mask of the selections holding it (the input of
    :func:`~biofeedback.signal.metrics_kernels.selection_stats`)."""
    arrays = [as_arrays(iv) for iv in selections]
    cuts = np.unique(np.concatenate([[0, n], *(np.concatenate(a) for a in arrays)])
                     .astype(np.int64))
    member = np.zeros(len(cuts) - 1, dtype=np.int64)
    for s, (starts, stops) in enumerate(arrays):
        if not len(starts):
            continue
        edge = np.zeros(len(cuts), dtype=np.int64)
        np.add.at(edge, np.searchsorted(cuts, starts), 1)
        np.add.at(edge, np.searchsorted(cuts, stops), -1)
        member |= (np.cumsum(edge[:-1]) > 0).astype(np.int64) << s
    return cuts, member


def selection_metrics(selections: Sequence[tuple[str, int, int, Intervals,
                                                 Sequence[ContractionEvent]]],
                      spectra: SegmentSpectra, envelope: np.ndarray, fs: float, n: int
                      ) -> dict[str, SegmentMetrics]:
    """The metrics of several selections ``(name, start, stop, intervals, events)`` of an
    ``n``-sample recording (sorted, disjoint, merged intervals inside ``[start, stop)``; no
    per-sample mask), each as :func:`segment_metrics` of that selection, with the envelope
    and the periodograms each read once for all of them (means and SDs merged block by
    block: equal to numpy's to about 1e-15, see :mod:`.metrics_kernels`)."""
    if len(selections) > 62:
        raise ValueError(f"at most 62 selections at once, got {len(selections)}")
    cuts, member = _pieces([iv for _, _, _, iv, _ in selections], n)
    stats = selection_stats(envelope, cuts, member, len(selections))
    k = len(spectra.starts)
    inside = np.stack([whole_blocks(iv, spectra.step, k) for _, _, _, iv, _ in selections])
    mdf = spectra.median_frequencies(inside)
    out = {}
    for (name, start, stop, _, events), st, f in zip(selections, stats, mdf, strict=True):
        count = int(st[0])
        sd = float(np.sqrt(st[2] / count)) if count else np.nan
        out[name] = _metrics(name, fs, start, stop, (count, st[1], sd, st[3]), events, f)
    return out


def _metrics(name: str, fs: float, start: int, stop: int,
             stats: tuple[int, float, float, float], events: Sequence[ContractionEvent],
             median_frequency_hz: float | None) -> SegmentMetrics:
    """The metrics from the usable samples' count, mean, SD and peak (``stats``, from either
    kernel) and the contractions with their onset in ``[start, stop)``: one definition for
    the mask and the interval paths, so they cannot drift apart."""
    k, mean_v, sd_v, peak_v = stats
    evs = [ev for ev in events if start <= ev.onset_index < stop]
    rises = [ev.time_to_peak_s for ev in evs if ev.complete and not ev.truncated]
    recs = [ev.recovery_latency_s for ev in evs if ev.recovery_latency_s is not None]
    mean = float(mean_v) if k else None
    sd = float(sd_v) if k > 1 else None
    return SegmentMetrics(
        name=name, start_s=start / fs, end_s=stop / fs, usable_s=float(k) / fs,
        mean_uv=mean, sd_uv=sd,
        cv_percent=100.0 * sd / mean if (mean and sd is not None) else None,
        peak_uv=float(peak_v) if k else None,
        contractions=len(evs),
        rise_time_s=float(np.mean(rises)) if rises else None,
        recovery_latency_s=float(np.mean(recs)) if recs else None,
        median_frequency_hz=median_frequency_hz,
    )
