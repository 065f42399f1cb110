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
from scipy import signal as sps

from biofeedback.signal.detection import ContractionEvent


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


def median_frequency(x: np.ndarray, fs: float, mask: np.ndarray | None = None,
                     segment_s: float = 0.5) -> float | None:
    """Median frequency (Hz) of the Welch PSD over the stretches of ``x`` where ``mask``."""
    nper = max(8, int(round(segment_s * fs)))
    mask = np.ones(len(x), bool) if mask is None else mask
    total = None
    weight = 0
    freqs = None
    for a, b in _runs(mask):
        if b - a < nper:
            continue
        f, p = sps.welch(x[a:b], fs=fs, nperseg=nper, noverlap=nper // 2)
        k = 1 + (b - a - nper) // (nper // 2)
        total = p * k if total is None else total + p * k
        weight += k
        freqs = f
    if total is None or weight == 0 or freqs is None:
        return None
    c = np.cumsum(total)
    if c[-1] <= 0:
        return None
    return float(np.interp(0.5 * c[-1], c, freqs))


def segment_metrics(name: str, filtered: np.ndarray, envelope: np.ndarray, fs: float,
                    start: int, stop: int, usable: np.ndarray,
                    events: Sequence[ContractionEvent], mask: np.ndarray | None = None
                    ) -> SegmentMetrics:
    """Metrics of samples ``[start, stop)`` (further restricted by ``mask`` if given)."""
    sel = usable[start:stop].copy()
    if mask is not None:
        sel &= mask[start:stop]
    e = envelope[start:stop][sel]
    evs = [ev for ev in events if start <= ev.onset_index < stop]
    rises = [ev.time_to_peak_s for ev in evs if ev.complete and not ev.truncated]
    recs = [ev.recovery_latency_s for ev in evs if ev.recovery_latency_s is not None]
    mean = float(np.mean(e)) if len(e) else None
    sd = float(np.std(e)) if len(e) > 1 else None
    return SegmentMetrics(
        name=name, start_s=start / fs, end_s=stop / fs, usable_s=float(sel.sum()) / fs,
        mean_uv=mean, sd_uv=sd,
        cv_percent=100.0 * sd / mean if (mean and sd is not None) else None,
        peak_uv=float(np.max(e)) if len(e) else None,
        contractions=len(evs),
        rise_time_s=float(np.mean(rises)) if rises else None,
        recovery_latency_s=float(np.mean(recs)) if recs else None,
        median_frequency_hz=median_frequency(filtered[start:stop], fs, sel),
    )
