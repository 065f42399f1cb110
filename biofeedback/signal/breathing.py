"""Breathing measured from the vaginal pressure channel, and the pelvic floor scored per breath.

Breathing shows in vaginal pressure as a slow oscillation (~0.5-2 cmH2O at 4-20 breaths/min)
because an intravaginal sensor tracks intra-abdominal pressure (clinical.md §4: Rosenbluth 2010,
r = 0.94-0.97 against a rectal catheter). **Sign assumption** (a parameter,
``BreathingConfig.inhale_rises``): the diaphragm descends on inspiration (clinical.md §5: Talasz
2011, dynamic MRI), which raises intra-abdominal and so vaginal pressure during the in-breath;
chest breathing or abdominal bracing can reverse it, hence the switch.

Detection (``docs/sessions-tone-breathing.md``, "Breathing"):

1. causal 4th-order Butterworth low-pass (1 Hz) removes sensor noise and most of a pulse;
2. a zig-zag peak/trough detector with hysteresis: an extreme is confirmed when the signal has
   moved ``hysteresis_cmh2o`` back from it, so slow drift makes no breaths;
3. a breath is trough → peak (in-breath) → trough (out-breath) (peak/trough swapped when
   ``inhale_rises`` is False), its period trough to trough, split into in- and out-breath in
   proportion to the time each edge spends between 20 % and 80 % of its swing (a turning point
   is flat, so its exact position wanders with a pulse ripple or noise, while the edges are
   steep); times are moved back by the filter's low-frequency group delay so breaths line up
   with the EMG;
4. plausibility: a swing above ``max_swing_cmh2o`` (a squeeze or a strain: 5-40 cmH2O, §4) or a
   period outside 1.5-30 s is not a breath and is counted in ``rejected``.

Everything runs sample by sample on absolute indices, so :class:`BreathDetector` gives the same
breaths for any block size, and :func:`detect_breaths` is that detector fed one array. Pure numpy/
scipy: no clocks.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from biofeedback.signal.iir import butter_sos, group_delay_sos, sosfilt_zi
from biofeedback.signal.kernels import sosfilt_rows

#: Van Diest 2014 (clinical.md §5): the default pacer, 6 breaths/min with inhale/exhale 0.42.
PACER_RATE_PER_MIN = 6.0
PACER_IE_RATIO = 3.0 / 7.0


@dataclass(frozen=True)
class BreathingConfig:
    lowpass_hz: float = 1.0  # 20 breaths/min is 0.33 Hz; a resting heartbeat is >= 1 Hz
    lowpass_order: int = 4
    edge_fraction: float = 0.2  # edge time: between 20 % and 80 % of each swing
    hysteresis_cmh2o: float = 0.2  # an extreme is confirmed once the signal is this far back
    max_swing_cmh2o: float = 4.0  # larger: a squeeze or a strain, not a breath (§4: 5-40 cmH2O)
    min_period_s: float = 1.5  # 40 breaths/min
    max_period_s: float = 30.0  # 2 breaths/min
    min_phase_s: float = 0.3  # shortest in- or out-breath
    inhale_rises: bool = True  # diaphragm down on the in-breath → pressure up (Talasz 2011)


@dataclass(frozen=True)
class Breath:
    """One breath: in-breath from ``start`` to ``turn``, out-breath from ``turn`` to ``end``.

    Indices are absolute sample indices of the pressure stream (``fs``); times are
    ``index / fs`` on that stream's clock. ``swing_cmh2o`` is the larger of the in- and
    out-breath pressure changes (nan for pacer phases).
    """

    start_index: int
    turn_index: int
    end_index: int
    fs: float
    swing_cmh2o: float = math.nan

    @property
    def start_s(self) -> float:
        return self.start_index / self.fs

    @property
    def turn_s(self) -> float:
        return self.turn_index / self.fs

    @property
    def end_s(self) -> float:
        return self.end_index / self.fs

    @property
    def inhale_s(self) -> float:
        return (self.turn_index - self.start_index) / self.fs

    @property
    def exhale_s(self) -> float:
        return (self.end_index - self.turn_index) / self.fs

    @property
    def period_s(self) -> float:
        return (self.end_index - self.start_index) / self.fs

    @property
    def rate_per_min(self) -> float:
        return 60.0 / self.period_s

    @property
    def ie_ratio(self) -> float:
        return self.inhale_s / self.exhale_s


class BreathDetector:
    """Streaming breath detector: ``process(x, first_index)`` returns the breaths it completed.

    A gap in ``first_index`` (or a NaN sample) restarts the filter and drops the breath in
    progress; breaths never span a gap.
    """

    def __init__(self, fs: float, config: BreathingConfig | None = None) -> None:
        self.fs = float(fs)
        self.config = config or BreathingConfig()
        c = self.config
        self._sos = butter_sos(c.lowpass_order, min(c.lowpass_hz, 0.45 * fs), "lowpass", fs)
        self._delay = _group_delay_samples(self._sos, self.fs)
        self.rejected = 0
        self._next: int | None = None
        self._restart()

    def _restart(self) -> None:
        self._zi: np.ndarray | None = None
        self._rising = True  # searching for a maximum (True) or a minimum (False)
        self._ext_v = math.nan  # the running extreme and where it is
        self._ext_i = -1
        self._extremes: list[tuple[int, float, bool]] = []  # (index, value, is_max)
        self._hist = _History()

    def process(self, x: np.ndarray, first_index: int) -> list[Breath]:
        x = np.asarray(x, dtype=float).reshape(-1)
        if self._next is not None and first_index != self._next:
            self._restart()
        self._next = first_index + len(x)
        out: list[Breath] = []
        start = 0
        for bad in np.flatnonzero(~np.isfinite(x)).tolist():
            out += self._run(x[start:bad], first_index + start)
            self._restart()
            start = bad + 1
        out += self._run(x[start:], first_index + start)
        return out

    def _run(self, x: np.ndarray, first_index: int) -> list[Breath]:
        if not len(x):
            return []
        if self._zi is None:
            self._zi = (sosfilt_zi(self._sos) * x[0])[None]
            self._ext_v, self._ext_i = float(x[0]), first_index
        y = np.ascontiguousarray(x)[:, None].copy()
        sosfilt_rows(self._sos, y, self._zi, y)
        y = y[:, 0]
        self._hist.append(y, first_index)
        out: list[Breath] = []
        h = self.config.hysteresis_cmh2o
        ext_v, ext_i, rising = self._ext_v, self._ext_i, self._rising
        for k, v in enumerate(y.tolist()):
            if rising:
                if v > ext_v:
                    ext_v, ext_i = v, first_index + k
                elif v < ext_v - h:
                    out += self._confirm(ext_i, ext_v, True)
                    ext_v, ext_i, rising = v, first_index + k, False
            elif v < ext_v:
                ext_v, ext_i = v, first_index + k
            elif v > ext_v + h:
                out += self._confirm(ext_i, ext_v, False)
                ext_v, ext_i, rising = v, first_index + k, True
        self._ext_v, self._ext_i, self._rising = ext_v, ext_i, rising
        return out

    def _confirm(self, index: int, value: float, is_max: bool) -> list[Breath]:
        """A confirmed extreme; three alternating ones starting on a breath start make a breath."""
        ex = self._extremes
        ex.append((index, value, is_max))
        if len(ex) < 3 or ex[-3][2] is not (not self.config.inhale_rises):
            return []
        (i0, v0, _), (i1, v1, _), (i2, v2, _) = ex[-3:]
        del ex[:-1]
        breath = self._breath(i0, i1, i2, max(abs(v1 - v0), abs(v1 - v2)))
        self._hist.trim(i2)
        if breath is not None and self._plausible(breath):
            return [breath]
        self.rejected += 1
        return []

    def _breath(self, i0: int, i1: int, i2: int, swing: float) -> Breath | None:
        """The breath between extremes ``i0`` → ``i1`` → ``i2`` (filtered-signal indices).

        The period is trough to trough (peak to peak when ``inhale_rises`` is False). It is
        split into in- and out-breath in proportion to the 20-80 % edge times of the two
        swings: a turning point is flat, so the extreme's own position wanders with any ripple
        (a pulse, noise), while the edges are steep and well defined.
        """
        sign = 1.0 if self.config.inhale_rises else -1.0
        inh = sign * self._hist.get(i0, i1 + 1)
        exh = -sign * self._hist.get(i1, i2 + 1)
        f = self.config.edge_fraction
        t_in, t_out = _edge_time(inh, f), _edge_time(exh, f)
        if not (t_in > 0 and t_out > 0):
            return None
        turn = i0 + round((i2 - i0) * t_in / (t_in + t_out))
        d = self._delay
        return Breath(i0 - d, turn - d, i2 - d, self.fs, swing)

    def _plausible(self, b: Breath) -> bool:
        c = self.config
        return (b.swing_cmh2o <= c.max_swing_cmh2o
                and c.min_period_s <= b.period_s <= c.max_period_s
                and min(b.inhale_s, b.exhale_s) >= c.min_phase_s)


class _History:
    """The filtered samples since the start of the breath in progress (absolute indices)."""

    def __init__(self) -> None:
        self._parts: list[np.ndarray] = []
        self._first = 0

    def append(self, y: np.ndarray, first_index: int) -> None:
        if not self._parts:
            self._first = first_index
        self._parts.append(y)

    def get(self, start: int, stop: int) -> np.ndarray:
        if len(self._parts) > 1:
            self._parts = [np.concatenate(self._parts)]
        return self._parts[0][start - self._first:stop - self._first]

    def trim(self, start: int) -> None:
        """Forget samples before ``start`` (the next breath begins there)."""
        self.get(start, start)
        if self._parts:
            self._parts = [self._parts[0][start - self._first:]]
            self._first = start


def _edge_time(seg: np.ndarray, fraction: float) -> float:
    """Samples a rising segment (from its first to its last sample) spends between its
    ``fraction`` and ``1 - fraction`` levels: the time spent in the band, not two crossing
    instants, so a ripple that crosses a level back and forth moves it little."""
    lo_v, hi_v = float(seg[0]), float(seg[-1])
    lo = lo_v + fraction * (hi_v - lo_v)
    hi = hi_v - fraction * (hi_v - lo_v)
    return float(np.count_nonzero((seg >= lo) & (seg < hi)))


def detect_breaths(pressure: np.ndarray, fs: float, config: BreathingConfig | None = None,
                   first_index: int = 0) -> list[Breath]:
    """Offline: the breaths of a whole pressure trace (the streaming detector fed once)."""
    return BreathDetector(fs, config).process(np.asarray(pressure, dtype=float).reshape(-1),
                                              first_index)


def pacer_breaths(rate_per_min: float, ie_ratio: float, start_s: float, end_s: float,
                  fs: float = 100.0) -> list[Breath]:
    """The pacer's phases as breaths (in-breath first), whole cycles from ``start_s``."""
    if rate_per_min <= 0 or ie_ratio <= 0:
        raise ValueError("pacer rate and inhale/exhale ratio must be positive")
    period = 60.0 / rate_per_min
    inhale = period * ie_ratio / (1.0 + ie_ratio)
    n = int(math.floor((end_s - start_s) / period + 1e-9))
    out = []
    for k in range(max(n, 0)):
        t0 = start_s + k * period
        out.append(Breath(round(t0 * fs), round((t0 + inhale) * fs), round((t0 + period) * fs),
                          fs))
    return out


