"""Contraction onset/offset detection with hysteresis, vectorised per block.

The detector runs on one detection envelope (µV) with thresholds from the baseline. It keeps
only small state between calls (current state, length of the pending run, a short envelope
history), so feeding it one sample at a time or an hour at once gives the same events. The
work per call is one compiled scan (:mod:`biofeedback.signal.detection_kernels`), plus making
the few events it reports; no Python step per transition or per sample.

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

from biofeedback.signal import detection_kernels as dk


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
        self._rec_i = np.zeros((64, dk.N_REC_I), dtype=np.int64)  # the scan's records
        self._rec_f = np.zeros((64, dk.N_REC_F))
        self.reset()

    # -- state ---------------------------------------------------------------------------
    def reset(self) -> None:
        """Forget the signal (after a gap); keeps thresholds and the event counter."""
        st = np.zeros(dk.N_STATE, dtype=np.int64)
        st[dk.S_ARMED] = 1  # 0 after an offset above the baseline OFF line
        st[dk.S_FLOOR] = -1  # onsets are not traced back before this index
        st[dk.S_EV_RELEASE] = st[dk.S_EV_RECOVERY] = st[dk.S_ON_FROM] = -1
        st[dk.S_NEXT_ID] = self._st[dk.S_NEXT_ID] if hasattr(self, "_st") else 1
        st[dk.S_M_ON:dk.S_LEAD + 1] = (self.m_on, self.m_off, self.lookback, self.window,
                                       self.onset_lead)
        self._st = st  # the scan's state and settings (detection_kernels.detect_scan)
        par = np.zeros(dk.N_PAR)  # its lines, fractions and the open event's peak
        par[dk.P_RELEASE_F], par[dk.P_OFF_PEAK_F] = self.release_fraction, self.off_peak_fraction
        self._par = par
        self._lines_for: Thresholds | None = None  # the thresholds par holds the lines of
        self.active = False  # a contraction is open (its onset confirmed, its offset not yet)
        self._buf = np.zeros((self._hist_len + 4096, 1))
        self._blen = 0
        self._hist_start = 0  # absolute index of _buf[0]
        self._event: ContractionEvent | None = None
        self._awaiting: ContractionEvent | None = None  # complete, recovery not yet found

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

        Onsets, tracking, offsets and recoveries are found in one compiled pass
        (:func:`~biofeedback.signal.detection_kernels.detect_scan`), which writes a record
        per event reported; the events are made from the records here.
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
        if self._lines_for is not t:
            self._par[:dk.P_RECOVERY + 1] = (t.mean, t.hi, t.lo, t.back, t.recovery)
            self._lines_for = t
        blen = self._blen
        # the history rows just before this block (none if it does not end there)
        h_n = min(blen, self._hist_len) if self._hist_start + blen == first_index else 0
        pos, aw, changed = 0, self._awaiting, False
        while pos >= 0:
            k, pos, ch = dk.detect_scan(env, first_index, pos, self._buf, blen, h_n, self._st,
                                        self._par, active_arr, self._rec_i, self._rec_f)
            changed |= ch
            if k:
                aw = self._replay(k, t, aw, out)
        self._awaiting = aw
        self.active = active = bool(self._st[dk.S_ACTIVE])
        if changed or not active:
            self._event = self._open_event() if active else None
        self._push_hist(full, first_index)
        return _dedupe(out) if len(out) > 1 else out

    def _replay(self, k: int, t: Thresholds, aw: ContractionEvent | None,
                out: list[ContractionEvent]) -> ContractionEvent | None:
        """The events of ``k`` scan records, appended to ``out``; returns the one whose
        recovery is awaited afterwards."""
        fs = self.fs
        for (kind, eid, onset, peak_i, release, recovery, off_start, confirmed), \
                (peak, p_level, lo) in zip(self._rec_i[:k].tolist(), self._rec_f[:k].tolist(),
                                           strict=True):
            if kind == dk.R_RECOVERY:
                assert aw is not None and aw.id == eid
                out.append(_with_latency(_evolve(aw, recovery_index=recovery), fs))
                aw = None
            elif kind == dk.R_START:
                out.append(_event(eid, onset, peak, peak_i, fs, None if release < 0 else release))
                aw = None
            else:
                ev = self._finished(eid, onset, peak_i, peak, release, recovery, off_start,
                                    confirmed, p_level, lo, t)
                out.append(ev)
                aw = ev if recovery < 0 else None
        return aw

    def _finished(self, eid: int, onset: int, peak_i: int, peak: float, release: int,
                  recovery: int, off_start: int, confirmed: int, p_level: float, lo: float,
                  t: Thresholds) -> ContractionEvent:
        """The event at its offset: the offset run's first sample ``off_start`` corrected for
        the drain time of the RMS window (``p_level``: the envelope a window before it, ``lo``
        the OFF line in force); -1 stands for None."""
        denom = p_level**2 - t.mean**2
        frac = (p_level**2 - lo**2) / denom if denom > 0 else 0.0
        offset = off_start - int(round(min(max(frac, 0.0), 1.0) * (self.window - 1)))
        offset = max(offset, onset + 1)
        fs = self.fs
        latency = (recovery - release) / fs if recovery >= 0 and release >= 0 else None
        return _event(eid, onset, peak, peak_i, fs, None if release < 0 else release,
                      None if recovery < 0 else recovery, offset, latency, confirmed)

    def _open_event(self) -> ContractionEvent:
        """The open contraction as the scan's state has it (peak, release, recovery so far)."""
        eid, onset, peak_i, release, recovery = self._st[dk.S_EV_ID:dk.S_EV_RECOVERY + 1].tolist()
        return _event(eid, onset, float(self._par[dk.P_PEAK]), peak_i, self.fs,
                      None if release < 0 else release, None if recovery < 0 else recovery)

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


def _event(eid: int, onset: int, peak: float, peak_i: int, fs: float, release: int | None,
           recovery: int | None = None, offset: int | None = None,
           latency: float | None = None, confirmed: int | None = None) -> ContractionEvent:
    """``ContractionEvent(...)`` of the detector's fields, made as :func:`_evolve` makes its
    copies (a frozen dataclass's ``__init__`` sets each field through ``object.__setattr__``:
    twice the time, and the detector makes a couple of events per contraction)."""
    ev = object.__new__(ContractionEvent)
    ev.__dict__.update({
        "id": eid, "onset_index": onset, "onset_s": onset / fs, "peak_uv": peak,
        "peak_index": peak_i, "time_to_peak_s": (peak_i - onset) / fs, "offset_index": offset,
        "offset_s": None if offset is None else offset / fs, "release_index": release,
        "recovery_index": recovery, "recovery_latency_s": latency, "truncated": False,
        "confirmed_index": confirmed})
    return ev


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
