"""Contraction onset/offset detection with hysteresis, vectorised per block.

The detector runs on one detection envelope (µV) with thresholds from the baseline. It keeps
only small state between calls (current state, length of the pending run, a short envelope
history), so feeding it one sample at a time or an hour at once gives the same events. The
work per call is a few numpy passes plus one Python step per *transition*, never per sample.

Definitions (all indices are absolute sample indices):

* ON line ``hi = μ + k_on·σ``; OFF line ``lo = μ + k_off·σ`` (detection envelope baseline).
* Onset confirmed when the envelope stays above ``hi`` for ``m_on`` samples; the reported
  onset is traced back to the sample after the last one at or below ``μ + k_back·σ`` (at most
  ``lookback`` samples before the run), i.e. where the envelope left the baseline band.
* Offset confirmed when it stays below ``lo`` for ``m_off`` samples; the run's first sample is
  corrected for the drain time of the trailing RMS window of ``w`` samples (the window still
  holds active samples for up to ``w`` after the effort stopped).
* Peak: largest envelope value from the run start to the offset; time to peak = peak − onset.
* Release point: last sample at or above ``μ + f·(peak − μ)``; recovery: first sample after
  it at or below ``μ + k_rec·σ``; recovery latency = recovery − release (Glazer "return to
  baseline", clinical.md §2-3). It may become known after the offset; the event is re-emitted.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from biofeedback.signal.kernels import (
    first_run,
    first_run_below_off_line,
    onset_scan,
    track_scan,
)


@dataclass(frozen=True)
class ContractionEvent:
    """One detected contraction; ``offset_*`` is None while it is still going on."""

    id: int
    onset_index: int
    onset_s: float
    peak_uv: float
    peak_index: int
    time_to_peak_s: float
    offset_index: int | None = None
    offset_s: float | None = None
    release_index: int | None = None
    recovery_index: int | None = None
    recovery_latency_s: float | None = None
    truncated: bool = False  # ended by a gap in the data or the end of the recording
    confirmed_index: int | None = None  # the sample at which the offset was confirmed (live)

    @property
    def complete(self) -> bool:
        return self.offset_index is not None

    @property
    def duration_s(self) -> float | None:
        return None if self.offset_s is None else self.offset_s - self.onset_s


@dataclass(frozen=True)
class Thresholds:
    mean: float
    sd: float
    hi: float
    lo: float
    back: float
    recovery: float


def make_thresholds(mean: float, sd: float, k_on: float, k_off: float, k_back: float,
                    k_rec: float, min_rise: float = 0.0) -> Thresholds:
    scale = max(sd, min_rise / k_on if k_on > 0 else 0.0)
    return Thresholds(mean, sd, mean + k_on * scale, mean + k_off * scale, mean + k_back * sd,
                      mean + k_rec * sd)


def _first_run(cond: np.ndarray, carry: int, length: int) -> tuple[int, int]:
    """First position where a run of True reaches ``length`` (counting ``carry`` True samples
    before position 0), or -1; and the run length at the last position. (The vectorised
    definition; the detector runs :func:`~biofeedback.signal.kernels.first_run`.)"""
    n = len(cond)
    idx = np.arange(n)
    last_false = np.maximum.accumulate(np.where(cond, -1 - carry, idx))
    run = idx - last_false
    hit = run >= length
    k = int(np.argmax(hit)) if hit.any() else -1
    return k, int(run[-1])


class HysteresisDetector:
    """Double-threshold detector with minimum on/off durations (see module docstring)."""

    def __init__(self, fs: float, m_on: int, m_off: int, lookback: int, window: int,
                 release_fraction: float, off_peak_fraction: float = 0.0,
                 onset_lead: int = 0) -> None:
        self.off_peak_fraction = off_peak_fraction
        self.onset_lead = max(0, onset_lead)
        self.fs = fs
        self.m_on = max(1, m_on)
        self.m_off = max(1, m_off)
        self.lookback = max(1, lookback)
        self.window = max(1, window)
        self.release_fraction = release_fraction
        self.thresholds: Thresholds | None = None
        self._hist_len = max(self.lookback + self.m_on, self.window + self.m_off) + 1
        self._next_id = 1
        self.reset()

    # -- state ---------------------------------------------------------------------------
    def reset(self) -> None:
        """Forget the signal (after a gap); keeps thresholds and the event counter."""
        self.active = False
        self._run = 0
        self._buf = np.zeros((self._hist_len + 4096, 1))
        self._blen = 0
        self._hist_start = 0  # absolute index of _buf[0]
        self._floor = -1  # onsets are not traced back before this index
        self._event: ContractionEvent | None = None
        self._awaiting: ContractionEvent | None = None  # complete, recovery not yet found
        self._armed = True  # False after an offset above the baseline OFF line
        self._rearm_run = 0  # samples below the baseline OFF line since that offset

    def set_thresholds(self, t: Thresholds) -> None:
        self.thresholds = t

    @property
    def current(self) -> ContractionEvent | None:
        return self._event

    @property
    def awaiting(self) -> ContractionEvent | None:
        """The finished contraction whose recovery is still looked for (None: none)."""
        return self._awaiting

    @property
    def settled_delay(self) -> int:
        """Samples after which no later input changes whether a sample lies inside a
        contraction: an onset is traced back at most ``lookback + m_on + onset_lead`` samples
        before its confirmation, an offset at most ``m_off + window`` before."""
        return self.lookback + self.m_on + self.onset_lead + self.m_off + self.window + 2

    def _t(self, index: int) -> float:
        return index / self.fs

    # -- processing ------------------------------------------------------------------------
    def process(self, env: np.ndarray, first_index: int,
                active_arr: np.ndarray | None = None) -> list[ContractionEvent]:
        """Feed the detection envelope ``env`` (1-D) starting at absolute ``first_index``.

        Returns the events started, finished or updated in this call; fills ``active_arr``
        (if given, all False on entry) with "contraction active" per sample (true from onset
        confirmation to offset confirmation).
        """
        full = env if env.ndim == 2 else env[:, None]
        env = full[:, 0]
        n = len(env)
        if active_arr is None:
            active_arr = np.zeros(n, dtype=bool)
        out: list[ContractionEvent] = []
        t = self.thresholds
        if t is None or n == 0:
            self._push_hist(full, first_index)
            return out
        pos = 0
        on_from = -1  # first sample of the current "active" stretch in this call (-1: none)
        while pos < n:
            x = env[pos:]
            a = first_index + pos
            if not self.active:
                if not self._armed:
                    # an event that ended on its own (peak-relative) OFF line re-arms only
                    # once the envelope has stayed below the baseline OFF line for the
                    # minimum off time: a slow release tail hovers about the ON line, and a
                    # noise dip below the OFF line must not start a "new contraction" in it
                    k, run_end = first_run(x, t.lo, False, self._rearm_run, self.m_off)
                    if self._awaiting is not None:
                        upto = len(x) if k < 0 else k + 1
                        ev = self._find_recovery(self._awaiting, x[:upto], a, t)
                        if ev is not None:
                            out.append(ev)
                    if k < 0:
                        self._rearm_run = run_end
                        break
                    self._armed = True
                    self._rearm_run = 0
                    pos += k + 1
                    continue
                k, run_end = first_run(x, t.hi, True, self._run, self.m_on)
                if k < 0:
                    self._run = run_end
                limit = len(x) if k < 0 else max(0, k - self.m_on + 1)
                if self._awaiting is not None:
                    ev = self._find_recovery(self._awaiting, x[:limit], a, t)
                    if ev is not None:
                        out.append(ev)
                if k < 0:
                    break
                if self._awaiting is not None:  # a new contraction began before recovery
                    self._awaiting = None
                run_start = a + k - self.m_on + 1
                ev = self._start_event(full, first_index, pos + k, run_start, t)
                out.append(ev)
                self.active = True
                self._run = 0
                on_from = pos + k
                pos += k + 1
            else:
                if on_from < 0:
                    on_from = pos
                # the OFF line follows the peak sample by sample (a new peak later in this
                # block raises it from there on, as it would with smaller blocks)
                ev = self._event
                k, run_end = first_run_below_off_line(
                    x, t.lo, t.mean, self.off_peak_fraction if ev is not None else 0.0,
                    ev.peak_uv if ev is not None else t.lo, self._run, self.m_off)
                if k < 0:
                    self._run = run_end
                upto = len(x) if k < 0 else k + 1
                self._track(x[:upto], a, t)
                if k < 0:
                    break
                off_start = a + k - self.m_off + 1
                ev = self._finish_event(full, first_index, off_start, t)
                out.append(ev)
                self.active = False
                self._run = 0
                active_arr[on_from:pos + k + 1] = True
                on_from = -1
                pos += k + 1
        if on_from >= 0:
            active_arr[on_from:] = True
        self._push_hist(full, first_index)
        return _dedupe(out) if len(out) > 1 else out

    def finish(self, end_index: int) -> list[ContractionEvent]:
        """End of data or a gap at ``end_index`` (exclusive): close what is open, then reset."""
        out = []
        if self._event is not None:
            ev = _evolve(self._event, offset_index=end_index, offset_s=self._t(end_index),
                         truncated=True)
            out.append(ev)
        self._event = None
        self.reset()
        return out

    # -- helpers ---------------------------------------------------------------------------
    def _push_hist(self, env: np.ndarray, first_index: int) -> None:
        """Append to the envelope history (a buffer, compacted now and then, not re-copied
        on every block); only the last ``_hist_len`` samples are ever read."""
        n, cols = env.shape
        buf = self._buf
        if (self._blen and self._hist_start + self._blen != first_index) or buf.shape[1] != cols:
            self._blen = 0
        if n >= self._hist_len and cols == buf.shape[1]:
            # a long block: only its tail is ever read again (an hour would be copied whole)
            keep = self._hist_len
            buf[:keep] = env[n - keep:]
            self._hist_start = first_index + n - keep
            self._blen = keep
            return
        if self._blen == 0:
            self._hist_start = first_index
        if self._blen + n > len(buf):
            keep = min(self._blen, self._hist_len)
            if keep + n > len(buf):
                buf = np.empty((keep + n + 4096, cols))
            buf[:keep] = self._buf[self._blen - keep:self._blen]
            self._hist_start += self._blen - keep
            self._blen = keep
            self._buf = buf
        buf[self._blen:self._blen + n] = env
        self._blen += n

    @property
    def _hist(self) -> np.ndarray:
        keep = min(self._blen, self._hist_len)
        return self._buf[self._blen - keep:self._blen]

    def _window(self, env: np.ndarray, first_index: int, start: int, stop: int) -> np.ndarray:
        """Envelope values for absolute [start, stop) from history + current block."""
        hist = self._hist
        h0 = self._hist_start + self._blen - len(hist)
        if not (len(hist) and h0 + len(hist) == first_index):
            h0 = first_index
        start = max(start, h0)
        stop = max(start, stop)
        # the part in the history and the part in the block, joined only when both are needed
        if start >= first_index:
            return env[start - first_index:stop - first_index]
        if stop <= first_index:
            return hist[start - h0:stop - h0]
        return np.concatenate([hist[start - h0:], env[:stop - first_index]])

    def _start_event(self, env: np.ndarray, first_index: int, k_rel: int, run_start: int,
                     t: Thresholds) -> ContractionEvent:
        confirm = first_index + k_rel
        lo_bound = max(run_start - self.lookback, self._floor + 1)
        # one window from the lookback to the confirmation, split at the run start (the run
        # lies after the floor: the previous offset was confirmed before it began)
        w = self._window(env, first_index, lo_bound, confirm + 1)[:, 0]
        split = max(0, run_start - (confirm + 1 - len(w)))
        before, run_vals = w[:split], w[split:]
        base0 = run_start - len(before)
        quiet, p, last = onset_scan(before, t.back, t.lo, run_vals,
                                    t.mean, self.release_fraction)
        # where the envelope left the baseline band; if it never sat that low in the
        # lookback (resting tone up), where it last sat below the OFF line, else the run start
        onset = run_start if quiet < 0 else base0 + quiet + 1
        onset = max(onset - self.onset_lead, self._floor + 1, base0)
        peak_i = confirm + 1 - len(run_vals) + p
        peak = float(run_vals[p])
        release = confirm + 1 - len(run_vals) + last
        ev = _evolve(_BLANK, id=self._next_id, onset_index=onset, onset_s=onset / self.fs,
                     peak_uv=peak, peak_index=peak_i, time_to_peak_s=(peak_i - onset) / self.fs,
                     release_index=release)
        self._next_id += 1
        self._event = ev
        return ev

    def _off_line(self, t: Thresholds) -> float:
        ev = self._event
        if ev is None or self.off_peak_fraction <= 0:
            return t.lo
        return max(t.lo, t.mean + self.off_peak_fraction * (ev.peak_uv - t.mean))

    def _track(self, x: np.ndarray, a: int, t: Thresholds) -> None:
        """Update peak, release and recovery of the open event with samples ``x`` at ``a``."""
        ev = self._event
        if ev is None or not len(x):
            return
        rel0 = -1 if ev.release_index is None else ev.release_index
        rec0 = -1 if ev.recovery_index is None else ev.recovery_index
        peak, peak_i, release, recovery = track_scan(
            x, a, ev.peak_uv, ev.peak_index, t.mean, self.release_fraction, t.recovery, rel0,
            rec0)
        if (peak, peak_i, release, recovery) == (ev.peak_uv, ev.peak_index, rel0, rec0):
            return  # nothing new: no new event object
        self._event = _evolve(ev, peak_uv=peak, peak_index=peak_i,
                              time_to_peak_s=(peak_i - ev.onset_index) / self.fs,
                              release_index=None if release < 0 else release,
                              recovery_index=None if recovery < 0 else recovery)

    def _finish_event(self, env: np.ndarray, first_index: int, off_start: int,
                      t: Thresholds) -> ContractionEvent:
        ev = self._event
        assert ev is not None
        prior = self._window(env, first_index, off_start - self.window, off_start - self.window + 1)
        p_level = float(prior[0, 0]) if len(prior) else ev.peak_uv
        lo = self._off_line(t)
        denom = p_level**2 - t.mean**2
        frac = (p_level**2 - lo**2) / denom if denom > 0 else 0.0
        offset = off_start - int(round(min(max(frac, 0.0), 1.0) * (self.window - 1)))
        offset = max(offset, ev.onset_index + 1)
        confirmed = off_start + self.m_off - 1
        rec, rel = ev.recovery_index, ev.release_index
        # one copy of the event (offset and, when the recovery is known, the latency)
        if rec is not None and rel is not None:
            ev = _evolve(ev, offset_index=offset, offset_s=offset / self.fs,
                         confirmed_index=confirmed, recovery_latency_s=(rec - rel) / self.fs)
        else:
            ev = _evolve(ev, offset_index=offset, offset_s=offset / self.fs,
                         confirmed_index=confirmed)
        self._awaiting = None if rec is not None else ev
        self._floor = off_start
        self._armed = lo <= t.lo
        self._rearm_run = 0
        self._event = None
        return ev

    def _find_recovery(self, ev: ContractionEvent, x: np.ndarray, a: int,
                       t: Thresholds) -> ContractionEvent | None:
        start = max(0, (ev.release_index or 0) + 1 - a)
        back = np.flatnonzero(x[start:] <= t.recovery)
        if not len(back):
            return None
        ev = _with_latency(_evolve(ev, recovery_index=a + start + int(back[0])), self.fs)
        self._awaiting = None
        return ev


def _evolve(ev: ContractionEvent, **changes: object) -> ContractionEvent:
    """``dataclasses.replace`` without running ``__init__`` again: a contraction is re-made a
    few times per event and ``replace`` was a third of the detector's time on a dense
    recording. The event is a frozen value with no checks in ``__init__``: a copy of its
    fields with the changes is the same object ``replace`` would make."""
    new = object.__new__(ContractionEvent)
    d = new.__dict__
    d.update(ev.__dict__)
    d.update(changes)
    return new


_BLANK = ContractionEvent(0, 0, 0.0, 0.0, 0, 0.0)  # the defaults that _evolve starts from


def _with_latency(ev: ContractionEvent, fs: float) -> ContractionEvent:
    if ev.recovery_index is None or ev.release_index is None:
        return ev
    return _evolve(ev, recovery_latency_s=(ev.recovery_index - ev.release_index) / fs)


def _dedupe(events: list[ContractionEvent]) -> list[ContractionEvent]:
    """Keep the latest version of each event id, in order of first appearance."""
    latest: dict[int, ContractionEvent] = {}
    for ev in events:
        latest[ev.id] = ev
    return list(latest.values())