@dataclass(frozen=True)
class BreathScore:
    """The pelvic-floor envelope over one breath.

    ``reference_exhale_uv`` is the out-breath just before this in-breath (the previous breath's,
    when it ends where this one starts; otherwise this breath's own). Released on the in-breath:
    ``inhale_uv < reference_exhale_uv``, or ``inhale_uv <= line_uv`` when a line is given.
    """

    breath: Breath
    inhale_uv: float
    exhale_uv: float
    reference_exhale_uv: float
    released_on_inhale: bool | None  # None: no envelope over the in-breath


def score_breaths(breaths: Sequence[Breath], env_t: np.ndarray, envelope: np.ndarray,
                  line_uv: float | None = None, time_offset_s: float = 0.0) -> list[BreathScore]:
    """Score each breath (or pacer phase) on the EMG envelope ``envelope`` sampled at ``env_t``.

    ``time_offset_s`` is added to breath times to put them on the envelope's clock. NaN
    envelope samples (gaps) are ignored.
    """
    t = np.asarray(env_t, dtype=float).reshape(-1)
    e = np.asarray(envelope, dtype=float).reshape(len(t), -1)[:, 0]
    out: list[BreathScore] = []
    prev: tuple[Breath, float] | None = None
    for b in breaths:
        inh = _mean_between(t, e, b.start_s + time_offset_s, b.turn_s + time_offset_s)
        exh = _mean_between(t, e, b.turn_s + time_offset_s, b.end_s + time_offset_s)
        ref = prev[1] if prev is not None and prev[0].end_index == b.start_index else exh
        out.append(BreathScore(b, inh, exh, ref, _released(inh, ref, line_uv)))
        prev = (b, exh)
    return out


def _released(inhale: float, ref: float, line: float | None) -> bool | None:
    if math.isnan(inhale):
        return None
    below_line = line is not None and math.isfinite(line) and inhale <= line
    return bool(below_line or (math.isfinite(ref) and inhale < ref))


def _mean_between(t: np.ndarray, e: np.ndarray, t0: float, t1: float) -> float:
    lo, hi = np.searchsorted(t, [t0, t1], side="left")
    seg = e[lo:hi]
    seg = seg[np.isfinite(seg)]
    return float(seg.mean()) if len(seg) else math.nan


@dataclass(frozen=True)
class BreathingSummary:
    """Breathing over a step: rate, timing, release on the in-breath, pacer adherence."""

    n_breaths: int
    breaths_per_min: float  # 60 / mean period
    inhale_s: float  # mean in-breath
    exhale_s: float  # mean out-breath
    ie_ratio: float  # mean in-breath / mean out-breath
    release_share: float | None  # share of scored breaths released on the in-breath
    pacer_rate_per_min: float | None
    pacer_deviation_per_min: float | None  # |breaths_per_min - pacer rate|

    def to_json_dict(self) -> dict[str, float | int | None]:
        return {k: (None if isinstance(v, float) and math.isnan(v) else v)
                for k, v in self.__dict__.items()}


def summarize_breathing(breaths: Sequence[Breath], scores: Sequence[BreathScore] = (),
                        pacer_rate_per_min: float | None = None) -> BreathingSummary:
    """Summary of detected breaths (and of their scores, when given)."""
    nan = math.nan
    if breaths:
        period = float(np.mean([b.period_s for b in breaths]))
        inhale = float(np.mean([b.inhale_s for b in breaths]))
        exhale = float(np.mean([b.exhale_s for b in breaths]))
        rate, ie = 60.0 / period, inhale / exhale
    else:
        rate = inhale = exhale = ie = nan
    judged = [s.released_on_inhale for s in scores if s.released_on_inhale is not None]
    share = sum(judged) / len(judged) if judged else None
    dev = None
    if pacer_rate_per_min is not None and math.isfinite(rate):
        dev = abs(rate - pacer_rate_per_min)
    return BreathingSummary(len(breaths), rate, inhale, exhale, ie, share, pacer_rate_per_min, dev)


def _group_delay_samples(sos: np.ndarray, fs: float) -> int:
    """The filter's group delay near DC (breathing is far below the cut-off), in samples."""
    return int(round(group_delay_sos(sos, 0.1, fs)))


__all__ = [
    "PACER_IE_RATIO",
    "PACER_RATE_PER_MIN",
    "Breath",
    "BreathDetector",
    "BreathScore",
    "BreathingConfig",
    "BreathingSummary",
    "detect_breaths",
    "pacer_breaths",
    "score_breaths",
    "summarize_breathing",
]
